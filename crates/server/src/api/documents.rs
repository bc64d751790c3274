//! The archive: list, show, download (scope-checked, never rendered by
//! this origin), search (filtered by scope before ranking), and upload
//! (streamed into the blob store while hashed, bound in one write).

use std::io::Write;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use entitle_app::archive::{self, DocListRequest, SearchRequest};
use entitle_app::record::{self, Attach};
use entitle_app::{Error, Silent};
use serde::Deserialize;

use super::params::Params;
use super::writes::{context, idempotent};
use super::{read, UPLOAD_LIMIT};
use crate::error::{ApiError, ApiResult};
use crate::principal::Principal;
use crate::state::Shared;

/// `?license=&vendor=`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    license: Option<String>,
    vendor: Option<String>,
}

/// `GET /api/v1/documents`
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Params(p): Params<ListParams>,
) -> ApiResult<Json<archive::DocList>> {
    let req = DocListRequest {
        license: p.license,
        vendor: p.vendor,
    };
    let scope = who.scope();
    read(&shared, move |store| {
        archive::doc_list(store, &scope, &req, &Silent)
    })
    .await
}

/// A hash as the API takes it: 64 hex digits (no prefixes: an id that
/// can be guessed a digit at a time is not offered).
pub(crate) fn full_hash(hash: &str) -> ApiResult<String> {
    if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hash.to_ascii_lowercase())
    } else {
        Err(ApiError::invalid(
            "hash",
            hash,
            "is not a BLAKE3 hash (64 hex digits)",
        ))
    }
}

/// `GET /api/v1/documents/{hash}`
pub(crate) async fn show(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Path(hash): Path<String>,
) -> ApiResult<Json<archive::DocShow>> {
    let hash = full_hash(&hash)?;
    let scope = who.scope();
    read(&shared, move |store| {
        archive::doc_show(store, &scope, &hash, &Silent)
    })
    .await
}

/// `GET /api/v1/documents/{hash}/text`: the text extracted from it (what
/// the search reads), scoped as the document is.
pub(crate) async fn text(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Path(hash): Path<String>,
) -> ApiResult<Json<archive::DocText>> {
    let hash = full_hash(&hash)?;
    let scope = who.scope();
    read(&shared, move |store| {
        archive::doc_text(store, &scope, &hash, &Silent)
    })
    .await
}

/// Bytes written by a blocking thread, sent on as a streamed body.
struct ChannelWriter(tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>);

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(buf.to_vec()))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client left"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A file name as a `Content-Disposition` parameter: plain ASCII in
/// `filename`, the exact name in `filename*`.
pub(crate) fn disposition(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// `GET /api/v1/documents/{hash}/content`: the exact bytes, re-hashed as
/// they are sent, always as an attachment with `nosniff` (never shown as
/// a page of this origin).
pub(crate) async fn content(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Path(hash): Path<String>,
) -> ApiResult<Response> {
    let hash = full_hash(&hash)?;
    let scope = who.scope();
    let shown = {
        let hash = hash.clone();
        let scope = scope.clone();
        read(&shared, move |store| {
            archive::doc_show(store, &scope, &hash, &Silent)
        })
        .await?
    };
    let filename = shown
        .events
        .first()
        .map_or_else(|| format!("{}.bin", &hash[..12]), |b| b.filename.clone());
    let mut response = Response::new(stream(&shared, scope, hash));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_DISPOSITION, disposition(&filename));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(shown.size));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}

/// A document's exact bytes as a streamed body, re-hashed as they are
/// read (in scope: the caller has shown the document exists for it).
pub(crate) fn stream(shared: &Arc<Shared>, scope: entitle_app::Scope, hash: String) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let store = Arc::clone(&shared.store);
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter(tx.clone());
        if let Err(e) = archive::doc_get(&store.read(), &scope, &hash, &mut out) {
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Body::from_stream(chunks)
}

/// An upload's chunks, read on a blocking thread as they arrive.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    chunk: Bytes,
}

impl ChannelReader {
    fn new(rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>) -> Self {
        ChannelReader {
            rx,
            chunk: Bytes::new(),
        }
    }
}

impl std::io::Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

/// `?q=&vendor=&product=&kind=&license=&limit=`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
    q: Option<String>,
    vendor: Option<String>,
    product: Option<String>,
    kind: Option<String>,
    license: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// `GET /api/v1/search`: hits only among the documents in scope, filtered
/// before ranking and before snippets are built.
pub(crate) async fn search(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Params(p): Params<SearchParams>,
) -> ApiResult<Json<archive::SearchResult>> {
    let req = SearchRequest {
        query: p.q.unwrap_or_default(),
        vendor: p.vendor,
        product: p.product,
        kind: p.kind,
        license: p.license,
        limit: p.limit,
        offset: p.offset,
    };
    let scope = who.scope();
    read(&shared, move |store| {
        archive::search(store, &scope, &req, &Silent)
    })
    .await
}

