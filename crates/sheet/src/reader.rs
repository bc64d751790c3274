//! The streaming reader: detect encoding, detect the delimiter, match the
//! header, then yield rows one at a time.

use std::fmt;
use std::fs::File;
use std::io::{self, Chain, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::encoding::{self, BadUtf16, TextEncoding, TextReader};
use crate::error::{ErrorKind, FieldError, SheetError, ValueError};
use crate::parse::{parse_bool, parse_count, parse_date, parse_money, DateFormat, NumberStyle};
use crate::schema::{resolve, ColumnMap, Schema};

/// The header line may be at most this long (1 MiB).
const HEADER_LIMIT: usize = 1 << 20;

/// How to read a file, beyond its schema.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// `--map` overrides: which header holds which column.
    pub map: ColumnMap,
    /// Which date forms besides ISO are accepted.
    pub date_format: DateFormat,
    /// How numbers are written; `None` (the default) follows the delimiter:
    /// semicolon → [`NumberStyle::DecimalComma`], otherwise
    /// [`NumberStyle::DecimalPoint`].
    pub numbers: Option<NumberStyle>,
}

#[derive(Debug)]
struct Context {
    file: PathBuf,
    schema: Schema,
    index: Vec<Option<usize>>,
    numbers: NumberStyle,
    date_format: DateFormat,
}

/// The header bytes read ahead, the rest of the text, then one more line
/// end: a record still open at the end of the text (a quote never closed)
/// takes it in, a record ended by its own line end leaves it as a blank line.
type Input<R> = Chain<Chain<Cursor<Vec<u8>>, TextReader<R>>, &'static [u8]>;

/// Reads a CSV file row by row in bounded memory.
///
/// Opening it reads the file once to decide the encoding (see
/// [`TextEncoding`]: a byte order mark decides; otherwise valid UTF-8 is
/// UTF-8 and anything else is Windows-1252), then reads the header line,
/// picks the delimiter (whichever of `;`, `,` and tab occurs most often in it
/// outside quotes; `,` on a tie) and matches the header against the
/// [`Schema`]. Iterating yields one [`Row`] per record; blank rows and rows
/// whose fields are all empty (Excel writes `;;;;`) are skipped.
///
/// Row errors (wrong field count) are yielded and iteration goes on, so a
/// caller can report every bad row; a fatal error (I/O, bad encoding) is
/// yielded once and ends the iteration. See [`SheetError::is_row_error`].
/// A double quote that opens a value and is never closed would take in the
/// rest of the file as that value; it is a row error instead, located on
/// the line of the quote, and the last item yielded.
///
/// # Examples
///
/// ```
/// use entitle_sheet::{Column, Problems, ReadOptions, Schema, SheetReader};
///
/// let csv = "Hersteller;Produkt;Anzahl\nMicrosoft;Visio;1.234\nAdobe;Acrobat;-3\n";
/// let schema = Schema::new([
///     Column::required("vendor").alias("Hersteller"),
///     Column::required("product").alias("Produkt"),
///     Column::required("count").alias("Anzahl"),
/// ]);
/// let reader = SheetReader::from_reader(
///     "usage.csv", std::io::Cursor::new(csv), &schema, &ReadOptions::default())?;
/// let mut problems = Problems::new(1000);
/// let mut total = 0;
/// for row in reader {
///     let Some(row) = problems.check(row) else { continue };
///     if let Some(n) = problems.check(row.count("count")) {
///         total += n;
///     }
/// }
/// assert_eq!(total, 1234);
/// assert_eq!(
///     problems.to_string(),
///     "usage.csv:3: column `count`: `-3` is negative; a count must be 0 or more"
/// );
/// # Ok::<(), entitle_sheet::SheetError>(())
/// ```
pub struct SheetReader<R> {
    ctx: Arc<Context>,
    csv: csv::Reader<Input<R>>,
    headers: Vec<String>,
    header_line: u64,
    encoding: TextEncoding,
    delimiter: u8,
    done: bool,
}

impl<R> fmt::Debug for SheetReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SheetReader")
            .field("file", &self.ctx.file)
            .field("encoding", &self.encoding)
            .field("delimiter", &char::from(self.delimiter))
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl SheetReader<File> {
    /// Opens the file at `path`.
    ///
    /// # Errors
    ///
    /// A [`SheetError`] for a file that cannot be read, is not text in a
    /// known encoding, is empty, or whose header does not match `schema`.
    pub fn open(
        path: impl AsRef<Path>,
        schema: &Schema,
        options: &ReadOptions,
    ) -> Result<Self, SheetError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| SheetError::new(path, None, ErrorKind::Io(e)))?;
        Self::from_reader(path, file, schema, options)
    }
}

