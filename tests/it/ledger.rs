//! The ledger end to end: writes, bitemporal queries, bad input.

use serde_json::Value;

use crate::util::TestStore;

const HISTORY: &[&str] = &[
    r#"{"type":"purchased","vendor":"Acme","product":"CAD","metric":"user","qty":10,"start":"2022-01-01","end":"2022-12-31","cost":"5000","currency":"EUR"}"#,
    r#"{"type":"purchased","id":"ORA-1","vendor":"Oracle","product":"DB","metric":"processor","qty":4,"start":"2022-06-01"}"#,
    r#"{"type":"usage_recorded","vendor":"Acme","product":"CAD","metric":"user","count":8,"effective":"2022-06-30"}"#,
    r#"{"type":"extended","id":"L-0001","until":"2023-12-31","qty":12,"effective":"2023-01-01"}"#,
    r#"{"type":"usage_recorded","vendor":" acme ","product":"cad","metric":"user","count":13,"effective":"2023-06-30","source":"inventory"}"#,
    r#"{"type":"adjusted","id":"L-0001","qty":15,"effective":"2023-07-01","note":"true-up"}"#,
    r#"{"type":"usage_recorded","vendor":"Oracle","product":"DB","metric":"processor","count":6,"effective":"2023-06-30"}"#,
    r#"{"type":"voided","voids":7,"note":"counted the test servers"}"#,
    r#"{"type":"usage_recorded","vendor":"Oracle","product":"DB","metric":"processor","count":3,"effective":"2023-06-30"}"#,
    r#"{"type":"cancelled","id":"ORA-1","effective":"2024-01-01"}"#,
    r#"{"type":"purchased","vendor":"Acme","product":"CAD","metric":"user","qty":5,"start":"2024-05-01","end":"2025-04-30"}"#,
];

fn history() -> TestStore {
    let s = TestStore::new();
    let out = s.import(HISTORY);
    assert_eq!(out.trim(), "recorded 11 events: #1..#11");
    s
}

/// (id, status, quantity) of each license.
fn state(s: &TestStore, as_of: &str, known: Option<&str>) -> Vec<(String, String, Value)> {
    let mut args = vec!["state", "--as-of", as_of];
    if let Some(k) = known {
        args.extend(["--known-at", k]);
    }
    let v = s.json(&args);
    v["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap().to_owned(),
                l["status"].as_str().unwrap().to_owned(),
                l["quantity"].clone(),
            )
        })
        .collect()
}

