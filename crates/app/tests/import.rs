//! Importing through the library, as any front-end does: a file in, a
//! serialisable result or a field-named error out — every bad row listed,
//! and nothing written (nor a store created) when the file is bad.

use entitle_app::Scope;
use std::path::{Path, PathBuf};

use entitle_app::import::{
    self, EventsFile, Licenses, SheetOptions, Target, UsageImport, MAX_LISTED,
};
use entitle_app::query::{self, Query};
use entitle_app::record::{self, Common, Documents, Purchase, Write};
use entitle_app::{store, Action, Context, ErrorKind, Open, Silent, Store};
use entitle_core::Quantity;
use tempfile::TempDir;

fn ctx() -> Context {
    entitle_app::when::context("tester")
}

fn new_store(dir: &TempDir) -> Store {
    store::open(&dir.path().join("s"), Open::CreateIfMissing, "test").unwrap()
}

fn file(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn licenses_req(path: &Path, dry_run: bool) -> Licenses {
    Licenses {
        file: path.to_owned(),
        sheet: SheetOptions::default(),
        dry_run,
    }
}

fn seq(store: &Store) -> u64 {
    store.applied().head.seq
}

const GOOD: &str = "vendor,product,metric,quantity,start,end,cost,currency\n\
    Acme,CAD,user,10,2024-01-01,2024-12-31,1200.00,EUR\n\
    Acme,Site,user,unbegrenzt,2024-01-01,,,\n";

#[test]
fn a_good_file_is_imported_and_the_state_shows_it() {
    let dir = TempDir::new().unwrap();
    let mut store = new_store(&dir);
    let path = file(&dir, "licenses.csv", GOOD);
    let done = import::licenses(
        Target::Open(&mut store),
        &ctx(),
        &licenses_req(&path, false),
        &Silent,
    )
    .unwrap();
    assert_eq!(done.rows, 2);
    assert_eq!((done.first_seq, done.last_seq), (Some(1), Some(2)));
    assert_eq!(
        done.ids.as_deref(),
        Some(&["L-0001".to_owned(), "L-0002".to_owned()][..])
    );
    let json = serde_json::to_value(&done).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["file", "dry_run", "rows", "first_seq", "last_seq", "ids"]
    );

    let state = query::state(
        &store,
        &Scope::All,
        &Query {
            as_of: Some("2024-06-30".into()),
            ..Query::default()
        },
    )
    .unwrap();
    assert_eq!(state.licenses.len(), 2);
    assert_eq!(state.licenses[0].quantity, Quantity::Count(10));
    assert_eq!(state.licenses[0].cost.as_deref(), Some("1200.00"));
    assert_eq!(
        state.licenses[1].quantity,
        Quantity::Unlimited,
        "unbegrenzt"
    );
}

#[test]
fn several_bad_rows_are_listed_by_a_dry_run_and_refused_by_a_real_one() {
    let dir = TempDir::new().unwrap();
    let mut store = new_store(&dir);
    let path = file(
        &dir,
        "bad.csv",
        "vendor,product,metric,quantity,start,end,cost,currency\n\
         Acme,CAD,user,10,2024-01-01,2024-12-31,1200.00,EUR\n\
         Acme,CAD,seat,10,2024-01-01,2024-12-31,,\n\
         Acme,Viewer,user,0,2024-01-01,,,\n\
         Acme,Farm,core,16,2024-06-01,2024-01-01,,\n\
         Acme,Cloud,user,5,2024-01-01,,100,\n",
    );
    let dry = import::licenses(
        Target::Open(&mut store),
        &ctx(),
        &licenses_req(&path, true),
        &Silent,
    )
    .unwrap();
    let got: Vec<(u64, Option<&str>, Option<&str>)> = dry
        .bad_rows
        .iter()
        .map(|b| (b.line, b.field.as_deref(), b.value.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (3, Some("metric"), Some("seat")),
            (4, Some("quantity"), Some("0")),
            (5, Some("end"), Some("2024-01-01")),
            (6, Some("cost"), Some("100")),
        ],
        "{:#?}",
        dry.bad_rows
    );
    assert!(
        dry.bad_rows[2].message.contains("before the start"),
        "{:?}",
        dry.bad_rows[2]
    );
    assert_eq!(dry.bad_total, 4);
    assert!(dry.refusal().is_some());
    assert_eq!(seq(&store), 0, "a dry run writes nothing");

    let err = import::licenses(
        Target::Open(&mut store),
        &ctx(),
        &licenses_req(&path, false),
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadInput);
    assert_eq!(err.field(), Some("file"));
    assert_eq!(err.detail_lines().len(), 4, "{err}");
    assert!(err.detail_lines()[0].ends_with("bad.csv:3: metric seat is not a known metric; use one of user, device, core, processor, concurrent, instance"), "{err}");
    assert_eq!(seq(&store), 0, "a refused import writes nothing");
}

