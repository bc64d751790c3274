//! Behaviour of the index: languages, query syntax, filters, snippets,
//! commits and damaged indexes. Each test has its own directory.

use std::collections::BTreeSet;
use std::path::Path;

use entitle_search::{IndexDoc, IndexError, Query, SearchIndex};

fn hash(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn de_contract() -> IndexDoc {
    IndexDoc {
        hash: hash(1),
        filename: "Rahmenvertrag-2023.pdf".into(),
        kind: "contract".into(),
        text: "Rahmenvertrag über Softwarelizenzen\n\n§ 3 Laufzeit. Die Lizenzen werden für \
               drei Jahre erteilt.\n§ 7 Kündigung. Die Kündigungsfristen betragen 90 Tage \
               zum Ende der Laufzeit. Eine Virtualisierung ist nur auf eigener Hardware \
               gestattet."
            .into(),
        license_ids: vec!["m365-e3".into()],
        vendors: vec!["Microsoft".into()],
        products: vec!["Microsoft 365 E3".into()],
    }
}

fn en_contract() -> IndexDoc {
    IndexDoc {
        hash: hash(2),
        filename: "oracle-ula.docx".into(),
        kind: "contract".into(),
        text: "Unlimited License Agreement. Automatic renewals occur every year unless \
               cancelled in writing. The notice period is ninety days before the end of \
               the term. Virtualization rights apply to licensed processor cores only."
            .into(),
        license_ids: vec!["ora-ula".into()],
        vendors: vec!["Oracle".into()],
        products: vec!["Database Enterprise Edition".into()],
    }
}

fn en_invoice() -> IndexDoc {
    IndexDoc {
        hash: hash(3),
        filename: "INV-2024-118.pdf".into(),
        kind: "invoice".into(),
        text: "Invoice for the renewal of support. Period: 2024-01-01 to 2024-12-31. \
               Notice: payment is due within 30 days."
            .into(),
        license_ids: vec!["ora-ula".into()],
        vendors: vec!["Oracle".into()],
        products: vec!["Database Enterprise Edition".into()],
    }
}

fn shared_terms() -> IndexDoc {
    IndexDoc {
        hash: hash(4),
        filename: "reseller-terms.pdf".into(),
        kind: "terms".into(),
        text: "General terms of the reseller, covering subscriptions of several \
               publishers. Price adjustments apply at each anniversary."
            .into(),
        license_ids: vec!["adobe-cc".into(), "acad-2024".into()],
        vendors: vec!["Adobe".into(), " Autodesk ".into()],
        products: vec!["Creative Cloud".into(), "AutoCAD".into()],
    }
}

fn corpus() -> Vec<IndexDoc> {
    vec![de_contract(), en_contract(), en_invoice(), shared_terms()]
}

fn build(dir: &Path) -> SearchIndex {
    let mut index = SearchIndex::open(dir).unwrap();
    for doc in corpus() {
        index.upsert(&doc).unwrap();
    }
    index.commit(10).unwrap();
    index
}

/// The hashes found, as small numbers (the `n` of `hash(n)`).
fn found(index: &SearchIndex, q: &Query) -> BTreeSet<u8> {
    let results = index.search(q).unwrap();
    assert_eq!(
        results.total,
        results.hits.len(),
        "limit too small for {q:?}"
    );
    results
        .hits
        .iter()
        .map(|h| u8::from_str_radix(&h.hash[..2], 16).unwrap())
        .collect()
}

fn text(index: &SearchIndex, q: &str) -> BTreeSet<u8> {
    found(index, &Query::new(q))
}

fn set(ns: &[u8]) -> BTreeSet<u8> {
    ns.iter().copied().collect()
}

fn syntax_error(index: &SearchIndex, q: &str) -> String {
    match index.search(&Query::new(q)) {
        Err(e @ IndexError::QuerySyntax { .. }) => e.to_string(),
        other => panic!("expected a syntax error for {q:?}, got {other:?}"),
    }
}

#[test]
fn german_query_finds_german_inflections() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    assert_eq!(text(&index, "Lizenz"), set(&[1]));
    assert_eq!(text(&index, "Kündigungsfrist"), set(&[1]));
    assert_eq!(text(&index, "Kündigungsfristen"), set(&[1]));
    assert_eq!(text(&index, "kündigungsfrist"), set(&[1]));
    assert_eq!(text(&index, "Laufzeiten"), set(&[1]));
}

