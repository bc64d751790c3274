//! Audit packs in the browser (`/audits`): the store key's fingerprint to
//! hand to an auditor; one vendor's pack built for a date and a moment of
//! knowledge (optionally extending an earlier pack's checkpoint) and
//! downloaded as a zip; and an uploaded pack verified, each check with its
//! result and the key that signed it. The same use cases as the API, in
//! the same scope: an auditor builds packs of their vendors only, a viewer
//! builds none.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entitle_app::audit::{self, PackVerification};
use entitle_auth::Role;

use super::i18n::Lang;
use super::upload::{receive, Posted};
use super::{not_found, read, Chrome, PageParams, Times, Visit};
use crate::api::packs::{build_zip, verify_spooled, zip_download, PackBody};
use crate::api::UPLOAD_LIMIT;
use crate::error::ApiError;
use crate::state::Shared;

/// One check of a verified pack, as shown.
#[derive(Debug)]
pub(crate) struct CheckRow {
    pub name: &'static str,
    pub passed: bool,
    pub details: Vec<String>,
}

/// A verified pack, as shown.
#[derive(Debug)]
pub(crate) struct Verified {
    pub pack: String,
    pub verified: bool,
    pub signed_by: String,
    pub signer_given: bool,
    pub checks: Vec<CheckRow>,
}

#[derive(Template)]
#[template(path = "audits.html")]
struct AuditsPage {
    c: Chrome,
    heading: String,
    public_key: String,
    fingerprint: String,
    vendors: Vec<String>,
    can_build: bool,
    /// The build form as typed, and its problem by field.
    vendor: String,
    as_of: String,
    known_at: String,
    build_problem: Option<(String, String)>,
    verify_problem: Option<String>,
    verified: Option<Verified>,
}

/// What the page shows besides the forms' state.
struct Drawn {
    vendor: String,
    as_of: String,
    known_at: String,
    build_problem: Option<(String, String)>,
    verify_problem: Option<String>,
    verified: Option<Verified>,
}

impl Drawn {
    fn empty() -> Drawn {
        Drawn {
            vendor: String::new(),
            as_of: String::new(),
            known_at: String::new(),
            build_problem: None,
            verify_problem: None,
            verified: None,
        }
    }
}

async fn render(shared: &Arc<Shared>, visit: &Visit, drawn: Drawn, status: StatusCode) -> Response {
    let lang = visit.lang;
    let scope = visit.scope();
    let answer = read(shared, lang, move |store| {
        let times = Times::now(store)?;
        let key = audit::key(store)?;
        let state = entitle_app::query::state(store, &scope, &PageParams::default().query())?;
        let mut vendors: Vec<String> = state.licenses.iter().map(|r| r.vendor.clone()).collect();
        vendors.sort();
        vendors.dedup();
        Ok((times, key, vendors))
    })
    .await;
    let (times, key, vendors) = match answer {
        Ok(a) => a,
        Err(page) => return page,
    };
    let heading = lang.t().nav_audits.to_owned();
    let page = AuditsPage {
        c: visit.chrome(heading.clone(), "/audits", &times),
        heading,
        public_key: key.public_key,
        fingerprint: key.fingerprint,
        vendors,
        can_build: visit.who.account.role != Role::Viewer,
        vendor: drawn.vendor,
        as_of: drawn.as_of,
        known_at: drawn.known_at,
        build_problem: drawn.build_problem,
        verify_problem: drawn.verify_problem,
        verified: drawn.verified,
    };
    visit.html_with(status, &page)
}

/// `GET /audits`
pub(crate) async fn page(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    render(&shared, &visit, Drawn::empty(), StatusCode::OK).await
}

/// A form of this page: its file (a pack or a checkpoint) spooled as
/// `pack.zip`, at most [`UPLOAD_LIMIT`] bytes.
async fn receive_pack(
    visit: &Visit,
    headers: &HeaderMap,
    multipart: &mut Multipart,
) -> Result<Posted, Response> {
    let too_large = visit.lang.forms().file_too_large;
    receive(visit, headers, multipart, UPLOAD_LIMIT, too_large, |_| {
        Some("pack.zip".to_owned())
    })
    .await
}

