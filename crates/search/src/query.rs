//! From query text to a tantivy query.
//!
//! The text is parsed with tantivy's own query grammar (so the syntax is
//! tantivy's, documented in the README), then the syntax tree is turned into
//! a query here rather than by tantivy's `QueryParser`, for three reasons:
//! every word must be searched in both analyses (German and English), a
//! trailing `*` must become a real prefix search on unstemmed words (the
//! `QueryParser` drops the `*`), and the words to highlight in snippets must
//! be collected, minus the negated ones.

use std::collections::{BTreeSet, HashSet};

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, PhrasePrefixQuery,
    PhraseQuery, Query, RegexQuery, TermQuery,
};
use tantivy::query_grammar::{Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

use crate::schema::{self, Fields};
use crate::within::Within;

/// A prefix that matches more words than this is searched with a regular
/// expression on the term dictionary (every matching document found, all
/// scored alike) instead of one scored term query per word.
const MAX_PREFIX_EXPANSIONS: usize = 128;

/// Field names that look like filters: a person typing `vendor:Microsoft`
/// is told to use the filter instead of silently searching the words.
const FILTER_FIELDS: &[&str] = &[
    "vendor", "vendors", "product", "products", "kind", "license", "licenses", "hash",
];

/// What the snippet highlighter marks: analysed words per analysis, and
/// unstemmed prefixes.
#[derive(Debug, Default)]
pub(crate) struct Highlights {
    pub de: HashSet<String>,
    pub en: HashSet<String>,
    pub prefixes: Vec<String>,
}

impl Highlights {
    pub(crate) fn is_empty(&self) -> bool {
        self.de.is_empty() && self.en.is_empty() && self.prefixes.is_empty()
    }
}

/// The three analyzers, cloned once per query.
pub(crate) struct Analyzers {
    pub de: TextAnalyzer,
    pub en: TextAnalyzer,
    pub raw: TextAnalyzer,
}

impl Analyzers {
    pub(crate) fn new() -> Self {
        Analyzers {
            de: schema::analyzer_de(),
            en: schema::analyzer_en(),
            raw: schema::analyzer_raw(),
        }
    }
}

/// Parses `text`; an error is a human-readable reason (the caller adds the
/// query itself).
pub(crate) fn parse(text: &str) -> Result<UserInputAst, String> {
    if let Ok(ast) = tantivy::query_grammar::parse_query(text) {
        return Ok(ast);
    }
    // The strict parser says only "no"; the lenient one says where and why,
    // and when it finds nothing wrong its reading stands.
    let (ast, errors) = tantivy::query_grammar::parse_query_lenient(text);
    match errors.first() {
        None => Ok(ast),
        Some(e) => {
            let col = text.get(..e.pos).map_or(0, |s| s.chars().count()) + 1;
            let rest = text.get(e.pos..).unwrap_or_default();
            Err(format!(
                "{} (at character {col})",
                explain(&e.message, rest)
            ))
        }
    }
}

/// Puts tantivy's parser messages in the words of someone typing a search.
fn explain(message: &str, rest: &str) -> String {
    match message {
        "expected ')'" => "a parenthesis is opened but never closed: add ')'".to_string(),
        m if m.starts_with("missing delimiter") => {
            "a quote is opened but never closed: add the closing quote".to_string()
        }
        "expected word" => "expected a word".to_string(),
        "unparsed end of query" => {
            format!("cannot make sense of \"{rest}\"; quote words that contain special characters")
        }
        m if m.contains("unexpected boolean operator") => {
            "AND and OR need a word on both sides".to_string()
        }
        m if m.contains("keyword NOT") => {
            "NOT needs a word after it; to search for the word itself, quote it (\"NOT\")"
                .to_string()
        }
        m if m.contains("invalid field") => {
            "a colon follows a word that is not a field; quote the words or escape the colon (\\:)"
                .to_string()
        }
        other => other.to_string(),
    }
}

/// Builds tantivy queries from a parsed query.
pub(crate) struct Builder<'a> {
    pub fields: Fields,
    pub searcher: &'a Searcher,
    /// The documents the search may see; none for all.
    pub within: Option<&'a Within<'a>>,
    pub analyzers: Analyzers,
    pub highlights: Highlights,
}