#[test]
fn bad_usage_rows_have_the_rules_of_usage_record() {
    let dir = TempDir::new().unwrap();
    let mut store = new_store(&dir);
    let path = file(
        &dir,
        "usage.csv",
        "vendor;product;metric;count;date\n\
         Acme;CAD;user;1.234;2024-06-30\n\
         Acme;CAD;user;-3;2024-06-30\n\
         Acme;CAD;user;12x;2024-06-30\n",
    );
    let req = UsageImport {
        file: path.clone(),
        dry_run: true,
        ..UsageImport::default()
    };
    let dry = import::usage(Target::Open(&mut store), &ctx(), &req, &Silent).unwrap();
    let got: Vec<(u64, Option<&str>, Option<&str>)> = dry
        .bad_rows
        .iter()
        .map(|b| (b.line, b.field.as_deref(), b.value.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (3, Some("count"), Some("-3")),
            (4, Some("count"), Some("12x"))
        ]
    );
    // The same texts as `usage record` refuses.
    for (bad, count) in dry.bad_rows.iter().zip(["-3", "12x"]) {
        let w = Write::Usage(record::Usage {
            vendor: "Acme".into(),
            product: "CAD".into(),
            metric: "user".into(),
            count: count.into(),
            date: "2024-06-30".into(),
            source: None,
        });
        let e = w.draft(&Common::default()).unwrap_err();
        assert_eq!(bad.message, e.to_string());
    }
    assert_eq!(seq(&store), 0);
}

#[test]
fn importing_the_same_file_again_is_a_conflict() {
    let dir = TempDir::new().unwrap();
    let mut store = new_store(&dir);
    let path = file(
        &dir,
        "usage.csv",
        "vendor,product,metric,count,date\nAcme,CAD,user,3,2024-06-30\n",
    );
    let req = UsageImport {
        file: path.clone(),
        source: Some("SCCM".into()),
        ..UsageImport::default()
    };
    let done = import::usage(Target::Open(&mut store), &ctx(), &req, &Silent).unwrap();
    assert_eq!((done.rows, done.first_seq), (1, Some(1)));
    let err = import::usage(Target::Open(&mut store), &ctx(), &req, &Silent).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.action(), Some(Action::ImportAgain));
    assert!(
        err.message().contains("was already imported (event #1"),
        "{err}"
    );
    assert_eq!(seq(&store), 1);
    let dry = UsageImport {
        dry_run: true,
        ..req.clone()
    };
    let err = import::usage(Target::Open(&mut store), &ctx(), &dry, &Silent).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "a dry run says so too");
    let again = UsageImport {
        sheet: SheetOptions {
            again: true,
            ..SheetOptions::default()
        },
        ..req
    };
    import::usage(Target::Open(&mut store), &ctx(), &again, &Silent).unwrap();
    assert_eq!(seq(&store), 2);
}

#[test]
fn unbegrenzt_is_unlimited_in_the_import_and_in_a_purchase() {
    let dir = TempDir::new().unwrap();
    let mut store = new_store(&dir);
    let recorded = record::record(
        &mut store,
        &ctx(),
        &Write::Purchase(Purchase {
            vendor: "DATEV".into(),
            product: "Lohn".into(),
            metric: "user".into(),
            qty: "Unbeschränkt".into(),
            start: "2024-01-01".into(),
            ..Purchase::default()
        }),
        &Common::default(),
        Documents::default(),
        &Silent,
    )
    .unwrap();
    assert_eq!(recorded.id.as_deref(), Some("L-0001"));
    let path = file(&dir, "licenses.csv", GOOD);
    let dry = import::licenses(
        Target::Open(&mut store),
        &ctx(),
        &licenses_req(&path, true),
        &Silent,
    )
    .unwrap();
    let rows = dry.would_record.unwrap();
    assert_eq!(rows[1].qty, Quantity::Unlimited);
    assert_eq!(
        rows[1].id.as_deref(),
        Some("L-0003"),
        "ids follow the store's"
    );
}

