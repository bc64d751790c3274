//! Security headers on every response: a strict Content-Security-Policy
//! (no inline script, no plugins, no framing, no base rewriting), no
//! referrer, no MIME sniffing, and HSTS when served over TLS.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy: everything from this origin only, nothing inline.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
form-action 'self'";

/// Whether responses go out over TLS (then HSTS is sent).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tls(pub bool);

/// Adds the headers (a handler's own, e.g. a download's, are kept).
pub(crate) async fn secure(State(tls): State<Tls>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::CONTENT_SECURITY_POLICY, CSP);
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::CACHE_CONTROL, "no-store");
    if tls.0 {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    response
}
