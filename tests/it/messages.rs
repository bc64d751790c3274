//! Messages that say what is wrong with the value given, not what clap
//! or a parser guessed.

use crate::util::{purchase, TestStore};

#[test]
fn a_negative_count_of_days_is_named_as_a_bad_value_not_an_unknown_flag() {
    let s = TestStore::new();
    let err = s.fails(2, &purchase("A", "1", &["--notice-days", "-1"]));
    assert!(
        err.contains("invalid value '-1' for '--notice-days <NOTICE_DAYS>': must be zero or more"),
        "{err}"
    );
    let err = s.fails(2, &["renewals", "--within", "-5"]);
    assert!(
        err.contains("'--within <DAYS>': must be zero or more"),
        "{err}"
    );
    let err = s.fails(2, &["position", "--stale-after", "x"]);
    assert!(err.contains("is not a whole number"), "{err}");
    let err = s.fails(2, &["--wait", "-3", "state"]);
    assert!(
        err.contains("'--wait <SECONDS>': must be zero or more"),
        "{err}"
    );
    s.ok(&purchase("A", "1", &[]));
    let err = s.fails(2, &["void", "-1", "--note", "typo"]);
    assert!(err.contains("SEQ -1 is not an event number"), "{err}");
    let err = s.fails(
        2,
        &purchase(
            "A",
            "1",
            &[
                "--cost",
                "1.000000000000000000000000000001",
                "--currency",
                "EUR",
            ],
        ),
    );
    assert!(err.contains("has more than 4 decimal places"), "{err}");
}

#[test]
fn an_import_line_that_gives_a_field_twice_is_refused_not_read_as_the_last() {
    let s = TestStore::new();
    let file = s.path.with_file_name("dup.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"type":"purchased","vendor":"V","vendor":"W","product":"P","metric":"user","qty":1,"start":"2024-01-01"}"#,
            "\n[1,2]\n"
        ),
    )
    .unwrap();
    let err = s.fails(2, &["import", "events", file.to_str().unwrap()]);
    assert!(
        err.contains("dup.jsonl:1: field \"vendor\" is given twice; give each field once"),
        "{err}"
    );
    assert!(err.contains("dup.jsonl:2: not a JSON object"), "{err}");
    assert_eq!(s.log(), "");
}
