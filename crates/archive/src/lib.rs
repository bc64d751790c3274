//! The contract archive: documents bound to the license history by content
//! hash, their extracted text, and the full-text index kept in step with
//! the log.
#![deny(missing_docs)]

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use entitle_core::ledger::Draft;
use entitle_core::progress::{Progress, Unit};
use entitle_core::record::{DocumentAttached, Event};
use entitle_core::timeline::DocumentEntry;
use entitle_core::DocKind;
use entitle_search::{IndexDoc, IndexError, Query, SearchIndex, SearchResults};
use entitle_store::{BlobError, Store, StoreError, StoredBlob};

pub use entitle_extract::Limits;

/// Errors of the archive.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// A file could not be archived.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// A file stored in the blob directory, ready to be bound by an event.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Where it came from.
    pub path: PathBuf,
    /// The name it is attached under (the file name, without directories).
    pub filename: String,
    /// Its hash and size, and whether it was new to the store.
    pub blob: StoredBlob,
    /// Its media type, sniffed from name and first bytes.
    pub media_type: &'static str,
}

/// What a document is bound to.
#[derive(Debug, Clone)]
pub enum Owner {
    /// A license, by id.
    License(String),
    /// A vendor.
    Vendor(String),
}

/// Stores files by content, all or nothing: when one cannot be archived,
/// the blobs this call added are removed again. Every file is stored
/// before any event is written; if the events are then refused, call
/// [`discard_new`]. The files' fsyncs are done together (see
/// [`entitle_store::Blobs::put_files`]).
///
/// # Errors
///
/// The first file that cannot be archived, named.
pub fn store_files(store: &Store, files: &[PathBuf]) -> Result<Vec<Incoming>, ArchiveError> {
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let blobs = store.blobs().put_files(&paths)?;
    Ok(files
        .iter()
        .zip(blobs)
        .map(|(path, blob)| {
            let filename = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            incoming(store, path.clone(), filename, blob)
        })
        .collect())
}

/// Stores an upload by content, streamed from `src` (at most `limit`
/// bytes), under the file name the client gave (kept as metadata only).
/// If the event that is to bind it is refused, call [`discard_new`].
///
/// # Errors
///
/// When the upload fails, is empty or too large, or the store cannot be
/// written. Nothing is left behind.
pub fn store_upload(
    store: &Store,
    src: &mut dyn Read,
    filename: &str,
    limit: Option<u64>,
) -> Result<Incoming, ArchiveError> {
    let name = PathBuf::from(filename);
    let blob = store.blobs().put_reader(src, &name, limit)?;
    Ok(incoming(store, name, filename.to_owned(), blob))
}

/// A stored blob with its name and sniffed media type.
fn incoming(store: &Store, path: PathBuf, filename: String, blob: StoredBlob) -> Incoming {
    let mut head = Vec::with_capacity(entitle_extract::SNIFF_BYTES);
    if let Ok(f) = File::open(store.blobs().path_of(&blob.hash)) {
        let _ = f
            .take(entitle_extract::SNIFF_BYTES as u64)
            .read_to_end(&mut head);
    }
    let media_type = entitle_extract::sniff(&filename, &head);
    Incoming {
        path,
        filename,
        blob,
        media_type,
    }
}

/// Removes the blobs that `incoming` added to the store, when the events
/// that were to bind them are not recorded. Safe because the store is held
/// by this process alone: no other writer can have bound them meanwhile.
pub fn discard_new(store: &Store, incoming: &[Incoming]) {
    for i in incoming.iter().filter(|i| i.blob.new) {
        let _ = std::fs::remove_file(store.blobs().path_of(&i.blob.hash));
    }
}

/// The `document_attached` drafts binding stored files to an owner.
#[must_use]
pub fn drafts(
    incoming: &[Incoming],
    owner: &Owner,
    kind: DocKind,
    note: Option<&str>,
) -> Vec<Draft> {
    incoming
        .iter()
        .map(|i| Draft {
            event: Event::DocumentAttached(DocumentAttached {
                hash: i.blob.hash.clone(),
                filename: i.filename.clone(),
                size: i.blob.size,
                media_type: i.media_type.to_owned(),
                kind: kind.as_str().to_owned(),
                id: match owner {
                    Owner::License(id) => Some(id.clone()),
                    Owner::Vendor(_) => None,
                },
                vendor: match owner {
                    Owner::Vendor(v) => Some(v.trim().to_owned()),
                    Owner::License(_) => None,
                },
            }),
            effective: None,
            note: note.map(str::to_owned),
        })
        .collect()
}

