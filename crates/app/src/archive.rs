//! The contract archive's questions: which documents there are (`doc
//! list`), one document's bindings (`doc show`), its exact bytes (`doc
//! get`, re-hashed on the way), full-text search, and rebuilding the
//! search index.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use entitle_archive::Searchable;
use entitle_core::position::vendor_matches;
use entitle_core::timeline::DocumentEntry;
use entitle_core::types::match_key;
use entitle_core::DocKind;
use entitle_store::Store;
use serde::{Deserialize, Serialize};

use crate::error::{Action, Error, ErrorKind, Result};
use crate::progress::Progress;
use crate::scope::Scope;

/// Which documents to list; every field as the user gave it.
#[derive(Debug, Clone, Default)]
pub struct DocListRequest {
    /// Only documents bound to this license.
    pub license: Option<String>,
    /// Only documents bound to this vendor or its licenses
    /// (case-insensitive).
    pub vendor: Option<String>,
}

/// The documents in the archive. Its JSON is `doc list --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocList {
    /// Documents in hash order.
    pub documents: Vec<DocRow>,
}

/// One document of [`DocList`] (stable field names).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocRow {
    /// BLAKE3 hex of its bytes.
    pub hash: String,
    /// The file name of its first counted binding.
    pub filename: String,
    /// The kind of its first counted binding.
    pub kind: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type as sniffed when first attached.
    pub media_type: String,
    /// Licenses it is bound to.
    pub license_ids: Vec<String>,
    /// Vendors it is bound to, directly or through a license.
    pub vendors: Vec<String>,
    /// Whether its text is searchable.
    pub searchable: bool,
    /// Its text's state, for a table ([`DocList::restore`] sets it from
    /// `searchable` once read from JSON).
    #[serde(skip, default = "TextStatus::unknown")]
    pub text: TextStatus,
}

/// Whether a document's text could be extracted. Never "not extracted
/// yet": a document whose extraction is not kept is extracted when asked
/// about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextStatus {
    /// Its text is indexed.
    Searchable {
        /// Characters of text.
        characters: usize,
    },
    /// It is stored, but its text could not be extracted.
    NotSearchable {
        /// Why not.
        reason: String,
    },
}

impl TextStatus {
    fn of(s: Searchable) -> Self {
        match s {
            Searchable::Yes(characters) => TextStatus::Searchable { characters },
            Searchable::No(reason) => TextStatus::NotSearchable { reason },
        }
    }

    /// Whether the text is searchable.
    #[must_use]
    pub fn is_searchable(&self) -> bool {
        matches!(self, TextStatus::Searchable { .. })
    }

    /// Until [`DocList::restore`] or [`DocShow::restore`] says: not
    /// searchable, for no reason known.
    #[must_use]
    pub fn unknown() -> Self {
        TextStatus::NotSearchable {
            reason: String::new(),
        }
    }

    /// The state a document's JSON describes.
    fn from_json(searchable: bool, characters: Option<usize>, reason: Option<&str>) -> Self {
        if searchable {
            TextStatus::Searchable {
                characters: characters.unwrap_or_default(),
            }
        } else {
            TextStatus::NotSearchable {
                reason: reason.unwrap_or_default().to_owned(),
            }
        }
    }
}

impl DocList {
    /// What JSON does not carry (each row's text state, which the list
    /// only needs to tell searchable from not), once read from a server.
    pub fn restore(&mut self) {
        for d in &mut self.documents {
            d.text = TextStatus::from_json(d.searchable, None, None);
        }
    }
}

impl DocShow {
    /// What JSON does not carry (the text state as one value), once read
    /// from a server.
    pub fn restore(&mut self) {
        self.text = TextStatus::from_json(
            self.searchable,
            self.characters,
            self.not_searchable_reason.as_deref(),
        );
    }
}

impl SearchResult {
    /// What JSON does not carry, once read from a server: each passage
    /// with its highlights (the `snippet` split at its `**`, so that the
    /// passage renders with `**` exactly as the snippet reads), and the
    /// vendors as far as `vendor` tells them.
    pub fn restore(&mut self) {
        for h in &mut self.hits {
            h.passage = passage_of(&h.snippet);
            h.vendors = h.vendor.iter().cloned().collect();
        }
    }
}

