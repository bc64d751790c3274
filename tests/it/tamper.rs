//! Tampering with the log is detected by `verify`, which names the first
//! bad event; damaged stores are refused by other commands.

use crate::util::TestStore;

fn store_with(n: usize) -> TestStore {
    let s = TestStore::new();
    let mut lines = vec![r#"{"type":"purchased","vendor":"Acme","product":"CAD","metric":"user","qty":10,"start":"2022-01-01"}"#.to_owned()];
    for i in 1..n {
        lines.push(format!(
            r#"{{"type":"usage_recorded","vendor":"Acme","product":"CAD","metric":"user","count":{i},"effective":"2022-02-{:02}"}}"#,
            1 + i % 28
        ));
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    s.import(&refs);
    s.ok(&["verify"]);
    s
}

fn write_lines(s: &TestStore, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(s.log_path(), text).unwrap();
}

#[test]
fn one_changed_byte_in_any_record_is_named() {
    let s = store_with(6);
    let original = s.log_lines();
    for k in 0..original.len() {
        let mut lines = original.clone();
        let mut bytes = lines[k].clone().into_bytes();
        // A byte inside the actor's name keeps the line valid JSON: only
        // the chain can tell.
        let at = lines[k].find("tester").unwrap() + 2;
        bytes[at] = b'X';
        lines[k] = String::from_utf8(bytes).unwrap();
        write_lines(&s, &lines);
        let report = s.fails(1, &["verify"]);
        assert!(
            report.contains(&format!("first bad event #{}", k + 1)),
            "{report}"
        );
        assert!(
            report.contains("differs from the record written then"),
            "{report}"
        );
    }
    write_lines(&s, &original);
    s.ok(&["verify"]);
}

#[test]
fn a_deleted_line_is_named() {
    let s = store_with(6);
    let mut lines = s.log_lines();
    lines.remove(2);
    write_lines(&s, &lines);
    let report = s.fails(1, &["verify"]);
    assert!(report.contains("first bad event #3"), "{report}");
    assert!(
        report.contains("line 3 holds event #4 where #3 belongs"),
        "{report}"
    );
    // Other commands refuse a damaged store instead of answering from it.
    let err = s.fails(2, &["state"]);
    assert!(err.contains("is damaged"), "{err}");
    assert!(err.contains("entitle verify"), "{err}");
}

#[test]
fn swapped_lines_are_named() {
    let s = store_with(6);
    let mut lines = s.log_lines();
    lines.swap(3, 4);
    write_lines(&s, &lines);
    let report = s.fails(1, &["verify"]);
    assert!(report.contains("first bad event #4"), "{report}");
}

#[test]
fn a_forged_appended_line_is_named() {
    let s = store_with(6);
    let mut lines = s.log_lines();
    let forged = lines[5]
        .replace(r#""seq":6"#, r#""seq":7"#)
        .replace(r#""count":5"#, r#""count":1"#);
    lines.push(forged);
    write_lines(&s, &lines);
    let report = s.fails(1, &["verify"]);
    assert!(report.contains("first bad event #7"), "{report}");
    assert!(report.contains("was not written by entitle"), "{report}");
    let err = s.fails(2, &["position"]);
    assert!(err.contains("entitle did not write"), "{err}");
}

#[test]
fn a_changed_last_record_is_refused_on_open() {
    let s = store_with(3);
    let mut lines = s.log_lines();
    lines[2] = lines[2].replace(r#""count":2"#, r#""count":9"#);
    write_lines(&s, &lines);
    let err = s.fails(2, &["state"]);
    assert!(
        err.contains("the last record (#3) was changed after it was written"),
        "{err}"
    );
    assert!(s.fails(1, &["verify"]).contains("first bad event #3"));
}

#[test]
fn a_torn_last_line_is_cut_off_and_reported() {
    let s = store_with(4);
    let before = s.log();
    // A crash mid-append with the derived state lost: the torn tail is cut.
    std::fs::remove_dir_all(s.path.join("db")).unwrap();
    let mut torn = before.clone();
    torn.push_str(r#"{"v":1,"seq":5,"recorded_at":"2024-"#);
    std::fs::write(s.log_path(), torn).unwrap();
    let out = s.run(&["verify"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cut off a torn last line (35 bytes)"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(s.log(), before);
}
