//! `entitle serve`

use std::process::ExitCode;

use anyhow::{Context as _, Result};

use crate::cli::{Cli, ServeArgs};
use crate::request;

pub fn run(cli: &Cli, args: &ServeArgs) -> Result<ExitCode> {
    let listen = args.listen.parse().with_context(|| {
        format!(
            "--listen {:?} is not an address like 127.0.0.1:8080",
            args.listen
        )
    })?;
    let behind_proxy = args
        .behind_proxy
        .as_deref()
        .map(|a| {
            a.parse().with_context(|| {
                format!("--behind-proxy {a:?} is not an IP address like 127.0.0.1")
            })
        })
        .transpose()?;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ENTITLE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let options = entitle_server::Options {
        store: request::store_path(cli)?,
        listen,
        behind_proxy,
    };
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
                    "No account yet. Create the first admin within one hour (this token works once):\n  \
                     curl -X POST {}/api/v1/setup -H 'Content-Type: application/json' \\\n    \
                     -d '{{\"token\":\"{token}\",\"name\":\"admin\",\"password\":\"…at least 12 characters…\"}}'",
                    started.url
                );
            }
        },
        std::future::pending(),
    )?;
    Ok(ExitCode::SUCCESS)
}