/// A snippet rendered with `**` around each highlight, as a passage that
/// renders to the same text: every other piece between `**` is a
/// highlight; a last `**` that closes nothing stays text.
fn passage_of(snippet: &str) -> entitle_search::Snippet {
    let pieces: Vec<&str> = snippet.split("**").collect();
    // An odd count of `**`: the last one opens no highlight.
    let unclosed = pieces.len().is_multiple_of(2);
    let mut fragment = String::with_capacity(snippet.len());
    let mut highlights = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        if i % 2 == 1 && unclosed && i == pieces.len() - 1 {
            fragment.push_str("**");
            fragment.push_str(piece);
        } else if i % 2 == 1 {
            let start = fragment.len();
            fragment.push_str(piece);
            highlights.push(start..fragment.len());
        } else {
            fragment.push_str(piece);
        }
    }
    entitle_search::Snippet {
        fragment,
        highlights,
    }
}

/// The documents in `scope` bound by counted events, filtered by license
/// and vendor, each as [`Scope::narrow_document`] shows it. A document
/// whose extracted text is not kept (the derived state was rebuilt from
/// scratch) is extracted again, so that `searchable` agrees with what
/// [`search`] finds.
///
/// # Errors
///
/// When the store or the search index fails.
pub fn doc_list(
    store: &Store,
    scope: &Scope,
    req: &DocListRequest,
    progress: &dyn Progress,
) -> Result<DocList> {
    let archive = crate::index::open(store, progress)?;
    let mut documents = Vec::new();
    let mut terms = entitle_archive::Terms::default();
    for doc in store.documents()? {
        let Some(doc) = scope.narrow_document(store, doc)? else {
            continue;
        };
        // What the index holds for it: its counted bindings' licenses and
        // vendors, and the first binding's name and kind.
        let Some(entry) = entitle_archive::index_doc_with(store, &doc, &mut terms)? else {
            continue;
        };
        if let Some(id) = &req.license {
            if !entry.license_ids.iter().any(|l| l == id.trim()) {
                continue;
            }
        }
        if req.vendor.is_some()
            && !entry
                .vendors
                .iter()
                .any(|v| vendor_matches(req.vendor.as_deref(), v))
        {
            continue;
        }
        let text = TextStatus::of(archive.searchable(store, &doc)?);
        documents.push(DocRow {
            hash: doc.hash,
            filename: entry.filename,
            kind: entry.kind,
            size: doc.size,
            media_type: doc.media_type,
            license_ids: entry.license_ids,
            vendors: entry.vendors,
            searchable: text.is_searchable(),
            text,
        });
    }
    Ok(DocList { documents })
}

/// One document: its metadata, where it is stored, whether it is
/// searchable, and every event that bound it. Its JSON is `doc show
/// --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocShow {
    /// BLAKE3 hex of its bytes.
    pub hash: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type as sniffed when first attached.
    pub media_type: String,
    /// The blob's path in the store.
    pub path: PathBuf,
    /// Whether its text is searchable.
    pub searchable: bool,
    /// Characters of text indexed, when it is searchable.
    pub characters: Option<usize>,
    /// Why its text could not be extracted, when it could not.
    pub not_searchable_reason: Option<String>,
    /// The events that bound it, in seq order (voided ones too).
    pub events: Vec<Binding>,
    /// Its text's state, for a page or table ([`DocShow::restore`] sets it
    /// once read from JSON).
    #[serde(skip, default = "TextStatus::unknown")]
    pub text: TextStatus,
}

/// One event that bound a document (stable field names).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Binding {
    /// The `document_attached` event.
    pub seq: u64,
    /// When it was recorded (RFC 3339).
    pub recorded_at: Option<String>,
    /// Its effective date.
    pub effective: String,
    /// The file name it was attached under.
    pub filename: String,
    /// Its kind.
    pub kind: String,
    /// The license it binds the document to.
    pub license_id: Option<String>,
    /// The vendor, when bound to a vendor.
    pub vendor: Option<String>,
    /// The void that cancelled the binding.
    pub voided_by: Option<u64>,
}

