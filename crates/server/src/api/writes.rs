//! Recording: events (one, or a JSON array of them, all or nothing), the
//! usage and license spreadsheets (with dry runs that list every bad
//! row), and the export of the chain.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use entitle_app::import::{self, SheetOptions, Target};
use entitle_app::{Context, Error, Silent, Store};
use entitle_core::ledger::Draft;
use serde::{Deserialize, Serialize};

use super::params::{whole, Params};
use super::read;
use crate::error::{ApiError, ApiResult};
use crate::principal::Principal;
use crate::state::{Remembered, Shared, IDEMPOTENCY_FOR};

/// Who records, now.
pub(crate) fn context(who: &Principal) -> Context {
    entitle_app::when::context(&who.actor())
}

/// `?expected_seq=N`: the head the client saw (a form's stale check);
/// `?dry_run=true`: judge the events, record nothing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WriteParams {
    expected_seq: Option<String>,
    dry_run: Option<bool>,
}

/// What `POST /api/v1/events` recorded.
#[derive(Debug, Serialize)]
pub(crate) struct Recorded {
    first_seq: u64,
    last_seq: u64,
    events: u64,
    ids: Vec<String>,
}

/// The drafts in a body: one import line as a JSON object, or an array of
/// them.
fn drafts(body: &[u8]) -> ApiResult<Vec<Draft>> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid("body", "", &format!("is not JSON: {e}")))?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        object @ serde_json::Value::Object(_) => vec![object],
        _ => {
            return Err(ApiError::invalid(
                "body",
                "",
                "must be an event (a JSON object in the `import events` line format) or an array of them",
            ))
        }
    };
    if items.is_empty() {
        return Err(ApiError::invalid("body", "[]", "holds no events"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            Draft::from_json_line(&item.to_string()).map_err(|problem| {
                ApiError::App(
                    Error::invalid("events", format!("[{i}]"), problem)
                        .hint("each event is a line of the `import events` format (docs/API.md)"),
                )
            })
        })
        .collect()
}

/// `POST /api/v1/events`: records the events as one all-or-nothing
/// write, answered once durable. `Idempotency-Key` makes a repeated
/// request answer the same without recording twice; `?expected_seq=N`
/// refuses the write (409) when anything was recorded after #N.
pub(crate) async fn events(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Params(p): Params<WriteParams>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    who.must_edit()?;
    let drafts = drafts(&body)?;
    let expected: Option<u64> = whole("expected_seq", p.expected_seq.as_deref())?;
    if p.dry_run == Some(true) {
        // `import events --dry-run`: every event judged in memory, the
        // bad ones listed (422), nothing recorded.
        let ctx = context(&who);
        let checked = shared
            .writer
            .alone(move |store| import::check_events(store, &ctx, &drafts))
            .await?;
        let status = if checked.bad_rows.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return Ok((status, Json(checked)).into_response());
    }
    // A document the archive does not hold is refused, as `import events`
    // refuses it: attach the file itself (`POST /api/v1/documents`).
    {
        let drafts = drafts.clone();
        let Json(()) = read(&shared, move |store| {
            import::check_documents(store, &drafts)
        })
        .await?;
    }
    let ctx = context(&who);
    idempotent(&shared, &who, &headers, async {
        let appended = match expected {
            None => shared.writer.record(drafts, ctx).await?,
            Some(expected) => {
                let answer = shared
                    .writer
                    .alone(move |store| {
                        let head = store.applied().head.seq;
                        if head != expected {
                            return Ok(Err(ApiError::Stale { expected, head }));
                        }
                        Ok(Ok(store.append(drafts, &ctx).map_err(Error::from)?))
                    })
                    .await?;
                answer?
            }
        };
        let first_seq = appended.first().map_or(0, |a| a.seq);
        let last_seq = appended.last().map_or(0, |a| a.seq);
        let mut ids: Vec<String> = appended.iter().filter_map(|a| a.id.clone()).collect();
        ids.dedup();
        let recorded = Recorded {
            first_seq,
            last_seq,
            events: appended.len() as u64,
            ids,
        };
        Ok((StatusCode::CREATED, Json(recorded)).into_response())
    })
    .await
}