#[test]
fn an_events_file_with_a_broken_line_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let mut store = new_store(&dir);
    let path = file(
        &dir,
        "events.jsonl",
        concat!(
            r#"{"type":"purchased","vendor":"A","product":"B","metric":"user","qty":1,"start":"2024-01-01"}"#,
            "\n",
            "{\"type\":\"purchased\",\n",
            r#"{"type":"adjusted","id":"NOPE","qty":3}"#,
            "\n",
        ),
    );
    let err = import::events(
        Target::Open(&mut store),
        &ctx(),
        EventsFile::Path(path.clone()),
        false,
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadInput);
    assert!(
        err.detail_lines()[0].contains("events.jsonl:2: not JSON"),
        "{err}"
    );
    assert_eq!(seq(&store), 0);
    let dry = import::events(
        Target::Open(&mut store),
        &ctx(),
        EventsFile::Path(path),
        true,
        &Silent,
    )
    .unwrap();
    assert_eq!(dry.bad_rows.len(), 1);
    assert_eq!(dry.bad_rows[0].line, 2);
    assert_eq!(seq(&store), 0);

    // A line the ledger refuses: listed by a dry run, nothing written.
    let path = file(
        &dir,
        "events2.jsonl",
        concat!(
            r#"{"type":"purchased","vendor":"A","product":"B","metric":"user","qty":1,"start":"2024-01-01"}"#,
            "\n",
            r#"{"type":"adjusted","id":"NOPE","qty":3}"#,
            "\n",
        ),
    );
    let dry = import::events(
        Target::Open(&mut store),
        &ctx(),
        EventsFile::Path(path.clone()),
        true,
        &Silent,
    )
    .unwrap();
    assert_eq!(dry.bad_rows.len(), 1);
    assert_eq!(dry.bad_rows[0].line, 2);
    assert!(dry.bad_rows[0].message.contains("NOPE"));
    let err = import::events(
        Target::Open(&mut store),
        &ctx(),
        EventsFile::Path(path),
        false,
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.detail_lines().len(), 1, "{err}");
    assert_eq!(seq(&store), 0);
}

#[test]
fn a_bad_file_creates_no_store() {
    let dir = TempDir::new().unwrap();
    let at = dir.path().join("new-store");
    let target = || Target::At {
        path: at.clone(),
        purpose: "test".into(),
        wait: std::time::Duration::ZERO,
    };
    let bad = file(
        &dir,
        "bad.csv",
        "vendor,product,metric,quantity,start\nAcme,CAD,seat,1,2024-01-01\n",
    );
    let err = import::licenses(target(), &ctx(), &licenses_req(&bad, false), &Silent).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadInput);
    assert!(!at.exists(), "a bad licenses file created a store");

    let usage = file(
        &dir,
        "u.csv",
        "vendor,product,metric,count,date\nA,B,user,-1,2024-01-01\n",
    );
    let req = UsageImport {
        file: usage,
        ..UsageImport::default()
    };
    import::usage(target(), &ctx(), &req, &Silent).unwrap_err();
    assert!(!at.exists(), "a bad usage file created a store");

    let events = file(&dir, "e.jsonl", "not json\n");
    import::events(target(), &ctx(), EventsFile::Path(events), false, &Silent).unwrap_err();
    assert!(!at.exists(), "a bad events file created a store");

    // A good file in a dry run creates none either; a real run does.
    let good = file(&dir, "good.csv", GOOD);
    let dry = import::licenses(target(), &ctx(), &licenses_req(&good, true), &Silent).unwrap();
    assert_eq!(dry.rows, 2);
    assert!(!at.exists(), "a dry run created a store");
    import::licenses(target(), &ctx(), &licenses_req(&good, false), &Silent).unwrap();
    assert!(at.exists());
}

#[test]
fn many_bad_rows_are_counted_beyond_those_listed() {
    let dir = TempDir::new().unwrap();
    let mut text = String::from("vendor,product,metric,count,date\n");
    for _ in 0..(MAX_LISTED + 7) {
        text.push_str("A,B,user,-1,2024-01-01\n");
    }
    let req = UsageImport {
        file: file(&dir, "many.csv", &text),
        dry_run: true,
        ..UsageImport::default()
    };
    let mut store = new_store(&dir);
    let dry = import::usage(Target::Open(&mut store), &ctx(), &req, &Silent).unwrap();
    assert_eq!(dry.bad_rows.len(), MAX_LISTED);
    assert_eq!(dry.bad_total, MAX_LISTED as u64 + 7);
    let err = dry.refusal().unwrap();
    assert!(
        err.detail_lines().last().unwrap().contains("and 7 more"),
        "{err}"
    );
}