/// The document in `scope` whose hash is or starts with `hash` (8 or more
/// hex characters), with its bindings in scope.
///
/// # Errors
///
/// For a malformed, unknown or ambiguous hash (field `hash`; a document
/// out of scope is unknown, word for word), or when the store or the
/// search index fails.
pub fn doc_show(
    store: &Store,
    scope: &Scope,
    hash: &str,
    progress: &dyn Progress,
) -> Result<DocShow> {
    Ok(doc_show_with_text(store, scope, hash, progress)?.0)
}

/// [`doc_show`] and [`doc_text`] of one document, its text read once
/// (a document's page shows both).
///
/// # Errors
///
/// As [`doc_show`].
pub fn doc_show_with_text(
    store: &Store,
    scope: &Scope,
    hash: &str,
    progress: &dyn Progress,
) -> Result<(DocShow, DocText)> {
    let doc = scope.resolve_document(store, hash)?;
    let archive = crate::index::open(store, progress)?;
    let extracted = archive.text(store, &doc)?;
    let text = TextStatus::of(match &extracted {
        Ok(text) => entitle_archive::Searchable::Yes(text.chars().count()),
        Err(why) => entitle_archive::Searchable::No(why.clone()),
    });
    let mut events = Vec::with_capacity(doc.attachments.len());
    for b in &doc.attachments {
        let recorded_at = store
            .seq_entry(b.seq)?
            .map(|e| e.meta.recorded_at.to_string());
        events.push(Binding {
            seq: b.seq,
            recorded_at,
            effective: b.effective.to_string(),
            filename: b.filename.clone(),
            kind: b.kind.clone(),
            license_id: b.license.clone(),
            vendor: b.vendor.clone(),
            voided_by: b.voided_by,
        });
    }
    let not_searchable_reason = match &text {
        TextStatus::NotSearchable { reason } => Some(reason.clone()),
        _ => None,
    };
    let (extracted, not_searchable) = match extracted {
        Ok(text) => (Some(text), None),
        Err(why) => (None, Some(why)),
    };
    let doc_text = DocText {
        hash: doc.hash.clone(),
        text: extracted,
        not_searchable_reason: not_searchable,
    };
    let shown = DocShow {
        path: store.blobs().path_of(&doc.hash),
        hash: doc.hash,
        size: doc.size,
        media_type: doc.media_type,
        searchable: text.is_searchable(),
        characters: match &text {
            TextStatus::Searchable { characters } => Some(*characters),
            TextStatus::NotSearchable { .. } => None,
        },
        not_searchable_reason,
        events,
        text,
    };
    Ok((shown, doc_text))
}

/// A document's extracted text: what the search reads of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocText {
    /// BLAKE3 hex of the document's bytes.
    pub hash: String,
    /// The text, when one could be extracted.
    pub text: Option<String>,
    /// Why there is none.
    pub not_searchable_reason: Option<String>,
}

/// The text extracted from the document in `scope` whose hash is or
/// starts with `hash` (kept from its extraction, or extracted now in the
/// sandboxed child): what the search reads, and what a reader is shown of
/// a file that is never rendered (HTML, office files, e-mail).
///
/// # Errors
///
/// As [`doc_show`].
pub fn doc_text(
    store: &Store,
    scope: &Scope,
    hash: &str,
    progress: &dyn Progress,
) -> Result<DocText> {
    Ok(doc_show_with_text(store, scope, hash, progress)?.1)
}

/// Writes the exact bytes of the document in `scope` whose hash is or
/// starts with `hash` to `out`, re-hashing them: they are checked once
/// before the first byte is written and again while they are copied.
/// Returns the number of bytes written.
///
/// # Errors
///
/// For a malformed, unknown or ambiguous hash (field `hash`; a document
/// out of scope is unknown, word for word); kind integrity when the
/// stored bytes no longer match their hash (nothing is written); when the
/// blob cannot be read or `out` cannot be written.
pub fn doc_get(store: &Store, scope: &Scope, hash: &str, out: &mut dyn Write) -> Result<u64> {
    let doc = scope.resolve_document(store, hash)?;
    let out_name = Path::new("the document's output");
    check(store, &doc, &mut std::io::sink(), out_name, NOTHING_WRITTEN)?;
    // Changed between the two reads: bytes are out already.
    let n = check(
        store,
        &doc,
        out,
        out_name,
        "the output is incomplete: do not use it",
    )?;
    out.flush().map_err(|e| Error::io(out_name, e).at("out"))?;
    Ok(n)
}