/// `?license=&vendor=&kind=&note=`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadParams {
    license: Option<String>,
    vendor: Option<String>,
    kind: Option<String>,
    note: Option<String>,
}

/// `POST /api/v1/documents?license=L-0001&kind=contract`: one multipart
/// field `file`. The owner is checked before a byte is read; the file is
/// streamed into the archive while hashed (at most [`UPLOAD_LIMIT`]
/// bytes, else 413 and nothing kept), then bound in one write. A client
/// that leaves mid-upload leaves nothing behind.
pub(crate) async fn upload(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Params(p): Params<UploadParams>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> ApiResult<Response> {
    who.must_edit()?;
    let req = Attach {
        license: p.license,
        vendor: p.vendor,
        kind: p.kind.unwrap_or_else(|| "contract".to_owned()),
        note: p.note,
    };
    // The owner must exist before the body is read.
    if let Some(id) = req.license.clone() {
        let scope = who.scope();
        let _found = read(&shared, move |store| {
            entitle_app::query::history(store, &scope, &id).map(|_| ())
        })
        .await?;
    }
    let mut archived = Vec::new();
    if let Err(e) = receive(&shared, &mut multipart, &mut archived).await {
        // A refused request keeps nothing it archived.
        let store = Arc::clone(&shared.store);
        let _ = tokio::task::spawn_blocking(move || {
            record::discard_archived(&store.read(), archived);
        })
        .await;
        return Err(e);
    }
    if archived.is_empty() {
        return Err(ApiError::invalid(
            "file",
            "",
            "is missing: send the document as a multipart field named `file`",
        ));
    }
    let ctx = context(&who);
    idempotent(&shared, &who, &headers, async {
        let done = shared
            .writer
            .alone(move |store| record::attach_archived(store, &ctx, &req, archived, &Silent))
            .await?;
        Ok((StatusCode::CREATED, Json(done)).into_response())
    })
    .await
}

/// Archives the one `file` field of the form as it streams in.
async fn receive(
    shared: &Arc<Shared>,
    multipart: &mut Multipart,
    archived: &mut Vec<record::Archived>,
) -> ApiResult<()> {
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            return Err(ApiError::invalid(
                "multipart",
                field.name().unwrap_or_default(),
                "is not a field of this form; send one field named `file`",
            ));
        }
        if !archived.is_empty() {
            return Err(ApiError::invalid(
                "file",
                "",
                "is given twice; send one document per request",
            ));
        }
        archived.push(archive_field(shared, field).await?);
    }
    Ok(())
}

/// Archives one multipart field as it streams in: hashed while written,
/// at most [`UPLOAD_LIMIT`] bytes (413 beyond), nothing kept when the
/// client leaves mid-upload or the file is empty.
pub(crate) async fn archive_field(
    shared: &Arc<Shared>,
    field: axum::extract::multipart::Field<'_>,
) -> ApiResult<record::Archived> {
    let filename = field.file_name().unwrap_or("upload").to_owned();
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let store = Arc::clone(&shared.store);
    let archiving = tokio::task::spawn_blocking(move || {
        let mut reader = ChannelReader::new(rx);
        record::archive_upload(&store.read(), &filename, &mut reader, Some(UPLOAD_LIMIT))
    });
    let mut field = field;
    let mut too_large = false;
    let mut stopped = false;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                // When the archiver stopped (too large, the disk full: its
                // error says why), the rest is read and dropped, up to the
                // route's body limit, so that the client, still sending,
                // reads the answer instead of a closed connection.
                if !stopped && tx.send(Ok(chunk)).await.is_err() {
                    stopped = true;
                }
            }
            Ok(None) => break,
            Err(e) => {
                too_large = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
                let _ = tx
                    .send(Err(std::io::Error::other(format!(
                        "the upload broke off: {e}"
                    ))))
                    .await;
                break;
            }
        }
    }
    drop(tx);
    let stored = archiving
        .await
        .map_err(|_| ApiError::App(Error::new(entitle_app::ErrorKind::Io, "the upload failed")))?;
    if too_large {
        return Err(ApiError::TooLarge(UPLOAD_LIMIT));
    }
    stored.map_err(too_large_or)
}

/// An upload over the limit is 413.
fn too_large_or(e: Error) -> ApiError {
    if e.message().contains("larger than") || e.message().contains("too large") {
        ApiError::TooLarge(UPLOAD_LIMIT)
    } else {
        ApiError::App(e)
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::TooLarge(UPLOAD_LIMIT);
    }
    ApiError::invalid("multipart", "", &e.body_text())
}
