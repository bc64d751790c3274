//! `--format csv` on `state` and `position`: read back by a real CSV parser.

use std::collections::HashMap;

use crate::util::TestStore;

fn read_csv(bytes: &[u8]) -> Vec<HashMap<String, String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn setup() -> TestStore {
    let s = TestStore::new();
    s.ok(&[
        "purchase",
        "--vendor",
        "Müller, Söhne & Co",
        "--product",
        "CAD \"Pro\"",
        "--metric",
        "user",
        "--qty",
        "25",
        "--start",
        "2024-01-01",
        "--end",
        "2024-12-31",
        "--cost",
        "1234.50",
        "--currency",
        "EUR",
        "--id",
        "CAD",
    ]);
    s.ok(&[
        "usage",
        "record",
        "--vendor",
        "Müller, Söhne & Co",
        "--product",
        "CAD \"Pro\"",
        "--metric",
        "user",
        "--count",
        "30",
        "--date",
        "2024-06-30",
    ]);
    s
}

#[test]
fn state_as_csv() {
    let s = setup();
    let out = s.run(&["state", "--as-of", "2024-06-30", "--format", "csv"]);
    assert!(out.status.success());
    let rows = read_csv(&out.stdout);
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["id"], "CAD");
    assert_eq!(r["vendor"], "Müller, Söhne & Co");
    assert_eq!(r["product"], "CAD \"Pro\"");
    assert_eq!(r["quantity"], "25");
    assert_eq!(r["status"], "active");
    assert_eq!(r["end"], "2024-12-31");
    assert_eq!(r["cost"], "1234.50");
    assert_eq!(r["currency"], "EUR");
    assert_eq!(r["owner"], "");
}

#[test]
fn position_as_csv_agrees_with_json() {
    let s = setup();
    let out = s.run(&["position", "--as-of", "2024-07-01", "--format", "csv"]);
    assert!(out.status.success());
    let rows = read_csv(&out.stdout);
    let json = s.json(&["position", "--as-of", "2024-07-01"]);
    let products = json["products"].as_array().unwrap();
    assert_eq!(rows.len(), products.len());
    let r = &rows[0];
    assert_eq!(r["vendor"], "Müller, Söhne & Co");
    assert_eq!(r["entitled"], products[0]["entitled"].to_string());
    assert_eq!(r["status"], products[0]["status"].as_str().unwrap());
    assert_eq!(r["status"], "under");
    let json2 = s.ok(&["position", "--as-of", "2024-07-01", "--format", "json"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json2).unwrap(),
        json
    );
}
