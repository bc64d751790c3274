//! What the license and the usage import share: a spreadsheet read in two
//! streaming passes, written all or nothing, in bounded memory.
//!
//! Pass one reads every row, turns it into a draft and lets the ledger
//! judge it on its own (an empty ledger: the rules of a single event);
//! any bad row fails the whole file before a store is even opened. Pass
//! two reads the file again and pushes each draft into one store write
//! ([`Appender`]), where the ledger judges it against the records as they
//! stand. Neither pass holds the rows. A file that changed between the
//! passes (its BLAKE3 is taken before and checked again before the commit)
//! records nothing.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use entitle_core::ledger::{Batch, Context, Draft, Empty, Head};
use entitle_sheet::{
    ColumnMap, DateFormat, ErrorKind as SheetKind, NumberStyle, ReadOptions, Row, Schema,
    SheetError, SheetReader, ValueError,
};
use entitle_store::{Appended, Appender, Committed};

use super::{BadRow, BadRows, SheetOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::progress::{Progress, Stage, Unit};

/// Turns one row into a draft, noting what is wrong with it (and
/// returning `None` when it cannot become one).
pub(crate) type ToDraft<'f> = dyn FnMut(&Cells<'_>, &mut Vec<BadRow>) -> Option<Draft> + 'f;

/// A spreadsheet to import.
#[derive(Debug)]
pub(crate) struct SheetFile {
    path: PathBuf,
    name: String,
    schema: Schema,
    options: ReadOptions,
    hash: String,
}