#[test]
fn umlauts_can_be_typed_folded_or_transliterated() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    assert_eq!(text(&index, "Kuendigungsfrist"), set(&[1]));
    assert_eq!(text(&index, "Kundigungsfrist"), set(&[1]));
    assert_eq!(text(&index, "uber"), set(&[1]));
}

#[test]
fn english_query_finds_english_inflections() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    assert_eq!(text(&index, "renewal"), set(&[2, 3]));
    assert_eq!(text(&index, "renewals"), set(&[2, 3]));
    assert_eq!(text(&index, "cancel"), set(&[2]));
    assert_eq!(text(&index, "subscription"), set(&[4]));
}

#[test]
fn words_are_all_required_and_phrases_need_adjacency() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    // Both documents have both words …
    assert_eq!(text(&index, "notice period"), set(&[2, 3]));
    // … only one has them as a phrase.
    assert_eq!(text(&index, "\"notice period\""), set(&[2]));
    assert_eq!(text(&index, "\"period notice\""), set(&[]));
    assert_eq!(text(&index, "\"Kündigungsfrist betragen\""), set(&[1]));
    assert_eq!(text(&index, "\"notice periods\""), set(&[2]));
}

#[test]
fn boolean_operators() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    assert_eq!(text(&index, "renewal AND invoice"), set(&[3]));
    assert_eq!(text(&index, "renewal NOT invoice"), set(&[2]));
    assert_eq!(text(&index, "renewal -invoice"), set(&[2]));
    assert_eq!(text(&index, "+renewal +virtualization"), set(&[2]));
    assert_eq!(text(&index, "Lizenzen OR subscriptions"), set(&[1, 4]));
    assert_eq!(
        text(&index, "(Lizenz OR renewal) AND NOT invoice"),
        set(&[1, 2])
    );
    assert_eq!(text(&index, "-renewal"), set(&[1, 4]));
    // A boost reorders.
    let boosted = index.search(&Query::new("renewal OR Lizenz^20")).unwrap();
    assert_eq!(boosted.total, 3);
    assert_eq!(boosted.hits[0].hash, hash(1));
}

#[test]
fn prefix_terms_match_unstemmed_words() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    // `Virtualisierung` and `Virtualization`.
    assert_eq!(text(&index, "virtual*"), set(&[1, 2]));
    assert_eq!(text(&index, "renew*"), set(&[2, 3]));
    assert_eq!(text(&index, "Kündigung*"), set(&[1]));
    assert_eq!(text(&index, "kundigungsfr*"), set(&[1]));
    assert_eq!(text(&index, "virtual* -Hardware"), set(&[2]));
    assert_eq!(text(&index, "zzyzx*"), set(&[]));
    assert_eq!(text(&index, "\"notice per\"*"), set(&[2]));
}

#[test]
fn prefix_with_many_expansions_still_finds_every_document() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open(dir.path()).unwrap();
    for n in 0..50u8 {
        let words: Vec<String> = (0..10).map(|i| format!("zeta{n}x{i}")).collect();
        index
            .upsert(&IndexDoc {
                hash: hash(n + 100),
                filename: format!("{n}.txt"),
                kind: "other".into(),
                text: words.join(" "),
                ..IndexDoc::default()
            })
            .unwrap();
    }
    index.commit(1).unwrap();
    // 500 distinct words start with `zeta`: more than are expanded one by one.
    let results = index.search(&Query::new("zeta*").limit(100)).unwrap();
    assert_eq!(results.total, 50);
    assert!(results.hits[0].snippet.to_string().contains("**zeta"));
    assert_eq!(index.search(&Query::new("zeta7x*")).unwrap().total, 1);
}

