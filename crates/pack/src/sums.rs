//! `BLAKE3SUMS`: one line per file, exactly as `b3sum` prints it, so that
//! `b3sum --check BLAKE3SUMS` run inside the pack verifies every file.
//!
//! A line is `<64 lowercase hex>  <path>` (two spaces). Like `b3sum`, a path
//! containing a backslash, line feed or carriage return is escaped (`\\`,
//! `\n`, `\r`) and its line starts with a backslash. Pack paths never
//! contain these characters (see [`check_portable_path`](crate::check_portable_path)),
//! but the parser accepts escaped lines that `b3sum` may have written.

use std::collections::{BTreeMap, BTreeSet};

use entitle_core::chain::{from_hex, to_hex, Hash32};

/// The name of the sums file at the root of a pack.
pub const SUMS_FILE: &str = "BLAKE3SUMS";

/// One `b3sum` line for `path` (with its line feed).
#[must_use]
pub fn sums_line(path: &str, hash: &Hash32) -> String {
    if path.contains(['\\', '\n', '\r']) {
        let escaped = path
            .replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        format!("\\{}  {escaped}\n", to_hex(hash))
    } else {
        format!("{}  {path}\n", to_hex(hash))
    }
}

/// Renders a whole sums file, one line per entry, sorted by path.
///
/// # Examples
///
/// ```
/// let text = entitle_pack::render_sums([("a.txt", blake3::hash(b"a").into())]);
/// assert_eq!(text, format!("{}  a.txt\n", blake3::hash(b"a").to_hex()));
/// ```
#[must_use]
pub fn render_sums<'a>(entries: impl IntoIterator<Item = (&'a str, Hash32)>) -> String {
    let sorted: BTreeMap<&str, Hash32> = entries.into_iter().collect();
    let mut out = String::new();
    for (path, hash) in sorted {
        out.push_str(&sums_line(path, &hash));
    }
    out
}

/// A sums file that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SumsError {
    /// A line that is not `<hex>  <path>`.
    #[error("BLAKE3SUMS line {line}: {problem}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
}

/// Parses a sums file into (path, hash) pairs in file order.
///
/// # Errors
///
/// [`SumsError::Line`] for a malformed line or a path listed twice.
pub fn parse_sums(text: &str) -> Result<Vec<(String, Hash32)>, SumsError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, raw) in text.split_terminator('\n').enumerate() {
        let line = i + 1;
        let err = |problem: &str| SumsError::Line {
            line,
            problem: problem.to_owned(),
        };
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (escaped, rest) = match raw.strip_prefix('\\') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let (Some(hex), Some(path)) = (rest.get(..64), rest.get(64..)) else {
            return Err(err("expected 64 hex digits, two spaces and a path"));
        };
        let Some(path) = path.strip_prefix("  ") else {
            return Err(err("expected two spaces after the hash"));
        };
        let hash = (!hex.bytes().any(|b| b.is_ascii_uppercase()))
            .then(|| from_hex(hex))
            .flatten()
            .ok_or_else(|| err("the hash is not 64 lowercase hex digits"))?;
        let path = if escaped {
            unescape(path).ok_or_else(|| err("invalid backslash escape in the path"))?
        } else {
            path.to_owned()
        };
        if path.is_empty() {
            return Err(err("empty path"));
        }
        if !seen.insert(path.clone()) {
            return Err(err(&format!("`{path}` is listed twice")));
        }
        out.push((path, hash));
    }
    Ok(out)
}

fn unescape(path: &str) -> Option<String> {
    let mut out = String::with_capacity(path.len());
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                '\\' => out.push('\\'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// The outcome of checking a sums file against the files present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SumsReport {
    /// Listed and matching.
    pub ok: Vec<String>,
    /// Listed but not present.
    pub missing: Vec<String>,
    /// Listed and present, with other contents.
    pub altered: Vec<String>,
    /// Present but not listed (the sums file itself excepted).
    pub extra: Vec<String>,
}

impl SumsReport {
    /// True when nothing is missing, altered or extra.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.missing.is_empty() && self.altered.is_empty() && self.extra.is_empty()
    }

    /// One line per problem (`missing: <path>`, `altered: <path>`,
    /// `extra: <path>`), for printing.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (what, list) in [
            (
                "missing (listed in BLAKE3SUMS, not in the pack)",
                &self.missing,
            ),
            ("altered (does not match BLAKE3SUMS)", &self.altered),
            ("extra (in the pack, not listed in BLAKE3SUMS)", &self.extra),
        ] {
            for path in list {
                out.push(format!("{what}: {path}"));
            }
        }
        out
    }
}

/// Checks `sums_text` against the files present (`path → BLAKE3`, the sums
/// file itself may be included and is ignored). Every file is named.
///
/// # Errors
///
/// [`SumsError`] when the sums file cannot be parsed.
pub fn check_sums(
    sums_text: &str,
    present: &BTreeMap<String, Hash32>,
) -> Result<SumsReport, SumsError> {
    let listed = parse_sums(sums_text)?;
    let mut report = SumsReport::default();
    let mut listed_paths = BTreeSet::new();
    for (path, hash) in listed {
        match present.get(&path) {
            None => report.missing.push(path.clone()),
            Some(actual) if *actual == hash => report.ok.push(path.clone()),
            Some(_) => report.altered.push(path.clone()),
        }
        listed_paths.insert(path);
    }
    report.extra = present
        .keys()
        .filter(|p| p.as_str() != SUMS_FILE && !listed_paths.contains(*p))
        .cloned()
        .collect();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_b3sum() {
        let h = [1u8; 32];
        assert_eq!(sums_line("a b", &h), format!("{}  a b\n", to_hex(&h)));
        assert_eq!(
            sums_line("a\\b\nc", &h),
            format!("\\{}  a\\\\b\\nc\n", to_hex(&h))
        );
        let parsed = parse_sums(&sums_line("a\\b\nc\rd", &h)).unwrap();
        assert_eq!(parsed, vec![("a\\b\nc\rd".to_owned(), h)]);
    }

    #[test]
    fn check_names_each_problem() {
        let a = [1u8; 32];
        let b = [2u8; 32];
        let text = render_sums([("a", a), ("b", b), ("gone", a)]);
        let present: BTreeMap<String, Hash32> = [
            ("a".to_owned(), a),
            ("b".to_owned(), a),
            ("new".to_owned(), b),
            (SUMS_FILE.to_owned(), b),
        ]
        .into();
        let report = check_sums(&text, &present).unwrap();
        assert_eq!(report.ok, ["a"]);
        assert_eq!(report.altered, ["b"]);
        assert_eq!(report.missing, ["gone"]);
        assert_eq!(report.extra, ["new"]);
        assert!(!report.is_ok());
    }

    #[test]
    fn parse_errors() {
        let h = to_hex(&[0xabu8; 32]);
        for (text, want) in [
            (
                "short\n".to_owned(),
                "BLAKE3SUMS line 1: expected 64 hex digits, two spaces and a path",
            ),
            (
                format!("{h} x\n"),
                "BLAKE3SUMS line 1: expected two spaces after the hash",
            ),
            (
                format!("{h}  x\n{h}  x\n"),
                "BLAKE3SUMS line 2: `x` is listed twice",
            ),
            (
                format!("{}  x\n", h.to_uppercase()),
                "BLAKE3SUMS line 1: the hash is not 64 lowercase hex digits",
            ),
        ] {
            assert_eq!(parse_sums(&text).unwrap_err().to_string(), want);
        }
    }
}
