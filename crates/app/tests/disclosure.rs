//! An audit pack for one vendor discloses no other vendor's documents: a
//! document bound to a license belongs to that license's vendor, whatever
//! vendor name its record also carries. New input that names a license
//! and another vendor is refused; a log written before that rule is still
//! disclosed by the license.

use entitle_app::Scope;
use std::io::{Cursor, Write as _};
use std::path::Path;

use entitle_app::audit::{self, PackRequest};
use entitle_app::import::{self, EventsFile, Target};
use entitle_app::record::{self, Attach, Common, Documents, Purchase, Source, Write};
use entitle_app::{maintenance, store, ErrorKind, Open, Silent, Store};
use entitle_core::{Event, Record};
use tempfile::TempDir;

fn ctx() -> entitle_app::Context {
    entitle_app::when::context("tester")
}

fn buy(s: &mut Store, id: &str, vendor: &str) {
    let w = Write::Purchase(Purchase {
        id: Some(id.into()),
        vendor: vendor.into(),
        product: "Suite".into(),
        metric: "user".into(),
        qty: "10".into(),
        start: "2024-01-01".into(),
        ..Purchase::default()
    });
    record::record(
        s,
        &ctx(),
        &w,
        &Common::default(),
        Documents::default(),
        &Silent,
    )
    .unwrap();
}

/// Microsoft and Oracle, with Oracle's price list attached to its license.
fn two_vendors() -> (TempDir, Store, String) {
    let dir = TempDir::new().unwrap();
    let mut s = store::open(&dir.path().join("s"), Open::CreateIfMissing, "test").unwrap();
    buy(&mut s, "MS-365", "Microsoft");
    buy(&mut s, "ORA-DB", "Oracle");
    let mut bytes = Cursor::new(b"Oracle price list, confidential".to_vec());
    let req = Attach {
        license: Some("ORA-DB".into()),
        kind: "contract".into(),
        ..Attach::default()
    };
    let upload = Source::Upload {
        filename: "oracle-prices.txt".into(),
        reader: &mut bytes,
        limit: None,
    };
    let r = record::attach(&mut s, &ctx(), &req, vec![upload], &Silent).unwrap();
    let hash = r.documents[0].hash.clone();
    (dir, s, hash)
}

fn microsoft_pack(s: &Store, out: &Path) -> (String, Vec<String>) {
    let req = PackRequest {
        vendor: "Microsoft".into(),
        as_of: Some("2024-12-31".into()),
        out: out.to_owned(),
        ..PackRequest::default()
    };
    audit::build_pack(s, &Scope::All, &req, &Silent).unwrap();
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let documents = match std::fs::read_dir(out.join("documents")) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    (events, documents)
}

#[test]
fn a_document_event_naming_a_license_and_another_vendor_is_refused() {
    let (dir, mut s, hash) = two_vendors();
    let path = dir.path().join("x.jsonl");
    std::fs::write(
        &path,
        format!(
            "{{\"type\":\"document_attached\",\"hash\":\"{hash}\",\"filename\":\"oracle-prices.txt\",\"size\":31,\"media_type\":\"text/plain\",\"kind\":\"contract\",\"id\":\"ORA-DB\",\"vendor\":\"Microsoft\"}}\n"
        ),
    )
    .unwrap();
    let before = s.applied().head.seq;
    let err = import::events(
        Target::Open(&mut s),
        &ctx(),
        EventsFile::Path(path),
        false,
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadInput, "{err}");
    let detail = err.detail_lines().join("\n");
    assert!(
        detail.contains("vendor \"Microsoft\" is not the vendor of ORA-DB (\"Oracle\")"),
        "{detail}"
    );
    assert_eq!(s.applied().head.seq, before);
    let (events, documents) = microsoft_pack(&s, &dir.path().join("pack"));
    assert!(!events.contains("ORA-DB"), "{events}");
    assert!(documents.is_empty(), "{documents:?}");
}

#[test]
fn an_older_log_binding_a_license_under_another_vendor_discloses_by_the_license() {
    let (dir, s, _) = two_vendors();
    // The record as a build without the rule could have written it: the
    // attach of Oracle's price list, again, naming Microsoft as well.
    let root = dir.path().join("s");
    let log = root.join("log/events.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    let last = text.lines().last().unwrap();
    let mut record = Record::from_bytes(last.as_bytes()).unwrap();
    record.seq += 1;
    match &mut record.event {
        Event::DocumentAttached(a) => a.vendor = Some("Microsoft".into()),
        other => panic!("the last event is {other:?}"),
    }
    drop(s);
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    file.write_all(&record.to_bytes()).unwrap();
    file.write_all(b"\n").unwrap();
    drop(file);
    let mut s = store::open(&root, Open::Inspect, "test").unwrap();
    maintenance::accept_log_head(&mut s, &Silent).unwrap();
    assert_eq!(s.applied().head.seq, record.seq);

    let (events, documents) = microsoft_pack(&s, &dir.path().join("pack"));
    assert!(
        !events.contains("oracle-prices") && !events.contains("ORA-DB"),
        "Oracle's document leaked into the Microsoft pack: {events}"
    );
    assert!(documents.is_empty(), "{documents:?}");
}
