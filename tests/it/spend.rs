//! `entitle spend`: paid per vendor, product and calendar year, each
//! currency separately, voided events left out, as known at a seq.

use serde_json::{json, Value};

use crate::util::TestStore;

fn setup() -> TestStore {
    let s = TestStore::new();
    s.ok(&[
        "purchase",
        "--vendor",
        "Acme",
        "--product",
        "CAD",
        "--metric",
        "user",
        "--qty",
        "10",
        "--start",
        "2024-01-01",
        "--end",
        "2024-12-31",
        "--cost",
        "1200.00",
        "--currency",
        "EUR",
    ]);
    s.ok(&[
        "adjust",
        "L-0001",
        "--qty",
        "12",
        "--cost",
        "150.50",
        "--currency",
        "EUR",
        "--effective",
        "2024-05-01",
    ]);
    s.ok(&[
        "extend",
        "L-0001",
        "--until",
        "2025-12-31",
        "--cost",
        "1440.00",
        "--currency",
        "EUR",
        "--effective",
        "2025-01-01",
    ]);
    s.ok(&[
        "purchase",
        "--vendor",
        "acme",
        "--product",
        "Viewer",
        "--metric",
        "user",
        "--qty",
        "5",
        "--start",
        "2024-03-01",
        "--cost",
        "99.99",
        "--currency",
        "USD",
    ]);
    s.ok(&[
        "purchase",
        "--vendor",
        "Globex",
        "--product",
        "DB",
        "--metric",
        "core",
        "--qty",
        "8",
        "--start",
        "2024-02-01",
        "--cost",
        "8000",
        "--currency",
        "USD",
    ]);
    s
}

fn spend_rows(v: &Value) -> Vec<(i64, String, String, String, String)> {
    v["spend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["year"].as_i64().unwrap(),
                r["vendor"].as_str().unwrap().to_owned(),
                r["product"].as_str().unwrap().to_owned(),
                r["currency"].as_str().unwrap().to_owned(),
                r["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn spend_per_year_vendor_product_currency() {
    let s = setup();
    let all = s.json(&["spend"]);
    let rows = spend_rows(&all);
    let r = |y, v: &str, p: &str, c: &str, a: &str| (y, v.into(), p.into(), c.into(), a.into());
    assert_eq!(
        rows,
        vec![
            r(2024, "Acme", "CAD", "EUR", "1350.50"),
            r(2024, "acme", "Viewer", "USD", "99.99"),
            r(2024, "Globex", "DB", "USD", "8000"),
            r(2025, "Acme", "CAD", "EUR", "1440.00"),
        ]
    );
    assert_eq!(
        all["totals"],
        json!([
            {"year": 2024, "currency": "EUR", "amount": "1350.50"},
            {"year": 2024, "currency": "USD", "amount": "8099.99"},
            {"year": 2025, "currency": "EUR", "amount": "1440.00"},
        ])
    );
    let y2025 = s.json(&["spend", "--year", "2025"]);
    assert_eq!(spend_rows(&y2025).len(), 1);
    let acme = s.json(&["spend", "--vendor", "ACME", "--year", "2024"]);
    assert_eq!(spend_rows(&acme).len(), 2);

    // Void the true-up: it no longer counts now, but still as known before.
    s.ok(&["void", "2", "--note", "wrong invoice"]);
    let now = s.json(&["spend", "--year", "2024", "--vendor", "Acme"]);
    assert_eq!(spend_rows(&now)[0].4, "1200.00");
    let before = s.json(&[
        "spend",
        "--year",
        "2024",
        "--vendor",
        "Acme",
        "--known-at",
        "#5",
    ]);
    assert_eq!(spend_rows(&before)[0].4, "1350.50");
}

#[test]
fn spend_table_and_csv() {
    let s = setup();
    let text = s.ok(&["spend", "--year", "2024"]);
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(text.contains("total 2024: 1350.50 EUR"), "{text}");
    assert!(text.contains("total 2024: 8099.99 USD"), "{text}");
    let out = s.run(&["spend", "--format", "csv"]);
    assert!(out.status.success());
    assert!(out.stdout.starts_with(b"\xEF\xBB\xBF"));
    let mut r = csv::Reader::from_reader(&out.stdout[3..]);
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["year", "vendor", "product", "currency", "amount", "events"]
    );
    let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(recs.len(), 4);
    assert_eq!(&recs[0][4], "1350.50");
    assert_eq!(&recs[0][5], "2");
}
