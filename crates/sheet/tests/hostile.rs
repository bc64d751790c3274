//! Hostile input for the CSV reader, in place of a fuzz target (cargo-fuzz
//! needs nightly; CI is stable).
//!
//! Arbitrary bytes, and valid files with random damage, are written to a
//! real file and read with [`SheetReader::open`] as an import would. For
//! every input: no panic; every error renders as `FILE:LINE: …` with a line
//! the file has (or `FILE: …` for a file-level error); rows and row errors
//! come in line order after the header; encoding errors name exactly the
//! line of the first offending byte (bad UTF-16 too, once past the header);
//! a fatal error ends the rows. Valid generated files, quoted or not, in
//! every supported encoding, yield exactly their rows, on their physical
//! lines, with their values.

use std::path::{Path, PathBuf};

use entitle_sheet::{
    parse_bool, parse_count, parse_date, parse_money, Column, DateFormat, ErrorKind, NumberStyle,
    ReadOptions, Schema, SheetError, SheetReader, TextEncoding,
};
use jiff::civil::Date;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const HEADER: [&str; 6] = ["vendor", "product", "metric", "count", "date", "notes"];

fn schema() -> Schema {
    Schema::new([
        Column::required("vendor"),
        Column::required("product"),
        Column::required("metric"),
        Column::required("count"),
        Column::required("date"),
        Column::optional("notes"),
    ])
}

/// A fresh directory holding the input as a real file, as an import reads it.
struct Input {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Input {
    fn new(bytes: &[u8]) -> Input {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("hostile.csv");
        std::fs::write(&path, bytes).expect("write the input");
        Input { _dir: dir, path }
    }
}

// ---------------------------------------------------------------------------
// Independent oracles: physical lines, and where the encoding rule fails.

/// Physical lines as an editor shows them: `\r\n`, `\r` and `\n` end a line;
/// text after the last line end is one more line.
fn count_lines(units: impl Iterator<Item = u32>) -> u64 {
    let (mut lines, mut open, mut after_cr) = (0, false, false);
    for u in units {
        match u {
            0x0D => {
                lines += 1;
                open = false;
            }
            0x0A if after_cr => {}
            0x0A => {
                lines += 1;
                open = false;
            }
            _ => open = true,
        }
        after_cr = u == 0x0D;
    }
    lines + u64::from(open)
}

/// The file's physical lines, counted in UTF-16 units for a UTF-16 file
/// (a byte order mark announces it) and in bytes otherwise.
fn physical_lines(bytes: &[u8]) -> u64 {
    let utf16 = |be: bool| {
        bytes[2..].chunks(2).map(move |p| match *p {
            [a, b] if be => u32::from(u16::from_be_bytes([a, b])),
            [a, b] => u32::from(u16::from_le_bytes([a, b])),
            _ => 0xFFFD,
        })
    };
    if bytes.starts_with(&[0xFF, 0xFE]) {
        count_lines(utf16(false))
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        count_lines(utf16(true))
    } else {
        count_lines(bytes.iter().map(|&b| u32::from(b)))
    }
}

/// The 1-based physical line of byte `offset`.
fn line_of(bytes: &[u8], offset: usize) -> u64 {
    let before = &bytes[..offset];
    // A `\r` right before the offset ends a line even if `\n` never follows.
    count_lines(before.iter().map(|&b| u32::from(b)))
        + u64::from(before.last().is_none_or(|&b| b == b'\r' || b == b'\n'))
}

/// What the documented encoding rule says about a file (short of 64 KiB:
/// one detection chunk): the error kind and the line it must name.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Text,
    NotText {
        line: u64,
    },
    InvalidUtf8 {
        line: u64,
        byte: u8,
    },
    Mixed {
        line: u64,
        utf8_line: u64,
        utf8_char: char,
        byte: u8,
    },
    Undecodable {
        line: u64,
        byte: u8,
    },
}