impl SheetFile {
    /// Checks that `path` is a readable file, reads the options and takes
    /// the file's BLAKE3.
    pub(crate) fn new(path: &Path, schema: Schema, options: &SheetOptions) -> Result<Self> {
        let name = options
            .shown_as
            .clone()
            .unwrap_or_else(|| path.display().to_string());
        if path.is_dir() {
            return Err(Error::invalid(
                "file",
                &name,
                "is a directory; give a CSV file",
            ));
        }
        let map: ColumnMap = match &options.map {
            Some(m) => m.parse().map_err(|e: entitle_sheet::MapError| {
                Error::new(ErrorKind::BadInput, e.to_string()).at("map")
            })?,
            None => ColumnMap::new(),
        };
        let date_format: DateFormat = match &options.date_format {
            Some(f) => f
                .parse()
                .map_err(|e: ValueError| Error::invalid("date_format", f, e.message()))?,
            None => DateFormat::default(),
        };
        let numbers = match options.numbers.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("point") => Some(NumberStyle::DecimalPoint),
            Some("comma") => Some(NumberStyle::DecimalComma),
            Some(other) => {
                return Err(Error::invalid(
                    "numbers",
                    other,
                    "is not a number style; use point (1,234.56) or comma (1.234,56)",
                ))
            }
        };
        let hash = file_hash(path).map_err(|e| read_error(&name, e))?;
        Ok(SheetFile {
            path: path.to_owned(),
            name,
            schema,
            options: ReadOptions {
                map,
                date_format,
                numbers,
            },
            hash,
        })
    }

    /// The file as the caller named it.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The file name without its directory.
    pub(crate) fn file_name(&self) -> String {
        self.path
            .file_name()
            .map_or_else(|| self.name.clone(), |n| n.to_string_lossy().into_owned())
    }

    /// BLAKE3 of the file's bytes, lowercase hex.
    pub(crate) fn hash(&self) -> &str {
        &self.hash
    }

    /// `blake3:<hash>`: what an import writes into each event's note.
    pub(crate) fn marker(&self) -> String {
        format!("blake3:{}", self.hash)
    }

    /// Pass one: reads every row, drafts it and lets an empty ledger judge
    /// it; `each` sees every good draft with its line. Returns the number
    /// of rows and the bad ones. A file without rows is an error.
    pub(crate) fn check(
        &self,
        ctx: &Context,
        to_draft: &mut ToDraft,
        progress: &dyn Progress,
        mut each: impl FnMut(Draft, u64),
    ) -> Result<(u64, BadRows)> {
        let stage = Stage::new(progress, "checking", None, Unit::Rows);
        let mut bad = BadRows::default();
        let mut rows = 0u64;
        self.rows(to_draft, &mut bad, |draft, line, bad| {
            stage.advance(1);
            rows += 1;
            let mut batch = Batch::new(&Empty, Head::default());
            match batch.propose(draft.clone(), ctx) {
                Ok(_) => each(draft, line),
                Err(r) => bad.push(BadRow::from_error(line, &Error::from(r))),
            }
            Ok(())
        })?;
        if rows == 0 && bad.is_empty() {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!(
                    "{} has a header but no rows; nothing was recorded",
                    self.name
                ),
            )
            .at("file"));
        }
        Ok((rows, bad))
    }

    /// Pass two: reads the file again and records every row in one write,
    /// or nothing. `on_appended` sees each record as it is placed.
    pub(crate) fn write(
        &self,
        mut appender: Appender<'_>,
        to_draft: &mut ToDraft,
        progress: &dyn Progress,
        mut on_appended: impl FnMut(&Appended),
    ) -> Result<std::result::Result<Committed, BadRows>> {
        let stage = Stage::new(progress, "recording", None, Unit::Rows);
        let mut bad = BadRows::default();
        let mut refused = BadRows::default();
        self.rows(to_draft, &mut bad, |draft, line, _| {
            stage.advance(1);
            match appender.push(draft)? {
                Ok(appended) => on_appended(&appended),
                Err(r) => refused.push(BadRow::from_error(line, &Error::from(r))),
            }
            Ok(())
        })?;
        drop(stage);
        if let Some(first) = bad.listed.first() {
            // Pass one accepted every row: the file changed since.
            appender.abort()?;
            return Err(self.changed(Some(&format!("line {}: {}", first.line, first.message))));
        }
        if !refused.is_empty() {
            appender.abort()?;
            return Ok(Err(refused));
        }
        let now = file_hash(&self.path).map_err(|e| read_error(&self.name, e))?;
        if now != self.hash {
            appender.abort()?;
            return Err(self.changed(None));
        }
        Ok(Ok(appender.commit()?))
    }

    fn changed(&self, what: Option<&str>) -> Error {
        let what = what.map(|w| format!(" ({w})")).unwrap_or_default();
        Error::new(
            ErrorKind::Conflict,
            format!(
                "{} changed while it was being imported{what}; nothing was recorded",
                self.name
            ),
        )
        .at("file")
        .hint("import it again once it is written completely")
    }

    /// Reads every row, passing good drafts to `each` and noting bad rows;
    /// a problem that ends the file (I/O, encoding, header) is an error.
    fn rows(
        &self,
        to_draft: &mut ToDraft,
        bad: &mut BadRows,
        mut each: impl FnMut(Draft, u64, &mut BadRows) -> Result<()>,
    ) -> Result<()> {
        let reader = SheetReader::open(&self.path, &self.schema, &self.options)?;
        let style = reader.number_style();
        let mut problems = Vec::new();
        for row in reader {
            let row = match row {
                Ok(row) => row,
                Err(e) if e.is_row_error() => {
                    bad.push(sheet_bad_row(&e));
                    continue;
                }
                Err(e) => {
                    let e = Error::from(e);
                    let hint = match e.hint_text() {
                        Some(h) => format!("{h}; nothing was recorded"),
                        None => "nothing was recorded".to_owned(),
                    };
                    return Err(e.hint(hint));
                }
            };
            let cells = Cells { row: &row, style };
            problems.clear();
            let draft = to_draft(&cells, &mut problems);
            let line = row.line();
            for p in problems.drain(..) {
                bad.push(p);
            }
            if let Some(draft) = draft {
                each(draft, line, bad)?;
            }
        }
        Ok(())
    }
}

/// A file imported whole (not as a spreadsheet): its name as shown, its
/// name without directories, its BLAKE3.
#[derive(Debug)]
pub(crate) struct Source {
    pub(crate) name: String,
    pub(crate) file_name: String,
    pub(crate) hash: String,
}

