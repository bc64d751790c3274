//! [`SearchIndex`]: opening, writing and querying the index.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::error::IndexError;
use crate::query::{self, Analyzers, Builder, Highlights};
use crate::schema::{self, Fields};
use crate::snippet::{self, Snippet};
use crate::within::Within;

/// The commit payload is `entitle-search/1 seq=<N>`. The prefix names the
/// writer and the payload's version; anything else is another layout.
const PAYLOAD_PREFIX: &str = "entitle-search/1 seq=";

/// One archived document as the index sees it.
///
/// The index holds one entry per `hash`: a document attached to several
/// licenses (or vendors, products) is upserted once with all of them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexDoc {
    /// BLAKE3 of the document's bytes, 64 hex digits (stored lower-case).
    pub hash: String,
    /// The original filename; its words are searchable too.
    pub filename: String,
    /// Document kind: `contract`, `invoice`, `order`, `eula`, `terms`,
    /// `usage-report`, `correspondence` or `other` (stored trimmed and
    /// lower-case; the index does not police the list).
    pub kind: String,
    /// The extracted text (empty for a document that is stored but not
    /// searchable; it is then found by filename and filters only).
    pub text: String,
    /// Every license the document is attached to.
    pub license_ids: Vec<String>,
    /// Every vendor of those licenses (or the vendor it is attached to).
    pub vendors: Vec<String>,
    /// Every product of those licenses.
    pub products: Vec<String>,
}

/// A search: query text plus filters.
///
/// Filters match whole values, case-insensitively after trimming; a filter
/// that is empty after trimming is ignored. All filters given must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Query text (syntax in the crate README). Empty: every document that
    /// passes the filters.
    pub text: String,
    /// Only documents with this vendor among their vendors.
    pub vendor: Option<String>,
    /// Only documents with this product among their products.
    pub product: Option<String>,
    /// Only documents of this kind.
    pub kind: Option<String>,
    /// Only documents attached to this license id.
    pub license: Option<String>,
    /// At most this many hits are returned (the total counts all).
    pub limit: usize,
    /// The best this many hits are skipped (the next page of a result).
    pub offset: usize,
    /// Only documents whose hash is one of these (lower-case hex); none
    /// for every document. The others are absent from everything the
    /// search computes: hits, total, scores and prefix expansions.
    pub within: Option<BTreeSet<String>>,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            text: String::new(),
            vendor: None,
            product: None,
            kind: None,
            license: None,
            limit: 10,
            offset: 0,
            within: None,
        }
    }
}

impl Query {
    /// A query for `text`, no filters, at most 10 hits.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Query {
            text: text.into(),
            ..Query::default()
        }
    }

    /// Restricts to documents of `vendor`.
    #[must_use]
    pub fn vendor(mut self, vendor: impl Into<String>) -> Self {
        self.vendor = Some(vendor.into());
        self
    }

    /// Restricts to documents of `product`.
    #[must_use]
    pub fn product(mut self, product: impl Into<String>) -> Self {
        self.product = Some(product.into());
        self
    }

    /// Restricts to documents of `kind`.
    #[must_use]
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = Some(kind.into());
        self
    }

    /// Restricts to documents attached to license `id`.
    #[must_use]
    pub fn license(mut self, id: impl Into<String>) -> Self {
        self.license = Some(id.into());
        self
    }

    /// Restricts to the documents with these hashes (hex, any case): the
    /// search then behaves as if the index held no other document.
    #[must_use]
    pub fn within<S: AsRef<str>>(mut self, hashes: impl IntoIterator<Item = S>) -> Self {
        self.within = Some(
            hashes
                .into_iter()
                .map(|h| h.as_ref().trim().to_ascii_lowercase())
                .collect(),
        );
        self
    }

    /// Returns at most `limit` hits.
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Skips the best `offset` hits (the total still counts them).
    #[must_use]
    pub fn offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }
}

/// The answer to a [`Query`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// How many documents match (not only those returned).
    pub total: usize,
    /// The best hits, best first, at most `limit`.
    pub hits: Vec<Hit>,
}

/// One matching document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// BLAKE3 hex of the document.
    pub hash: String,
    /// Its original filename.
    pub filename: String,
    /// Its kind.
    pub kind: String,
    /// The licenses it is attached to.
    pub license_ids: Vec<String>,
    /// Their vendors.
    pub vendors: Vec<String>,
    /// Their products.
    pub products: Vec<String>,
    /// Relevance (BM25; higher is better; comparable within one search only).
    pub score: f32,
    /// The best fragment of the text with the query's words marked.
    pub snippet: Snippet,
}

