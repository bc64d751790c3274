//! Which documents travel in a pack, decided from the disclosed
//! `document_attached` events alone (so that a verifier derives the same
//! list from `events.jsonl`); the check of the archive before a pack is
//! written, and of a pack's `documents/` when it is verified.

use std::collections::{BTreeMap, BTreeSet};

use entitle_core::timeline::counts;
use entitle_core::{Event, Record};
use entitle_pack::{sanitize_file_name, Pack};
use entitle_store::Store;

use super::fold::voids;
use super::DOCUMENTS_DIR;
use crate::error::{Action, Error, ErrorKind, Result};
use crate::progress::{Progress, Stage, Unit};

/// One binding of a document by a disclosed `document_attached` event.
pub(super) struct Binding {
    /// The binding event.
    pub(super) seq: u64,
    /// The document's original file name.
    pub(super) filename: String,
    /// contract, invoice, order, …
    pub(super) kind: String,
    /// The license id, or `vendor <name>`.
    pub(super) to: String,
    /// The disclosed void of the binding, if any.
    pub(super) voided_by: Option<u64>,
}

/// A document the pack carries: one file per hash, named after the
/// document's first counted binding.
pub(super) struct PackedDoc {
    /// BLAKE3, lowercase hex, as its event recorded it.
    pub(super) hash: String,
    /// Bytes, as its event recorded them.
    pub(super) size: u64,
    /// `documents/<hash>-<sanitized original name>`.
    pub(super) entry: String,
    /// The counted bindings, in seq order.
    pub(super) bindings: Vec<Binding>,
}

/// The documents the disclosed events bind, as known at a seq. Computed
/// from the disclosed records alone, so `audit verify` derives the very
/// same list from `events.jsonl`.
pub(super) struct Documents {
    /// By hash.
    pub(super) packed: BTreeMap<String, PackedDoc>,
    /// Bindings voided by a disclosed void (not carried unless another
    /// binding of the same document counts).
    pub(super) voided: Vec<(String, Binding)>,
}

impl Documents {
    /// The documents of `records`, as known at `known`.
    pub(super) fn of(records: &[Record], known: u64) -> Self {
        let voided = voids(records);
        let mut packed: BTreeMap<String, PackedDoc> = BTreeMap::new();
        let mut dropped = Vec::new();
        for r in records {
            let Event::DocumentAttached(a) = &r.event else {
                continue;
            };
            let voided_by = voided.get(&r.seq).copied();
            let binding = Binding {
                seq: r.seq,
                filename: a.filename.clone(),
                kind: a.kind.clone(),
                to: match (&a.id, &a.vendor) {
                    (Some(id), _) => id.clone(),
                    (None, Some(v)) => format!("vendor {}", v.trim()),
                    (None, None) => "nothing".to_owned(),
                },
                voided_by,
            };
            if !counts(r.seq, voided_by, known) {
                dropped.push((a.hash.clone(), binding));
                continue;
            }
            packed
                .entry(a.hash.clone())
                .or_insert_with(|| PackedDoc {
                    hash: a.hash.clone(),
                    size: a.size,
                    entry: document_entry(&a.hash, &a.filename),
                    bindings: Vec::new(),
                })
                .bindings
                .push(binding);
        }
        Documents {
            packed,
            voided: dropped,
        }
    }
}

/// The pack entry of a document: its hash, a dash and its original name
/// made portable, short enough for one path component (255 bytes).
pub(super) fn document_entry(hash: &str, filename: &str) -> String {
    let room = 255 - hash.len().min(200) - 1;
    let mut name = sanitize_file_name(filename);
    if name.len() > room {
        let mut cut = room;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name = sanitize_file_name(&name[..cut]);
    }
    format!("{DOCUMENTS_DIR}{hash}-{name}")
}

fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Checks, before anything is written, that the archive holds every
/// document the pack must carry, with the bytes its events recorded (read
/// in a stream, never whole), and that the store's own bindings agree.
pub(super) fn check_blobs(
    store: &Store,
    documents: &Documents,
    known: u64,
    progress: &dyn Progress,
) -> Result<()> {
    let stage = Stage::new(
        progress,
        "checking the documents",
        Some(documents.packed.len() as u64),
        Unit::Files,
    );
    for d in documents.packed.values() {
        stage.advance(1);
        let first = &d.bindings[0];
        let what = || {
            format!(
                "document {} ({}, event #{})",
                d.hash, first.filename, first.seq
            )
        };
        if !is_hash(&d.hash) {
            return Err(Error::new(
                ErrorKind::Integrity,
                format!("{}: the hash is not 64 lowercase hex digits", what()),
            ));
        }
        let entry = store.document(&d.hash)?.ok_or_else(|| {
            Error::new(
                ErrorKind::Integrity,
                format!("{} is not in the store's archive", what()),
            )
            .hint_to(Action::Rebuild, "run {action}")
        })?;
        let counted: BTreeSet<u64> = entry.counted(known).map(|a| a.seq).collect();
        if let Some(b) = d.bindings.iter().find(|b| !counted.contains(&b.seq)) {
            return Err(Error::new(
                ErrorKind::Integrity,
                format!(
                    "{}: the store does not count its binding by event #{} as known at #{known}",
                    what(),
                    b.seq
                ),
            )
            .hint_to(Action::VerifyAndRebuild, "run {action}, then try again"));
        }
        let path = store.blobs().path_of(&d.hash);
        let mut file = std::fs::File::open(&path).map_err(|e| {
            Error::new(
                ErrorKind::Integrity,
                format!(
                    "{} is missing from the archive ({})",
                    what(),
                    path.display()
                ),
            )
            .hint_to(Action::Verify, format!("run {{action}}: {e}"))
        })?;
        let mut hasher = blake3::Hasher::new();
        let size = std::io::copy(&mut file, &mut hasher).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read {} ({}): {e}", what(), path.display()),
            )
        })?;
        let hash = hasher.finalize().to_hex();
        if hash.as_str() != d.hash || size != d.size {
            return Err(Error::new(
                ErrorKind::Integrity,
                format!(
                    "{} is damaged in the archive: {} holds {size} bytes with BLAKE3 {hash}, \
                     the event recorded {} bytes",
                    what(),
                    path.display(),
                    d.size
                ),
            )
            .hint_to(Action::Verify, "run {action}"));
        }
    }
    Ok(())
}

/// Holds the pack's `documents/` against the disclosed events: every
/// document a counted binding names is there under its name and hashes to
/// the recorded hash, and nothing else is.
pub(super) fn check_documents(
    pack: &Pack,
    records: &[Record],
    known: u64,
) -> std::result::Result<String, Vec<String>> {
    let documents = Documents::of(records, known);
    let mut failures = Vec::new();
    let mut bytes_total = 0u64;
    for d in documents.packed.values() {
        let b = &d.bindings[0];
        let recorded = format!(
            "document {} ({}) bound to {} by event #{}",
            d.hash, b.filename, b.to, b.seq
        );
        match pack.get(&d.entry) {
            None => {
                let prefix = format!("{DOCUMENTS_DIR}{}-", d.hash);
                let elsewhere: Vec<&str> = pack
                    .entries()
                    .map(|(n, _)| n)
                    .filter(|n| n.starts_with(&prefix))
                    .collect();
                if elsewhere.is_empty() {
                    failures.push(format!(
                        "{}: missing: {recorded} is not in the pack",
                        d.entry
                    ));
                } else {
                    failures.push(format!(
                        "{}: missing: {recorded} is in the pack as {} instead",
                        d.entry,
                        elsewhere.join(", ")
                    ));
                }
            }
            Some(bytes) => {
                let hash = blake3::hash(bytes).to_hex();
                if !hash.as_str().eq_ignore_ascii_case(&d.hash) {
                    failures.push(format!(
                        "{}: altered: its bytes hash to {hash}, not to the hash {} recorded by event #{}",
                        d.entry, d.hash, b.seq
                    ));
                } else if bytes.len() as u64 != d.size {
                    failures.push(format!(
                        "{}: altered: {} bytes, event #{} recorded {}",
                        d.entry,
                        bytes.len(),
                        b.seq,
                        d.size
                    ));
                }
                bytes_total += bytes.len() as u64;
            }
        }
    }
    let expected: BTreeSet<&str> = documents
        .packed
        .values()
        .map(|d| d.entry.as_str())
        .collect();
    for (name, _) in pack.entries() {
        if name.starts_with(DOCUMENTS_DIR) && !expected.contains(name) {
            let voided = documents
                .voided
                .iter()
                .find(|(hash, _)| name.starts_with(&format!("{DOCUMENTS_DIR}{hash}-")));
            failures.push(match voided {
                Some((_, b)) => format!(
                    "{name}: extra: its binding by event #{} was voided by #{}",
                    b.seq,
                    b.voided_by.unwrap_or_default()
                ),
                None => format!("{name}: extra: no disclosed document_attached event refers to it"),
            });
        }
    }
    if failures.is_empty() {
        Ok(format!(
            "{} present ({bytes_total} bytes), each matching the hash its event recorded",
            documents.packed.len()
        ))
    } else {
        Err(failures)
    }
}
