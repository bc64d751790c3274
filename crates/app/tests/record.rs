//! Recording through the library, as any front-end does: raw text in,
//! a field-named error or a recorded seq out — and nothing written when
//! the answer is an error.

use entitle_app::Scope;
use std::io::Cursor;

use entitle_app::record::{
    self, Adjust, Attach, Cancel, Common, Documents, Extend, Purchase, Source, Usage, Void, Write,
};
use entitle_app::{query, store, Context, Error, ErrorKind, Open, Silent, Store};
use tempfile::TempDir;

fn new_store() -> (TempDir, Store) {
    let dir = TempDir::new().unwrap();
    let store = store::open(&dir.path().join("s"), Open::CreateIfMissing, "test").unwrap();
    (dir, store)
}

fn ctx() -> Context {
    entitle_app::when::context("tester")
}

fn purchase() -> Purchase {
    Purchase {
        vendor: "Microsoft".into(),
        product: "Microsoft 365 E3".into(),
        metric: "user".into(),
        qty: "200".into(),
        start: "2024-01-01".into(),
        end: Some("2024-12-31".into()),
        cost: Some("45600.00".into()),
        currency: Some("EUR".into()),
        ..Purchase::default()
    }
}

fn write(store: &mut Store, w: Write) -> Result<record::Recorded, Error> {
    record::record(
        store,
        &ctx(),
        &w,
        &Common::default(),
        Documents::default(),
        &Silent,
    )
}

/// Records `w` expecting a refusal; checks kind and field and that the log
/// did not change.
fn refused(store: &mut Store, w: Write, kind: ErrorKind, field: &str) -> Error {
    let before = store.applied().head.seq;
    let err = write(store, w).expect_err("the write should be refused");
    assert_eq!(err.kind(), kind, "{err:?}");
    assert_eq!(err.field(), Some(field), "{err:?}");
    assert_eq!(
        store.applied().head.seq,
        before,
        "a refused write changed the log"
    );
    err
}

#[test]
fn a_purchase_gets_a_generated_id_and_shows_in_the_state() {
    let (_dir, mut store) = new_store();
    let r = write(&mut store, Write::Purchase(purchase())).unwrap();
    assert_eq!(r.seq, 1);
    assert_eq!(r.id.as_deref(), Some("L-0001"));
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        r#"{"seq":1,"id":"L-0001"}"#
    );
    let state = query::state(
        &store,
        &Scope::All,
        &query::Query {
            as_of: Some("2024-06-30".into()),
            ..query::Query::default()
        },
    )
    .unwrap();
    assert_eq!(state.licenses.len(), 1);
    assert_eq!(state.licenses[0].id, "L-0001");
    assert_eq!(state.licenses[0].status, "active");
}