/// The line of the first unit that is not UTF-16 (an unpaired surrogate, or
/// a stray last byte), in a file with a UTF-16 byte order mark.
fn bad_utf16_line(bytes: &[u8]) -> Option<u64> {
    let be = match bytes {
        [0xFF, 0xFE, ..] => false,
        [0xFE, 0xFF, ..] => true,
        _ => return None,
    };
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|p| {
            if be {
                u16::from_be_bytes([p[0], p[1]])
            } else {
                u16::from_le_bytes([p[0], p[1]])
            }
        })
        .collect();
    let mut at = 0;
    let mut bad = None;
    for c in char::decode_utf16(units.iter().copied()) {
        match c {
            Ok(c) => at += c.len_utf16(),
            Err(_) => {
                bad = Some(at);
                break;
            }
        }
    }
    let bad = bad.or((bytes.len() % 2 == 1).then_some(units.len()))?;
    let before = &units[..bad];
    Some(
        count_lines(before.iter().map(|&u| u32::from(u)))
            + u64::from(before.last().is_none_or(|&u| u == 0x0D || u == 0x0A)),
    )
}

fn encoding_verdict(bytes: &[u8]) -> Verdict {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Verdict::Text;
    }
    let start = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    if let Some(p) = bytes[start..].iter().position(|&b| b == 0) {
        return Verdict::NotText {
            line: line_of(bytes, start + p),
        };
    }
    let (mut first_utf8, mut first_invalid, mut at) = (None, None, start);
    for chunk in bytes[start..].utf8_chunks() {
        let valid = chunk.valid();
        if first_utf8.is_none() {
            if let Some((i, c)) = valid.char_indices().find(|(_, c)| !c.is_ascii()) {
                first_utf8 = Some((line_of(bytes, at + i), c));
            }
        }
        at += valid.len();
        if first_invalid.is_none() && !chunk.invalid().is_empty() {
            first_invalid = Some((line_of(bytes, at), chunk.invalid()[0]));
        }
        at += chunk.invalid().len();
    }
    match (first_utf8, first_invalid) {
        (_, None) => Verdict::Text,
        (Some((utf8_line, utf8_char)), Some((line, byte))) => Verdict::Mixed {
            line,
            utf8_line,
            utf8_char,
            byte,
        },
        (None, Some((line, byte))) if start == 3 => Verdict::InvalidUtf8 { line, byte },
        (None, Some(_)) => match bytes
            .iter()
            .position(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
        {
            Some(p) => Verdict::Undecodable {
                line: line_of(bytes, p),
                byte: bytes[p],
            },
            None => Verdict::Text,
        },
    }
}

// ---------------------------------------------------------------------------
// The checks every input must pass.

/// `e` renders as `FILE:LINE: ` with a line in `1..=lines`, or as `FILE: `
/// when it has no line; returns the line.
fn check_located(e: &SheetError, file: &Path, lines: u64) -> Result<Option<u64>, TestCaseError> {
    let text = e.to_string();
    let file = file.display();
    match e.line() {
        Some(line) => {
            prop_assert!(
                (1..=lines).contains(&line),
                "line {} of a {}-line file: {}",
                line,
                lines,
                text
            );
            let prefix = format!("{file}:{line}: ");
            prop_assert!(text.starts_with(&prefix), "{} lacks {}", text, prefix);
        }
        None => {
            let prefix = format!("{file}: ");
            prop_assert!(text.starts_with(&prefix), "{} lacks {}", text, prefix);
            prop_assert!(!e.is_row_error(), "a row error without a line: {}", text);
        }
    }
    prop_assert!(
        !text.contains("Error {"),
        "Debug output in a message: {}",
        text
    );
    Ok(e.line())
}

/// What reading a file gave.
#[derive(Debug, Default)]
struct Outcome {
    encoding: Option<TextEncoding>,
    /// Each row's line and its values in schema order.
    rows: Vec<(u64, Vec<Option<String>>)>,
    /// The messages of row and fatal errors, in order.
    errors: Vec<String>,
    /// The message when the file could not be opened.
    open_error: Option<String>,
}

