//! The read-only questions: position, state, spend, renewals, history and
//! verify — each scoped to what the account may see, each with the same
//! JSON as the CLI's `--json`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use entitle_app::query::{self, PositionRequest, Query, RenewalsRequest, SpendRequest};
use serde::Deserialize;

use super::params::{whole, Params};
use super::read;
use crate::error::ApiResult;
use crate::principal::Principal;
use crate::state::Shared;

/// `?as_of=&known_at=&vendor=` and, for the position, `stale_after`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WhenParams {
    as_of: Option<String>,
    known_at: Option<String>,
    vendor: Option<String>,
    stale_after: Option<String>,
}

impl WhenParams {
    fn query(&self) -> Query {
        Query {
            as_of: self.as_of.clone(),
            known_at: self.known_at.clone(),
            vendor: self.vendor.clone(),
        }
    }
}

/// `GET /api/v1/position`
pub(crate) async fn position(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Params(p): Params<WhenParams>,
) -> ApiResult<Response> {
    let req = PositionRequest {
        query: p.query(),
        stale_after: whole("stale_after", p.stale_after.as_deref())?
            .unwrap_or(entitle_core::position::DEFAULT_STALE_AFTER_DAYS),
    };
    let scope = who.scope();
    let answers = Arc::clone(&shared);
    let Json(json) = read(&shared, move |store| {
        answers.answers.position_json(store, &scope, &req)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// `GET /api/v1/state`
pub(crate) async fn state(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Params(p): Params<WhenParams>,
) -> ApiResult<Json<query::State>> {
    let q = p.query();
    let scope = who.scope();
    read(&shared, move |store| query::state(store, &scope, &q)).await
}

/// `?year=&vendor=&known_at=`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpendParams {
    year: Option<String>,
    vendor: Option<String>,
    known_at: Option<String>,
}

/// `GET /api/v1/spend`
pub(crate) async fn spend(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Params(p): Params<SpendParams>,
) -> ApiResult<Json<query::Spend>> {
    let req = SpendRequest {
        year: whole("year", p.year.as_deref())?,
        vendor: p.vendor,
        known_at: p.known_at,
    };
    let scope = who.scope();
    read(&shared, move |store| query::spend(store, &scope, &req)).await
}

/// `?as_of=&within=&known_at=`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RenewalsParams {
    as_of: Option<String>,
    within: Option<String>,
    known_at: Option<String>,
}

impl RenewalsParams {
    pub(crate) fn request(self) -> ApiResult<RenewalsRequest> {
        Ok(RenewalsRequest {
            as_of: self.as_of,
            within: whole("within", self.within.as_deref())?.unwrap_or(90),
            known_at: self.known_at,
        })
    }
}

/// `GET /api/v1/renewals`
pub(crate) async fn renewals(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Params(p): Params<RenewalsParams>,
) -> ApiResult<Json<query::Renewals>> {
    let req = p.request()?;
    let scope = who.scope();
    read(&shared, move |store| query::renewals(store, &scope, &req)).await
}

/// `GET /api/v1/licenses/{id}/history`
pub(crate) async fn history(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<query::History>> {
    let scope = who.scope();
    read(&shared, move |store| query::history(store, &scope, &id)).await
}

/// `GET /api/v1/hosts/{name}/history`: what changed on a host (a host of
/// vendors out of scope answers 404, as an unknown one).
pub(crate) async fn host_history(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Path(name): Path<String>,
) -> ApiResult<Json<query::HostHistory>> {
    let scope = who.scope();
    read(&shared, move |store| {
        query::host_history(store, &scope, &name)
    })
    .await
}

/// `?known_at=`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KnownAtParams {
    known_at: Option<String>,
}

/// `GET /api/v1/usage/{vendor}/{product}/{metric}?known_at=`: one
/// product's counts over time, each with the entitled quantity on its
/// date (a vendor out of scope answers 404, as one without counts).
pub(crate) async fn usage(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Path((vendor, product, metric)): Path<(String, String, String)>,
    Params(p): Params<KnownAtParams>,
) -> ApiResult<Json<query::UsageHistory>> {
    let scope = who.scope();
    let req = query::UsageRequest {
        vendor,
        product,
        metric,
        known_at: p.known_at,
    };
    read(&shared, move |store| {
        query::usage_history(store, &scope, &req)
    })
    .await
}

/// `GET /api/v1/verify`: the whole chain and archive re-checked (counts
/// and the chain head, which every role may see).
pub(crate) async fn verify(
    State(shared): State<Arc<Shared>>,
    _who: Principal,
) -> ApiResult<Json<entitle_app::maintenance::Verification>> {
    Ok(Json(crate::checked::check(&shared).await?))
}

/// `?as_of=&known_at=&vendor=&host=`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InventoryParams {
    as_of: Option<String>,
    known_at: Option<String>,
    vendor: Option<String>,
    host: Option<String>,
}

/// `GET /api/v1/inventory`: the hosts, their facts and their software on
/// the date, as `inventory --json` (an auditor sees the hosts running
/// their vendors' software, with that software only).
pub(crate) async fn inventory(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Params(p): Params<InventoryParams>,
) -> ApiResult<Json<query::Inventory>> {
    let req = query::InventoryRequest {
        query: Query {
            as_of: p.as_of,
            known_at: p.known_at,
            vendor: p.vendor,
        },
        host: p.host,
    };
    let scope = who.scope();
    read(&shared, move |store| query::inventory(store, &scope, &req)).await
}