/// What [`doc_get_to_file`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    /// The document's hash.
    pub hash: String,
    /// Bytes written.
    pub bytes: u64,
    /// The file written.
    pub path: PathBuf,
}

/// Writes the exact bytes of the document in `scope` whose hash is or
/// starts with `hash` to the file `path`: into a temporary file in the same directory,
/// re-hashed while copied, made durable, then renamed into place. A
/// reader never sees half a file, a failure or a mismatch leaves nothing
/// behind, and a symbolic link at `path` is replaced, never written
/// through. With `overwrite` false an existing `path` (a dangling link
/// included) is refused.
///
/// # Errors
///
/// As [`doc_get`]; kind conflict (field `out`) when `path` exists and
/// `overwrite` is false; kind I/O (field `out`) when the directory cannot
/// be written.
pub fn doc_get_to_file(
    store: &Store,
    scope: &Scope,
    hash: &str,
    path: &Path,
    overwrite: bool,
) -> Result<Written> {
    let doc = scope.resolve_document(store, hash)?;
    let mut failure = None;
    let mut bytes = 0;
    let written = crate::files::write_with(path, overwrite, |f| {
        match check(store, &doc, f, path, NOTHING_WRITTEN) {
            Ok(n) => bytes = n,
            Err(e) => {
                failure = Some(e);
                return Err(std::io::Error::other("the document was not copied"));
            }
        }
        Ok(())
    });
    if let Some(e) = failure {
        return Err(e);
    }
    written?;
    Ok(Written {
        hash: doc.hash,
        bytes,
        path: path.to_owned(),
    })
}

/// Copies the document's blob into `out`, hashing it on the way; an error
/// of kind integrity when the bytes do not match the document's hash.
/// What became of the output when [`check`] fails before any byte of it
/// reached the reader.
const NOTHING_WRITTEN: &str = "nothing was written";

/// Copies the document to `out`, re-hashing it; `on_failure` says what
/// became of the output when its bytes do not match.
fn check(
    store: &Store,
    doc: &DocumentEntry,
    out: &mut dyn Write,
    out_name: &Path,
    on_failure: &str,
) -> Result<u64> {
    let path = store.blobs().path_of(&doc.hash);
    let mut f = File::open(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::new(
                ErrorKind::Integrity,
                format!("document {} is missing from the archive ({})", doc.hash, path.display()),
            )
            .at("hash")
            .hint_to(
                Action::Verify,
                "nothing was written; run {action} to check the whole archive, and restore the file from a copy",
            )
        } else {
            Error::io(&path, e)
        }
    })?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    let out_io = |e: std::io::Error| Error::io(out_name, e).at("out");
    loop {
        let k = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(&path, e)),
        };
        hasher.update(&buf[..k]);
        out.write_all(&buf[..k]).map_err(out_io)?;
        n += k as u64;
    }
    let actual = hasher.finalize().to_hex();
    if actual.as_str() != doc.hash {
        return Err(Error::new(
            ErrorKind::Integrity,
            format!(
                "document {} was changed in the archive: its stored bytes hash to {actual} ({})",
                doc.hash,
                path.display()
            ),
        )
        .at("hash")
        .hint_to(
            Action::Verify,
            format!("{on_failure}; run {{action}} to check the whole archive, and restore the file from a copy"),
        ));
    }
    Ok(n)
}

/// The most hits a search returns.
pub const MAX_SEARCH_LIMIT: u64 = 1000;

/// The hits a search returns when no limit is given.
pub const DEFAULT_SEARCH_LIMIT: u64 = 10;

/// A full-text search; every field as the user gave it.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// Words, `"a phrase"`, AND/OR/NOT, `prefix*`.
    pub query: String,
    /// Only documents of this vendor (case-insensitive).
    pub vendor: Option<String>,
    /// Only documents of this product.
    pub product: Option<String>,
    /// Only documents of this kind (contract, invoice, …).
    pub kind: Option<String>,
    /// Only documents bound to this license.
    pub license: Option<String>,
    /// At most this many hits, 1 to [`MAX_SEARCH_LIMIT`]; none for
    /// [`DEFAULT_SEARCH_LIMIT`].
    pub limit: Option<String>,
    /// Skip the best this many hits, 0 to [`MAX_SEARCH_OFFSET`] (the next
    /// page); none for 0.
    pub offset: Option<String>,
}

