//! Opening a store: what it means (must exist, create if missing,
//! inspect) is said by the caller; what recovery did comes back as
//! notices for the front-end to show.

use std::path::Path;
use std::time::Duration;

pub use entitle_store::{KnownAt, Open, Store, SERVER_COMMAND};

use crate::error::Result;
use crate::progress::Progress;

/// Opens the store at `path` for `purpose` (named in the lock file, so that
/// another process can say who holds the store). What recovery did on the
/// way is in [`Store::notices`].
///
/// # Errors
///
/// When there is no store and `mode` is [`Open::MustExist`], it is held
/// by another process, of another format, or damaged.
pub fn open(path: &Path, mode: Open, purpose: &str) -> Result<Store> {
    Ok(Store::open(path, mode, purpose)?)
}

/// Opens the store at `path` as [`open`] does, waiting up to `up_to` for
/// another process that holds it (never for the server, which holds it
/// until it stops); `progress` is told once whom it waits for.
///
/// # Errors
///
/// As [`open`]; [`crate::ErrorKind::Locked`] when the store is still held
/// after the wait.
pub fn open_waiting(
    path: &Path,
    mode: Open,
    purpose: &str,
    up_to: Duration,
    progress: &dyn Progress,
) -> Result<Store> {
    let waiting = |holder: &str| {
        progress.notice(&format!("waiting for the store: it is in use by {holder}"));
    };
    let wait = entitle_store::LockWait {
        up_to,
        waiting: &waiting,
    };
    Ok(Store::open_waiting(path, mode, purpose, &wait)?)
}

/// Opens the store at `path` when there is one (for dry runs that check
/// against a store if it exists but must not create it), waiting as
/// [`open_waiting`] does.
///
/// # Errors
///
/// As [`open_waiting`].
pub fn open_if_exists(
    path: &Path,
    purpose: &str,
    up_to: Duration,
    progress: &dyn Progress,
) -> Result<Option<Store>> {
    if !entitle_store::Layout::new(path).format().exists() {
        return Ok(None);
    }
    open_waiting(path, Open::MustExist, purpose, up_to, progress).map(Some)
}

/// The seq a query is known at: `known` resolved against the store.
///
/// # Errors
///
/// For a seq beyond the log.
pub fn known_seq(store: &Store, known: KnownAt) -> Result<u64> {
    Ok(store.known_seq(known)?)
}