impl<R: Read + Seek> SheetReader<R> {
    /// Reads from `reader` (positioned at the start of the file), naming it
    /// `name` in errors. It is read once to detect the encoding, then rewound.
    ///
    /// # Errors
    ///
    /// As [`SheetReader::open`].
    pub fn from_reader(
        name: impl AsRef<Path>,
        mut reader: R,
        schema: &Schema,
        options: &ReadOptions,
    ) -> Result<Self, SheetError> {
        let file = name.as_ref();
        let fail = |line, kind| SheetError::new(file, line, kind);
        let io = |e| fail(None, ErrorKind::Io(e));
        let start = reader.stream_position().map_err(io)?;
        let encoding = encoding::detect(&mut reader).map_err(|(line, kind)| fail(line, kind))?;
        reader.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut text = TextReader::new(reader, encoding).map_err(io)?;

        let (head, line_end) = read_header_line(&mut text).map_err(|e| {
            if is_bad_utf16(&e) {
                fail(Some(1), ErrorKind::InvalidUtf16)
            } else {
                io(e)
            }
        })?;
        let empty = || {
            fail(
                None,
                ErrorKind::Empty {
                    expected: schema
                        .columns()
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
            )
        };
        let line_end = match line_end {
            HeaderEnd::LineEnd(i) => i,
            HeaderEnd::OpenQuote(at) => {
                // The text's line ends are all `\n` (TextReader).
                let line = 1 + head[..at].iter().filter(|&&b| b == b'\n').count() as u64;
                return Err(fail(Some(line), ErrorKind::UnclosedQuote { line }));
            }
            HeaderEnd::Missing if head.iter().all(u8::is_ascii_whitespace) => return Err(empty()),
            HeaderEnd::Missing => {
                return Err(fail(
                    Some(1),
                    ErrorKind::HeaderTooLong {
                        limit: HEADER_LIMIT,
                    },
                ))
            }
        };
        let delimiter = detect_delimiter(&head[..line_end]);
        let numbers = options.numbers.unwrap_or(if delimiter == b';' {
            NumberStyle::DecimalComma
        } else {
            NumberStyle::DecimalPoint
        });
        let csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(64 * 1024)
            .from_reader(Cursor::new(head).chain(text).chain(&b"\n"[..]));
        let mut me = Self {
            ctx: Arc::new(Context {
                file: file.to_path_buf(),
                schema: schema.clone(),
                index: Vec::new(),
                numbers,
                date_format: options.date_format,
            }),
            csv,
            headers: Vec::new(),
            header_line: 1,
            encoding,
            delimiter,
            done: false,
        };
        let Some((line, record)) = me.next_record().transpose()? else {
            return Err(empty());
        };
        me.header_line = line;
        me.headers = record.iter().map(|h| h.trim().to_owned()).collect();
        let index = resolve(file, line, schema, &options.map, &me.headers)?;
        if let Some(ctx) = Arc::get_mut(&mut me.ctx) {
            ctx.index = index;
        }
        Ok(me)
    }
}

impl<R> SheetReader<R> {
    /// The encoding the file was read in.
    #[must_use]
    pub fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    /// The delimiter detected: `b','`, `b';'` or `b'\t'`.
    #[must_use]
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// How numbers are parsed in this file.
    #[must_use]
    pub fn number_style(&self) -> NumberStyle {
        self.ctx.numbers
    }

    /// The header names as found (trimmed).
    #[must_use]
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The 1-based line of the header.
    #[must_use]
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// The header names that no schema column claimed (to warn that they are
    /// ignored).
    #[must_use]
    pub fn unused_headers(&self) -> Vec<&str> {
        self.headers
            .iter()
            .enumerate()
            .filter(|(i, h)| !h.is_empty() && !self.ctx.index.contains(&Some(*i)))
            .map(|(_, h)| h.as_str())
            .collect()
    }