/// What a search found. Its JSON is `search --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchResult {
    /// The query as given.
    pub query: String,
    /// How many documents match (more than the hits when limited).
    pub total: usize,
    /// The best hits first.
    pub hits: Vec<SearchHit>,
}

/// One document found (stable field names).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchHit {
    /// BLAKE3 hex of its bytes.
    pub hash: String,
    /// Its file name.
    pub filename: String,
    /// Licenses it is bound to.
    pub license_ids: Vec<String>,
    /// The vendor it was found under (the first that matches a vendor
    /// filter), else its first vendor.
    pub vendor: Option<String>,
    /// Its kind.
    pub kind: String,
    /// Relevance.
    pub score: f64,
    /// The passage that matched, with the matched words between `**`.
    pub snippet: String,
    /// Every vendor it is bound to (read from JSON: only `vendor`; a
    /// client asks the document list for the rest).
    #[serde(skip)]
    pub vendors: Vec<String>,
    /// The passage with its highlights, for a front-end to mark its way
    /// ([`SearchResult::restore`] sets it from `snippet`).
    #[serde(skip)]
    pub passage: entitle_search::Snippet,
}

/// The hit limit of a request: 1 to [`MAX_SEARCH_LIMIT`].
///
/// # Errors
///
/// For anything else, naming the field `limit`.
pub fn search_limit(limit: Option<&str>) -> Result<usize> {
    let Some(raw) = limit else {
        return Ok(usize::try_from(DEFAULT_SEARCH_LIMIT).unwrap_or(10));
    };
    let range = format!("must be a whole number from 1 to {MAX_SEARCH_LIMIT}");
    match raw.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_SEARCH_LIMIT).contains(&n) => {
            usize::try_from(n).map_err(|_| Error::invalid("limit", raw, range))
        }
        _ => Err(Error::invalid("limit", raw, range)),
    }
}

/// The most hits a search skips (`offset`): deeper than any reader pages.
pub const MAX_SEARCH_OFFSET: u64 = 100_000;

/// Parses a search's `offset`: a whole number from 0 to
/// [`MAX_SEARCH_OFFSET`]; none is 0.
///
/// # Errors
///
/// For anything else, naming the field `offset`.
pub fn search_offset(offset: Option<&str>) -> Result<usize> {
    let Some(raw) = offset else {
        return Ok(0);
    };
    let range = format!("must be a whole number from 0 to {MAX_SEARCH_OFFSET}");
    match raw.trim().parse::<u64>() {
        Ok(n) if n <= MAX_SEARCH_OFFSET => {
            usize::try_from(n).map_err(|_| Error::invalid("offset", raw, range))
        }
        _ => Err(Error::invalid("offset", raw, range)),
    }
}

