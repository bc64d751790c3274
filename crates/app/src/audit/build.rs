//! Making a pack: the chain up to the known-at seq with the vendor's
//! events disclosed, the CSV files and the report from the re-fold (held
//! against the store's own position), the vendor's documents, and the
//! signed checkpoint — all checked before anything is written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use entitle_core::chain::to_hex;
use entitle_core::position::DEFAULT_STALE_AFTER_DAYS;
use entitle_core::types::match_key;
use entitle_pack::{
    allowed_signers_line, sign, verify_chain, Checkpoint, PackWriter, ALLOWED_SIGNERS_FILE,
    CHECKPOINT_FILE, CHECKPOINT_NAMESPACE, EVENTS_FILE, SIGNATURE_FILE,
};
use entitle_store::Store;
use jiff::civil::Date;
use serde::Serialize;

use super::csv::position_csv;
use super::disclose::{display_vendor, Disclosure};
use super::documents::{check_blobs, Documents};
use super::fold::Derived;
use super::report::{texts, Facts};
use super::{
    key, read_checkpoint, Layout, SinceRef, FORMAT_FILE, LICENSES_FILE, POSITION_FILE, SINCE_FILE,
    USAGE_FILE,
};
use crate::error::{Action, Error, ErrorKind, Result};
use crate::progress::Progress;
use crate::scope::Scope;
use crate::store::KnownAt;
use crate::when;

/// A pack to make, as the user asked for it.
#[derive(Debug, Clone, Default)]
pub struct PackRequest {
    /// The vendor (case-insensitive, surrounding spaces ignored).
    pub vendor: String,
    /// The business date of the position (`YYYY-MM-DD`); none for today.
    pub as_of: Option<String>,
    /// Only what was recorded by then: `#N`, an RFC 3339 time or a date;
    /// none for everything recorded.
    pub known_at: Option<String>,
    /// Where to write: a new directory, or a `.zip` or `.tar` file.
    pub out: PathBuf,
    /// Replace an existing pack at `out`.
    pub force: bool,
    /// An older pack's checkpoint file that this log must extend.
    pub since: Option<PathBuf>,
}

/// The request's fields, parsed.
struct Parsed {
    as_of: Date,
    known_at: KnownAt,
    /// The vendor's match key.
    wanted: String,
    since: Option<Checkpoint>,
}

impl PackRequest {
    /// Checks every field that can be checked without the store (the
    /// dates, the vendor, the older checkpoint), so that a front-end can
    /// refuse a bad request before it opens the store.
    ///
    /// # Errors
    ///
    /// As [`build_pack`] for these fields.
    pub fn check(&self) -> Result<()> {
        self.parse().map(|_| ())
    }

    fn parse(&self) -> Result<Parsed> {
        let as_of = when::as_of(self.as_of.as_deref())?;
        let known_at = when::known_at(self.known_at.as_deref())?;
        let wanted = match_key(&self.vendor);
        if wanted.is_empty() {
            return Err(Error::missing(
                "vendor",
                "is empty: name the vendor the pack is for",
            ));
        }
        let since = self.since.as_deref().map(read_checkpoint).transpose()?;
        Ok(Parsed {
            as_of,
            known_at,
            wanted,
            since,
        })
    }
}

/// What [`build_pack`] wrote.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PackBuilt {
    /// The pack written.
    pub path: PathBuf,
    /// Its files, `BLAKE3SUMS` included.
    pub files: usize,
    /// The vendor's documents among them.
    pub documents: usize,
    /// The vendor as first typed.
    pub vendor: String,
    /// The business date.
    pub as_of: String,
    /// The seq the pack is known at: the checkpoint's, and the number of
    /// events in its `events.jsonl`.
    pub known_at_seq: u64,
    /// The events disclosed in full.
    pub disclosed: usize,
    /// The chain hash at the checkpoint, lowercase hex.
    pub head: String,
    /// The fingerprint of the key that signed the checkpoint.
    pub fingerprint: String,
}

