//! A search among some documents only answers as an index that never held
//! the others would: the same hits, total, scores, snippets and prefix
//! expansions, whatever the other documents say.

use entitle_search::{IndexDoc, Query, SearchIndex, SearchResults};

fn hash(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn doc(n: u8, vendor: &str, text: &str) -> IndexDoc {
    IndexDoc {
        hash: hash(n),
        filename: format!("doc-{n}.txt"),
        kind: "contract".into(),
        text: text.into(),
        license_ids: vec![format!("l-{n}")],
        vendors: vec![vendor.into()],
        products: vec!["Product".into()],
    }
}

/// Acme's documents.
fn ours() -> Vec<IndexDoc> {
    vec![
        doc(
            1,
            "Acme",
            "The licence term is twelve months; notice ninety days.",
        ),
        doc(2, "Acme", "Invoice for the licence renewal, twelve seats."),
    ]
}

/// Globex's documents: words of their own, and Acme's words many times.
fn theirs() -> Vec<IndexDoc> {
    let mut docs = vec![doc(
        3,
        "Globex",
        "Secret merger clause; licence licence licence twelve twelve notwithstanding.",
    )];
    // More words with one prefix than a prefix query expands one by one.
    let many: Vec<String> = (0..300).map(|i| format!("notic{i:03}")).collect();
    docs.push(doc(4, "Globex", &many.join(" ")));
    for n in 5..40 {
        docs.push(doc(n, "Globex", "licence licence term term notice"));
    }
    docs
}

fn index_of(docs: &[IndexDoc]) -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open(dir.path()).unwrap();
    for d in docs {
        index.upsert(d).unwrap();
    }
    index.commit(1).unwrap();
    (dir, index)
}

/// The answer without its scores' last bits (f32 sums in another order).
fn answer(r: &SearchResults) -> Vec<(String, i64, String)> {
    r.hits
        .iter()
        .map(|h| {
            (
                h.hash.clone(),
                (f64::from(h.score) * 1e4).round() as i64,
                h.snippet.to_string(),
            )
        })
        .collect()
}

#[test]
fn a_search_within_some_documents_answers_as_if_there_were_no_others() {
    let (_a, alone) = index_of(&ours());
    let all: Vec<IndexDoc> = ours().into_iter().chain(theirs()).collect();
    let (_b, shared) = index_of(&all);
    let acme: Vec<String> = ours().iter().map(|d| d.hash.clone()).collect();
    for text in [
        "licence",
        "twelve",
        "licence twelve",
        "\"licence term\"",
        "notic*",
        "\"licence ren\"*",
        "licence OR merger",
        "",
    ] {
        let expected = alone.search(&Query::new(text)).unwrap();
        let got = shared.search(&Query::new(text).within(&acme)).unwrap();
        assert_eq!(got.total, expected.total, "total for {text:?}");
        if text.is_empty() || (text.ends_with('*') && text.starts_with('"')) {
            // Every document scores alike for no text (as with any filter);
            // a phrase prefix is expanded into phrases among some
            // documents, and scored as they are.
            let hashes = |r: &SearchResults| {
                let mut h: Vec<String> = r.hits.iter().map(|h| h.hash.clone()).collect();
                h.sort();
                h
            };
            assert_eq!(hashes(&got), hashes(&expected), "hits for {text:?}");
        } else {
            assert_eq!(answer(&got), answer(&expected), "answer for {text:?}");
        }
    }
}

#[test]
fn words_only_other_documents_hold_find_nothing() {
    let all: Vec<IndexDoc> = ours().into_iter().chain(theirs()).collect();
    let (_d, index) = index_of(&all);
    let acme = [hash(1), hash(2)];
    for text in [
        "merger",
        "secret AND clause",
        "notwithstanding",
        "merg*",
        "notic299",
    ] {
        let r = index.search(&Query::new(text).within(acme.iter())).unwrap();
        assert_eq!(r.total, 0, "{text:?} found {:?}", r.hits);
        assert!(r.hits.is_empty());
        // Unscoped, the same words are there.
        assert!(
            index.search(&Query::new(text)).unwrap().total > 0,
            "{text:?}"
        );
    }
}

#[test]
fn within_no_document_finds_nothing_and_still_checks_the_syntax() {
    let (_d, index) = index_of(&ours());
    let none: [&str; 0] = [];
    let r = index.search(&Query::new("licence").within(none)).unwrap();
    assert_eq!(r.total, 0);
    assert!(index
        .search(&Query::new("\"unclosed").within(none))
        .is_err());
}