#[test]
fn every_bad_field_is_named_and_nothing_is_written() {
    let (_dir, mut store) = new_store();
    write(
        &mut store,
        Write::Purchase(Purchase {
            id: Some("ORA-1".into()),
            ..purchase()
        }),
    )
    .unwrap();
    let bad = |f: fn(&mut Purchase)| {
        let mut p = purchase();
        f(&mut p);
        Write::Purchase(p)
    };
    let cases: Vec<(Write, ErrorKind, &str)> = vec![
        (bad(|p| p.qty = "0".into()), ErrorKind::BadInput, "qty"),
        (bad(|p| p.qty = "many".into()), ErrorKind::BadInput, "qty"),
        (
            bad(|p| p.qty = "10000000000000".into()),
            ErrorKind::BadInput,
            "qty",
        ),
        (
            bad(|p| p.metric = "seat".into()),
            ErrorKind::BadInput,
            "metric",
        ),
        (
            bad(|p| p.start = "2024-02-30".into()),
            ErrorKind::BadInput,
            "start",
        ),
        (
            bad(|p| p.end = Some("2023-12-31".into())),
            ErrorKind::BadInput,
            "end",
        ),
        (
            bad(|p| p.currency = Some("EURO".into())),
            ErrorKind::BadInput,
            "currency",
        ),
        (bad(|p| p.currency = None), ErrorKind::BadInput, "cost"),
        (
            bad(|p| p.cost = Some("ten".into())),
            ErrorKind::BadInput,
            "cost",
        ),
        (
            bad(|p| p.cost = Some("1.23456".into())),
            ErrorKind::BadInput,
            "cost",
        ),
        (bad(|p| p.id = Some("  ".into())), ErrorKind::BadInput, "id"),
        (
            bad(|p| p.id = Some("ORA-1".into())),
            ErrorKind::Conflict,
            "id",
        ),
        (
            Write::Extend(Extend {
                license: "ORA-1".into(),
                until: "2024-06-30".into(),
                ..Extend::default()
            }),
            ErrorKind::Conflict,
            "until",
        ),
        (
            Write::Adjust(Adjust {
                license: "NOPE".into(),
                qty: "3".into(),
                ..Adjust::default()
            }),
            ErrorKind::NotFound,
            "license",
        ),
        (
            Write::Void(Void { seq: "x".into() }),
            ErrorKind::BadInput,
            "seq",
        ),
        (
            Write::Usage(Usage {
                vendor: "Microsoft".into(),
                product: "Microsoft 365 E3".into(),
                metric: "user".into(),
                count: "-3".into(),
                date: "2024-03-01".into(),
                source: None,
            }),
            ErrorKind::BadInput,
            "count",
        ),
    ];
    for (w, kind, field) in cases {
        let err = refused(&mut store, w, kind, field);
        assert!(
            !err.message().contains("--"),
            "a library message names a flag: {}",
            err.message()
        );
    }
}

#[test]
fn a_void_needs_a_note_and_a_void_of_a_void_conflicts() {
    let (_dir, mut store) = new_store();
    write(&mut store, Write::Purchase(purchase())).unwrap();
    refused(
        &mut store,
        Write::Void(Void { seq: "1".into() }),
        ErrorKind::BadInput,
        "note",
    );
    let note = Common {
        note: Some("typo".into()),
        ..Common::default()
    };
    let v = record::record(
        &mut store,
        &ctx(),
        &Write::Void(Void { seq: "#1".into() }),
        &note,
        Documents::default(),
        &Silent,
    )
    .unwrap();
    assert_eq!(v.seq, 2);
    let err = record::record(
        &mut store,
        &ctx(),
        &Write::Void(Void { seq: "2".into() }),
        &note,
        Documents::default(),
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err:?}");
    assert_eq!(store.applied().head.seq, 2);
}

#[test]
fn extend_adjust_cancel_move_the_license_through_its_life() {
    let (_dir, mut store) = new_store();
    write(&mut store, Write::Purchase(purchase())).unwrap();
    write(
        &mut store,
        Write::Extend(Extend {
            license: "L-0001".into(),
            until: "2025-12-31".into(),
            ..Extend::default()
        }),
    )
    .unwrap();
    write(
        &mut store,
        Write::Adjust(Adjust {
            license: "L-0001".into(),
            qty: "unlimited".into(),
            ..Adjust::default()
        }),
    )
    .unwrap();
    let c = write(
        &mut store,
        Write::Cancel(Cancel {
            license: "L-0001".into(),
        }),
    )
    .unwrap();
    assert_eq!(c.id.as_deref(), Some("L-0001"));
    let h = query::history(&store, &Scope::All, "L-0001").unwrap();
    let types: Vec<_> = h.events.iter().map(|e| e.event_type).collect();
    assert_eq!(types, ["purchased", "extended", "adjusted", "cancelled"]);
    // cancelled: a further extension is refused.
    refused(
        &mut store,
        Write::Extend(Extend {
            license: "L-0001".into(),
            until: "2026-12-31".into(),
            ..Extend::default()
        }),
        ErrorKind::Conflict,
        "license",
    );
}

