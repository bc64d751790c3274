//! Hostile input for the record parsers, in place of a fuzz target
//! (cargo-fuzz needs nightly; CI is stable).
//!
//! `Record::from_bytes` reads the log and `Draft::from_json_line` reads
//! `entitle import events`: both get arbitrary bytes, and valid records with
//! random damage (bytes flipped, cut, inserted; fields removed, added or
//! given hostile values). For every input: no panic, and an error is a
//! message (a syntax error says where: `line L column C` inside the input).
//! A record that parses is stable: writing it and reading that back gives
//! the same record and the same bytes. Every record entitle writes — the
//! `docs/FORMAT.md` examples and generated ones — reads back to the same
//! value and writes back to the same bytes (the chain hashes those bytes).

use entitle_core::chain;
use entitle_core::ledger::{parse_date, Draft};
use entitle_core::record::{
    Adjusted, Cancelled, DocumentAttached, Extended, Purchased, RecordError, UsageRecorded, Voided,
    FORMAT_VERSION,
};
use entitle_core::types::{parse_currency, parse_money};
use entitle_core::{Event, Metric, Quantity, Record};
use jiff::civil::Date;
use jiff::Timestamp;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// The record examples of `docs/FORMAT.md`, exactly as documented.
fn format_examples() -> Vec<&'static str> {
    include_str!("../../../docs/FORMAT.md")
        .lines()
        .filter(|l| l.starts_with("{\"v\":"))
        .collect()
}

/// The import example of `docs/FORMAT.md`.
fn import_example() -> &'static str {
    include_str!("../../../docs/FORMAT.md")
        .lines()
        .find(|l| l.starts_with("{\"type\":"))
        .expect("FORMAT.md has an import example")
}

// ---------------------------------------------------------------------------
// Checks every input must pass.

/// A serde_json syntax error ends in `at line L column C`; the place must be
/// inside the input (column 0 means "before the first character").
fn check_location(message: &str, input: &[u8]) -> Result<(), TestCaseError> {
    let Some((_, place)) = message.rsplit_once(" at line ") else {
        return Ok(());
    };
    let Some((line, column)) = place.split_once(" column ") else {
        return Err(TestCaseError::fail(format!("odd location: {message}")));
    };
    let (Ok(line), Ok(column)) = (line.parse::<usize>(), column.parse::<usize>()) else {
        return Err(TestCaseError::fail(format!("odd location: {message}")));
    };
    let lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    prop_assert!(
        (1..=lines.len()).contains(&line),
        "line {} of {}: {}",
        line,
        lines.len(),
        message
    );
    prop_assert!(
        column <= lines[line - 1].len(),
        "column {} of a {}-byte line: {}",
        column,
        lines[line - 1].len(),
        message
    );
    Ok(())
}

/// Parses `bytes` as a log record; returns the record if it is one.
fn check_record(bytes: &[u8]) -> Result<Option<Record>, TestCaseError> {
    match Record::from_bytes(bytes) {
        Ok(record) => {
            prop_assert_eq!(record.v, FORMAT_VERSION);
            // Stable: what entitle would write for it reads back the same,
            // and writes the same bytes again.
            let canonical = record.to_bytes();
            let again = Record::from_bytes(&canonical);
            prop_assert_eq!(
                again.as_ref(),
                Ok(&record),
                "{}",
                String::from_utf8_lossy(&canonical)
            );
            prop_assert_eq!(again.map(|r| r.to_bytes()).ok(), Some(canonical));
            Ok(Some(record))
        }
        Err(e) => {
            let text = e.to_string();
            match &e {
                RecordError::Malformed(m) => {
                    prop_assert!(!m.is_empty());
                    prop_assert!(text.starts_with("not a valid record: "), "{}", text);
                    check_location(m, bytes)?;
                }
                RecordError::UnknownVersion(v) => {
                    prop_assert_ne!(*v, FORMAT_VERSION);
                    prop_assert!(text.contains("upgrade entitle"), "{}", text);
                }
                other => prop_assert!(false, "unexpected error {:?}", other),
            }
            Ok(None)
        }
    }
}

