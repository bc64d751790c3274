//! Continuous replication: with `[backup] replicate_to` (or
//! `--replicate-to`) set, the server copies its committed log and
//! documents there by the same incremental step as `entitle backup`.
//!
//! - **When.** Once at start-up (catching up on what was written while
//!   the server was down), then `replicate_delay` (default 10 s) after a
//!   write. Writes that arrive within the delay, or while a copy runs,
//!   are copied together by the next run: a burst of writes makes one or
//!   two runs, not one per write.
//! - **Never in the way of writes.** A run takes the committed head under
//!   a short read lock ([`backup::Head`]) and copies from it on a
//!   blocking thread while writes go on; a write only nudges the
//!   replicator, it never waits for it.
//! - **Failures** (the network gone, a bucket that refuses) are logged
//!   (never a credential: the destination is `s3://bucket/prefix` or a
//!   path) and tried again after 1 s, 2 s, 4 s … up to
//!   [`MAX_BACKOFF`], and shown by `GET /api/v1/replication` and the
//!   dashboard.
//! - **Shutdown.** The replicator is told to stop when the server stops
//!   taking requests: a run in flight is cut short before its next object
//!   (a copy cut short leaves its last manifest valid, as every
//!   interrupted backup does), and the server waits for it no longer than
//!   its runtime's shutdown bound (10 s).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use entitle_app::backup::replicate::{Replicate, Stoppable};
use entitle_app::backup::{self, BackupReport, BackupRequest};
use entitle_app::config::BackupSection;
use entitle_app::{Error, ErrorKind, Progress};
use entitle_core::chain;
use jiff::Timestamp;
use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::watch;

use crate::state::Shared;

/// Where the server replicates to, as checked at start-up.
#[derive(Debug, Clone)]
pub struct Replication {
    /// The destination and the delay.
    pub to: Replicate,
    /// `[backup]` of the settings file: the S3 endpoint, region and
    /// Object Lock retention, as `entitle backup` reads them.
    pub backup: BackupSection,
}

/// The longest wait before a failed copy is tried again.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(5 * 60);

/// The last copy that completed.
#[derive(Debug, Clone)]
struct Copied {
    seq: u64,
    head: String,
    at: Timestamp,
}

/// What the replicator knows, for the status.
#[derive(Debug, Default)]
struct State {
    /// The committed head: seq and chain hash.
    head_seq: u64,
    head: String,
    /// The last run that completed (up to date or with a new manifest).
    copied: Option<Copied>,
    /// Since when the copy is behind the head: the first write it has not
    /// copied (or the start of the run that left writes behind).
    behind_since: Option<Timestamp>,
    running: bool,
    /// Runs that wrote a manifest since the server started.
    manifests: u64,
    /// Runs since the server started, failed ones too.
    runs: u64,
    /// Failures in a row (0 after a run that completed).
    failures: u32,
    last_error: Option<(Timestamp, String)>,
    next_try: Option<Timestamp>,
}

/// The replicator's settings, state and signals; present whether or not
/// replication is set (the status then says it is off).
#[derive(Debug)]
pub(crate) struct Replicator {
    settings: Option<Replication>,
    state: Mutex<State>,
    /// The committed head's seq, sent by the writer after each write.
    written: watch::Sender<u64>,
    /// Set when the server shuts down.
    stop: AtomicBool,
    stopping: watch::Sender<bool>,
}

impl Replicator {
    /// A replicator for `settings`, the store's committed head being
    /// `head_seq` and `head`.
    pub(crate) fn new(settings: Option<Replication>, head_seq: u64, head: String) -> Replicator {
        Replicator {
            settings,
            state: Mutex::new(State {
                head_seq,
                head,
                ..State::default()
            }),
            written: watch::Sender::new(head_seq),
            stop: AtomicBool::new(false),
            stopping: watch::Sender::new(false),
        }
    }