#[test]
fn a_document_is_uploaded_from_a_reader_in_the_same_write() {
    let (dir, mut store) = new_store();
    let mut bytes = Cursor::new(b"Rahmenvertrag: Kuendigungsfrist drei Monate".to_vec());
    let r = record::record(
        &mut store,
        &ctx(),
        &Write::Purchase(purchase()),
        &Common::default(),
        Documents {
            sources: vec![Source::Upload {
                filename: "vertrag.txt".into(),
                reader: &mut bytes,
                limit: Some(1 << 20),
            }],
            kind: None,
        },
        &Silent,
    )
    .unwrap();
    assert_eq!(r.attached.len(), 1);
    let doc = &r.attached[0];
    assert_eq!(doc.filename, "vertrag.txt");
    assert_eq!(doc.hash.len(), 64);
    assert!(doc.new);
    assert_eq!(doc.size, 43);
    assert_eq!(
        doc.hash,
        blake3::hash(b"Rahmenvertrag: Kuendigungsfrist drei Monate")
            .to_hex()
            .as_str()
    );
    // the bytes are kept under their hash (text extraction runs the
    // `entitle` binary as a child, which a library test is not: the
    // end-to-end tests prove the document searchable)
    let kept = walk(&dir.path().join("s").join("blobs"));
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        std::fs::read(&kept[0]).unwrap(),
        b"Rahmenvertrag: Kuendigungsfrist drei Monate"
    );
    // the purchase and its document_attached: one write, two events
    assert_eq!(store.applied().head.seq, 2);
}

#[test]
fn a_refused_write_leaves_no_document_behind() {
    let (dir, mut store) = new_store();
    let mut bytes = Cursor::new(b"never kept".to_vec());
    let mut p = purchase();
    p.currency = Some("EURO".into());
    let err = record::record(
        &mut store,
        &ctx(),
        &Write::Purchase(p),
        &Common::default(),
        Documents {
            sources: vec![Source::Upload {
                filename: "x.txt".into(),
                reader: &mut bytes,
                limit: None,
            }],
            kind: None,
        },
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.field(), Some("currency"));
    let blobs = dir.path().join("s/blobs");
    let stored = walk(&blobs);
    assert!(stored.is_empty(), "left behind: {stored:?}");

    // an upload over its limit: refused, nothing kept
    let mut big = Cursor::new(vec![b'x'; 100]);
    let err = record::record(
        &mut store,
        &ctx(),
        &Write::Purchase(purchase()),
        &Common::default(),
        Documents {
            sources: vec![Source::Upload {
                filename: "big.txt".into(),
                reader: &mut big,
                limit: Some(10),
            }],
            kind: None,
        },
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadInput, "{err:?}");
    assert_eq!(store.applied().head.seq, 0);
    assert!(walk(&blobs).is_empty());
}

#[test]
fn attach_checks_kind_owner_and_file_name() {
    let (_dir, mut store) = new_store();
    write(&mut store, Write::Purchase(purchase())).unwrap();
    let req = |kind: &str, license: Option<&str>| Attach {
        license: license.map(str::to_owned),
        vendor: None,
        kind: kind.into(),
        note: None,
    };
    let mut r = Cursor::new(b"invoice".to_vec());
    let err = record::attach(
        &mut store,
        &ctx(),
        &req("receipt", Some("L-0001")),
        upload(&mut r, "a.txt"),
        &Silent,
    )
    .unwrap_err();
    assert_eq!(
        (err.kind(), err.field()),
        (ErrorKind::BadInput, Some("kind"))
    );
    let err = record::attach(
        &mut store,
        &ctx(),
        &req("invoice", Some("L-9")),
        upload(&mut r, "a.txt"),
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err:?}");
    let err = record::attach(
        &mut store,
        &ctx(),
        &req("invoice", Some("L-0001")),
        upload(&mut r, "../evil.txt"),
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadInput, "{err:?}");
    assert_eq!(store.applied().head.seq, 1);

    let mut r = Cursor::new(b"Rechnung 2024-001".to_vec());
    let done = record::attach(
        &mut store,
        &ctx(),
        &req("invoice", Some("L-0001")),
        upload(&mut r, "rechnung.txt"),
        &Silent,
    )
    .unwrap();
    assert_eq!(done.seqs, [2]);
    assert_eq!(done.documents[0].filename, "rechnung.txt");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn upload<'a>(reader: &'a mut Cursor<Vec<u8>>, name: &str) -> Vec<Source<'a>> {
    vec![Source::Upload {
        filename: name.into(),
        reader,
        limit: None,
    }]
}
