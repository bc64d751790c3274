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
        // The rules are those of `entitle usage record` (field-named).
        (2, "count twelve is not a whole number"),
        (3, "count -3 must be zero or more"),
        (4, "`2024-02-30` is not a date"),
        (5, "metric seat is not a known metric"),
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
    assert!(
        err.contains("name it in the column map (--map), e.g. --map count="),
        "the hint names the flag: {err}"
    );
    assert_eq!(s.log(), before);
}

/// A 200 MB export whose very last row is bad: every row is read and
/// checked as it streams past, the bad one is named by file and line, the
/// store is not even created, and the process never holds the file in
/// memory.
#[test]
fn a_200_mb_file_with_a_bad_last_row_is_refused_in_bounded_memory() {
    use std::io::Write;
    let s = TestStore::new();
    let file = s.path.with_file_name("inventory-200mb.csv");
    let rows = 200_000u64;
    let comment = "c".repeat(1000);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    writeln!(out, "vendor,product,metric,count,date,comment").unwrap();
    for i in 0..rows {
        let count = if i == rows - 1 {
            "12x".to_owned()
        } else {
            (i % 997).to_string()
        };
        writeln!(
            out,
            "Acme,Product {},device,{count},2024-{:02}-{:02},{comment}",
            i % 500,
            1 + i % 12,
            1 + i % 28
        )
        .unwrap();
    }
    out.flush().unwrap();
    drop(out);
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(size > 200_000_000, "{size} bytes");

    let name = file.to_str().unwrap();
    let run = crate::common::measure(s.command(&["usage", "import", name]));
    assert_eq!(run.code, 2);
    let err = s.fails(2, &["usage", "import", name]);
    let last_line = rows + 1; // the header is line 1
    assert!(
        err.contains(&format!("inventory-200mb.csv:{last_line}:")),
        "{err}"
    );
    assert!(err.contains("12x"), "{err}");
    assert!(err.contains("1 bad row"), "{err}");
    assert!(err.contains("nothing was recorded"), "{err}");
    assert!(
        !s.path.exists(),
        "a refused file must not even create the store"
    );
    // Streamed: the file is 200 MB; the process stays far below that.
    assert!(
        run.peak_kib < 64 * 1024,
        "peak RSS {} KiB for a {size}-byte file",
        run.peak_kib
    );
}

/// An import long enough to spill to disk in several chunks, killed at
/// random moments: each time the store opens, `verify` passes, and the
/// import is either wholly there or not at all; the ones reported as
/// recorded are all there.
#[test]
fn a_long_import_killed_part_way_is_all_or_nothing() {
    use std::process::Stdio;
    use std::time::{Duration, SystemTime};
    const ROWS: usize = 40_000; // more than two chunks of 16,384
    const ROUNDS: usize = 6;
    let s = TestStore::new();
    let file = s.path.with_file_name("long.csv");
    let mut text = String::from("vendor,product,metric,count,date\n");
    for i in 0..ROWS {
        text.push_str(&format!(
            "Acme,Product {},user,{},2024-{:02}-{:02}\n",
            i % 300,
            i % 1000,
            1 + i % 12,
            1 + i % 28
        ));
    }
    std::fs::write(&file, text).unwrap();
    let name = file.to_str().unwrap();
    let mut seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("long import crash test seed {seed}");
    let mut reported = 0usize;
    for round in 0..ROUNDS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = s
            .command(&["usage", "import", name, "--again"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The last round is never killed: a whole import must go through.
        if round + 1 < ROUNDS {
            std::thread::sleep(Duration::from_millis(seed % 3000));
            let _ = child.kill();
        }
        if child.wait().unwrap().success() {
            reported += 1;
        }
        // A kill in the first milliseconds can come before the store is
        // created: then there is nothing to verify (and no event).
        if s.path.join("FORMAT").exists() {
            s.ok(&["verify"]);
        }
        let events = s.log_lines().len();
        assert_eq!(
            events % ROWS,
            0,
            "an import was torn apart: {events} events"
        );
        assert!(
            events / ROWS >= reported,
            "{events} events, {reported} reported"
        );
    }
    assert!(reported >= 1);
    // What the position sees equals what the log holds.
    let imports = s.log_lines().len() / ROWS;
    let products = s.json(&["position", "--as-of", "2024-12-31"]);
    assert_eq!(products["products"].as_array().unwrap().len(), 300);
    assert!(imports >= reported);
}

/// Imports `text` as `file_name`, which must be refused with nothing
/// recorded; returns the file's path as shown and the error.
fn refused_import(s: &TestStore, file_name: &str, text: &str) -> (String, String) {
    let file = s.path.with_file_name(file_name);
    crate::util::write(&file, text);
    let name = file.to_str().unwrap().to_owned();
    let err = s.fails(2, &["usage", "import", &name]);
    assert!(err.contains("nothing was recorded"), "{err}");
    assert_eq!(s.log(), "", "nothing written");
    (name, err)
}

/// A quote opened in a value and never closed used to take in the rest of
/// the file as that value: one row recorded, the rows after it lost. Now the
/// import names the line of the quote and records nothing.
#[test]
fn an_unclosed_quote_fails_the_import_at_its_line() {
    let s = TestStore::new();
    let (name, err) = refused_import(
        &s,
        "unclosed-quote.csv",
        "vendor,product,metric,count,date,notes\n\
         Acme,CAD,user,3,2024-01-01,\"open\n\
         Acme,CAD,user,4,2024-02-01,fine\n",
    );
    assert!(
        err.contains(&format!(
            "{name}:2: a quote opened on line 2 is never closed; close it or remove it"
        )),
        "{err}"
    );
}

/// Two stray quotes used to join the rows between them into one product
/// name silently: three counts recorded as one, under a nonsense product.
/// A name cannot hold a line break, so the import names both lines.
#[test]
fn stray_quotes_that_join_rows_fail_the_import_naming_both_lines() {
    let s = TestStore::new();
    let (name, err) = refused_import(
        &s,
        "stray-quotes.csv",
        "vendor,product,metric,count,date\n\
         Acme,CAD,user,3,2024-01-01\n\
         Acme,\"CAD,user,4,2024-02-01\n\
         Acme,CAD,user,5,2024-03-01\n\
         Acme,CAD\",user,6,2024-04-01\n",
    );
    assert!(
        err.contains(&format!(
            "{name}:3: column `product` runs from line 3 to line 5, but a name cannot hold a line break"
        )),
        "{err}"
    );
}
