//! The JSON API under `/api/v1/`: every use case of `crates/app`, each
//! behind the principal check and scoped inside the query.

pub(crate) mod accounts;
pub(crate) mod backups;
pub(crate) mod documents;
pub(crate) mod packs;
mod params;
mod queries;
pub(crate) mod reminders;
pub(crate) mod session;
pub(crate) mod writes;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use entitle_app::{Error, Store};

use crate::error::{ApiError, ApiResult};
use crate::state::Shared;

/// The largest JSON or CSV body (an events import, a usage sheet).
pub(crate) const BODY_LIMIT: usize = 64 << 20;
/// The largest document upload.
pub(crate) const UPLOAD_LIMIT: u64 = 1 << 30;

/// The API's routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/api/v1/session",
            get(session::whoami)
                .post(session::sign_in)
                .delete(session::sign_out),
        )
        .route("/api/v1/setup", post(session::setup))
        .route("/api/v1/position", get(queries::position))
        .route("/api/v1/state", get(queries::state))
        .route("/api/v1/spend", get(queries::spend))
        .route("/api/v1/renewals", get(queries::renewals))
        .route("/api/v1/inventory", get(queries::inventory))
        .route("/api/v1/hosts/{name}/history", get(queries::host_history))
        .route("/api/v1/reminders", get(reminders::reminders))
        .route("/api/v1/licenses/{id}/history", get(queries::history))
        .route(
            "/api/v1/usage/{vendor}/{product}/{metric}",
            get(queries::usage),
        )
        .route("/api/v1/verify", get(queries::verify))
        .route("/api/v1/backups", post(backups::backup))
        .route("/api/v1/replication", get(backups::replication))
        .route("/api/v1/export", get(writes::export))
        .route("/api/v1/events", post(writes::events))
        .route("/api/v1/imports/usage", post(writes::usage_import))
        .route("/api/v1/imports/licenses", post(writes::licenses_import))
        .route("/api/v1/imports/inventory", post(writes::inventory_import))
        .route("/api/v1/audit-packs", post(packs::build))
        .route("/api/v1/audit-packs/verify", post(packs::verify))
        .route("/api/v1/search", get(documents::search))
        .route("/api/v1/documents/{hash}", get(documents::show))
        .route("/api/v1/documents/{hash}/content", get(documents::content))
        .route("/api/v1/documents/{hash}/text", get(documents::text))
        .route(
            "/api/v1/users",
            get(accounts::users).post(accounts::add_user),
        )
        .route("/api/v1/users/{name}", patch(accounts::change_user))
        .route(
            "/api/v1/tokens",
            get(accounts::tokens).post(accounts::create_token),
        )
        .route("/api/v1/tokens/{id}", delete(accounts::revoke_token))
        .route("/api/v1/access-log", get(accounts::access_log))
        .route(
            "/api/v1/calendar",
            post(accounts::rotate_calendar).delete(accounts::revoke_calendar),
        )
        .route("/calendar/{file}", get(accounts::calendar))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Added after the layer above, so that only its own limit applies
        // (the form around the file may add a little).
        .route(
            "/api/v1/documents",
            get(documents::list)
                .post(documents::upload)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT as usize + (1 << 20))),
        )
}

/// Runs a query on a blocking thread with the store held for reading.
pub(crate) async fn read<T: Send + 'static>(
    shared: &Arc<Shared>,
    work: impl FnOnce(&Store) -> Result<T, Error> + Send + 'static,
) -> ApiResult<Json<T>> {
    let store = Arc::clone(&shared.store);
    let answer = tokio::task::spawn_blocking(move || work(&store.read()))
        .await
        .map_err(|e| {
            ApiError::App(Error::new(
                entitle_app::ErrorKind::Integrity,
                format!("the query failed: {e}"),
            ))
        })?;
    Ok(Json(answer?))
}
