//! The contract archive through the library: list, show, get (to a writer
//! and to a file), search and reindex, and each error's kind and field.
//!
//! Text extraction runs the `entitle` binary as a child, which a library
//! test is not: documents here are not searchable by their text, but are
//! found by their file names (the end-to-end tests prove the text).

use entitle_app::archive::{self, DocListRequest, SearchRequest, TextStatus};
use entitle_app::record::{self, Attach, Common, Documents, Purchase, Source, Write};
use entitle_app::Scope;
use entitle_app::{store, Error, ErrorKind, Open, Silent, Store};
use tempfile::TempDir;

const CONTRACT: &[u8] = b"Rahmenvertrag: Kuendigungsfrist drei Monate";
const LETTER: &[u8] = b"Kuendigungsbestaetigung fuer PDM";

fn new_store() -> (TempDir, Store) {
    let dir = TempDir::new().unwrap();
    let store = store::open(&dir.path().join("s"), Open::CreateIfMissing, "test").unwrap();
    (dir, store)
}

fn ctx() -> entitle_app::Context {
    entitle_app::when::context("tester")
}

fn purchase(store: &mut Store, vendor: &str) -> String {
    let p = Purchase {
        vendor: vendor.into(),
        product: "CAD".into(),
        metric: "user".into(),
        qty: "10".into(),
        start: "2024-01-01".into(),
        ..Purchase::default()
    };
    record::record(
        store,
        &ctx(),
        &Write::Purchase(p),
        &Common::default(),
        Documents::default(),
        &Silent,
    )
    .unwrap()
    .id
    .unwrap()
}

/// Attaches `bytes` as `filename` and returns its hash.
fn attach(store: &mut Store, to: Attach, filename: &str, bytes: &[u8]) -> String {
    let mut reader = bytes;
    let r = record::attach(
        store,
        &ctx(),
        &to,
        vec![Source::Upload {
            filename: filename.into(),
            reader: &mut reader,
            limit: None,
        }],
        &Silent,
    )
    .unwrap();
    r.documents[0].hash.clone()
}

/// A store with a contract bound to a Nordlicht license and a letter bound
/// to the vendor Acme; returns the license id and both hashes.
fn archive() -> (TempDir, Store, String, String, String) {
    let (dir, mut store) = new_store();
    let id = purchase(&mut store, "Nordlicht Software AG");
    let contract = attach(
        &mut store,
        Attach {
            license: Some(id.clone()),
            kind: "contract".into(),
            ..Attach::default()
        },
        "rahmenvertrag.txt",
        CONTRACT,
    );
    let letter = attach(
        &mut store,
        Attach {
            vendor: Some("Acme".into()),
            kind: "correspondence".into(),
            ..Attach::default()
        },
        "bestaetigung.txt",
        LETTER,
    );
    (dir, store, id, contract, letter)
}

fn fails(r: Result<impl std::fmt::Debug, Error>, kind: ErrorKind, field: &str) -> Error {
    let e = r.expect_err("should fail");
    assert_eq!(e.kind(), kind, "{e:?}");
    assert_eq!(e.field(), Some(field), "{e:?}");
    e
}

#[test]
fn doc_list_filters_by_license_and_vendor_and_keeps_its_json_fields() {
    let (_dir, store, id, contract, letter) = archive();
    let all = archive::doc_list(&store, &Scope::All, &DocListRequest::default(), &Silent).unwrap();
    let hashes: Vec<&str> = all.documents.iter().map(|d| d.hash.as_str()).collect();
    let mut expected = vec![contract.as_str(), letter.as_str()];
    expected.sort_unstable();
    assert_eq!(hashes, expected, "hash order");
    let by_license = archive::doc_list(
        &store,
        &Scope::All,
        &DocListRequest {
            license: Some(id.clone()),
            vendor: None,
        },
        &Silent,
    )
    .unwrap();
    assert_eq!(by_license.documents.len(), 1);
    let d = &by_license.documents[0];
    assert_eq!(d.hash, contract);
    assert_eq!(d.filename, "rahmenvertrag.txt");
    assert_eq!(d.kind, "contract");
    assert_eq!(d.size, CONTRACT.len() as u64);
    assert_eq!(d.license_ids, [id.as_str()]);
    assert_eq!(d.vendors, ["Nordlicht Software AG"]);
    // Not extracted here (see the module comment), so not searchable, with
    // the reason kept: never "not extracted yet".
    assert!(matches!(d.text, TextStatus::NotSearchable { .. }), "{d:?}");
    assert!(!d.searchable);
    let json = serde_json::to_value(d).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "hash",
            "filename",
            "kind",
            "size",
            "media_type",
            "license_ids",
            "vendors",
            "searchable"
        ]
    );
    let by_vendor = archive::doc_list(
        &store,
        &Scope::All,
        &DocListRequest {
            license: None,
            vendor: Some("acme".into()),
        },
        &Silent,
    )
    .unwrap();
    assert_eq!(by_vendor.documents.len(), 1);
    assert_eq!(by_vendor.documents[0].hash, letter);
    let none = archive::doc_list(
        &store,
        &Scope::All,
        &DocListRequest {
            license: Some("L-9999".into()),
            vendor: None,
        },
        &Silent,
    )
    .unwrap();
    assert!(none.documents.is_empty());
}

