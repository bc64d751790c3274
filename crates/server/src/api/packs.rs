//! Audit packs: build one vendor's pack (a zip download) and verify an
//! uploaded one. Building signs a checkpoint with the store's key, an act
//! the role table gives to editors (and admins); an auditor may
//! build the packs of the vendors on the account (another vendor answers
//! as an unknown one); a viewer reads the records but signs nothing.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use entitle_app::audit::{self, PackBuilt, PackRequest, PackVerification, VerifyRequest};
use entitle_app::{Error, Silent};
use entitle_auth::Role;
use serde::Deserialize;

use super::documents::disposition;
use super::params::Params;
use crate::error::{ApiError, ApiResult};
use crate::principal::Principal;
use crate::state::Shared;

/// The header that carries what was built (the CLI prints it).
pub(crate) const BUILT_HEADER: &str = "x-entitle-pack";

/// A temporary directory, its failure named as the app names I/O errors.
pub(crate) fn temp_dir() -> ApiResult<tempfile::TempDir> {
    tempfile::tempdir()
        .map_err(|e| ApiError::App(Error::io(std::path::Path::new("a temporary directory"), e)))
}

/// `POST /api/v1/audit-packs`: the pack as a zip download; what was built
/// (`entitle audit-pack --json` without its path) in `X-Entitle-Pack`.
pub(crate) async fn build(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    body: Bytes,
) -> ApiResult<Response> {
    let body: PackBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid("body", "", &format!("is not a pack request: {e}")))?;
    let built = build_zip(&shared, &who, body).await?;
    Ok(zip_download(built))
}

/// A pack built for a request, as the bytes of its zip.
pub(crate) struct BuiltZip {
    pub built: PackBuilt,
    pub bytes: Vec<u8>,
    /// The download's file name (`audit-pack-Oracle-2024-06-30.zip`).
    pub name: String,
}

/// What a pack request asks for (the API's JSON body, a page's form).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PackBody {
    pub vendor: String,
    pub as_of: Option<String>,
    pub known_at: Option<String>,
    /// The text of an older pack's `checkpoint` file this log must extend.
    pub since: Option<String>,
}

/// Builds one vendor's pack in the account's scope: refused for a viewer
/// (who signs nothing), another vendor than an auditor's answers as an
/// unknown one.
pub(crate) async fn build_zip(
    shared: &Arc<Shared>,
    who: &Principal,
    body: PackBody,
) -> ApiResult<BuiltZip> {
    if who.account.role == Role::Viewer {
        return Err(ApiError::Forbidden("build audit packs"));
    }
    let dir = temp_dir()?;
    let since = match &body.since {
        Some(text) => {
            let path = dir.path().join("since-checkpoint");
            std::fs::write(&path, text).map_err(|e| ApiError::App(Error::io(&path, e)))?;
            Some(path)
        }
        None => None,
    };
    let out = dir.path().join("pack.zip");
    let req = PackRequest {
        vendor: body.vendor,
        as_of: body.as_of,
        known_at: body.known_at,
        out: out.clone(),
        force: false,
        since,
    };
    req.check()?;
    let scope = who.scope();
    let store = Arc::clone(&shared.store);
    let (built, bytes) = tokio::task::spawn_blocking(move || {
        let built = audit::build_pack(&store.read(), &scope, &req, &Silent)?;
        let bytes = std::fs::read(&out).map_err(|e| Error::io(&out, e))?;
        drop(dir);
        Ok::<(PackBuilt, Vec<u8>), Error>((built, bytes))
    })
    .await
    .map_err(|e| {
        ApiError::App(Error::new(
            entitle_app::ErrorKind::Integrity,
            format!("building the pack failed: {e}"),
        ))
    })??;
    let name = format!(
        "audit-pack-{}-{}.zip",
        built
            .vendor
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>(),
        built.as_of
    );
    Ok(BuiltZip { built, bytes, name })
}

/// A built pack as a zip download, what was built in `X-Entitle-Pack`.
pub(crate) fn zip_download(zip: BuiltZip) -> Response {
    let BuiltZip { built, bytes, name } = zip;
    let summary = serde_json::to_string(&PackBuilt {
        path: name.clone().into(),
        ..built
    })
    .unwrap_or_default();
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    h.insert(header::CONTENT_DISPOSITION, disposition(&name));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // JSON of ASCII-escaped text is a valid header value.
    if let Ok(v) = HeaderValue::from_str(&ascii_json(&summary)) {
        h.insert(BUILT_HEADER, v);
    }
    response
}

/// JSON with every non-ASCII character escaped (`\u00e9`).
fn ascii_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// `?filename=&signer=`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyParams {
    filename: Option<String>,
    signer: Option<String>,
}

/// `POST /api/v1/audit-packs/verify`: the pack (a zip) as the body; the
/// report `entitle audit verify --json` prints, the pack named by the
/// client's file name. A pack that fails its checks is still a 200 with
/// `verified: false`: the check ran.
pub(crate) async fn verify(
    _who: Principal,
    Params(p): Params<VerifyParams>,
    body: Bytes,
) -> ApiResult<Json<PackVerification>> {
    if body.is_empty() {
        return Err(ApiError::invalid(
            "body",
            "",
            "is empty: send the pack (a .zip) as the body",
        ));
    }
    let name = p.filename.unwrap_or_else(|| "pack.zip".to_owned());
    let dir = temp_dir()?;
    let path = dir.path().join("pack.zip");
    std::fs::write(&path, &body).map_err(|e| ApiError::App(Error::io(&path, e)))?;
    Ok(Json(verify_spooled(dir, name, p.signer).await?))
}

/// Verifies a pack spooled to `pack.zip` in `dir` (removed afterwards),
/// reported under the client's file name `name`.
pub(crate) async fn verify_spooled(
    dir: tempfile::TempDir,
    name: String,
    signer: Option<String>,
) -> ApiResult<PackVerification> {
    let req = VerifyRequest {
        pack: dir.path().join("pack.zip"),
        since: None,
        signer,
    };
    let spooled = req.pack.display().to_string();
    let shown = name.clone();
    let mut verified = tokio::task::spawn_blocking(move || {
        let v = audit::verify_pack(&req, &Silent).map_err(|e| {
            // A file that is no pack is the upload's fault, named by the
            // client's file name, never the server's temporary path.
            if e.field() == Some("pack") {
                Error::about(
                    entitle_app::ErrorKind::BadInput,
                    "body",
                    e.to_string().replace(&spooled, &shown),
                )
            } else {
                e
            }
        });
        drop(dir);
        v
    })
    .await
    .map_err(|e| {
        ApiError::App(Error::new(
            entitle_app::ErrorKind::Integrity,
            format!("verifying the pack failed: {e}"),
        ))
    })??;
    verified.pack = name.into();
    Ok(verified)
}
