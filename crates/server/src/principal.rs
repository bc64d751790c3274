//! Who is asking: a session cookie or an API token, resolved to the
//! account as it stands now (a disabled account or a changed role counts
//! at once), with its role and vendor scope. The CSRF check of cookie
//! requests lives here too, so that no handler can forget it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use entitle_app::Scope;
use entitle_auth::{Account, Role};

use crate::error::ApiError;
use crate::session::Session;
use crate::state::Shared;

/// How the request proved who it is.
#[derive(Debug, Clone)]
pub(crate) enum Via {
    /// A browser session (its id, for sign-out).
    Session(String),
    /// An API token (its id).
    Token(String),
}

/// The signed-in account behind a request.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    /// The account.
    pub account: Account,
    /// How it signed in.
    pub via: Via,
    /// The client's address (the proxy's client when behind one).
    pub address: IpAddr,
}

impl Principal {
    /// What this account may see.
    pub(crate) fn scope(&self) -> Scope {
        scope_of(&self.account)
    }

    /// Refuses unless the role may record, attach, import and build packs.
    pub(crate) fn must_edit(&self) -> Result<(), ApiError> {
        match self.account.role {
            Role::Admin | Role::Editor => Ok(()),
            _ => Err(ApiError::Forbidden("record, attach or import")),
        }
    }

    /// Refuses unless an admin.
    pub(crate) fn must_admin(&self) -> Result<(), ApiError> {
        match self.account.role {
            Role::Admin => Ok(()),
            _ => Err(ApiError::Forbidden("manage accounts and tokens")),
        }
    }

    /// The name recorded as the actor of events written for this account.
    pub(crate) fn actor(&self) -> String {
        self.account.name.clone()
    }
}

/// What an account may see: an auditor its vendors, every other role
/// everything.
pub(crate) fn scope_of(account: &Account) -> Scope {
    match account.role {
        Role::Auditor => Scope::Vendors(account.vendors.clone()),
        _ => Scope::All,
    }
}

/// The client's address: the peer, or — when the peer is the proxy named
/// by `--behind-proxy` — the last address the proxy put in
/// `X-Forwarded-For`.
pub(crate) fn client_address(parts: &Parts, proxy: Option<IpAddr>) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    if proxy == Some(peer) {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    peer
}

/// The value of a cookie.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether a request comes from a page of this server: `Sec-Fetch-Site`
/// (when the browser sends it) is `same-origin` or `none`; without it,
/// `Origin` (when sent) names this host. `Sec-Fetch-Site` decides when
/// present — only the browser sets it — because a form posted from a page
/// served with `Referrer-Policy: no-referrer` carries `Origin: null`.
pub(crate) fn same_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin" || site == "none";
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            let origin_host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            host.is_some() && origin_host == host
        }
    }
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether `token` is the session's CSRF token (compared through their
/// hashes, so the time taken says nothing about the token) and the
/// request comes from a page of this server.
pub(crate) fn csrf_ok(headers: &HeaderMap, session: &Session, token: Option<&str>) -> bool {
    let token_ok =
        token.is_some_and(|t| blake3::hash(t.as_bytes()) == blake3::hash(session.csrf.as_bytes()));
    token_ok && same_site(headers)
}

impl Principal {
    /// Who a request comes from, with the browser session when it came
    /// with one — without the CSRF check, which the caller makes: the API
    /// on its header, a page's form on its hidden field.
    pub(crate) fn resolve(
        parts: &Parts,
        shared: &Shared,
    ) -> Result<(Principal, Option<Session>), ApiError> {
        let address = client_address(parts, shared.proxy);
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let secret = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or(ApiError::Unauthenticated)?
                .trim();
            let (account, token) = shared
                .auth
                .read()
                .authenticate_token(secret)
                .ok_or(ApiError::Unauthenticated)?;
            let who = Principal {
                account,
                via: Via::Token(token.id),
                address,
            };
            return Ok((who, None));
        }
        let id = cookie(&parts.headers, crate::session::cookie_name(shared.tls))
            .ok_or(ApiError::Unauthenticated)?
            .to_owned();
        let session = shared.sessions.get(&id).ok_or(ApiError::Unauthenticated)?;
        let account = match shared.auth.read().get(&session.user) {
            Some(a) if !a.disabled => a,
            _ => {
                shared.sessions.end(&id);
                return Err(ApiError::Unauthenticated);
            }
        };
        let who = Principal {
            account,
            via: Via::Session(id),
            address,
        };
        Ok((who, Some(session)))
    }
}

impl FromRequestParts<Arc<Shared>> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let (who, session) = Principal::resolve(parts, shared)?;
        if let Some(session) = session {
            if changes_state(&parts.method) {
                let token = parts
                    .headers
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok());
                if !csrf_ok(&parts.headers, &session, token) {
                    return Err(ApiError::CrossSite);
                }
            }
        }
        Ok(who)
    }
}