/// Reads `bytes` as a file, checking everything that must hold for any
/// input, and returns what it gave.
fn read(bytes: &[u8], options: &ReadOptions) -> Result<Outcome, TestCaseError> {
    let input = Input::new(bytes);
    let file = input.path.as_path();
    let lines = physical_lines(bytes);
    let verdict = encoding_verdict(bytes);
    let mut out = Outcome::default();
    let reader = match SheetReader::open(file, &schema(), options) {
        Ok(reader) => reader,
        Err(e) => {
            let line = check_located(&e, file, lines)?;
            match (e.kind(), &verdict) {
                (ErrorKind::NotText, Verdict::NotText { line: want }) => {
                    prop_assert_eq!(line, Some(*want), "{}", e);
                }
                (
                    ErrorKind::InvalidUtf8 { byte },
                    Verdict::InvalidUtf8 {
                        line: want,
                        byte: b,
                    },
                ) => {
                    prop_assert_eq!((line, *byte), (Some(*want), *b), "{}", e);
                }
                (
                    ErrorKind::MixedEncoding {
                        utf8_line,
                        utf8_char,
                        byte,
                    },
                    Verdict::Mixed {
                        line: want,
                        utf8_line: l,
                        utf8_char: c,
                        byte: b,
                    },
                ) => {
                    prop_assert_eq!(
                        (line, *utf8_line, *utf8_char, *byte),
                        (Some(*want), *l, *c, *b),
                        "{}",
                        e
                    );
                }
                (
                    ErrorKind::Undecodable { byte },
                    Verdict::Undecodable {
                        line: want,
                        byte: b,
                    },
                ) => {
                    prop_assert_eq!((line, *byte), (Some(*want), *b), "{}", e);
                }
                (
                    ErrorKind::NotText
                    | ErrorKind::InvalidUtf8 { .. }
                    | ErrorKind::MixedEncoding { .. }
                    | ErrorKind::Undecodable { .. },
                    _,
                ) => prop_assert!(false, "{} but the rule says {:?}", e, verdict),
                // The header line was not complete before the bad unit.
                (ErrorKind::InvalidUtf16, _) => {
                    let want = bad_utf16_line(bytes);
                    prop_assert!(
                        line == Some(1) || line == want,
                        "{} but the bad unit is on line {:?}",
                        e,
                        want
                    );
                }
                (_, Verdict::Text) => {}
                (_, _) => prop_assert!(false, "{} but the rule says {:?}", e, verdict),
            }
            out.open_error = Some(e.to_string());
            return Ok(out);
        }
    };
    prop_assert_eq!(
        &verdict,
        &Verdict::Text,
        "opened as {:?}",
        reader.encoding()
    );
    out.encoding = Some(reader.encoding());
    let header_line = reader.header_line();
    prop_assert!(
        (1..=lines).contains(&header_line),
        "header on line {}",
        header_line
    );
    let mut last = header_line;
    let mut reader = reader;
    let mut items = 0u64;
    while let Some(item) = reader.next() {
        items += 1;
        // Each item is a record of at least one line of its own.
        prop_assert!(items <= lines, "more records than lines");
        match item {
            Ok(row) => {
                let line = row.line();
                prop_assert!(
                    line > last && line <= lines,
                    "row on line {} after line {} in a {}-line file",
                    line,
                    last,
                    lines
                );
                last = line;
                // The typed getters locate their errors on the row's line.
                let prefix = format!("{}:{line}: column `", file.display());
                let located = |r: Result<(), SheetError>| -> Result<(), TestCaseError> {
                    if let Err(e) = r {
                        prop_assert!(e.is_row_error());
                        prop_assert!(e.to_string().starts_with(&prefix), "{} lacks {}", e, prefix);
                    }
                    Ok(())
                };
                located(row.count("count").map(drop))?;
                located(row.money("count").map(drop))?;
                located(row.date("date").map(drop))?;
                located(row.optional_date("notes").map(drop))?;
                located(row.boolean("notes").map(drop))?;
                located(row.text("vendor").map(drop))?;
                out.rows.push((
                    line,
                    HEADER
                        .iter()
                        .map(|c| row.get(c).map(str::to_owned))
                        .collect(),
                ));
            }
            Err(e) => {
                let line = check_located(&e, file, lines)?;
                let Some(line) = line else {
                    return Err(TestCaseError::fail(format!("no line: {e}")));
                };
                if e.is_row_error() {
                    prop_assert!(
                        line > last,
                        "row error on line {} after line {}: {}",
                        line,
                        last,
                        e
                    );
                    last = line;
                } else {
                    prop_assert!(line >= header_line, "{}", e);
                    if matches!(e.kind(), ErrorKind::InvalidUtf16) {
                        prop_assert_eq!(Some(line), bad_utf16_line(bytes), "{}", e);
                    }
                    out.errors.push(e.to_string());
                    prop_assert!(reader.next().is_none(), "rows after a fatal error: {}", e);
                    break;
                }
                out.errors.push(e.to_string());
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Generators.

/// Bytes that matter to the CSV syntax, and some text.
const SYNTAX: &[u8] = b"\"\"\",;\t\r\n\n -.0123456789abcxyz";

/// Bytes that matter to the encoding rule.
const ENCODING: &[u8] = b"\x00\xEF\xBB\xBF\xFF\xFE\xFC\xC3\xBC\x81\x9D\xD8\xDC";

/// Mostly CSV syntax, sometimes anything.
fn hostile_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        6 => prop::sample::select(SYNTAX),
        1 => prop::sample::select(ENCODING),
        1 => any::<u8>(),
    ]
}

/// CSV syntax (past the encoding check) or arbitrary bytes, sometimes after
/// a valid header so that parsing gets past it, sometimes after a byte order
/// mark.
fn hostile_file() -> impl Strategy<Value = Vec<u8>> {
    let prefix = prop::sample::select(vec![
        &b""[..],
        b"vendor,product,metric,count,date,notes\n",
        b"vendor;product;metric;count;date\r\n",
        b"\xEF\xBB\xBFvendor\tproduct\tmetric\tcount\tdate\n",
        b"\xFF\xFE",
        b"\xFE\xFF",
        b"\xFF\xFEv\0e\0n\0d\0o\0r\0,\0p\0r\0o\0d\0u\0c\0t\0,\0m\0e\0t\0r\0i\0c\0,\0c\0o\0u\0n\0t\0,\0d\0a\0t\0e\0\n\0",
    ]);
    let body = prop_oneof![
        prop::collection::vec(prop::sample::select(SYNTAX), 0..400),
        prop::collection::vec(hostile_byte(), 0..400),
    ];
    (prefix, body).prop_map(|(p, rest)| {
        let mut v = p.to_vec();
        v.extend(rest);
        v
    })
}

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Utf8,
    Utf8Bom,
    Windows1252,
    Utf16Le,
    Utf16Be,
}

fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        // The generated text is Latin-1 below U+0080 or from U+00A0: the same
        // bytes in Windows-1252.
        Encoding::Windows1252 => text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).expect("Latin-1 text"))
            .collect(),
        Encoding::Utf16Le => [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
        Encoding::Utf16Be => [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect(),
    }
}

