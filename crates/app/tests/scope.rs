//! An auditor who sees one vendor: a store with two vendors, Acme and
//! Globex (licenses, usage, documents — Globex's with words only they hold,
//! one of them bound to the vendor itself — and terms ending soon), read
//! with a scope of Acme alone. Every use case answers with Acme's records
//! only, and each of Globex's license ids, document hashes, hash prefixes
//! and its vendor name gets exactly the answer an unknown one gets.

use entitle_app::archive::{self, DocListRequest, SearchRequest};
use entitle_app::audit::{self, PackRequest};
use entitle_app::query::{self, PositionRequest, Query, RenewalsRequest, SpendRequest};
use entitle_app::record::{
    self, Adjust, Attach, Common, Documents, Purchase, Source, Usage, Write,
};
use entitle_app::{maintenance, store, Error, ErrorKind, Open, Scope, Silent, Store};
use tempfile::TempDir;

const ACME_CONTRACT: &str = "Rahmenvertrag Acme: Kuendigungsfrist drei Monate.";
const GLOBEX_CONTRACT: &str =
    "Rahmenvertrag Globex: Geheimklausel Wettbewerbsverbot, Kuendigungsfrist.";
const GLOBEX_LETTER: &str = "Globex Geheimklausel Bestaetigung der Preisliste.";

struct Fixture {
    _dir: TempDir,
    store: Store,
    acme: String,
    globex: String,
    acme_doc: String,
    globex_doc: String,
    globex_letter: String,
    /// The seq before Acme's adjustment.
    before_adjust: u64,
}

fn ctx() -> entitle_app::Context {
    entitle_app::when::context("tester")
}

fn acme() -> Scope {
    Scope::Vendors(vec![" ACME ".into()])
}

fn write(store: &mut Store, w: Write) -> Option<String> {
    record::record(
        store,
        &ctx(),
        &w,
        &Common::default(),
        Documents::default(),
        &Silent,
    )
    .unwrap()
    .id
}

fn purchase(store: &mut Store, vendor: &str, cost: &str) -> String {
    write(
        store,
        Write::Purchase(Purchase {
            vendor: vendor.into(),
            product: "CAD".into(),
            metric: "user".into(),
            qty: "10".into(),
            start: "2024-01-01".into(),
            end: Some("2024-12-31".into()),
            cost: Some(cost.into()),
            currency: Some("EUR".into()),
            notice_days: Some(30),
            ..Purchase::default()
        }),
    )
    .unwrap()
}

fn usage(store: &mut Store, vendor: &str, count: &str) {
    write(
        store,
        Write::Usage(Usage {
            vendor: vendor.into(),
            product: "CAD".into(),
            metric: "user".into(),
            count: count.into(),
            date: "2024-06-01".into(),
            source: None,
        }),
    );
}

/// Attaches `bytes` and returns its hash.
fn attach(store: &mut Store, to: Attach, filename: &str, bytes: &[u8]) -> String {
    let mut reader = bytes;
    record::attach(
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
    .unwrap()
    .documents[0]
        .hash
        .clone()
}

fn to_license(id: &str) -> Attach {
    Attach {
        license: Some(id.into()),
        kind: "contract".into(),
        ..Attach::default()
    }
}

fn fixture() -> Fixture {
    let dir = TempDir::new().unwrap();
    let mut store = store::open(&dir.path().join("s"), Open::CreateIfMissing, "test").unwrap();
    let acme = purchase(&mut store, "Acme", "1000");
    let globex = purchase(&mut store, "Globex", "5000");
    usage(&mut store, "Acme", "12");
    usage(&mut store, "globex", "3");
    let before_adjust = store.applied().head.seq;
    write(
        &mut store,
        Write::Adjust(Adjust {
            license: acme.clone(),
            qty: "20".into(),
            ..Adjust::default()
        }),
    );
    let acme_doc = attach(
        &mut store,
        to_license(&acme),
        "acme-vertrag.txt",
        ACME_CONTRACT.as_bytes(),
    );
    let globex_doc = attach(
        &mut store,
        to_license(&globex),
        "globex-vertrag.txt",
        GLOBEX_CONTRACT.as_bytes(),
    );
    let globex_letter = attach(
        &mut store,
        Attach {
            vendor: Some("Globex".into()),
            kind: "correspondence".into(),
            ..Attach::default()
        },
        "globex-brief.txt",
        GLOBEX_LETTER.as_bytes(),
    );
    // A library test is not the `entitle` binary that extracts text in a
    // child: keep the texts, then index them.
    for (hash, text) in [
        (&acme_doc, ACME_CONTRACT),
        (&globex_doc, GLOBEX_CONTRACT),
        (&globex_letter, GLOBEX_LETTER),
    ] {
        store.put_text(hash, &Ok(text.to_owned())).unwrap();
    }
    archive::reindex(&store, &Silent).unwrap();
    Fixture {
        _dir: dir,
        store,
        acme,
        globex,
        acme_doc,
        globex_doc,
        globex_letter,
        before_adjust,
    }
}

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap()
}