    /// The header name that holds `column`, if the file has it.
    #[must_use]
    pub fn header_of(&self, column: &str) -> Option<&str> {
        let i = self.ctx.schema.position(column)?;
        self.ctx.index[i].map(|h| self.headers[h].as_str())
    }
}

impl<R: Read> SheetReader<R> {
    /// The next non-blank record with the line it starts on.
    fn next_record(&mut self) -> Option<Result<(u64, csv::StringRecord), SheetError>> {
        loop {
            if self.done {
                return None;
            }
            let mut record = csv::StringRecord::new();
            match self.csv.read_record(&mut record) {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Ok(true) => {
                    // The input ends every record with `\n` (TextReader), and
                    // the parser has consumed it: the record started as many
                    // lines back as it holds, plus that one. A record that
                    // ran to the end of the input (a quote never closed) took
                    // every line end in, the extra one after the text too.
                    let embedded: u64 = record
                        .iter()
                        .map(|f| f.bytes().filter(|&b| b == b'\n').count() as u64)
                        .sum();
                    let end = self.csv.position().line();
                    let (text, tail) = self.csv.get_ref().get_ref();
                    let open_at_end = tail.is_empty()
                        && self.csv.position().byte() == text.get_ref().1.emitted() + 1;
                    let line = end
                        .saturating_sub(embedded + u64::from(!open_at_end))
                        .max(1);
                    if open_at_end {
                        // Only a quoted value still open at the end of the
                        // input takes the last line end in, and a quote
                        // opens a value only at its start: the last field
                        // is the open one. The fields before it hold every
                        // line end between the record's start and its quote.
                        self.done = true;
                        let before = record.len().saturating_sub(1);
                        let quote = line
                            + record
                                .iter()
                                .take(before)
                                .map(|f| f.bytes().filter(|&b| b == b'\n').count() as u64)
                                .sum::<u64>();
                        return Some(Err(SheetError::new(
                            &self.ctx.file,
                            Some(quote),
                            ErrorKind::UnclosedQuote { line: quote },
                        )));
                    }
                    if record.iter().all(|f| f.trim().is_empty()) {
                        continue;
                    }
                    return Some(Ok((line, record)));
                }
                Err(e) => {
                    self.done = true;
                    let line = Some(self.csv.position().line());
                    let message = e.to_string();
                    let kind = match e.into_kind() {
                        csv::ErrorKind::Io(e) if is_bad_utf16(&e) => ErrorKind::InvalidUtf16,
                        csv::ErrorKind::Io(e) => ErrorKind::Io(e),
                        _ => ErrorKind::Csv(message),
                    };
                    return Some(Err(SheetError::new(&self.ctx.file, line, kind)));
                }
            }
        }
    }
}

impl<R: Read> Iterator for SheetReader<R> {
    type Item = Result<Row, SheetError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (line, record) = match self.next_record()? {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        if record.len() != self.headers.len() {
            let hint = match (record.len() > self.headers.len(), self.delimiter) {
                (true, b';') => "; is there a `;` in a value that is not in double quotes?",
                (true, b',') => {
                    "; a value with a comma (such as 1,234.56) must be in double quotes"
                }
                (true, _) => "; is there a tab in a value that is not in double quotes?",
                (false, _) => "; is a field missing?",
            };
            return Some(Err(SheetError::new(
                &self.ctx.file,
                Some(line),
                ErrorKind::FieldCount {
                    expected: self.headers.len(),
                    found: record.len(),
                    hint,
                },
            )));
        }
        Some(Ok(Row {
            ctx: Arc::clone(&self.ctx),
            line,
            record,
        }))
    }
}

fn is_bad_utf16(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<BadUtf16>())
}

/// Where the header line ends, as [`read_header_line`] found it.
enum HeaderEnd {
    /// The offset of its line end.
    LineEnd(usize),
    /// The text ended inside quotes opened at this offset.
    OpenQuote(usize),
    /// Neither: the text is blank, or the header is longer than the limit.
    Missing,
}

/// Reads decoded text until the end of the first line (outside quotes).
/// Returns everything read and where that line ends.
fn read_header_line<R: Read>(text: &mut R) -> io::Result<(Vec<u8>, HeaderEnd)> {
    let mut head = Vec::new();
    let mut buf = [0u8; 8192];
    let mut quote_at = None;
    let mut scanned = 0;
    loop {
        for (i, &b) in head.iter().enumerate().skip(scanned) {
            match b {
                b'"' => quote_at = if quote_at.is_some() { None } else { Some(i) },
                b'\n' if quote_at.is_none() => {
                    // Blank lines before the header do not count as its end.
                    if head[..i].iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Ok((head, HeaderEnd::LineEnd(i)));
                }
                _ => {}
            }
        }
        scanned = head.len();
        if head.len() > HEADER_LIMIT {
            return Ok((head, HeaderEnd::Missing));
        }
        let n = text.read(&mut buf)?;
        if n == 0 {
            let end = quote_at.map_or(HeaderEnd::Missing, HeaderEnd::OpenQuote);
            return Ok((head, end));
        }
        head.extend_from_slice(&buf[..n]);
    }
}