fn field(posted: &Posted, name: &str) -> Option<String> {
    posted
        .fields
        .get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `POST /audits/pack`: the pack as a zip download, or the page again with
/// the problem by its field.
pub(crate) async fn build(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    visit: Visit,
    mut multipart: Multipart,
) -> Response {
    let lang = visit.lang;
    if visit.who.account.role == Role::Viewer {
        return not_found(lang);
    }
    let posted = match receive_pack(&visit, &headers, &mut multipart).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    let mut drawn = Drawn::empty();
    drawn.vendor = field(&posted, "vendor").unwrap_or_default();
    drawn.as_of = field(&posted, "as_of").unwrap_or_default();
    drawn.known_at = field(&posted, "known_at").unwrap_or_default();
    if let Some(problem) = posted.problem {
        drawn.build_problem = Some(("since".to_owned(), problem));
        return render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if drawn.vendor.is_empty() {
        drawn.build_problem = Some(("vendor".to_owned(), lang.forms().required.to_owned()));
        return render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let since = match &posted.file {
        Some((_, _dir, path)) => match std::fs::read_to_string(path) {
            Ok(text) if text.len() <= 64 * 1024 => Some(text),
            _ => {
                drawn.build_problem =
                    Some(("since".to_owned(), lang.t().not_a_checkpoint.to_owned()));
                return render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
        None => None,
    };
    let body = PackBody {
        vendor: drawn.vendor.clone(),
        as_of: field(&posted, "as_of"),
        known_at: field(&posted, "known_at"),
        since,
    };
    match build_zip(&shared, &visit.who, body).await {
        Ok(zip) => zip_download(zip),
        Err(ApiError::App(e)) => {
            // A vendor outside the scope answers as one that does not
            // exist: the 404 page for both.
            if e.kind() == entitle_app::ErrorKind::NotFound {
                return not_found(lang);
            }
            let field = e.field().unwrap_or("vendor").to_owned();
            drawn.build_problem = Some((field, e.render(&entitle_app::PlainNames)));
            render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /audits/verify`: the page with each check of the uploaded pack.
pub(crate) async fn verify(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    visit: Visit,
    mut multipart: Multipart,
) -> Response {
    let lang = visit.lang;
    let posted = match receive_pack(&visit, &headers, &mut multipart).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    let mut drawn = Drawn::empty();
    if let Some(problem) = posted.problem.clone() {
        drawn.verify_problem = Some(problem);
        return render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let signer = field(&posted, "signer");
    let Some((name, dir, _)) = posted.file else {
        drawn.verify_problem = Some(lang.forms().choose_file.to_owned());
        return render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let filename = posted
        .fields
        .get(&format!("{name}:name"))
        .cloned()
        .unwrap_or_else(|| "pack.zip".to_owned());
    match verify_spooled(dir, filename, signer).await {
        Ok(v) => {
            drawn.verified = Some(shown(lang, v));
            render(&shared, &visit, drawn, StatusCode::OK).await
        }
        Err(ApiError::App(e)) => {
            drawn.verify_problem = Some(format!("{} — {}", lang.t().pack_failed, e.message()));
            render(&shared, &visit, drawn, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => e.into_response(),
    }
}

fn shown(lang: Lang, v: PackVerification) -> Verified {
    Verified {
        pack: v.pack.display().to_string(),
        verified: v.verified,
        signed_by: v.signed_by.unwrap_or_else(|| lang.t().unknown.to_owned()),
        signer_given: v.signer_given,
        checks: v
            .checks
            .into_iter()
            .map(|c| CheckRow {
                name: c.name,
                passed: c.passed,
                details: c.details,
            })
            .collect(),
    }
}
