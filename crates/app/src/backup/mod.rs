//! Off-site, write-once copies of a store: `entitle backup DEST`,
//! `backup verify SRC`, `restore SRC DIR`, `verify --against SRC`.
//!
//! A copy holds the committed log as segments named by their seq range,
//! each blob once under its hash, lists of the blobs, the files kept
//! beside the log, and per backup a signed manifest written last. Nothing
//! in it is ever replaced or deleted; a backup cut short leaves the last
//! manifest valid, and the next one reuses every object already complete.
//! The layout is versioned in `docs/FORMAT.md`, "Backup copies".

pub mod dest;
pub mod manifest;
pub mod replicate;
pub mod s3;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use entitle_core::chain::{self, Chain};
use entitle_pack::TrustedSigner;
use entitle_store::Store;
use serde::{Deserialize, Serialize};

use self::dest::{Body, Created, Dest, DirDest, Lock, Retention};
use self::manifest::{BlobList, KeptFile, Manifest, Segment};
use crate::config::BackupSection;
use crate::error::{Error, ErrorKind, Result};
use crate::progress::{Progress, Unit};

/// The largest segment a backup writes (segments end at an event).
pub const SEGMENT_BYTES: u64 = 64 << 20;

/// Opens the destination `dest`: `s3://bucket/prefix`, else a directory.
///
/// # Errors
///
/// For an S3 address without a bucket or endpoint, or bad credentials
/// settings (field `dest`).
pub fn open_dest(dest: &str, settings: &BackupSection) -> Result<Box<dyn Dest>> {
    if let Some(rest) = dest.strip_prefix("s3://") {
        return Ok(Box::new(s3::S3Dest::open(dest, rest, settings)?));
    }
    if dest.trim().is_empty() {
        return Err(Error::missing(
            "dest",
            "must be a directory or s3://bucket/prefix",
        ));
    }
    Ok(Box::new(DirDest::new(PathBuf::from(dest))))
}

/// `entitle backup DEST`.
#[derive(Debug, Clone)]
pub struct BackupRequest {
    /// Days every object is retained under Object Lock (default 3650).
    pub retain_days: Option<String>,
    /// `compliance` or `governance` (default compliance).
    pub lock_mode: Option<String>,
    /// Copy the private signing key too.
    pub include_key: bool,
}

/// What a backup uploaded.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Uploaded {
    /// New segment objects.
    pub segments: u64,
    /// New blob objects.
    pub blobs: u64,
    /// New blob lists, kept files and the manifest.
    pub other: u64,
    /// All new objects.
    pub objects: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// What `entitle backup` did (its `--json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupReport {
    /// The destination.
    pub dest: String,
    /// The last seq the copy holds now.
    pub seq: u64,
    /// The chain hash at `seq`.
    pub head: String,
    /// The manifest written, or none when the copy was up to date.
    pub manifest: Option<String>,
    /// Whether nothing was new.
    pub up_to_date: bool,
    /// New objects.
    pub uploaded: Uploaded,
    /// Objects a backup cut short had completed, found and reused.
    pub reused: u64,
    /// The destination's Object Lock configuration, in words (never a
    /// claim that it is enforced).
    pub object_lock: String,
    /// The retention objects were written with, if any.
    pub retention: Option<String>,
}

fn lock_words(lock: &Lock) -> String {
    match lock {
        Lock::NotApplicable => "not applicable (a directory)".into(),
        Lock::NotConfigured => {
            "not configured on the bucket: objects are written without retention".into()
        }
        Lock::Unknown(said) => format!(
            "unknown: the server did not say whether the bucket has Object Lock ({said}): objects are written without retention"
        ),
        Lock::Configured(Some(default)) => {
            format!("Object Lock configured on the bucket ({default})")
        }
        Lock::Configured(None) => {
            "Object Lock configured on the bucket (no default retention)".into()
        }
    }
}

fn integrity(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Integrity, message)
}

fn io_err(path: &Path, e: &std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{}: {e}", path.display()))
}

fn hex_of(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// The retention asked for: days and mode, checked.
fn retention(request: &BackupRequest, settings: &BackupSection) -> Result<Retention> {
    let days: u64 = match request.retain_days.as_deref() {
        Some(text) => text.trim().parse().ok().filter(|d| *d > 0).ok_or_else(|| {
            Error::invalid(
                "retain_days",
                text,
                "must be a whole number of days, 1 or more",
            )
        })?,
        None => settings.retain_days.unwrap_or(3650),
    };
    let mode = request
        .lock_mode
        .clone()
        .or_else(|| settings.lock_mode.clone())
        .unwrap_or_else(|| "compliance".into());
    let mode = match mode.trim().to_ascii_lowercase().as_str() {
        "compliance" => "COMPLIANCE",
        "governance" => "GOVERNANCE",
        _ => {
            return Err(Error::invalid(
                "lock_mode",
                mode,
                "must be compliance or governance",
            ))
        }
    };
    let hours = i64::try_from(days.min(36_500) * 24).unwrap_or(i64::MAX);
    let until = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(hours))
        .map_err(|_| Error::invalid("retain_days", days.to_string(), "is too large"))?
        .round(jiff::Unit::Second)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    Ok(Retention {
        mode: mode.into(),
        until: until.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    })
}

/// A manifest found in a copy: its object name, its signed line, the
/// line parsed, and its signature.
type FoundManifest = (String, Vec<u8>, Manifest, String);

/// The latest manifest of a copy (by name), parsed, with its object name.
fn latest_manifest(
    dest: &dyn Dest,
    listing: &BTreeMap<String, u64>,
) -> Result<Option<FoundManifest>> {
    let Some(name) = listing
        .keys()
        .rfind(|k| k.starts_with("manifests/") && k.ends_with(".manifest"))
    else {
        return Ok(None);
    };
    let bytes = dest.get(name)?.ok_or_else(|| {
        integrity(format!(
            "{}: {name} was listed but cannot be read",
            dest.describe()
        ))
    })?;
    let (line, m, sig) = manifest::parse(&bytes)
        .map_err(|e| integrity(format!("{}: manifest {name}: {e}", dest.describe())))?;
    Ok(Some((name.clone(), line, m, sig)))
}