/// Resources for the index writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexOptions {
    /// Indexing threads (1 or 2 on a small machine).
    pub writer_threads: usize,
    /// Memory for the writer, all threads together, in bytes (tantivy needs
    /// at least 15 MB per thread).
    pub writer_memory_bytes: usize,
}

impl Default for IndexOptions {
    /// One thread, 50 MB.
    fn default() -> Self {
        IndexOptions {
            writer_threads: 1,
            writer_memory_bytes: 50_000_000,
        }
    }
}

/// The full-text index in one directory (`<store>/index/`).
///
/// Reading needs no lock. The first write ([`upsert`](Self::upsert),
/// [`remove`](Self::remove), [`clear`](Self::clear), [`commit`](Self::commit))
/// takes tantivy's writer lock, held until the value is dropped; changes
/// become visible, to this value and to others opened later, at `commit`.
/// Uncommitted changes are discarded on drop.
pub struct SearchIndex {
    path: PathBuf,
    index: Index,
    fields: Fields,
    reader: IndexReader,
    writer: Option<IndexWriter>,
    options: IndexOptions,
    covered_seq: Option<u64>,
}

impl fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex")
            .field("path", &self.path)
            .field("covered_seq", &self.covered_seq)
            .field("writing", &self.writer.is_some())
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and an empty index
    /// if there is none, with [`IndexOptions::default`].
    ///
    /// # Errors
    ///
    /// [`IndexError::Corrupt`] if the files are damaged or unreadable,
    /// [`IndexError::SchemaMismatch`] if the index has another layout (both:
    /// rebuild with [`recreate`](Self::recreate)); [`IndexError::Io`] if the
    /// directory cannot be created.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        Self::open_with(dir, IndexOptions::default())
    }

    /// Like [`open`](Self::open), with explicit writer resources.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    pub fn open_with(dir: &Path, options: IndexOptions) -> Result<Self, IndexError> {
        let path = dir.to_path_buf();
        std::fs::create_dir_all(dir).map_err(|source| IndexError::Io {
            path: path.clone(),
            source,
        })?;
        let (expected, fields) = schema::build();
        let index = if dir.join("meta.json").exists() {
            let index = Index::open_in_dir(dir).map_err(|e| IndexError::on_read(dir, e))?;
            let actual = index.schema();
            if actual != expected {
                let names = |s: &tantivy::schema::Schema| {
                    s.fields()
                        .map(|(_, entry)| entry.name().to_string())
                        .collect::<Vec<_>>()
                };
                let reason = if names(&actual) == names(&expected) {
                    "same fields, different analysis or options".to_string()
                } else {
                    format!("fields {}", names(&actual).join(", "))
                };
                return Err(IndexError::SchemaMismatch { path, reason });
            }
            index
        } else {
            Index::create_in_dir(dir, expected).map_err(|e| IndexError::on_write(dir, e))?
        };
        schema::register(index.tokenizers());
        let covered_seq = read_payload(&path, &index)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| IndexError::on_read(dir, e))?;
        Ok(SearchIndex {
            path,
            index,
            fields,
            reader,
            writer: None,
            options,
            covered_seq,
        })
    }

    /// Deletes the index files in `dir` (tantivy's own files only: anything
    /// else in the directory is left alone) and opens a new, empty index.
    /// For an index reported as [`IndexError::Corrupt`] or
    /// [`IndexError::SchemaMismatch`].
    ///
    /// # Errors
    ///
    /// [`IndexError::Io`] if a file cannot be deleted; then as
    /// [`open`](Self::open).
    pub fn recreate(dir: &Path) -> Result<Self, IndexError> {
        Self::recreate_with(dir, IndexOptions::default())
    }

    /// Like [`recreate`](Self::recreate), with explicit writer resources.
    ///
    /// # Errors
    ///
    /// As [`recreate`](Self::recreate).
    pub fn recreate_with(dir: &Path, options: IndexOptions) -> Result<Self, IndexError> {
        let io = |source| IndexError::Io {
            path: dir.to_path_buf(),
            source,
        };
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                for entry in entries {
                    let entry = entry.map_err(io)?;
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    if is_tantivy_file(&name) && entry.file_type().map_err(io)?.is_file() {
                        std::fs::remove_file(entry.path()).map_err(io)?;
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        Self::open_with(dir, options)
    }

    /// The index directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The event-log seq the last commit covers: every document attached by
    /// events up to and including it is indexed. `None` for a new index (or
    /// one whose last commit came from [`clear`](Self::clear) without a
    /// seq): replay from the start.
    #[must_use]
    pub fn covered_seq(&self) -> Option<u64> {
        self.covered_seq
    }

    /// Number of documents in the index as of the last commit.
    #[must_use]
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Adds a document, or replaces the entry with the same hash (its text
    /// and all its facets). Visible after [`commit`](Self::commit).
    ///
    /// # Errors
    ///
    /// [`IndexError::InvalidHash`] if `doc.hash` is not 64 hex digits;
    /// [`IndexError::Locked`] if another process is writing the index.
    pub fn upsert(&mut self, doc: &IndexDoc) -> Result<(), IndexError> {
        let hash = normalize_hash(&doc.hash)?;
        let f = self.fields;
        let mut d = TantivyDocument::new();
        d.add_text(f.hash, &hash);
        d.add_text(f.filename, &doc.filename);
        d.add_text(f.kind, schema::normalize_keyword(&doc.kind));
        for (field, values) in [
            (f.license_ids, &doc.license_ids),
            (f.vendors, &doc.vendors),
            (f.products, &doc.products),
        ] {
            for value in dedup_trimmed(values) {
                d.add_text(field, value);
            }
        }
        d.add_text(f.body, &doc.text);
        for field in [f.text_de, f.text_en, f.text_raw] {
            d.add_text(field, &doc.filename);
            d.add_text(field, &doc.text);
        }
        let path = self.path.clone();
        let writer = self.writer()?;
        writer.delete_term(Term::from_field_text(f.hash, &hash));
        writer
            .add_document(d)
            .map_err(|e| IndexError::on_write(&path, e))?;
        Ok(())
    }

    /// Removes the entry for `hash` (no error if there is none). Visible
    /// after [`commit`](Self::commit).
    ///
    /// # Errors
    ///
    /// [`IndexError::InvalidHash`], [`IndexError::Locked`].
    pub fn remove(&mut self, hash: &str) -> Result<(), IndexError> {
        let hash = normalize_hash(hash)?;
        let field = self.fields.hash;
        self.writer()?
            .delete_term(Term::from_field_text(field, &hash));
        Ok(())
    }

    /// Starts over: discards uncommitted changes and removes every document.
    /// Like any change it becomes visible at the next
    /// [`commit`](Self::commit), so a full reindex is `clear`, `upsert`
    /// each document, `commit(seq)`, and a crash halfway leaves the old
    /// index in place.
    ///
    /// # Errors
    ///
    /// [`IndexError::Locked`], or a tantivy error.
    pub fn clear(&mut self) -> Result<(), IndexError> {
        let path = self.path.clone();
        let writer = self.writer()?;
        writer
            .rollback()
            .map_err(|e| IndexError::on_write(&path, e))?;
        writer
            .delete_all_documents()
            .map_err(|e| IndexError::on_write(&path, e))?;
        Ok(())
    }

    /// Makes all changes durable and visible, recording that the index now
    /// covers the event log up to and including `seq`. Committing with no
    /// changes still records `seq`.
    ///
    /// # Errors
    ///
    /// [`IndexError::Locked`], or a tantivy error (for example a full disk);
    /// the index then stays as of the previous commit.
    pub fn commit(&mut self, seq: u64) -> Result<(), IndexError> {
        let path = self.path.clone();
        let writer = self.writer()?;
        let mut prepared = writer
            .prepare_commit()
            .map_err(|e| IndexError::on_write(&path, e))?;
        prepared.set_payload(&format!("{PAYLOAD_PREFIX}{seq}"));
        prepared
            .commit()
            .map_err(|e| IndexError::on_write(&path, e))?;
        self.covered_seq = Some(seq);
        self.reader
            .reload()
            .map_err(|e| IndexError::on_read(&path, e))?;
        Ok(())
    }

    /// Runs a search.
    ///
    /// Query syntax: words (all required), `"a phrase"`, `AND`, `OR`, `NOT`,
    /// `+word`, `-word`, parentheses, `word*` for a prefix; each word is
    /// matched in its German and its English inflections.
    ///
    /// # Errors
    ///
    /// [`IndexError::QuerySyntax`] for a malformed query (quoting it and
    /// saying what is wrong); [`IndexError::Corrupt`] if index files turn
    /// out to be unreadable.
    pub fn search(&self, q: &Query) -> Result<SearchResults, IndexError> {
        let searcher = self.reader.searcher();
        let syntax = |reason: String| IndexError::QuerySyntax {
            query: q.text.clone(),
            reason,
        };
        let read = |e| IndexError::on_read(&self.path, e);
        let within = q
            .within
            .as_ref()
            .map(|hashes| Within::new(&searcher, self.fields.hash, hashes))
            .transpose()
            .map_err(read)?;
        let mut builder = Builder {
            fields: self.fields,
            searcher: &searcher,
            within: within.as_ref(),
            analyzers: Analyzers::new(),
            highlights: Highlights::default(),
        };
        let text_query: Box<dyn tantivy::query::Query> = if q.text.trim().is_empty() {
            Box::new(AllQuery)
        } else {
            let ast = query::parse(&q.text).map_err(syntax)?;
            builder.build(&ast, false).map_err(syntax)?.ok_or_else(|| {
                syntax("it contains no searchable word (only punctuation or operators)".into())
            })?
        };
        let mut clauses: Vec<(Occur, Box<dyn tantivy::query::Query>)> =
            vec![(Occur::Must, text_query)];
        for (field, value) in [
            (self.fields.vendors, &q.vendor),
            (self.fields.products, &q.product),
            (self.fields.kind, &q.kind),
            (self.fields.license_ids, &q.license),
        ] {
            let Some(value) = value.as_deref().map(schema::normalize_keyword) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let term = TermQuery::new(
                Term::from_field_text(field, &value),
                IndexRecordOption::Basic,
            );
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(term), 0.0)),
            ));
        }
        if let Some(within) = &within {
            clauses.push((Occur::Must, within.filter()));
        }
        let full = BooleanQuery::new(clauses);
        let collector = (
            Count,
            TopDocs::with_limit(q.limit.max(1))
                .and_offset(q.offset)
                .order_by_score(),
        );
        let (total, top) = match &within {
            // Scored with the statistics of the visible documents alone.
            Some(within) => searcher.search_with_statistics_provider(&full, &collector, within),
            None => searcher.search(&full, &collector),
        }
        .map_err(read)?;
        let Builder {
            mut analyzers,
            highlights,
            ..
        } = builder;
        let mut hits = Vec::with_capacity(top.len().min(q.limit));
        for (score, address) in top.into_iter().take(q.limit) {
            let doc: TantivyDocument = searcher
                .doc(address)
                .map_err(|e| IndexError::on_read(&self.path, e))?;
            let f = self.fields;
            let first = |field| first_str(&doc, field);
            let body = first(f.body);
            hits.push(Hit {
                hash: first(f.hash),
                filename: first(f.filename),
                kind: first(f.kind),
                license_ids: all_str(&doc, f.license_ids),
                vendors: all_str(&doc, f.vendors),
                products: all_str(&doc, f.products),
                score,
                snippet: snippet::make(&body, &highlights, &mut analyzers),
            });
        }
        // Equal scores keep a fixed order (by hash), so the same index
        // content answers the same way however its segments were built.
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.hash.cmp(&b.hash))
        });
        Ok(SearchResults { total, hits })
    }

    /// The writer, created on first use.
    fn writer(&mut self) -> Result<&mut IndexWriter, IndexError> {
        if self.writer.is_none() {
            let writer = self
                .index
                .writer_with_num_threads(
                    self.options.writer_threads.max(1),
                    self.options.writer_memory_bytes,
                )
                .map_err(|e| IndexError::on_write(&self.path, e))?;
            self.writer = Some(writer);
        }
        Ok(self.writer.as_mut().expect("writer was just set"))
    }
}

