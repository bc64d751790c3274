//! Evidence and upkeep: verify the whole log and the archive, export the
//! chain, rebuild the derived state.

use std::io::Write;

use entitle_core::chain;
use entitle_store::Store;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::scope::Scope;

/// What [`verify`] found. A damaged store is a result, not an error: the
/// report names the first bad event and every problem.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Verification {
    /// Whether the log, the chain and every document hold.
    pub intact: bool,
    /// Lines of the log read.
    pub events: u64,
    /// The chain head over everything read, lowercase hex.
    pub head: String,
    /// Archived documents re-hashed.
    pub documents: u64,
    /// The first bad event, when one is named.
    pub first_bad_seq: Option<u64>,
    /// What is wrong, first first (at most 20).
    pub problems: Vec<String>,
}

/// Re-reads the whole log, recomputes the chain, compares every record
/// with the digest recorded when it was written, checks seqs and times,
/// and re-hashes every archived document.
///
/// # Errors
///
/// When the log cannot be read at all.
pub fn verify(store: &Store, progress: &dyn Progress) -> Result<Verification> {
    let report = store.verify_observed(progress)?;
    Ok(Verification {
        intact: report.is_intact(),
        events: report.events,
        head: chain::to_hex(&report.head_hash),
        documents: report.documents,
        first_bad_seq: report.problems.first().and_then(|p| p.seq),
        problems: report.problems.into_iter().map(|p| p.what).collect(),
    })
}

/// Writes the chain for any BLAKE3 tool, one
/// `{"seq","digest","hash","record"}` line per event. Every vendor's
/// records are in it, so only a reader of everything may export: a
/// vendor's auditor gets that vendor's audit pack instead.
///
/// # Errors
///
/// Kind forbidden (before anything is written) when `scope` is not
/// [`Scope::All`]; when the log cannot be read or `out` cannot be written.
pub fn export(store: &Store, scope: &Scope, out: &mut dyn Write) -> Result<()> {
    scope.require_all("the export of the whole log")?;
    store.export(out, u64::MAX, &mut |_, _| true)?;
    out.flush()
        .map_err(|e| Error::io(std::path::Path::new("the export's output"), e))
}

/// What [`rebuild`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Rebuilt {
    /// Events replayed.
    pub events: u64,
    /// The chain head, lowercase hex.
    pub head: String,
}

/// Drops all derived state and rebuilds it from the log.
///
/// # Errors
///
/// When the log cannot be read or a line is not a record in sequence.
pub fn rebuild(store: &mut Store, progress: &dyn Progress) -> Result<Rebuilt> {
    let events = store.rebuild_observed(progress)?;
    Ok(Rebuilt {
        events,
        head: chain::to_hex(&store.applied().head_hash),
    })
}

/// What [`accept_log_head`] accepted. Its JSON is `rebuild
/// --accept-log-head --json`.
#[derive(Debug, Clone, Serialize)]
pub struct AcceptedHead {
    /// Events in the log as accepted.
    pub events: u64,
    /// Its chain head, lowercase hex.
    pub head: String,
    /// The last event `log/HEAD` named, when it was readable.
    pub previous_seq: Option<u64>,
    /// Its chain head, lowercase hex.
    pub previous_head: Option<String>,
    /// Where the acceptance is recorded (`log/HEAD.accepted`).
    pub recorded_in: String,
}

/// Accepts the log as it is — restored from an older copy on purpose — as
/// the truth: rebuilds the derived state from it, makes `log/HEAD` name its
/// end and records that in `log/HEAD.accepted`. Open the store with
/// [`crate::Open::Inspect`]: a log that does not end where entitle last
/// wrote it does not open otherwise.
///
/// # Errors
///
/// When a line of the log is not a record in sequence (such a log cannot
/// be accepted: restore a good copy), or the files cannot be written.
pub fn accept_log_head(store: &mut Store, progress: &dyn Progress) -> Result<AcceptedHead> {
    let accepted = store.accept_log_head(progress)?;
    Ok(AcceptedHead {
        events: accepted.after.0,
        head: chain::to_hex(&accepted.after.1),
        previous_seq: accepted.before.map(|b| b.0),
        previous_head: accepted.before.map(|b| chain::to_hex(&b.1)),
        recorded_in: accepted.record.display().to_string(),
    })
}