/// Parses `line` as an import line; returns the draft if it is one.
fn check_draft(line: &str) -> Result<Option<Draft>, TestCaseError> {
    match Draft::from_json_line(line) {
        Ok(draft) => {
            // A draft becomes a record once entitle numbers it; that record
            // must be one the log can hold.
            let record = Record {
                v: FORMAT_VERSION,
                seq: 1,
                recorded_at: Timestamp::UNIX_EPOCH,
                actor: "hostile".into(),
                effective: draft.effective.unwrap_or(Date::constant(2024, 1, 1)),
                event: draft.event.clone(),
                note: draft.note.clone(),
            };
            prop_assert_eq!(check_record(&record.to_bytes())?, Some(record));
            Ok(Some(draft))
        }
        Err(message) => {
            prop_assert!(!message.is_empty());
            prop_assert!(!message.contains("Error("), "Debug output: {}", message);
            if let Some(rest) = message.strip_prefix("not JSON: ") {
                check_location(rest, line.as_bytes())?;
            }
            Ok(None)
        }
    }
}

// ---------------------------------------------------------------------------
// Generators: records, hostile values, damage.

/// Any text, control characters and all, or text the format uses.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "\\PC{0,12}",
        1 => ".{0,12}",
        1 => "[\\x00-\\x1f\"\\\\\u{7f}\u{2028}\u{feff}\u{10ffff}]{0,6}",
        1 => Just(String::new()),
    ]
}

fn date() -> impl Strategy<Value = Date> {
    prop_oneof![
        4 => (1i16..=9999, 1i8..=12, 1i8..=31).prop_filter_map("a date", |(y, m, d)| Date::new(y, m, d).ok()),
        1 => (-9999i16..=9999, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| Date::constant(y, m, d)),
        1 => prop_oneof![Just(Date::MIN), Just(Date::MAX)],
    ]
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    let (min, max) = (Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    prop_oneof![
        4 => (0i64..4_102_444_800).prop_map(|s| Timestamp::from_second(s).expect("in range")),
        1 => (min..=max, 0i32..1_000_000_000).prop_filter_map("in range", |(s, n)| Timestamp::new(s, n).ok()),
        1 => prop_oneof![Just(Timestamp::MIN), Just(Timestamp::MAX)],
    ]
}

fn metric() -> impl Strategy<Value = Metric> {
    prop::sample::select(Metric::ALL.to_vec())
}

fn quantity() -> impl Strategy<Value = Quantity> {
    prop_oneof![
        (1u64..=u64::MAX).prop_map(Quantity::Count),
        Just(Quantity::Unlimited),
    ]
}

/// Any decimal: every mantissa, scale and sign (negative zero included).
fn decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (any::<i64>(), 0u32..=4).prop_map(|(m, s)| Decimal::new(m, s)),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<bool>(),
            0u32..=28
        )
            .prop_map(|(lo, mid, hi, neg, scale)| Decimal::from_parts(lo, mid, hi, neg, scale)),
    ]
}