/// Five users of Acme CAD from 2024.
fn acme_cad() -> Write {
    Write::Purchase(Purchase {
        vendor: "Acme".into(),
        product: "CAD".into(),
        metric: "user".into(),
        qty: "5".into(),
        start: "2024-01-01".into(),
        ..Purchase::default()
    })
}

#[test]
fn an_imported_document_event_must_name_bytes_the_archive_holds() {
    let dir = TempDir::new().unwrap();
    let mut store = new_store(&dir);
    // A document attached the ordinary way: its bytes are archived.
    let contract = file(&dir, "contract.txt", "Vertrag: Kuendigungsfrist 90 Tage");
    let w = acme_cad();
    let docs = Documents {
        sources: vec![record::Source::Path(contract)],
        kind: None,
    };
    let r = record::record(&mut store, &ctx(), &w, &Common::default(), docs, &Silent).unwrap();
    let held = r.attached[0].hash.clone();
    let missing = "ab".repeat(32);
    let line = |hash: &str, name: &str| {
        format!(
            r#"{{"type":"document_attached","hash":"{hash}","filename":"{name}","size":3,"media_type":"text/plain","kind":"contract","id":"L-0001"}}"#
        )
    };
    let path = file(
        &dir,
        "docs.jsonl",
        &format!(
            "{}\n{}\n{}\n",
            line(&held, "copy.txt"),
            line(&missing, "ghost.pdf"),
            line(&held, "../../etc/passwd"),
        ),
    );
    let dry = import::events(
        Target::Open(&mut store),
        &ctx(),
        EventsFile::Path(path.clone()),
        true,
        &Silent,
    )
    .unwrap();
    let got: Vec<(u64, Option<&str>)> = dry
        .bad_rows
        .iter()
        .map(|b| (b.line, b.field.as_deref()))
        .collect();
    assert_eq!(got, [(2, Some("hash")), (3, Some("filename"))], "{dry:?}");
    assert!(
        dry.bad_rows[0]
            .message
            .contains("names no document in this store's archive"),
        "{}",
        dry.bad_rows[0].message
    );
    let before = seq(&store);
    let err = import::events(
        Target::Open(&mut store),
        &ctx(),
        EventsFile::Path(path),
        false,
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.detail_lines().len(), 2, "{err}");
    assert_eq!(
        seq(&store),
        before,
        "nothing of a refused import is written"
    );
    let report = entitle_app::maintenance::verify(&store, &Silent).unwrap();
    assert!(report.intact, "{:?}", report.problems);
}

#[test]
fn a_note_that_quotes_a_files_hash_does_not_block_importing_it() {
    let dir = TempDir::new().unwrap();
    let mut store = new_store(&dir);
    let path = file(
        &dir,
        "usage.csv",
        "vendor,product,metric,count,date\nAcme,CAD,user,3,2024-06-30\n",
    );
    let hash = blake3::hash(&std::fs::read(&path).unwrap())
        .to_hex()
        .to_string();
    // Someone writes the file's hash into an ordinary note …
    let w = acme_cad();
    let common = Common {
        note: Some(format!("counts to follow in usage.csv blake3:{hash}")),
        ..Common::default()
    };
    record::record(
        &mut store,
        &ctx(),
        &w,
        &common,
        Documents::default(),
        &Silent,
    )
    .unwrap();
    // … which is not an import of it: the file imports.
    let req = UsageImport {
        file: path,
        ..UsageImport::default()
    };
    let done = import::usage(Target::Open(&mut store), &ctx(), &req, &Silent).unwrap();
    assert_eq!(done.first_seq, Some(2));
    // The import itself is remembered, also after the derived state is
    // rebuilt from the log.
    let err = import::usage(Target::Open(&mut store), &ctx(), &req, &Silent).unwrap_err();
    assert!(
        err.message().contains("(event #2 carries its hash"),
        "{err}"
    );
    entitle_app::maintenance::rebuild(&mut store, &Silent).unwrap();
    let err = import::usage(Target::Open(&mut store), &ctx(), &req, &Silent).unwrap_err();
    assert!(
        err.message().contains("(event #2 carries its hash"),
        "{err}"
    );
}
