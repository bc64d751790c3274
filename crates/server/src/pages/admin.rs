//! The admin page (`/admin`, admins only; the 404 page for everyone
//! else): accounts with their roles and an auditor's vendors, added,
//! changed, disabled and enabled; API tokens created (the secret shown
//! this once) and revoked; and the access log, newest first. Every change
//! goes through the same account rules as `entitle user` and the API and
//! is written to the access log with the admin's name and address.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use entitle_auth::{Error as AuthError, Role};

use super::dashboard::urlencode;
use super::i18n::Lang;
use super::{not_found, read, Chrome, Times, Visit};
use crate::api::accounts::{actor, change};
use crate::error::ApiError;
use crate::state::Shared;

/// How many access-log entries the page shows.
const LOG_ENTRIES: usize = 200;

/// An account as listed.
#[derive(Debug)]
pub(crate) struct AccountRow {
    pub name: String,
    pub role: &'static str,
    pub vendors: String,
    /// Its e-mail address, empty without one.
    pub email: String,
    pub disabled: bool,
    pub created: String,
    /// Where its forms post.
    pub action: String,
}

/// A token as listed.
#[derive(Debug)]
pub(crate) struct TokenRow {
    pub id: String,
    pub user: String,
    pub name: String,
    pub created: String,
    pub expires: String,
    pub state: &'static str,
    pub active: bool,
    /// Where its revoke form posts.
    pub revoke: String,
}

/// An access-log entry as listed.
#[derive(Debug)]
pub(crate) struct LogRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub address: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    c: Chrome,
    heading: String,
    accounts: Vec<AccountRow>,
    roles: [&'static str; 4],
    tokens: Vec<TokenRow>,
    log: Vec<LogRow>,
    /// The add-account form as typed (never its passwords).
    new_name: String,
    new_role: String,
    new_vendors: String,
    new_email: String,
    /// The backup form as typed.
    backup_dest: String,
    backup_retain: String,
    backup_lock_mode: String,
    /// A problem by field (`name`, `role`, `vendors`, `email`, `password`, `repeat`,
    /// `token-*`, or a row's account) and its message.
    problem: Option<(String, String)>,
    /// What was just done.
    done: Option<String>,
    /// A token's secret, shown this once.
    secret: Option<String>,
}

/// What a form's answer adds to the page.
#[derive(Default)]
struct Drawn {
    input: HashMap<String, String>,
    problem: Option<(String, String)>,
    done: Option<String>,
    secret: Option<String>,
}

fn moment(lang: Lang, at: jiff::Timestamp) -> String {
    let z = at.to_zoned(jiff::tz::TimeZone::UTC);
    format!(
        "{} {:02}:{:02} UTC",
        lang.date(z.date()),
        z.hour(),
        z.minute()
    )
}

async fn render(shared: &Arc<Shared>, visit: &Visit, drawn: Drawn, status: StatusCode) -> Response {
    let lang = visit.lang;
    if visit.who.must_admin().is_err() {
        return not_found(lang);
    }
    let times = match read(shared, lang, Times::now).await {
        Ok(t) => t,
        Err(page) => return page,
    };
    let (accounts, tokens, log) = {
        let auth = shared.auth.read();
        let accounts = auth
            .list()
            .into_iter()
            .map(|a| AccountRow {
                role: a.role.as_str(),
                vendors: a.vendors.join(", "),
                email: a.email.unwrap_or_default(),
                disabled: a.disabled,
                created: moment(lang, a.created_at),
                action: format!("/admin/users/{}", urlencode(&a.name)),
                name: a.name,
            })
            .collect();
        let tokens = auth
            .list_tokens()
            .into_iter()
            .map(|t| {
                let state = auth.token_state(&t);
                TokenRow {
                    id: t.id.clone(),
                    user: t.user.clone(),
                    name: t.name.clone(),
                    created: moment(lang, t.created_at),
                    expires: t.expires.map(|d| lang.date(d)).unwrap_or_default(),
                    state: state.as_str(),
                    active: state == entitle_auth::TokenState::Active,
                    revoke: format!("/admin/tokens/{}/revoke", urlencode(&t.id)),
                }
            })
            .collect();
        let log = auth
            .read_access_log()
            .unwrap_or_default()
            .into_iter()
            .rev()
            .take(LOG_ENTRIES)
            .map(|e| LogRow {
                at: moment(lang, e.at),
                actor: e.actor,
                action: e.action,
                address: e.address.unwrap_or_default(),
                detail: e.detail,
            })
            .collect();
        (accounts, tokens, log)
    };
    let heading = lang.t().nav_admin.to_owned();
    let typed = |k: &str| drawn.input.get(k).cloned().unwrap_or_default();
    let page = AdminPage {
        c: visit.chrome(heading.clone(), "/admin", &times),
        heading,
        accounts,
        roles: ["admin", "editor", "viewer", "auditor"],
        tokens,
        log,
        new_name: typed("name"),
        new_role: drawn
            .input
            .get("role")
            .cloned()
            .unwrap_or_else(|| "viewer".to_owned()),
        new_vendors: typed("vendors"),
        new_email: typed("email"),
        backup_dest: typed("backup_dest"),
        backup_retain: typed("backup_retain"),
        backup_lock_mode: typed("backup_lock_mode"),
        problem: drawn.problem,
        done: drawn.done,
        secret: drawn.secret,
    };
    visit.html_with(status, &page)
}