/// Checks a manifest's signature: against `signer` when given, else
/// against the key the manifest names (which shows only that it was not
/// changed since someone with that key signed it).
fn check_signature(
    line: &[u8],
    m: &Manifest,
    sig: &str,
    signer: Option<&TrustedSigner>,
) -> std::result::Result<String, String> {
    let own;
    let trusted = match signer {
        Some(s) => s,
        None => {
            own =
                TrustedSigner::parse(&m.public_key).map_err(|e| format!("its public_key: {e}"))?;
            &own
        }
    };
    entitle_pack::verify_by(trusted, &m.store_id, manifest::NAMESPACE, sig, line)
        .map(|v| v.fingerprint)
        .map_err(|e| e.to_string())
}

/// The blobs in `blobs/` (two hex digits, then the other 62).
fn local_blobs(root: &Path) -> Result<Vec<(String, PathBuf, u64)>> {
    let mut out = Vec::new();
    let Ok(dirs) = fs::read_dir(root) else {
        return Ok(out);
    };
    for d in dirs {
        let d = d.map_err(|e| io_err(root, &e))?;
        let prefix = d.file_name().to_string_lossy().into_owned();
        if prefix.len() != 2 || !d.path().is_dir() {
            continue;
        }
        for f in fs::read_dir(d.path()).map_err(|e| io_err(&d.path(), &e))? {
            let f = f.map_err(|e| io_err(&d.path(), &e))?;
            let rest = f.file_name().to_string_lossy().into_owned();
            let hash = format!("{prefix}{rest}");
            if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                let len = f.metadata().map_err(|e| io_err(&f.path(), &e))?.len();
                out.push((hash, f.path(), len));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// BLAKE3 of a file.
/// Documents sent at once: each request waits on the network and the
/// server's disk far more than on this machine, so a few in flight copy
/// many small documents several times faster than one after the other.
const BLOBS_AT_ONCE: usize = 4;

/// Sends documents (hash, file, size) to `dest`, [`BLOBS_AT_ONCE`] at a
/// time, each re-hashed first (a document altered on disk is refused, not
/// copied); what each created, in order. The progress is reported from
/// the calling thread, as [`Progress`] asks. The first failure stops the
/// others before their next document and is returned; what was sent stays
/// (a later backup finds it and does not send it again).
fn send_blobs(
    dest: &dyn Dest,
    blobs: &[(&str, &Path, u64)],
    retain: Option<&Retention>,
    progress: &dyn Progress,
) -> Result<Vec<(Created, u64)>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    enum Said {
        Sent(u64),
        Done(usize, Result<Created>),
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut done: Vec<Option<Result<Created>>> = blobs.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel::<Said>();
        for _ in 0..BLOBS_AT_ONCE.min(blobs.len()) {
            let tx = tx.clone();
            let (next, stop) = (&next, &stop);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= blobs.len() || stop.load(Ordering::Relaxed) {
                    break;
                }
                let (hash, path, _) = blobs[i];
                let sent = send_blob(dest, hash, path, retain, &|n| {
                    let _ = tx.send(Said::Sent(n));
                });
                if sent.is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
                let _ = tx.send(Said::Done(i, sent));
            });
        }
        drop(tx);
        for said in rx {
            match said {
                Said::Sent(n) => progress.advance(n),
                Said::Done(i, result) => done[i] = Some(result),
            }
        }
    });
    let mut out = Vec::with_capacity(blobs.len());
    let mut first_error = None;
    for (result, (_, _, len)) in done.into_iter().zip(blobs) {
        match result {
            Some(Ok(created)) => out.push((created, *len)),
            Some(Err(e)) => {
                first_error.get_or_insert(e);
            }
            // Not tried: an earlier failure stopped the sending.
            None => {}
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// One document re-hashed and sent.
fn send_blob(
    dest: &dyn Dest,
    hash: &str,
    path: &Path,
    retain: Option<&Retention>,
    sent: &dyn Fn(u64),
) -> Result<Created> {
    let actual = hash_file(path)?;
    if actual != hash {
        return Err(integrity(format!(
            "document {hash} in {} was altered: its bytes hash to {actual}; nothing of it was copied",
            path.display()
        ))
        .hint_to(crate::Action::Verify, "run {action} to see every damaged document"));
    }
    // The bar moves as each part of a large document is sent.
    dest.create_file(&format!("blobs/{hash}"), path, retain, sent)
}

fn hash_file(path: &Path) -> Result<String> {
    let mut f = fs::File::open(path).map_err(|e| io_err(path, &e))?;
    let mut h = blake3::Hasher::new();
    std::io::copy(&mut f, &mut h).map_err(|e| io_err(path, &e))?;
    Ok(h.finalize().to_hex().to_string())
}

/// Reads the blob lists of a manifest: every blob hash with its size.
fn read_blob_lists(dest: &dyn Dest, m: &Manifest) -> Result<BTreeMap<String, u64>> {
    let mut all = BTreeMap::new();
    for list in &m.blob_lists {
        let bytes = dest.get(&list.name)?.ok_or_else(|| {
            integrity(format!(
                "{}: blob list {} is missing",
                dest.describe(),
                list.name
            ))
        })?;
        check_named_hash(&list.name, &bytes).map_err(integrity)?;
        for (hash, size) in parse_blob_list(&bytes) {
            all.insert(hash, size);
        }
    }
    Ok(all)
}

fn parse_blob_list(bytes: &[u8]) -> Vec<(String, u64)> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|l| {
            let (h, s) = l.split_once(' ')?;
            Some((h.to_owned(), s.parse().ok()?))
        })
        .collect()
}

