//! What every request shares: the store (many readers, one writer), the
//! accounts, the sessions and the sign-in throttle.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use entitle_app::Store;
use entitle_auth::AuthDir;
use parking_lot::{Mutex, RwLock};

use crate::session::Sessions;
use crate::throttle::Throttle;
use crate::writer::Writer;

/// How long an idempotency key's answer is remembered.
pub(crate) const IDEMPOTENCY_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// A write's answer, kept under its idempotency key so that a repeated
/// request (a double submit, a retry after a lost answer) gets the same
/// answer and records nothing twice.
#[derive(Debug, Clone)]
pub(crate) struct Remembered {
    pub at: Instant,
    pub status: u16,
    pub body: Vec<u8>,
}

/// The server's shared state.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The open store: queries read it concurrently; only the writer
    /// writes.
    pub store: Arc<RwLock<Store>>,
    /// The one writer.
    pub writer: Writer,
    /// Accounts, tokens, calendars and the access log.
    pub auth: RwLock<AuthDir>,
    /// Signed-in browsers.
    pub sessions: Sessions,
    /// Failed sign-ins.
    pub throttle: Throttle,
    /// Whether the server speaks TLS.
    pub tls: bool,
    /// The proxy whose `X-Forwarded-For` is believed.
    pub proxy: Option<IpAddr>,
    /// Answers by (account, idempotency key).
    pub remembered: Mutex<HashMap<(String, String), Remembered>>,
    /// Spreadsheets previewed in the pages, waiting for their commit.
    pub previews: crate::pages::imports::Previews,
    /// The last positions answered.
    pub answers: crate::answers::Answers,
    /// The last verification of the chain and the archive.
    pub checked: crate::checked::LastCheck,
    /// The reminder settings and the SMTP password.
    pub reminders: crate::daily::Reminders,
    /// The last daily reminder run since the server started.
    pub last_run: crate::daily::Last,
    /// Continuous replication: its settings and state.
    pub replicator: Arc<crate::replicate::Replicator>,
    /// `[backup]` of the settings file the server was started with.
    pub backup: entitle_app::config::BackupSection,
}
