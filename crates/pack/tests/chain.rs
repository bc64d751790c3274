//! Chain verification of an export with redacted events, each kind of
//! tampering, the prefix check, and the Python reference verifier
//! (`verify_chain.py`, which needs `python3` and `b3sum`).

use std::process::Command;

use entitle_core::chain::{to_hex, Chain, Hash32};
use entitle_pack::{export_line, verify_chain, ChainFailureKind, HeadError, PrefixError};

/// A small export: events 2 and 4 redacted. Returns the lines and the head.
fn export() -> (Vec<String>, u64, Hash32) {
    let records = [
        r#"{"type":"purchased","vendor":"Acme","note":"caf\u00e9 \"quoted\" \\ ünï"}"#,
        r#"{"type":"purchased","vendor":"Other Corp"}"#,
        "{\"type\":\"usage_recorded\",\"vendor\":\"Acme\",\"count\":12,\"note\":\"tab\\there\"}",
        r#"{"type":"cancelled","vendor":"Other Corp"}"#,
        r#"{"type":"voided","seq":3}"#,
    ];
    let mut chain = Chain::new();
    let mut lines = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let (d, h) = chain.push_record(record.as_bytes());
        let shown = (!record.contains("Other Corp")).then_some(*record);
        lines.push(export_line(i as u64 + 1, &d, &h, shown));
    }
    (lines, chain.seq(), *chain.head())
}

fn kinds(text: &str) -> Vec<(u64, ChainFailureKind)> {
    verify_chain(text.as_bytes())
        .expect_err("tampering must be caught")
        .into_iter()
        .map(|f| (f.line, f.kind))
        .collect()
}

#[test]
fn good_export_with_redactions_verifies() {
    let (lines, seq, head) = export();
    let text = lines.concat();
    assert!(!lines[1].contains("record"));
    let report = verify_chain(text.as_bytes()).unwrap();
    assert_eq!(report.head_seq, seq);
    assert_eq!(report.head_hash, head);
    assert_eq!(
        report.disclosed.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [1, 3, 5]
    );
    assert!(report.disclosed[0].1.contains("ünï"));
    report.check_head(seq, &head).unwrap();
    assert!(verify_chain(&b""[..]).unwrap().head_seq == 0);
}

#[test]
fn altered_record_is_caught() {
    let (mut lines, ..) = export();
    lines[2] = lines[2].replace("\\\"count\\\":12", "\\\"count\\\":2");
    assert_eq!(
        kinds(&lines.concat()),
        [(3, ChainFailureKind::Digest { seq: 3 })]
    );
}

#[test]
fn altered_digest_is_caught() {
    let (mut lines, ..) = export();
    // Redacted line: a new digest no longer chains.
    let fake = to_hex(&[7; 32]);
    let v: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    lines[1] = lines[1].replace(v["digest"].as_str().unwrap(), &fake);
    assert_eq!(
        kinds(&lines.concat()),
        [(2, ChainFailureKind::Hash { seq: 2 })]
    );
}

#[test]
fn swapped_lines_are_caught() {
    let (mut lines, ..) = export();
    lines.swap(1, 2);
    let found = kinds(&lines.concat());
    assert!(
        found.contains(&(
            2,
            ChainFailureKind::Seq {
                expected: 2,
                found: 3
            }
        )),
        "{found:?}"
    );
    assert!(
        found.contains(&(2, ChainFailureKind::Hash { seq: 3 })),
        "{found:?}"
    );
    assert!(
        found.contains(&(3, ChainFailureKind::Hash { seq: 2 })),
        "{found:?}"
    );
}

#[test]
fn removed_line_is_caught() {
    let (mut lines, ..) = export();
    lines.remove(2);
    assert_eq!(
        kinds(&lines.concat()),
        [
            (
                3,
                ChainFailureKind::Seq {
                    expected: 3,
                    found: 4
                }
            ),
            (3, ChainFailureKind::Hash { seq: 4 })
        ]
    );
}

#[test]
fn truncated_last_line_is_caught() {
    let (lines, ..) = export();
    let text = lines.concat();
    let cut = &text[..text.len() - 20];
    assert_eq!(kinds(cut), [(5, ChainFailureKind::Truncated)]);
    // Even a complete object without its line feed.
    assert_eq!(kinds(text.trim_end()), [(5, ChainFailureKind::Truncated)]);
}

#[test]
fn garbage_line_is_named() {
    let (mut lines, ..) = export();
    lines[3] = "not json\n".into();
    let found = verify_chain(lines.concat().as_bytes()).unwrap_err();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 4);
    assert!(
        found[0]
            .to_string()
            .starts_with("line 4: not an export line: "),
        "{}",
        found[0]
    );
    lines[3] = "{\"seq\":4,\"digest\":\"zz\",\"hash\":\"zz\"}\n".into();
    assert_eq!(
        kinds(&lines.concat()),
        [(
            4,
            ChainFailureKind::BadHex {
                seq: 4,
                field: "digest"
            }
        )]
    );
}

