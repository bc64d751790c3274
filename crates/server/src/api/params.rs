//! Query-string parameters: known names only, each value checked, every
//! problem named by its field (`?as_of=2024-02-30` → field `as_of`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The query string as `T` (a struct that denies unknown fields).
#[derive(Debug)]
pub(crate) struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Params)
            .map_err(|e| ApiError::invalid("query", query, &e.to_string()))
    }
}

/// A whole number parameter.
pub(crate) fn whole<T: std::str::FromStr>(
    field: &str,
    text: Option<&str>,
) -> Result<Option<T>, ApiError> {
    text.map(|t| {
        t.trim()
            .parse()
            .map_err(|_| ApiError::invalid(field, t, "is not a whole number of the allowed size"))
    })
    .transpose()
}