/// An object named by the BLAKE3 of its bytes (`bloblists/<hash>.txt`,
/// `files/<hash>`) must hash to its name.
fn check_named_hash(name: &str, bytes: &[u8]) -> std::result::Result<(), String> {
    let stem = name.rsplit('/').next().unwrap_or(name);
    let stem = stem.strip_suffix(".txt").unwrap_or(stem);
    let actual = hex_of(bytes);
    if actual == stem {
        Ok(())
    } else {
        Err(format!("{name} was altered: its bytes hash to {actual}"))
    }
}

/// Files kept beside the log that a backup copies.
fn kept_files(store: &Store, include_key: bool) -> Vec<(String, PathBuf)> {
    let root = store.layout().root();
    let mut out = Vec::new();
    let config = root.join(crate::config::FILE_NAME);
    if config.is_file() {
        out.push((crate::config::FILE_NAME.to_owned(), config));
    }
    if include_key {
        let key = store.layout().keys().join(crate::audit::KEY_FILE);
        if key.is_file() {
            out.push((format!("keys/{}", crate::audit::KEY_FILE), key));
        }
    }
    out
}

/// What a backup copies, taken from the open store at one moment: its
/// committed head and where its files are. The copy is then made from
/// these alone, so that a server keeps taking writes while it runs (the
/// log only grows past `end`; blobs are never changed once stored).
pub struct Head {
    key: entitle_pack::StoreKey,
    /// Said once: the store's signing key was created for this backup.
    key_notice: Option<String>,
    store_id: String,
    head_seq: u64,
    head_hash: chain::Hash32,
    /// The log's length at the head.
    end: u64,
    log_path: PathBuf,
    blobs_dir: PathBuf,
    /// The files kept beside the log, by their name in the copy.
    kept: Vec<(String, PathBuf)>,
}

impl std::fmt::Debug for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // (Never the key.)
        f.debug_struct("Head")
            .field("store_id", &self.store_id)
            .field("head_seq", &self.head_seq)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl Head {
    /// The store's committed head now (creating its signing key if it has
    /// none), and the key file too when `include_key`.
    ///
    /// # Errors
    ///
    /// When the signing key cannot be read or created.
    pub fn of(store: &Store, include_key: bool) -> Result<Head> {
        let (key, key_info) = crate::audit::load_key(store)?;
        let applied = store.applied();
        Ok(Head {
            key,
            key_notice: key_info.created_notice(),
            store_id: store.info().store_id.clone(),
            head_seq: applied.head.seq,
            head_hash: applied.head_hash,
            end: applied.offset,
            log_path: store.layout().log(),
            blobs_dir: store.layout().blobs(),
            kept: kept_files(store, include_key),
        })
    }
}

/// Copies what is new in the store's committed log and archive to `dest`,
/// then writes a signed manifest, last.
///
/// # Errors
///
/// When the destination cannot be read or written (the previous manifest
/// stays valid), holds a copy of another store, or a log that the local
/// one does not extend; when a blob does not hash to its name.
pub fn backup(
    store: &Store,
    dest: &dyn Dest,
    request: &BackupRequest,
    settings: &BackupSection,
    progress: &dyn Progress,
) -> Result<BackupReport> {
    let committed = Head::of(store, request.include_key)?;
    backup_committed(&committed, dest, request, settings, progress)
}