/// `GET /admin`
pub(crate) async fn page(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    render(&shared, &visit, Drawn::default(), StatusCode::OK).await
}

/// The form's own checks: a page of this server for this session, by an
/// admin. Anyone else learns nothing (the 404 page).
fn allowed(visit: &Visit, headers: &HeaderMap, form: &HashMap<String, String>) -> Option<Response> {
    if visit.who.must_admin().is_err() {
        return Some(not_found(visit.lang));
    }
    let token = form.get("csrf").map(String::as_str).unwrap_or_default();
    if !visit.form_ok(headers, token) {
        return Some(ApiError::CrossSite.into_response());
    }
    None
}

fn given(form: &HashMap<String, String>, name: &str) -> String {
    form.get(name)
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

/// Vendors as typed: separated by commas.
fn vendors(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Why the accounts refused, by the form field it concerns, in `lang`
/// where the language knows the problem.
fn refusal(lang: Lang, e: &AuthError) -> (String, String) {
    let t = lang.t();
    match e {
        AuthError::InvalidName { problem, .. } => ("name".into(), lang.name_problem(problem)),
        AuthError::PasswordTooShort { given, min } => {
            ("password".into(), lang.password_length(*given, *min, true))
        }
        AuthError::PasswordTooLong { given, max } => {
            ("password".into(), lang.password_length(*given, *max, false))
        }
        AuthError::DuplicateUser { .. } => ("name".into(), t.name_taken.to_owned()),
        AuthError::VendorsRequired => ("vendors".into(), t.vendors_required.to_owned()),
        AuthError::VendorsNotAllowed(_) => ("vendors".into(), t.vendors_not_allowed.to_owned()),
        AuthError::InvalidVendor(_) => ("vendors".into(), e.to_string()),
        AuthError::UnknownRole(_) => ("role".into(), e.to_string()),
        AuthError::LastAdmin(_) => (String::new(), t.last_admin.to_owned()),
        _ => (String::new(), e.to_string()),
    }
}

/// `POST /admin/users`: a new account.
pub(crate) async fn add_user(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    visit: Visit,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = allowed(&visit, &headers, &form) {
        return refused;
    }
    let lang = visit.lang;
    let t = lang.t();
    let mut drawn = Drawn {
        input: form.clone(),
        ..Drawn::default()
    };
    let password = form.get("password").cloned().unwrap_or_default();
    if password != form.get("repeat").cloned().unwrap_or_default() {
        drawn.problem = Some(("repeat".into(), t.passwords_differ.to_owned()));
        return render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let name = given(&form, "name");
    let role = match given(&form, "role").parse::<Role>() {
        Ok(r) => r,
        Err(e) => {
            drawn.problem = Some(refusal(lang, &e));
            return render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let scope = vendors(&given(&form, "vendors"));
    let email = match typed_email(lang, &given(&form, "email")) {
        Ok(e) => e,
        Err(message) => {
            drawn.problem = Some(("email".into(), message));
            return render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let by = actor(&visit.who);
    let added = change(&shared, move |auth| {
        Ok(auth
            .add_user(&by, &name, role, scope, &password)
            .and_then(|account| match email {
                Some(e) => auth.set_email(&by, &account.name, Some(e)),
                None => Ok(account),
            }))
    })
    .await;
    match added {
        Ok(Ok(account)) => {
            drawn.input.clear();
            drawn.done = Some(lang.account_added(&account.name));
            render(&shared, &visit, drawn, StatusCode::OK).await
        }
        Ok(Err(e)) => {
            drawn.problem = Some(refusal(lang, &e));
            render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => refused(&shared, &visit, drawn, e).await,
    }
}

/// An e-mail address as typed in a form: none when empty, else checked
/// by the account rules; the refusal in the page's language.
fn typed_email(lang: Lang, text: &str) -> Result<Option<String>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    entitle_app::accounts::email(text)
        .map(Some)
        .map_err(|_| lang.email_invalid(text))
}

/// An account change refused: the page with the problem.
async fn refused(shared: &Arc<Shared>, visit: &Visit, mut drawn: Drawn, e: ApiError) -> Response {
    let message = match &e {
        ApiError::App(app) => app.message().to_owned(),
        other => other.sentence(),
    };
    drawn.problem = Some((String::new(), message));
    render(shared, visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// `POST /admin/users/{name}`: `action` = `save` (role, vendors and
/// e-mail address; an empty address removes it), `disable` or `enable`.
pub(crate) async fn change_user(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    visit: Visit,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = allowed(&visit, &headers, &form) {
        return refused;
    }
    let lang = visit.lang;
    let action = given(&form, "action");
    let role = given(&form, "role");
    let scope = vendors(&given(&form, "vendors"));
    let mut drawn = Drawn::default();
    // Absent from the form (an older page): left as it is.
    let email = match form
        .get("email")
        .map(|e| typed_email(lang, e.trim()))
        .transpose()
    {
        Ok(e) => e,
        Err(message) => {
            drawn.problem = Some((String::new(), format!("{name}: {message}")));
            return render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let by = actor(&visit.who);
    let target = name.clone();
    let changed = change(&shared, move |auth| {
        let Some(account) = auth.get(&target) else {
            return Ok(Err(AuthError::UnknownUser(target.clone())));
        };
        Ok(match action.as_str() {
            "disable" => auth.disable(&by, &target),
            "enable" => auth.enable(&by, &target),
            _ => match role.parse::<Role>() {
                _ if role.is_empty() => auth.set_role(&by, &target, account.role, scope),
                Ok(role) => auth.set_role(&by, &target, role, scope),
                Err(e) => Err(e),
            }
            .and_then(|changed| match email {
                Some(e) if e != changed.email => auth.set_email(&by, &target, e),
                _ => Ok(changed),
            }),
        })
    })
    .await;
    match changed {
        Ok(Err(AuthError::UnknownUser(_))) => not_found(lang),
        Ok(Err(e)) => {
            let (_, message) = refusal(lang, &e);
            drawn.problem = Some((String::new(), format!("{name}: {message}")));
            render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Ok(Ok(account)) => {
            if account.disabled {
                shared.sessions.end_all_of(&account.name);
            }
            drawn.done = Some(lang.account_changed(&account.name));
            render(&shared, &visit, drawn, StatusCode::OK).await
        }
        Err(e) => refused(&shared, &visit, drawn, e).await,
    }
}

/// `POST /admin/tokens`: a new token; its secret is on the page this once.
pub(crate) async fn create_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    visit: Visit,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = allowed(&visit, &headers, &form) {
        return refused;
    }
    let lang = visit.lang;
    let mut drawn = Drawn::default();
    let user = given(&form, "token_user");
    let name = given(&form, "token_name");
    let expires_text = given(&form, "token_expires");
    let expires = if expires_text.is_empty() {
        None
    } else {
        match expires_text.parse::<jiff::civil::Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                drawn.problem = Some(("token_expires".into(), lang.forms().bad_date.to_owned()));
                return render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        }
    };
    if name.is_empty() {
        drawn.problem = Some(("token_name".into(), lang.forms().required.to_owned()));
        return render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let by = actor(&visit.who);
    let created = change(&shared, move |auth| {
        auth.create_token(&by, &user, &name, expires)
    })
    .await;
    match created {
        Ok((secret, info)) => {
            drawn.done = Some(lang.token_created(&info.id, &info.user));
            drawn.secret = Some(secret);
            render(&shared, &visit, drawn, StatusCode::OK).await
        }
        Err(e) => refused(&shared, &visit, drawn, e).await,
    }
}

/// `POST /admin/tokens/{id}/revoke`: effective at once.
pub(crate) async fn revoke_token(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    visit: Visit,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = allowed(&visit, &headers, &form) {
        return refused;
    }
    let lang = visit.lang;
    let by = actor(&visit.who);
    let revoked = change(&shared, move |auth| auth.revoke_token(&by, &id)).await;
    let mut drawn = Drawn::default();
    match revoked {
        Ok(info) => {
            drawn.done = Some(lang.token_revoked(&info.id));
            render(&shared, &visit, drawn, StatusCode::OK).await
        }
        Err(e) => refused(&shared, &visit, drawn, e).await,
    }
}

/// `POST /admin/backup`: `entitle backup DEST` run by the server (the
/// API's `POST /api/v1/backups`); the page says what the copy holds now,
/// or why it failed, by the destination field.
pub(crate) async fn backup(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    visit: Visit,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = allowed(&visit, &headers, &form) {
        return refused;
    }
    let lang = visit.lang;
    let mut drawn = Drawn {
        input: form.clone(),
        ..Drawn::default()
    };
    let dest = given(&form, "backup_dest");
    if dest.is_empty() {
        drawn.problem = Some(("backup_dest".into(), lang.forms().required.to_owned()));
        return render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let optional = |name: &str| Some(given(&form, name)).filter(|v| !v.is_empty());
    let request = entitle_app::backup::BackupRequest {
        retain_days: optional("backup_retain"),
        lock_mode: optional("backup_lock_mode"),
        include_key: false,
    };
    let done = crate::api::backups::run(&shared, dest, request).await;
    tracing::info!(admin = %visit.who.account.name, ok = done.is_ok(), "backup from the admin page");
    match done {
        Ok(answer) => {
            drawn.done = Some(lang.backup_done(&answer.report));
            render(&shared, &visit, drawn, StatusCode::OK).await
        }
        Err(e) => {
            let why = e.sentence();
            let field = match &e {
                ApiError::App(app) if app.field() == Some("retain_days") => "backup_retain",
                ApiError::App(app) if app.field() == Some("lock_mode") => "backup_lock_mode",
                _ => "backup_dest",
            };
            drawn.problem = Some((field.into(), lang.backup_failed(&why)));
            render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