#[test]
fn doc_show_lists_bindings_and_refuses_bad_hashes() {
    let (_dir, store, id, contract, _) = archive();
    let d = archive::doc_show(&store, &Scope::All, &contract[..8], &Silent).unwrap();
    assert_eq!(d.hash, contract);
    assert_eq!(d.size, CONTRACT.len() as u64);
    assert_eq!(d.media_type, "text/plain");
    assert_eq!(std::fs::read(&d.path).unwrap(), CONTRACT);
    assert_eq!(d.events.len(), 1);
    assert_eq!(d.events[0].seq, 2);
    assert_eq!(d.events[0].license_id.as_deref(), Some(id.as_str()));
    assert_eq!(d.events[0].filename, "rahmenvertrag.txt");
    assert!(d.events[0].recorded_at.is_some());
    assert_eq!(d.searchable, d.not_searchable_reason.is_none());
    let json = serde_json::to_value(&d).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "hash",
            "size",
            "media_type",
            "path",
            "searchable",
            "characters",
            "not_searchable_reason",
            "events"
        ]
    );
    assert_eq!(d.characters.is_some(), d.searchable);

    fails(
        archive::doc_show(&store, &Scope::All, "abc", &Silent),
        ErrorKind::BadInput,
        "hash",
    );
    fails(
        archive::doc_show(&store, &Scope::All, "zzzzzzzzzz", &Silent),
        ErrorKind::BadInput,
        "hash",
    );
    fails(
        archive::doc_show(&store, &Scope::All, "00000000", &Silent),
        ErrorKind::NotFound,
        "hash",
    );
}

#[test]
fn doc_get_writes_the_exact_bytes() {
    let (_dir, store, _, contract, _) = archive();
    let mut out = Vec::new();
    let n = archive::doc_get(&store, &Scope::All, &contract[..10], &mut out).unwrap();
    assert_eq!(out, CONTRACT);
    assert_eq!(n, CONTRACT.len() as u64);
    fails(
        archive::doc_get(&store, &Scope::All, "0000000000", &mut Vec::new()),
        ErrorKind::NotFound,
        "hash",
    );
}

/// Changes a blob's bytes behind the store's back.
fn tamper(store: &Store, hash: &str) {
    let path = store.blobs().path_of(hash);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    std::fs::write(&path, b"Rahmenvertrag: Kuendigungsfrist zwei Monate").unwrap();
}

#[test]
fn doc_get_refuses_a_changed_blob_and_writes_nothing() {
    let (dir, store, _, contract, _) = archive();
    tamper(&store, &contract);
    let mut out = Vec::new();
    let e = fails(
        archive::doc_get(&store, &Scope::All, &contract, &mut out),
        ErrorKind::Integrity,
        "hash",
    );
    assert_eq!(e.action(), Some(entitle_app::Action::Verify));
    assert!(out.is_empty(), "{} bytes written", out.len());
    let target = dir.path().join("copy.txt");
    fails(
        archive::doc_get_to_file(&store, &Scope::All, &contract, &target, false),
        ErrorKind::Integrity,
        "hash",
    );
    assert!(!target.exists());
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "a temporary file was left behind: {left:?}");
}

#[test]
fn doc_get_to_file_refuses_an_existing_target_unless_overwriting() {
    let (dir, store, _, contract, _) = archive();
    let target = dir.path().join("copy.txt");
    let w = archive::doc_get_to_file(&store, &Scope::All, &contract, &target, false).unwrap();
    assert_eq!(w.bytes, CONTRACT.len() as u64);
    assert_eq!(std::fs::read(&target).unwrap(), CONTRACT);
    std::fs::write(&target, b"keep me").unwrap();
    let e = fails(
        archive::doc_get_to_file(&store, &Scope::All, &contract, &target, false),
        ErrorKind::Conflict,
        "out",
    );
    assert_eq!(e.action(), Some(entitle_app::Action::Overwrite));
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    archive::doc_get_to_file(&store, &Scope::All, &contract, &target, true).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), CONTRACT);
    // An unwritable directory is an I/O error on the target.
    fails(
        archive::doc_get_to_file(
            &store,
            &Scope::All,
            &contract,
            &dir.path().join("no/such/dir/x"),
            true,
        ),
        ErrorKind::Io,
        "out",
    );
}

