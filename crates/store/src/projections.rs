//! Derived state in sled: per-license timelines, per-product usage series,
//! what each seq was, each record's digest, and how far the log is applied.
//!
//! Values are postcard. Nothing here is truth: any of it can be deleted and
//! rebuilt from the log, and comes back identical.

use std::path::{Path, PathBuf};

use entitle_core::chain::Hash32;
use entitle_core::inventory::HostTimeline;
use entitle_core::ledger::{Backing, BackingError, Changes, Head, UsageYear};
use entitle_core::timeline::{
    DocumentEntry, EventMeta, LicenseTimeline, Target, UsageSeries, Year,
};
use entitle_core::ProductKey;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::StoreError;

/// Version of the layout of the derived state. A different one is rebuilt.
const SCHEMA: u32 = 8;
/// Digests per chunk in the `digests` tree, and seq entries per chunk in
/// the `events` tree: a million events are a thousand values, not a
/// million keys (sled opens and writes far faster that way).
pub(crate) const DIGEST_CHUNK: u64 = 1024;
const SEQ_CHUNK: u64 = DIGEST_CHUNK;

/// How far the derived state covers the log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// Log bytes covered (always at a line boundary).
    pub offset: u64,
    /// Chain hash at `head.seq`.
    pub head_hash: Hash32,
    /// Digest of the record at `head.seq`.
    pub head_digest: Hash32,
    /// Last seq, its time, purchase count.
    pub head: Head,
}

/// Written and flushed before a write touches the log, so that on open a
/// log tail beyond [`Applied`] can be told apart: the remains of an
/// interrupted write of ours, or bytes that entitle did not write.
///
/// A write small enough to be held in memory records a *sealed* intent
/// (its end, last seq and chain head are known) just before its one log
/// append. A larger one streams: it first records an *open* intent, then
/// writes the log and the derived state chunk by chunk (`spilled`), and
/// seals the intent before the final chunk and the one fsync. An open
/// intent found on open means the write never finished: its bytes are cut
/// off and, as the derived state may hold some of them, it is rebuilt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    /// Log length before the write.
    pub offset_before: u64,
    /// Log length after it (0 while open).
    pub offset_after: u64,
    /// First seq written.
    pub from_seq: u64,
    /// Last seq written (0 while open).
    pub to_seq: u64,
    /// Chain hash after the last (zero while open).
    pub head_hash: Hash32,
    /// Whether the end is not yet known.
    pub open: bool,
    /// Whether derived state was already written for part of the write.
    pub spilled: bool,
}

/// Where one seq's record is in the log, and what it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqEntry {
    /// What it was and touched.
    pub meta: EventMeta,
    /// Byte offset of the line.
    pub offset: u64,
    /// Record length without the line feed.
    pub len: u32,
}

/// A new record's place in the log.
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    pub seq: u64,
    pub offset: u64,
    pub len: u32,
    pub digest: Hash32,
}

impl Placed {
    /// Record `seq`, `bytes` long (without its line feed), at `offset`.
    pub(crate) fn new(seq: u64, offset: u64, bytes: usize, digest: Hash32) -> Self {
        Placed {
            seq,
            offset,
            len: u32::try_from(bytes).unwrap_or(u32::MAX),
            digest,
        }
    }
}

/// The sled database and its trees.
#[derive(Debug)]
struct Trees {
    db: sled::Db,
    licenses: sled::Tree,
    usage: sled::Tree,
    events: sled::Tree,
    digests: sled::Tree,
    documents: sled::Tree,
    doc_events: sled::Tree,
    texts: sled::Tree,
    /// BLAKE3 of an imported file → the first event that named it.
    imports: sled::Tree,
    /// Folded host name → the host's timeline (installations, facts).
    hosts: sled::Tree,
}