/// Reads the seq from the last commit's payload.
fn read_payload(path: &Path, index: &Index) -> Result<Option<u64>, IndexError> {
    let metas = index
        .load_metas()
        .map_err(|e| IndexError::on_read(path, e))?;
    let Some(payload) = metas.payload else {
        return Ok(None);
    };
    payload
        .strip_prefix(PAYLOAD_PREFIX)
        .and_then(|seq| seq.parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| IndexError::SchemaMismatch {
            path: path.to_path_buf(),
            reason: format!("commit payload \"{payload}\" was not written by entitle-search"),
        })
}

fn normalize_hash(hash: &str) -> Result<String, IndexError> {
    let h = hash.trim();
    if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(h.to_ascii_lowercase())
    } else {
        Err(IndexError::InvalidHash {
            hash: hash.to_string(),
        })
    }
}

/// Trimmed, non-empty values, without case-insensitive duplicates, in the
/// order given.
fn dedup_trimmed(values: &[String]) -> Vec<&str> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for v in values {
        let t = v.trim();
        let key = schema::normalize_keyword(t);
        if !t.is_empty() && !seen.contains(&key) {
            seen.push(key);
            out.push(t);
        }
    }
    out
}

/// Files tantivy writes into an index directory: `meta.json`,
/// `.managed.json`, lock files, and segment files named by a 32-hex-digit
/// segment id.
fn is_tantivy_file(name: &str) -> bool {
    name == "meta.json"
        || name == ".managed.json"
        || name.starts_with(".tantivy-")
        || (name.len() > 33
            && name.as_bytes()[32] == b'.'
            && name.as_bytes()[..32].iter().all(u8::is_ascii_hexdigit))
}

fn first_str(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn all_str(doc: &TantivyDocument, field: Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}
