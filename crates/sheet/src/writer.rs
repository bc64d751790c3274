//! CSV output that Excel opens correctly.

use std::fmt;
use std::io::{self, Write};

/// Writes RFC 4180 CSV for people who live in Excel: UTF-8 with a byte order
/// mark (without it Excel reads UTF-8 as the local ANSI code page and shows
/// `MÃ¼ller`), CRLF line ends, fields quoted only where needed (a delimiter,
/// a quote or a line break).
///
/// Excel splits a double-clicked CSV file on the list separator of the
/// user's locale: `,` in English, `;` in German. [`CsvWriter::new`] writes
/// commas (RFC 4180); [`CsvWriter::with_delimiter`] with `b';'` writes what a
/// German Excel expects. (A `sep=;` first line would also work, but Excel then
/// ignores the byte order mark and breaks umlauts, so it is not used.)
///
/// Cells that Excel would run as a formula (starting with `=`, `+`, `-`, `@`,
/// tab or carriage return and not a plain number) are prefixed with `'` so a
/// value imported from elsewhere cannot become a live formula (CSV injection);
/// turn this off with [`CsvWriter::guard_formulas`].
///
/// # Examples
///
/// ```
/// use entitle_sheet::CsvWriter;
/// let mut w = CsvWriter::new(Vec::new())?;
/// w.write_record(["vendor", "amount"])?;
/// w.write_record(["Müller, GmbH", "1234.56"])?;
/// let bytes = w.finish()?;
/// assert_eq!(bytes, "\u{feff}vendor,amount\r\n\"Müller, GmbH\",1234.56\r\n".as_bytes());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
    guard: bool,
    scratch: Vec<String>,
}

impl<W: Write> fmt::Debug for CsvWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvWriter")
            .field("guard_formulas", &self.guard)
            .finish_non_exhaustive()
    }
}

impl<W: Write> CsvWriter<W> {
    /// A comma-separated writer; writes the byte order mark at once.
    ///
    /// # Errors
    ///
    /// Writing the byte order mark failed.
    pub fn new(out: W) -> io::Result<Self> {
        Self::with_delimiter(out, b',')
    }

    /// A writer with this delimiter (`b','` or `b';'`); writes the byte order
    /// mark at once.
    ///
    /// # Errors
    ///
    /// Writing the byte order mark failed.
    pub fn with_delimiter(mut out: W, delimiter: u8) -> io::Result<Self> {
        out.write_all("\u{feff}".as_bytes())?;
        let inner = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .flexible(true)
            .from_writer(out);
        Ok(Self {
            inner,
            guard: true,
            scratch: Vec::new(),
        })
    }

    /// Whether to prefix would-be formulas with `'` (default: yes).
    #[must_use]
    pub fn guard_formulas(mut self, yes: bool) -> Self {
        self.guard = yes;
        self
    }

    /// Writes one record.
    ///
    /// # Errors
    ///
    /// The underlying writer failed.
    pub fn write_record<I, T>(&mut self, fields: I) -> io::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.scratch.clear();
        for field in fields {
            let field = field.as_ref();
            let mut cell = String::with_capacity(field.len() + 1);
            if self.guard && looks_like_formula(field) {
                cell.push('\'');
            }
            cell.push_str(field);
            self.scratch.push(cell);
        }
        self.inner.write_record(&self.scratch).map_err(into_io)
    }

    /// Flushes and returns the underlying writer.
    ///
    /// # Errors
    ///
    /// Flushing failed.
    pub fn finish(self) -> io::Result<W> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

fn into_io(e: csv::Error) -> io::Error {
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        _ => io::Error::other(message),
    }
}

fn looks_like_formula(field: &str) -> bool {
    match field.as_bytes().first() {
        Some(b'=' | b'@' | b'\t' | b'\r') => true,
        Some(b'+' | b'-') => {
            let rest = &field[1..];
            let plain_number = !rest.is_empty()
                && rest.bytes().any(|b| b.is_ascii_digit())
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b',');
            !plain_number
        }
        _ => false,
    }
}