impl Source {
    /// Checks that `path` is a readable file and takes its BLAKE3.
    pub(crate) fn new(path: &Path, options: &SheetOptions) -> Result<Self> {
        let name = options
            .shown_as
            .clone()
            .unwrap_or_else(|| path.display().to_string());
        if path.is_dir() {
            return Err(Error::invalid("file", &name, "is a directory; give a file"));
        }
        let hash = file_hash(path).map_err(|e| read_error(&name, e))?;
        let file_name = path
            .file_name()
            .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned());
        Ok(Source {
            name,
            file_name,
            hash,
        })
    }

    /// `blake3:<hash>`, as each event's note carries it.
    pub(crate) fn marker(&self) -> String {
        format!("blake3:{}", self.hash)
    }
}

/// A row's cells read in the file's notation and written as a request
/// writes them (`1.234` in a semicolon file becomes `1234`, `31.12.2024`
/// with day-first dates `2024-12-31`); the rules are the request's.
#[derive(Debug)]
pub(crate) struct Cells<'r> {
    row: &'r Row,
    style: NumberStyle,
}

impl Cells<'_> {
    /// The row's line.
    pub(crate) fn line(&self) -> u64 {
        self.row.line()
    }

    /// A name that must be given (it cannot hold a line break).
    pub(crate) fn text(&self, column: &str, bad: &mut Vec<BadRow>) -> Option<String> {
        match self.row.text(column) {
            Ok(t) => Some(t.to_owned()),
            Err(e) => {
                bad.push(sheet_bad_row(&e));
                None
            }
        }
    }

    /// An optional value, as written.
    pub(crate) fn optional(&self, column: &str) -> Option<String> {
        self.row.optional_text(column).map(str::to_owned)
    }

    /// A whole number: written without thousands separators when the
    /// file's notation reads it, else as written (the request's rule then
    /// says what is wrong with it).
    pub(crate) fn count(&self, column: &str) -> Option<String> {
        let v = self.row.optional_text(column)?;
        Some(match entitle_sheet::parse_count(v, self.style) {
            Ok(n) => n.to_string(),
            Err(_) => v.to_owned(),
        })
    }

    /// An amount: `1234.56` when the file's notation reads it, else as
    /// written.
    pub(crate) fn amount(&self, column: &str) -> Option<String> {
        let v = self.row.optional_text(column)?;
        Some(match entitle_sheet::parse_money(v, self.style) {
            Ok(d) => d.to_string(),
            Err(_) => v.to_owned(),
        })
    }

    /// A date as `YYYY-MM-DD`; one the file's date format does not read
    /// is a bad row (its message says which forms are accepted).
    pub(crate) fn date(&self, column: &str, bad: &mut Vec<BadRow>) -> Option<Option<String>> {
        match self.row.optional_date(column) {
            Ok(d) => Some(d.map(|d| d.to_string())),
            Err(e) => {
                bad.push(sheet_bad_row(&e));
                None
            }
        }
    }

    /// A yes/no value; empty is no.
    pub(crate) fn boolean(&self, column: &str, bad: &mut Vec<BadRow>) -> Option<bool> {
        match self.row.boolean(column) {
            Ok(b) => Some(b),
            Err(e) => {
                bad.push(sheet_bad_row(&e));
                None
            }
        }
    }

    /// A bad value of this row.
    pub(crate) fn bad(&self, column: &str, value: &str, message: String) -> BadRow {
        BadRow {
            line: self.row.line(),
            field: Some(column.to_owned()),
            value: Some(value.to_owned()),
            message,
        }
    }
}

/// A sheet's row error as a bad row.
fn sheet_bad_row(e: &SheetError) -> BadRow {
    let (field, value) = match e.kind() {
        SheetKind::Field(f) => (Some(f.column.clone()), None),
        SheetKind::Missing { column } | SheetKind::LineBreak { column, .. } => {
            (Some(column.clone()), None)
        }
        _ => (None, None),
    };
    BadRow {
        line: e.line().unwrap_or(0),
        field,
        value,
        message: e.kind().to_string(),
    }
}

fn read_error(name: &str, e: std::io::Error) -> Error {
    let kind = if e.kind() == std::io::ErrorKind::NotFound {
        ErrorKind::NotFound
    } else {
        ErrorKind::Io
    };
    Error::new(kind, format!("cannot read {name}: {e}")).at("file")
}

/// BLAKE3 of a file's bytes, lowercase hex, read in bounded memory.
fn file_hash(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(BufReader::with_capacity(1 << 16, File::open(path)?))?;
    Ok(hasher.finalize().to_hex().to_string())
}
