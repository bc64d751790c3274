//! The sign-in page and the sign-out button: a plain form over the
//! server's own sign-in (the same throttle, password check, access log
//! and session as `POST /api/v1/session`). Before a session exists the
//! form is protected by a token in a `SameSite=Strict` cookie that the
//! form must repeat (double submit) and by the same-site check.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::i18n::{Lang, Texts};
use super::{html, language, PageParams, CSS_PATH};
use crate::api::session::{authenticate, end_session, set_cookie};
use crate::error::ApiError;
use crate::principal::{client_address, cookie, csrf_ok, same_site, Principal};
use crate::session::{random_secret, ABSOLUTE};
use crate::state::Shared;

/// The cookie that carries the sign-in form's token.
const FORM_COOKIE: &str = "entitle_signin";

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    lang: &'static str,
    t: &'static Texts,
    css: &'static str,
    token: String,
    next: String,
    name: String,
    error: Option<String>,
    switch_href: String,
}

/// Only a path of this site (never `//host` or a full URL) to go back to.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// The form, with a fresh token in its cookie.
fn render(
    lang: Lang,
    status: StatusCode,
    next: &str,
    name: &str,
    error: Option<String>,
) -> Response {
    let token = random_secret();
    let switch = serde_urlencoded::to_string([("next", next), ("lang", lang.other().code())])
        .unwrap_or_default();
    let page = SignInPage {
        lang: lang.code(),
        t: lang.t(),
        css: CSS_PATH.as_str(),
        token: token.clone(),
        next: next.to_owned(),
        name: name.to_owned(),
        error,
        switch_href: format!("/sign-in?{switch}"),
    };
    let mut response = html(status, &page);
    let cookie =
        format!("{FORM_COOKIE}={token}; Path=/sign-in; HttpOnly; SameSite=Strict; Max-Age=3600");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// `GET /sign-in`: the form (or, when signed in already, where it leads).
pub(crate) async fn form(State(shared): State<Arc<Shared>>, parts: Parts) -> Response {
    let params: PageParams =
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default()).unwrap_or_default();
    let next = safe_next(params.next.as_deref());
    if Principal::resolve(&parts, &shared).is_ok() {
        return Redirect::to(&next).into_response();
    }
    let lang = language(&parts.headers, params.lang.as_deref());
    let mut response = render(lang, StatusCode::OK, &next, "", None);
    if params.lang.is_some() {
        super::remember_language(&mut response, lang);
    }
    response
}

/// What the sign-in form posts.
#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

/// `POST /sign-in`: signs in and goes where the visitor was going; a
/// refusal shows the form again with the message and the name kept.
pub(crate) async fn submit(
    State(shared): State<Arc<Shared>>,
    parts: Parts,
    Form(form): Form<SignInForm>,
) -> Response {
    let lang = language(&parts.headers, None);
    let t = lang.t();
    let next = safe_next(Some(&form.next));
    let expected = cookie(&parts.headers, FORM_COOKIE).unwrap_or_default();
    if !same_site(&parts.headers) || form.token.is_empty() || expected != form.token {
        return render(
            lang,
            StatusCode::FORBIDDEN,
            &next,
            &form.name,
            Some(t.sign_in_expired.to_owned()),
        );
    }
    let address = client_address(&parts, shared.proxy);
    match authenticate(&shared, address, &form.name, form.password).await {
        Ok((id, _session, _account)) => {
            let mut response = Redirect::to(&next).into_response();
            let h = response.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(&shared, &id, ABSOLUTE.as_secs()),
            );
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{FORM_COOKIE}=; Path=/sign-in; HttpOnly; SameSite=Strict; Max-Age=0"
            )) {
                h.append(header::SET_COOKIE, v);
            }
            response
        }
        Err(ApiError::Throttled(wait)) => render(
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &form.name,
            Some(lang.throttled(wait)),
        ),
        Err(ApiError::Unauthenticated) => render(
            lang,
            StatusCode::UNAUTHORIZED,
            &next,
            &form.name,
            Some(t.sign_in_failed.to_owned()),
        ),
        Err(e) => e.into_response(),
    }
}

/// What the sign-out button posts.
#[derive(Debug, Deserialize)]
pub(crate) struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /sign-out`: ends the session (the form carries its CSRF token).
pub(crate) async fn sign_out(
    State(shared): State<Arc<Shared>>,
    parts: Parts,
    Form(form): Form<SignOutForm>,
) -> Response {
    let Ok((who, session)) = Principal::resolve(&parts, &shared) else {
        return Redirect::to("/sign-in").into_response();
    };
    match session {
        Some(s) if csrf_ok(&parts.headers, &s, Some(&form.csrf)) => {
            end_session(&shared, &who, Redirect::to("/sign-in").into_response())
        }
        _ => ApiError::CrossSite.into_response(),
    }
}
