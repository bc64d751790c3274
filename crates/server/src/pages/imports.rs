//! Spreadsheet imports in the browser (`/imports`): a usage export or the
//! license spreadsheet is uploaded, checked in a dry run — every bad row
//! with its line and field, nothing written — and, when every row is
//! good, recorded with one click. Between the two steps the file waits on
//! the server under a random id for its account only (an hour at most),
//! so the commit records exactly the bytes that were previewed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use entitle_app::import::{self, BadRow, SheetOptions, Target};
use entitle_app::{Error, Silent};
use parking_lot::Mutex;

use super::upload::receive;
use super::{not_found, read, Chrome, Times, Visit};
use crate::error::ApiError;
use crate::state::Shared;

/// How long a previewed file waits for its commit.
const PREVIEW_FOR: Duration = Duration::from_secs(3600);
/// The largest spreadsheet a page takes.
pub(crate) const SHEET_LIMIT: usize = 64 << 20;

/// A previewed file waiting for its commit.
#[derive(Debug)]
pub(crate) struct Preview {
    account: String,
    kind: Kind,
    at: Instant,
    /// Keeps the spooled file until the preview is committed or expires.
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    source: Option<String>,
    again: bool,
}

/// Previews by id.
pub(crate) type Previews = Mutex<HashMap<String, Preview>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Usage,
    Licenses,
}

/// What a preview found, as shown.
#[derive(Debug)]
pub(crate) struct Checked {
    pub kind: &'static str,
    pub file: String,
    pub rows: u64,
    pub bad: Vec<BadRow>,
    pub bad_total: u64,
    /// The id to commit with, when every row is good.
    pub commit: Option<String>,
    /// What the preview found, in words.
    pub ok_text: String,
    pub bad_text: String,
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    c: Chrome,
    heading: String,
    checked: Option<Checked>,
    problem: Option<String>,
}

async fn render(
    shared: &Arc<Shared>,
    visit: &Visit,
    checked: Option<Checked>,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = visit.lang;
    if visit.who.must_edit().is_err() {
        return not_found(lang);
    }
    let times = match read(shared, lang, Times::now).await {
        Ok(t) => t,
        Err(page) => return page,
    };
    let heading = lang.t().nav_imports.to_owned();
    let page = ImportsPage {
        c: visit.chrome(heading.clone(), "/imports", &times),
        heading,
        checked,
        problem,
    };
    visit.html_with(status, &page)
}

/// `GET /imports`
pub(crate) async fn page(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    render(&shared, &visit, None, None, StatusCode::OK).await
}

/// A random id for a preview.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A plain file name from the client (no directories, not hidden).
fn plain_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next()?.trim();
    (!base.is_empty() && !base.starts_with('.')).then(|| base.to_owned())
}

/// Runs an import (a dry run or the real one) of a spooled file.
async fn run(
    shared: &Arc<Shared>,
    visit: &Visit,
    kind: Kind,
    path: std::path::PathBuf,
    source: Option<String>,
    again: bool,
    dry_run: bool,
) -> Result<(u64, Vec<BadRow>, u64, Option<u64>, String), Error> {
    let shown = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sheet = SheetOptions {
        shown_as: Some(shown.clone()),
        map: None,
        date_format: None,
        numbers: None,
        again,
    };
    let ctx = crate::api::writes::context(&visit.who);
    shared
        .writer
        .alone(move |store| match kind {
            Kind::Usage => {
                let req = import::UsageImport {
                    file: path,
                    source,
                    sheet,
                    dry_run,
                };
                let done = import::usage(Target::Open(store), &ctx, &req, &Silent)?;
                Ok((
                    done.rows,
                    done.bad_rows,
                    done.bad_total,
                    done.first_seq,
                    shown,
                ))
            }
            Kind::Licenses => {
                let req = import::Licenses {
                    file: path,
                    sheet,
                    dry_run,
                };
                let done = import::licenses(Target::Open(store), &ctx, &req, &Silent)?;
                Ok((
                    done.rows,
                    done.bad_rows,
                    done.bad_total,
                    done.first_seq,
                    shown,
                ))
            }
        })
        .await
}