    /// Called by the writer after a write: the committed head now.
    pub(crate) fn written(&self, seq: u64, head: &chain::Hash32) {
        {
            let mut state = self.state.lock();
            if seq == state.head_seq {
                return;
            }
            state.head_seq = seq;
            state.head = chain::to_hex(head);
            let copied = state.copied.as_ref().map_or(0, |c| c.seq);
            if seq > copied && state.behind_since.is_none() {
                state.behind_since = Some(Timestamp::now());
            }
        }
        self.written.send_replace(seq);
    }

    /// Tells the replicator to stop: no new run starts, and one in flight
    /// stops before its next object.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.stopping.send_replace(true);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// The status as `GET /api/v1/replication` answers it; the
    /// destination and the error only for an admin.
    pub(crate) fn status(&self, admin: bool) -> Status {
        let state = self.state.lock();
        let now = Timestamp::now();
        let copied_seq = state.copied.as_ref().map(|c| c.seq);
        let lag_events = state.head_seq.saturating_sub(copied_seq.unwrap_or(0));
        let lag_seconds = match (&state.behind_since, lag_events) {
            (_, 0) => 0,
            (Some(since), _) => u64::try_from(now.as_second() - since.as_second()).unwrap_or(0),
            (None, _) => 0,
        };
        Status {
            enabled: self.settings.is_some(),
            dest: self
                .settings
                .as_ref()
                .filter(|_| admin)
                .map(|s| s.to.dest.clone()),
            delay_ms: self
                .settings
                .as_ref()
                .map(|s| u64::try_from(s.to.delay.as_millis()).unwrap_or(u64::MAX)),
            head_seq: state.head_seq,
            head: state.head.clone(),
            replicated_seq: copied_seq,
            replicated_head: state.copied.as_ref().map(|c| c.head.clone()),
            replicated_at: state.copied.as_ref().map(|c| c.at.to_string()),
            lag_events,
            lag_seconds,
            running: state.running,
            runs: state.runs,
            manifests: state.manifests,
            failures: state.failures,
            failing: state.failures > 0,
            last_error: state
                .last_error
                .as_ref()
                .filter(|_| admin)
                .map(|(_, e)| e.clone()),
            last_error_at: state.last_error.as_ref().map(|(at, _)| at.to_string()),
            next_try_at: state.next_try.map(|t| t.to_string()),
        }
    }
}

/// `GET /api/v1/replication`: the off-site copy's state. Counts, seqs and
/// chain hashes are for every signed-in role (as `GET /api/v1/verify`);
/// the destination and the error text for admins only.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Status {
    /// Whether the server replicates (`replicate_to` set).
    pub enabled: bool,
    /// Where to (admins only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest: Option<String>,
    /// The delay after a write, in milliseconds.
    pub delay_ms: Option<u64>,
    /// The store's committed head.
    pub head_seq: u64,
    /// Its chain hash.
    pub head: String,
    /// The last seq the copy holds, once a run completed since the
    /// server started.
    pub replicated_seq: Option<u64>,
    /// The chain hash at `replicated_seq`.
    pub replicated_head: Option<String>,
    /// When that run completed (RFC 3339).
    pub replicated_at: Option<String>,
    /// Events the copy is behind the head.
    pub lag_events: u64,
    /// Seconds since the first event the copy does not hold was written
    /// (0 when it holds every one).
    pub lag_seconds: u64,
    /// Whether a run is in flight.
    pub running: bool,
    /// Runs since the server started (failed ones too).
    pub runs: u64,
    /// Runs that wrote a manifest since the server started.
    pub manifests: u64,
    /// Failed runs in a row (0 after one that completed).
    pub failures: u32,
    /// Whether the last run failed.
    pub failing: bool,
    /// Why the last run failed (admins only; never a credential).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the last run failed.
    pub last_error_at: Option<String>,
    /// When a failed copy is tried again.
    pub next_try_at: Option<String>,
}

/// The wait before try `failures + 1`: 1 s, 2 s, 4 s … up to
/// [`MAX_BACKOFF`].
fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(16)).min(MAX_BACKOFF)
}