fn detect_delimiter(line: &[u8]) -> u8 {
    let (mut comma, mut semi, mut tab, mut quoted) = (0, 0, 0, false);
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => comma += 1,
            b';' if !quoted => semi += 1,
            b'\t' if !quoted => tab += 1,
            _ => {}
        }
    }
    if tab > comma && tab > semi {
        b'\t'
    } else if semi > comma {
        b';'
    } else {
        b','
    }
}

/// One record of the file, with its fields by schema column.
///
/// Values are trimmed of surrounding whitespace. The typed getters return a
/// [`SheetError`] that renders as `FILE:LINE: column `name`: what is wrong`.
#[derive(Debug, Clone)]
pub struct Row {
    ctx: Arc<Context>,
    line: u64,
    record: csv::StringRecord,
}

impl Row {
    /// The 1-based physical line the record starts on.
    #[must_use]
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The value of `column` (trimmed), or `None` if the file does not have
    /// that column (an optional column, or a name not in the schema).
    #[must_use]
    pub fn get(&self, column: &str) -> Option<&str> {
        self.record.get(self.field(column)?).map(str::trim)
    }

    /// Which field of the record holds `column`.
    fn field(&self, column: &str) -> Option<usize> {
        let i = self.ctx.schema.position(column)?;
        self.ctx.index.get(i).copied().flatten()
    }

    /// The value of `column`, or `None` if the column is absent or the value
    /// empty.
    #[must_use]
    pub fn optional_text(&self, column: &str) -> Option<&str> {
        self.get(column).filter(|s| !s.is_empty())
    }

    /// The value of `column`: a name, which must not be empty and cannot
    /// hold a line break.
    ///
    /// # Errors
    ///
    /// "column `x` is empty" if it is empty or absent; a value over several
    /// lines (two stray quotes that joined the lines between them).
    pub fn text(&self, column: &str) -> Result<&str, SheetError> {
        let value = self.optional_text(column).ok_or_else(|| {
            self.error(ErrorKind::Missing {
                column: column.to_owned(),
            })
        })?;
        if let Some(field) = self.field(column).filter(|_| value.contains('\n')) {
            // Quoted values before it (a note) may span lines too.
            let before: usize = (0..field)
                .filter_map(|i| self.record.get(i))
                .map(line_breaks)
                .sum();
            let first = self.line + before as u64;
            let within = self.record.get(field).map_or(0, line_breaks);
            return Err(self.error(ErrorKind::LineBreak {
                column: column.to_owned(),
                first,
                last: first + within as u64,
            }));
        }
        Ok(value)
    }

