//! Files posted by the pages' forms (an audit pack to verify, a
//! checkpoint, a spreadsheet to import): read once, into a private
//! temporary directory, after the form's CSRF token.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;

use axum::extract::Multipart;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Visit;
use crate::api::packs::temp_dir;
use crate::error::ApiError;

/// A posted multipart form: its text fields (bounded), its one file
/// spooled to a private temporary directory, or the problem that stopped
/// the upload (in the page's language).
pub(crate) struct Posted {
    pub fields: HashMap<String, String>,
    /// The file's field name, its directory and its path there.
    pub file: Option<(String, tempfile::TempDir, PathBuf)>,
    pub problem: Option<String>,
}

/// Reads a page's multipart form: the CSRF field, which the page puts
/// first, is checked before a byte of a file is read (and again at the
/// end, for a form without a file); the file is streamed to
/// `<dir>/<spooled_as(client's name)>`, at most `limit` bytes (beyond:
/// `too_large`); an empty file or a broken upload is a problem, not an
/// error page.
pub(crate) async fn receive(
    visit: &Visit,
    headers: &HeaderMap,
    multipart: &mut Multipart,
    limit: u64,
    too_large: &'static str,
    spooled_as: impl Fn(&str) -> Option<String>,
) -> Result<Posted, Response> {
    let f = visit.lang.forms();
    let mut posted = Posted {
        fields: HashMap::new(),
        file: None,
        problem: None,
    };
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                posted.problem = Some(
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        too_large
                    } else {
                        f.upload_broke
                    }
                    .to_owned(),
                );
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let Some(filename) = filename else {
            if let Ok(text) = field.text().await {
                posted
                    .fields
                    .insert(name, text.chars().take(4000).collect());
            }
            continue;
        };
        let token = posted
            .fields
            .get("csrf")
            .map(String::as_str)
            .unwrap_or_default();
        if !visit.form_ok(headers, token) {
            return Err(ApiError::CrossSite.into_response());
        }
        if filename.is_empty() {
            continue;
        }
        let Some(spooled) = spooled_as(&filename) else {
            posted.problem = Some(f.choose_file.to_owned());
            continue;
        };
        let dir = temp_dir().map_err(IntoResponse::into_response)?;
        let path = dir.path().join(spooled);
        let mut out = std::fs::File::create(&path)
            .map_err(|e| ApiError::App(entitle_app::Error::io(&path, e)).into_response())?;
        let mut size: u64 = 0;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    size += chunk.len() as u64;
                    if size > limit {
                        posted.problem = Some(too_large.to_owned());
                        break;
                    }
                    if let Err(e) = out.write_all(&chunk) {
                        return Err(ApiError::App(entitle_app::Error::io(&path, e)).into_response());
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    posted.problem = Some(f.upload_broke.to_owned());
                    break;
                }
            }
        }
        if posted.problem.is_some() {
            break;
        }
        if size == 0 {
            posted.problem = Some(f.file_empty.to_owned());
            continue;
        }
        posted.fields.insert(format!("{name}:name"), filename);
        posted.file = Some((name, dir, path));
    }
    let token = posted
        .fields
        .get("csrf")
        .map(String::as_str)
        .unwrap_or_default();
    if !visit.form_ok(headers, token) {
        return Err(ApiError::CrossSite.into_response());
    }
    Ok(posted)
}