#[test]
fn filters_narrow_results() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    let q = || Query::new("renewal");
    assert_eq!(found(&index, &q()), set(&[2, 3]));
    assert_eq!(found(&index, &q().kind("invoice")), set(&[3]));
    assert_eq!(found(&index, &q().kind(" Contract ")), set(&[2]));
    assert_eq!(found(&index, &q().vendor("  oracle ")), set(&[2, 3]));
    assert_eq!(found(&index, &q().vendor("Microsoft")), set(&[]));
    assert_eq!(
        found(&index, &q().product("database enterprise edition")),
        set(&[2, 3])
    );
    assert_eq!(found(&index, &q().product("database")), set(&[]));
    assert_eq!(
        found(&index, &q().license("ORA-ULA").kind("contract")),
        set(&[2])
    );
    // No text: everything that passes the filters.
    assert_eq!(
        found(&index, &Query::new("").vendor("Oracle")),
        set(&[2, 3])
    );
    assert_eq!(found(&index, &Query::new("  ")), set(&[1, 2, 3, 4]));
    // An empty filter is no filter.
    assert_eq!(found(&index, &q().vendor(" ")), set(&[2, 3]));
}

#[test]
fn a_document_of_several_vendors_is_found_under_each() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    for vendor in ["Adobe", "autodesk", "AUTODESK "] {
        assert_eq!(
            found(&index, &Query::new("terms").vendor(vendor)),
            set(&[4]),
            "{vendor}"
        );
    }
    assert_eq!(found(&index, &Query::new("").product("autocad")), set(&[4]));
    assert_eq!(
        found(&index, &Query::new("").license("adobe-cc")),
        set(&[4])
    );
    assert_eq!(
        found(&index, &Query::new("").license("acad-2024")),
        set(&[4])
    );
    let hit = &index.search(&Query::new("reseller")).unwrap().hits[0];
    assert_eq!(hit.vendors, ["Adobe", "Autodesk"]);
    assert_eq!(hit.license_ids, ["adobe-cc", "acad-2024"]);
    assert_eq!(hit.products, ["Creative Cloud", "AutoCAD"]);
    assert_eq!(hit.kind, "terms");
    assert_eq!(hit.filename, "reseller-terms.pdf");
}

#[test]
fn upsert_replaces_text_and_facets() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = build(dir.path());
    let mut doc = shared_terms();
    doc.vendors = vec!["Adobe".into()];
    doc.license_ids = vec!["adobe-cc".into()];
    doc.text = "Revised terms: price protection for two years.".into();
    index.upsert(&doc).unwrap();
    // Not visible before the commit.
    assert_eq!(found(&index, &Query::new("").vendor("autodesk")), set(&[4]));
    index.commit(11).unwrap();
    assert_eq!(index.num_docs(), 4);
    assert_eq!(found(&index, &Query::new("").vendor("autodesk")), set(&[]));
    assert_eq!(
        found(&index, &Query::new("").license("acad-2024")),
        set(&[])
    );
    assert_eq!(found(&index, &Query::new("").vendor("adobe")), set(&[4]));
    assert_eq!(text(&index, "anniversary"), set(&[]));
    assert_eq!(text(&index, "protection"), set(&[4]));
    // Upper-case hex is the same document.
    doc.hash = doc.hash.to_uppercase();
    index.upsert(&doc).unwrap();
    index.commit(12).unwrap();
    assert_eq!(index.num_docs(), 4);
}

#[test]
fn remove_drops_a_document() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = build(dir.path());
    index.remove(&hash(3)).unwrap();
    index.commit(11).unwrap();
    assert_eq!(text(&index, "renewal"), set(&[2]));
    assert_eq!(index.num_docs(), 3);
}

#[test]
fn commit_payload_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(index.covered_seq(), None);
    }
    {
        let mut index = build(dir.path());
        assert_eq!(index.covered_seq(), Some(10));
        // A commit without changes still records the seq.
        index.commit(u64::MAX - 1).unwrap();
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.covered_seq(), Some(u64::MAX - 1));
    assert_eq!(index.num_docs(), 4);
}

#[test]
fn uncommitted_changes_are_discarded_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut index = build(dir.path());
        index.remove(&hash(1)).unwrap();
        index.clear().unwrap();
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.num_docs(), 4);
    assert_eq!(index.covered_seq(), Some(10));
}