/// Copies at start-up, then after each write (see the module docs), until
/// the server stops. Returns at once when replication is not set.
pub(crate) async fn keep_replicating(shared: Arc<Shared>) {
    let replicator = &shared.replicator;
    let Some(settings) = replicator.settings.clone() else {
        return;
    };
    tracing::info!(
        dest = %settings.to.dest,
        delay_ms = u64::try_from(settings.to.delay.as_millis()).unwrap_or(u64::MAX),
        "replicating every write to this destination"
    );
    let mut written = replicator.written.subscribe();
    let mut stopping = replicator.stopping.subscribe();
    loop {
        written.borrow_and_update();
        let ok = run(&shared).await;
        if replicator.stopped() {
            return;
        }
        let failures = replicator.state.lock().failures;
        if ok {
            // Wait for a write (one that came during the run counts).
            tokio::select! {
                changed = written.changed() => if changed.is_err() { return },
                _ = stopping.changed() => return,
            }
            // Then the delay, so that a burst is copied together.
            tokio::select! {
                () = tokio::time::sleep(settings.to.delay) => {}
                _ = stopping.changed() => return,
            }
        } else {
            tokio::select! {
                () = tokio::time::sleep(backoff(failures)) => {}
                _ = stopping.changed() => return,
            }
        }
    }
}

/// One run on a blocking thread; whether it completed.
async fn run(shared: &Arc<Shared>) -> bool {
    let started = Timestamp::now();
    shared.replicator.state.lock().running = true;
    let worker = Arc::clone(shared);
    let outcome = tokio::task::spawn_blocking(move || once(&worker))
        .await
        .unwrap_or_else(|e| {
            Err(Error::new(
                ErrorKind::Io,
                format!("the replication run stopped: {e}"),
            ))
        });
    let replicator = &shared.replicator;
    let mut state = replicator.state.lock();
    state.running = false;
    state.runs += 1;
    match outcome {
        Ok(report) => {
            if report.manifest.is_some() {
                state.manifests += 1;
            }
            tracing::info!(
                seq = report.seq,
                objects = report.uploaded.objects,
                bytes = report.uploaded.bytes,
                up_to_date = report.up_to_date,
                "replicated"
            );
            state.behind_since = (state.head_seq > report.seq).then_some(started);
            state.copied = Some(Copied {
                seq: report.seq,
                head: report.head,
                at: Timestamp::now(),
            });
            state.failures = 0;
            state.next_try = None;
            true
        }
        Err(e) if replicator.stopped() => {
            tracing::info!(error = %e, "replication stopped for the shutdown; the copy's last manifest stays valid");
            false
        }
        Err(e) => {
            state.failures = state.failures.saturating_add(1);
            let wait = backoff(state.failures);
            let now = Timestamp::now();
            state.next_try = jiff::SignedDuration::try_from(wait)
                .ok()
                .and_then(|w| now.checked_add(w).ok());
            tracing::error!(
                error = %e,
                failures = state.failures,
                retry_in_s = wait.as_secs(),
                "replication failed; writes go on, and it is tried again"
            );
            state.last_error = Some((now, e.to_string()));
            false
        }
    }
}

/// Takes the committed head under a short read lock, then copies it.
fn once(shared: &Shared) -> Result<BackupReport, Error> {
    let Some(settings) = &shared.replicator.settings else {
        return Err(Error::new(ErrorKind::BadInput, "replication is not set"));
    };
    let head = backup::Head::of(&shared.store.read(), false)?;
    let opened = backup::open_dest(&settings.to.dest, &settings.backup)?;
    let stoppable = Stoppable {
        inner: opened.as_ref(),
        stop: &shared.replicator.stop,
    };
    let request = BackupRequest {
        retain_days: None,
        lock_mode: None,
        include_key: false,
    };
    backup::backup_committed(&head, &stoppable, &request, &settings.backup, &Logged)
}

/// What a run says on the way (a signing key created, an Object Lock
/// status the bucket would not tell) goes to the log; its progress does
/// not.
struct Logged;

impl Progress for Logged {
    fn notice(&self, text: &str) {
        tracing::warn!(notice = text, "replication");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_bound() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(4), Duration::from_secs(8));
        assert_eq!(backoff(30), MAX_BACKOFF);
    }
}