/// [`backup`] of a head taken before: the store need not stay open.
///
/// # Errors
///
/// As [`backup`].
#[allow(clippy::too_many_lines)]
pub fn backup_committed(
    committed: &Head,
    dest: &dyn Dest,
    request: &BackupRequest,
    settings: &BackupSection,
    progress: &dyn Progress,
) -> Result<BackupReport> {
    let wanted = retention(request, settings)?;
    let lock = dest.lock()?;
    let retain = matches!(lock, Lock::Configured(_)).then_some(&wanted);
    // Said once, on stderr: a retention asked for that cannot be given,
    // and a status the server would not tell (which no one asked about,
    // but which leaves the copy without write-once protection).
    match &lock {
        Lock::NotConfigured if request.retain_days.is_some() || request.lock_mode.is_some() => {
            progress.notice(&format!(
                "{}: Object Lock is not configured on the bucket, so --retain-days/--lock-mode have no effect; the copy is written without retention",
                dest.describe()
            ));
        }
        Lock::Unknown(said) => progress.notice(&format!(
            "{}: the bucket's Object Lock status is unknown (the server answered {said}); the copy is written without retention",
            dest.describe()
        )),
        _ => {}
    }
    let key = &committed.key;
    if let Some(n) = &committed.key_notice {
        progress.notice(n);
    }
    let listing = dest.list()?;
    let store_id = committed.store_id.clone();
    let prev = latest_manifest(dest, &listing)?;
    let (head_seq, head_hash, end) = (committed.head_seq, committed.head_hash, committed.end);
    let log_path = committed.log_path.clone();
    let mut log = fs::File::open(&log_path).map_err(|e| io_err(&log_path, &e))?;

    let mut segments = Vec::new();
    let mut blob_lists = Vec::new();
    let mut known_blobs = BTreeMap::new();
    let mut chain = Chain::new();
    let mut offset = 0u64;
    let mut prev_files = Vec::new();
    if let Some((name, line, m, sig)) = &prev {
        if m.store_id != store_id {
            return Err(integrity(format!(
                "{}: the copy is of store {}, this store is {store_id}",
                dest.describe(),
                m.store_id
            ))
            .hint("back up each store to its own destination (another prefix or directory)"));
        }
        if m.public_key.split_whitespace().nth(1)
            != key.public_key_openssh().split_whitespace().nth(1)
        {
            return Err(integrity(format!(
                "{}: manifest {name} was signed by another key than this store's",
                dest.describe()
            ))
            .hint("a store restored without --include-key has a new key: put the original keys/checkpoint_ed25519 back, or back up to a new prefix or directory"));
        }
        check_signature(line, m, sig, None).map_err(|e| {
            integrity(format!("{}: manifest {name}: {e}", dest.describe()))
                .hint("check the copy with `entitle backup verify`")
        })?;
        if m.seq > head_seq {
            return Err(integrity(format!(
                "{}: the copy holds events up to #{}, but this store's log ends at #{head_seq}: the local log was cut short",
                dest.describe(),
                m.seq
            ))
            .hint("compare with `entitle verify --against`; restore with `entitle restore`"));
        }
        // The local log must still hold the copy's last segment as it was.
        if let Some(last) = m.segments.last() {
            let start = m.log_bytes - last.bytes;
            let mut bytes = vec![0u8; usize::try_from(last.bytes).unwrap_or(0)];
            log.seek(SeekFrom::Start(start))
                .and_then(|_| log.read_exact(&mut bytes))
                .map_err(|e| io_err(&log_path, &e))?;
            if hex_of(&bytes) != last.blake3 {
                return Err(integrity(format!(
                    "the local log does not extend the copy in {}: its events #{}..#{} differ from {}",
                    dest.describe(),
                    last.from,
                    last.to,
                    last.name
                ))
                .hint("compare with `entitle verify --against`"));
            }
        }
        let h = chain::from_hex(&m.head)
            .ok_or_else(|| integrity(format!("manifest {name}: head is not 64 hex digits")))?;
        chain = Chain::resume(m.seq, h);
        offset = m.log_bytes;
        segments.clone_from(&m.segments);
        blob_lists.clone_from(&m.blob_lists);
        known_blobs = read_blob_lists(dest, m)?;
        prev_files.clone_from(&m.files);
    }

    let mut up = Uploaded::default();
    let mut reused = 0u64;
    let count = |created: Created, bytes: u64, kind: &str, up: &mut Uploaded| {
        if created == Created::New {
            up.objects += 1;
            up.bytes += bytes;
            match kind {
                "segment" => up.segments += 1,
                "blob" => up.blobs += 1,
                _ => up.other += 1,
            }
        }
    };

    // Segments: the committed log from `offset` to `end`.
    progress.start("copying the log", Some(end - offset), Unit::Bytes);
    log.seek(SeekFrom::Start(offset))
        .map_err(|e| io_err(&log_path, &e))?;
    let mut reader = BufReader::with_capacity(1 << 20, (&log).take(end - offset));
    let mut buf = Vec::new();
    let mut line = Vec::new();
    while offset < end {
        let from = chain.seq() + 1;
        let existing = listing
            .keys()
            .filter_map(|k| manifest::segment_range(k).map(|r| (k, r)))
            .find(|(_, (a, b))| *a == from && *b <= head_seq)
            .map(|(k, (_, b))| (k.clone(), b));
        buf.clear();
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| io_err(&log_path, &e))?;
            if n == 0 || line.last() != Some(&b'\n') {
                return Err(integrity(format!(
                    "{}: the committed log ends inside a line at byte {}",
                    log_path.display(),
                    offset + buf.len() as u64 + n as u64
                )));
            }
            chain.push_record(&line[..n - 1]);
            buf.extend_from_slice(&line);
            let full = offset + buf.len() as u64 >= end;
            match &existing {
                Some((_, to)) if chain.seq() == *to => break,
                Some(_) if !full => {}
                _ if full || buf.len() as u64 >= SEGMENT_BYTES => break,
                _ => {}
            }
        }
        let to = chain.seq();
        let name = manifest::segment_name(from, to);
        let b3 = hex_of(&buf);
        let created = if existing.as_ref().is_some_and(|(k, _)| *k == name) {
            let theirs = dest.get(&name)?.unwrap_or_default();
            if hex_of(&theirs) != b3 {
                return Err(integrity(format!(
                    "{}: {name} exists but holds other bytes than this store's events #{from}..#{to}",
                    dest.describe()
                ))
                .hint("it is not this store's copy, or it was altered: check it with `entitle backup verify`"));
            }
            reused += 1;
            Created::Existed
        } else {
            match dest.create(&name, Body::Bytes(&buf), retain)? {
                Created::Existed => {
                    let theirs = dest.get(&name)?.unwrap_or_default();
                    if hex_of(&theirs) != b3 {
                        return Err(integrity(format!(
                            "{}: {name} exists but holds other bytes than this store's events #{from}..#{to}",
                            dest.describe()
                        )));
                    }
                    reused += 1;
                    Created::Existed
                }
                c => c,
            }
        };
        count(created, buf.len() as u64, "segment", &mut up);
        progress.advance(buf.len() as u64);
        segments.push(Segment {
            name,
            from,
            to,
            bytes: buf.len() as u64,
            blake3: b3,
            head: chain::to_hex(chain.head()),
        });
        offset += buf.len() as u64;
    }
    progress.finish();
    if chain.seq() != head_seq || *chain.head() != head_hash {
        return Err(integrity(format!(
            "{}: the log read back ends at #{} {}, not at the committed head #{head_seq}",
            log_path.display(),
            chain.seq(),
            chain::to_hex(chain.head())
        )));
    }

    // Blobs not yet in a list.
    let blobs = local_blobs(&committed.blobs_dir)?;
    let new: Vec<_> = blobs
        .iter()
        .filter(|(h, _, _)| !known_blobs.contains_key(h))
        .collect();
    progress.start(
        "copying documents",
        Some(new.iter().map(|b| b.2).sum()),
        Unit::Bytes,
    );
    let mut list_text = String::new();
    let to_send: Vec<(&str, &Path, u64)> = new
        .iter()
        .filter(|(hash, _, len)| {
            let there = listing.get(&format!("blobs/{hash}")) == Some(len);
            if there {
                reused += 1;
                progress.advance(*len);
            }
            !there
        })
        .map(|(hash, path, len)| (hash.as_str(), path.as_path(), *len))
        .collect();
    for (created, len) in send_blobs(dest, &to_send, retain, progress)? {
        if created == Created::Existed {
            reused += 1;
        }
        count(created, len, "blob", &mut up);
    }
    for (hash, _, len) in &new {
        list_text.push_str(&format!("{hash} {len}\n"));
    }
    progress.finish();
    if !new.is_empty() {
        let name = format!("bloblists/{}.txt", hex_of(list_text.as_bytes()));
        let c = dest.create(&name, Body::Bytes(list_text.as_bytes()), retain)?;
        count(c, list_text.len() as u64, "other", &mut up);
        blob_lists.push(BlobList {
            name,
            count: new.len() as u64,
        });
    }
    let blob_count = known_blobs.len() as u64 + new.len() as u64;

    // Files beside the log.
    let mut files = Vec::new();
    for (path, local) in &committed.kept {
        let bytes = fs::read(local).map_err(|e| io_err(local, &e))?;
        let name = format!("files/{}", hex_of(&bytes));
        let c = dest.create(&name, Body::Bytes(&bytes), retain)?;
        count(c, bytes.len() as u64, "other", &mut up);
        files.push(KeptFile {
            path: path.clone(),
            name,
            bytes: bytes.len() as u64,
        });
    }

    let up_to_date = prev.as_ref().is_some_and(|(_, _, m, _)| m.seq == head_seq)
        && new.is_empty()
        && files == prev_files;
    let object_lock = lock_words(&lock);
    let retention_words = retain.map(|r| format!("{} until {}", r.mode, r.until));
    if up_to_date {
        return Ok(BackupReport {
            dest: dest.describe(),
            seq: head_seq,
            head: chain::to_hex(&head_hash),
            manifest: None,
            up_to_date,
            uploaded: up,
            reused,
            object_lock,
            retention: retention_words,
        });
    }
    let created = jiff::Timestamp::now();
    let m = Manifest {
        format: manifest::FORMAT.into(),
        version: manifest::VERSION,
        store_id,
        seq: head_seq,
        head: chain::to_hex(&head_hash),
        log_bytes: end,
        created: created
            .round(jiff::Unit::Millisecond)
            .unwrap_or(created)
            .to_string(),
        segments,
        blob_lists,
        blobs: blob_count,
        files,
        public_key: key.public_key_openssh(),
    };
    let line = serde_json::to_string(&m)
        .map_err(|e| Error::new(ErrorKind::Io, format!("manifest: {e}")))?;
    let sig = entitle_pack::sign(key, manifest::NAMESPACE, line.as_bytes())
        .map_err(|e| Error::new(ErrorKind::Integrity, format!("signing the manifest: {e}")))?;
    let text = format!("{line}\n{sig}");
    let name = manifest::object_name(head_seq, &created);
    let c = dest.create(&name, Body::Bytes(text.as_bytes()), retain)?;
    if c == Created::Existed {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!("{}: {name} exists already", dest.describe()),
        )
        .hint("run the backup again"));
    }
    count(c, text.len() as u64, "other", &mut up);
    Ok(BackupReport {
        dest: dest.describe(),
        seq: head_seq,
        head: m.head,
        manifest: Some(name),
        up_to_date,
        uploaded: up,
        reused,
        object_lock,
        retention: retention_words,
    })
}