/// Makes the audit pack of one vendor: its events in full and the rest
/// of the chain as digests up to the known-at seq, the position,
/// licenses and usage as CSV, the report, the vendor's documents, and a
/// checkpoint signed with the store's key (made on first use, which
/// `progress` is told).
///
/// # Errors
///
/// For a bad field (kind bad input; field `vendor`, `as_of`, `known_at`
/// or `since`), an unknown vendor or one with nothing to disclose (not
/// found, field `vendor`; nothing on the date: field `as_of`), an older
/// checkpoint of another store or not on this chain (conflict, field
/// `since`), an existing `out` without `force` (conflict, field `out`),
/// a store whose derived state or archive disagrees with its log
/// (integrity), and I/O failures. Nothing is written then. A vendor out
/// of `scope` is an unknown vendor, word for word, and the known vendors
/// a hint lists are those in scope.
pub fn build_pack(
    store: &Store,
    scope: &Scope,
    request: &PackRequest,
    progress: &dyn Progress,
) -> Result<PackBuilt> {
    let Parsed {
        as_of,
        known_at,
        wanted,
        since,
    } = request.parse()?;
    let store_id = store.info().store_id.clone();
    let known = store.known_seq(known_at)?;
    let vendor = known_vendor(store, scope, &wanted, &request.vendor)?;

    // The chain up to `known`, disclosing the vendor's events.
    let mut picker = Disclosure::new(&wanted, vendor_hosts(store, &wanted, known)?);
    let mut events = Vec::new();
    let head = store.export(&mut events, known, &mut |seq, bytes| {
        picker.decide(seq, bytes)
    })?;
    if let Some(e) = picker.error {
        return Err(Error::new(ErrorKind::Integrity, e));
    }
    let records = picker.records;
    // As the disclosed events name it, so that a verifier re-derives the
    // reports from them alone.
    let vendor = display_vendor(&records).unwrap_or(vendor);
    if records.is_empty() {
        return Err(Error::not_found(format!(
            "vendor {vendor} has no events as known at #{known}: there is nothing to disclose"
        ))
        .at("vendor"));
    }

    let layout = Layout::CURRENT;
    let derived = Derived::fold(layout, &records, as_of, known)
        .map_err(|e| Error::new(ErrorKind::Integrity, e))?;
    if derived.position.is_empty() {
        return Err(Error::not_found(format!(
            "vendor {vendor} has no license or usage count on or before {as_of} (as known at #{known})"
        ))
        .at("as_of")
        .hint("choose a later {field}"));
    }
    // The pack's numbers come from the disclosed events alone; they must be
    // the store's numbers too.
    let from_store = crate::query::reviewed(
        store,
        scope,
        as_of,
        known,
        Some(&wanted),
        DEFAULT_STALE_AFTER_DAYS,
    )?;
    if position_csv(layout, &from_store, as_of, known) != derived.position_csv {
        return Err(Error::new(
            ErrorKind::Integrity,
            format!(
                "the position computed from the disclosed events differs from the store's position for {vendor}"
            ),
        )
        .hint_to(Action::VerifyAndRebuild, "run {action}, then try again"));
    }

    if let Some(old) = &since {
        if old.store != store_id {
            return Err(Error::about(
                ErrorKind::Conflict,
                "since",
                format!(
                    "the old checkpoint is of store {}, this store is {store_id}",
                    old.store
                ),
            ));
        }
        let report = verify_chain(events.as_slice()).map_err(|f| {
            Error::new(
                ErrorKind::Integrity,
                format!("the exported chain does not verify: {}", f[0]),
            )
        })?;
        report.extends(old.seq, &old.hash).map_err(|e| {
            Error::about(
                ErrorKind::Conflict,
                "since",
                format!("at #{known} this log does not extend it: {e}"),
            )
        })?;
    }

    let (key, key_info) = key::load(store)?;
    if let Some(notice) = key_info.created_notice() {
        progress.notice(&notice);
    }
    let allowed = allowed_signers_line(&store_id, &key)?;

    let documents = Documents::of(&records, known);
    check_blobs(store, &documents, known, progress)?;
    // Only what a verifier needs to check it again: not the old
    // checkpoint's time or sums line.
    let since = since.as_ref().map(SinceRef::of);
    let since_text = since.as_ref().map(SinceRef::render);
    let facts = Facts {
        vendor: &vendor,
        as_of,
        known,
        head: &head,
        store_id: &store_id,
        fingerprint: key_info.fingerprint.clone(),
        events: known,
        disclosed: records.len(),
        since,
        documents: documents.packed.len(),
    };
    let texts = texts(&facts, &records, &derived, &documents);

    let out = |e: entitle_pack::PackError| Error::from(e).at("out");
    let mut w = PackWriter::new();
    for d in documents.packed.values() {
        // Streamed from the archive when the pack is written.
        w.add_file(&d.entry, &store.blobs().path_of(&d.hash))
            .map_err(out)?;
    }
    let files = [
        (FORMAT_FILE, layout.file_text().into_bytes()),
        (EVENTS_FILE, events),
        (POSITION_FILE, derived.position_csv),
        (LICENSES_FILE, derived.licenses_csv),
        (USAGE_FILE, derived.usage_csv),
        (ALLOWED_SIGNERS_FILE, allowed.into_bytes()),
    ];
    for (name, bytes) in files.into_iter().chain(texts) {
        w.add_bytes(name, bytes).map_err(out)?;
    }
    if let Some(text) = since_text {
        w.add_bytes(SINCE_FILE, text.into_bytes()).map_err(out)?;
    }
    // The checkpoint pins BLAKE3SUMS, so the signature covers every file.
    let sums = w.sums().map_err(out)?;
    let checkpoint = Checkpoint {
        store: store_id.clone(),
        seq: known,
        hash: head,
        time: when::now(),
        sums: Some(*blake3::hash(sums.as_bytes()).as_bytes()),
    };
    let checkpoint_text = checkpoint
        .render()
        .map_err(|e| Error::new(ErrorKind::Integrity, e.to_string()))?;
    let signature = sign(&key, CHECKPOINT_NAMESPACE, checkpoint_text.as_bytes())?;
    w.add_unsummed(CHECKPOINT_FILE, checkpoint_text.into_bytes())
        .map_err(out)?;
    w.add_unsummed(SIGNATURE_FILE, signature.into_bytes())
        .map_err(out)?;
    let written = w.write(&request.out, request.force).map_err(out)?;
    Ok(PackBuilt {
        path: written.path,
        files: written.entries.len(),
        documents: documents.packed.len(),
        as_of: as_of.to_string(),
        known_at_seq: known,
        disclosed: facts.disclosed,
        head: to_hex(&head),
        fingerprint: key_info.fingerprint,
        vendor,
    })
}

