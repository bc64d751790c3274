//! `POST /api/v1/backups` (admins): `entitle backup` run by the server,
//! which holds the store. The committed head is taken under a short read
//! lock; the copy is then made from it while writes go on (the log only
//! grows past the head, and stored documents never change).
//!
//! `GET /api/v1/replication` (every signed-in role): the state of the
//! continuous copy (`[backup] replicate_to`); its destination and error
//! text for admins only.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::Json;
use entitle_app::backup::{self, BackupReport, BackupRequest};
use entitle_app::progress::{Progress, Unit};
use entitle_app::{Error, ErrorKind};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::principal::Principal;
use crate::state::Shared;

/// What to copy where, as `backup`'s flags.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BackupBody {
    /// A directory on the server's machine, or `s3://bucket/prefix`.
    dest: String,
    retain_days: Option<String>,
    lock_mode: Option<String>,
    #[serde(default)]
    include_key: bool,
}

/// `backup --json`, and what the backup said on the way (a key created,
/// an Object Lock status the bucket would not tell).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct BackupAnswer {
    #[serde(flatten)]
    pub report: BackupReport,
    pub notices: Vec<String>,
}

/// The notices of a backup, kept for the answer.
#[derive(Debug, Default)]
struct Notices(Mutex<Vec<String>>);

impl Progress for Notices {
    fn start(&self, _label: &str, _total: Option<u64>, _unit: Unit) {}
    fn advance(&self, _n: u64) {}
    fn notice(&self, text: &str) {
        if let Ok(mut said) = self.0.lock() {
            said.push(text.to_owned());
        }
    }
}

/// `POST /api/v1/backups`
pub(crate) async fn backup(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Json(body): Json<BackupBody>,
) -> ApiResult<Json<BackupAnswer>> {
    who.must_admin()?;
    let request = BackupRequest {
        retain_days: body.retain_days,
        lock_mode: body.lock_mode,
        include_key: body.include_key,
    };
    let done = run(&shared, body.dest, request).await;
    tracing::info!(admin = %who.account.name, ok = done.is_ok(), "backup");
    Ok(Json(done?))
}

/// Copies the store's committed head to `dest` as `entitle backup` does
/// (for the API and the admin page; the caller checked for an admin).
pub(crate) async fn run(
    shared: &Arc<Shared>,
    dest: String,
    request: BackupRequest,
) -> Result<BackupAnswer, ApiError> {
    let store = Arc::clone(&shared.store);
    // The settings `serve` was started with (its `--config`), not a
    // second read of the store's own file.
    let settings = shared.backup.clone();
    let done = tokio::task::spawn_blocking(move || {
        let head = backup::Head::of(&store.read(), request.include_key)?;
        let dest = backup::open_dest(&dest, &settings)?;
        let notices = Notices::default();
        let report = backup::backup_committed(&head, dest.as_ref(), &request, &settings, &notices)?;
        let notices = notices.0.into_inner().unwrap_or_default();
        Ok::<_, Error>(BackupAnswer { report, notices })
    })
    .await
    .map_err(|_| ApiError::App(Error::new(ErrorKind::Io, "the backup stopped unexpectedly")))?;
    Ok(done?)
}

/// `GET /api/v1/replication`
pub(crate) async fn replication(
    State(shared): State<Arc<Shared>>,
    who: Principal,
) -> Json<crate::replicate::Status> {
    Json(shared.replicator.status(who.must_admin().is_ok()))
}