/// One physical line (or record) of a generated file.
#[derive(Debug, Clone)]
enum Line {
    /// An empty line.
    Blank,
    /// Only delimiters (Excel writes `;;;;`): skipped like a blank line.
    Empty,
    /// A record: vendor, product, metric, count, date, notes.
    Row(Box<(String, String, String, u64, Date, String)>),
}

/// A file that a spreadsheet program could have written.
#[derive(Debug, Clone)]
struct ValidFile {
    delimiter: char,
    line_end: &'static str,
    encoding: Encoding,
    quoted: bool,
    final_line_end: bool,
    lines: Vec<Line>,
}

/// What reading a [`ValidFile`] must give.
struct Expected {
    rows: Vec<(u64, Vec<Option<String>>)>,
    counts: Vec<u64>,
    dates: Vec<Date>,
}

impl ValidFile {
    fn field(&self, value: &str) -> String {
        let needs_quotes = value.contains([self.delimiter, '"', '\r', '\n'])
            || value.starts_with(' ')
            || value.ends_with(' ');
        if self.quoted && needs_quotes {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value.to_owned()
        }
    }

    /// The file's text and what reading it must give.
    fn render(&self) -> (String, Expected) {
        let d = self.delimiter.to_string();
        let mut text = HEADER.join(&d);
        let mut line = 1;
        let mut expected = Expected {
            rows: Vec::new(),
            counts: Vec::new(),
            dates: Vec::new(),
        };
        for l in &self.lines {
            text.push_str(self.line_end);
            line += 1;
            match l {
                Line::Blank => {}
                Line::Empty => text.push_str(&d.repeat(HEADER.len() - 1)),
                Line::Row(row) => {
                    let (vendor, product, metric, count, date, notes) = &**row;
                    let values = [
                        vendor.clone(),
                        product.clone(),
                        metric.clone(),
                        count.to_string(),
                        date.to_string(),
                        notes.clone(),
                    ];
                    let record = values
                        .iter()
                        .map(|v| self.field(v))
                        .collect::<Vec<_>>()
                        .join(&d);
                    text.push_str(&record);
                    expected.rows.push((
                        line,
                        values
                            .iter()
                            .map(|v| {
                                Some(
                                    v.replace("\r\n", "\n")
                                        .replace('\r', "\n")
                                        .trim()
                                        .to_owned(),
                                )
                            })
                            .collect(),
                    ));
                    expected.counts.push(*count);
                    expected.dates.push(*date);
                    // Line ends inside quoted values.
                    line += count_lines(record.chars().map(u32::from)) - 1;
                }
            }
        }
        if self.final_line_end {
            text.push_str(self.line_end);
        }
        (text, expected)
    }
}