/// An error as a reader sees it: kind, field, and every word, with the
/// value asked for in place of `asked`.
fn seen(e: &Error, asked: &str) -> String {
    format!(
        "{:?} {:?} {:?} {} | {:?} {:?} {:?}",
        e.kind(),
        e.field(),
        e.value(),
        e,
        e.hint_text(),
        e.action(),
        e.detail_lines(),
    )
    .replace(asked, "<asked>")
}

/// The error of an unknown value and of a value out of scope are the same.
fn same_as_unknown<T: std::fmt::Debug>(
    hidden: (&str, Result<T, Error>),
    unknown: (&str, Result<T, Error>),
) {
    let hidden_err = hidden.1.expect_err("out of scope must fail");
    let unknown_err = unknown.1.expect_err("unknown must fail");
    assert_eq!(hidden_err.kind(), ErrorKind::NotFound, "{hidden_err:?}");
    assert_eq!(seen(&hidden_err, hidden.0), seen(&unknown_err, unknown.0));
}

#[test]
fn the_queries_show_only_the_vendors_in_scope_and_equal_a_vendor_filter() {
    let f = fixture();
    let s = &f.store;
    for known_at in [None, Some(format!("#{}", f.before_adjust))] {
        let q = |vendor: Option<&str>| Query {
            as_of: Some("2024-06-30".into()),
            known_at: known_at.clone(),
            vendor: vendor.map(str::to_owned),
        };
        // state
        let scoped = query::state(s, &acme(), &q(None)).unwrap();
        assert!(!scoped.licenses.is_empty());
        assert!(scoped.licenses.iter().all(|l| l.vendor == "Acme"));
        let filtered = query::state(s, &Scope::All, &q(Some("acme"))).unwrap();
        assert_eq!(json(&scoped), json(&filtered));
        // A vendor out of scope asked for by name: nothing.
        let other = query::state(s, &acme(), &q(Some("Globex"))).unwrap();
        assert!(other.licenses.is_empty());

        // position
        let req = |vendor| PositionRequest {
            query: q(vendor),
            stale_after: 90,
        };
        let scoped = query::position(s, &acme(), &req(None)).unwrap();
        assert!(!scoped.products.is_empty());
        assert!(scoped.products.iter().all(|p| p.vendor == "Acme"));
        let filtered = query::position(s, &Scope::All, &req(Some("ACME"))).unwrap();
        assert_eq!(json(&scoped), json(&filtered));
        let all = query::position(s, &Scope::All, &req(None)).unwrap();
        assert!(all.products.iter().any(|p| p.vendor == "Globex"));

        // spend
        let req = |vendor: Option<&str>| SpendRequest {
            year: None,
            vendor: vendor.map(str::to_owned),
            known_at: known_at.clone(),
        };
        let scoped = query::spend(s, &acme(), &req(None)).unwrap();
        let filtered = query::spend(s, &Scope::All, &req(Some("acme"))).unwrap();
        assert_eq!(json(&scoped.spend), json(&filtered.spend));
        assert_eq!(json(&scoped.totals), json(&filtered.totals));
        assert!(!scoped.spend.is_empty());
        assert!(scoped.spend.iter().all(|r| r.vendor == "Acme"));
        assert!(scoped.totals.iter().all(|t| t.amount == "1000"));
    }
    // The adjustment is Acme's: as known before it, the quantity is 10.
    let before = query::state(
        s,
        &acme(),
        &Query {
            as_of: Some("2024-06-30".into()),
            known_at: Some(format!("#{}", f.before_adjust)),
            vendor: None,
        },
    )
    .unwrap();
    assert_eq!(json(&before.licenses[0].quantity), json(&10));
}