/// The vendor as first typed, of every vendor the store has heard of
/// (licenses and usage counts).
fn known_vendor(store: &Store, scope: &Scope, wanted: &str, typed: &str) -> Result<String> {
    let mut vendors: BTreeMap<String, String> = BTreeMap::new();
    for t in store.timelines()? {
        if let Some((_, terms)) = t.purchase() {
            vendors
                .entry(match_key(&terms.vendor))
                .or_insert_with(|| terms.vendor.trim().to_owned());
        }
    }
    for u in store.usage_series()? {
        vendors
            .entry(match_key(&u.vendor))
            .or_insert_with(|| u.vendor.clone());
    }
    vendors.retain(|key, _| scope.sees_vendor(key));
    if let Some(v) = vendors.get(wanted) {
        return Ok(v.clone());
    }
    let list: Vec<&str> = vendors.values().map(String::as_str).collect();
    let err = if list.is_empty() {
        Error::not_found(format!(
            "unknown vendor {typed:?}: the store has no vendors yet"
        ))
    } else {
        Error::not_found(format!("unknown vendor {typed:?}"))
            .hint(format!("the known vendors are: {}", list.join(", ")))
    };
    Err(err.at("vendor"))
}

/// The hosts (folded) on which an installation of the vendor (folded) is
/// recorded up to seq `known`: their facts are the vendor's evidence too.
fn vendor_hosts(store: &Store, vendor: &str, known: u64) -> Result<BTreeSet<String>> {
    use entitle_core::inventory::HostChange;
    let mut hosts = BTreeSet::new();
    for t in store.host_timelines()? {
        let runs_it = t.entries.iter().any(|e| {
            e.seq <= known
                && matches!(&e.change, HostChange::Installed { vendor: v, .. }
                    if match_key(v) == vendor)
        });
        if runs_it {
            hosts.insert(t.key);
        }
    }
    Ok(hosts)
}