#[test]
fn forged_appended_line_is_caught_by_the_checkpoint() {
    let (lines, seq, head) = export();
    // A forger can compute a valid next link: the chain alone accepts it ...
    let mut chain = Chain::resume(seq, head);
    let (d, h) = chain.push_record(br#"{"type":"purchased","vendor":"Acme","quantity":999}"#);
    let forged = format!(
        "{}{}",
        lines.concat(),
        export_line(
            6,
            &d,
            &h,
            Some(r#"{"type":"purchased","vendor":"Acme","quantity":999}"#)
        )
    );
    let report = verify_chain(forged.as_bytes()).unwrap();
    // ... the signed checkpoint does not.
    let err = report.check_head(seq, &head).unwrap_err();
    assert_eq!(
        err,
        HeadError::Seq {
            log_seq: 6,
            checkpoint_seq: 5
        }
    );
    assert_eq!(
        err.to_string(),
        "the events end at seq 6 but the signed checkpoint is at seq 5: events were added or removed after signing"
    );
    // An appended line with a made-up hash fails the chain itself.
    let bad = format!("{}{}", lines.concat(), export_line(6, &d, &[1; 32], None));
    assert_eq!(kinds(&bad), [(6, ChainFailureKind::Hash { seq: 6 })]);
}

#[test]
fn rewritten_history_is_caught_by_the_checkpoint() {
    let (_, seq, head) = export();
    let mut chain = Chain::new();
    let mut text = String::new();
    for i in 1..=seq {
        let r = format!("{{\"n\":{i}}}");
        let (d, h) = chain.push_record(r.as_bytes());
        text.push_str(&export_line(i, &d, &h, Some(&r)));
    }
    let report = verify_chain(text.as_bytes()).unwrap();
    assert_eq!(report.check_head(seq, &head), Err(HeadError::Hash { seq }));
}

#[test]
fn extends_an_older_checkpoint() {
    let (lines, ..) = export();
    let old = verify_chain(lines[..3].concat().as_bytes()).unwrap();
    let new = verify_chain(lines.concat().as_bytes()).unwrap();
    new.extends(old.head_seq, &old.head_hash).unwrap();
    new.extends(0, &entitle_core::chain::GENESIS).unwrap();
    assert_eq!(
        old.extends(new.head_seq, &new.head_hash),
        Err(PrefixError::NotReached { old_seq: 5 })
    );
    assert_eq!(
        new.extends(3, &[9; 32]),
        Err(PrefixError::Diverged { seq: 3 })
    );
    assert_eq!(new.hash_at(3), Some(old.head_hash));
    assert_eq!(new.hash_at(6), None);
}

#[test]
fn unknown_fields_are_refused() {
    let (mut lines, ..) = export();
    lines[0] = lines[0].replacen("{", "{\"extra\":1,", 1);
    let found = verify_chain(lines.concat().as_bytes()).unwrap_err();
    assert!(
        found[0].to_string().contains("unknown field `extra`"),
        "{}",
        found[0]
    );
}

#[test]
fn python_reference_verifier_agrees() {
    let (lines, seq, head) = export();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    std::fs::write(&path, lines.concat()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/verify_chain.py");
    let run = |file: &std::path::Path| {
        Command::new("python3")
            .arg(script)
            .arg(file)
            .arg(seq.to_string())
            .arg(to_hex(&head))
            .output()
            .expect("python3 must be installed")
    };
    let out = run(&path);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{seq} {}", to_hex(&head))
    );

    let mut tampered = lines.clone();
    tampered[2] = tampered[2].replace("\\\"count\\\":12", "\\\"count\\\":2");
    std::fs::write(&path, tampered.concat()).unwrap();
    let out = run(&path);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3: record does not match digest"));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_records_any_redaction_verify(
            records in proptest::collection::vec(("\\PC{0,40}", any::<bool>()), 0..20)
        ) {
            let mut chain = Chain::new();
            let mut text = String::new();
            for (i, (record, shown)) in records.iter().enumerate() {
                let (d, h) = chain.push_record(record.as_bytes());
                text.push_str(&export_line(i as u64 + 1, &d, &h, shown.then_some(record.as_str())));
            }
            let report = verify_chain(text.as_bytes()).unwrap();
            prop_assert_eq!(report.head_seq, chain.seq());
            prop_assert_eq!(&report.head_hash, chain.head());
            prop_assert_eq!(report.disclosed.len(), records.iter().filter(|r| r.1).count());
        }

        #[test]
        fn any_single_byte_change_is_caught_or_harmless(
            records in proptest::collection::vec("[a-z{}\":,0-9]{1,20}", 1..8),
            at in any::<proptest::sample::Index>(),
            to in any::<u8>(),
        ) {
            let mut chain = Chain::new();
            let mut text = String::new();
            for (i, record) in records.iter().enumerate() {
                let (d, h) = chain.push_record(record.as_bytes());
                text.push_str(&export_line(i as u64 + 1, &d, &h, Some(record)));
            }
            let mut bytes = text.clone().into_bytes();
            let i = at.index(bytes.len());
            bytes[i] = to;
            if let Ok(report) = verify_chain(&bytes[..]) {
                // Only changes that keep every value (JSON whitespace, an
                // equivalent escape) may pass, and the head must be the same.
                prop_assert_eq!(report.head_seq, chain.seq());
                prop_assert_eq!(&report.head_hash, chain.head());
                let disclosed: Vec<String> = report.disclosed.into_iter().map(|(_, r)| r).collect();
                prop_assert_eq!(disclosed, records);
            }
        }
    }
}
