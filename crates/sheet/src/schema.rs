//! The columns a caller expects, `--map` overrides, and matching them
//! against a file's header.

use std::path::Path;

use crate::error::{ErrorKind, MapError, SheetError};

/// One column the caller expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    name: String,
    required: bool,
    aliases: Vec<String>,
}

impl Column {
    /// A column the file must have. `name` is how the caller refers to it
    /// (e.g. in [`Row::get`](crate::Row::get)) and the first header name it
    /// matches.
    #[must_use]
    pub fn required(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            required: true,
            aliases: Vec::new(),
        }
    }

    /// A column the file may lack.
    #[must_use]
    pub fn optional(name: &str) -> Self {
        Self {
            required: false,
            ..Self::required(name)
        }
    }

    /// Another header name that means this column (e.g. `Menge` for `quantity`).
    #[must_use]
    pub fn alias(mut self, alias: &str) -> Self {
        self.aliases.push(alias.to_owned());
        self
    }

    /// The caller's name for the column.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the file must have it.
    #[must_use]
    pub fn is_required(&self) -> bool {
        self.required
    }

    /// Other header names accepted for it.
    #[must_use]
    pub fn aliases(&self) -> &[String] {
        &self.aliases
    }
}

/// The columns an import expects.
///
/// # Examples
///
/// ```
/// use entitle_sheet::{Column, Schema};
/// let schema = Schema::new([
///     Column::required("vendor").alias("Hersteller"),
///     Column::required("count").alias("quantity"),
///     Column::optional("notes"),
/// ]);
/// assert_eq!(schema.columns().len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    columns: Vec<Column>,
}

impl Schema {
    /// A schema of these columns, in this order.
    #[must_use]
    pub fn new(columns: impl IntoIterator<Item = Column>) -> Self {
        Self {
            columns: columns.into_iter().collect(),
        }
    }

    /// The columns.
    #[must_use]
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    fn list(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `--map` overrides: which header holds which column.
///
/// # Examples
///
/// ```
/// use entitle_sheet::ColumnMap;
/// let map: ColumnMap = "count=Installations, product=Software".parse()?;
/// assert_eq!(map.header_for("count"), Some("Installations"));
/// assert!("count".parse::<ColumnMap>().is_err());
/// # Ok::<(), entitle_sheet::MapError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnMap {
    entries: Vec<(String, String)>,
}

impl ColumnMap {
    /// No overrides.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `column=header`.
    ///
    /// # Errors
    ///
    /// [`MapError::Twice`] if `column` is already mapped.
    pub fn insert(&mut self, column: &str, header: &str) -> Result<(), MapError> {
        if self.header_for(column).is_some() {
            return Err(MapError::Twice(column.to_owned()));
        }
        self.entries.push((column.to_owned(), header.to_owned()));
        Ok(())
    }

    /// The header mapped to `column`.
    #[must_use]
    pub fn header_for(&self, column: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, h)| h.as_str())
    }

    /// The `(column, header)` pairs in order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(c, h)| (c.as_str(), h.as_str()))
    }
}

impl std::str::FromStr for ColumnMap {
    type Err = MapError;

    /// Parses `column=Header,column=Header`; spaces around parts are ignored,
    /// header names may contain spaces (`notice_days=Kündigungsfrist Tage`).
    /// Empty entries (a trailing comma) are ignored.
    fn from_str(s: &str) -> Result<Self, MapError> {
        let mut map = Self::new();
        for part in s.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (column, header) = part
                .split_once('=')
                .ok_or_else(|| MapError::NoEquals(part.to_owned()))?;
            let (column, header) = (column.trim(), header.trim());
            if column.is_empty() || header.is_empty() {
                return Err(MapError::Empty(part.to_owned()));
            }
            map.insert(column, header)?;
        }
        Ok(map)
    }
}

