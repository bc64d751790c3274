//! Errors, each rendered as `FILE:LINE: what is wrong`, and [`Problems`], a
//! bounded collector for reporting every bad row of a file at once.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// An error reading a spreadsheet, located in its file and (when it concerns
/// one) its 1-based physical line.
///
/// Renders as `FILE:LINE: what is wrong` (or `FILE: what is wrong` when no
/// line is involved, e.g. the file cannot be opened).
#[derive(Debug)]
pub struct SheetError(Box<Located>);

/// Boxed so that `Result<T, SheetError>` stays one pointer wide.
#[derive(Debug)]
struct Located {
    file: PathBuf,
    line: Option<u64>,
    kind: ErrorKind,
}

impl SheetError {
    pub(crate) fn new(file: &Path, line: Option<u64>, kind: ErrorKind) -> Self {
        Self(Box::new(Located {
            file: file.to_path_buf(),
            line,
            kind,
        }))
    }

    /// The file as the caller named it.
    #[must_use]
    pub fn file(&self) -> &Path {
        &self.0.file
    }

    /// The 1-based physical line the error is on, if it concerns one.
    #[must_use]
    pub fn line(&self) -> Option<u64> {
        self.0.line
    }

    /// What is wrong.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// What to do about a header that does not fit, when a column map
    /// entry would mend it: the words before the example, and an example
    /// entry (`("if one of them holds it, name it in the column map",
    /// "vendor=Publisher")`). The front-end names its column-map option.
    #[must_use]
    pub fn map_hint(&self) -> Option<(&'static str, String)> {
        match &self.0.kind {
            ErrorKind::MissingColumns { example, .. } => Some((
                "if one of them holds it, name it in the column map",
                example.clone(),
            )),
            ErrorKind::AmbiguousHeader { header, first, .. } => Some((
                "say which in the column map",
                format!("{first}=\"{header}\""),
            )),
            _ => None,
        }
    }

    /// Whether the error is about an entry of the column map.
    #[must_use]
    pub fn is_map_error(&self) -> bool {
        matches!(
            self.0.kind,
            ErrorKind::MapUnknownColumn { .. } | ErrorKind::MapUnknownHeader { .. }
        )
    }

    /// Whether reading can go on after this error.
    ///
    /// Row errors (wrong field count, a bad value, a quote never closed) are
    /// not fatal: the row iterator continues with the next row, so a caller
    /// can report every bad row. Everything else (I/O, encoding, header)
    /// ends the file. A quote never closed takes in the rest of the file, so
    /// it is always the last item; as a row error it is reported together
    /// with the bad rows before it.
    #[must_use]
    pub fn is_row_error(&self) -> bool {
        matches!(
            self.0.kind,
            ErrorKind::FieldCount { .. }
                | ErrorKind::UnclosedQuote { .. }
                | ErrorKind::Field(_)
                | ErrorKind::Missing { .. }
                | ErrorKind::LineBreak { .. }
                | ErrorKind::Invalid(_)
        )
    }
}

impl fmt::Display for SheetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.0;
        match e.line {
            Some(line) => write!(f, "{}:{line}: {}", e.file.display(), e.kind),
            None => write!(f, "{}: {}", e.file.display(), e.kind),
        }
    }
}