/// sled keeps every page written in memory until the database is closed,
/// whatever its cache capacity (a write-only workload never evicts). A
/// long write therefore reopens the database after this many bytes, so
/// that its memory stays bounded.
const REOPEN_AFTER_BYTES: u64 = 24 << 20;

/// Keys per sled batch when many values are written at once.
const SLED_BATCH_KEYS: usize = 256;

/// What sled keeps in memory for each key written besides its value (a
/// copy of its leaf), as counted towards [`REOPEN_AFTER_BYTES`].
const LEAF_COPY_BYTES: usize = 1024;

/// The derived state: the sled database, reopenable in place.
#[derive(Debug)]
pub(crate) struct Projections {
    path: PathBuf,
    /// `None` only when a reopen failed.
    trees: std::sync::RwLock<Option<std::sync::Arc<Trees>>>,
    /// Bytes written since the database was opened.
    written: std::sync::atomic::AtomicU64,
    /// The last `events` chunk decoded.
    chunk_cache: std::sync::Mutex<Option<(u64, std::sync::Arc<Vec<SeqEntry>>)>>,
}

fn derived(path: &Path, what: impl std::fmt::Display) -> StoreError {
    StoreError::Derived {
        path: path.to_owned(),
        what: what.to_string(),
    }
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).expect("derived state always encodes")
}

fn decode<T: DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| derived(path, format!("undecodable value: {e}")))
}

/// The key of one year of a usage series in the `usage` tree: vendor,
/// product and metric, each with its zero bytes escaped (`00 FF`) and
/// ended by `00 01`, then the year's number as four big-endian bytes. So
/// no series' prefix is the prefix of another's (names may hold any
/// character), and a series' years sort together, oldest first.
pub(crate) fn usage_key(key: &ProductKey, year: Year) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.vendor.len() + key.product.len() + 18);
    for part in [
        key.vendor.as_bytes(),
        key.product.as_bytes(),
        key.metric.as_str().as_bytes(),
    ] {
        for &b in part {
            k.push(b);
            if b == 0 {
                k.push(0xFF);
            }
        }
        k.extend_from_slice(&[0, 1]);
    }
    k.extend_from_slice(&year.number().to_be_bytes());
    k
}

/// A `usage` key's series prefix and year.
fn split_usage_key(key: &[u8]) -> Option<(&[u8], Year)> {
    let at = key.len().checked_sub(4)?;
    let year = u32::from_be_bytes(key[at..].try_into().ok()?);
    Some((&key[..at], Year::from_number(year)))
}

