//! Names and notes that cannot lie: terminal escapes, NUL, zero-width and
//! bidirectional controls are refused on every input path, names are kept
//! in NFC and of bounded length — and a log written before these rules
//! still rebuilds, its odd characters shown escaped, never executed.

use crate::util::{purchase, TestStore};

#[test]
fn escapes_and_look_alikes_are_refused_by_field_and_code_point() {
    let s = TestStore::new();
    let err = s.fails(2, &purchase("\u{1b}[2J\u{1b}[31mPWN", "10", &[]));
    assert!(err.contains("--vendor"), "{err}");
    assert!(
        err.contains("contains the control character U+001B"),
        "{err}"
    );
    // the message quotes the value escaped: it does not clear the terminal
    assert!(!err.contains('\u{1b}'), "{err:?}");
    let err = s.fails(2, &purchase("Micro\u{200b}soft", "10", &[]));
    assert!(err.contains("invisible character U+200B"), "{err}");
    let err = s.fails(2, &purchase(&"V".repeat(100_000), "10", &[]));
    assert!(
        err.contains("is 100000 characters long; at most 200 are kept"),
        "{err}"
    );
    assert!(err.len() < 2_000, "the message must not repeat a megabyte");
    assert_eq!(s.log(), "", "nothing was recorded");

    s.ok(&purchase("Adobe", "10", &[]));
    let log = s.log();
    let err = s.fails(
        2,
        &[
            "usage",
            "record",
            "--vendor",
            "Adobe",
            "--product",
            "Acrobat\nPro",
            "--metric",
            "user",
            "--count",
            "3",
            "--date",
            "2024-06-30",
        ],
    );
    assert!(err.contains("--product"), "{err}");
    let err = s.fails(
        2,
        &[
            "adjust",
            "L-0001",
            "--qty",
            "12",
            "--note",
            "ok\u{202e}txt.exe",
        ],
    );
    assert!(err.contains("--note"), "{err}");
    let file = s.path.with_file_name("bad.jsonl");
    std::fs::write(
        &file,
        r#"{"type":"usage_recorded","vendor":"Adobe\u0007","product":"Acrobat Pro","metric":"user","count":3,"effective":"2024-06-30"}"#,
    )
    .unwrap();
    let err = s.fails(2, &["import", "events", file.to_str().unwrap()]);
    assert!(err.contains("bad.jsonl:1"), "{err}");
    assert!(err.contains("U+0007"), "{err}");
    assert_eq!(s.log(), log, "nothing was recorded");
}

#[test]
fn a_name_is_kept_composed_so_both_spellings_are_one_vendor() {
    let s = TestStore::new();
    // "Müller" typed with a combining diaeresis, then precomposed
    s.ok(&purchase("  Mu\u{308}ller Software ", "10", &[]));
    s.ok(&purchase("Müller Software", "10", &[]));
    let state = s.json(&["state"]);
    let vendors: Vec<&str> = state["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["vendor"].as_str().unwrap())
        .collect();
    assert_eq!(vendors, ["Müller Software", "Müller Software"]);
    let position = s.json(&["position"]);
    assert_eq!(position["products"].as_array().unwrap().len(), 1);
}

#[test]
fn an_older_log_still_rebuilds_and_shows_odd_characters_escaped() {
    let s = TestStore::new();
    s.ok(&purchase("Adobe", "10", &[]));
    // a record written before names were checked: an escape in the vendor
    let log = s
        .log()
        .replace("\"vendor\":\"Adobe\"", "\"vendor\":\"Ad\\u001b[2Jobe\"");
    std::fs::write(s.log_path(), log).unwrap();
    // as a build of format 1 kept it: no head mark, no derived state yet
    std::fs::remove_file(s.path.join("log/HEAD")).unwrap();
    let format = s.path.join("FORMAT");
    let text = std::fs::read_to_string(&format).unwrap();
    std::fs::write(&format, text.replace("format: 2", "format: 1")).unwrap();
    std::fs::remove_dir_all(s.path.join("db")).unwrap();
    let table = s.ok(&["state"]);
    assert!(table.contains("Ad\\u{1b}[2Jobe"), "{table}");
    assert!(!table.contains('\u{1b}'), "{table:?}");
    // JSON keeps the record's text exactly, escaped as JSON escapes it
    let json = s.ok(&["state", "--json"]);
    assert!(json.contains("Ad\\u001b[2Jobe"), "{json}");
}
