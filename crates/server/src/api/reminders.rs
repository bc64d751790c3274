//! `GET /api/v1/reminders`: what is due today (the dry run of
//! `entitle remind`) and what was sent (the sent-log, newest first).
//!
//! Who may ask: admins, editors and viewers. An auditor may not: the
//! reminders are the company's own follow-up of deadlines and shortfalls
//! across every vendor (owners, digests that mix vendors, when who was
//! warned) — nothing a vendor's auditor needs to check an entitlement,
//! and a digest's very existence on a day says something about the other
//! vendors. The answer is still cut to the reader's scope inside the
//! query, so that a change of the rule could never leak another vendor's
//! item. Recipient addresses are personal data: only admins and editors
//! see them (a viewer gets `null`).

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use entitle_app::remind::{self, Overview};
use entitle_auth::{Account, Role};
use serde::Deserialize;

use super::params::{whole, Params};
use super::read;
use crate::error::{ApiError, ApiResult};
use crate::principal::Principal;
use crate::state::Shared;

/// The sent records one answer holds unless `limit` says otherwise.
pub(crate) const DEFAULT_LIMIT: usize = 100;

/// `?as_of=&limit=`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RemindersParams {
    as_of: Option<String>,
    limit: Option<String>,
}

/// Whether the account may see the reminders at all.
pub(crate) fn may_see(account: &Account) -> bool {
    account.role != Role::Auditor
}

/// Whether the account may see recipient addresses.
pub(crate) fn sees_recipients(account: &Account) -> bool {
    matches!(account.role, Role::Admin | Role::Editor)
}

/// The work of the overview for `who` on `as_of` (none: today), at most
/// `limit` sent records, to run with the store on a blocking thread.
///
/// # Errors
///
/// A malformed `as_of`.
pub(crate) fn overview_for(
    shared: &Shared,
    who: &Principal,
    as_of: Option<&str>,
    limit: usize,
) -> Result<
    impl FnOnce(&entitle_app::Store) -> Result<Overview, entitle_app::Error> + Send + 'static,
    entitle_app::Error,
> {
    let as_of = entitle_app::when::as_of(as_of)?;
    let settings = crate::daily::settings_now(shared);
    let scope = who.scope();
    let show = sees_recipients(&who.account);
    Ok(move |store: &entitle_app::Store| {
        remind::overview(store, &settings, &scope, as_of, show, limit)
    })
}

/// `GET /api/v1/reminders`
pub(crate) async fn reminders(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Params(p): Params<RemindersParams>,
) -> ApiResult<Json<Overview>> {
    if !may_see(&who.account) {
        return Err(ApiError::Forbidden("see the reminders"));
    }
    let limit = whole::<usize>("limit", p.limit.as_deref())?.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > remind::MAX_SENT {
        return Err(ApiError::invalid(
            "limit",
            &limit.to_string(),
            &format!("is not a number from 1 to {}", remind::MAX_SENT),
        ));
    }
    let work = overview_for(&shared, &who, p.as_of.as_deref(), limit)?;
    read(&shared, work).await
}