/// How text is extracted: this binary, run as a child.
#[derive(Debug, Clone)]
pub struct Extractor {
    /// The executable that understands the hidden `__extract` subcommand.
    pub exe: PathBuf,
    /// Wall-time and memory limits.
    pub limits: Limits,
}

/// The full-text index of a store, in step with its log.
#[derive(Debug)]
pub struct Archive {
    index: SearchIndex,
    extractor: Extractor,
}

/// Whether a document's text is searchable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Searchable {
    /// Its text is indexed (characters).
    Yes(usize),
    /// It is stored but its text could not be extracted.
    No(String),
}

impl Archive {
    /// Opens the index (recreating one that is damaged or of another
    /// schema) and catches it up with the log. Returns notices for stderr.
    ///
    /// # Errors
    ///
    /// When the index cannot be opened or written.
    pub fn open(
        store: &Store,
        extractor: Extractor,
    ) -> Result<(Archive, Vec<String>), ArchiveError> {
        let dir = store.layout().index();
        let mut notices = Vec::new();
        let (index, fresh) = match SearchIndex::open(&dir) {
            Ok(i) => (i, false),
            Err(e @ (IndexError::Corrupt { .. } | IndexError::SchemaMismatch { .. })) => {
                notices.push(format!("the search index was unusable ({e}); rebuilt it"));
                (SearchIndex::recreate(&dir)?, true)
            }
            Err(e) => return Err(e.into()),
        };
        let mut archive = Archive { index, extractor };
        if fresh {
            archive.reindex(store)?;
        } else {
            archive.catch_up(store)?;
        }
        Ok((archive, notices))
    }

    /// Brings the index up to the log's head: re-indexes documents bound or
    /// unbound since the seq the index covers.
    ///
    /// # Errors
    ///
    /// When the store or the index fails.
    pub fn catch_up(&mut self, store: &Store) -> Result<(), ArchiveError> {
        let head = store.applied().head.seq;
        match self.index.covered_seq() {
            Some(seq) if seq >= head => Ok(()),
            Some(seq) => {
                let touched = store.documents_touched_after(seq)?;
                self.refresh(store, &touched)?;
                Ok(())
            }
            None => self.reindex(store).map(|_| ()),
        }
    }

    /// Extracts (when not done before) and re-indexes the given documents,
    /// then commits at the log's head.
    ///
    /// # Errors
    ///
    /// When the store or the index fails (an extraction failure is not an
    /// error: it is recorded as the reason the document is not searchable).
    pub fn refresh(&mut self, store: &Store, hashes: &[String]) -> Result<(), ArchiveError> {
        let mut docs = Vec::with_capacity(hashes.len());
        for hash in hashes {
            docs.extend(store.document(hash)?);
        }
        self.index_docs(store, &docs, &entitle_core::progress::Silent)?;
        self.index.commit(store.applied().head.seq)?;
        Ok(())
    }

    /// Rebuilds the index from the log's documents and their kept texts.
    ///
    /// # Errors
    ///
    /// When the store or the index fails.
    pub fn reindex(&mut self, store: &Store) -> Result<usize, ArchiveError> {
        self.reindex_observed(store, &entitle_core::progress::Silent)
    }

    /// [`Archive::reindex`], reporting each document indexed to `progress`.
    ///
    /// # Errors
    ///
    /// As [`Archive::reindex`].
    pub fn reindex_observed(
        &mut self,
        store: &Store,
        progress: &dyn Progress,
    ) -> Result<usize, ArchiveError> {
        self.index.clear()?;
        let docs = store.documents()?;
        progress.start("indexing documents", Some(docs.len() as u64), Unit::Files);
        let result = self.index_docs(store, &docs, progress);
        progress.finish();
        result?;
        self.index.commit(store.applied().head.seq)?;
        Ok(docs.len())
    }