#[test]
fn clear_and_readd_gives_the_same_hits() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = build(dir.path());
    let queries = [
        "renewal",
        "Lizenz",
        "virtual*",
        "\"notice period\"",
        "terms OR Kündigung",
    ];
    let before: Vec<_> = queries
        .iter()
        .map(|q| index.search(&Query::new(*q)).unwrap())
        .collect();
    index.clear().unwrap();
    // Still visible until the commit.
    assert_eq!(index.num_docs(), 4);
    index.commit(0).unwrap();
    assert_eq!(index.num_docs(), 0);
    assert_eq!(text(&index, "renewal"), set(&[]));
    for doc in corpus() {
        index.upsert(&doc).unwrap();
    }
    index.commit(10).unwrap();
    let after: Vec<_> = queries
        .iter()
        .map(|q| index.search(&Query::new(*q)).unwrap())
        .collect();
    assert_eq!(before, after);
}

#[test]
fn clear_discards_pending_upserts_made_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = build(dir.path());
    let mut extra = en_invoice();
    extra.hash = hash(9);
    index.upsert(&extra).unwrap();
    index.clear().unwrap();
    index.upsert(&de_contract()).unwrap();
    index.commit(3).unwrap();
    assert_eq!(found(&index, &Query::new("")), set(&[1]));
}

#[test]
fn snippet_marks_the_matching_words() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    let hit = &index.search(&Query::new("Kündigungsfrist")).unwrap().hits[0];
    let s = &hit.snippet;
    assert_eq!(s.highlights.len(), 1);
    assert_eq!(&s.fragment[s.highlights[0].clone()], "Kündigungsfristen");
    assert!(
        s.to_string()
            .contains("Die **Kündigungsfristen** betragen 90 Tage"),
        "{s}"
    );
    // Whitespace (the paragraph break) is collapsed, the cut start marked.
    assert!(!s.fragment.contains('\n'));
    assert!(s.fragment.starts_with('…'), "{}", s.fragment);

    let hit = &index
        .search(&Query::new("\"notice period\" virtual*"))
        .unwrap()
        .hits[0];
    let marked: Vec<&str> = hit
        .snippet
        .highlights
        .iter()
        .map(|r| &hit.snippet.fragment[r.clone()])
        .collect();
    assert_eq!(marked, ["notice", "period", "Virtualization"]);

    // A negated word is not highlighted.
    let hit = &index
        .search(&Query::new("renewal -Kündigung"))
        .unwrap()
        .hits[0];
    assert!(
        hit.snippet.to_string().contains("**renewal"),
        "{}",
        hit.snippet
    );
    // Colour codes for a terminal.
    assert!(hit
        .snippet
        .render("\x1b[1m", "\x1b[0m")
        .contains("\x1b[1mrenewal"));
}

#[test]
fn filter_only_search_shows_the_start_of_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    let hit = &index
        .search(&Query::new("").vendor("microsoft"))
        .unwrap()
        .hits[0];
    assert!(hit.snippet.highlights.is_empty());
    assert!(hit
        .snippet
        .fragment
        .starts_with("Rahmenvertrag über Softwarelizenzen § 3"));
}

#[test]
fn filename_words_are_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    assert_eq!(text(&index, "ula"), set(&[2]));
    assert_eq!(text(&index, "INV-2024-118"), set(&[3]));
}

#[test]
fn ranking_prefers_more_matches() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    let results = index
        .search(&Query::new("renewal OR notice OR period"))
        .unwrap();
    assert_eq!(results.total, 2);
    assert!(results.hits[0].score >= results.hits[1].score);
    let limited = index.search(&Query::new("renewal").limit(1)).unwrap();
    assert_eq!((limited.total, limited.hits.len()), (2, 1));
    let none = index.search(&Query::new("renewal").limit(0)).unwrap();
    assert_eq!((none.total, none.hits.len()), (2, 0));
}

#[test]
fn bad_query_syntax_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    let cases = [
        (
            "notice AND (period",
            "invalid search query \"notice AND (period\": a parenthesis is opened but never \
             closed: add ')' (at character 19)",
        ),
        (
            "\"notice period",
            "invalid search query \"\"notice period\": a quote is opened but never closed: \
             add the closing quote (at character 15)",
        ),
        (
            "renewal AND",
            "invalid search query \"renewal AND\": AND needs a word on both sides; to search \
             for the word itself, quote it (\"AND\")",
        ),
        (
            "notice)",
            "invalid search query \"notice)\": cannot make sense of \")\"; quote words that \
             contain special characters (at character 7)",
        ),
        (
            "vendor:Microsoft",
            "invalid search query \"vendor:Microsoft\": \"vendor:\" is not part of the query \
             language; use the vendor filter option",
        ),
        (
            "*ization",
            "invalid search query \"*ization\": \"*ization\": a * wildcard is only supported \
             at the end of a word",
        ),
        (
            "/lic.*/",
            "invalid search query \"/lic.*/\": regular expressions (/…/) are not supported; \
             use a prefix such as virtual*",
        ),
        (
            "-- !!",
            "invalid search query \"-- !!\": it contains no searchable word (only punctuation \
             or operators)",
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(syntax_error(&index, query), expected);
    }
    // Quoted operators are words.
    assert_eq!(text(&index, "renewal \"AND\""), set(&[]));
}

