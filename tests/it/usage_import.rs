//! `entitle usage import`: CSV files from inventory tools, all or nothing.

use std::path::PathBuf;

use crate::util::TestStore;

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

fn usage_events(s: &TestStore) -> Vec<serde_json::Value> {
    s.log_lines()
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["type"] == "usage_recorded")
        .collect()
}

#[test]
fn german_windows_1252_semicolon_export() {
    let s = TestStore::new();
    let out = s.ok(&[
        "usage",
        "import",
        &data("usage-de-1252.csv"),
        "--source",
        "SCCM",
    ]);
    assert!(out.contains("recorded 3 usage counts"), "{out}");
    let events = usage_events(&s);
    assert_eq!(events.len(), 3);
    assert_eq!(events[0]["vendor"], "Microsoft");
    assert_eq!(events[0]["count"], 1234, "German thousands separator");
    assert_eq!(events[0]["effective"], "2024-06-30");
    assert_eq!(events[0]["source"], "SCCM");
    assert_eq!(events[1]["product"], "Lohn und Gehalt für Büro", "umlauts");
    assert_eq!(events[2]["metric"], "device");
    let hash = blake3::hash(&std::fs::read(data("usage-de-1252.csv")).unwrap()).to_hex();
    assert_eq!(
        events[0]["note"],
        format!("import usage-de-1252.csv blake3:{hash}")
    );
}

#[test]
fn english_utf8_export_and_position() {
    let s = TestStore::new();
    let out = s.json(&["usage", "import", &data("usage-en.csv")]);
    assert_eq!(out["rows"], 3);
    assert_eq!(out["first_seq"], 1);
    assert_eq!(out["last_seq"], 3);
    let pos = s.json(&["position", "--as-of", "2024-07-01"]);
    let text = pos.to_string();
    assert!(
        text.contains("IntelliJ IDEA Ultimate, All Products"),
        "{text}"
    );
}

#[test]
fn one_batch_one_append() {
    let s = TestStore::new();
    s.ok(&["usage", "import", &data("usage-en.csv")]);
    // all rows carry the same recorded_at: they were written as one batch
    let events = usage_events(&s);
    assert!(events
        .iter()
        .all(|e| e["recorded_at"] == events[0]["recorded_at"]));
}

#[test]
fn reimport_is_refused_unless_again() {
    let s = TestStore::new();
    let file = data("usage-en.csv");
    s.ok(&["usage", "import", &file]);
    let before = s.log();
    let err = s.fails(2, &["usage", "import", &file]);
    assert!(err.contains("already imported"), "{err}");
    assert!(err.contains("--again"), "{err}");
    assert_eq!(s.log(), before, "nothing written");
    s.ok(&["usage", "import", &file, "--again"]);
    assert_eq!(usage_events(&s).len(), 6);
}

#[test]
fn dry_run_writes_nothing() {
    let s = TestStore::new();
    s.ok(&["usage", "import", &data("usage-de-1252.csv")]);
    let before = s.log();
    let out = s.ok(&["usage", "import", &data("usage-en.csv"), "--dry-run"]);
    assert!(out.contains("would record 3 usage counts"), "{out}");
    assert_eq!(s.log(), before);
}

#[test]
fn map_names_other_headers() {
    let s = TestStore::new();
    let file = data("usage-mapped.csv");
    let err = s.fails(2, &["usage", "import", &file]);
    assert!(err.contains("missing required column"), "{err}");
    s.ok(&[
        "usage",
        "import",
        &file,
        "--map",
        "count=Installations,product=Software",
    ]);
    let events = usage_events(&s);
    assert_eq!(events[0]["product"], "AutoCAD LT");
    assert_eq!(events[0]["count"], 5);
}

#[test]
fn every_bad_row_is_reported_and_nothing_written() {
    let s = TestStore::new();
    s.ok(&["usage", "import", &data("usage-en.csv")]);
    let before = s.log();
    let file = data("usage-bad.csv");
    let err = s.fails(2, &["usage", "import", &file]);
    for (line, what) in [
        (2, "`twelve` is not a number"),
        (3, "`-3` is negative"),
        (4, "`2024-02-30` is not a date"),
        (5, "unknown metric `seat`"),
        (6, "has 4 fields but the header has 5"),
    ] {
        let expected = format!("{file}:{line}: ");
        let hit = err
            .lines()
            .find(|l| l.contains(&expected))
            .unwrap_or_else(|| panic!("no error for line {line}:\n{err}"));
        assert!(hit.contains(what), "line {line}: {hit}");
    }
    assert!(!err.contains(&format!("{file}:7:")), "{err}");
    assert!(err.contains("5 bad rows"), "{err}");
    assert!(err.contains("nothing was recorded"), "{err}");
    assert_eq!(s.log(), before, "the log did not grow");
}

#[test]
fn missing_header_column() {
    let s = TestStore::new();
    s.ok(&["usage", "import", &data("usage-en.csv")]);
    let before = s.log();
    let file = data("usage-no-count.csv");
    let err = s.fails(2, &["usage", "import", &file]);
    assert!(
        err.contains(&format!("{file}:1: missing required column `count`")),
        "{err}"
    );
    assert_eq!(s.log(), before);
}