/// Header names are compared after this: lower case, without whitespace,
/// `_` and `-` (and a stray byte order mark), so `Notice days`, `notice_days`
/// and `NOTICE-DAYS` are one column.
#[must_use]
pub fn normalize_header(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '\u{feff}'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn found_list(headers: &[String]) -> String {
    let names: Vec<String> = headers
        .iter()
        .filter(|h| !h.trim().is_empty())
        .map(|h| format!("`{}`", h.trim()))
        .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// For each schema column, the index of the header field holding it.
pub(crate) fn resolve(
    file: &Path,
    line: u64,
    schema: &Schema,
    map: &ColumnMap,
    headers: &[String],
) -> Result<Vec<Option<usize>>, SheetError> {
    let err = |kind| SheetError::new(file, Some(line), kind);
    let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    for (column, header) in map.entries() {
        let entry = format!("{column}={header}");
        if schema.position(column).is_none() {
            return Err(err(ErrorKind::MapUnknownColumn {
                entry,
                column: column.to_owned(),
                expected: schema.list(),
            }));
        }
        let want = normalize_header(header);
        if !normalized.contains(&want) {
            return Err(err(ErrorKind::MapUnknownHeader {
                entry,
                header: header.to_owned(),
                found: found_list(headers),
            }));
        }
    }
    let mut out = Vec::with_capacity(schema.columns.len());
    let mut missing = Vec::new();
    for col in &schema.columns {
        let names: Vec<String> = match map.header_for(&col.name) {
            Some(h) => vec![normalize_header(h)],
            None => std::iter::once(&col.name)
                .chain(&col.aliases)
                .map(|n| normalize_header(n))
                .collect(),
        };
        let hits: Vec<usize> = normalized
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.is_empty() && names.contains(n))
            .map(|(i, _)| i)
            .collect();
        if let [first, second, ..] = hits[..] {
            return Err(err(ErrorKind::DuplicateColumn {
                column: col.name.clone(),
                first: first + 1,
                first_name: headers[first].trim().to_owned(),
                second: second + 1,
                second_name: headers[second].trim().to_owned(),
            }));
        }
        let hit = hits.first().copied();
        if hit.is_none() && col.required {
            missing.push(col);
        }
        out.push(hit);
    }
    // A header field claimed by two schema columns (through aliases or --map).
    for (i, a) in out.iter().enumerate() {
        if let Some(a) = a {
            if let Some(j) = out[i + 1..].iter().position(|b| b == &Some(*a)) {
                let other = &schema.columns[i + 1 + j].name;
                return Err(err(ErrorKind::AmbiguousHeader {
                    position: *a + 1,
                    header: headers[*a].trim().to_owned(),
                    first: schema.columns[i].name.clone(),
                    second: other.clone(),
                }));
            }
        }
    }
    if !missing.is_empty() {
        let describe = |c: &Column| {
            if c.aliases.is_empty() {
                format!("`{}`", c.name)
            } else {
                format!("`{}` (or {})", c.name, c.aliases.join(", "))
            }
        };
        let unclaimed = headers
            .iter()
            .enumerate()
            .find(|(i, h)| !h.trim().is_empty() && !out.contains(&Some(*i)))
            .map_or("HEADER", |(_, h)| h.trim());
        let example_header = if unclaimed.contains([' ', ',']) {
            format!("\"{unclaimed}\"")
        } else {
            unclaimed.to_owned()
        };
        return Err(err(ErrorKind::MissingColumns {
            count: missing.len(),
            missing: missing
                .iter()
                .map(|c| describe(c))
                .collect::<Vec<_>>()
                .join(", "),
            found: found_list(headers),
            example: format!("{}={example_header}", missing[0].name),
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        for h in [
            "Notice days",
            "notice_days",
            "NOTICE-DAYS",
            " Notice  Days ",
            "\u{feff}noticedays",
        ] {
            assert_eq!(normalize_header(h), "noticedays");
        }
        assert_eq!(normalize_header("Menge Ü"), "mengeü");
    }

    #[test]
    fn map_parse_errors() {
        assert_eq!(
            "count=Installations,product"
                .parse::<ColumnMap>()
                .unwrap_err()
                .to_string(),
            "column map entry `product` has no `=`; write COLUMN=HEADER, e.g. count=Installations"
        );
        assert_eq!(
            "count=".parse::<ColumnMap>().unwrap_err().to_string(),
            "column map entry `count=` is incomplete; write COLUMN=HEADER, e.g. count=Installations"
        );
        assert_eq!(
            "count=A,count=B"
                .parse::<ColumnMap>()
                .unwrap_err()
                .to_string(),
            "the column map names column `count` twice"
        );
        let m: ColumnMap = " count = Anzahl Geräte ,".parse().unwrap();
        assert_eq!(m.header_for("count"), Some("Anzahl Geräte"));
    }
}