#[test]
fn renewals_and_their_calendar_hold_only_the_vendors_in_scope() {
    let f = fixture();
    let req = RenewalsRequest {
        as_of: Some("2024-11-15".into()),
        within: 60,
        known_at: None,
    };
    let all = query::renewals(&f.store, &Scope::All, &req).unwrap();
    assert_eq!(all.renewals.len(), 2);
    let scoped = query::renewals(&f.store, &acme(), &req).unwrap();
    let ids: Vec<&str> = scoped.renewals.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [f.acme.as_str()]);
    let ics = query::calendar(&scoped).unwrap();
    assert!(ics.contains(&f.acme));
    assert!(!ics.contains("Globex") && !ics.contains(&f.globex), "{ics}");
}

#[test]
fn a_license_out_of_scope_has_the_history_of_an_unknown_id() {
    let f = fixture();
    let ours = query::history(&f.store, &acme(), &f.acme).unwrap();
    assert!(ours.events.len() >= 2);
    same_as_unknown(
        (&f.globex, query::history(&f.store, &acme(), &f.globex)),
        ("L-9999", query::history(&f.store, &acme(), "L-9999")),
    );
    assert!(query::history(&f.store, &Scope::All, &f.globex).is_ok());
}

#[test]
fn documents_out_of_scope_are_unknown_by_hash_and_by_prefix() {
    let f = fixture();
    let s = &f.store;
    let list = archive::doc_list(s, &acme(), &DocListRequest::default(), &Silent).unwrap();
    let hashes: Vec<&str> = list.documents.iter().map(|d| d.hash.as_str()).collect();
    assert_eq!(hashes, [f.acme_doc.as_str()]);
    assert_eq!(list.documents[0].vendors, ["Acme"]);
    let all = archive::doc_list(s, &Scope::All, &DocListRequest::default(), &Silent).unwrap();
    assert_eq!(all.documents.len(), 3);
    // Asked for by Globex's license or name: nothing.
    for req in [
        DocListRequest {
            license: Some(f.globex.clone()),
            vendor: None,
        },
        DocListRequest {
            license: None,
            vendor: Some("Globex".into()),
        },
    ] {
        assert!(archive::doc_list(s, &acme(), &req, &Silent)
            .unwrap()
            .documents
            .is_empty());
    }

    assert!(archive::doc_show(s, &acme(), &f.acme_doc[..8], &Silent).is_ok());
    let unknown = "0123456789abcdef".repeat(4);
    for hidden in [&f.globex_doc, &f.globex_letter] {
        for hidden in [hidden.as_str(), &hidden[..8], &hidden[..20]] {
            let unknown = &unknown[..hidden.len()];
            same_as_unknown(
                (hidden, archive::doc_show(s, &acme(), hidden, &Silent)),
                (unknown, archive::doc_show(s, &acme(), unknown, &Silent)),
            );
            let mut out = Vec::new();
            same_as_unknown(
                (hidden, archive::doc_get(s, &acme(), hidden, &mut out)),
                (unknown, archive::doc_get(s, &acme(), unknown, &mut out)),
            );
            assert!(out.is_empty());
            let target = f._dir.path().join("out.bin");
            same_as_unknown(
                (
                    hidden,
                    archive::doc_get_to_file(s, &acme(), hidden, &target, false),
                ),
                (
                    unknown,
                    archive::doc_get_to_file(s, &acme(), unknown, &target, false),
                ),
            );
            assert!(!target.exists());
        }
    }
    let mut out = Vec::new();
    archive::doc_get(s, &Scope::All, &f.globex_doc, &mut out).unwrap();
    assert_eq!(out, GLOBEX_CONTRACT.as_bytes());
}

/// Two contents whose hashes share their first 8 hex digits.
fn colliding_prefix() -> (Vec<u8>, Vec<u8>) {
    let mut seen = std::collections::HashMap::new();
    for i in 0u64.. {
        let bytes = format!("Anhang {i}").into_bytes();
        let prefix = blake3::hash(&bytes).to_hex()[..8].to_owned();
        if let Some(other) = seen.insert(prefix, bytes.clone()) {
            return (other, bytes);
        }
    }
    unreachable!("the loop returns")
}