    /// Indexes `docs` (removing those no counted event binds), extracting
    /// the texts not kept yet on the way: several documents per sandboxed
    /// child (each under its own limits; see
    /// [`entitle_extract::extract_batch_in_child`]), the children run on a
    /// thread of their own so that the next batch is extracted while this
    /// one is indexed, and each batch's texts kept with one flush.
    fn index_docs(
        &mut self,
        store: &Store,
        docs: &[DocumentEntry],
        progress: &dyn Progress,
    ) -> Result<(), ArchiveError> {
        let mut terms = Terms::default();
        let mut entries = Vec::with_capacity(docs.len());
        let mut jobs: Vec<Job> = Vec::new();
        let mut unsupported = Vec::new();
        let mut queued = HashSet::new();
        for doc in docs {
            let entry = index_doc_with(store, doc, &mut terms)?;
            if entry.is_some()
                && !queued.contains(doc.hash.as_str())
                && store.text(&doc.hash)?.is_none()
            {
                queued.insert(doc.hash.as_str());
                if entitle_extract::is_supported(&doc.media_type) {
                    jobs.push(Job {
                        hash: doc.hash.clone(),
                        path: store.blobs().path_of(&doc.hash),
                        media_type: doc.media_type.clone(),
                        size: doc.size,
                    });
                } else {
                    unsupported.push((doc.hash.clone(), Err(no_extraction(&doc.media_type))));
                }
            }
            entries.push(entry);
        }
        if !unsupported.is_empty() {
            store.put_texts(&unsupported)?;
        }
        let extractor = &self.extractor;
        let index = &mut self.index;
        std::thread::scope(|scope| {
            // At most two batches' texts wait in memory.
            let (tx, rx) = mpsc::sync_channel::<Vec<(String, Result<String, String>)>>(1);
            let batches = batches(jobs);
            scope.spawn(move || {
                for batch in batches {
                    if tx.send(extract_batch(extractor, &batch)).is_err() {
                        break; // indexing stopped on an error
                    }
                }
            });
            let mut fresh: HashMap<String, Result<String, String>> = HashMap::new();
            for (doc, entry) in docs.iter().zip(entries) {
                let Some(mut entry) = entry else {
                    index.remove(&doc.hash)?;
                    progress.advance(1);
                    continue;
                };
                let mut text = fresh.remove(&doc.hash);
                while text.is_none() && queued.contains(doc.hash.as_str()) {
                    let Ok(batch) = rx.recv() else {
                        break;
                    };
                    store.put_texts(&batch)?;
                    fresh.extend(batch);
                    text = fresh.remove(&doc.hash);
                }
                let text = match text {
                    Some(t) => t,
                    // Kept before (or, should the extraction thread have
                    // died, extracted now).
                    None => kept_or_extract(extractor, store, doc)?,
                };
                // A document whose text could not be extracted is still
                // findable by its file name and filters.
                entry.text = text.unwrap_or_default();
                index.upsert(&entry)?;
                progress.advance(1);
            }
            Ok(())
        })
    }

    /// Whether a document's text is searchable, extracting it now (and
    /// keeping it) when no extraction is kept — as after the derived state
    /// was rebuilt from scratch, while the index still holds the text. So
    /// the answer agrees with what [`Archive::search`] finds.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub fn searchable(
        &self,
        store: &Store,
        doc: &DocumentEntry,
    ) -> Result<Searchable, ArchiveError> {
        Ok(match self.text(store, doc)? {
            Ok(text) => Searchable::Yes(text.chars().count()),
            Err(why) => Searchable::No(why),
        })
    }

    /// The document's text: kept from an earlier extraction, or extracted
    /// now in the sandboxed child (and kept).
    ///
    /// # Errors
    ///
    /// When the store fails; an extraction failure is `Ok(Err(reason))`.
    pub fn text(
        &self,
        store: &Store,
        doc: &DocumentEntry,
    ) -> Result<Result<String, String>, ArchiveError> {
        kept_or_extract(&self.extractor, store, doc)
    }

    /// Searches.
    ///
    /// # Errors
    ///
    /// For a malformed query (the message quotes it) or an index failure.
    pub fn search(&self, query: &Query) -> Result<SearchResults, ArchiveError> {
        Ok(self.index.search(query)?)
    }
}

/// Most documents one extraction child is given.
const BATCH_DOCS: usize = 64;

/// Most bytes of documents one extraction child is given (a larger
/// document gets a child of its own): the texts of a batch are held in
/// memory until the batch is done.
const BATCH_BYTES: u64 = 8 * 1024 * 1024;

/// A document whose text is to be extracted.
struct Job {
    hash: String,
    path: PathBuf,
    media_type: String,
    size: u64,
}

/// `jobs` cut into batches of at most [`BATCH_DOCS`] documents and
/// [`BATCH_BYTES`] bytes (or one larger document), in order.
fn batches(jobs: Vec<Job>) -> Vec<Vec<Job>> {
    let mut out: Vec<Vec<Job>> = Vec::new();
    let mut bytes = 0u64;
    for job in jobs {
        match out.last_mut() {
            Some(batch)
                if batch.len() < BATCH_DOCS && bytes.saturating_add(job.size) <= BATCH_BYTES =>
            {
                bytes += job.size;
                batch.push(job);
            }
            _ => {
                bytes = job.size;
                out.push(vec![job]);
            }
        }
    }
    out
}