impl Builder<'_> {
    /// Converts a syntax tree. `Ok(None)`: the tree holds no searchable word
    /// (only punctuation), and is left out of the enclosing query.
    pub(crate) fn build(
        &mut self,
        ast: &UserInputAst,
        negated: bool,
    ) -> Result<Option<Box<dyn Query>>, String> {
        match ast {
            UserInputAst::Clause(clauses) => {
                let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for (occur, sub) in clauses {
                    // Words without an operator are all required.
                    let occur = occur.unwrap_or(Occur::Must);
                    let neg = negated ^ (occur == Occur::MustNot);
                    if let Some(q) = self.build(sub, neg)? {
                        let q = if occur == Occur::MustNot {
                            excluded(q)
                        } else {
                            q
                        };
                        subs.push((occur, q));
                    }
                }
                if subs.is_empty() {
                    return Ok(None);
                }
                if subs.iter().all(|(o, _)| *o == Occur::MustNot) {
                    // `-foo` alone: everything except foo.
                    subs.push((Occur::Must, Box::new(AllQuery)));
                }
                if subs.len() == 1 && subs[0].0 != Occur::MustNot {
                    return Ok(subs.pop().map(|(_, q)| q));
                }
                Ok(Some(Box::new(BooleanQuery::new(subs))))
            }
            // A boost is a small user-typed number: f32 is plenty.
            #[allow(clippy::cast_possible_truncation)]
            UserInputAst::Boost(inner, boost) => Ok(self
                .build(inner, negated)?
                .map(|q| Box::new(BoostQuery::new(q, boost.0 as f32)) as Box<dyn Query>)),
            UserInputAst::Leaf(leaf) => self.leaf(leaf, negated),
        }
    }

    fn leaf(
        &mut self,
        leaf: &UserInputLeaf,
        negated: bool,
    ) -> Result<Option<Box<dyn Query>>, String> {
        match leaf {
            UserInputLeaf::Literal(lit) => self.literal(lit, negated),
            UserInputLeaf::All => Ok(Some(Box::new(AllQuery))),
            UserInputLeaf::Regex { .. } => Err(
                "regular expressions (/…/) are not supported; use a prefix such as virtual*"
                    .to_string(),
            ),
            UserInputLeaf::Range { .. } => {
                Err("ranges ([a TO b], >x) are not supported in full-text search".to_string())
            }
            UserInputLeaf::Set { .. } => {
                Err("term sets (IN […]) are not supported in full-text search".to_string())
            }
            UserInputLeaf::Exists { field } => Err(format!(
                "\"{field}:*\" is not supported; search for words, and filter with the search options"
            )),
        }
    }

    fn literal(
        &mut self,
        lit: &UserInputLiteral,
        negated: bool,
    ) -> Result<Option<Box<dyn Query>>, String> {
        let mut phrase = lit.phrase.clone();
        if let Some(field) = &lit.field_name {
            if FILTER_FIELDS.contains(&field.to_lowercase().as_str()) {
                return Err(format!(
                    "\"{field}:\" is not part of the query language; use the {} filter option",
                    field.to_lowercase().trim_end_matches('s')
                ));
            }
            // `Note: …` or `§4: …`: the colon was punctuation, keep the words.
            phrase = format!("{field} {phrase}");
        }
        let mut prefix = lit.prefix;
        if lit.delimiter == Delimiter::None {
            if matches!(phrase.as_str(), "AND" | "OR" | "NOT") {
                return Err(format!(
                    "{phrase} needs a word on both sides; to search for the word itself, \
                     quote it (\"{phrase}\")"
                ));
            }
            if phrase.starts_with('*') {
                return Err(format!(
                    "\"{phrase}\": a * wildcard is only supported at the end of a word"
                ));
            }
            let trimmed = phrase.trim_end_matches('*');
            if trimmed.len() != phrase.len() {
                prefix = true;
                phrase = trimmed.to_string();
            }
            if phrase.contains('*') {
                return Err(format!(
                    "\"{}\": a * wildcard is only supported at the end of a word",
                    lit.phrase
                ));
            }
        }
        if prefix {
            self.prefix(&phrase, negated)
        } else {
            Ok(self.words(&phrase, lit.slop, negated))
        }
    }

    /// A word or phrase, searched in both analyses.
    fn words(&mut self, text: &str, slop: u32, negated: bool) -> Option<Box<dyn Query>> {
        let de = schema::analyze(&mut self.analyzers.de, text);
        let en = schema::analyze(&mut self.analyzers.en, text);
        if de.is_empty() && en.is_empty() {
            return None;
        }
        if !negated {
            self.highlights.de.extend(de.iter().map(|(_, t)| t.clone()));
            self.highlights.en.extend(en.iter().map(|(_, t)| t.clone()));
        }
        let per_field = [
            terms_query(self.fields.text_de, &de, slop),
            terms_query(self.fields.text_en, &en, slop),
        ];
        Some(Box::new(BooleanQuery::union(
            per_field.into_iter().flatten().collect(),
        )))
    }

    /// `word*` (or `"some words"*`): the last word is a prefix of
    /// unstemmed, ASCII-folded words.
    fn prefix(&mut self, text: &str, negated: bool) -> Result<Option<Box<dyn Query>>, String> {
        let raw = schema::analyze(&mut self.analyzers.raw, text);
        let Some((_, last)) = raw.last().cloned() else {
            return Ok(None);
        };
        if !negated {
            self.highlights.prefixes.push(last.clone());
        }
        if raw.len() == 1 {
            return Ok(Some(self.word_prefix(&last)?));
        }
        // Several words: a phrase whose last word is a prefix. The leading
        // words are analysed per field; the prefix is taken as typed, which
        // matches the stems of longer words in practice.
        let mut queries: Vec<Box<dyn Query>> = Vec::new();
        for (field, is_de) in [(self.fields.text_de, true), (self.fields.text_en, false)] {
            let analyzer = if is_de {
                &mut self.analyzers.de
            } else {
                &mut self.analyzers.en
            };
            let full = schema::analyze(analyzer, text);
            if full.len() != raw.len() {
                continue;
            }
            let mut terms: Vec<(usize, Term)> = full[..full.len() - 1]
                .iter()
                .map(|(pos, t)| (*pos, Term::from_field_text(field, t)))
                .collect();
            if !negated {
                let set = if is_de {
                    &mut self.highlights.de
                } else {
                    &mut self.highlights.en
                };
                set.extend(full[..full.len() - 1].iter().map(|(_, t)| t.clone()));
            }
            terms.push((full[full.len() - 1].0, Term::from_field_text(field, &last)));
            if self.within.is_some() {
                queries.push(self.visible_phrase_prefix(terms, &last)?);
            } else {
                queries.push(Box::new(PhrasePrefixQuery::new_with_offset(terms)));
            }
        }
        if queries.is_empty() {
            return Ok(None);
        }
        Ok(Some(Box::new(BooleanQuery::union(queries))))
    }

    /// One prefix: expanded against the unstemmed words of the index.
    fn word_prefix(&self, prefix: &str) -> Result<Box<dyn Query>, String> {
        let field = self.fields.text_raw;
        let (words, overflow) = self.expansions(field, prefix)?;
        if overflow {
            let pattern = format!("{}.*", regex_escape(prefix));
            let regex = RegexQuery::from_pattern(&pattern, field)
                .map_err(|e| format!("cannot search the prefix \"{prefix}*\": {e}"))?;
            return Ok(Box::new(ConstScoreQuery::new(Box::new(regex), 1.0)));
        }
        if words.is_empty() {
            return Ok(Box::new(EmptyQuery));
        }
        let queries = words
            .into_iter()
            .map(|w| {
                Box::new(TermQuery::new(
                    Term::from_field_bytes(field, &w),
                    IndexRecordOption::WithFreqs,
                )) as Box<dyn Query>
            })
            .collect();
        Ok(Box::new(BooleanQuery::union(queries)))
    }

    /// The words of `field` that start with `prefix` (among the visible
    /// documents' words, when the search is within some), at most
    /// [`MAX_PREFIX_EXPANSIONS`]; `true` when there are more.
    fn expansions(&self, field: Field, prefix: &str) -> Result<(BTreeSet<Vec<u8>>, bool), String> {
        let unreadable =
            |e: &dyn std::fmt::Display| format!("cannot read the term dictionary: {e}");
        let mut words: BTreeSet<Vec<u8>> = BTreeSet::new();
        for (ord, segment) in self.searcher.segment_readers().iter().enumerate() {
            let index = segment.inverted_index(field).map_err(|e| unreadable(&e))?;
            let mut stream = index
                .terms()
                .range()
                .ge(prefix.as_bytes())
                .into_stream()
                .map_err(|e| unreadable(&e))?;
            while stream.advance() {
                let key = stream.key();
                if !key.starts_with(prefix.as_bytes()) {
                    break;
                }
                // A word only documents out of sight hold is no word.
                if let Some(within) = self.within {
                    let term = Term::from_field_bytes(field, key);
                    if !within.occurs(ord, &term).map_err(|e| unreadable(&e))? {
                        continue;
                    }
                }
                if words.len() >= MAX_PREFIX_EXPANSIONS && !words.contains(key) {
                    return Ok((words, true));
                }
                words.insert(key.to_vec());
            }
        }
        Ok((words, false))
    }

    /// A phrase whose last word is a prefix, among some documents only:
    /// tantivy's phrase prefix query expands the prefix over every
    /// document's words (50 at most) and scores with the whole index's
    /// statistics, so the prefix is expanded here over the visible words
    /// and each expansion searched as a phrase of its own.
    fn visible_phrase_prefix(
        &self,
        mut terms: Vec<(usize, Term)>,
        prefix: &str,
    ) -> Result<Box<dyn Query>, String> {
        let Some((position, last)) = terms.pop() else {
            return Ok(Box::new(EmptyQuery));
        };
        let field = last.field();
        let (words, _) = self.expansions(field, prefix)?;
        let phrases: Vec<Box<dyn Query>> = words
            .iter()
            .map(|w| {
                let mut phrase = terms.clone();
                phrase.push((position, Term::from_field_bytes(field, w)));
                Box::new(PhraseQuery::new_with_offset(phrase)) as Box<dyn Query>
            })
            .collect();
        if phrases.is_empty() {
            return Ok(Box::new(EmptyQuery));
        }
        Ok(Box::new(BooleanQuery::union(phrases)))
    }
}

