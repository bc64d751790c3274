//! The output parsed back by a real iCalendar parser (the `icalendar` crate).

use entitle_ical::{AllDayEvent, Calendar, IcalError};
use icalendar::parser::{read_calendar, unfold, Component};
use jiff::civil::date;

fn sample() -> Calendar {
    Calendar {
        prodid: "-//entitle//entitle 0.1//EN".into(),
        name: "Lizenzfristen, Müller & Co; intern".into(),
        events: vec![
            AllDayEvent {
                uid: "ms365-e3-cancel-by@entitle".into(),
                sequence: 17,
                date: date(2028, 3, 1).checked_sub(jiff::Span::new().days(90)).unwrap(),
                summary: "Kündigungsfrist: Microsoft 365 E3 (Lizenzmanager GmbH)".into(),
                description: "Laufzeitende 2028-02-29; Kündigungsfrist 90 Tage.\nVerantwortlich: Jürgen Müller, Einkauf\\Lizenzen; Verlängerung automatisch über Händler für weitere zwölf Monate, wenn nicht gekündigt wird.".into(),
                alarms_days_before: vec![30, 7],
            },
            AllDayEvent {
                uid: "ms365-e3-end@entitle".into(),
                sequence: 17,
                date: date(2024, 2, 29),
                summary: "Ende: Microsoft 365 E3".into(),
                description: String::new(),
                alarms_days_before: vec![0],
            },
            AllDayEvent {
                uid: "acrobat-end@entitle".into(),
                sequence: 0,
                date: date(2024, 12, 31),
                summary: "Ende: Acrobat Pro".into(),
                description: "Jahreswechsel".into(),
                alarms_days_before: vec![],
            },
        ],
    }
}

fn stamp() -> jiff::Timestamp {
    "2024-09-02T08:30:00Z".parse().unwrap()
}

fn prop<'a>(c: &'a Component<'a>, name: &str) -> String {
    c.find_prop(name)
        .unwrap_or_else(|| panic!("{} has no {name}", c.name.as_str()))
        .val
        .as_str()
        .to_owned()
}

#[test]
fn parses_with_a_real_parser() {
    let ics = sample().to_ics(stamp()).unwrap();
    let unfolded = unfold(&ics);
    let cal = read_calendar(&unfolded).expect("valid iCalendar");
    let top = |name: &str| {
        cal.properties
            .iter()
            .find(|p| p.name.as_str() == name)
            .map(|p| p.val.as_str().to_owned())
    };
    assert_eq!(top("VERSION").as_deref(), Some("2.0"));
    assert_eq!(
        top("PRODID").as_deref(),
        Some("-//entitle//entitle 0.1//EN")
    );
    assert_eq!(top("CALSCALE").as_deref(), Some("GREGORIAN"));
    assert_eq!(top("METHOD").as_deref(), Some("PUBLISH"));
    assert_eq!(
        top("X-WR-CALNAME").as_deref(),
        Some("Lizenzfristen, Müller & Co; intern")
    );

    let events: Vec<&Component> = cal
        .components
        .iter()
        .filter(|c| c.name.as_str() == "VEVENT")
        .collect();
    assert_eq!(events.len(), 3);

    let first = events[0];
    assert_eq!(prop(first, "UID"), "ms365-e3-cancel-by@entitle");
    assert_eq!(prop(first, "SEQUENCE"), "17");
    assert_eq!(prop(first, "DTSTAMP"), "20240902T083000Z");
    // 90 days before 2028-03-01 across the leap day.
    assert_eq!(prop(first, "DTSTART"), "20271202");
    assert_eq!(prop(first, "DTEND"), "20271203");
    let start = first.find_prop("DTSTART").unwrap();
    assert!(start
        .params
        .iter()
        .any(|p| p.key.as_str() == "VALUE" && p.val.as_ref().map(|v| v.as_str()) == Some("DATE")));
    assert_eq!(
        prop(first, "SUMMARY"),
        "Kündigungsfrist: Microsoft 365 E3 (Lizenzmanager GmbH)"
    );
    // The long German description with umlauts, a line break, `;`, `,` and
    // `\` was folded and escaped, and comes back intact.
    assert_eq!(prop(first, "DESCRIPTION"), sample().events[0].description);
    assert_eq!(prop(first, "TRANSP"), "TRANSPARENT");
    let alarms: Vec<(String, String, String)> = first
        .components
        .iter()
        .filter(|c| c.name.as_str() == "VALARM")
        .map(|a| {
            (
                prop(a, "ACTION"),
                prop(a, "TRIGGER"),
                prop(a, "DESCRIPTION"),
            )
        })
        .collect();
    assert_eq!(alarms.len(), 2);
    assert_eq!(alarms[0].0, "DISPLAY");
    assert_eq!(alarms[0].1, "-P30D");
    assert_eq!(alarms[1].1, "-P7D");
    assert_eq!(
        alarms[1].2,
        "Kündigungsfrist: Microsoft 365 E3 (Lizenzmanager GmbH)"
    );

    // Leap day end: DTEND is 1 March.
    assert_eq!(prop(events[1], "DTSTART"), "20240229");
    assert_eq!(prop(events[1], "DTEND"), "20240301");
    assert!(events[1].find_prop("DESCRIPTION").is_none());
    assert_eq!(prop(&events[1].components[0], "TRIGGER"), "PT0S");
    // Year end: DTEND is in the next year; no SEQUENCE when 0; no alarms.
    assert_eq!(prop(events[2], "DTEND"), "20250101");
    assert!(events[2].find_prop("SEQUENCE").is_none());
    assert!(events[2].components.is_empty());
}

