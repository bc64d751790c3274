//! The head mark (`log/HEAD`): a log cut short, extended or replaced while
//! the derived state was deleted is refused by name instead of rebuilt
//! from, `verify` says where, an interrupted write still recovers, and a
//! store of format 1 is upgraded on open.

use crate::util::{purchase, TestStore};

fn three_events() -> TestStore {
    let s = TestStore::new();
    for qty in ["10", "20", "30"] {
        s.ok(&purchase("Adobe", qty, &[]));
    }
    s
}

fn delete_db(s: &TestStore) {
    std::fs::remove_dir_all(s.path.join("db")).unwrap();
}

#[test]
fn a_log_cut_at_a_line_boundary_with_db_deleted_is_refused() {
    let s = three_events();
    let lines = s.log_lines();
    std::fs::write(s.log_path(), format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    delete_db(&s);
    let err = s.fails(2, &["state"]);
    assert!(err.contains("it ends at event #2, but it held #3"), "{err}");
    assert!(err.contains("events were removed"), "{err}");
    assert!(
        err.contains("restore log/events.jsonl as it was from a copy"),
        "{err}"
    );
    assert!(err.contains("`entitle rebuild --accept-log-head`"), "{err}");
    let report = s.fails(1, &["verify"]);
    assert!(report.contains("events were removed"), "{report}");
}

#[test]
fn an_older_copy_of_the_log_restored_on_purpose_is_accepted_and_recorded() {
    let s = three_events();
    let lines = s.log_lines();
    // db/ kept: it says the log held three events
    std::fs::write(s.log_path(), format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    let err = s.fails(2, &["state"]);
    assert!(err.contains("events were removed or cut"), "{err}");
    assert!(err.contains("--accept-log-head"), "{err}");
    let err = s.fails(2, &["rebuild"]);
    assert!(
        err.contains("--accept-log-head"),
        "plain rebuild refuses too: {err}"
    );

    let out = s.ok(&["rebuild", "--accept-log-head"]);
    assert!(out.contains("accepted the log as it is: 2 events"), "{out}");
    assert!(out.contains("log/HEAD named #3"), "{out}");
    let record = std::fs::read_to_string(s.path.join("log/HEAD.accepted")).unwrap();
    assert!(
        record.contains(" accepted the log ending at #2 "),
        "{record}"
    );
    assert!(record.contains(" in place of #3 "), "{record}");

    s.ok(&["verify"]);
    let out = s.ok(&purchase("Adobe", "40", &[]));
    assert!(
        out.contains("#3"),
        "the next event follows the accepted head: {out}"
    );
    // Accepting again appends, never rewrites.
    s.ok(&["rebuild", "--accept-log-head"]);
    let again = std::fs::read_to_string(s.path.join("log/HEAD.accepted")).unwrap();
    assert!(
        again.starts_with(&record) && again.lines().count() == 2,
        "{again}"
    );
}

#[test]
fn a_forged_line_appended_with_db_deleted_is_refused() {
    let s = three_events();
    // a well-formed fourth event, as another tool would write it
    let forged = s.log_lines()[2]
        .replace("\"seq\":3", "\"seq\":4")
        .replace("L-0003", "L-0004");
    let mut log = s.log();
    log.push_str(&forged);
    log.push('\n');
    std::fs::write(s.log_path(), log).unwrap();
    delete_db(&s);
    let err = s.fails(2, &["state"]);
    assert!(
        err.contains("it holds events after #3 that entitle did not write (#4..#4)"),
        "{err}"
    );
}

#[test]
fn a_replaced_last_event_with_db_deleted_is_refused() {
    let s = three_events();
    let log = s.log().replace("\"qty\":30", "\"qty\":3");
    std::fs::write(s.log_path(), log).unwrap();
    delete_db(&s);
    let err = s.fails(2, &["state"]);
    assert!(err.contains("the log was replaced"), "{err}");
}

#[test]
fn deleting_db_alone_still_rebuilds_silently_to_the_same_answers() {
    let s = three_events();
    let before = s.ok(&["state", "--json"]);
    delete_db(&s);
    assert_eq!(s.ok(&["state", "--json"]), before);
}

#[test]
fn a_format_1_store_is_upgraded_and_keeps_its_answers() {
    let s = three_events();
    let before = s.ok(&["state", "--json"]);
    // as a build before the head mark left it
    std::fs::remove_file(s.path.join("log/HEAD")).unwrap();
    let format = s.path.join("FORMAT");
    let text = std::fs::read_to_string(&format)
        .unwrap()
        .replace("format: 2", "format: 1");
    std::fs::write(&format, text).unwrap();
    let out = s.run(&["state", "--json"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), before);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("upgraded the store to format 2"),
        "{stderr}"
    );
    assert!(std::fs::read_to_string(&format)
        .unwrap()
        .contains("format: 2"));
    assert!(s.path.join("log/HEAD").exists());
    // and from now on the mark is kept
    s.ok(&["adjust", "L-0001", "--qty", "11"]);
    s.ok(&["verify"]);
}

#[test]
fn a_format_2_store_without_its_mark_is_refused() {
    let s = three_events();
    std::fs::remove_file(s.path.join("log/HEAD")).unwrap();
    let err = s.fails(2, &["state"]);
    assert!(err.contains("head mark"), "{err}");
    assert!(err.contains("is missing"), "{err}");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn an_older_db_beside_a_newer_log_is_brought_up_to_date_not_called_foreign() {
    let s = TestStore::new();
    s.ok(&purchase("Adobe", "10", &[]));
    let old_db = s.path.with_file_name("db-copy");
    copy_dir(&s.path.join("db"), &old_db);
    s.ok(&["adjust", "L-0001", "--qty", "20"]);
    s.ok(&["adjust", "L-0001", "--qty", "30"]);
    let before = s.ok(&["state", "--json"]);
    delete_db(&s);
    copy_dir(&old_db, &s.path.join("db"));
    let out = s.run(&["state", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("derived state ended at event #1, older than the log"),
        "{stderr}"
    );
    assert!(!stderr.contains("did not write"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), before);
    s.ok(&["verify"]);
}
