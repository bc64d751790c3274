//! Hostile text in calendars, in place of a fuzz target (cargo-fuzz needs
//! nightly; CI is stable).
//!
//! Summaries, descriptions, names and UIDs of any text (unicode, control
//! characters, line breaks, very long) are written as a calendar. For every
//! input: no panic; the output has CRLF line ends only, every physical line
//! is at most 75 octets and is folded only where the next character would
//! not fit; unfolded, each TEXT value is escaped exactly as RFC 5545 says
//! and unescapes to the value given (line breaks as `\n`, other control
//! characters as spaces), so nothing can inject a property or component.
//! A real parser (the `icalendar` crate) reads the same values back. Bad
//! UIDs, sequences and dates are refused with the error for the first bad
//! event.

use entitle_ical::{escape_text, AllDayEvent, Calendar, IcalError};
use icalendar::parser::{read_calendar, unfold};
use jiff::civil::Date;
use jiff::Timestamp;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Any text, with the characters TEXT escapes and folding trips on.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "\\PC{0,30}",
        2 => ".{0,30}",
        2 => "[a-zü\\\\;,:\"\r\n\t\u{0}-\u{1f}\u{7f}\u{85}\u{2028} ]{0,30}",
        1 => ("[a-zé🙂\u{301}]", 1usize..400).prop_map(|(c, n)| c.repeat(n)),
        1 => ("\\PC{1,8}", 1usize..120).prop_map(|(s, n)| s.repeat(n)),
        1 => Just(String::new()),
    ]
}

fn date() -> impl Strategy<Value = Date> {
    prop_oneof![
        8 => (1i16..=9998, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| Date::constant(y, m, d)),
        1 => prop_oneof![
            Just(Date::constant(9999, 12, 30)),
            Just(Date::constant(9999, 12, 31)),
            Just(Date::constant(1, 1, 1)),
            Just(Date::constant(0, 12, 31)),
            Just(Date::MIN),
            Just(Date::MAX),
        ],
    ]
}

fn event(uid: BoxedStrategy<String>) -> impl Strategy<Value = AllDayEvent> {
    (
        uid,
        prop_oneof![
            6 => 0u32..1000,
            1 => Just(i32::MAX as u32),
            1 => any::<u32>(),
        ],
        date(),
        text(),
        text(),
        prop::collection::vec(prop_oneof![0u32..400, any::<u32>()], 0..3),
    )
        .prop_map(
            |(uid, sequence, date, summary, description, alarms_days_before)| AllDayEvent {
                uid,
                sequence,
                date,
                summary,
                description,
                alarms_days_before,
            },
        )
}

/// A calendar every event of which can be written: unique UIDs, dates and
/// sequences in range; any text.
fn writable_calendar() -> impl Strategy<Value = Calendar> {
    let events = prop::collection::vec(
        event(text().boxed()).prop_map(|mut e| {
            e.sequence = e.sequence.min(i32::MAX as u32);
            if !(1..=9998).contains(&e.date.year()) && e.date != Date::constant(9999, 12, 30) {
                e.date = Date::constant(2024, 2, 29);
            }
            e
        }),
        0..4,
    )
    .prop_map(|mut events| {
        for (i, e) in events.iter_mut().enumerate() {
            e.uid = format!("{i}-{}@entitle", e.uid);
        }
        events
    });
    (text(), text(), events).prop_map(|(prodid, name, events)| Calendar {
        prodid,
        name,
        events,
    })
}

/// Any calendar: UIDs blank or repeated, dates and sequences out of range.
fn any_calendar() -> impl Strategy<Value = Calendar> {
    let uid = prop_oneof![
        1 => Just(String::new()),
        1 => Just(" \t".to_owned()),
        2 => Just("same@entitle".to_owned()),
        6 => "\\PC{1,20}",
    ]
    .boxed();
    (text(), text(), prop::collection::vec(event(uid), 0..4)).prop_map(|(prodid, name, events)| {
        Calendar {
            prodid,
            name,
            events,
        }
    })
}

fn stamp() -> Timestamp {
    "2024-09-02T08:30:00Z".parse().unwrap()
}

// ---------------------------------------------------------------------------
// An independent reading of the output.

/// The physical lines: CRLF after every line, no other CR or LF.
fn physical_lines(ics: &str) -> Result<Vec<&str>, TestCaseError> {
    prop_assert!(ics.ends_with("\r\n"), "no final CRLF");
    let lines: Vec<&str> = ics[..ics.len() - 2].split("\r\n").collect();
    for line in &lines {
        prop_assert!(!line.contains(['\r', '\n']), "a bare CR or LF: {:?}", line);
        prop_assert!(line.len() <= 75, "{} octets: {:?}", line.len(), line);
        prop_assert!(
            !line.chars().any(|c| c.is_control() && c != '\t'),
            "a control character: {:?}",
            line
        );
    }
    Ok(lines)
}

/// Unfolds (RFC 5545 §3.1): a line starting with a space continues the one
/// before. Checks that a line is folded only when the next character would
/// not fit.
fn unfold_lines(lines: &[&str]) -> Result<Vec<String>, TestCaseError> {
    let mut out: Vec<String> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match line.strip_prefix(' ') {
            Some(rest) => {
                let Some(last) = out.last_mut() else {
                    return Err(TestCaseError::fail("the first line is a continuation"));
                };
                let next = rest.chars().next().map_or(0, char::len_utf8);
                prop_assert!(next > 0, "an empty continuation line");
                prop_assert!(
                    lines[i - 1].len() + next > 75,
                    "folded early: {:?} then {:?}",
                    lines[i - 1],
                    line
                );
                last.push_str(rest);
            }
            None => out.push((*line).to_owned()),
        }
    }
    Ok(out)
}

