//! The first admin in the browser: the one-time setup link the server
//! prints when it starts without an account (`/setup?token=…`) opens a
//! form for the admin's name and password; submitting it uses the link up
//! (the same `consume_setup_token` as `POST /api/v1/setup`) and signs the
//! new admin in. The secret in the link is what protects the form: it is
//! known only to whoever started the server, and it works once.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use entitle_auth::Error as AuthError;
use serde::Deserialize;

use super::i18n::{Lang, Texts};
use super::{html, language, CSS_PATH};
use crate::api::session::{authenticate, set_cookie};
use crate::principal::{client_address, same_site};
use crate::session::ABSOLUTE;
use crate::state::Shared;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    lang: &'static str,
    t: &'static Texts,
    css: &'static str,
    token: String,
    name: String,
    /// The form's one error, and the field it belongs to.
    error: Option<(Field, String)>,
    switch_href: String,
    /// The link is used up or accounts exist: no form, only the message.
    closed: bool,
}

/// The field an error is shown beside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Password,
    Repeat,
    /// The link itself (shown at the top).
    Link,
}

impl Field {
    fn id(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Password => "password",
            Field::Repeat => "repeat",
            Field::Link => "setup-link",
        }
    }
}

/// `?token=…&lang=…`
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SetupQuery {
    #[serde(default)]
    token: String,
    #[serde(default)]
    lang: Option<String>,
}

fn render(
    lang: Lang,
    status: StatusCode,
    token: &str,
    name: &str,
    error: Option<(Field, String)>,
) -> Response {
    let closed = matches!(error, Some((Field::Link, _)));
    let switch = serde_urlencoded::to_string([("token", token), ("lang", lang.other().code())])
        .unwrap_or_default();
    html(
        status,
        &SetupPage {
            lang: lang.code(),
            t: lang.t(),
            css: CSS_PATH.as_str(),
            token: token.to_owned(),
            name: name.to_owned(),
            error,
            switch_href: format!("/setup?{switch}"),
            closed,
        },
    )
}

/// `GET /setup?token=…`: the form, or why it is closed (accounts exist).
pub(crate) async fn form(State(shared): State<Arc<Shared>>, parts: Parts) -> Response {
    let query: SetupQuery =
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default()).unwrap_or_default();
    let lang = language(&parts.headers, query.lang.as_deref());
    let error = (!shared.auth.read().is_empty())
        .then(|| (Field::Link, lang.t().setup_not_needed.to_owned()));
    let status = if error.is_some() {
        StatusCode::GONE
    } else {
        StatusCode::OK
    };
    let mut response = render(lang, status, &query.token, "", error);
    if query.lang.is_some() {
        super::remember_language(&mut response, lang);
    }
    response
}

/// What the setup form posts.
#[derive(Debug, Deserialize)]
pub(crate) struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeat: String,
}

/// `POST /setup`: creates the first admin and signs them in; a refusal
/// shows the form again, the message beside its field, the name kept.
pub(crate) async fn submit(
    State(shared): State<Arc<Shared>>,
    parts: Parts,
    Form(form): Form<SetupForm>,
) -> Response {
    let lang = language(&parts.headers, None);
    let t = lang.t();
    let refuse = |status, field, message: String| {
        render(
            lang,
            status,
            &form.token,
            &form.name,
            Some((field, message)),
        )
    };
    if !same_site(&parts.headers) {
        return refuse(
            StatusCode::FORBIDDEN,
            Field::Link,
            t.setup_refused.to_owned(),
        );
    }
    if form.password != form.repeat {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            Field::Repeat,
            t.passwords_differ.to_owned(),
        );
    }
    let address = client_address(&parts, shared.proxy);
    let creator = Arc::clone(&shared);
    let (token, name, password) = (form.token.clone(), form.name.clone(), form.password.clone());
    let created = tokio::task::spawn_blocking(move || {
        creator.auth.write().consume_setup_token(
            &token,
            &name,
            &password,
            Some(&address.to_string()),
        )
    })
    .await;
    let account = match created {
        Ok(Ok(account)) => account,
        Ok(Err(e)) => {
            let (status, field, message) = refusal(lang, &e);
            return refuse(status, field, message);
        }
        Err(_) => {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                Field::Link,
                t.setup_refused.to_owned(),
            )
        }
    };
    match authenticate(&shared, address, &account.name, form.password).await {
        Ok((id, _session, _account)) => {
            let mut response = Redirect::to("/").into_response();
            response.headers_mut().append(
                axum::http::header::SET_COOKIE,
                set_cookie(&shared, &id, ABSOLUTE.as_secs()),
            );
            response
        }
        // Created, but the sign-in was refused (throttled): sign in by hand.
        Err(_) => Redirect::to("/sign-in").into_response(),
    }
}

/// Why the accounts refused, by the field it concerns, in `lang`.
fn refusal(lang: Lang, e: &AuthError) -> (StatusCode, Field, String) {
    let t = lang.t();
    match e {
        AuthError::InvalidName { problem, .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Field::Name,
            lang.name_problem(problem),
        ),
        AuthError::PasswordTooShort { given, min } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Field::Password,
            lang.password_length(*given, *min, true),
        ),
        AuthError::PasswordTooLong { given, max } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Field::Password,
            lang.password_length(*given, *max, false),
        ),
        AuthError::SetupNotNeeded => (StatusCode::GONE, Field::Link, t.setup_not_needed.to_owned()),
        _ => (
            StatusCode::FORBIDDEN,
            Field::Link,
            t.setup_refused.to_owned(),
        ),
    }
}
