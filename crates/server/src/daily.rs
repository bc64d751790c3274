//! The server's daily reminder run: at `[remind] daily_at` (local time)
//! the server runs the same `remind` as `entitle remind` — which it must,
//! since it holds the store and the CLI cannot open it meanwhile.
//!
//! **At startup**, when today's time has already passed, the run is made
//! at once. That is safe because every run is idempotent: the sent-log
//! holds each (item, stage, recipient) the mail server accepted, and a
//! run sends only what it does not hold. So a server started at 09:00
//! with `daily_at = "07:00"` sends today's reminders at 09:00 instead of
//! skipping a day, and a restart on a day whose run was made sends
//! nothing again (only what failed earlier, which is what a retry
//! should do).
//!
//! The run works on a blocking thread: it holds the store for reading
//! only while it works out what is due, never while the mail server
//! answers, so requests and writes go on meanwhile. What it did is
//! logged through `tracing` and kept for the reminders page.

use std::sync::Arc;
use std::time::Duration;

use entitle_app::remind::{self, Remind, RemindSettings};
use jiff::civil::{Date, Time};
use jiff::Zoned;
use parking_lot::Mutex;

use crate::state::Shared;

/// What the server knows for its reminders: the checked settings and the
/// SMTP password from the environment.
#[derive(Clone)]
pub struct Reminders {
    /// The `[remind]` and `[smtp]` settings, checked.
    pub settings: RemindSettings,
    /// `$ENTITLE_SMTP_PASSWORD`, if set (else `smtp.password_file`).
    pub password: Option<String>,
}

impl std::fmt::Debug for Reminders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("Reminders")
            .field("settings", &self.settings)
            .field("password", &self.password.as_ref().map(|_| "(set)"))
            .finish()
    }
}

/// The outcome of the last run, for the page.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct LastRun {
    /// When it finished (RFC 3339).
    pub finished_at: String,
    /// The day it reminded for.
    pub as_of: String,
    /// Messages the mail server accepted.
    pub sent: usize,
    /// Messages it did not (they stay due).
    pub failed: usize,
    /// Owners without an address.
    pub unaddressed: usize,
    /// Why the run as a whole failed (settings, sent-log, store).
    pub error: Option<String>,
}

/// The last run, if any since the server started.
pub(crate) type Last = Mutex<Option<LastRun>>;

/// Runs `remind` every day at `daily_at`, and at once when today's time
/// has passed (see the module docs). Never returns unless no time is set.
pub(crate) async fn every_day(shared: Arc<Shared>) {
    let Some(at) = shared.reminders.settings.daily_at else {
        return;
    };
    tracing::info!(daily_at = %at, "reminders are sent every day at this local time");
    let mut done: Option<Date> = None;
    loop {
        let now = Zoned::now();
        let today = now.date();
        let today_at = at_time(&now, today, at);
        if done != Some(today) && now.timestamp() >= today_at {
            run(&shared, today).await;
            done = Some(today);
            continue;
        }
        let next = if now.timestamp() < today_at {
            today_at
        } else {
            at_time(&now, today.tomorrow().unwrap_or(today), at)
        };
        let wait = next.duration_since(now.timestamp());
        let wait = Duration::try_from(wait).unwrap_or(Duration::ZERO);
        // Wake at least hourly: a changed clock, a DST switch or a
        // suspended machine is noticed within the hour.
        tokio::time::sleep(wait.clamp(Duration::from_secs(1), Duration::from_secs(3600))).await;
    }
}

/// `day` at `at` in the server's time zone (in a DST gap: the moment
/// after it).
fn at_time(now: &Zoned, day: Date, at: Time) -> jiff::Timestamp {
    day.to_datetime(at)
        .to_zoned(now.time_zone().clone())
        .map_or_else(|_| now.timestamp(), |z| z.timestamp())
}

/// One run for `today`, on a blocking thread.
async fn run(shared: &Arc<Shared>, today: Date) {
    tracing::info!(as_of = %today, "reminders: the daily run begins");
    let worker = Arc::clone(shared);
    let outcome = tokio::task::spawn_blocking(move || once(&worker, today)).await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => Err(entitle_app::Error::new(
            entitle_app::ErrorKind::Integrity,
            format!("the reminder run stopped: {e}"),
        )),
    };
    let last = match outcome {
        Ok(r) => {
            let sent = r.messages.iter().filter(|m| m.sent).count();
            let failed = r.messages.iter().filter(|m| m.error.is_some()).count();
            for m in r.messages.iter().filter(|m| m.sent) {
                tracing::info!(
                    message_id = m.message_id.as_deref().unwrap_or_default(),
                    items = m.items.len(),
                    "reminder sent"
                );
            }
            for m in &r.messages {
                if let Some(e) = &m.error {
                    tracing::error!(error = %e, "a reminder was not sent; it stays due for the next run");
                }
            }
            for u in &r.unaddressed {
                let items: Vec<&str> = u.items.iter().map(|i| i.key.as_str()).collect();
                tracing::error!(
                    owner = %u.owner,
                    items = %items.join(", "),
                    "reminders reach nobody: give the owner an address ([remind.contacts] or `entitle user email`)"
                );
            }
            tracing::info!(
                sent,
                failed,
                already_sent = r.already_sent,
                "reminders: the daily run is done"
            );
            LastRun {
                finished_at: jiff::Timestamp::now().to_string(),
                as_of: r.as_of,
                sent,
                failed,
                unaddressed: r.unaddressed.len(),
                error: None,
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "reminders: the daily run failed; the next run tries again");
            LastRun {
                finished_at: jiff::Timestamp::now().to_string(),
                as_of: today.to_string(),
                sent: 0,
                failed: 0,
                unaddressed: 0,
                error: Some(e.to_string()),
            }
        }
    };
    *shared.last_run.lock() = Some(last);
}

/// Works out what is due with the store held for reading, then sends
/// without it.
fn once(shared: &Shared, today: Date) -> Result<Remind, entitle_app::Error> {
    let settings = settings_now(shared);
    let (mut run, root) = {
        let store = shared.store.read();
        (
            remind::plan(&store, &settings, today)?,
            store.layout().root().to_path_buf(),
        )
    };
    remind::send(
        &root,
        &settings,
        &mut run,
        shared.reminders.password.as_deref(),
    )?;
    Ok(run)
}

/// The settings with the accounts' addresses as they stand now.
pub(crate) fn settings_now(shared: &Shared) -> RemindSettings {
    let accounts = shared.auth.read().list();
    shared.reminders.settings.clone().with_accounts(&accounts)
}