/// Opens the database, waiting up to a second for its file lock: sled's
/// background thread may hold it a moment after the last handle of the
/// previous opening (ours, or an entitle process that just ended) is gone.
fn open_trees(path: &Path) -> Result<Trees, StoreError> {
    let mut tries = 0;
    loop {
        match open_trees_once(path) {
            Err(StoreError::Io { source, .. })
                if tries < 100 && source.to_string().contains("could not acquire lock") =>
            {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

fn open_trees_once(path: &Path) -> Result<Trees, StoreError> {
    let db = sled::Config::new()
        .path(path)
        .cache_capacity(64 << 20)
        .mode(sled::Mode::HighThroughput)
        .open()
        .map_err(|e| match e {
            // An I/O failure (permissions, a full disk, a lock still
            // held) is not damage: report it rather than rebuild.
            sled::Error::Io(source) => StoreError::Io {
                path: path.to_owned(),
                source,
            },
            other => derived(path, other),
        })?;
    let open_tree = |name: &str| db.open_tree(name).map_err(|e| derived(path, e));
    Ok(Trees {
        licenses: open_tree("licenses")?,
        usage: open_tree("usage")?,
        events: open_tree("events")?,
        digests: open_tree("digests")?,
        documents: open_tree("documents")?,
        doc_events: open_tree("doc_events")?,
        texts: open_tree("texts")?,
        imports: open_tree("imports")?,
        hosts: open_tree("hosts")?,
        db,
    })
}

impl Projections {
    /// Opens the database; `Ok(None)` when it is missing, of another schema,
    /// or does not open (the caller then rebuilds).
    pub(crate) fn open(path: &Path) -> Result<(Self, bool), StoreError> {
        let fresh = !path.exists();
        let trees = open_trees(path)?;
        let schema_ok = match trees.db.get("schema").map_err(|e| derived(path, e))? {
            Some(v) => v.as_ref() == SCHEMA.to_be_bytes(),
            None => false,
        };
        let p = Projections {
            path: path.to_owned(),
            trees: std::sync::RwLock::new(Some(std::sync::Arc::new(trees))),
            written: std::sync::atomic::AtomicU64::new(0),
            chunk_cache: std::sync::Mutex::new(None),
        };
        Ok((p, fresh || !schema_ok))
    }

    fn trees(&self) -> Result<std::sync::Arc<Trees>, StoreError> {
        self.trees
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or_else(|| derived(&self.path, "the database could not be reopened"))
    }

    /// Flushes and reopens the database when a long write has written
    /// enough since it was opened (see [`REOPEN_AFTER_BYTES`]).
    pub(crate) fn relieve(&self) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering;
        if self.written.load(Ordering::Relaxed) < REOPEN_AFTER_BYTES {
            return Ok(());
        }
        self.flush()?;
        let mut slot = self
            .trees
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Every other handle is dropped by now: queries do not run during
        // a write, and each call takes its handle only for its duration.
        *slot = None;
        self.forget_chunk();
        *slot = Some(std::sync::Arc::new(open_trees(&self.path)?));
        self.written.store(0, Ordering::Relaxed);
        Ok(())
    }

    /// Empties every tree derived from the log and stamps the schema (start
    /// of a rebuild). Extracted texts are kept: they derive from the
    /// documents' bytes, not from the log, and are keyed by content.
    pub(crate) fn clear(&self) -> Result<(), StoreError> {
        for tree in [
            &self.trees()?.licenses,
            &self.trees()?.usage,
            &self.trees()?.events,
            &self.trees()?.digests,
            &self.trees()?.documents,
            &self.trees()?.doc_events,
            &self.trees()?.imports,
            &self.trees()?.hosts,
        ] {
            tree.clear().map_err(|e| derived(&self.path, e))?;
        }
        self.forget_chunk();
        self.trees()?
            .db
            .clear()
            .map_err(|e| derived(&self.path, e))?;
        self.trees()?
            .db
            .insert("schema", &SCHEMA.to_be_bytes())
            .map_err(|e| derived(&self.path, e))?;
        Ok(())
    }

    fn get<T: DeserializeOwned>(
        &self,
        tree: &sled::Tree,
        key: &[u8],
    ) -> Result<Option<T>, StoreError> {
        match tree.get(key).map_err(|e| derived(&self.path, e))? {
            Some(v) => decode(&self.path, &v).map(Some),
            None => Ok(None),
        }
    }

    /// The sled directory.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn applied(&self) -> Result<Option<Applied>, StoreError> {
        let db: &sled::Tree = &self.trees()?.db;
        self.get(db, b"applied")
    }

    pub(crate) fn intent(&self) -> Result<Option<Intent>, StoreError> {
        let db: &sled::Tree = &self.trees()?.db;
        self.get(db, b"intent")
    }

    pub(crate) fn set_intent(&self, intent: &Intent) -> Result<(), StoreError> {
        self.trees()?
            .db
            .insert("intent", encode(intent))
            .map_err(|e| derived(&self.path, e))?;
        self.flush()
    }

    pub(crate) fn clear_intent(&self) -> Result<(), StoreError> {
        self.trees()?
            .db
            .remove("intent")
            .map_err(|e| derived(&self.path, e))?;
        Ok(())
    }

    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        self.trees()?
            .db
            .flush()
            .map_err(|e| derived(&self.path, e))?;
        Ok(())
    }

    /// One seq's entry.
    pub(crate) fn seq_entry(&self, seq: u64) -> Result<Option<SeqEntry>, StoreError> {
        if seq == 0 {
            return Ok(None);
        }
        let chunk = self.seq_chunk((seq - 1) / SEQ_CHUNK)?;
        let i = usize::try_from((seq - 1) % SEQ_CHUNK).expect("fits");
        Ok(chunk.get(i).filter(|e| e.meta.seq == seq).cloned())
    }

    fn seq_chunk(&self, chunk: u64) -> Result<std::sync::Arc<Vec<SeqEntry>>, StoreError> {
        let mut cache = self
            .chunk_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((c, entries)) = cache.as_ref() {
            if *c == chunk {
                return Ok(entries.clone());
            }
        }
        let entries: Vec<SeqEntry> = self
            .get(&self.trees()?.events, &chunk.to_be_bytes())?
            .unwrap_or_default();
        let entries = std::sync::Arc::new(entries);
        *cache = Some((chunk, entries.clone()));
        Ok(entries)
    }

    fn forget_chunk(&self) {
        *self
            .chunk_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The stored digests from `seq` on, one chunk at a time.
    pub(crate) fn digest_chunk(&self, chunk: u64) -> Result<Vec<Hash32>, StoreError> {
        let bytes = self
            .trees()?
            .digests
            .get(chunk.to_be_bytes())
            .map_err(|e| derived(&self.path, e))?;
        Ok(bytes
            .map(|b| {
                b.chunks_exact(32)
                    .map(|c| <Hash32>::try_from(c).expect("32-byte chunks"))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Every host timeline, in folded-name order.
    pub(crate) fn hosts(
        &self,
    ) -> Result<impl Iterator<Item = Result<HostTimeline, StoreError>> + '_, StoreError> {
        Ok(self.trees()?.hosts.iter().values().map(|v| {
            let v = v.map_err(|e| derived(&self.path, e))?;
            decode(&self.path, &v)
        }))
    }

    /// One host by folded name.
    pub(crate) fn host(&self, key: &str) -> Result<Option<HostTimeline>, StoreError> {
        self.get(&self.trees()?.hosts, key.as_bytes())
    }

    /// Every license timeline, in id order.
    pub(crate) fn licenses(
        &self,
    ) -> Result<impl Iterator<Item = Result<LicenseTimeline, StoreError>> + '_, StoreError> {
        Ok(self.trees()?.licenses.iter().values().map(|v| {
            let v = v.map_err(|e| derived(&self.path, e))?;
            decode(&self.path, &v)
        }))
    }

    /// Every stored year of usage in key order (a series' years together,
    /// oldest first), each with whether it starts another series.
    pub(crate) fn usage_years(
        &self,
        mut each: impl FnMut(bool, Year, sled::IVec) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut prefix: Vec<u8> = Vec::new();
        for item in self.trees()?.usage.iter() {
            let (k, v) = item.map_err(|e| derived(&self.path, e))?;
            let (series, year) =
                split_usage_key(&k).ok_or_else(|| derived(&self.path, "usage key cut off"))?;
            let first = series != prefix.as_slice();
            if first {
                prefix = series.to_vec();
            }
            each(first, year, v)?;
        }
        Ok(())
    }

    /// Every usage series, whole (its years joined), in key order.
    pub(crate) fn usage_series(&self) -> Result<Vec<UsageSeries>, StoreError> {
        let mut out: Vec<UsageSeries> = Vec::new();
        self.usage_years(|first, _, v| {
            let year = crate::usage_codec::decode(&v).map_err(|e| derived(&self.path, e))?;
            match out.last_mut() {
                Some(whole) if !first => whole.extend_with(&year),
                _ => out.push(year),
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Every usage series with only its latest counted entry on `as_of` as
    /// known at `known`, and the series without one left out: what the
    /// position needs. One pass over the keys (cheaper in sled than a seek
    /// per product); of each series it decodes the years up to `as_of`
    /// newest first, usually just one.
    pub(crate) fn usage_latest(
        &self,
        as_of: jiff::civil::Date,
        known: u64,
    ) -> Result<Vec<UsageSeries>, StoreError> {
        let upto = Year::of(as_of);
        let mut out = Vec::new();
        // The current series' years up to `as_of`, oldest first.
        let mut years: Vec<sled::IVec> = Vec::new();
        let mut latest = |years: &mut Vec<sled::IVec>| {
            out.extend(self.latest_in_years(years.iter(), as_of, known)?);
            years.clear();
            Ok::<_, StoreError>(())
        };
        self.usage_years(|first, year, v| {
            if first {
                latest(&mut years)?;
            }
            if year <= upto {
                years.push(v);
            }
            Ok(())
        })?;
        latest(&mut years)?;
        Ok(out)
    }

    /// The latest counted entry on `as_of` as known at `known` in a
    /// series' years up to `as_of` (oldest first), decoding them newest
    /// first until one has it; `None` when none has.
    pub(crate) fn latest_in_years<'a>(
        &self,
        years: impl DoubleEndedIterator<Item = &'a sled::IVec>,
        as_of: jiff::civil::Date,
        known: u64,
    ) -> Result<Option<UsageSeries>, StoreError> {
        for v in years.rev() {
            let s = crate::usage_codec::decode_latest(v, as_of, known)
                .map_err(|e| derived(&self.path, e))?;
            if !s.entries.is_empty() {
                return Ok(Some(s));
            }
        }
        Ok(None)
    }

    /// The first event that names an imported file's BLAKE3 (hex).
    pub(crate) fn imported(&self, hash: &str) -> Result<Option<u64>, StoreError> {
        let trees = self.trees()?;
        let value = trees
            .imports
            .get(hash.as_bytes())
            .map_err(|e| derived(&self.path, e))?;
        Ok(value.and_then(|v| Some(u64::from_be_bytes(v.as_ref().try_into().ok()?))))
    }

    /// One license.
    pub(crate) fn license(&self, id: &str) -> Result<Option<LicenseTimeline>, StoreError> {
        self.get(&self.trees()?.licenses, id.as_bytes())
    }

    /// Writes what a batch changed and, with `applied`, moves [`Applied`]
    /// forward and removes the intent. Trees are written before `applied`,
    /// so a crash in between leaves `applied` behind and the tail is
    /// replayed (applying is idempotent). Without `applied` (a chunk of a
    /// larger write) only the trees are written.
    pub(crate) fn write(
        &self,
        changes: &Changes,
        placed: &[Placed],
        applied: Option<&Applied>,
    ) -> Result<(), StoreError> {
        let err = |e: sled::Error| derived(&self.path, e);
        self.write_usage(&changes.usage)?;
        self.merge_usage(&changes.usage_appends, &changes.usage_voids)?;
        let trees = self.trees()?;
        let mut size = 0usize;
        let mut licenses = sled::Batch::default();
        for t in &changes.licenses {
            let value = encode(t);
            size += value.len();
            licenses.insert(t.id.as_bytes(), value);
        }
        trees.licenses.apply_batch(licenses).map_err(err)?;
        let mut hosts = sled::Batch::default();
        for t in &changes.hosts {
            let value = encode(t);
            size += value.len();
            hosts.insert(t.key.as_bytes(), value);
        }
        trees.hosts.apply_batch(hosts).map_err(err)?;

        let first_new = placed.first().map_or(u64::MAX, |p| p.seq);
        let mut by_chunk: std::collections::BTreeMap<u64, Vec<SeqEntry>> =
            std::collections::BTreeMap::new();
        for meta in &changes.events {
            let entry = if meta.seq >= first_new {
                let p = &placed[usize::try_from(meta.seq - first_new).expect("fits")];
                SeqEntry {
                    meta: meta.clone(),
                    offset: p.offset,
                    len: p.len,
                }
            } else {
                let Some(mut old) = self.seq_entry(meta.seq)? else {
                    continue;
                };
                old.meta = meta.clone();
                old
            };
            by_chunk
                .entry((meta.seq - 1) / SEQ_CHUNK)
                .or_default()
                .push(entry);
        }
        let mut events = sled::Batch::default();
        for (chunk, mut updates) in by_chunk {
            updates.sort_by_key(|e| e.meta.seq);
            let mut entries = (*self.seq_chunk(chunk)?).clone();
            for e in updates {
                let i = usize::try_from((e.meta.seq - 1) % SEQ_CHUNK).expect("fits");
                if i < entries.len() {
                    entries[i] = e;
                } else {
                    entries.push(e);
                }
            }
            let value = encode(&entries);
            size += value.len();
            events.insert(&chunk.to_be_bytes(), value);
        }
        self.forget_chunk();
        trees.events.apply_batch(events).map_err(err)?;

        let mut digests = sled::Batch::default();
        let mut i = 0;
        while i < placed.len() {
            let chunk = (placed[i].seq - 1) / DIGEST_CHUNK;
            let mut bytes = trees
                .digests
                .get(chunk.to_be_bytes())
                .map_err(err)?
                .map(|b| b.to_vec())
                .unwrap_or_default();
            while i < placed.len() && (placed[i].seq - 1) / DIGEST_CHUNK == chunk {
                let at = usize::try_from((placed[i].seq - 1) % DIGEST_CHUNK).expect("fits") * 32;
                bytes.truncate(at);
                bytes.extend_from_slice(&placed[i].digest);
                i += 1;
            }
            size += bytes.len();
            digests.insert(&chunk.to_be_bytes(), bytes);
        }
        trees.digests.apply_batch(digests).map_err(err)?;

        let mut documents = sled::Batch::default();
        for d in &changes.documents {
            documents.insert(d.hash.as_bytes(), encode(d));
        }
        trees.documents.apply_batch(documents).map_err(err)?;
        let mut doc_events = sled::Batch::default();
        for meta in &changes.events {
            if let Target::Document { hash, .. } = &meta.target {
                doc_events.insert(&meta.seq.to_be_bytes(), hash.as_bytes());
                if let Some(v) = meta.voided_by {
                    doc_events.insert(&v.to_be_bytes(), hash.as_bytes());
                }
            }
        }
        trees.doc_events.apply_batch(doc_events).map_err(err)?;
        for (hash, seq) in &changes.imports {
            // The first event that named the file stays (applying again,
            // or a later import of the same file, keeps it).
            let _ = trees
                .imports
                .compare_and_swap(hash.as_bytes(), None::<&[u8]>, Some(&seq.to_be_bytes()[..]))
                .map_err(err)?;
        }

        if let Some(applied) = applied {
            trees.db.insert("applied", encode(applied)).map_err(err)?;
            trees.db.remove("intent").map_err(err)?;
        }
        self.written
            .fetch_add(size as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Writes usage series in small sled batches, reopening the database
    /// as it goes when they are many: sled copies a leaf for every key it
    /// changes and keeps the copies until it is closed, so the 100,000
    /// series a long import extended would otherwise hold hundreds of MB.
    fn write_usage(&self, years: &[(Year, UsageSeries)]) -> Result<(), StoreError> {
        for part in years.chunks(SLED_BATCH_KEYS) {
            let mut batch = sled::Batch::default();
            let mut size = 0;
            for (year, s) in part {
                let value = crate::usage_codec::encode(s);
                size += value.len() + LEAF_COPY_BYTES;
                batch.insert(usage_key(&s.key, *year), value);
            }
            self.trees()?
                .usage
                .apply_batch(batch)
                .map_err(|e| derived(&self.path, e))?;
            self.written
                .fetch_add(size as u64, std::sync::atomic::Ordering::Relaxed);
            self.relieve()?;
        }
        Ok(())
    }

    /// Adds counts to stored years of usage series and voids counts in
    /// them, a year at a time (see `Batch::spill`). Idempotent: counts
    /// already in a year are skipped and a void is kept once.
    fn merge_usage(
        &self,
        appends: &[(Year, UsageSeries)],
        voids: &[(UsageYear, u64, u64)],
    ) -> Result<(), StoreError> {
        if appends.is_empty() && voids.is_empty() {
            return Ok(());
        }
        // Per year: the counts to add and the (count, void) seqs.
        type Merge<'a> = (Option<&'a UsageSeries>, Vec<(u64, u64)>);
        let mut by_year: std::collections::BTreeMap<(&ProductKey, Year), Merge> =
            std::collections::BTreeMap::new();
        for (year, more) in appends {
            by_year.entry((&more.key, *year)).or_default().0 = Some(more);
        }
        for ((key, year), target, by) in voids {
            by_year
                .entry((key, *year))
                .or_default()
                .1
                .push((*target, *by));
        }
        let mut merged = Vec::with_capacity(SLED_BATCH_KEYS);
        let count = by_year.len();
        for (i, ((key, year), (more, voids))) in by_year.into_iter().enumerate() {
            let stored = self
                .trees()?
                .usage
                .get(usage_key(key, year))
                .map_err(|e| derived(&self.path, e))?;
            let series = match (stored, more) {
                (Some(bytes), _) => {
                    Some(crate::usage_codec::decode(&bytes).map_err(|e| derived(&self.path, e))?)
                }
                (None, Some(more)) => Some(UsageSeries {
                    entries: Vec::new(),
                    sources: Vec::new(),
                    last_seq: 0,
                    ..more.clone()
                }),
                (None, None) => None, // a void of a count never stored
            };
            if let Some(mut series) = series {
                if let Some(more) = more {
                    series.absorb(more);
                }
                for (target, by) in voids {
                    if let Some(e) = series.entry_mut(target) {
                        e.voided_by.get_or_insert(by);
                    }
                }
                merged.push((year, series));
            }
            if merged.len() == SLED_BATCH_KEYS || i + 1 == count {
                self.write_usage(&std::mem::take(&mut merged))?;
            }
        }
        Ok(())
    }

    /// The seq whose `recorded_at` is the last one at or before `t`
    /// (0 when none), by binary search over seqs `1..=last`.
    pub(crate) fn seq_known_at(&self, t: jiff::Timestamp, last: u64) -> Result<u64, StoreError> {
        let (mut lo, mut hi) = (0u64, last); // invariant: seq lo is known at t, hi+1 is not
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            let entry = self
                .seq_entry(mid)?
                .ok_or_else(|| derived(&self.path, format!("event #{mid} is missing")))?;
            if entry.meta.recorded_at <= t {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Ok(lo)
    }

    /// One document.
    pub(crate) fn document(&self, hash: &str) -> Result<Option<DocumentEntry>, StoreError> {
        self.get(&self.trees()?.documents, hash.as_bytes())
    }

    /// Every document, in hash order; with a prefix, those whose hash
    /// starts with it.
    pub(crate) fn documents(&self, prefix: &str) -> Result<Vec<DocumentEntry>, StoreError> {
        self.trees()?
            .documents
            .scan_prefix(prefix.as_bytes())
            .values()
            .map(|v| {
                let v = v.map_err(|e| derived(&self.path, e))?;
                decode(&self.path, &v)
            })
            .collect()
    }

    /// Hashes of documents bound or unbound by events after `seq`.
    pub(crate) fn documents_touched_after(&self, seq: u64) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for item in self.trees()?.doc_events.range((seq + 1).to_be_bytes()..) {
            let (_, hash) = item.map_err(|e| derived(&self.path, e))?;
            out.push(String::from_utf8_lossy(&hash).into_owned());
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Extracted text of a document, or why there is none.
    pub(crate) fn text(&self, hash: &str) -> Result<Option<Result<String, String>>, StoreError> {
        self.get(&self.trees()?.texts, hash.as_bytes())
    }

    /// Keeps a document's extracted text (or why it could not be had).
    pub(crate) fn put_text(
        &self,
        hash: &str,
        text: &Result<String, String>,
    ) -> Result<(), StoreError> {
        self.trees()?
            .texts
            .insert(hash.as_bytes(), encode(text))
            .map_err(|e| derived(&self.path, e))?;
        Ok(())
    }

    pub(crate) fn size_on_disk(&self) -> u64 {
        self.trees()
            .ok()
            .and_then(|t| t.db.size_on_disk().ok())
            .unwrap_or(0)
    }
}

impl Backing for Projections {
    fn license(&self, id: &str) -> Result<Option<LicenseTimeline>, BackingError> {
        Projections::license(self, id).map_err(|e| BackingError(e.to_string()))
    }

    fn usage(&self, key: &ProductKey, year: Year) -> Result<Option<UsageSeries>, BackingError> {
        let bytes = self
            .trees()
            .map_err(|e| BackingError(e.to_string()))?
            .usage
            .get(usage_key(key, year))
            .map_err(|e| BackingError(e.to_string()))?;
        bytes
            .map(|b| crate::usage_codec::decode(&b))
            .transpose()
            .map_err(BackingError)
    }

    fn event(&self, seq: u64) -> Result<Option<EventMeta>, BackingError> {
        self.seq_entry(seq)
            .map(|e| e.map(|e| e.meta))
            .map_err(|e| BackingError(e.to_string()))
    }

    fn document(&self, hash: &str) -> Result<Option<DocumentEntry>, BackingError> {
        Projections::document(self, hash).map_err(|e| BackingError(e.to_string()))
    }

    fn host(&self, key: &str) -> Result<Option<HostTimeline>, BackingError> {
        Projections::host(self, key).map_err(|e| BackingError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entitle_core::Metric;

    #[test]
    fn usage_keys_keep_names_with_zero_bytes_apart_and_years_in_order() {
        let d = |s: &str| Year::of(s.parse().expect("date"));
        let a = ProductKey::new("X\0Y", "Z", Metric::User);
        let b = ProductKey::new("X", "Y\0Z", Metric::User);
        let (y2023, y2024) = (d("2023-12-31"), d("2024-01-01"));
        assert_eq!(d("2024-01-01"), d("2024-12-31"));
        assert_ne!(usage_key(&a, y2024), usage_key(&b, y2024));
        let (key_a, key_b) = (usage_key(&a, y2024), usage_key(&b, y2024));
        let (prefix_a, _) = split_usage_key(&key_a).unwrap();
        let (prefix_b, _) = split_usage_key(&key_b).unwrap();
        assert!(!prefix_a.starts_with(prefix_b) && !prefix_b.starts_with(prefix_a));
        assert!(usage_key(&a, y2023) < usage_key(&a, y2024));
        let y = |n: i16| Year::of(jiff::civil::date(n, 6, 1));
        assert!(y(-9999) < y(-1) && y(-1) < y(0) && y(0) < y(9999));
        assert_eq!(split_usage_key(&usage_key(&b, y2024)).unwrap().1, y2024);
        // Every year of one series sorts before any year of the next.
        let c = ProductKey::new("X", "Y", Metric::User);
        let (lo, hi) = if usage_key(&b, y2024) < usage_key(&c, y2024) {
            (&b, &c)
        } else {
            (&c, &b)
        };
        assert!(usage_key(lo, Year::from_number(u32::MAX)) < usage_key(hi, Year::from_number(0)));
    }
}
