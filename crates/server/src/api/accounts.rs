//! Accounts, API tokens, the access log and calendar subscriptions. Only
//! an admin manages accounts and reads the access log; everyone manages
//! their own password, tokens and calendar link.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use entitle_auth::{AccessEntry, Account, Actor, Role, TokenInfo};
use serde::{Deserialize, Serialize};

use super::read;
use crate::error::{ApiError, ApiResult};
use crate::principal::Principal;
use crate::state::Shared;

/// An auth failure as an API error, with the status its kind calls for.
pub(crate) fn auth_error(e: entitle_auth::Error) -> ApiError {
    use entitle_app::{Error, ErrorKind};
    use entitle_auth::Error as A;
    let kind = match &e {
        A::UnknownUser(_) | A::UnknownToken(_) | A::NoCalendar(_) | A::SetupRefused => {
            ErrorKind::NotFound
        }
        A::DuplicateUser { .. }
        | A::LastAdmin(_)
        | A::TokenRevoked(_)
        | A::UserDisabled(_)
        | A::SetupNotNeeded => ErrorKind::Conflict,
        A::Io { .. } | A::Random(_) | A::Hashing(_) => ErrorKind::Io,
        A::Corrupt { .. } | A::UnsupportedFormat { .. } => ErrorKind::Integrity,
        _ => ErrorKind::BadInput,
    };
    ApiError::App(Error::new(kind, e.to_string()))
}

pub(crate) fn actor(who: &Principal) -> Actor {
    Actor::new(who.account.name.clone(), Some(who.address.to_string()))
}

/// Runs an account change on a blocking thread (hashing a password takes
/// a moment) with the accounts held for writing.
pub(crate) async fn change<T: Send + 'static>(
    shared: &Arc<Shared>,
    work: impl FnOnce(&mut entitle_auth::AuthDir) -> entitle_auth::Result<T> + Send + 'static,
) -> ApiResult<T> {
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || work(&mut shared.auth.write()))
        .await
        .map_err(|_| {
            ApiError::App(entitle_app::Error::new(
                entitle_app::ErrorKind::Io,
                "the change failed",
            ))
        })?
        .map_err(auth_error)
}

fn role(text: &str) -> ApiResult<Role> {
    text.parse().map_err(auth_error)
}

/// `GET /api/v1/users` (admin)
pub(crate) async fn users(
    State(shared): State<Arc<Shared>>,
    who: Principal,
) -> ApiResult<Json<Vec<Account>>> {
    who.must_admin()?;
    Ok(Json(shared.auth.read().list()))
}

/// `{"name", "role", "vendors", "password"}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    name: String,
    role: String,
    #[serde(default)]
    vendors: Vec<String>,
    password: String,
    /// The address reminders go to.
    #[serde(default)]
    email: Option<String>,
}

/// `POST /api/v1/users` (admin)
pub(crate) async fn add_user(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Json(body): Json<NewUser>,
) -> ApiResult<(StatusCode, Json<Account>)> {
    who.must_admin()?;
    let role = role(&body.role)?;
    let email = body
        .email
        .as_deref()
        .map(entitle_app::accounts::email)
        .transpose()?;
    let by = actor(&who);
    let account = change(&shared, move |auth| {
        let account = auth.add_user(&by, &body.name, role, body.vendors, &body.password)?;
        match email {
            Some(e) => auth.set_email(&by, &account.name, Some(e)),
            None => Ok(account),
        }
    })
    .await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// `{"role", "vendors", "password", "disabled", "email"}`, each
/// optional; `"email": ""` removes the address.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserChange {
    role: Option<String>,
    vendors: Option<Vec<String>>,
    password: Option<String>,
    disabled: Option<bool>,
    email: Option<String>,
}

/// `PATCH /api/v1/users/{name}`: an admin changes anything; everyone
/// else only their own password. A disabled account's sessions end at
/// once, as do all sessions of an account whose password changed.
pub(crate) async fn change_user(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Path(name): Path<String>,
    Json(body): Json<UserChange>,
) -> ApiResult<Json<Account>> {
    let own = who.account.name.eq_ignore_ascii_case(&name);
    let only_password = body.role.is_none()
        && body.vendors.is_none()
        && body.disabled.is_none()
        && body.email.is_none();
    if !(own && only_password) {
        who.must_admin()?;
    }
    let role = body.role.as_deref().map(role).transpose()?;
    let password_changed = body.password.is_some();
    // Some(None): remove the address.
    let email = match body.email.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(e) => Some(Some(entitle_app::accounts::email(e)?)),
    };
    let by = actor(&who);
    let target = name;
    let account = change(&shared, move |auth| {
        let mut account = auth
            .get(&target)
            .ok_or_else(|| entitle_auth::Error::UnknownUser(target.clone()))?;
        if role.is_some() || body.vendors.is_some() {
            let role = role.unwrap_or(account.role);
            let vendors = body.vendors.unwrap_or(account.vendors);
            account = auth.set_role(&by, &target, role, vendors)?;
        }
        if let Some(password) = &body.password {
            account = auth.set_password(&by, &target, password)?;
        }
        match body.disabled {
            Some(true) => account = auth.disable(&by, &target)?,
            Some(false) => account = auth.enable(&by, &target)?,
            None => {}
        }
        if let Some(email) = email {
            account = auth.set_email(&by, &target, email)?;
        }
        Ok(account)
    })
    .await?;
    // A disabled account is out at once; a new password ends every
    // session that the old one opened (one's own too: sign in again).
    if account.disabled || password_changed {
        shared.sessions.end_all_of(&account.name);
    }
    Ok(Json(account))
}