/// What `entitle backup verify` found (its `--json`).
#[derive(Debug, Clone, Serialize)]
pub struct CopyCheck {
    /// The copy.
    pub source: String,
    /// The manifest checked (the latest).
    pub manifest: Option<String>,
    /// The store it is a copy of.
    pub store_id: Option<String>,
    /// Its last seq.
    pub seq: u64,
    /// Its chain head.
    pub head: Option<String>,
    /// Segments checked.
    pub segments: u64,
    /// Blobs re-hashed.
    pub blobs: u64,
    /// What the signature check says.
    pub signature: String,
    /// Whether the signature was checked against a key given (`--signer`).
    pub signer_given: bool,
    /// Whether everything holds.
    pub intact: bool,
    /// Each missing or altered object, by name.
    pub problems: Vec<String>,
}

/// Reads the signer given (`--signer`): a key file or a fingerprint.
///
/// # Errors
///
/// As `entitle audit verify --signer`.
pub fn read_signer(value: &str) -> Result<TrustedSigner> {
    crate::audit::read_signer(value)
}

/// Checks a copy on its own: the latest manifest's signature, every
/// segment's bytes and chain up to the manifest's head, every blob list,
/// blob and kept file.
///
/// # Errors
///
/// When the copy cannot be read at all (a missing object is a problem in
/// the result, not an error).
pub fn verify_copy(
    dest: &dyn Dest,
    signer: Option<&TrustedSigner>,
    progress: &dyn Progress,
) -> Result<CopyCheck> {
    let listing = dest.list()?;
    let mut check = CopyCheck {
        source: dest.describe(),
        manifest: None,
        store_id: None,
        seq: 0,
        head: None,
        segments: 0,
        blobs: 0,
        signature: String::new(),
        signer_given: signer.is_some(),
        intact: false,
        problems: Vec::new(),
    };
    let (name, line, m, sig) = match latest_manifest(dest, &listing) {
        Ok(Some(found)) => found,
        Ok(None) => {
            check.problems.push(format!("{}: holds no manifest (manifests/*.manifest): it is no entitle backup, or none has completed", dest.describe()));
            return Ok(check);
        }
        Err(e) => {
            check.problems.push(e.to_string());
            return Ok(check);
        }
    };
    check.manifest = Some(name.clone());
    check.store_id = Some(m.store_id.clone());
    check.seq = m.seq;
    check.head = Some(m.head.clone());
    check.signature = match check_signature(&line, &m, &sig, signer) {
        Ok(fp) if signer.is_some() => format!("signed by the key given ({fp})"),
        Ok(fp) => format!(
            "intact, signed by the key the manifest names ({fp}); not checked against a known key (give --signer)"
        ),
        Err(e) => {
            check.problems.push(format!("{name}: signature: {e}"));
            "does not verify".into()
        }
    };

    progress.start(
        "checking segments",
        Some(m.segments.len() as u64),
        Unit::Files,
    );
    let mut chain = Chain::new();
    let mut bytes_total = 0u64;
    for seg in &m.segments {
        progress.advance(1);
        check.segments += 1;
        let Some(bytes) = dest.get(&seg.name)? else {
            check.problems.push(format!("{} is missing", seg.name));
            return finish(check, progress);
        };
        let actual = hex_of(&bytes);
        if actual != seg.blake3 {
            check.problems.push(format!(
                "{} was altered: its bytes hash to {actual}, the manifest says {}",
                seg.name, seg.blake3
            ));
            return finish(check, progress);
        }
        if chain.seq() + 1 != seg.from {
            check.problems.push(format!(
                "{} starts at #{}, the one before it ends at #{}",
                seg.name,
                seg.from,
                chain.seq()
            ));
        }
        for l in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            chain.push_record(l);
        }
        bytes_total += bytes.len() as u64;
        if chain.seq() != seg.to || chain::to_hex(chain.head()) != seg.head {
            check.problems.push(format!(
                "{}: its events do not chain to the manifest's head for #{} (they end at #{} {})",
                seg.name,
                seg.to,
                chain.seq(),
                chain::to_hex(chain.head())
            ));
            return finish(check, progress);
        }
    }
    progress.finish();
    if chain.seq() != m.seq || chain::to_hex(chain.head()) != m.head || bytes_total != m.log_bytes {
        check.problems.push(format!(
            "{name}: its segments end at #{} {} ({bytes_total} bytes), it names #{} {} ({} bytes)",
            chain.seq(),
            chain::to_hex(chain.head()),
            m.seq,
            m.head,
            m.log_bytes
        ));
    }

    let mut blobs = BTreeMap::new();
    for list in &m.blob_lists {
        match dest.get(&list.name)? {
            None => check.problems.push(format!("{} is missing", list.name)),
            Some(bytes) => match check_named_hash(&list.name, &bytes) {
                Err(e) => check.problems.push(e),
                Ok(()) => blobs.extend(parse_blob_list(&bytes)),
            },
        }
    }
    progress.start(
        "re-hashing documents",
        Some(blobs.len() as u64),
        Unit::Files,
    );
    for hash in blobs.keys() {
        progress.advance(1);
        check.blobs += 1;
        let name = format!("blobs/{hash}");
        let mut h = blake3::Hasher::new();
        if !dest.read(&name, &mut h)? {
            check.problems.push(format!("{name} is missing"));
            continue;
        }
        let actual = h.finalize().to_hex().to_string();
        if &actual != hash {
            check
                .problems
                .push(format!("{name} was altered: its bytes hash to {actual}"));
        }
    }
    progress.finish();
    for f in &m.files {
        match dest.get(&f.name)? {
            None => check
                .problems
                .push(format!("{} ({}) is missing", f.name, f.path)),
            Some(bytes) => {
                if let Err(e) = check_named_hash(&f.name, &bytes) {
                    check.problems.push(format!("{e} ({})", f.path));
                }
            }
        }
    }
    finish(check, progress)
}

