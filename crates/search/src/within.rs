//! A search among some documents only (an auditor's, who may see some
//! vendors' documents and no others): the documents outside are absent
//! from everything the search computes — the hits and their count, the
//! BM25 statistics behind the scores (document count, average length,
//! document frequency of each word) and the words a prefix expands to —
//! so that no answer changes with what the other documents say.

use std::collections::BTreeSet;

use tantivy::postings::SegmentPostings;
use tantivy::query::{Bm25StatisticsProvider, ConstScoreQuery, Query, TermSetQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Searcher, SegmentReader, Term, TERMINATED};

/// The documents a search may see, as live doc ids per segment.
pub(crate) struct Within<'a> {
    searcher: &'a Searcher,
    hash_field: Field,
    hashes: &'a BTreeSet<String>,
    /// Per segment ordinal, the visible documents, ascending.
    docs: Vec<Vec<DocId>>,
}

impl<'a> Within<'a> {
    /// The documents whose `hash_field` is one of `hashes` (lower-case
    /// hex, as the index stores them), in the searcher's segments.
    pub(crate) fn new(
        searcher: &'a Searcher,
        hash_field: Field,
        hashes: &'a BTreeSet<String>,
    ) -> tantivy::Result<Self> {
        let mut docs = Vec::with_capacity(searcher.segment_readers().len());
        for segment in searcher.segment_readers() {
            let index = segment.inverted_index(hash_field)?;
            let mut visible = Vec::new();
            for hash in hashes {
                let term = Term::from_field_text(hash_field, hash);
                if let Some(postings) = index.read_postings(&term, IndexRecordOption::Basic)? {
                    visible.extend(live_docs(segment, postings));
                }
            }
            visible.sort_unstable();
            visible.dedup();
            docs.push(visible);
        }
        Ok(Within {
            searcher,
            hash_field,
            hashes,
            docs,
        })
    }

    /// How many documents are visible.
    pub(crate) fn len(&self) -> u64 {
        self.docs.iter().map(|d| d.len() as u64).sum()
    }

    /// The filter a query must pass: the visible hashes.
    pub(crate) fn filter(&self) -> Box<dyn Query> {
        let terms = self
            .hashes
            .iter()
            .map(|h| Term::from_field_text(self.hash_field, h));
        Box::new(ConstScoreQuery::new(
            Box::new(TermSetQuery::new(terms)),
            0.0,
        ))
    }

    /// Whether `term` occurs in a visible document of the segment with
    /// ordinal `segment_ord`.
    pub(crate) fn occurs(&self, segment_ord: usize, term: &Term) -> tantivy::Result<bool> {
        Ok(self.visible_with(segment_ord, term)? > 0)
    }

    /// How many visible documents of segment `segment_ord` hold `term`.
    fn visible_with(&self, segment_ord: usize, term: &Term) -> tantivy::Result<u64> {
        let (Some(segment), Some(visible)) = (
            self.searcher.segment_readers().get(segment_ord),
            self.docs.get(segment_ord),
        ) else {
            return Ok(0);
        };
        if visible.is_empty() {
            return Ok(0);
        }
        let index = segment.inverted_index(term.field())?;
        let Some(postings) = index.read_postings(term, IndexRecordOption::Basic)? else {
            return Ok(0);
        };
        Ok(live_docs(segment, postings)
            .filter(|d| visible.binary_search(d).is_ok())
            .count() as u64)
    }
}

/// The BM25 statistics of the visible documents alone.
impl Bm25StatisticsProvider for Within<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        let mut tokens = 0u64;
        for (segment, visible) in self.searcher.segment_readers().iter().zip(&self.docs) {
            let norms = segment.get_fieldnorms_reader(field)?;
            tokens += visible
                .iter()
                .map(|d| u64::from(norms.fieldnorm(*d)))
                .sum::<u64>();
        }
        Ok(tokens)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.len())
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let mut n = 0;
        for ord in 0..self.docs.len() {
            n += self.visible_with(ord, term)?;
        }
        Ok(n)
    }
}

/// The live documents of a posting list.
fn live_docs(
    segment: &SegmentReader,
    mut postings: SegmentPostings,
) -> impl Iterator<Item = DocId> + '_ {
    std::iter::from_fn(move || loop {
        let doc = postings.doc();
        if doc == TERMINATED {
            return None;
        }
        postings.advance();
        if segment
            .alive_bitset()
            .is_none_or(|alive| alive.is_alive(doc))
        {
            return Some(doc);
        }
    })
}