/// A token as listed, with whether it is accepted today.
#[derive(Debug, Serialize)]
pub(crate) struct TokenRow {
    #[serde(flatten)]
    info: TokenInfo,
    state: entitle_auth::TokenState,
}

/// `GET /api/v1/tokens`: an admin sees every token, others their own.
pub(crate) async fn tokens(
    State(shared): State<Arc<Shared>>,
    who: Principal,
) -> ApiResult<Json<Vec<TokenRow>>> {
    let auth = shared.auth.read();
    let admin = who.must_admin().is_ok();
    Ok(Json(
        auth.list_tokens()
            .into_iter()
            .filter(|t| admin || t.user.eq_ignore_ascii_case(&who.account.name))
            .map(|info| TokenRow {
                state: auth.token_state(&info),
                info,
            })
            .collect(),
    ))
}

/// `{"user", "name", "expires"}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    user: Option<String>,
    name: String,
    expires: Option<String>,
}

/// The new token's secret (shown this once) and the token as listed:
/// `token create --json`.
#[derive(Debug, Serialize)]
pub(crate) struct CreatedToken {
    secret: String,
    #[serde(flatten)]
    row: TokenRow,
}

/// `POST /api/v1/tokens`: for oneself, or (admin) for anyone.
pub(crate) async fn create_token(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Json(body): Json<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let user = body.user.unwrap_or_else(|| who.account.name.clone());
    if !user.eq_ignore_ascii_case(&who.account.name) {
        who.must_admin()?;
    }
    let expires = body
        .expires
        .as_deref()
        .map(|d| {
            d.parse::<jiff::civil::Date>()
                .map_err(|_| ApiError::invalid("expires", d, "is not a date (YYYY-MM-DD)"))
        })
        .transpose()?;
    let by = actor(&who);
    let (secret, info) = change(&shared, move |auth| {
        auth.create_token(&by, &user, &body.name, expires)
    })
    .await?;
    let row = TokenRow {
        state: shared.auth.read().token_state(&info),
        info,
    };
    Ok((StatusCode::CREATED, Json(CreatedToken { secret, row })))
}

/// `DELETE /api/v1/tokens/{id}`: the owner or an admin; effective at
/// once. Another account's token is 404 for a non-admin. The answer is
/// the token as listed (`token revoke --json`).
pub(crate) async fn revoke_token(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<TokenRow>> {
    let owner = shared
        .auth
        .read()
        .list_tokens()
        .into_iter()
        .find(|t| t.id == id)
        .map(|t| t.user);
    let mine = owner
        .as_deref()
        .is_some_and(|u| u.eq_ignore_ascii_case(&who.account.name));
    if !mine && who.must_admin().is_err() {
        return Err(ApiError::NotFound);
    }
    let by = actor(&who);
    let info = change(&shared, move |auth| auth.revoke_token(&by, &id)).await?;
    Ok(Json(TokenRow {
        state: shared.auth.read().token_state(&info),
        info,
    }))
}

/// `GET /api/v1/access-log` (admin): sign-ins, failures and every change
/// to accounts, tokens and calendar links.
pub(crate) async fn access_log(
    State(shared): State<Arc<Shared>>,
    who: Principal,
) -> ApiResult<Json<Vec<AccessEntry>>> {
    who.must_admin()?;
    shared
        .auth
        .read()
        .read_access_log()
        .map(Json)
        .map_err(auth_error)
}

/// The subscription link.
#[derive(Debug, Serialize)]
pub(crate) struct CalendarLink {
    url: String,
}

/// `POST /api/v1/calendar`: a new subscription link for oneself (the
/// previous one stops working).
pub(crate) async fn rotate_calendar(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    headers: axum::http::HeaderMap,
) -> ApiResult<(StatusCode, Json<CalendarLink>)> {
    let by = actor(&who);
    let user = who.account.name.clone();
    let secret = change(&shared, move |auth| auth.rotate_calendar_secret(&by, &user)).await?;
    Ok((
        StatusCode::CREATED,
        Json(CalendarLink {
            url: calendar_url(&shared, &headers, &secret),
        }),
    ))
}

/// The subscription link of `secret`, on the host the request came to.
pub(crate) fn calendar_url(
    shared: &Shared,
    headers: &axum::http::HeaderMap,
    secret: &str,
) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if shared.tls { "https" } else { "http" };
    format!("{scheme}://{host}/calendar/{secret}.ics")
}

/// `DELETE /api/v1/calendar`: the link stops working.
pub(crate) async fn revoke_calendar(
    State(shared): State<Arc<Shared>>,
    who: Principal,
) -> ApiResult<StatusCode> {
    let by = actor(&who);
    let user = who.account.name.clone();
    change(&shared, move |auth| auth.revoke_calendar(&by, &user)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /calendar/{secret}.ics`: the renewal deadlines in the account's
/// scope, for Outlook or Google Calendar to subscribe to: the same
/// events and alarms as `renewals --ics`, over the coming year.
pub(crate) async fn calendar(
    State(shared): State<Arc<Shared>>,
    Path(file): Path<String>,
) -> ApiResult<Response> {
    let secret = file.strip_suffix(".ics").ok_or(ApiError::NotFound)?;
    let account = shared
        .auth
        .read()
        .calendar_user(secret)
        .ok_or(ApiError::NotFound)?;
    let scope = crate::principal::scope_of(&account);
    let req = entitle_app::query::RenewalsRequest {
        as_of: None,
        within: 366,
        known_at: None,
    };
    let axum::Json(ics) = read(&shared, move |store| {
        let renewals = entitle_app::query::renewals(store, &scope, &req)?;
        entitle_app::query::calendar(&renewals)
    })
    .await?;
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        ics,
    )
        .into_response())
}