fn finish(mut check: CopyCheck, progress: &dyn Progress) -> Result<CopyCheck> {
    progress.finish();
    check.intact = check.problems.is_empty();
    Ok(check)
}

/// `entitle restore SRC DIR [--seq N]`.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// The new store's directory: missing or empty.
    pub dir: PathBuf,
    /// Restore up to this seq (`--seq`), else the copy's latest.
    pub seq: Option<String>,
}

/// What `entitle restore` did (its `--json`).
#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    /// The new store.
    pub store: String,
    /// Its store id (the original's).
    pub store_id: String,
    /// The manifest restored from.
    pub manifest: String,
    /// Events restored.
    pub seq: u64,
    /// The chain head at `seq`.
    pub head: String,
    /// Documents restored.
    pub blobs: u64,
    /// Files kept beside the log restored (`entitle.toml`, a key).
    pub files: Vec<String>,
    /// What the signature check says.
    pub signature: String,
}

/// Builds a new store in `request.dir` from a copy, checking every object
/// as it is read; FORMAT is written last, into a temporary directory
/// renamed to `dir` at the end, so nothing partial is left as a store.
/// The derived state is rebuilt by opening it (the caller does).
///
/// # Errors
///
/// For a `dir` that holds anything, a `--seq` past the copy's head, a
/// missing or altered object (named), or a bad signature.
#[allow(clippy::too_many_lines)]
pub fn restore(
    dest: &dyn Dest,
    request: &RestoreRequest,
    signer: Option<&TrustedSigner>,
    progress: &dyn Progress,
) -> Result<Restored> {
    let dir = &request.dir;
    if dir.exists() {
        let empty = fs::read_dir(dir)
            .map_err(|e| io_err(dir, &e))?
            .next()
            .is_none();
        if !empty {
            return Err(Error::about(
                ErrorKind::Conflict,
                "dir",
                "is not empty: restore builds a new store and never writes into one that holds anything",
            )
            .valued(dir.display().to_string())
            .hint("give a new directory"));
        }
    }
    let seq_wanted = match request.seq.as_deref() {
        None => None,
        Some(t) => Some(
            t.trim()
                .trim_start_matches('#')
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| Error::invalid("seq", t, "must be an event number, 1 or more"))?,
        ),
    };
    let listing = dest.list()?;
    let manifests: Vec<&String> = listing
        .keys()
        .filter(|k| k.starts_with("manifests/") && k.ends_with(".manifest"))
        .collect();
    if manifests.is_empty() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "{}: holds no manifest: it is no entitle backup, or none has completed",
                dest.describe()
            ),
        ));
    }
    // The earliest manifest that reaches --seq (else the latest).
    let (name, line, m, sig) = {
        let mut chosen = None;
        let mut last_seq = 0;
        for name in manifests.iter().rev() {
            let bytes = dest.get(name)?.unwrap_or_default();
            let (line, m, sig) = manifest::parse(&bytes)
                .map_err(|e| integrity(format!("{}: manifest {name}: {e}", dest.describe())))?;
            last_seq = last_seq.max(m.seq);
            match seq_wanted {
                Some(n) if m.seq < n => break,
                None if chosen.is_some() => break,
                _ => chosen = Some(((*name).clone(), line, m, sig)),
            }
        }
        match chosen {
            Some(c) => c,
            None => {
                return Err(Error::invalid(
                    "seq",
                    format!("#{}", seq_wanted.unwrap_or(0)),
                    format!("is past the copy's head: it holds events up to #{last_seq}"),
                ))
            }
        }
    };
    let upto = seq_wanted.unwrap_or(m.seq);
    let signature = match check_signature(&line, &m, &sig, signer) {
        Ok(fp) if signer.is_some() => format!("signed by the key given ({fp})"),
        Ok(fp) => format!("signed by the key the manifest names ({fp}); not checked against a known key (give --signer)"),
        Err(e) => {
            return Err(integrity(format!("{}: {name}: signature: {e}", dest.describe()))
                .hint("check the copy with `entitle backup verify`"))
        }
    };

    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| io_err(parent, &e))?;
    let leaf = dir
        .file_name()
        .map_or_else(|| "store".into(), |n| n.to_string_lossy().into_owned());
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{leaf}.restoring-"))
        .tempdir_in(parent)
        .map_err(|e| io_err(parent, &e))?;
    let root = tmp.path();
    let log_dir = root.join("log");
    fs::create_dir_all(&log_dir).map_err(|e| io_err(&log_dir, &e))?;
    let log_path = log_dir.join("events.jsonl");
    let mut log = fs::File::create(&log_path).map_err(|e| io_err(&log_path, &e))?;
    let mut chain = Chain::new();
    progress.start("restoring the log", Some(upto), Unit::Files);
    'segments: for seg in &m.segments {
        if chain.seq() >= upto {
            break;
        }
        let bytes = dest
            .get(&seg.name)?
            .ok_or_else(|| integrity(format!("{}: {} is missing", dest.describe(), seg.name)))?;
        let actual = hex_of(&bytes);
        if actual != seg.blake3 {
            return Err(integrity(format!(
                "{}: {} was altered: its bytes hash to {actual}, the manifest says {}",
                dest.describe(),
                seg.name,
                seg.blake3
            )));
        }
        let mut start = 0;
        for l in bytes.split_inclusive(|b| *b == b'\n') {
            chain.push_record(&l[..l.len() - 1]);
            progress.advance(1);
            if chain.seq() == upto {
                let end = start + l.len();
                log.write_all(&bytes[..end])
                    .map_err(|e| io_err(&log_path, &e))?;
                break 'segments;
            }
            start += l.len();
        }
        if chain::to_hex(chain.head()) != seg.head || chain.seq() != seg.to {
            return Err(integrity(format!(
                "{}: {}: its events do not chain to the manifest's head for #{}",
                dest.describe(),
                seg.name,
                seg.to
            )));
        }
        log.write_all(&bytes).map_err(|e| io_err(&log_path, &e))?;
    }
    progress.finish();
    if chain.seq() != upto {
        return Err(integrity(format!(
            "{}: {name}: its segments end at #{}, before #{upto}",
            dest.describe(),
            chain.seq()
        )));
    }
    if upto == m.seq && chain::to_hex(chain.head()) != m.head {
        return Err(integrity(format!(
            "{}: {name}: its segments end at chain head {}, it names {}",
            dest.describe(),
            chain::to_hex(chain.head()),
            m.head
        )));
    }
    log.sync_all().map_err(|e| io_err(&log_path, &e))?;

    let blobs = read_blob_lists(dest, &m)?;
    progress.start("restoring documents", Some(blobs.len() as u64), Unit::Files);
    for hash in blobs.keys() {
        progress.advance(1);
        let name = format!("blobs/{hash}");
        let path = root.join("blobs").join(&hash[..2]).join(&hash[2..]);
        let sub = path.parent().unwrap_or(root);
        fs::create_dir_all(sub).map_err(|e| io_err(sub, &e))?;
        let mut f = fs::File::create(&path).map_err(|e| io_err(&path, &e))?;
        let mut h = HashingWriter {
            inner: &mut f,
            hasher: blake3::Hasher::new(),
        };
        if !dest.read(&name, &mut h)? {
            return Err(integrity(format!("{}: {name} is missing", dest.describe())));
        }
        let actual = h.hasher.finalize().to_hex().to_string();
        if &actual != hash {
            return Err(integrity(format!(
                "{}: {name} was altered: its bytes hash to {actual}",
                dest.describe()
            )));
        }
        f.sync_all().map_err(|e| io_err(&path, &e))?;
    }
    progress.finish();
    let mut files = Vec::new();
    for kept in &m.files {
        let bytes = dest.get(&kept.name)?.ok_or_else(|| {
            integrity(format!(
                "{}: {} ({}) is missing",
                dest.describe(),
                kept.name,
                kept.path
            ))
        })?;
        check_named_hash(&kept.name, &bytes).map_err(integrity)?;
        if kept.path.contains("..") || kept.path.starts_with('/') {
            return Err(integrity(format!(
                "{name}: file path {} is not inside a store",
                kept.path
            )));
        }
        let path = root.join(&kept.path);
        let sub = path.parent().unwrap_or(root);
        fs::create_dir_all(sub).map_err(|e| io_err(sub, &e))?;
        write_private(&path, &bytes)?;
        files.push(kept.path.clone());
    }
    entitle_store::Store::finish_restore(root, &m.store_id, (chain.seq(), *chain.head()))?;
    let root = tmp.keep();
    if dir.exists() {
        fs::remove_dir(dir).map_err(|e| io_err(dir, &e))?;
    }
    fs::rename(&root, dir).map_err(|e| io_err(dir, &e))?;
    Ok(Restored {
        store: dir.display().to_string(),
        store_id: m.store_id,
        manifest: name,
        seq: chain.seq(),
        head: chain::to_hex(chain.head()),
        blobs: blobs.len() as u64,
        files,
        signature,
    })
}