/// Searches the archived documents' text and file names (German and
/// English inflections), catching the index up with the log first.
///
/// With a scope of some vendors, the search runs among the documents in
/// scope only, filtered on what the reader sees of them
/// ([`Scope::narrow_document`]) before the index ranks anything: hits,
/// their total, scores, prefix expansions and snippets are those of an
/// archive that holds no other document.
///
/// # Errors
///
/// For a malformed query (field `query`), an unknown kind (field `kind`), a
/// limit or offset out of range (fields `limit`, `offset`), or when the
/// index fails.
pub fn search(
    store: &Store,
    scope: &Scope,
    req: &SearchRequest,
    progress: &dyn Progress,
) -> Result<SearchResult> {
    let limit = search_limit(req.limit.as_deref())?;
    let offset = search_offset(req.offset.as_deref())?;
    let kind = req
        .kind
        .as_deref()
        .map(|k| k.parse::<DocKind>().map(|k| k.as_str().to_owned()))
        .transpose()?;
    let mut q = entitle_search::Query::new(req.query.clone())
        .limit(limit)
        .offset(offset);
    let archive = crate::index::open(store, progress)?;
    let visible = if scope.is_all() {
        if let Some(v) = &req.vendor {
            q = q.vendor(v.clone());
        }
        if let Some(p) = &req.product {
            q = q.product(p.clone());
        }
        if let Some(k) = kind {
            q = q.kind(k);
        }
        if let Some(l) = &req.license {
            q = q.license(l.clone());
        }
        None
    } else {
        let visible = visible_entries(store, scope, req, kind.as_deref())?;
        q = q.within(visible.keys());
        Some(visible)
    };
    let results = archive.search(&q)?;
    let hits = results
        .hits
        .into_iter()
        .map(|mut h| {
            // What the reader sees of the document, not what the index
            // holds of all its bindings.
            if let Some(entry) = visible.as_ref().and_then(|v| v.get(&h.hash)) {
                h.filename.clone_from(&entry.filename);
                h.kind.clone_from(&entry.kind);
                h.license_ids.clone_from(&entry.license_ids);
                h.vendors.clone_from(&entry.vendors);
            }
            h
        })
        .map(|h| SearchHit {
            vendor: h
                .vendors
                .iter()
                .find(|v| vendor_matches(req.vendor.as_deref(), v))
                .or(h.vendors.first())
                .cloned(),
            snippet: h.snippet.render("**", "**"),
            score: f64::from(h.score),
            hash: h.hash,
            filename: h.filename,
            license_ids: h.license_ids,
            kind: h.kind,
            vendors: h.vendors,
            passage: h.snippet,
        })
        .collect();
    Ok(SearchResult {
        query: req.query.clone(),
        total: results.total,
        hits,
    })
}

/// The index entries of the documents in `scope` as the reader sees them
/// ([`Scope::narrow_document`]) that pass the request's filters (as the
/// index applies them: whole values, case-insensitive, an empty filter
/// ignored), by hash.
fn visible_entries(
    store: &Store,
    scope: &Scope,
    req: &SearchRequest,
    kind: Option<&str>,
) -> Result<BTreeMap<String, entitle_search::IndexDoc>> {
    let wanted = |filter: Option<&str>| filter.map(match_key).filter(|f| !f.is_empty());
    let (vendor, product, kind, license) = (
        wanted(req.vendor.as_deref()),
        wanted(req.product.as_deref()),
        wanted(kind),
        wanted(req.license.as_deref()),
    );
    let passes = |filter: &Option<String>, values: &[String]| {
        filter
            .as_ref()
            .is_none_or(|f| values.iter().any(|v| match_key(v) == *f))
    };
    let mut terms = entitle_archive::Terms::default();
    let mut visible = BTreeMap::new();
    for doc in store.documents()? {
        let Some(doc) = scope.narrow_document(store, doc)? else {
            continue;
        };
        let Some(entry) = entitle_archive::index_doc_with(store, &doc, &mut terms)? else {
            continue;
        };
        if passes(&vendor, &entry.vendors)
            && passes(&product, &entry.products)
            && passes(&kind, std::slice::from_ref(&entry.kind))
            && passes(&license, &entry.license_ids)
        {
            visible.insert(entry.hash.clone(), entry);
        }
    }
    Ok(visible)
}

/// What [`reindex`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Reindexed {
    /// Documents indexed.
    pub documents: usize,
    /// The seq the index covers.
    pub seq: u64,
}

/// Rebuilds the full-text index from the log's documents and their kept
/// texts (extracting those not kept), reporting each document to
/// `progress`.
///
/// # Errors
///
/// When the store or the index fails.
pub fn reindex(store: &Store, progress: &dyn Progress) -> Result<Reindexed> {
    let mut archive = crate::index::open(store, progress)?;
    let documents = archive.reindex_observed(store, progress)?;
    Ok(Reindexed {
        documents,
        seq: store.applied().head.seq,
    })
}

#[cfg(test)]
mod tests {
    use super::passage_of;

    #[test]
    fn a_snippet_read_back_renders_as_it_was_sent() {
        for snippet in [
            "",
            "no highlight",
            "a 90 day **notice** period",
            "**all**",
            "a **b** c **d**",
            "literal ** stays",
            "a ****b** c",
            "**x** and a last ** unclosed",
        ] {
            let p = passage_of(snippet);
            assert_eq!(p.render("**", "**"), snippet, "{p:?}");
        }
        assert_eq!(passage_of("a **b** c").highlights, vec![2..3]);
    }
}