/// Boxed, and each variant too: the value trees of these wide tuples,
/// unboxed, overflow a test thread's stack in a debug build.
fn event() -> BoxedStrategy<Event> {
    let purchased = (
        (
            text(),
            text(),
            text(),
            proptest::option::of(text()),
            metric(),
            quantity(),
            date(),
        ),
        (
            proptest::option::of(date()),
            proptest::option::of(date()),
            proptest::option::of(decimal()),
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(text()),
        ),
        (
            proptest::option::of(any::<u32>()),
            any::<bool>(),
            proptest::option::of(any::<u32>()),
            prop::collection::vec(text(), 0..3),
        ),
    )
        .prop_map(
            |(
                (id, vendor, product, edition, metric, qty, start),
                (end, maintenance_end, cost, currency, po, reseller, owner),
                (notice_days, auto_renew, renewal_months, tags),
            )| {
                Event::Purchased(Purchased {
                    id,
                    vendor,
                    product,
                    edition,
                    metric,
                    qty,
                    start,
                    end,
                    maintenance_end,
                    cost,
                    currency,
                    po,
                    reseller,
                    owner,
                    notice_days,
                    auto_renew,
                    renewal_months,
                    tags,
                    count_rule: None,
                })
            },
        );
    let extended = (
        text(),
        date(),
        proptest::option::of(quantity()),
        proptest::option::of(decimal()),
        proptest::option::of(text()),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(|(id, until, qty, cost, currency, renewal_months)| {
            Event::Extended(Extended {
                id,
                until,
                qty,
                cost,
                currency,
                renewal_months,
            })
        });
    let adjusted = (
        text(),
        quantity(),
        proptest::option::of(decimal()),
        proptest::option::of(text()),
    )
        .prop_map(|(id, qty, cost, currency)| {
            Event::Adjusted(Adjusted {
                id,
                qty,
                cost,
                currency,
            })
        });
    let usage = (
        text(),
        text(),
        metric(),
        any::<u64>(),
        proptest::option::of(text()),
    )
        .prop_map(|(vendor, product, metric, count, source)| {
            Event::UsageRecorded(UsageRecorded {
                vendor,
                product,
                metric,
                count,
                source,
            })
        });
    let document = (
        "[0-9a-f]{64}",
        text(),
        any::<u64>(),
        text(),
        text(),
        proptest::option::of(text()),
        proptest::option::of(text()),
    )
        .prop_map(|(hash, filename, size, media_type, kind, id, vendor)| {
            Event::DocumentAttached(DocumentAttached {
                hash,
                filename,
                size,
                media_type,
                kind,
                id,
                vendor,
            })
        });
    prop_oneof![
        purchased.boxed(),
        extended.boxed(),
        adjusted.boxed(),
        text()
            .prop_map(|id| Event::Cancelled(Cancelled { id }))
            .boxed(),
        usage.boxed(),
        any::<u64>()
            .prop_map(|voids| Event::Voided(Voided { voids }))
            .boxed(),
        document.boxed(),
    ]
    .boxed()
}

fn record() -> BoxedStrategy<Record> {
    (
        any::<u64>(),
        timestamp(),
        text(),
        date(),
        event(),
        proptest::option::of(text()),
    )
        .prop_map(|(seq, recorded_at, actor, effective, event, note)| Record {
            v: FORMAT_VERSION,
            seq,
            recorded_at,
            actor,
            effective,
            event,
            note,
        })
        .boxed()
}

/// A record as bytes: a documented example or a generated record.
fn record_bytes() -> impl Strategy<Value = Vec<u8>> {
    let examples: Vec<Vec<u8>> = format_examples()
        .into_iter()
        .map(|l| l.as_bytes().to_vec())
        .collect();
    prop_oneof![
        prop::sample::select(examples),
        record().prop_map(|r| r.to_bytes()),
    ]
}

/// Strings that probe the value parsers (dates, times, decimals, quantities).
const TRICKY: &[&str] = &[
    "",
    " ",
    "unlimited",
    "Unlimited",
    "0",
    "-0",
    "-0.00",
    "1e5",
    "1_000",
    "+5",
    ".5",
    "5.",
    "NaN",
    "inf",
    "79228162514264337593543950335",
    "79228162514264337593543950336",
    "-79228162514264337593543950335",
    "0.0000000000000000000000000001",
    "0.00000000000000000000000000001",
    "99999999999999999999999999999999999999999999",
    "2024-02-29",
    "2023-02-29",
    "2024-13-01",
    "2024-00-10",
    "0000-01-01",
    "-009999-01-01",
    "+009999-12-31",
    "99999-01-01",
    "2024-1-1",
    "2024-01-01T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T00:00:60Z",
    "2024-01-01T00:00:00+14:00",
    "2024-01-01T00:00:00.123456789Z",
    "2024-01-01T00:00:00.1234567891Z",
    "9999-12-31T23:59:59Z",
    "10000-01-01T00:00:00Z",
    "2024-01-01 00:00:00",
    "user",
    "USER",
    "purchased",
    "voided",
    "\u{0}",
    "\u{feff}",
    "é\u{301}",
    "\u{10ffff}",
];

fn tricky() -> impl Strategy<Value = String> {
    prop::sample::select(TRICKY).prop_map(str::to_owned)
}

/// A JSON value a hostile file could hold where a field is expected.
fn hostile_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![
            Just(0.5f64),
            Just(-0.0),
            Just(1e300),
            Just(u64::MAX as f64),
            any::<f64>()
        ]
        .prop_map(Value::from),
        tricky().prop_map(Value::String),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((tricky(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Field names of all types, and a few that no type has.
const KEYS: &[&str] = &[
    "v",
    "seq",
    "recorded_at",
    "actor",
    "type",
    "effective",
    "note",
    "id",
    "vendor",
    "product",
    "edition",
    "metric",
    "qty",
    "start",
    "end",
    "maintenance_end",
    "cost",
    "currency",
    "po",
    "reseller",
    "owner",
    "notice_days",
    "auto_renew",
    "renewal_months",
    "tags",
    "until",
    "count",
    "source",
    "voids",
    "hash",
    "filename",
    "size",
    "media_type",
    "kind",
    "seats",
    "",
    "V",
    "type ",
];

/// A change to a record's fields.
#[derive(Debug, Clone)]
enum FieldChange {
    /// Replace the value of an existing field.
    Set(Index, Value),
    /// Remove a field.
    Remove(Index),
    /// Add (or overwrite) a field by name.
    Put(&'static str, Value),
}

fn field_change() -> impl Strategy<Value = FieldChange> {
    prop_oneof![
        3 => (any::<Index>(), hostile_value()).prop_map(|(i, v)| FieldChange::Set(i, v)),
        1 => any::<Index>().prop_map(FieldChange::Remove),
        2 => (prop::sample::select(KEYS), hostile_value()).prop_map(|(k, v)| FieldChange::Put(k, v)),
    ]
}

fn change_fields(fields: &mut Map<String, Value>, change: &FieldChange) {
    match change {
        FieldChange::Set(i, v) => {
            if !fields.is_empty() {
                let key = fields.keys().nth(i.index(fields.len())).cloned();
                if let Some(key) = key {
                    fields.insert(key, v.clone());
                }
            }
        }
        FieldChange::Remove(i) => {
            if !fields.is_empty() {
                let key = fields.keys().nth(i.index(fields.len())).cloned();
                if let Some(key) = key {
                    fields.shift_remove(&key);
                }
            }
        }
        FieldChange::Put(k, v) => {
            fields.insert((*k).to_owned(), v.clone());
        }
    }
}

/// A change to the bytes.
#[derive(Debug, Clone)]
enum ByteChange {
    Flip(Index, u8),
    Truncate(Index),
    Insert(Index, &'static [u8]),
    Delete(Index, usize),
    Duplicate(Index, usize),
}

const INSERTS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b",",
    b":",
    b"{",
    b"}",
    b"[",
    b"]",
    b"null",
    b"-",
    b"e99",
    b"0",
    b".",
    b"\"unlimited\"",
    b"\\u0000",
    b"\\ud800",
    b"\\udc00",
    b"\n",
    b" ",
    b"\xC3",
    b"\xFF",
    b"\xEF\xBB\xBF",
    b"\0",
    b",\"v\":2",
    b",\"note\":1",
    b"}{",
];

fn byte_change() -> impl Strategy<Value = ByteChange> {
    prop_oneof![
        (any::<Index>(), 1u8..=255).prop_map(|(i, x)| ByteChange::Flip(i, x)),
        any::<Index>().prop_map(ByteChange::Truncate),
        (any::<Index>(), prop::sample::select(INSERTS)).prop_map(|(i, s)| ByteChange::Insert(i, s)),
        (any::<Index>(), 1usize..6).prop_map(|(i, n)| ByteChange::Delete(i, n)),
        (any::<Index>(), 1usize..20).prop_map(|(i, n)| ByteChange::Duplicate(i, n)),
    ]
}

fn change_bytes(bytes: &mut Vec<u8>, change: &ByteChange) {
    let at = |i: &Index, len: usize| i.index(len + 1);
    match change {
        ByteChange::Flip(i, x) => {
            if !bytes.is_empty() {
                let i = i.index(bytes.len());
                bytes[i] ^= x;
            }
        }
        ByteChange::Truncate(i) => {
            let i = at(i, bytes.len());
            bytes.truncate(i);
        }
        ByteChange::Insert(i, s) => {
            let i = at(i, bytes.len());
            bytes.splice(i..i, s.iter().copied());
        }
        ByteChange::Delete(i, n) => {
            let i = at(i, bytes.len());
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        ByteChange::Duplicate(i, n) => {
            let i = at(i, bytes.len());
            let end = (i + n).min(bytes.len());
            let copy = bytes[i..end].to_vec();
            bytes.splice(i..i, copy);
        }
    }
}

/// The record's JSON object (field order kept).
fn fields_of(bytes: &[u8]) -> Map<String, Value> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(m)) => m,
        other => panic!("a record is a JSON object: {other:?}"),
    }
}

/// The import line for a record: without the fields entitle sets.
fn import_line(record: &[u8]) -> String {
    let mut fields = fields_of(record);
    for reserved in ["v", "seq", "recorded_at", "actor"] {
        fields.shift_remove(reserved);
    }
    Value::Object(fields).to_string()
}

// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every record entitle can write reads back to itself, byte for byte.
    #[test]
    fn records_round_trip_byte_identically(record in record()) {
        let bytes = record.to_bytes();
        prop_assert!(!bytes.contains(&b'\n'), "a record is one line");
        prop_assert_eq!(Record::from_bytes(&bytes), Ok(record.clone()));
        prop_assert_eq!(check_record(&bytes)?.map(|r| r.to_bytes()), Some(bytes));
    }

    /// A record of another version is refused as such, not as malformed.
    #[test]
    fn other_versions_are_refused(record in record(), v in any::<u32>()) {
        prop_assume!(v != FORMAT_VERSION);
        let bytes = Record { v, ..record }.to_bytes();
        prop_assert_eq!(Record::from_bytes(&bytes), Err(RecordError::UnknownVersion(v)));
    }

    /// Arbitrary bytes: an error (located, for bad JSON), never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check_record(&bytes)?;
        check_draft(&String::from_utf8_lossy(&bytes))?;
    }

    /// Valid records, and their import lines, with damaged bytes.
    #[test]
    fn damaged_bytes_never_panic(
        bytes in record_bytes(),
        changes in prop::collection::vec(byte_change(), 1..6),
    ) {
        // The same damage to the record and to its import line.
        let mut line = import_line(&bytes).into_bytes();
        let mut bytes = bytes;
        for c in &changes {
            change_bytes(&mut bytes, c);
            change_bytes(&mut line, c);
        }
        check_record(&bytes)?;
        check_draft(&String::from_utf8_lossy(&line))?;
    }

    /// Valid records with fields removed, added or given hostile values,
    /// written compactly or pretty-printed (readers accept any layout).
    #[test]
    fn damaged_fields_never_panic(
        bytes in record_bytes(),
        changes in prop::collection::vec(field_change(), 1..4),
        pretty: bool,
    ) {
        let mut fields = fields_of(&bytes);
        for c in &changes {
            change_fields(&mut fields, c);
        }
        let value = Value::Object(fields);
        let bytes = if pretty {
            serde_json::to_vec_pretty(&value)
        } else {
            serde_json::to_vec(&value)
        }
        .expect("JSON serialises");
        check_record(&bytes)?;
        let mut line = value;
        if let Value::Object(m) = &mut line {
            for reserved in ["v", "seq", "recorded_at", "actor"] {
                m.shift_remove(reserved);
            }
        }
        check_draft(&line.to_string())?;
    }

    /// A record's import line (without the fields entitle sets) is a draft
    /// of the same event.
    #[test]
    fn import_lines_read_as_drafts(record in record()) {
        let line = import_line(&record.to_bytes());
        let draft = check_draft(&line)?;
        if (0..=9999).contains(&record.effective.year()) {
            prop_assert_eq!(
                draft,
                Some(Draft {
                    event: record.event,
                    effective: Some(record.effective),
                    note: record.note,
                })
            );
        } else {
            // `effective` in an import line is strictly YYYY-MM-DD.
            prop_assert_eq!(draft, None);
        }
    }

    /// Import lines with damage.
    #[test]
    fn damaged_import_lines_never_panic(
        changes in prop::collection::vec(byte_change(), 1..6),
        text in "\\PC{0,80}",
    ) {
        let mut bytes = import_example().as_bytes().to_vec();
        for c in &changes {
            change_bytes(&mut bytes, c);
        }
        check_draft(&String::from_utf8_lossy(&bytes))?;
        check_draft(&text)?;
    }

    /// The flag parsers behind the records.
    #[test]
    fn flag_parsers_never_panic(s in "\\PC{0,30}", t in "\\PC{0,6}") {
        let _ = parse_date("--start", &s);
        let _ = parse_money(Some(&s), Some(&t));
        let _ = parse_currency(&s);
        let _ = s.parse::<Quantity>();
        let _ = s.parse::<Metric>();
        let _ = chain::from_hex(&s);
    }
}

#[test]
fn format_examples_round_trip_byte_identically() {
    let examples = format_examples();
    assert_eq!(examples.len(), 11, "one example per event type");
    for text in examples {
        let record = Record::from_bytes(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(String::from_utf8(record.to_bytes()).unwrap(), text);
    }
    let draft = Draft::from_json_line(import_example()).unwrap();
    assert_eq!(draft.event.type_name(), "purchased");
}

/// The corners the generators aim at, spelled out.
#[test]
fn corner_values_round_trip_byte_identically() {
    let base = Record::from_bytes(format_examples()[0].as_bytes()).unwrap();
    let Event::Purchased(p) = &base.event else {
        panic!("the first example is a purchase")
    };
    for (cost, recorded_at, effective, text) in [
        (
            Decimal::from_parts(0, 0, 0, true, 2),
            Timestamp::MIN,
            Date::MIN,
            "\u{0}\u{1f}\"\\\u{7f}\u{2028}",
        ),
        (
            Decimal::MAX,
            Timestamp::MAX,
            Date::MAX,
            "\u{feff}\u{10ffff}",
        ),
        (
            Decimal::new(1, 28),
            "2024-01-01T00:00:00.000000001Z".parse().unwrap(),
            Date::constant(0, 1, 1),
            "",
        ),
    ] {
        let record = Record {
            recorded_at,
            effective,
            actor: text.into(),
            note: Some(text.into()),
            event: Event::Purchased(Purchased {
                cost: Some(cost),
                vendor: text.into(),
                tags: vec![text.into(), String::new()],
                ..p.clone()
            }),
            ..base.clone()
        };
        let bytes = record.to_bytes();
        let back = Record::from_bytes(&bytes).unwrap();
        assert_eq!(back, record);
        assert_eq!(
            back.to_bytes(),
            bytes,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
    }
}