/// Writes a restored file readable by its owner only (a signing key must
/// be; the settings file may be).
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_err(path, &e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| io_err(path, &e))
}

struct HashingWriter<'a> {
    inner: &'a mut fs::File,
    hasher: blake3::Hasher,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What `entitle verify --against SRC` found about the copy.
#[derive(Debug, Clone, Serialize)]
pub struct Against {
    /// The copy.
    pub source: String,
    /// Its latest manifest.
    pub manifest: String,
    /// The copy's last seq.
    pub copy_seq: u64,
    /// The copy's chain head.
    pub copy_head: String,
    /// The local log's last seq.
    pub local_seq: u64,
    /// Whether the local log extends the copy (same events up to its seq).
    pub extends: bool,
    /// What is wrong.
    pub problems: Vec<String>,
}

/// Checks that the local log extends the copy's latest manifest: the
/// same chain head at the copy's seq, and at least as many events.
///
/// # Errors
///
/// When the copy or the log cannot be read.
pub fn verify_against(store: &Store, dest: &dyn Dest) -> Result<Against> {
    let listing = dest.list()?;
    let (name, line, m, sig) = latest_manifest(dest, &listing)?.ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!(
                "{}: holds no manifest: it is no entitle backup",
                dest.describe()
            ),
        )
    })?;
    let mut problems = Vec::new();
    let local_seq = store.applied().head.seq;
    if m.store_id != store.info().store_id {
        problems.push(format!(
            "{name} is a copy of store {}, this store is {}",
            m.store_id,
            store.info().store_id
        ));
    }
    // The store's own key when it has one; a verify never creates one (a
    // store restored without --include-key has none, and a new key would
    // make every manifest look forged): then the signature is checked
    // against the key the manifest names.
    let own = store
        .layout()
        .keys()
        .join(crate::audit::KEY_FILE)
        .is_file()
        .then(|| crate::audit::load_key(store).ok())
        .flatten()
        .and_then(|(k, _)| TrustedSigner::parse(&k.public_key_openssh()).ok());
    if let Err(e) = check_signature(&line, &m, &sig, own.as_ref()) {
        problems.push(format!("{name}: signature: {e}"));
    }
    if local_seq < m.seq {
        problems.push(format!(
            "the local log ends at #{local_seq}, but the copy holds events up to #{}: events were removed from the local log",
            m.seq
        ));
    } else {
        let local = store.export(&mut std::io::sink(), m.seq, &mut |_, _| false)?;
        if chain::to_hex(&local) != m.head {
            problems.push(format!(
                "the local chain head at #{} is {}, the copy's is {}: the local log was rewritten",
                m.seq,
                chain::to_hex(&local),
                m.head
            ));
        }
    }
    Ok(Against {
        source: dest.describe(),
        manifest: name,
        copy_seq: m.seq,
        copy_head: m.head,
        local_seq,
        extends: problems.is_empty(),
        problems,
    })
}

