//! Hostile query text, in place of a fuzz target (cargo-fuzz needs nightly;
//! CI is stable).
//!
//! Arbitrary strings, soups of query syntax (unbalanced quotes and
//! parentheses, `*`, `AND`/`OR`/`NOT` runs, fields, boosts, ranges,
//! unicode) and damaged valid queries are searched in a small index, with
//! and without filters. For every text: no panic; the answer is results
//! whose snippets keep their promises, or [`IndexError::QuerySyntax`]
//! quoting the query with a reason whose `(at character N)`, when given,
//! points into the query.

use entitle_search::{IndexDoc, IndexError, Query, SearchIndex};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

fn hash(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn corpus() -> Vec<IndexDoc> {
    let doc = |n: u8, text: String, vendor: &str| IndexDoc {
        hash: hash(n),
        filename: format!("doc-{n}.pdf"),
        kind: "contract".into(),
        text,
        license_ids: vec![format!("l-{n}")],
        vendors: vec![vendor.into()],
        products: vec!["Product".into()],
    };
    // More words with one prefix than a prefix query expands one by one, so
    // `zeta*` and its like take the regular-expression path.
    let many: Vec<String> = (0..300).map(|i| format!("zeta{i:03}")).collect();
    vec![
        doc(
            1,
            "Rahmenvertrag über Softwarelizenzen. § 7 Kündigung: Die Kündigungsfristen \
             betragen 90 Tage zum Ende der Laufzeit. Virtualisierung nur auf eigener Hardware."
                .into(),
            "Microsoft",
        ),
        doc(
            2,
            "Unlimited License Agreement. Automatic renewals occur every year unless \
             cancelled in writing; the notice period is ninety days (AND/OR NOT applies)."
                .into(),
            "Oracle",
        ),
        doc(3, many.join(" "), "Zeta"),
        doc(
            4,
            "Ünïcödé: 東京 Straße ﬁle naïve café — ‘quotes’ “double” 🙂 e\u{301} \u{200b}zero-width \
             \tcontrol\u{7}chars"
                .into(),
            "Ünï",
        ),
    ]
}

/// Words, operators and punctuation of the query syntax.
const TOKENS: &[&str] = &[
    "notice",
    "period",
    "Kündigung",
    "kuendigung",
    "zeta",
    "zeta0",
    "zeta1",
    "zeta12",
    "lic",
    "renewal",
    "東京",
    "straße",
    "STRASSE",
    "🙂",
    "e\u{301}",
    "AND",
    "OR",
    "NOT",
    "and",
    "&&",
    "||",
    "!",
    "(",
    ")",
    "((",
    "))",
    "\"",
    "\"\"",
    "'",
    "*",
    "**",
    "-",
    "+",
    "+-",
    ":",
    "::",
    "vendor:",
    "Vendor:",
    "products:",
    "note:",
    "§4:",
    "^",
    "^2",
    "^-1",
    "^1e40",
    "~",
    "~2",
    "~99999999999",
    "[",
    "]",
    "{",
    "}",
    "TO",
    "IN",
    "[a TO z]",
    "{* TO 5}",
    ">",
    ">=",
    "<",
    "<=5",
    "/",
    "/lic.*/",
    "\\",
    "\\:",
    "\\\"",
    "?",
    ".",
    ",",
    ";",
    "\u{0}",
    "\t",
    "\n",
    "\u{feff}",
    "\u{2028}",
    "\u{10ffff}",
    "vendor:*",
    "*:*",
    "text_de:notice",
    "hash:",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(TOKENS),
            prop::sample::select(&["", " ", "  ", "\t"][..]),
        ),
        0..12,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .map(|(t, sep)| format!("{t}{sep}"))
            .collect()
    })
}

/// Queries that work, to damage.
const VALID: &[&str] = &[
    "notice period",
    "\"notice period\"",
    "renewal OR Kündigung",
    "notice AND NOT renewal",
    "(notice OR period) AND -cancelled",
    "zeta*",
    "\"notice per\"*",
    "Kündigungsfrist +Laufzeit",
    "\"notice period\"~2 renewal^2",
    "Note: payment",
];

fn damaged_query() -> impl Strategy<Value = String> {
    (
        prop::sample::select(VALID),
        prop::collection::vec(
            (any::<Index>(), prop::sample::select(TOKENS), any::<bool>()),
            1..5,
        ),
    )
        .prop_map(|(q, edits)| {
            let mut chars: Vec<char> = q.chars().collect();
            for (at, token, delete) in edits {
                let i = at.index(chars.len() + 1);
                if delete && i < chars.len() {
                    chars.remove(i);
                } else {
                    chars.splice(i..i, token.chars());
                }
            }
            chars.into_iter().collect()
        })
}

