//! `entitle serve`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::config::{self, Origin};

use crate::cli::{Cli, ServeArgs};
use crate::request;

pub fn run(cli: &Cli, args: &ServeArgs) -> Result<ExitCode> {
    let store = request::store_path(cli)?;
    let options = options(cli, args, store)?;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ENTITLE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    entitle_server::run(
        &options,
        |started| {
            println!(
                "entitle serves {} at {}",
                options.store.display(),
                started.url
            );
            if let Some(token) = &started.setup_token {
                println!(
                    "No account yet. Create the first admin within one hour (the link works once):\n  \
                     {url}/setup?token={token}\n\
                     or without a browser:\n  \
                     curl -X POST {url}/api/v1/setup -H 'Content-Type: application/json' \\\n    \
                     -d '{{\"token\":\"{token}\",\"name\":\"admin\",\"password\":\"…at least 12 characters…\"}}'",
                    url = started.url
                );
            }
        },
        std::future::pending(),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The options from the flags (or their `ENTITLE_*` variables), else the
/// settings file's `[server]` section, else the defaults.
fn options(
    cli: &Cli,
    args: &ServeArgs,
    store: std::path::PathBuf,
) -> Result<entitle_server::Options> {
    let config = config::load(&store, cli.config.as_deref())?;
    let file = &config.settings.server;
    let listen = config
        .pick(
            args.listen.as_deref(),
            file.listen.as_deref(),
            Origin {
                flag: "--listen",
                key: "server.listen",
            },
            "an address like 127.0.0.1:8080",
        )?
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 8080)));
    let behind_proxy = config.pick(
        args.behind_proxy.as_deref(),
        file.behind_proxy.as_deref(),
        Origin {
            flag: "--behind-proxy",
            key: "server.behind_proxy",
        },
        "an IP address like 127.0.0.1",
    )?;
    // clap makes the two flags go together; the file is checked here.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
        _ => match (&file.tls_cert, &file.tls_key) {
            (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
            (None, None) => None,
            _ => {
                anyhow::bail!(
                    "{}: [server] names only one of tls_cert and tls_key: give both, or neither",
                    config.file_name()
                )
            }
        },
    };
    let settings = entitle_app::remind::settings(&config)?;
    if let (Some(at), None) = (settings.daily_at, &settings.smtp) {
        anyhow::bail!(
            "{}: remind.daily_at is \"{}\" but there is no [smtp] section to send through\n  \
             hint: add [smtp] with url and from (README: \"Reminders by e-mail\"), or remove daily_at",
            config.file_name(),
            at.strftime("%H:%M")
        );
    }
    let replicate = entitle_app::backup::replicate::settings(
        &config,
        args.replicate_to.as_deref(),
        args.replicate_delay.as_deref(),
    )?
    .map(|to| entitle_server::Replication {
        to,
        backup: config.settings.backup.clone(),
    });
    let options = entitle_server::Options {
        store,
        listen,
        behind_proxy,
        tls: tls.map(|(cert, key)| entitle_server::TlsFiles { cert, key }),
        reminders: entitle_server::Reminders {
            settings,
            password: std::env::var("ENTITLE_SMTP_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty()),
        },
        replicate,
        backup: config.settings.backup.clone(),
    };
    match entitle_server::check(&options) {
        // A refused address from the file is named as the file's key, not
        // as a flag the user never typed.
        Err(e) if e.field() == Some("listen") && args.listen.is_none() => Err(
            entitle_app::Error::new(
                entitle_app::ErrorKind::BadInput,
                format!(
                    "{}: server.listen \"{listen}\" {}",
                    config.file_name(),
                    e.message()
                ),
            )
            .hint(
                "set tls_cert and tls_key in [server] (or pass --tls-cert and --tls-key), or listen \
                 on 127.0.0.1 behind a TLS-terminating reverse proxy named by behind_proxy",
            )
            .into(),
        ),
        checked => checked.map(|()| options).map_err(Into::into),
    }
}