/// `POST /imports/preview`: the uploaded file checked in a dry run.
pub(crate) async fn preview(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    visit: Visit,
    mut multipart: Multipart,
) -> Response {
    let lang = visit.lang;
    let f = lang.forms();
    if visit.who.must_edit().is_err() {
        return not_found(lang);
    }
    let posted = match receive(
        &visit,
        &headers,
        &mut multipart,
        SHEET_LIMIT as u64,
        lang.t().sheet_too_large,
        plain_name,
    )
    .await
    {
        Ok(p) => p,
        Err(response) => return response,
    };
    let fields = posted.fields;
    let problem = posted.problem;
    let spooled = posted.file.map(|(_, dir, path)| (dir, path));
    let kind = if fields.get("kind").map(String::as_str) == Some("licenses") {
        Kind::Licenses
    } else {
        Kind::Usage
    };
    let Some((dir, path)) = spooled.filter(|_| problem.is_none()) else {
        let problem = problem.unwrap_or_else(|| f.choose_file.to_owned());
        return render(
            &shared,
            &visit,
            None,
            Some(problem),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let source = fields
        .get("source")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && kind == Kind::Usage);
    let again = fields.contains_key("again");
    let dry = run(
        &shared,
        &visit,
        kind,
        path.clone(),
        source.clone(),
        again,
        true,
    )
    .await;
    let (rows, bad, bad_total, _, file) = match dry {
        Ok(d) => d,
        Err(e) => {
            return render(
                &shared,
                &visit,
                None,
                Some(e.render(&entitle_app::PlainNames)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let commit = bad.is_empty().then(|| {
        let id = new_id();
        let mut previews = shared.previews.lock();
        previews.retain(|_, p| p.at.elapsed() < PREVIEW_FOR);
        previews.insert(
            id.clone(),
            Preview {
                account: visit.who.account.name.clone(),
                kind,
                at: Instant::now(),
                _dir: dir,
                path,
                source,
                again,
            },
        );
        id
    });
    let status = if bad.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let checked = Checked {
        kind: match kind {
            Kind::Usage => "usage",
            Kind::Licenses => "licenses",
        },
        file,
        rows,
        bad,
        bad_total,
        commit,
        ok_text: lang.preview_ok(rows),
        bad_text: lang.preview_bad(bad_total),
    };
    render(&shared, &visit, Some(checked), None, status).await
}

/// `POST /imports/commit`: records the previewed file; the dashboard
/// answers with the first event recorded. A preview of another account,
/// an expired or an already committed one is the 404 page.
pub(crate) async fn commit(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    visit: Visit,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let lang = visit.lang;
    if visit.who.must_edit().is_err() {
        return not_found(lang);
    }
    let token = form.get("csrf").map(String::as_str).unwrap_or_default();
    if !visit.form_ok(&headers, token) {
        return ApiError::CrossSite.into_response();
    }
    let id = form.get("preview").cloned().unwrap_or_default();
    let preview = {
        let mut previews = shared.previews.lock();
        previews.retain(|_, p| p.at.elapsed() < PREVIEW_FOR);
        match previews.get(&id) {
            Some(p) if p.account == visit.who.account.name => previews.remove(&id),
            _ => None,
        }
    };
    let Some(p) = preview else {
        return not_found(lang);
    };
    let kind = match p.kind {
        Kind::Usage => "usage",
        Kind::Licenses => "licenses",
    };
    let done = run(
        &shared,
        &visit,
        p.kind,
        p.path.clone(),
        p.source.clone(),
        p.again,
        false,
    )
    .await;
    drop(p);
    match done {
        Ok((_, bad, _, first, _)) if bad.is_empty() => {
            Redirect::to(&format!("/?recorded={}", first.unwrap_or(0))).into_response()
        }
        Ok((rows, bad, bad_total, _, file)) => {
            let checked = Checked {
                kind,
                file,
                rows,
                bad,
                bad_total,
                commit: None,
                ok_text: lang.preview_ok(rows),
                bad_text: lang.preview_bad(bad_total),
            };
            render(
                &shared,
                &visit,
                Some(checked),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => {
            render(
                &shared,
                &visit,
                None,
                Some(e.render(&entitle_app::PlainNames)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