#[test]
fn a_prefix_shared_with_a_document_out_of_scope_is_not_ambiguous() {
    let mut f = fixture();
    let (ours, theirs) = colliding_prefix();
    let (acme_id, globex_id) = (f.acme.clone(), f.globex.clone());
    let ours = attach(&mut f.store, to_license(&acme_id), "a.txt", &ours);
    let theirs = attach(&mut f.store, to_license(&globex_id), "b.txt", &theirs);
    let prefix = &ours[..8];
    assert_eq!(prefix, &theirs[..8]);
    let e = archive::doc_show(&f.store, &Scope::All, prefix, &Silent).unwrap_err();
    assert!(e.to_string().contains("ambiguous"), "{e}");
    let shown = archive::doc_show(&f.store, &acme(), prefix, &Silent).unwrap();
    assert_eq!(shown.hash, ours);
    let globex_only = Scope::Vendors(vec!["Globex".into()]);
    let shown = archive::doc_show(&f.store, &globex_only, prefix, &Silent).unwrap();
    assert_eq!(shown.hash, theirs);
}

#[test]
fn a_search_finds_nothing_of_a_vendor_out_of_scope() {
    let f = fixture();
    let s = &f.store;
    let search = |scope: &Scope, text: &str| {
        archive::search(
            s,
            scope,
            &SearchRequest {
                query: text.into(),
                ..SearchRequest::default()
            },
            &Silent,
        )
        .unwrap()
    };
    for text in [
        "Geheimklausel",
        "wettbewerbsverbot",
        "geheim*",
        "preisliste",
        "globex",
    ] {
        let all = search(&Scope::All, text);
        assert!(all.total > 0, "{text}: the words are there");
        let scoped = search(&acme(), text);
        assert_eq!(scoped.total, 0, "{text}: {:?}", scoped.hits);
        assert!(scoped.hits.is_empty());
    }
    // A word both contracts hold finds Acme's only, its snippet Acme's.
    let scoped = search(&acme(), "Kuendigungsfrist");
    assert_eq!(scoped.total, 1);
    assert_eq!(scoped.hits[0].hash, f.acme_doc);
    assert!(scoped.hits[0].snippet.contains("Acme"));
    assert_eq!(search(&Scope::All, "Kuendigungsfrist").total, 2);
    // Filters naming Globex find nothing.
    for req in [
        SearchRequest {
            vendor: Some("Globex".into()),
            ..SearchRequest::default()
        },
        SearchRequest {
            license: Some(f.globex.clone()),
            ..SearchRequest::default()
        },
    ] {
        assert_eq!(archive::search(s, &acme(), &req, &Silent).unwrap().total, 0);
        assert!(
            archive::search(s, &Scope::All, &req, &Silent)
                .unwrap()
                .total
                > 0
        );
    }
}

#[test]
fn a_pack_of_a_vendor_out_of_scope_is_an_unknown_vendor() {
    let f = fixture();
    let out = f._dir.path().join("pack");
    let pack = |vendor: &str| {
        audit::build_pack(
            &f.store,
            &acme(),
            &PackRequest {
                vendor: vendor.into(),
                as_of: Some("2024-06-30".into()),
                out: out.clone(),
                ..PackRequest::default()
            },
            &Silent,
        )
    };
    let hidden = pack("Globex").expect_err("out of scope");
    assert_eq!(hidden.kind(), ErrorKind::NotFound);
    assert_eq!(
        seen(&hidden, "Globex"),
        seen(&pack("Nobody").unwrap_err(), "Nobody")
    );
    let hint = hidden.hint_text().unwrap_or_default();
    assert!(hint.contains("Acme") && !hint.contains("Globex"), "{hint}");
    assert!(!out.exists());
    let built = pack("acme").unwrap();
    assert_eq!(built.vendor, "Acme");
}

#[test]
fn the_export_of_the_whole_log_needs_every_vendor() {
    let f = fixture();
    let mut out = Vec::new();
    let e = maintenance::export(&f.store, &acme(), &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    assert!(out.is_empty());
    maintenance::export(&f.store, &Scope::All, &mut out).unwrap();
    assert!(!out.is_empty());
}

#[test]
fn scopes_compare_vendors_as_the_ledger_does() {
    let scope = Scope::Vendors(vec!["  Acme ".into(), "nordlicht software ag".into()]);
    assert!(scope.sees_vendor("ACME"));
    assert!(scope.sees_vendor("Nordlicht Software AG "));
    assert!(!scope.sees_vendor("Acme Corp"));
    assert!(!Scope::Vendors(Vec::new()).sees_vendor("Acme"));
    assert!(Scope::All.sees_vendor("anyone"));
}
