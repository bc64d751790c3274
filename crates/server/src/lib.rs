//! `entitle serve`: one process owns a store and serves it over HTTP — a
//! JSON API under `/api/v1/` for every use case of `crates/app`, to
//! people signed in with a session cookie and to API tokens, every read
//! and write checked against the account's role and vendor scope inside
//! the query (an object outside the scope is 404, as one that does not
//! exist).
//!
//! Writes go through one writer thread (concurrent writes share one
//! fsync, each answered only once durable); reads run concurrently on
//! blocking threads. SIGTERM or SIGINT stops accepting connections,
//! finishes the requests in flight and the queued writes, and closes the
//! store: no acknowledged write is lost.
#![deny(missing_docs)]

mod answers;
mod api;
mod checked;
mod daily;
mod error;
mod headers;
mod pages;
mod principal;
mod replicate;
mod session;
mod state;
mod throttle;
mod writer;

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use entitle_app::{Error, ErrorKind, Open};
use entitle_auth::AuthDir;
use parking_lot::{Mutex, RwLock};

pub use crate::daily::Reminders;
pub use crate::replicate::Replication;
use crate::state::Shared;

/// The longest a shutdown waits for work in flight besides requests and
/// writes (a replication run, a reminder run) once the writes are done.
pub const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// How to serve.
#[derive(Debug, Clone)]
pub struct Options {
    /// The store directory.
    pub store: PathBuf,
    /// Where to listen (port 0: any free port).
    pub listen: SocketAddr,
    /// The reverse proxy in front, whose `X-Forwarded-For` is believed;
    /// required to listen on a non-loopback address without TLS.
    pub behind_proxy: Option<IpAddr>,
    /// Serve HTTPS with this certificate and key (required, or a named
    /// proxy, for a non-loopback address).
    pub tls: Option<TlsFiles>,
    /// The reminder settings: what the reminders page shows as due, and
    /// the daily run at `[remind] daily_at`.
    pub reminders: Reminders,
    /// Continuous replication (`[backup] replicate_to`), if set.
    pub replicate: Option<Replication>,
    /// `[backup]` of the settings file `serve` was given (S3 endpoint,
    /// region, Object Lock retention), for backups started from the API
    /// and the admin page.
    pub backup: entitle_app::config::BackupSection,
}

/// The PEM files of HTTPS.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1), readable by its owner only.
    pub key: PathBuf,
}

/// What the server tells its starter once it listens.
#[derive(Debug, Clone)]
pub struct Started {
    /// The address it listens on (the port chosen when 0 was asked for).
    pub address: SocketAddr,
    /// The base URL.
    pub url: String,
    /// When the store has no account: the one-time secret (valid one
    /// hour) that creates the first admin through `POST /api/v1/setup`.
    pub setup_token: Option<String>,
}

/// Checks the options before anything is opened.
///
/// # Errors
///
/// For a non-loopback address without TLS or a named proxy (field
/// `listen`), a TLS key others may read (field `tls_key`).
pub fn check(options: &Options) -> Result<(), Error> {
    if let Some(tls) = &options.tls {
        entitle_app::config::check_secret_file("tls_key", &tls.key)?;
    }
    if !options.listen.ip().is_loopback() && options.behind_proxy.is_none() && options.tls.is_none()
    {
        return Err(Error::invalid(
            "listen",
            options.listen.to_string(),
            "is reachable from other machines, and this server speaks plain HTTP",
        )
        .hint("give --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS-terminating reverse proxy and name it with --behind-proxy ADDR"));
    }
    Ok(())
}

