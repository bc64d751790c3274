//! Every failure of a request as `{"error": {"kind", "field", "message",
//! "hint"}}` with its HTTP status. A use case's error keeps its kind,
//! field and hint; the server adds the ones only HTTP has (not signed in,
//! too many attempts, too large).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use entitle_app::{Error, ErrorKind, Names};
use serde_json::json;

/// A request that failed.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// A use case refused or failed.
    App(Error),
    /// Not signed in, or a token or session that is not (or no longer)
    /// valid: 401.
    Unauthenticated,
    /// Signed in, but the role may not do this: 403. (Never for an object
    /// outside the scope: that is 404, as if it did not exist.)
    Forbidden(&'static str),
    /// Nothing here (or nothing this user may see): 404.
    NotFound,
    /// A state-changing request from another site: 403.
    CrossSite,
    /// Too many failed sign-ins: 429, try again after this many seconds.
    Throttled(u64),
    /// A body over the route's limit: 413.
    TooLarge(u64),
    /// The request was written against an older state: 409.
    Stale { expected: u64, head: u64 },
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError::App(e)
    }
}

/// Fields as the API names them: as they are (`as_of`, `known_at`).
struct ApiNames;

impl Names for ApiNames {
    fn field(&self, field: &str) -> String {
        field.to_owned()
    }
}

impl ApiError {
    /// A bad value of a field.
    pub(crate) fn invalid(field: &str, value: &str, problem: &str) -> Self {
        ApiError::App(Error::invalid(field, value, problem))
    }

    /// What the API's JSON says of the failure, as one sentence for a
    /// page: the message and, when there is one, what to do.
    pub(crate) fn sentence(&self) -> String {
        let (_, _, _, message, hint) = self.parts();
        match hint {
            Some(hint) => format!("{message} ({hint})"),
            None => message,
        }
    }

    fn parts(
        &self,
    ) -> (
        StatusCode,
        &'static str,
        Option<String>,
        String,
        Option<String>,
    ) {
        match self {
            ApiError::App(e) => {
                let status = match e.kind() {
                    ErrorKind::BadInput if is_unprocessable(e) => StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorKind::BadInput => StatusCode::BAD_REQUEST,
                    ErrorKind::NotFound => StatusCode::NOT_FOUND,
                    ErrorKind::Conflict => StatusCode::CONFLICT,
                    ErrorKind::Locked => StatusCode::SERVICE_UNAVAILABLE,
                    ErrorKind::Forbidden => StatusCode::FORBIDDEN,
                    ErrorKind::Io if e.is_disk_full() => StatusCode::INSUFFICIENT_STORAGE,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                let rendered = e.render(&ApiNames);
                let first = rendered.lines().next().unwrap_or_default().to_owned();
                let (message, hint) = match first.split_once("; ") {
                    Some((m, h)) if e.hint_text().is_some() => (m.to_owned(), Some(h.to_owned())),
                    _ => (first, None),
                };
                (
                    status,
                    e.kind().as_str(),
                    e.field().map(str::to_owned),
                    message,
                    hint,
                )
            }
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                None,
                "not signed in, or the session or token is no longer valid".into(),
                Some("sign in again (POST /api/v1/session) or use a valid API token".into()),
            ),
            ApiError::Forbidden(what) => (
                StatusCode::FORBIDDEN,
                "forbidden",
                None,
                format!("your role may not {what}"),
                Some("ask an admin for a role that may".into()),
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                None,
                "nothing here".into(),
                None,
            ),
            ApiError::CrossSite => (
                StatusCode::FORBIDDEN,
                "cross_site",
                None,
                "a request that changes something must come from this site, with the session's CSRF token".into(),
                Some("send the X-CSRF-Token header the session answer gave, from a page of this server".into()),
            ),
            ApiError::Throttled(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                None,
                "too many failed sign-ins".into(),
                Some(format!("try again in {secs} seconds")),
            ),
            ApiError::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                None,
                format!("the body is larger than this route accepts ({limit} bytes)"),
                Some("send a smaller file, or split it".into()),
            ),
            ApiError::Stale { expected, head } => (
                StatusCode::CONFLICT,
                "stale",
                Some("expected_seq".into()),
                format!("the records changed since: expected head #{expected}, it is #{head}"),
                Some("reload and check the change before you send it again".into()),
            ),
        }
    }
}

/// A file with bad rows or lines (each listed) is 422; a malformed value
/// is 400.
fn is_unprocessable(e: &Error) -> bool {
    !e.detail_lines().is_empty()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, field, message, hint) = self.parts();
        if status.is_server_error() {
            tracing::error!(kind, %message, "request failed");
        }
        let (details, field_first) = match &self {
            ApiError::App(e) => (e.detail_lines().to_vec(), e.names_field_first()),
            _ => (Vec::new(), false),
        };
        // `field_first`: the message begins with the field's name (a
        // client that names fields otherwise replaces just that).
        let body = json!({"error": {
            "kind": kind, "field": field, "message": message, "hint": hint, "details": details,
            "field_first": field_first,
        }});
        let mut response = (status, axum::Json(body)).into_response();
        if let ApiError::Throttled(secs) = self {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// What a handler returns.
pub(crate) type ApiResult<T> = Result<T, ApiError>;