/// Extracts a batch in sandboxed children: each document's hash with its
/// text or why there is none.
fn extract_batch(extractor: &Extractor, batch: &[Job]) -> Vec<(String, Result<String, String>)> {
    let jobs: Vec<(&Path, &str)> = batch
        .iter()
        .map(|j| (j.path.as_path(), j.media_type.as_str()))
        .collect();
    let results = entitle_extract::extract_batch_in_child(&extractor.exe, &jobs, &extractor.limits);
    batch
        .iter()
        .zip(results)
        .map(|(job, r)| (job.hash.clone(), r.map_err(|e| e.to_string())))
        .collect()
}

/// The document's kept text, or its text extracted now in a sandboxed
/// child (and kept).
fn kept_or_extract(
    extractor: &Extractor,
    store: &Store,
    doc: &DocumentEntry,
) -> Result<Result<String, String>, ArchiveError> {
    if let Some(kept) = store.text(&doc.hash)? {
        return Ok(kept);
    }
    let path = store.blobs().path_of(&doc.hash);
    let result = if entitle_extract::is_supported(&doc.media_type) {
        entitle_extract::extract_in_child(&extractor.exe, &path, &doc.media_type, &extractor.limits)
            .map_err(|e| e.to_string())
    } else {
        Err(no_extraction(&doc.media_type))
    };
    store.put_text(&doc.hash, &result)?;
    Ok(result)
}

fn no_extraction(media_type: &str) -> String {
    format!("no text extraction for {media_type}")
}

/// Whether a document's kept text makes it searchable.
///
/// # Errors
///
/// When the store fails.
pub fn searchable(store: &Store, hash: &str) -> Result<Option<Searchable>, StoreError> {
    Ok(store.text(hash)?.map(|t| match t {
        Ok(text) => Searchable::Yes(text.chars().count()),
        Err(why) => Searchable::No(why),
    }))
}

/// The index entry of a document as the log stands: its counted bindings'
/// licenses, vendors and products; `None` when no binding counts. For many
/// documents, use [`index_doc_with`].
///
/// # Errors
///
/// When the store fails.
pub fn index_doc(store: &Store, doc: &DocumentEntry) -> Result<Option<IndexDoc>, StoreError> {
    index_doc_with(store, doc, &mut Terms::default())
}

/// Each license's vendor and product, as far as looked up by
/// [`index_doc_with`]: a license's timeline holds every event about it, its
/// documents' too, so decoding it once per document made indexing (and
/// listing) many documents of one license quadratic.
pub type Terms = HashMap<String, Option<(String, String)>>;

/// [`index_doc`], with each license's terms looked up once per `terms`.
///
/// # Errors
///
/// When the store fails.
pub fn index_doc_with(
    store: &Store,
    doc: &DocumentEntry,
    terms: &mut Terms,
) -> Result<Option<IndexDoc>, StoreError> {
    let head = store.applied().head.seq;
    let mut licenses = BTreeSet::new();
    let mut vendors = BTreeSet::new();
    let mut products = BTreeSet::new();
    let mut first = None;
    for a in doc.counted(head) {
        first.get_or_insert(a);
        if let Some(id) = &a.license {
            licenses.insert(id.clone());
            if !terms.contains_key(id) {
                let found = store.timeline(id)?.and_then(|t| {
                    t.purchase()
                        .map(|(_, p)| (p.vendor.clone(), p.product.clone()))
                });
                terms.insert(id.clone(), found);
            }
            if let Some(Some((vendor, product))) = terms.get(id) {
                vendors.insert(vendor.clone());
                products.insert(product.clone());
            }
        }
        if let Some(v) = &a.vendor {
            vendors.insert(v.clone());
        }
    }
    Ok(first.map(|a| IndexDoc {
        hash: doc.hash.clone(),
        filename: a.filename.clone(),
        kind: a.kind.clone(),
        text: String::new(),
        license_ids: licenses.into_iter().collect(),
        vendors: vendors.into_iter().collect(),
        products: products.into_iter().collect(),
    }))
}

/// Reads a stored document's exact bytes into `out`.
///
/// # Errors
///
/// When the blob is missing or cannot be read.
pub fn copy_document(
    store: &Store,
    hash: &str,
    out: &mut dyn std::io::Write,
) -> Result<u64, StoreError> {
    let path = store.blobs().path_of(hash);
    let mut f = File::open(&path).map_err(|source| StoreError::Io {
        path: path.clone(),
        source,
    })?;
    std::io::copy(&mut f, out).map_err(|source| StoreError::Io {
        path: Path::new("<output>").to_owned(),
        source,
    })
}