/// Serves the store until SIGTERM or SIGINT (or until `stop` completes,
/// for tests), then shuts down gracefully. `started` is called once the
/// server listens.
///
/// # Errors
///
/// For bad options, a store that cannot be opened (held by another
/// process, damaged), an address that cannot be bound, or an auth
/// directory that cannot be read.
pub fn run(
    options: &Options,
    started: impl FnOnce(&Started),
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    check(options)?;
    let tls = options.tls.as_ref().map(tls_config).transpose()?;
    let listener = TcpListener::bind(options.listen).map_err(|e| {
        Error::invalid(
            "listen",
            options.listen.to_string(),
            format!("cannot be bound: {e}"),
        )
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::io(std::path::Path::new("the listening socket"), e))?;
    let address = listener
        .local_addr()
        .map_err(|e| Error::io(std::path::Path::new("the listening socket"), e))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{address}");
    let mut store = entitle_app::store::open(
        &options.store,
        Open::MustExist,
        &format!("{} --listen {url}", entitle_app::store::SERVER_COMMAND),
    )?;
    let auth_dir = store.layout().root().join("auth");
    let mut auth = AuthDir::open(&auth_dir).map_err(accounts_error)?;
    let setup_token = if auth.is_empty() {
        Some(auth.create_setup_token().map_err(accounts_error)?)
    } else {
        None
    };
    // The server answers many positions: each new date then costs its
    // fold, not a read of every timeline and usage year.
    store.keep_positions_in_memory();
    let replicator = Arc::new(replicate::Replicator::new(
        options.replicate.clone(),
        store.applied().head.seq,
        entitle_core::chain::to_hex(&store.applied().head_hash),
    ));
    let store = Arc::new(RwLock::new(store));
    let nudged = Arc::clone(&replicator);
    let shared = Arc::new(Shared {
        writer: writer::Writer::start(Arc::clone(&store), move |seq, head| {
            nudged.written(seq, head);
        }),
        replicator,
        backup: options.backup.clone(),
        store,
        auth: RwLock::new(auth),
        sessions: session::Sessions::new(session::IDLE, session::ABSOLUTE),
        throttle: throttle::Throttle::default(),
        tls: tls.is_some(),
        proxy: options.behind_proxy,
        remembered: Mutex::new(std::collections::HashMap::new()),
        previews: Mutex::new(std::collections::HashMap::new()),
        answers: answers::Answers::default(),
        checked: checked::LastCheck::default(),
        reminders: options.reminders.clone(),
        last_run: daily::Last::default(),
    });
    let router = router(Arc::clone(&shared));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("entitle-serve")
        .build()
        .map_err(|e| Error::io(std::path::Path::new("the server's threads"), e))?;
    started(&Started {
        address,
        url: url.clone(),
        setup_token,
    });
    tracing::info!(%url, "listening");
    runtime.spawn(checked::keep_checking(Arc::clone(&shared)));
    runtime.spawn(daily::every_day(Arc::clone(&shared)));
    runtime.spawn(replicate::keep_replicating(Arc::clone(&shared)));
    let stopped = async move {
        tokio::select! {
            () = stop => {}
            () = signal() => {}
        }
        tracing::info!("shutting down: finishing the requests in flight");
    };
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let served = runtime.block_on(async move {
        match tls {
            None => {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(listener, service)
                    .with_graceful_shutdown(stopped)
                    .await
            }
            Some(config) => {
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tokio::spawn(async move {
                    stopped.await;
                    stopper.graceful_shutdown(None);
                });
                axum_server::from_tcp_rustls(listener, config)?
                    .handle(handle)
                    .serve(service)
                    .await
            }
        }
    });
    // Requests are done; the queued writes are finished before the store
    // is closed (and flushed) with the last reference. A replication run
    // in flight stops before its next object; the runtime waits for it
    // (and any other blocking work) at most [`SHUTDOWN_WAIT`].
    shared.writer.stop();
    shared.replicator.stop();
    runtime.shutdown_timeout(SHUTDOWN_WAIT);
    served.map_err(|e| Error::io(std::path::Path::new("the server's socket"), e))?;
    tracing::info!("stopped; every acknowledged write is durable");
    Ok(())
}

/// Reads the certificate and key (rustls with the ring provider: no
/// OpenSSL, nothing to build but Rust and a little assembly).
fn tls_config(files: &TlsFiles) -> Result<axum_server::tls_rustls::RustlsConfig, Error> {
    let read = |field: &str, path: &std::path::Path| {
        std::fs::read(path).map_err(|e| {
            Error::invalid(
                field,
                path.display().to_string(),
                format!("cannot be read: {e}"),
            )
        })
    };
    use rustls::pki_types::pem::PemObject;
    let cert = read("tls_cert", &files.cert)?;
    let key = read("tls_key", &files.key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = pem_certs(&cert)
        .map_err(|problem| Error::invalid("tls_cert", files.cert.display().to_string(), problem))?;
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(&key).map_err(|e| {
        Error::invalid(
            "tls_key",
            files.key.display().to_string(),
            format!("holds no PEM private key ({e})"),
        )
    })?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| {
            Error::invalid(
                "tls_cert",
                files.cert.display().to_string(),
                format!("does not go with the key {}: {e}", files.key.display()),
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(config),
    ))
}

/// The certificates of a PEM file, leaf first.
fn pem_certs(pem: &[u8]) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let certs = rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("is not a PEM certificate chain ({e})"))?;
    if certs.is_empty() {
        return Err("holds no certificate (expected -----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certs)
}

/// The routes with their layers.
fn router(shared: Arc<Shared>) -> axum::Router {
    let tls = headers::Tls(shared.tls);
    api::routes()
        .merge(pages::routes())
        .fallback(pages::fallback)
        .with_state(shared)
        .layer(middleware::from_fn_with_state(tls, headers::secure))
        .layer(middleware::from_fn(log_request))
}

/// One line per request: method, path (a calendar secret hidden), status
/// and time. Never a header, a body, a password or a token.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let shown = if path.starts_with("/calendar/") {
        "/calendar/…".to_owned()
    } else {
        path
    };
    let began = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path = %shown,
        status = response.status().as_u16(),
        ms = began.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// SIGTERM or SIGINT.
async fn signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// An auth directory failure as a use-case error.
pub(crate) fn accounts_error(e: entitle_auth::Error) -> Error {
    Error::new(ErrorKind::Io, e.to_string())
}