/// A query to exclude, in a form tantivy 0.27 excludes safely.
///
/// tantivy's exclusion asks the excluded scorer about each candidate with
/// `seek_danger`, which a phrase scorer that has already run out (the phrase
/// occurs nowhere after the candidate) rejects with a debug assertion: a
/// panic on `renewal -"period notice"` in debug builds. A union scorer checks
/// where it stands before seeking, so the query goes into a union, with
/// itself: the same documents.
fn excluded(q: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(BooleanQuery::union(vec![q.box_clone(), q]))
}

/// One analysed word or phrase in one field.
fn terms_query(field: Field, tokens: &[(usize, String)], slop: u32) -> Option<Box<dyn Query>> {
    match tokens {
        [] => None,
        [(_, t)] => Some(Box::new(TermQuery::new(
            Term::from_field_text(field, t),
            IndexRecordOption::WithFreqs,
        ))),
        _ => {
            let terms = tokens
                .iter()
                .map(|(pos, t)| (*pos, Term::from_field_text(field, t)))
                .collect();
            Some(Box::new(PhraseQuery::new_with_offset_and_slop(terms, slop)))
        }
    }
}

/// Escapes regex metacharacters (prefixes are analysed words, so this is
/// belt and braces).
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !c.is_alphanumeric() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