impl std::error::Error for SheetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// What is wrong with a spreadsheet (the part after `FILE:LINE: `).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be opened or read.
    #[error("cannot read the file: {0}")]
    Io(#[source] io::Error),
    /// The file has no header line.
    #[error("the file is empty; expected a header line naming the columns {expected}")]
    Empty {
        /// The schema's columns, listed for the message.
        expected: String,
    },
    /// The file contains a NUL byte: it is binary, or UTF-16 without a BOM.
    #[error(
        "this is not a text file (NUL byte); if it is UTF-16 text, save it with a byte order mark, or as UTF-8"
    )]
    NotText,
    /// A UTF-8 file (it starts with a UTF-8 byte order mark) holds bytes that are not UTF-8.
    #[error("byte 0x{byte:02X} is not UTF-8, although the file starts with a UTF-8 byte order mark; save it again as UTF-8")]
    InvalidUtf8 {
        /// The first offending byte.
        byte: u8,
    },
    /// The file mixes UTF-8 text with bytes that are not UTF-8.
    #[error("the file mixes encodings: line {utf8_line} is UTF-8 (`{utf8_char}`) but this line has byte 0x{byte:02X}, which is not; save the whole file as UTF-8")]
    MixedEncoding {
        /// A line with valid multi-byte UTF-8.
        utf8_line: u64,
        /// The character found there.
        utf8_char: char,
        /// The first byte that is not UTF-8.
        byte: u8,
    },
    /// The file is neither UTF-8 nor Windows-1252.
    #[error(
        "byte 0x{byte:02X} is neither UTF-8 nor a Windows-1252 character; save the file as UTF-8"
    )]
    Undecodable {
        /// The offending byte.
        byte: u8,
    },
    /// UTF-16 text (announced by its byte order mark) that is not valid UTF-16.
    #[error("invalid UTF-16 (unpaired surrogate), although the file starts with a UTF-16 byte order mark; save it again as UTF-8")]
    InvalidUtf16,
    /// The header line is unreasonably long (probably not a CSV file).
    #[error("the header line is longer than {limit} bytes; is this a CSV file?")]
    HeaderTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// Required columns are absent from the header.
    #[error("missing required column{} {missing}; columns found: {found}", if *.count > 1 { "s" } else { "" })]
    MissingColumns {
        /// How many are missing.
        count: usize,
        /// The missing columns, with their accepted names.
        missing: String,
        /// The header names found in the file.
        found: String,
        /// An example column map entry (`vendor=Publisher`).
        example: String,
    },
    /// Two header columns mean the same schema column.
    #[error("columns {first} (`{first_name}`) and {second} (`{second_name}`) both mean `{column}`; remove or rename one of them")]
    DuplicateColumn {
        /// The schema column.
        column: String,
        /// 1-based position of the first.
        first: usize,
        /// Its header text.
        first_name: String,
        /// 1-based position of the second.
        second: usize,
        /// Its header text.
        second_name: String,
    },
    /// One header column matches two schema columns (through aliases or `--map`).
    #[error("column {position} (`{header}`) could mean `{first}` or `{second}`")]
    AmbiguousHeader {
        /// 1-based position of the header column.
        position: usize,
        /// Its header text.
        header: String,
        /// One schema column it matches.
        first: String,
        /// Another.
        second: String,
    },
    /// A `--map` entry names a column the schema does not have.
    #[error(
        "column map {entry}: `{column}` is not a column of this import; its columns are {expected}"
    )]
    MapUnknownColumn {
        /// The `--map` entry as written.
        entry: String,
        /// The unknown column.
        column: String,
        /// The schema's columns.
        expected: String,
    },
    /// A `--map` entry names a header the file does not have.
    #[error("column map {entry}: the file has no column `{header}`; columns found: {found}")]
    MapUnknownHeader {
        /// The `--map` entry as written.
        entry: String,
        /// The header that was not found.
        header: String,
        /// The header names found in the file.
        found: String,
    },
    /// A row has more or fewer fields than the header.
    #[error("this row has {found} field{} but the header has {expected}{hint}", if *.found == 1 { "" } else { "s" })]
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
        /// A hint about the likely cause.
        hint: &'static str,
    },
    /// A double quote opens a value and nothing closes it: the value would
    /// run to the end of the file, taking in every line after it.
    #[error("a quote opened on line {line} is never closed; close it or remove it")]
    UnclosedQuote {
        /// The 1-based physical line of the opening quote.
        line: u64,
    },
    /// A name runs over several lines: quoted values may hold line breaks,
    /// but a name never does, so two stray quotes took in the lines
    /// between them.
    #[error("column `{column}` runs from line {first} to line {last}, but a name cannot hold a line break; a stray double quote (\") on line {first} and another on line {last} probably joined these lines into one row: remove them")]
    LineBreak {
        /// The column.
        column: String,
        /// The line the value starts on.
        first: u64,
        /// The line the value ends on.
        last: u64,
    },
    /// A required value is empty.
    #[error("column `{column}` is empty")]
    Missing {
        /// The column.
        column: String,
    },
    /// A value could not be parsed.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A problem with a row that the caller found (e.g. end before start).
    #[error("{0}")]
    Invalid(String),
    /// The CSV could not be parsed.
    #[error("cannot parse CSV: {0}")]
    Csv(String),
}

/// A value in a named column that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column `{column}`: {problem}")]
pub struct FieldError {
    /// The schema column.
    pub column: String,
    /// What is wrong with the value (it names the value).
    pub problem: ValueError,
}

/// What is wrong with a single value; returned by the `parse_*` functions.
///
/// The message names the value and, where it helps, says how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    message: String,
}

impl ValueError {
    /// A value error with this message; for callers' own parsers used with
    /// [`Row::parse_with`](crate::Row::parse_with). Name the value in it.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message, e.g. ``"`-3` is negative; a count must be 0 or more"``.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// An error in a `--map` argument, naming the bad part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MapError {
    /// An entry has no `=`.
    #[error("column map entry `{0}` has no `=`; write COLUMN=HEADER, e.g. count=Installations")]
    NoEquals(String),
    /// An entry has nothing before or after the `=`.
    #[error("column map entry `{0}` is incomplete; write COLUMN=HEADER, e.g. count=Installations")]
    Empty(String),
    /// A column is mapped twice.
    #[error("the column map names column `{0}` twice")]
    Twice(String),
}

/// Collects errors so that all bad rows of a file can be reported together,
/// keeping at most `limit` of them (a 200 MB file of bad rows must not
/// exhaust memory) while counting all.
///
/// Its `Display` prints one error per line, then `… and N more errors`.
///
/// # Examples
///
/// ```
/// use entitle_sheet::Problems;
/// let problems = Problems::new(100);
/// assert!(problems.is_empty());
/// assert_eq!(problems.to_string(), "");
/// ```
#[derive(Debug)]
pub struct Problems {
    kept: Vec<SheetError>,
    total: u64,
    limit: usize,
}

impl Problems {
    /// A collector that keeps the first `limit` errors.
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self {
            kept: Vec::new(),
            total: 0,
            limit,
        }
    }

    /// Records an error.
    pub fn push(&mut self, error: SheetError) {
        self.total += 1;
        if self.kept.len() < self.limit {
            self.kept.push(error);
        }
    }

    /// Records the error of `result`, if any, and returns its value.
    pub fn check<T>(&mut self, result: Result<T, SheetError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }

    /// No error recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// How many errors were recorded (kept or not).
    #[must_use]
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The errors kept, in the order recorded.
    #[must_use]
    pub fn errors(&self) -> &[SheetError] {
        &self.kept
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.kept.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        let rest = self.total - self.kept.len() as u64;
        if rest > 0 {
            write!(
                f,
                "\n… and {rest} more error{}",
                if rest == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}