    /// Parses a required value with the caller's own parser (a metric, a
    /// currency code…), locating its error.
    ///
    /// # Errors
    ///
    /// The value is empty or `parse` rejects it.
    pub fn parse_with<T>(
        &self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Result<T, SheetError> {
        let value = self.text(column)?;
        parse(value).map_err(|problem| self.field_error(column, problem))
    }

    /// Parses an optional value with the caller's own parser: `Ok(None)` if
    /// the column is absent or the value empty.
    ///
    /// # Errors
    ///
    /// `parse` rejects the value.
    pub fn parse_optional_with<T>(
        &self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Result<Option<T>, SheetError> {
        self.optional_text(column)
            .map(|value| parse(value).map_err(|problem| self.field_error(column, problem)))
            .transpose()
    }

    /// A count (see [`parse_count`]) in the file's [`NumberStyle`].
    ///
    /// # Errors
    ///
    /// Empty, not a whole number, negative, too large.
    pub fn count(&self, column: &str) -> Result<u64, SheetError> {
        let style = self.ctx.numbers;
        self.parse_with(column, |s| parse_count(s, style))
    }

    /// A count, or `None` if absent or empty.
    ///
    /// # Errors
    ///
    /// As [`Row::count`] for a non-empty value.
    pub fn optional_count(&self, column: &str) -> Result<Option<u64>, SheetError> {
        let style = self.ctx.numbers;
        self.parse_optional_with(column, |s| parse_count(s, style))
    }

    /// An amount of money (see [`parse_money`]) in the file's [`NumberStyle`].
    ///
    /// # Errors
    ///
    /// Empty, or not an amount as the file writes them.
    pub fn money(&self, column: &str) -> Result<Decimal, SheetError> {
        let style = self.ctx.numbers;
        self.parse_with(column, |s| parse_money(s, style))
    }

    /// An amount, or `None` if absent or empty.
    ///
    /// # Errors
    ///
    /// As [`Row::money`] for a non-empty value.
    pub fn optional_money(&self, column: &str) -> Result<Option<Decimal>, SheetError> {
        let style = self.ctx.numbers;
        self.parse_optional_with(column, |s| parse_money(s, style))
    }

    /// A date (see [`parse_date`]) in the reader's [`DateFormat`].
    ///
    /// # Errors
    ///
    /// Empty, impossible, or in a form the [`DateFormat`] does not allow.
    pub fn date(&self, column: &str) -> Result<Date, SheetError> {
        let format = self.ctx.date_format;
        self.parse_with(column, |s| parse_date(s, format))
    }

    /// A date, or `None` if absent or empty.
    ///
    /// # Errors
    ///
    /// As [`Row::date`] for a non-empty value.
    pub fn optional_date(&self, column: &str) -> Result<Option<Date>, SheetError> {
        let format = self.ctx.date_format;
        self.parse_optional_with(column, |s| parse_date(s, format))
    }

    /// A yes/no value (see [`parse_bool`]); absent or empty is `false`.
    ///
    /// # Errors
    ///
    /// A value that is not one of the accepted words.
    pub fn boolean(&self, column: &str) -> Result<bool, SheetError> {
        Ok(self
            .parse_optional_with(column, parse_bool)?
            .unwrap_or(false))
    }

    /// An error about `column` of this row, for the caller's own checks.
    #[must_use]
    pub fn field_error(&self, column: &str, problem: ValueError) -> SheetError {
        self.error(ErrorKind::Field(FieldError {
            column: column.to_owned(),
            problem,
        }))
    }

    /// An error about this row as a whole (e.g. "end 2024-01-01 is before
    /// start 2024-06-01"), rendered `FILE:LINE: message`.
    #[must_use]
    pub fn invalid(&self, message: impl Into<String>) -> SheetError {
        self.error(ErrorKind::Invalid(message.into()))
    }

    fn error(&self, kind: ErrorKind) -> SheetError {
        SheetError::new(&self.ctx.file, Some(self.line), kind)
    }
}

/// Line breaks in a value (the text reader has turned CRLF and lone CR
/// into LF already).
fn line_breaks(value: &str) -> usize {
    value.bytes().filter(|&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Column;

    fn read(text: &[u8]) -> Vec<(u64, String)> {
        let schema = Schema::new([Column::required("a"), Column::optional("b")]);
        SheetReader::from_reader(
            "t.csv",
            Cursor::new(text.to_vec()),
            &schema,
            &ReadOptions::default(),
        )
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            (r.line(), r.get("a").unwrap().to_owned())
        })
        .collect()
    }

    #[test]
    fn physical_lines() {
        let want = vec![
            (4, "x".to_owned()),
            (5, "multi\nline".to_owned()),
            (9, "z".to_owned()),
        ];
        assert_eq!(read(b"\n\na;b\nx;1\n\"multi\nline\";2\n\n;\nz;3"), want);
        assert_eq!(
            read(b"\r\n\r\na;b\r\nx;1\r\n\"multi\r\nline\";2\r\n\r\n;\r\nz;3\r\n"),
            want
        );
        assert_eq!(read(b"\r\ra;b\rx;1\r\"multi\rline\";2\r\r;\rz;3\r"), want);
    }

    #[test]
    fn a_name_joined_over_lines_by_stray_quotes_names_both_lines() {
        let schema = Schema::new([Column::required("a"), Column::optional("b")]);
        let text = b"a;b\nok;0\n\"x;1\r\ny;2\nz\";3\nlast;4\n";
        let rows: Vec<Row> = SheetReader::from_reader(
            "t.csv",
            Cursor::new(text.to_vec()),
            &schema,
            &ReadOptions::default(),
        )
        .unwrap()
        .map(Result::unwrap)
        .collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].text("a").unwrap(), "ok");
        let err = rows[1].text("a").unwrap_err().to_string();
        assert!(
            err.starts_with("t.csv:3: column `a` runs from line 3 to line 5, but a name cannot hold a line break;"),
            "{err}"
        );
        assert_eq!(rows[1].get("b"), Some("3"));
        assert_eq!((rows[2].line(), rows[2].text("a").unwrap()), (6, "last"));
    }

    #[test]
    fn a_name_over_lines_after_a_note_over_lines_names_its_own_lines() {
        let schema = Schema::new([Column::required("a"), Column::optional("b")]);
        let text = b"b;a\n\"n1\nn2\";\"x\ny\"\n";
        let row = SheetReader::from_reader(
            "t.csv",
            Cursor::new(text.to_vec()),
            &schema,
            &ReadOptions::default(),
        )
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
        assert_eq!(row.get("b"), Some("n1\nn2"), "a note may span lines");
        let err = row.text("a").unwrap_err().to_string();
        assert!(
            err.starts_with("t.csv:2: column `a` runs from line 3 to line 4,"),
            "{err}"
        );
    }

    /// A row's line and value of `a`, or an error's text and whether it is
    /// a row error.
    type Item = Result<(u64, String), (String, bool)>;

    /// Each item read, or the error opening the file.
    fn items(text: &[u8]) -> Result<Vec<Item>, String> {
        let schema = Schema::new([Column::required("a"), Column::optional("b")]);
        let reader = SheetReader::from_reader(
            "t.csv",
            Cursor::new(text.to_vec()),
            &schema,
            &ReadOptions::default(),
        )
        .map_err(|e| e.to_string())?;
        Ok(reader
            .map(|r| match r {
                Ok(r) => Ok((r.line(), r.get("a").unwrap().to_owned())),
                Err(e) => Err((e.to_string(), e.is_row_error())),
            })
            .collect())
    }

    fn unclosed(line: u64) -> Item {
        Err((
            format!("t.csv:{line}: a quote opened on line {line} is never closed; close it or remove it"),
            true,
        ))
    }

    #[test]
    fn a_quote_never_closed_is_a_row_error_where_it_opens() {
        let ok = |line, a: &str| Ok((line, a.to_owned()));
        for end in ["\n", "\r\n", "\r"] {
            let text = ["a;b", "x;1", "y;\"open", "z;3", "w;4"].join(end);
            assert_eq!(
                items(text.as_bytes()),
                Ok(vec![ok(2, "x"), unclosed(3)]),
                "{end:?}"
            );
            let text = text + end;
            assert_eq!(items(text.as_bytes()), Ok(vec![ok(2, "x"), unclosed(3)]));
        }
        // In the first field; after a closed multi-line value of the same
        // record (the quote is on the record's second line); at the very end.
        assert_eq!(items(b"a;b\n\"open;1\nz;3\n"), Ok(vec![unclosed(2)]));
        assert_eq!(
            items(b"a;b\n\"multi\nline\";\"open\nz;3\n"),
            Ok(vec![unclosed(3)])
        );
        assert_eq!(items(b"a;b\nx;1\n\n\""), Ok(vec![ok(2, "x"), unclosed(4)]));
        // Closed, even far below, it is one value.
        assert_eq!(
            items(b"a;b\n\"one\n\ntwo\";1\nz;3\n"),
            Ok(vec![ok(2, "one\n\ntwo"), ok(5, "z")])
        );
    }

    #[test]
    fn a_quote_never_closed_in_the_header() {
        let message = |line: u64| {
            Err(format!(
                "t.csv:{line}: a quote opened on line {line} is never closed; close it or remove it"
            ))
        };
        assert_eq!(items(b"a;\"b\nx;1\n"), message(1));
        assert_eq!(items(b"\r\n\r\na;\"b\r\nx;1"), message(3));
        // Quoted line ends in a header are fine when closed.
        assert_eq!(
            items(b"a;\"b\nc\"\nx;1\n"),
            Ok(vec![Ok((3, "x".to_owned()))])
        );
    }

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter(b"a;b;c"), b';');
        assert_eq!(detect_delimiter(b"a,b,c"), b',');
        assert_eq!(detect_delimiter(b"\"x;y\",b"), b',');
        assert_eq!(detect_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(detect_delimiter(b"a"), b',');
    }
}