/// A value without the delimiter, quotes or line ends.
fn plain_value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9äöüßÄÖÜé .()&/+-]{0,14}"
}

/// A value with everything that needs quoting.
fn quoted_value() -> impl Strategy<Value = String> {
    prop_oneof![
        plain_value(),
        "[a-zü ,;\t\"\n]{0,10}",
        "[a-z]{1,4}(\r\n|\r|\n)[a-z ]{0,6}",
    ]
}

fn date() -> impl Strategy<Value = Date> {
    (1i16..=9999, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).expect("a date"))
}

fn valid_file() -> impl Strategy<Value = ValidFile> {
    let encoding = prop_oneof![
        Just(Encoding::Utf8),
        Just(Encoding::Utf8Bom),
        Just(Encoding::Windows1252),
        Just(Encoding::Utf16Le),
        Just(Encoding::Utf16Be),
    ];
    (
        prop::sample::select(vec![',', ';', '\t']),
        prop::sample::select(vec!["\n", "\r\n", "\r"]),
        encoding,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(|(delimiter, line_end, encoding, quoted, final_line_end)| {
            let value = move || {
                if quoted {
                    quoted_value().boxed()
                } else {
                    plain_value()
                        .prop_filter("no delimiter", move |v| !v.contains(delimiter))
                        .boxed()
                }
            };
            let row = (
                "[A-Za-zÄÖÜ][A-Za-z0-9äöü]{0,10}",
                value(),
                value(),
                0u64..2_000_000,
                date(),
                value(),
            )
                .prop_map(|r| Line::Row(Box::new(r)));
            let line = prop_oneof![
                1 => Just(Line::Blank),
                1 => Just(Line::Empty),
                8 => row,
            ];
            prop::collection::vec(line, 0..12).prop_map(move |lines| ValidFile {
                delimiter,
                line_end,
                encoding,
                quoted,
                final_line_end,
                lines,
            })
        })
}

/// A change to a file's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(prop::sample::Index, u8),
    Truncate(prop::sample::Index),
    Insert(prop::sample::Index, &'static [u8]),
    Delete(prop::sample::Index, usize),
    Duplicate(prop::sample::Index, usize),
}

/// Inserted into the CSV structure.
const SYNTAX_INSERTS: &[&[u8]] = &[
    b"\"", b"\"\"", b",", b";", b"\t", b"\r", b"\n", b"\r\n", b"  ", b"-----", b"1.234,5",
];

/// Inserted to trip the encoding rule.
const ENCODING_INSERTS: &[&[u8]] = &[
    b"\0",
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\xFC",
    b"\xC3\xBC",
    b"\xC3",
    b"\x81",
    b"\xD8\x00",
    b"\x00\xDC",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => (any::<prop::sample::Index>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        4 => (any::<prop::sample::Index>(), prop::sample::select(SYNTAX_INSERTS))
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        1 => (any::<prop::sample::Index>(), prop::sample::select(ENCODING_INSERTS))
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        1 => (any::<prop::sample::Index>(), 1usize..8).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => (any::<prop::sample::Index>(), 1usize..40).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let at = |i: &prop::sample::Index, len: usize| i.index(len + 1);
    match m {
        Mutation::Flip(i, x) => {
            if !bytes.is_empty() {
                let i = i.index(bytes.len());
                bytes[i] ^= x;
            }
        }
        Mutation::Truncate(i) => {
            let i = at(i, bytes.len());
            bytes.truncate(i);
        }
        Mutation::Insert(i, s) => {
            let i = at(i, bytes.len());
            bytes.splice(i..i, s.iter().copied());
        }
        Mutation::Delete(i, n) => {
            let i = at(i, bytes.len());
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Duplicate(i, n) => {
            let i = at(i, bytes.len());
            let end = (i + n).min(bytes.len());
            let copy = bytes[i..end].to_vec();
            bytes.splice(i..i, copy);
        }
    }
}

/// Read options, with `--map` overrides that may name anything.
fn options() -> impl Strategy<Value = ReadOptions> {
    let map = prop_oneof![
        2 => Just(String::new()),
        1 => Just("count=notes".to_owned()),
        1 => "(vendor|count|seats|notes)=[a-zA-Z ]{1,8}",
        1 => "\\PC{0,20}",
    ];
    (
        map,
        prop_oneof![
            Just(DateFormat::Iso),
            Just(DateFormat::Dmy),
            Just(DateFormat::Mdy)
        ],
        prop_oneof![
            Just(None),
            Just(Some(NumberStyle::DecimalComma)),
            Just(Some(NumberStyle::DecimalPoint))
        ],
    )
        .prop_map(|(map, date_format, numbers)| ReadOptions {
            map: map.parse().unwrap_or_default(),
            date_format,
            numbers,
        })
}

// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1200))]

    /// Arbitrary bytes: no panic, every error located on a line the file has.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in hostile_file(), options in options()) {
        read(&bytes, &options)?;
    }

    /// Valid files with random damage: no panic, every error located.
    #[test]
    fn mutated_files_never_panic(
        file in valid_file(),
        mutations in prop::collection::vec(mutation(), 1..5),
        options in options(),
    ) {
        let (text, _) = file.render();
        let mut bytes = encode(&text, file.encoding);
        for m in &mutations {
            mutate(&mut bytes, m);
        }
        read(&bytes, &options)?;
    }

    /// The value parsers on arbitrary text: an answer or a message naming it.
    #[test]
    fn value_parsers_never_panic(s in "\\PC{0,40}|[-0-9.,\\s]{0,40}") {
        for style in [NumberStyle::DecimalComma, NumberStyle::DecimalPoint] {
            if let Err(e) = parse_count(&s, style) {
                prop_assert!(!e.message().is_empty());
            }
            if let Err(e) = parse_money(&s, style) {
                prop_assert!(!e.message().is_empty());
            }
        }
        for format in [DateFormat::Iso, DateFormat::Dmy, DateFormat::Mdy] {
            if let Err(e) = parse_date(&s, format) {
                prop_assert!(!e.message().is_empty());
            }
        }
        if let Err(e) = parse_bool(&s) {
            prop_assert!(e.message().contains(s.trim()));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// A quote opened at the start of any field of a file without quotes is
    /// never closed: the rows before it come back, then a row error on its
    /// line, and nothing after it.
    #[test]
    fn an_unclosed_quote_ends_the_rows_with_an_error(
        file in valid_file().prop_filter("no quotes", |f| !f.quoted),
        row in any::<prop::sample::Index>(),
        field in 0..HEADER.len(),
    ) {
        let (text, expected) = file.render();
        let rows: Vec<usize> = file
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(l, Line::Row(_)))
            .map(|(i, _)| i + 1)
            .collect();
        prop_assume!(!rows.is_empty());
        // Unquoted values hold no line ends: line `i` (0-based) of the text
        // is physical line `i + 1`; the header is line 0.
        let at = rows[row.index(rows.len())];
        let line = at as u64 + 1;
        let mut offset = 0;
        for l in text.split(file.line_end).take(at) {
            offset += l.len() + file.line_end.len();
        }
        let record = text[offset..].split(file.line_end).next().unwrap_or_default();
        offset += record
            .match_indices(file.delimiter)
            .nth(field.wrapping_sub(1))
            .map_or(0, |(i, d)| i + d.len());
        let mut damaged = text.clone();
        damaged.insert(offset, '"');
        let out = read(&encode(&damaged, file.encoding), &ReadOptions::default())?;
        prop_assert_eq!(&out.open_error, &None);
        let before: Vec<_> = expected.rows.into_iter().filter(|(l, _)| *l < line).collect();
        prop_assert_eq!(&out.rows, &before);
        let want = format!(
            ":{line}: a quote opened on line {line} is never closed; close it or remove it"
        );
        prop_assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
        prop_assert!(out.errors[0].ends_with(&want), "{} lacks {}", out.errors[0], want);
    }

    /// Generated spreadsheets yield exactly their rows, on their lines.
    #[test]
    fn valid_files_read_back(file in valid_file()) {
        let (text, expected) = file.render();
        let bytes = encode(&text, file.encoding);
        let out = read(&bytes, &ReadOptions::default())?;
        prop_assert_eq!(&out.open_error, &None);
        prop_assert!(out.errors.is_empty(), "{:?}", out.errors);
        let encoding = out.encoding.expect("opened");
        let want = match file.encoding {
            Encoding::Utf8 => TextEncoding::Utf8,
            Encoding::Utf8Bom => TextEncoding::Utf8Bom,
            Encoding::Windows1252 if text.is_ascii() => TextEncoding::Utf8,
            Encoding::Windows1252 => TextEncoding::Windows1252,
            Encoding::Utf16Le => TextEncoding::Utf16Le,
            Encoding::Utf16Be => TextEncoding::Utf16Be,
        };
        prop_assert_eq!(encoding, want);
        prop_assert_eq!(out.rows.len(), expected.rows.len(), "row count");
        prop_assert_eq!(&out.rows, &expected.rows);
        // The typed values, too.
        let input = Input::new(&bytes);
        let reader = SheetReader::open(&input.path, &schema(), &ReadOptions::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for ((row, count), date) in reader.zip(&expected.counts).zip(&expected.dates) {
            let row = row.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(row.count("count").ok(), Some(*count));
            prop_assert_eq!(row.date("date").ok(), Some(*date));
        }
    }
}

// ---------------------------------------------------------------------------
// Regressions: what the properties above found, spelled out (and a stack
// overflow found reading the parsers they exercise).

/// A cell of dashes must not recurse once per dash (a stack overflow is an
/// abort, not even a panic).
#[test]
fn a_cell_of_dashes_does_not_overflow_the_stack() {
    let dashes = "-".repeat(1_000_000);
    for (style, sep) in [
        (NumberStyle::DecimalComma, '.'),
        (NumberStyle::DecimalPoint, ','),
    ] {
        assert_eq!(
            parse_count(&dashes, style).unwrap_err().message(),
            format!(
                "`{dashes}` is not a number; a count is a whole number such as 12 or 1{sep}234"
            )
        );
    }
    assert!(parse_count("--5", NumberStyle::DecimalPoint).is_err());
    assert_eq!(
        parse_count("-5", NumberStyle::DecimalPoint)
            .unwrap_err()
            .message(),
        "`-5` is negative; a count must be 0 or more"
    );
}

/// The line and message of the first error reading `bytes`.
fn first_error(bytes: &[u8]) -> (Option<u64>, String) {
    let input = Input::new(bytes);
    let e = match SheetReader::open(&input.path, &schema(), &ReadOptions::default()) {
        Err(e) => e,
        Ok(reader) => reader.filter_map(Result::err).next().expect("an error"),
    };
    let text = e.to_string();
    let rest = text
        .strip_prefix(&format!("{}", input.path.display()))
        .expect("the file leads")
        .to_owned();
    (e.line(), rest)
}

/// A quote never closed would run to the end of the file: it is a row error
/// on the line the quote opens (not the line before, the header), and the
/// lines after it are not taken in as its value.
#[test]
fn an_unclosed_quote_is_located_where_it_opens() {
    let header = "vendor,product,metric,count,date,notes\n";
    assert_eq!(
        first_error(format!("{header}\"Adobe,Acrobat\nmore").as_bytes()),
        (
            Some(2),
            ":2: a quote opened on line 2 is never closed; close it or remove it".to_owned()
        )
    );
    assert_eq!(
        first_error(format!("{header}\n\r\n\"Adobe,Acrobat\r").as_bytes()).0,
        Some(4)
    );
    // In the last column it used to take in the rest of the file as a note.
    let text = format!("{header}A,B,user,5,2024-01-01,ok\nC,D,user,6,2024-01-02,\"open\nE,F\n");
    let input = Input::new(text.as_bytes());
    let items: Vec<_> = SheetReader::open(&input.path, &schema(), &ReadOptions::default())
        .unwrap()
        .map(|r| {
            r.map(|r| (r.line(), r.get("notes").unwrap().to_owned()))
                .map_err(|e| (e.line(), e.is_row_error()))
        })
        .collect();
    assert_eq!(items, [Ok((2, "ok".to_owned())), Err((Some(3), true))]);
    // The issue's file: the quote opens in the notes of line 2.
    let text =
        format!("{header}Acme,CAD,user,3,2024-01-01,\"open\nAcme,CAD,user,4,2024-02-01,fine\n");
    assert_eq!(
        first_error(text.as_bytes()),
        (
            Some(2),
            ":2: a quote opened on line 2 is never closed; close it or remove it".to_owned()
        )
    );
}

/// Encoding errors name the physical line also when lines end in `\r`
/// alone (classic Mac) or `\r\n` split across detection chunks.
#[test]
fn encoding_errors_count_every_kind_of_line_end() {
    assert_eq!(first_error(b"h\rx\r\0").0, Some(3));
    assert_eq!(first_error(b"h\r\nx\r\n\0").0, Some(3));
    assert_eq!(
        first_error(b"h\r\xC3\xBC\r\xFC"),
        (
            Some(3),
            ":3: the file mixes encodings: line 2 is UTF-8 (`ü`) but this line has byte 0xFC, \
             which is not; save the whole file as UTF-8"
                .to_owned()
        )
    );
    assert_eq!(first_error(b"h\r\xFC\r\x81").0, Some(3));
    assert_eq!(first_error(b"\xEF\xBB\xBFh\r\r\xFC").0, Some(3));
    // 64 KiB chunks: `\r` ends one, `\n` starts the next.
    let mut big = vec![b'a'; 64 * 1024 - 1];
    big.extend_from_slice(b"\r\n\0");
    assert_eq!(first_error(&big).0, Some(2));
    let mut big = vec![b'a'; 64 * 1024 - 1];
    big.extend_from_slice(b"\rb\0");
    assert_eq!(first_error(&big).0, Some(2));
}

/// Bad UTF-16 is reported on the line that holds it, after the rows before
/// it, not on line 1 because the first 64 KiB did not decode.
#[test]
fn bad_utf16_is_located_on_its_line() {
    let utf16 = |units: &[u16]| -> Vec<u8> {
        [0xFF, 0xFE]
            .into_iter()
            .chain(units.iter().flat_map(|u| u.to_le_bytes()))
            .collect()
    };
    let text = "vendor,product,metric,count,date\nA,B,user,1,2024-01-01\nC,";
    let mut units: Vec<u16> = text.encode_utf16().collect();
    units.push(0xD800); // a high surrogate without its low half
    units.extend("D,user,2,2024-01-02\n".encode_utf16());
    let input = Input::new(&utf16(&units));
    let got: Vec<Result<u64, (Option<u64>, bool)>> =
        SheetReader::open(&input.path, &schema(), &ReadOptions::default())
            .unwrap()
            .map(|r| {
                r.map(|row| row.line())
                    .map_err(|e| (e.line(), matches!(e.kind(), ErrorKind::InvalidUtf16)))
            })
            .collect();
    assert_eq!(got, [Ok(2), Err((Some(3), true))]);
    // A stray byte at the end (odd length) is on the last line.
    let mut bytes = utf16(
        &"vendor,product,metric,count,date\n\nA"
            .encode_utf16()
            .collect::<Vec<_>>(),
    );
    bytes.push(b'x');
    let (line, message) = first_error(&bytes);
    assert_eq!(line, Some(3), "{message}");
}