/// Answers a write once per `Idempotency-Key` (per account): the first
/// request runs, a later one with the same key gets the same status and
/// body; one that arrives while the first still runs is refused (409).
pub(crate) async fn idempotent(
    shared: &Shared,
    who: &Principal,
    headers: &HeaderMap,
    work: impl std::future::Future<Output = ApiResult<Response>>,
) -> ApiResult<Response> {
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return work.await;
    };
    if key.is_empty() || key.len() > 200 {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            &key,
            "must be 1 to 200 characters",
        ));
    }
    let slot = (who.account.name.clone(), key);
    {
        let mut remembered = shared.remembered.lock();
        remembered.retain(|_, r| r.at.elapsed() < IDEMPOTENCY_FOR);
        match remembered.get(&slot) {
            Some(r) if r.status == 0 => {
                return Err(ApiError::App(
                    Error::new(
                        entitle_app::ErrorKind::Conflict,
                        "a request with this Idempotency-Key is still being processed",
                    )
                    .hint("wait for its answer"),
                ))
            }
            Some(r) => {
                let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
                let mut response = Response::new(Body::from(r.body.clone()));
                *response.status_mut() = status;
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    header::HeaderValue::from_static("application/json"),
                );
                return Ok(response);
            }
            None => {
                remembered.insert(
                    slot.clone(),
                    Remembered {
                        at: std::time::Instant::now(),
                        status: 0,
                        body: Vec::new(),
                    },
                );
            }
        }
    }
    match work.await {
        Ok(response) if response.status().is_success() => {
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            shared.remembered.lock().insert(
                slot,
                Remembered {
                    at: std::time::Instant::now(),
                    status: parts.status.as_u16(),
                    body: bytes.to_vec(),
                },
            );
            Ok(Response::from_parts(parts, Body::from(bytes)))
        }
        // A failure records nothing: the same key may be tried again.
        other => {
            shared.remembered.lock().remove(&slot);
            other
        }
    }
}

/// `?filename=&source=&map=&date_format=&numbers=&again=&dry_run=`, and
/// for an inventory `&date=&snapshot=`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SheetParams {
    filename: Option<String>,
    source: Option<String>,
    map: Option<String>,
    date_format: Option<String>,
    numbers: Option<String>,
    again: Option<bool>,
    dry_run: Option<bool>,
    date: Option<String>,
    snapshot: Option<bool>,
}

impl SheetParams {
    /// Refuses the parameters of other kinds of import.
    fn only_for(&self, kind: &str) -> ApiResult<()> {
        let given = [
            ("source", self.source.clone(), "usage"),
            ("date", self.date.clone(), "inventory"),
            (
                "snapshot",
                self.snapshot.map(|b| b.to_string()),
                "inventory",
            ),
        ];
        for (field, value, of) in given {
            if let Some(value) = value.filter(|_| of != kind) {
                return Err(ApiError::App(
                    Error::invalid(field, value, format!("is only for {of} imports")).hint(
                        format!("leave it out, or send the file to /api/v1/imports/{of}"),
                    ),
                ));
            }
        }
        Ok(())
    }

    fn options(&self) -> SheetOptions {
        SheetOptions {
            shown_as: Some(client_name(self)),
            map: self.map.clone(),
            date_format: self.date_format.clone(),
            numbers: self.numbers.clone(),
            again: self.again.unwrap_or(false),
        }
    }
}

/// The file name the client gave (the answer names it, never the
/// server's temporary path).
fn client_name(p: &SheetParams) -> String {
    p.filename
        .clone()
        .unwrap_or_else(|| "upload.csv".to_owned())
}

/// The uploaded sheet in a private temporary directory under its
/// client's file name (the name goes into the events' notes, as the CLI
/// records it).
fn spool(p: &SheetParams, body: &[u8]) -> ApiResult<(tempfile::TempDir, std::path::PathBuf)> {
    let name = &client_name(p);
    let plain = std::path::Path::new(name)
        .file_name()
        .filter(|n| n.to_str() == Some(name) && !name.starts_with('.'))
        .ok_or_else(|| {
            ApiError::invalid(
                "filename",
                name,
                "must be a plain file name, without directories",
            )
        })?;
    if body.is_empty() {
        return Err(ApiError::invalid(
            "body",
            "",
            "is empty: send the CSV file as the body",
        ));
    }
    let dir = tempfile::tempdir()
        .map_err(|e| ApiError::App(Error::io(std::path::Path::new("a temporary directory"), e)))?;
    let path = dir.path().join(plain);
    std::fs::write(&path, body).map_err(|e| ApiError::App(Error::io(&path, e)))?;
    Ok((dir, path))
}