fn query_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => "\\PC{0,40}",
        1 => ".{0,40}",
        1 => "[a-z\"()*: ^~+\\-]{0,30}",
        3 => token_soup(),
        3 => damaged_query(),
        1 => "[a-z]{1,5}".prop_map(|w| format!("{w}{}", "*".repeat(3))),
        1 => Just("(".repeat(200)),
        1 => Just(format!("{}{}", "(".repeat(60), ")".repeat(60))),
        1 => Just("NOT ".repeat(100)),
        1 => Just("a ".repeat(2000)),
    ]
}

/// The query and its text.
fn query() -> impl Strategy<Value = (Query, String)> {
    let filter = proptest::option::of(prop_oneof![
        "\\PC{0,10}",
        Just("microsoft".to_owned()),
        Just(" ZETA ".to_owned()),
    ]);
    (query_text(), filter, 0usize..5, any::<bool>()).prop_map(|(text, vendor, limit, kind)| {
        let mut q = Query::new(text.clone()).limit(limit);
        if let Some(v) = vendor {
            q = q.vendor(v);
        }
        if kind {
            q = q.kind("contract");
        }
        (q, text)
    })
}

/// What must hold for the answer to any query.
fn check(index: &SearchIndex, q: &Query, text: &str) -> Result<(), TestCaseError> {
    match index.search(q) {
        Ok(results) => {
            prop_assert!(results.hits.len() <= results.total);
            for hit in &results.hits {
                let s = &hit.snippet;
                let mut end = 0;
                for r in &s.highlights {
                    prop_assert!(r.start >= end && r.start < r.end, "{:?}", s);
                    prop_assert!(s.fragment.get(r.clone()).is_some(), "{:?}", s);
                    end = r.end;
                }
                prop_assert!(!s.to_string().is_empty() || s.fragment.is_empty());
            }
        }
        Err(IndexError::QuerySyntax { query, reason }) => {
            prop_assert_eq!(&query, text);
            prop_assert!(!reason.is_empty());
            let message = IndexError::QuerySyntax {
                query: query.clone(),
                reason: reason.clone(),
            }
            .to_string();
            prop_assert_eq!(
                message,
                format!("invalid search query \"{text}\": {reason}")
            );
            if let Some((_, at)) = reason.rsplit_once("(at character ") {
                let n: usize = at
                    .trim_end_matches(')')
                    .parse()
                    .map_err(|_| TestCaseError::fail(format!("odd position: {reason}")))?;
                let len = text.chars().count();
                prop_assert!(
                    (1..=len + 1).contains(&n),
                    "character {} of {}: {}",
                    n,
                    len,
                    reason
                );
            }
        }
        Err(other) => prop_assert!(false, "not a syntax error: {:?}", other),
    }
    Ok(())
}

#[test]
fn hostile_queries_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open(dir.path()).unwrap();
    for doc in corpus() {
        index.upsert(&doc).unwrap();
    }
    index.commit(1).unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 3000,
        source_file: Some(file!()),
        ..Config::default()
    });
    runner
        .run(&query(), |(q, text)| check(&index, &q, &text))
        .unwrap();
}

/// tantivy 0.27 asserts (in debug builds) when a phrase that occurs nowhere
/// is excluded: its scorer has run out before the exclusion asks it about
/// the first candidate. Found by `hostile_queries_never_panic` as
/// `NOT note:notice` (`note notice`, a phrase).
#[test]
fn excluding_a_phrase_that_occurs_nowhere_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open(dir.path()).unwrap();
    for doc in corpus() {
        index.upsert(&doc).unwrap();
    }
    index.commit(1).unwrap();
    for q in [
        "NOT note:notice",
        "renewal -\"period notice\"",
        "renewal NOT \"days ninety\"",
        "-\"writing cancelled\"",
        "renewal -\"period noti\"*",
        "renewal -(zeta001 -\"period notice\")",
    ] {
        let results = index.search(&Query::new(q).limit(10)).unwrap();
        assert!(results.total <= 4, "{q}");
    }
    let hashes = |q: &str| -> Vec<String> {
        let r = index.search(&Query::new(q).limit(10)).unwrap();
        r.hits.into_iter().map(|h| h.hash).collect()
    };
    // The exclusion still excludes.
    assert_eq!(hashes("renewal"), [hash(2)]);
    assert_eq!(hashes("renewal -\"notice period\""), Vec::<String>::new());
    assert_eq!(hashes("renewal -\"period notice\""), [hash(2)]);
}
