//! `entitle import licenses`: the license spreadsheet, all or nothing.

use serde_json::Value;

use crate::util::TestStore;

fn data(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn state(s: &TestStore) -> Vec<Value> {
    s.json(&["state", "--as-of", "2024-06-30"])["licenses"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn german_windows_1252_semicolon_file() {
    let s = TestStore::new();
    let file = data("licenses-de-1252.csv");
    // Without --date-format dmy, 01.04.2024 is refused, naming file and line.
    let err = s.fails(2, &["import", "licenses", &file]);
    assert!(err.contains("licenses-de-1252.csv:2:"), "{err}");
    assert!(err.contains("nothing was recorded"), "{err}");
    assert!(s.log().is_empty());

    let dry = s.ok(&[
        "import",
        "licenses",
        &file,
        "--date-format",
        "dmy",
        "--dry-run",
    ]);
    assert!(dry.contains("would record 4 purchase(s)"), "{dry}");
    assert!(dry.contains("43200.00 EUR"), "{dry}");
    assert!(s.log().is_empty(), "dry run writes nothing");

    let out = s.ok(&["import", "licenses", &file, "--date-format", "dmy"]);
    assert!(out.contains("recorded 4 purchases"), "{out}");
    let log = s.log_lines();
    assert_eq!(log.len(), 4);
    let first: Value = serde_json::from_str(&log[0]).unwrap();
    assert_eq!(first["type"], "purchased");
    assert_eq!(first["effective"], "2024-04-01");
    assert_eq!(first["start"], "2024-04-01");
    assert_eq!(first["end"], "2025-03-31");
    assert_eq!(first["cost"], "43200.00");
    assert_eq!(first["currency"], "EUR");
    assert_eq!(first["owner"], "Jürgen Weiß");
    assert_eq!(first["notice_days"], 90);
    assert_eq!(first["auto_renew"], true);
    assert_eq!(first["po"], "PO-2024-0117");
    // The row's notes, then where the row came from: the file and the
    // BLAKE3 of its bytes (by which a second import is recognised).
    let hash = blake3::hash(&std::fs::read(&file).unwrap()).to_hex();
    assert_eq!(
        first["note"],
        format!("Rahmenvertrag über Händler (import licenses-de-1252.csv blake3:{hash})")
    );
    let second: Value = serde_json::from_str(&log[1]).unwrap();
    assert_eq!(second["cost"], "5124.96");
    assert_eq!(second["owner"], "Sabine Köhler");
    let datev: Value = serde_json::from_str(&log[3]).unwrap();
    assert_eq!(datev["qty"], "unlimited");
    assert!(datev.get("cost").is_none());

    let licenses = state(&s);
    assert_eq!(licenses.len(), 4);
}

#[test]
fn english_file_and_json_dry_run() {
    let s = TestStore::new();
    let file = data("licenses-en.csv");
    let dry = s.json(&["import", "licenses", &file, "--dry-run"]);
    assert_eq!(dry["rows"], 3);
    assert_eq!(dry["would_record"][0]["cost"], "5997.00");
    assert_eq!(dry["would_record"][0]["line"], 2);
    assert_eq!(dry["would_record"][2]["end"], Value::Null);
    let done = s.json(&["import", "licenses", &file]);
    assert_eq!(done["first_seq"], 1);
    assert_eq!(done["last_seq"], 3);
    assert_eq!(
        done["ids"],
        serde_json::json!(["L-0001", "L-0002", "L-0003"])
    );
    // Importing the same file again is refused (naming the event that
    // carries its hash) and writes nothing; --again imports it once more.
    let before = s.log();
    let err = s.fails(2, &["import", "licenses", &file]);
    assert!(err.contains("was already imported (event #1"), "{err}");
    assert!(err.contains("--again"), "{err}");
    let err = s.fails(2, &["import", "licenses", &file, "--dry-run"]);
    assert!(err.contains("was already imported"), "{err}");
    assert_eq!(s.log(), before);
    let again = s.json(&["import", "licenses", &file, "--again"]);
    assert_eq!(
        again["ids"],
        serde_json::json!(["L-0004", "L-0005", "L-0006"])
    );
    assert_eq!(s.log_lines().len(), 6);
    let spend = s.json(&["spend", "--year", "2024"]);
    let amounts: Vec<&str> = spend["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["21578.00"]);
}

#[test]
fn every_bad_row_is_reported_and_nothing_written() {
    let s = TestStore::new();
    let file = data("licenses-bad.csv");
    let err = s.fails(2, &["import", "licenses", &file]);
    for line in [3, 4, 5, 6, 7] {
        assert!(
            err.contains(&format!("licenses-bad.csv:{line}:")),
            "line {line} not reported:\n{err}"
        );
    }
    assert!(!err.contains("licenses-bad.csv:2:"), "{err}");
    assert!(err.contains("seat"), "{err}");
    // The rules are those of `entitle purchase` (field-named messages).
    assert!(
        err.contains("end 2024-01-01 is before the start 2024-06-01"),
        "{err}"
    );
    assert!(err.contains("quantity 0 must be at least 1"), "{err}");
    assert!(err.contains("needs a currency"), "{err}");
    assert!(s.log().is_empty());
}

#[test]
fn mapped_headers() {
    let s = TestStore::new();
    let file = s.path.with_file_name("mapped.csv");
    crate::util::write(
        &file,
        "Maker,Software,Metric,Seats,Start\nAcme,CAD,user,3,2024-01-01\n",
    );
    let f = file.to_str().unwrap();
    let err = s.fails(2, &["import", "licenses", f]);
    assert!(err.contains("vendor"), "{err}");
    s.ok(&[
        "import",
        "licenses",
        f,
        "--map",
        "vendor=Maker,product=Software,quantity=Seats",
    ]);
    assert_eq!(s.log_lines().len(), 1);
}

/// With a store, a dry run lets the ledger check the rows as well and shows
/// the ids they would get, continuing after the licenses already there.
#[test]
fn dry_run_against_a_store_shows_the_ids() {
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
        "2",
        "--start",
        "2024-01-01",
    ]);
    let before = s.log();
    let file = data("licenses-en.csv");
    let dry = s.json(&["import", "licenses", &file, "--dry-run"]);
    let ids: Vec<&str> = dry["would_record"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["L-0002", "L-0003", "L-0004"]);
    let table = s.ok(&["import", "licenses", &file, "--dry-run"]);
    assert!(table.contains("L-0004"), "{table}");
    assert_eq!(s.log(), before, "a dry run writes nothing");
}

/// A count rule column (`Zählregel` in German files) records the rule on
/// the license, as `purchase --count-rule` does; an unknown rule or one
/// that cannot count the metric is named by its line and column.
#[test]
fn a_count_rule_column_records_the_rule() {
    let s = TestStore::new();
    let file = s.path.with_file_name("server.csv");
    crate::util::write(
        &file,
        "Hersteller;Produkt;Metrik;Menge;Beginn;Zählregel\n\
         Microsoft;Windows Server Standard;core;48;2025-01-01;microsoft-core\n\
         Microsoft;SQL Server Standard;user;8;2025-01-01;sql-server-core\n\
         Oracle;WebLogic;processor;2;2025-01-01;per-socket\n",
    );
    let f = file.to_str().unwrap();
    let err = s.fails(2, &["import", "licenses", f]);
    assert!(
        err.contains("server.csv:3:") && err.contains("count rule"),
        "{err}"
    );
    assert!(
        err.contains("server.csv:4:") && err.contains("per-socket"),
        "{err}"
    );
    assert!(!err.contains("server.csv:2:"), "{err}");
    assert!(s.log().is_empty());
    crate::util::write(
        &file,
        "Hersteller;Produkt;Metrik;Menge;Beginn;Zählregel\n\
         Microsoft;Windows Server Standard;core;48;2025-01-01;microsoft-core\n\
         Adobe;Acrobat Pro;user;5;2025-01-01;\n",
    );
    s.ok(&["import", "licenses", f]);
    let lines = s.log_lines();
    assert!(
        lines[0].contains(r#""count_rule":"microsoft-core""#),
        "{}",
        lines[0]
    );
    assert!(!lines[1].contains("count_rule"), "{}", lines[1]);
}