/// `POST /api/v1/imports/usage`: the CSV as the body.
pub(crate) async fn usage_import(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Params(p): Params<SheetParams>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let (source, sheet, dry_run) = (p.source.clone(), p.options(), p.dry_run.unwrap_or(false));
    import_sheet(
        &shared,
        &who,
        &headers,
        &p,
        "usage",
        &body,
        move |file, ctx, store| {
            let req = import::UsageImport {
                file,
                source,
                sheet,
                dry_run,
            };
            import::usage(Target::Open(store), &ctx, &req, &Silent)
        },
    )
    .await
}

/// `POST /api/v1/imports/licenses`: the CSV as the body.
pub(crate) async fn licenses_import(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Params(p): Params<SheetParams>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let (sheet, dry_run) = (p.options(), p.dry_run.unwrap_or(false));
    import_sheet(
        &shared,
        &who,
        &headers,
        &p,
        "licenses",
        &body,
        move |file, ctx, store| {
            let req = import::Licenses {
                file,
                sheet,
                dry_run,
            };
            import::licenses(Target::Open(store), &ctx, &req, &Silent)
        },
    )
    .await
}

/// `POST /api/v1/imports/inventory`: the CSV or osquery's JSON as the
/// body, `?date=` the day the inventory was taken, `?snapshot=true` for a
/// file that lists everything on its hosts.
pub(crate) async fn inventory_import(
    State(shared): State<Arc<Shared>>,
    who: Principal,
    Params(p): Params<SheetParams>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let (date, snapshot) = (p.date.clone(), p.snapshot.unwrap_or(false));
    let (sheet, dry_run) = (p.options(), p.dry_run.unwrap_or(false));
    import_sheet(
        &shared,
        &who,
        &headers,
        &p,
        "inventory",
        &body,
        move |file, ctx, store| {
            let req = import::InventoryImport {
                file,
                date,
                snapshot,
                sheet,
                dry_run,
            };
            import::inventory(Target::Open(store), &ctx, &req, &Silent)
        },
    )
    .await
}

/// What a spreadsheet import answers: the file it names, and whether it
/// was refused or only a dry run.
trait SheetImported: Serialize + Send + 'static {
    /// Names the client's file instead of the spooled one; the refusal
    /// its bad rows stand for, and whether it was a dry run.
    fn answer_for(&mut self, name: String) -> (Option<Error>, bool);
}

macro_rules! sheet_imported {
    ($($t:ty),*) => {$(
        impl SheetImported for $t {
            fn answer_for(&mut self, name: String) -> (Option<Error>, bool) {
                self.file = name;
                (self.refusal(), self.dry_run)
            }
        }
    )*};
}
sheet_imported!(
    import::UsageImported,
    import::LicensesImported,
    import::InventoryImported
);

/// Runs a spreadsheet import of `kind` for an editor: the body spooled
/// under the client's file name, the import in the writer (the file kept
/// until it is done), once per idempotency key; the answer names the
/// client's file.
async fn import_sheet<T: SheetImported>(
    shared: &Shared,
    who: &Principal,
    headers: &HeaderMap,
    p: &SheetParams,
    kind: &str,
    body: &[u8],
    run: impl FnOnce(std::path::PathBuf, Context, &mut Store) -> Result<T, Error> + Send + 'static,
) -> ApiResult<Response> {
    who.must_edit()?;
    p.only_for(kind)?;
    let (dir, file) = spool(p, body)?;
    let ctx = context(who);
    idempotent(shared, who, headers, async {
        let mut done = shared
            .writer
            .alone(move |store| {
                let _keep = dir;
                run(file, ctx, store)
            })
            .await?;
        let (refusal, dry_run) = done.answer_for(client_name(p));
        sheet_answer(refusal, dry_run, &done)
    })
    .await
}

/// A dry run with bad rows answers 422 with the rows as data; a real
/// import answers 201.
fn sheet_answer(
    refusal: Option<Error>,
    dry_run: bool,
    done: &impl Serialize,
) -> ApiResult<Response> {
    let status = match (dry_run, refusal.is_some()) {
        (true, true) => StatusCode::UNPROCESSABLE_ENTITY,
        (true, false) => StatusCode::OK,
        (false, _) => StatusCode::CREATED,
    };
    Ok((status, Json(done)).into_response())
}

/// `GET /api/v1/export`: the chain as JSON Lines — every record, so only
/// for accounts that see every vendor.
pub(crate) async fn export(
    State(shared): State<Arc<Shared>>,
    who: Principal,
) -> ApiResult<Response> {
    let scope = who.scope();
    let store = Arc::clone(&shared.store);
    let bytes = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        entitle_app::maintenance::export(&store.read(), &scope, &mut out).map(|()| out)
    })
    .await
    .map_err(|_| ApiError::NotFound)??;
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], bytes).into_response())
}