#[cfg(unix)]
#[test]
fn doc_get_to_file_never_writes_through_a_symlink() {
    let (dir, store, _, contract, _) = archive();
    let victim = dir.path().join("victim");
    let link = dir.path().join("out.txt");
    // A dangling link: refused without overwrite, the victim not created.
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    fails(
        archive::doc_get_to_file(&store, &Scope::All, &contract, &link, false),
        ErrorKind::Conflict,
        "out",
    );
    assert!(!victim.exists());
    // With overwrite the link itself is replaced.
    std::fs::write(&victim, b"keep").unwrap();
    archive::doc_get_to_file(&store, &Scope::All, &contract, &link, true).unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    assert_eq!(std::fs::read(&link).unwrap(), CONTRACT);
    assert!(!std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
}

fn query(text: &str) -> SearchRequest {
    SearchRequest {
        query: text.into(),
        ..SearchRequest::default()
    }
}

#[test]
fn search_finds_by_file_name_and_filters() {
    let (_dir, store, id, contract, letter) = archive();
    let r = archive::search(&store, &Scope::All, &query("rahmenvertrag"), &Silent).unwrap();
    assert_eq!(r.query, "rahmenvertrag");
    assert_eq!(r.total, 1);
    let h = &r.hits[0];
    assert_eq!(h.hash, contract);
    assert_eq!(h.filename, "rahmenvertrag.txt");
    assert_eq!(h.license_ids, [id.as_str()]);
    assert_eq!(h.vendor.as_deref(), Some("Nordlicht Software AG"));
    assert_eq!(h.kind, "contract");
    let json = serde_json::to_value(h).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "hash",
            "filename",
            "license_ids",
            "vendor",
            "kind",
            "score",
            "snippet"
        ]
    );
    let by_vendor = archive::search(
        &store,
        &Scope::All,
        &SearchRequest {
            vendor: Some("Acme".into()),
            ..query("bestaetigung OR rahmenvertrag")
        },
        &Silent,
    )
    .unwrap();
    assert_eq!(by_vendor.total, 1);
    assert_eq!(by_vendor.hits[0].hash, letter);
    let by_kind = archive::search(
        &store,
        &Scope::All,
        &SearchRequest {
            kind: Some("Contract".into()),
            ..query("bestaetigung OR rahmenvertrag")
        },
        &Silent,
    )
    .unwrap();
    assert_eq!(by_kind.total, 1);
    assert_eq!(by_kind.hits[0].hash, contract);
    let limited = archive::search(
        &store,
        &Scope::All,
        &SearchRequest {
            limit: Some("1".into()),
            ..query("bestaetigung OR rahmenvertrag")
        },
        &Silent,
    )
    .unwrap();
    assert_eq!(limited.total, 2);
    assert_eq!(limited.hits.len(), 1);
}

#[test]
fn search_refuses_a_bad_query_kind_and_limit() {
    let (_dir, store, _, _, _) = archive();
    fails(
        archive::search(&store, &Scope::All, &query("\"unclosed"), &Silent),
        ErrorKind::BadInput,
        "query",
    );
    fails(
        archive::search(
            &store,
            &Scope::All,
            &SearchRequest {
                kind: Some("poem".into()),
                ..query("x")
            },
            &Silent,
        ),
        ErrorKind::BadInput,
        "kind",
    );
    for limit in [
        "0",
        "1001",
        "-1",
        "ten",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
    ] {
        let e = fails(
            archive::search(
                &store,
                &Scope::All,
                &SearchRequest {
                    limit: Some(limit.into()),
                    ..query("x")
                },
                &Silent,
            ),
            ErrorKind::BadInput,
            "limit",
        );
        assert_eq!(e.value(), Some(limit));
        assert_eq!(
            e.to_string(),
            format!("limit {limit} must be a whole number from 1 to 1000")
        );
    }
    for limit in ["1", "1000", " 20 "] {
        archive::search(
            &store,
            &Scope::All,
            &SearchRequest {
                limit: Some(limit.into()),
                ..query("x")
            },
            &Silent,
        )
        .unwrap();
    }
}

/// Counts the documents [`archive::reindex`] reports.
#[derive(Default)]
struct Count(std::cell::Cell<u64>);

impl entitle_app::Progress for Count {
    fn advance(&self, n: u64) {
        self.0.set(self.0.get() + n);
    }
}

#[test]
fn reindex_indexes_every_document_and_reports_progress() {
    let (_dir, store, _, _, _) = archive();
    let before = archive::search(
        &store,
        &Scope::All,
        &query("bestaetigung OR rahmenvertrag"),
        &Silent,
    )
    .unwrap();
    std::fs::remove_dir_all(store.layout().index()).unwrap();
    let count = Count::default();
    let r = archive::reindex(&store, &count).unwrap();
    assert_eq!(r.documents, 2);
    assert_eq!(r.seq, store.applied().head.seq);
    assert!(count.0.get() >= 2, "progress reported {}", count.0.get());
    let after = archive::search(
        &store,
        &Scope::All,
        &query("bestaetigung OR rahmenvertrag"),
        &Silent,
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&after).unwrap(),
        serde_json::to_value(&before).unwrap()
    );
}
