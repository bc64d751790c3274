//! Signing in and out, who am I, and creating the first admin with the
//! one-time setup link.

use std::sync::Arc;

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use entitle_auth::{AccessEntry, Account};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::principal::{client_address, same_site, Principal, Via};
use crate::session::{cookie_name, ABSOLUTE};
use crate::state::Shared;

/// `{"name", "password"}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignIn {
    name: String,
    password: String,
}

/// Who is signed in, and the token a state-changing request of this
/// session must carry.
#[derive(Debug, Serialize)]
pub(crate) struct Me {
    name: String,
    role: String,
    vendors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
    /// The API token a request came with (its id), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

fn me(account: &Account, csrf: Option<String>) -> Me {
    Me {
        name: account.name.clone(),
        role: account.role.to_string(),
        vendors: account.vendors.clone(),
        csrf_token: csrf,
        token: None,
    }
}

pub(crate) fn set_cookie(shared: &Shared, value: &str, max_age: u64) -> HeaderValue {
    let secure = if shared.tls { "; Secure" } else { "" };
    let cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
        cookie_name(shared.tls)
    );
    HeaderValue::from_str(&cookie).expect("a cookie of hex digits is a header value")
}

pub(crate) fn log(
    shared: &Shared,
    actor: &str,
    action: &str,
    address: std::net::IpAddr,
    detail: &str,
) {
    let entry = AccessEntry {
        at: jiff::Timestamp::now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        address: Some(address.to_string()),
        detail: detail.to_owned(),
    };
    if let Err(e) = shared.auth.read().log_access(&entry) {
        tracing::error!(error = %e, "the access log could not be written");
    }
}

/// A successful sign-in: the new session's id (for the cookie), the
/// session and the account.
pub(crate) type SignedIn = (String, crate::session::Session, Account);

/// Checks a name and password against the throttle and the accounts
/// (both logged) and starts a new session — the one sign-in of the API
/// and of the sign-in page.
pub(crate) async fn authenticate(
    shared: &Arc<Shared>,
    address: std::net::IpAddr,
    name: &str,
    password: String,
) -> ApiResult<SignedIn> {
    let account_key = format!("user:{}", name.trim().to_lowercase());
    let keys = [account_key.clone(), format!("addr:{address}")];
    if let Some(wait) = shared.throttle.refused(&keys) {
        log(shared, name.trim(), "login-throttled", address, "");
        return Err(ApiError::Throttled(wait));
    }
    let checker = Arc::clone(shared);
    let who = name.to_owned();
    let from = address.to_string();
    // Logged by the accounts themselves, let in or refused.
    let verdict = tokio::task::spawn_blocking(move || {
        checker
            .auth
            .read()
            .verify_login(&who, &password, Some(&from))
    })
    .await
    .map_err(|_| ApiError::Unauthenticated)?;
    let account = match verdict {
        Ok(account) => account,
        Err(entitle_auth::LoginError::Refused) => {
            shared.throttle.failed(&keys);
            return Err(ApiError::Unauthenticated);
        }
        Err(e) => {
            return Err(ApiError::App(entitle_app::Error::new(
                entitle_app::ErrorKind::Io,
                e.to_string(),
            )))
        }
    };
    shared.throttle.succeeded(&account_key);
    let (id, session) = shared.sessions.start(&account.name);
    Ok((id, session, account))
}

/// `POST /api/v1/session`: signs in; a new session id every time.
pub(crate) async fn sign_in(
    State(shared): State<Arc<Shared>>,
    parts: Parts,
    Json(body): Json<SignIn>,
) -> ApiResult<Response> {
    if !same_site(&parts.headers) {
        return Err(ApiError::CrossSite);
    }
    let address = client_address(&parts, shared.proxy);
    let (id, session, account) = authenticate(&shared, address, &body.name, body.password).await?;
    let mut response = Json(me(&account, Some(session.csrf))).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&shared, &id, ABSOLUTE.as_secs()),
    );
    Ok(response)
}

/// `DELETE /api/v1/session`: ends the session here and in the browser.
pub(crate) async fn sign_out(
    State(shared): State<Arc<Shared>>,
    who: Principal,
) -> ApiResult<Response> {
    Ok(end_session(
        &shared,
        &who,
        StatusCode::NO_CONTENT.into_response(),
    ))
}

/// Ends a browser's session here (logged) and in the browser (its
/// cookie cleared on `response`) — the API's sign-out and the page's.
pub(crate) fn end_session(shared: &Shared, who: &Principal, mut response: Response) -> Response {
    if let Via::Session(id) = &who.via {
        shared.sessions.end(id);
        log(shared, &who.account.name, "logout", who.address, "");
    }
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(shared, "", 0));
    response
}

/// `GET /api/v1/session`: who is signed in (and the CSRF token again, for
/// a page that lost it).
pub(crate) async fn whoami(State(shared): State<Arc<Shared>>, who: Principal) -> Json<Me> {
    match &who.via {
        Via::Session(id) => Json(me(&who.account, shared.sessions.get(id).map(|s| s.csrf))),
        Via::Token(token) => Json(Me {
            token: Some(token.clone()),
            ..me(&who.account, None)
        }),
    }
}

/// `{"token", "name", "password"}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Setup {
    token: String,
    name: String,
    password: String,
}

/// `POST /api/v1/setup`: the first admin, with the one-time link the
/// server printed when it started with no account.
pub(crate) async fn setup(
    State(shared): State<Arc<Shared>>,
    parts: Parts,
    Json(body): Json<Setup>,
) -> ApiResult<(StatusCode, Json<Me>)> {
    if !same_site(&parts.headers) {
        return Err(ApiError::CrossSite);
    }
    let address = client_address(&parts, shared.proxy).to_string();
    let checker = Arc::clone(&shared);
    let account = tokio::task::spawn_blocking(move || {
        checker.auth.write().consume_setup_token(
            &body.token,
            &body.name,
            &body.password,
            Some(&address),
        )
    })
    .await
    .map_err(|_| ApiError::NotFound)?
    .map_err(super::accounts::auth_error)?;
    Ok((StatusCode::CREATED, Json(me(&account, None))))
}