/// Reads back the retention of the objects a copy holds (for tests and
/// for `backup verify --json`): name → (mode, until).
///
/// # Errors
///
/// When the destination cannot be read.
pub fn retentions(dest: &dyn Dest) -> Result<BTreeMap<String, (String, String)>> {
    let mut out = BTreeMap::new();
    let names: BTreeSet<String> = dest.list()?.into_keys().collect();
    for name in names {
        if let Some(r) = dest.retention(&name)? {
            out.insert(name, r);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::store::Open;

    /// A directory copy whose server will not say whether it has Object
    /// Lock (as a 501 or a 5xx after retries), recording the retention
    /// each object was created with.
    struct Unsaying {
        inner: DirDest,
        retains: std::sync::Mutex<Vec<Option<Retention>>>,
    }

    impl Dest for Unsaying {
        fn describe(&self) -> String {
            "s3://unsaying/acme".into()
        }
        fn list(&self) -> Result<BTreeMap<String, u64>> {
            self.inner.list()
        }
        fn read(&self, name: &str, out: &mut dyn Write) -> Result<bool> {
            self.inner.read(name, out)
        }
        fn create(
            &self,
            name: &str,
            body: Body<'_>,
            retain: Option<&Retention>,
        ) -> Result<Created> {
            self.retains.lock().unwrap().push(retain.cloned());
            self.inner.create(name, body, retain)
        }
        fn lock(&self) -> Result<Lock> {
            Ok(Lock::Unknown("HTTP 501 NotImplemented".into()))
        }
        fn retention(&self, _name: &str) -> Result<Option<(String, String)>> {
            Ok(None)
        }
    }

    #[derive(Default)]
    struct Notices(RefCell<Vec<String>>);

    impl Progress for Notices {
        fn notice(&self, text: &str) {
            self.0.borrow_mut().push(text.to_owned());
        }
    }

    #[test]
    fn an_unknown_lock_status_is_said_once_and_nothing_claims_a_retention() {
        let tmp = tempfile::tempdir().unwrap();
        let store =
            crate::store::open(&tmp.path().join("s"), Open::CreateIfMissing, "test").unwrap();
        let dest = Unsaying {
            inner: DirDest::new(tmp.path().join("copy")),
            retains: std::sync::Mutex::new(Vec::new()),
        };
        let notices = Notices::default();
        let request = BackupRequest {
            retain_days: Some("30".into()),
            lock_mode: None,
            include_key: false,
        };
        let report = backup(&store, &dest, &request, &BackupSection::default(), &notices).unwrap();
        let said = notices.0.borrow();
        let unknown: Vec<&String> = said
            .iter()
            .filter(|n| n.contains("Object Lock status is unknown"))
            .collect();
        assert_eq!(unknown.len(), 1, "{said:?}");
        assert!(unknown[0].contains("HTTP 501 NotImplemented"), "{said:?}");
        assert!(
            report.object_lock.starts_with("unknown: "),
            "{}",
            report.object_lock
        );
        assert!(!report.object_lock.contains("configured on the bucket ("));
        assert_eq!(report.retention, None);
        let retains = dest.retains.lock().unwrap();
        assert!(!retains.is_empty());
        assert!(retains.iter().all(Option::is_none), "{retains:?}");
    }
}
