//! `entitle renewals`: notice deadlines across year ends and leap days,
//! auto-renewal assumed then confirmed, and the .ics read by a real parser.

use icalendar::parser::{read_calendar, unfold};
use serde_json::Value;

use crate::util::TestStore;

fn purchase(s: &TestStore, extra: &[&str]) {
    let mut args = vec!["purchase", "--metric", "user", "--qty", "10"];
    args.extend_from_slice(extra);
    s.ok(&args);
}

fn renewals(s: &TestStore, as_of: &str, within: &str) -> Value {
    s.json(&["renewals", "--as-of", as_of, "--within", within])
}

fn only(v: &Value) -> &Value {
    let list = v["renewals"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{v:#}");
    &list[0]
}

#[test]
fn ninety_days_notice_before_1_march_2028() {
    let s = TestStore::new();
    purchase(
        &s,
        &[
            "--vendor",
            "Adobe",
            "--product",
            "Acrobat Pro",
            "--start",
            "2027-03-02",
            "--end",
            "2028-03-01",
            "--notice-days",
            "90",
            "--owner",
            "Jürgen Müller",
            "--cost",
            "4500.00",
            "--currency",
            "EUR",
            "--id",
            "ACRO",
        ],
    );
    let v = renewals(&s, "2027-12-01", "120");
    assert_eq!(v["as_of"], "2027-12-01");
    assert_eq!(v["within_days"], 120);
    let r = only(&v);
    assert_eq!(r["id"], "ACRO");
    assert_eq!(r["vendor"], "Adobe");
    assert_eq!(r["product"], "Acrobat Pro");
    assert_eq!(r["end"], "2028-03-01");
    assert_eq!(r["notice_days"], 90);
    assert_eq!(r["cancel_by"], "2027-12-02", "2028 is a leap year");
    assert_eq!(r["auto_renew"], false);
    assert_eq!(r["owner"], "Jürgen Müller");
    assert_eq!(r["status"], "open");
    assert_eq!(r["cost"], "4500.00");
    assert_eq!(r["currency"], "EUR");
    assert_eq!(
        only(&renewals(&s, "2027-12-02", "120"))["status"],
        "open",
        "the cancel-by day itself is still in time"
    );
    assert_eq!(
        only(&renewals(&s, "2027-12-03", "120"))["status"],
        "deadline-passed"
    );
    // default window is 90 days: 2027-12-01 + 90 = 2028-02-29 < end
    let v = s.json(&["renewals", "--as-of", "2027-12-01"]);
    assert_eq!(v["within_days"], 90);
    assert!(v["renewals"].as_array().unwrap().is_empty(), "{v:#}");
}

#[test]
fn across_the_year_end() {
    let s = TestStore::new();
    purchase(
        &s,
        &[
            "--vendor",
            "Microsoft",
            "--product",
            "Visio",
            "--start",
            "2024-01-16",
            "--end",
            "2025-01-15",
            "--notice-days",
            "30",
        ],
    );
    let r = renewals(&s, "2024-12-10", "90");
    let r = only(&r);
    assert_eq!(r["end"], "2025-01-15");
    assert_eq!(r["cancel_by"], "2024-12-16");
    assert_eq!(r["status"], "open");
    assert_eq!(
        only(&renewals(&s, "2024-12-20", "90"))["status"],
        "deadline-passed"
    );
    // end must fall in (D, D+within]
    assert!(renewals(&s, "2025-01-15", "90")["renewals"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(only(&renewals(&s, "2025-01-14", "1"))["end"], "2025-01-15");
    assert!(renewals(&s, "2024-12-10", "35")["renewals"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn end_on_a_leap_day() {
    let s = TestStore::new();
    purchase(
        &s,
        &[
            "--vendor",
            "Autodesk",
            "--product",
            "AutoCAD LT",
            "--start",
            "2023-03-01",
            "--end",
            "2024-02-29",
            "--notice-days",
            "30",
        ],
    );
    let r = renewals(&s, "2024-01-15", "90");
    let r = only(&r);
    assert_eq!(r["end"], "2024-02-29");
    assert_eq!(r["cancel_by"], "2024-01-30");
    assert!(renewals(&s, "2024-02-29", "90")["renewals"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn auto_renewal_assumed_then_confirmed_by_extend() {
    let s = TestStore::new();
    purchase(
        &s,
        &[
            "--vendor",
            "Acme",
            "--product",
            "CAD",
            "--id",
            "CAD",
            "--start",
            "2023-01-01",
            "--end",
            "2023-12-31",
            "--notice-days",
            "30",
            "--auto-renew",
            "--renewal-months",
            "12",
            "--cost",
            "1200",
            "--currency",
            "EUR",
        ],
    );
    let v = renewals(&s, "2024-12-01", "90");
    let r = only(&v);
    assert_eq!(r["status"], "renewed-assumed");
    assert_eq!(r["end"], "2024-12-31", "the assumed renewal's end");
    assert_eq!(r["cancel_by"], "2024-12-01");
    assert_eq!(r["auto_renew"], true);

    s.ok(&[
        "extend",
        "CAD",
        "--until",
        "2024-12-31",
        "--effective",
        "2024-01-01",
        "--cost",
        "1300",
        "--currency",
        "EUR",
    ]);
    let v = renewals(&s, "2024-12-01", "90");
    let r = only(&v);
    assert_eq!(r["status"], "open", "confirmed: no longer assumed");
    assert_eq!(r["end"], "2024-12-31");
    assert_eq!(r["cost"], "1300", "the cost of the next term is the latest");
    // as known before the extend, it is still assumed
    let v = s.json(&["renewals", "--as-of", "2024-12-01", "--known-at", "#1"]);
    assert_eq!(only(&v)["status"], "renewed-assumed");
}

#[test]
fn ics_parses_with_a_real_parser() {
    let s = TestStore::new();
    purchase(
        &s,
        &[
            "--vendor",
            "Adobe",
            "--product",
            "Acrobat Pro",
            "--start",
            "2027-03-02",
            "--end",
            "2028-03-01",
            "--notice-days",
            "90",
            "--id",
            "ACRO",
        ],
    );
    purchase(
        &s,
        &[
            "--vendor",
            "Microsoft",
            "--product",
            "Visio",
            "--start",
            "2027-01-16",
            "--end",
            "2028-01-15",
            "--id",
            "VISIO",
        ],
    );
    s.ok(&["adjust", "ACRO", "--qty", "12", "--effective", "2027-06-01"]);
    let ics_path = s.path.with_file_name("deadlines.ics");
    let ics_arg = ics_path.to_str().unwrap();
    s.ok(&[
        "renewals",
        "--as-of",
        "2027-11-20",
        "--within",
        "120",
        "--ics",
        ics_arg,
    ]);
    let text = std::fs::read_to_string(&ics_path).unwrap();
    let unfolded = unfold(&text);
    let cal = read_calendar(&unfolded).expect("valid iCalendar");
    let events: Vec<_> = cal
        .components
        .iter()
        .filter(|c| c.name.as_str() == "VEVENT")
        .collect();
    // ACRO: cancel-by and end; VISIO (no notice period): end only
    assert_eq!(events.len(), 3, "{text}");
    let prop = |c: &icalendar::parser::Component, n: &str| {
        c.find_prop(n).map(|p| p.val.as_str().to_owned())
    };
    let format = std::fs::read_to_string(s.path.join("FORMAT")).unwrap();
    let store_id = format
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .expect("store id in FORMAT")
        .to_owned();
    let find = |uid: &str| {
        events
            .iter()
            .find(|e| prop(e, "UID").as_deref() == Some(uid))
            .unwrap_or_else(|| panic!("no event {uid} in\n{text}"))
    };
    let cancel = find(&format!("{store_id}-ACRO-cancel-by@entitle"));
    assert_eq!(prop(cancel, "DTSTART").as_deref(), Some("20271202"));
    assert_eq!(prop(cancel, "SEQUENCE").as_deref(), Some("3"), "the adjust");
    let end = find(&format!("{store_id}-ACRO-end@entitle"));
    assert_eq!(prop(end, "DTSTART").as_deref(), Some("20280301"));
    let visio = find(&format!("{store_id}-VISIO-end@entitle"));
    assert_eq!(prop(visio, "DTSTART").as_deref(), Some("20280115"));
    assert_eq!(prop(visio, "SEQUENCE").as_deref(), Some("2"));
    for e in &events {
        let triggers: Vec<String> = e
            .components
            .iter()
            .filter(|c| c.name.as_str() == "VALARM")
            .filter_map(|c| prop(c, "TRIGGER"))
            .collect();
        assert_eq!(triggers, ["-P30D", "-P7D"]);
    }
    // DTSTAMP is the head's recorded_at: the same file on re-export
    let head: Value = serde_json::from_str(s.log_lines().last().unwrap()).unwrap();
    let stamp = head["recorded_at"]
        .as_str()
        .unwrap()
        .replace(['-', ':'], "");
    assert_eq!(prop(events[0], "DTSTAMP").as_deref(), Some(stamp.as_str()));
    s.ok(&[
        "renewals",
        "--as-of",
        "2027-11-20",
        "--within",
        "120",
        "--ics",
        ics_arg,
    ]);
    assert_eq!(std::fs::read_to_string(&ics_path).unwrap(), text);
}

#[test]
fn csv_output_reads_back_with_a_csv_parser() {
    let s = TestStore::new();
    purchase(
        &s,
        &[
            "--vendor",
            "Müller, Software GmbH",
            "--product",
            "Lohn \"Plus\"",
            "--start",
            "2027-03-02",
            "--end",
            "2028-03-01",
            "--notice-days",
            "90",
            "--owner",
            "Jürgen",
            "--cost",
            "4500.50",
            "--currency",
            "EUR",
            "--id",
            "LOHN",
        ],
    );
    let out = s.run(&[
        "renewals",
        "--as-of",
        "2027-12-01",
        "--within",
        "120",
        "--format",
        "csv",
    ]);
    assert!(out.status.success());
    assert!(
        out.stdout.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 BOM for Excel"
    );
    let body = &out.stdout[3..];
    let mut r = csv::Reader::from_reader(body);
    let headers = r.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "id",
            "vendor",
            "product",
            "end",
            "notice_days",
            "cancel_by",
            "auto_renew",
            "owner",
            "status",
            "cost",
            "currency"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(&row[0], "LOHN");
    assert_eq!(&row[1], "Müller, Software GmbH");
    assert_eq!(&row[2], "Lohn \"Plus\"");
    assert_eq!(&row[5], "2027-12-02");
    assert_eq!(&row[8], "open");
    assert_eq!(&row[9], "4500.50");
    // --json and --format json agree
    let a = s.ok(&[
        "renewals",
        "--as-of",
        "2027-12-01",
        "--within",
        "120",
        "--format",
        "json",
    ]);
    let b = s.ok(&[
        "renewals",
        "--as-of",
        "2027-12-01",
        "--within",
        "120",
        "--json",
    ]);
    assert_eq!(a, b);
}