/// Reads an RFC 5545 TEXT value strictly: only `\\` `\;` `\,` `\n` `\N`
/// escapes, no unescaped `;` or `,`.
fn unescape(value: &str) -> Result<String, TestCaseError> {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\\') => out.push('\\'),
                Some(';') => out.push(';'),
                Some(',') => out.push(','),
                Some('n' | 'N') => out.push('\n'),
                other => {
                    return Err(TestCaseError::fail(format!(
                        "bad escape \\{other:?} in {value:?}"
                    )))
                }
            },
            ';' | ',' => return Err(TestCaseError::fail(format!("unescaped {c:?} in {value:?}"))),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// What a value must read back as: line breaks become `\n`, other control
/// characters (not allowed in TEXT) spaces.
fn expected_text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .map(|c| {
            if c.is_control() && c != '\t' && c != '\n' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The lines we expect, as (name, Some(raw text value)) or (name, None)
/// for values not compared here.
fn expected_lines(cal: &Calendar) -> Vec<(&'static str, Option<String>)> {
    let mut v = vec![
        ("BEGIN", None),
        ("VERSION", None),
        ("PRODID", Some(cal.prodid.clone())),
        ("CALSCALE", None),
        ("METHOD", None),
        ("X-WR-CALNAME", Some(cal.name.clone())),
    ];
    for e in &cal.events {
        v.push(("BEGIN", None));
        v.push(("UID", Some(e.uid.clone())));
        if e.sequence > 0 {
            v.push(("SEQUENCE", None));
        }
        v.extend([
            ("DTSTAMP", None),
            ("DTSTART;VALUE=DATE", None),
            ("DTEND;VALUE=DATE", None),
        ]);
        v.push(("SUMMARY", Some(e.summary.clone())));
        if !e.description.is_empty() {
            v.push(("DESCRIPTION", Some(e.description.clone())));
        }
        v.push(("TRANSP", None));
        for _ in &e.alarms_days_before {
            v.extend([("BEGIN", None), ("ACTION", None), ("TRIGGER", None)]);
            v.push(("DESCRIPTION", Some(e.summary.clone())));
            v.push(("END", None));
        }
        v.push(("END", None));
    }
    v.push(("END", None));
    v
}

fn check_calendar(cal: &Calendar, ics: &str) -> Result<(), TestCaseError> {
    let lines = physical_lines(ics)?;
    let logical = unfold_lines(&lines)?;
    let want = expected_lines(cal);
    prop_assert_eq!(logical.len(), want.len(), "{:#?}", logical);
    for (line, (name, value)) in logical.iter().zip(&want) {
        let Some((got_name, got_value)) = line.split_once(':') else {
            return Err(TestCaseError::fail(format!("no colon: {line:?}")));
        };
        prop_assert_eq!(got_name, *name, "{:?}", line);
        if let Some(value) = value {
            prop_assert_eq!(got_value, escape_text(value), "{}", name);
            prop_assert_eq!(unescape(got_value)?, expected_text(value), "{}", name);
        }
    }
    // A real parser agrees.
    let unfolded = unfold(ics);
    let parsed = read_calendar(&unfolded)
        .map_err(|e| TestCaseError::fail(format!("icalendar cannot read it: {e}")))?;
    let events: Vec<_> = parsed
        .components
        .iter()
        .filter(|c| c.name.as_str() == "VEVENT")
        .collect();
    prop_assert_eq!(events.len(), cal.events.len());
    for (got, e) in events.iter().zip(&cal.events) {
        let summary = got.find_prop("SUMMARY").map(|p| p.val.as_str().to_owned());
        prop_assert_eq!(summary, Some(expected_text(&e.summary)));
        let description = got
            .find_prop("DESCRIPTION")
            .map(|p| p.val.as_str().to_owned());
        let want = (!e.description.is_empty()).then(|| expected_text(&e.description));
        prop_assert_eq!(description, want);
    }
    Ok(())
}

/// The error the documented rules give for the first bad event, if any.
fn first_problem(cal: &Calendar) -> Option<&'static str> {
    let mut seen = std::collections::HashSet::new();
    for e in &cal.events {
        if e.uid.trim().is_empty() {
            return Some("empty uid");
        }
        if !seen.insert(e.uid.as_str()) {
            return Some("duplicate uid");
        }
        if e.sequence > i32::MAX as u32 {
            return Some("sequence");
        }
        if e.date.year() < 1 || e.date >= Date::constant(9999, 12, 31) {
            return Some("date");
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// Any text in a writable calendar: short CRLF lines, exact escaping.
    #[test]
    fn any_text_is_folded_and_escaped(cal in writable_calendar()) {
        let ics = cal.to_ics(stamp()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_calendar(&cal, &ics)?;
    }

    /// Any calendar: written and sound, or refused for its first bad event.
    #[test]
    fn any_calendar_is_written_or_refused(cal in any_calendar()) {
        match (cal.to_ics(stamp()), first_problem(&cal)) {
            (Ok(ics), None) => check_calendar(&cal, &ics)?,
            (Err(IcalError::EmptyUid { .. }), Some("empty uid"))
            | (Err(IcalError::DuplicateUid(_)), Some("duplicate uid"))
            | (Err(IcalError::SequenceTooLarge { .. }), Some("sequence"))
            | (Err(IcalError::DateOutOfRange { .. }), Some("date")) => {}
            (got, want) => prop_assert!(false, "got {:?}, expected {:?}", got.map(|_| "a calendar"), want),
        }
    }
}
