//! The chain's state as the dashboard shows it: the server re-verifies the
//! whole log and the archive when it starts and every ten minutes after
//! (and whenever `GET /api/v1/verify` is asked), and keeps the last result
//! with the moment it was taken — "verified: 1,024 events, head 3f2a…,
//! checked 2 minutes ago".

use std::sync::Arc;
use std::time::Duration;

use entitle_app::maintenance::{self, Verification};
use entitle_app::{Error, ErrorKind, Silent};
use jiff::Timestamp;
use parking_lot::Mutex;

use crate::state::Shared;

/// How often the server re-verifies on its own.
const CHECK_EVERY: Duration = Duration::from_secs(10 * 60);

/// A verification and when it finished.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub at: Timestamp,
    pub verification: Verification,
}

/// The last verification, if one ran since the server started.
#[derive(Debug, Default)]
pub(crate) struct LastCheck(Mutex<Option<Checked>>);

impl LastCheck {
    pub(crate) fn get(&self) -> Option<Checked> {
        self.0.lock().clone()
    }

    fn set(&self, verification: Verification) {
        *self.0.lock() = Some(Checked {
            at: Timestamp::now(),
            verification,
        });
    }
}

/// Verifies now (on a blocking thread, the store held for reading so
/// that no write is half-read) and keeps the result.
pub(crate) async fn check(shared: &Arc<Shared>) -> Result<Verification, Error> {
    let store = Arc::clone(&shared.store);
    let verification =
        tokio::task::spawn_blocking(move || maintenance::verify(&store.read(), &Silent))
            .await
            .map_err(|e| Error::new(ErrorKind::Integrity, format!("the check failed: {e}")))??;
    shared.checked.set(verification.clone());
    if !verification.intact {
        tracing::error!(
            first_bad_seq = ?verification.first_bad_seq,
            problem = verification.problems.first().map(String::as_str),
            "the chain does not hold"
        );
    }
    Ok(verification)
}

/// Verifies at once, then every [`CHECK_EVERY`], for as long as the
/// server runs.
pub(crate) async fn keep_checking(shared: Arc<Shared>) {
    loop {
        if let Err(e) = check(&shared).await {
            tracing::error!(error = %e, "the chain could not be checked");
        }
        tokio::time::sleep(CHECK_EVERY).await;
    }
}