#[test]
fn colon_in_plain_text_is_not_a_field() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    assert_eq!(text(&index, "Notice: payment"), set(&[3]));
}

#[test]
fn invalid_hash_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open(dir.path()).unwrap();
    let mut doc = de_contract();
    doc.hash = "abc".into();
    let e = index.upsert(&doc).unwrap_err();
    assert!(matches!(e, IndexError::InvalidHash { .. }));
    assert_eq!(
        e.to_string(),
        "document hash \"abc\" is not a 64-character BLAKE3 hex digest"
    );
}

#[test]
fn damaged_index_is_reported_as_corrupt_and_can_be_recreated() {
    let dir = tempfile::tempdir().unwrap();
    drop(build(dir.path()));
    std::fs::write(dir.path().join("meta.json"), b"{ not json").unwrap();
    let e = SearchIndex::open(dir.path()).unwrap_err();
    assert!(matches!(e, IndexError::Corrupt { .. }), "{e:?}");
    assert!(e.to_string().contains("run a full reindex"), "{e}");
    let index = SearchIndex::recreate(dir.path()).unwrap();
    assert_eq!((index.num_docs(), index.covered_seq()), (0, None));
}

#[test]
fn truncated_segment_files_are_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    drop(build(dir.path()));
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if ["idx", "term", "store", "pos"].contains(&ext) {
            std::fs::write(&path, b"\0\0\0").unwrap();
        }
    }
    let e = SearchIndex::open(dir.path()).unwrap_err();
    assert!(matches!(e, IndexError::Corrupt { .. }), "{e:?}");
}

#[test]
fn index_of_another_schema_is_a_schema_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = tantivy::schema::Schema::builder();
    b.add_text_field("title", tantivy::schema::TEXT);
    tantivy::Index::create_in_dir(dir.path(), b.build()).unwrap();
    let e = SearchIndex::open(dir.path()).unwrap_err();
    assert!(matches!(e, IndexError::SchemaMismatch { .. }), "{e:?}");
    assert!(e.to_string().contains("fields title"), "{e}");
    // Files not tantivy's own survive a recreate.
    std::fs::write(dir.path().join("NOTES.txt"), b"keep me").unwrap();
    let mut index = SearchIndex::recreate(dir.path()).unwrap();
    index.upsert(&de_contract()).unwrap();
    index.commit(1).unwrap();
    assert_eq!(text(&index, "Lizenz"), set(&[1]));
    assert!(dir.path().join("NOTES.txt").exists());
}

#[test]
fn foreign_commit_payload_is_a_schema_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    drop(SearchIndex::open(dir.path()).unwrap());
    let index = tantivy::Index::open_in_dir(dir.path()).unwrap();
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
    let mut prepared = writer.prepare_commit().unwrap();
    prepared.set_payload("someone else");
    prepared.commit().unwrap();
    drop(writer);
    let e = SearchIndex::open(dir.path()).unwrap_err();
    assert!(matches!(e, IndexError::SchemaMismatch { .. }), "{e:?}");
    assert!(e.to_string().contains("\"someone else\""), "{e}");
}

#[test]
fn second_writer_gets_a_lock_error_and_readers_need_no_lock() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = build(dir.path());
    first.upsert(&de_contract()).unwrap();
    let mut second = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(text(&second, "Lizenz"), set(&[1]));
    let e = second.upsert(&en_contract()).unwrap_err();
    assert!(matches!(e, IndexError::Locked { .. }), "{e:?}");
    assert!(e.to_string().contains("locked by another writer"), "{e}");
}