#[test]
fn typed_model_sees_all_day_events() {
    use icalendar::{Component as _, DatePerhapsTime};
    let ics = sample().to_ics(stamp()).unwrap();
    let cal: icalendar::Calendar = ics.parse().unwrap();
    let events: Vec<_> = cal.components.iter().filter_map(|c| c.as_event()).collect();
    assert_eq!(events.len(), 3);
    assert_eq!(events[1].get_uid(), Some("ms365-e3-end@entitle"));
    let d = events[1].get_start().unwrap();
    assert!(matches!(d, DatePerhapsTime::Date(_)), "all-day: {d:?}");
    assert_eq!(
        events[0].get_description(),
        Some(sample().events[0].description.as_str())
    );
}

#[test]
fn lines_are_crlf_folded_and_short() {
    let ics = sample().to_ics(stamp()).unwrap();
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert!(!ics.replace("\r\n", "").contains('\n'), "no bare LF");
    let mut folded = 0;
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
        if line.starts_with(' ') {
            folded += 1;
        }
    }
    assert!(folded >= 2, "the long description is folded");
    // Deterministic: same input, same bytes.
    assert_eq!(ics, sample().to_ics(stamp()).unwrap());
}

#[test]
fn rejects_what_calendar_programs_would_mangle() {
    let mut cal = sample();
    cal.events[1].uid = cal.events[0].uid.clone();
    assert_eq!(
        cal.to_ics(stamp()).unwrap_err().to_string(),
        "two events have the UID `ms365-e3-cancel-by@entitle`; calendar programs would keep only one of them"
    );
    let mut cal = sample();
    cal.events[0].uid = " ".into();
    assert!(matches!(
        cal.to_ics(stamp()),
        Err(IcalError::EmptyUid { .. })
    ));
    let mut cal = sample();
    cal.events[0].date = date(9999, 12, 31);
    assert!(matches!(
        cal.to_ics(stamp()),
        Err(IcalError::DateOutOfRange { .. })
    ));
    let mut cal = sample();
    cal.events[0].sequence = u32::MAX;
    assert!(matches!(
        cal.to_ics(stamp()),
        Err(IcalError::SequenceTooLarge { .. })
    ));
    let mut out = Vec::new();
    assert!(sample().write_to(&mut out, stamp()).is_ok());
    assert_eq!(out, sample().to_ics(stamp()).unwrap().into_bytes());
}