/// (product, entitled, used, balance, status) of each position row.
fn position(
    s: &TestStore,
    as_of: &str,
    known: Option<&str>,
) -> Vec<(String, Value, Value, Value, String)> {
    let mut args = vec!["position", "--as-of", as_of];
    if let Some(k) = known {
        args.extend(["--known-at", k]);
    }
    let v = s.json(&args);
    v["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["product"].as_str().unwrap().to_owned(),
                r["entitled"].clone(),
                r["used"].clone(),
                r["balance"].clone(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn lic(id: &str, status: &str, qty: u64) -> (String, String, Value) {
    (id.into(), status.into(), qty.into())
}

fn row(
    product: &str,
    entitled: u64,
    used: Option<u64>,
    balance: Option<i64>,
    status: &str,
) -> (String, Value, Value, Value, String) {
    (
        product.into(),
        entitled.into(),
        used.into(),
        balance.into(),
        status.into(),
    )
}

#[test]
fn state_as_of_several_dates() {
    let s = history();
    assert_eq!(state(&s, "2021-12-31", None), vec![]);
    assert_eq!(
        state(&s, "2022-06-30", None),
        vec![lic("L-0001", "active", 10), lic("ORA-1", "active", 4)]
    );
    assert_eq!(
        state(&s, "2022-12-31", None),
        vec![lic("L-0001", "active", 10), lic("ORA-1", "active", 4)]
    );
    assert_eq!(
        state(&s, "2023-06-30", None),
        vec![lic("L-0001", "active", 12), lic("ORA-1", "active", 4)]
    );
    assert_eq!(
        state(&s, "2023-07-01", None),
        vec![lic("L-0001", "active", 15), lic("ORA-1", "active", 4)]
    );
    assert_eq!(
        state(&s, "2024-01-01", None),
        vec![lic("L-0001", "expired", 15), lic("ORA-1", "cancelled", 4)]
    );
    // The third purchase got the next generated id (ORA-1 was the second).
    assert_eq!(
        state(&s, "2024-05-01", None),
        vec![
            lic("L-0001", "expired", 15),
            lic("L-0003", "active", 5),
            lic("ORA-1", "cancelled", 4)
        ]
    );
}

#[test]
fn state_known_at_several_seqs() {
    let s = history();
    // Before the adjustment (#6) was recorded, July 2023 showed 12 seats.
    assert_eq!(
        state(&s, "2023-07-15", Some("#5")),
        vec![lic("L-0001", "active", 12), lic("ORA-1", "active", 4)]
    );
    assert_eq!(
        state(&s, "2023-07-15", Some("#6")),
        vec![lic("L-0001", "active", 15), lic("ORA-1", "active", 4)]
    );
    // Before the extension (#4), 2023 had only an expired licence.
    assert_eq!(
        state(&s, "2023-03-01", Some("#3"))[0],
        lic("L-0001", "expired", 10)
    );
    assert_eq!(state(&s, "2023-03-01", Some("#0")), vec![]);
    let v = s.json(&["state", "--as-of", "2023-03-01", "--known-at", "#4"]);
    assert_eq!(v["as_of"], "2023-03-01");
    assert_eq!(v["known_at_seq"], 4);
    assert_eq!(v["licenses"][0]["end"], "2023-12-31");
    assert_eq!(v["licenses"][0]["cost"], "5000");
    assert_eq!(v["licenses"][0]["currency"], "EUR");
}

#[test]
fn position_as_of_and_known_at() {
    let s = history();
    assert_eq!(
        position(&s, "2022-06-30", None),
        vec![
            row("CAD", 10, Some(8), Some(2), "over"),
            row("DB", 4, None, None, "no-usage-data")
        ]
    );
    // Usage 13 against 12 seats: a shortfall; the Oracle count 6 was voided
    // by #8 and replaced by 3 (#9).
    assert_eq!(
        position(&s, "2023-06-30", None),
        vec![
            row("CAD", 12, Some(13), Some(-1), "under"),
            row("DB", 4, Some(3), Some(1), "over")
        ]
    );
    assert_eq!(
        position(&s, "2023-06-30", Some("#7"))[1],
        row("DB", 4, Some(6), Some(-2), "under")
    );
    assert_eq!(
        position(&s, "2023-06-30", Some("#8"))[1],
        row("DB", 4, None, None, "no-usage-data")
    );
    assert_eq!(
        position(&s, "2023-07-15", None)[0],
        row("CAD", 15, Some(13), Some(2), "over")
    );
    assert_eq!(
        position(&s, "2023-07-15", Some("#5"))[0],
        row("CAD", 12, Some(13), Some(-1), "under")
    );
    // After expiry and cancellation nothing is entitled.
    assert_eq!(
        position(&s, "2024-02-01", None),
        vec![
            row("CAD", 0, Some(13), Some(-13), "under"),
            row("DB", 0, Some(3), Some(-3), "under")
        ]
    );
}

#[test]
fn known_at_takes_times_and_dates() {
    let s = history();
    let yesterday = (jiff::Zoned::now().date() - jiff::Span::new().days(2)).to_string();
    assert_eq!(
        s.json(&["state", "--known-at", &yesterday])["known_at_seq"],
        0
    );
    assert_eq!(
        s.json(&["state", "--known-at", "2999-01-01T00:00:00Z"])["known_at_seq"],
        11
    );
    assert_eq!(s.json(&["state", "--known-at", "#3"])["known_at_seq"], 3);
    let err = s.fails(2, &["state", "--known-at", "#12"]);
    assert!(
        err.contains("--known-at #12 is beyond the log, which ends at #11"),
        "{err}"
    );
    let err = s.fails(2, &["state", "--known-at", "last week"]);
    assert!(
        err.contains("--known-at \"last week\" is not an RFC 3339 time"),
        "{err}"
    );
}

#[test]
fn write_commands_print_seq_and_id() {
    let s = TestStore::new();
    let out = s.ok(&[
        "purchase",
        "--vendor",
        "Microsoft",
        "--product",
        "M365 E3",
        "--metric",
        "user",
        "--qty",
        "200",
        "--start",
        "2024-01-01",
        "--end",
        "2024-12-31",
        "--cost",
        "48000.00",
        "--currency",
        "eur",
        "--notice-days",
        "90",
        "--auto-renew",
        "--tag",
        "office",
        "--tag",
        "ea",
        "--owner",
        "Anna",
    ]);
    assert_eq!(out.trim(), "recorded #1: purchased L-0001");
    let v = s.json(&[
        "purchase",
        "--vendor",
        "Adobe",
        "--product",
        "Acrobat",
        "--metric",
        "user",
        "--qty",
        "5",
        "--start",
        "2024-01-01",
        "--id",
        "ADOBE-1",
    ]);
    assert_eq!(v, serde_json::json!({"seq": 2, "id": "ADOBE-1"}));
    assert_eq!(
        s.json(&[
            "extend",
            "L-0001",
            "--until",
            "2025-12-31",
            "--effective",
            "2025-01-01"
        ])["seq"],
        3
    );
    assert_eq!(s.json(&["adjust", "ADOBE-1", "--qty", "7"])["seq"], 4);
    assert_eq!(
        s.json(&[
            "usage",
            "record",
            "--vendor",
            "Adobe",
            "--product",
            "Acrobat",
            "--metric",
            "user",
            "--count",
            "6",
            "--date",
            "2024-02-01"
        ])["seq"],
        5
    );
    assert_eq!(
        s.json(&["cancel", "ADOBE-1", "--effective", "2024-12-31"])["seq"],
        6
    );
    assert_eq!(
        s.json(&["void", "#5", "--note", "duplicate count"])["seq"],
        7
    );
    let lines = s.log_lines();
    assert_eq!(lines.len(), 7);
    let first: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(first["v"], 1);
    assert_eq!(first["actor"], "tester");
    assert_eq!(first["type"], "purchased");
    assert_eq!(first["currency"], "EUR");
    assert_eq!(first["cost"], "48000.00");
    assert_eq!(first["tags"], serde_json::json!(["office", "ea"]));
    // Field order is part of the documented format.
    assert!(
        lines[0].starts_with(r#"{"v":1,"seq":1,"recorded_at":""#),
        "{}",
        lines[0]
    );
    assert!(
        lines[6].ends_with(r#""voids":5,"note":"duplicate count"}"#),
        "{}",
        lines[6]
    );
}

#[test]
fn history_shows_both_times_and_voids() {
    let s = history();
    let out = s.ok(&["history", "ORA-1"]);
    assert!(out.contains("#2"), "{out}");
    assert!(out.contains("#10"), "{out}");
    let v = s.json(&["history", "L-0001"]);
    let events = v["events"].as_array().unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![1, 4, 6]
    );
    assert_eq!(events[2]["effective"], "2023-07-01");
    assert_eq!(events[2]["note"], "true-up");
    assert!(events[2]["recorded_at"].as_str().unwrap().ends_with('Z'));
    // A voided purchase is marked in history and gone from state.
    let id = s.json(&[
        "purchase",
        "--vendor",
        "X",
        "--product",
        "Y",
        "--metric",
        "device",
        "--qty",
        "3",
        "--start",
        "2024-01-01",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.ok(&["void", "12", "--note", "wrong vendor"]);
    let v = s.json(&["history", &id]);
    assert_eq!(v["events"][0]["voided_by"], 13);
    assert_eq!(v["events"][0]["void_note"], "wrong vendor");
    assert!(s.ok(&["history", &id]).contains("VOIDED by #13"));
    assert!(!state(&s, "2024-06-01", None).iter().any(|l| l.0 == id));
    // ... but is still there for queries known before the void.
    assert!(state(&s, "2024-06-01", Some("#12"))
        .iter()
        .any(|l| l.0 == id));
}

#[test]
fn export_chain_recomputes_with_plain_blake3() {
    let s = history();
    let export = s.ok(&["export"]);
    let log = s.log_lines();
    let mut prev = [0u8; 32];
    let mut n = 0;
    for (line, stored) in export.lines().zip(&log) {
        let v: Value = serde_json::from_str(line).unwrap();
        n += 1;
        assert_eq!(v["seq"], n);
        let record = v["record"].as_str().unwrap();
        assert_eq!(record, stored, "record is the stored bytes");
        let digest = blake3::hash(record.as_bytes());
        assert_eq!(v["digest"], digest.to_hex().as_str());
        let mut h = blake3::Hasher::new();
        h.update(&prev);
        h.update(digest.as_bytes());
        prev = *h.finalize().as_bytes();
        assert_eq!(v["hash"], blake3::Hash::from_bytes(prev).to_hex().as_str());
    }
    assert_eq!(n, 11);
    let verify = s.ok(&["verify"]);
    assert_eq!(
        verify.trim(),
        format!(
            "intact: 11 events, chain head {}",
            blake3::Hash::from_bytes(prev).to_hex()
        )
    );
}

#[test]
fn rebuild_and_lost_derived_state_give_identical_answers() {
    let s = history();
    let queries: Vec<Vec<&str>> = vec![
        vec!["state", "--as-of", "2023-06-30"],
        vec!["position", "--as-of", "2023-06-30", "--known-at", "#7"],
        vec!["position", "--as-of", "2024-02-01"],
        vec!["history", "L-0001"],
    ];
    let before: Vec<Value> = queries.iter().map(|q| s.json(q)).collect();
    assert!(s
        .ok(&["rebuild"])
        .starts_with("rebuilt derived state from 11 events"));
    let after: Vec<Value> = queries.iter().map(|q| s.json(q)).collect();
    assert_eq!(before, after);
    std::fs::remove_dir_all(s.path.join("db")).unwrap();
    let out = s.run(&["state", "--as-of", "2023-06-30", "--json"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("rebuilt it from 11 events"));
    let again: Vec<Value> = queries.iter().map(|q| s.json(q)).collect();
    assert_eq!(before, again);
    s.ok(&["verify"]);
}

#[test]
fn vendor_filter_is_case_insensitive() {
    let s = history();
    let v = s.json(&["position", "--as-of", "2023-06-30", "--vendor", "  ORACLE "]);
    assert_eq!(v["products"].as_array().unwrap().len(), 1);
    assert_eq!(v["products"][0]["vendor"], "Oracle");
    let v = s.json(&["state", "--as-of", "2023-06-30", "--vendor", "acme"]);
    assert_eq!(v["licenses"].as_array().unwrap().len(), 1);
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let s = history();
    s.ok(&[
        "purchase",
        "--id",
        "GONE",
        "--vendor",
        "X",
        "--product",
        "Y",
        "--metric",
        "user",
        "--qty",
        "1",
        "--start",
        "2024-01-01",
    ]);
    s.ok(&["void", "12", "--note", "entered twice"]);
    let p = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "purchase",
            "--vendor",
            "V",
            "--product",
            "P",
            "--metric",
            "user",
            "--qty",
            "3",
            "--start",
            "2024-01-01",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        for pair in extra.chunks(2) {
            if let Some(i) = a.iter().position(|x| x == pair[0]) {
                a[i + 1] = pair[1].to_owned();
            } else {
                a.extend(pair.iter().map(|s| (*s).to_owned()));
            }
        }
        a
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "extend".into(),
                "L-9999".into(),
                "--until".into(),
                "2025-01-01".into(),
            ],
            "unknown license id \"L-9999\"",
        ),
        (
            vec!["adjust".into(), "L-9999".into(), "--qty".into(), "3".into()],
            "unknown license id \"L-9999\"",
        ),
        (
            vec![
                "extend".into(),
                "ORA-1".into(),
                "--until".into(),
                "2030-01-01".into(),
            ],
            "license ORA-1 was cancelled by #10",
        ),
        (
            vec!["cancel".into(), "ORA-1".into()],
            "license ORA-1 was cancelled by #10",
        ),
        (
            vec!["adjust".into(), "GONE".into(), "--qty".into(), "2".into()],
            "license GONE no longer counts: its purchase #12 was voided by #13",
        ),
        (
            vec![
                "extend".into(),
                "L-0001".into(),
                "--until".into(),
                "2023-06-30".into(),
            ],
            "--until 2023-06-30 is not after the current end 2023-12-31",
        ),
        (
            p(&["--end", "2023-12-31"]),
            "--end 2023-12-31 is before the start 2024-01-01",
        ),
        (p(&["--qty", "0"]), "--qty 0 must be at least 1"),
        (p(&["--qty", "-5"]), "--qty -5 must be at least 1"),
        (p(&["--qty", "many"]), "--qty many is not a whole number"),
        (
            p(&["--start", "2023-02-30"]),
            "--start 2023-02-30 is not a valid date",
        ),
        (
            p(&["--start", "30.01.2023"]),
            "--start 30.01.2023 is not a valid date",
        ),
        (
            p(&["--metric", "seat"]),
            "--metric seat is not a known metric",
        ),
        (
            p(&["--cost", "10", "--currency", "EURO"]),
            "--currency EURO is not an ISO 4217 currency code",
        ),
        (p(&["--cost", "10"]), "--cost 10 needs a currency"),
        (
            p(&["--cost", "ten", "--currency", "EUR"]),
            "--cost ten is not a decimal number",
        ),
        (p(&["--id", "ORA-1"]), "--id ORA-1 is already used by #2"),
        (p(&["--id", "GONE"]), "--id GONE is already used by #12"),
        (
            vec!["void".into(), "999".into(), "--note".into(), "x".into()],
            "there is no event #999 to void (the log ends at #13)",
        ),
        (
            vec!["void".into(), "8".into(), "--note".into(), "x".into()],
            "#8 is itself a void",
        ),
        (
            vec!["void".into(), "7".into(), "--note".into(), "x".into()],
            "#7 was already voided by #8",
        ),
        (
            vec!["void".into(), "3".into()],
            "--note is required for a void",
        ),
        (
            vec![
                "usage".into(),
                "record".into(),
                "--vendor".into(),
                "A".into(),
                "--product".into(),
                "B".into(),
                "--metric".into(),
                "user".into(),
                "--count".into(),
                "-3".into(),
                "--date".into(),
                "2024-01-01".into(),
            ],
            "--count -3 must be zero or more",
        ),
        (
            vec![
                "usage".into(),
                "record".into(),
                "--vendor".into(),
                "A".into(),
                "--product".into(),
                "B".into(),
                "--metric".into(),
                "user".into(),
                "--count".into(),
                "3".into(),
                "--date".into(),
                "2024-13-01".into(),
            ],
            "--date 2024-13-01 is not a valid date",
        ),
        (
            vec![
                "adjust".into(),
                "L-0001".into(),
                "--qty".into(),
                "3".into(),
                "--effective".into(),
                "2021-01-01".into(),
            ],
            "it is before the purchase of L-0001",
        ),
    ];
    let log = s.log();
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = s.fails(2, &args);
        assert!(
            err.contains(expected),
            "entitle {args:?}:\nexpected {expected:?}\ngot {err}"
        );
        assert!(err.starts_with("error: "), "{err}");
        assert_eq!(s.log(), log, "entitle {args:?} changed the log");
    }
}

#[test]
fn import_reports_every_bad_line_and_writes_nothing() {
    let s = history();
    let log = s.log();
    let file = s.path.with_file_name("bad.jsonl");
    crate::util::write(
        &file,
        concat!(
            r#"{"type":"usage_recorded","vendor":"A","product":"B","metric":"user","count":1,"effective":"2024-01-01"}"#,
            "\n",
            "not json\n",
            "\n",
            r#"{"type":"purchased","vendor":"A","product":"B","metric":"seat","qty":1,"start":"2024-01-01"}"#,
            "\n",
            r#"{"type":"bought","vendor":"A"}"#,
            "\n",
            r#"{"type":"adjusted","id":"L-0001","qty":2,"seq":5}"#,
            "\n",
        ),
    );
    let err = s.fails(2, &["import", "events", file.to_str().unwrap()]);
    let name = file.display().to_string();
    for expected in [
        format!("{name}:2: not JSON"),
        format!("{name}:4: purchased: unknown variant `seat`"),
        format!("{name}:5: unknown type \"bought\""),
        format!("{name}:6: field \"seq\" is set by entitle"),
        "4 bad lines".to_owned(),
    ] {
        assert!(err.contains(&expected), "expected {expected:?} in:\n{err}");
    }
    // Lines that parse but do not fit the ledger are reported by line too.
    crate::util::write(
        &file,
        concat!(
            r#"{"type":"purchased","id":"NEW","vendor":"A","product":"B","metric":"user","qty":1,"start":"2024-01-01"}"#,
            "\n",
            r#"{"type":"adjusted","id":"NEW","qty":3,"effective":"2024-02-01"}"#,
            "\n",
            r#"{"type":"adjusted","id":"NOPE","qty":3}"#,
            "\n",
            r#"{"type":"purchased","id":"NEW","vendor":"A","product":"B","metric":"user","qty":1,"start":"2024-01-01"}"#,
            "\n",
        ),
    );
    let err = s.fails(2, &["import", "events", file.to_str().unwrap()]);
    assert!(
        err.contains(&format!("{name}:3: unknown license id \"NOPE\"")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{name}:4: id NEW is already used by #12")),
        "{err}"
    );
    assert!(err.contains("2 bad lines"), "{err}");
    assert_eq!(s.log(), log);
    let err = s.fails(2, &["import", "events", "/nonexistent/file.jsonl"]);
    assert!(err.contains("cannot read /nonexistent/file.jsonl"), "{err}");
}

#[test]
fn reads_need_a_store_and_say_how_to_get_one() {
    let s = TestStore::new();
    let err = s.fails(2, &["state"]);
    assert!(err.contains("no store at"), "{err}");
    assert!(err.contains("entitle demo"), "{err}");
    assert!(!s.path.exists(), "a read must not create the store");
}

#[test]
fn a_second_process_gets_a_clear_lock_error() {
    let s = history();
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(s.path.join("LOCK"))
        .unwrap();
    lock.lock().unwrap();
    let err = s.fails(2, &["--wait", "0", "adjust", "L-0001", "--qty", "20"]);
    assert!(
        err.contains("is in use by another entitle process"),
        "{err}"
    );
    assert!(err.contains("LOCK"), "{err}");
    lock.unlock().unwrap();
    s.ok(&["adjust", "L-0001", "--qty", "20"]);
}

#[test]
fn unknown_store_format_is_refused() {
    let s = history();
    let format = s.path.join("FORMAT");
    let text = std::fs::read_to_string(&format)
        .unwrap()
        .replace("format: 2", "format: 9");
    std::fs::write(&format, text).unwrap();
    let err = s.fails(2, &["state"]);
    assert!(
        err.contains("has format 9; this entitle understands formats up to 3; upgrade entitle"),
        "{err}"
    );
}

#[test]
fn help_and_completions() {
    let s = TestStore::new();
    let help = s.ok(&["--help"]);
    assert!(help.contains("Example:"), "{help}");
    for cmd in [
        "purchase", "extend", "adjust", "cancel", "void", "state", "position", "history", "export",
        "verify", "rebuild", "demo",
    ] {
        let h = s.ok(&[cmd, "--help"]);
        assert!(
            h.contains("Example:\n  entitle"),
            "{cmd} --help has no example:\n{h}"
        );
    }
    for shell in ["bash", "zsh", "fish"] {
        let c = s.ok(&["completions", shell]);
        assert!(c.contains("purchase") && c.contains("known-at"), "{shell}");
    }
}

#[test]
fn demo_shows_positions_and_the_known_at_contrast() {
    let s = TestStore::new();
    let out = s.ok(&["demo"]);
    assert!(out.contains("48 events"), "{out}");
    // The servers' licenses counted from the inventory, per host.
    assert!(
        out.contains(
            "dc01: 1 × 4 cores → 1 × 8 (minimum 8 per processor) = 8 → 16 (minimum 16 per server)"
        ),
        "{out}"
    );
    assert!(out.contains("wls01: 2 × 4 cores × 0.5 (x86) = 4"), "{out}");
    // The audit-letter view: 195 users counted then, 214 after the recount.
    assert!(out.contains("as known at #20"), "{out}");
    // It ends with how to see the same store in the browser.
    assert!(out.contains(" serve\n"), "{out}");
    assert!(
        out.contains("http://127.0.0.1:8080/?as_of=2024-06-30&known_at=2024-09-02"),
        "{out}"
    );
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("Microsoft  Microsoft 365 E3"))
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("200   195       +5  over")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("200   214      -14  under")),
        "{out}"
    );
    // The demo shows the reviewed position: money on each side, worked
    // out by hand from the demo history (45,600 EUR for 200 users a year =
    // 228 EUR per user): 5 unused = 1,140 EUR, 14 short = 3,192 EUR.
    assert!(
        out.contains("unused seats cost per year: 1140.00 EUR"),
        "{out}"
    );
    assert!(
        out.contains("estimated cost of the shortfall: 3192.00 EUR"),
        "{out}"
    );
    assert!(out.contains("usage count older than 90 days"), "{out}");
    assert!(out.contains("VOIDED by #21"), "{out}");
    // The contract archive: four documents after the history, a search hit
    // with its highlighted snippet, and the documents behind L-0003.
    assert!(
        out.contains("and 4 documents from its contract folder"),
        "{out}"
    );
    assert!(out.contains("search Kündigungsfrist"), "{out}");
    assert!(out.contains("documents match \"Kündigungsfrist\""), "{out}");
    assert!(
        out.contains("rahmenvertrag-nordlicht-cad.pdf  [contract]  L-0003"),
        "{out}"
    );
    assert!(out.contains("**Kündigungsfrist"), "{out}");
    assert!(out.contains("doc list --license L-0003"), "{out}");
    let listed: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.contains("doc list --license L-0003"))
        .collect();
    // (The table shortens long file names to fit.)
    for (name, kind) in [
        ("rahmenvertrag-nordlicht-c", "contract"),
        ("nordlicht-subscription-te", "terms"),
        ("order-confirmation-nl-202", "order"),
    ] {
        assert!(
            listed
                .iter()
                .any(|l| l.contains(name) && l.contains(kind) && l.contains("L-0003")),
            "{name}: {out}"
        );
    }
    let out = s.ok(&["verify"]);
    assert!(out.contains("intact: 52 events"), "{out}");
    assert!(out.contains("4 archived documents re-hashed"), "{out}");
    let v = s.json(&["doc", "list", "--vendor", "nordlicht software ag"]);
    assert_eq!(v["documents"].as_array().unwrap().len(), 4, "{v:#}");
    let err = s.fails(2, &["demo"]);
    assert!(err.contains("is already a store"), "{err}");
}
