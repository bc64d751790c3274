//! What the command line adds to a request: where the store is, who
//! records, and the query flags as the app's request.

use std::path::PathBuf;

use anyhow::{bail, Result};
use entitle_app::query::Query;
use entitle_app::{Context, Open, Store};

use crate::cli::{Cli, QueryArgs};
use crate::progress::Bar;

/// `--store`, else `$ENTITLE_STORE`, else the platform data directory.
pub fn store_path(cli: &Cli) -> Result<PathBuf> {
    if let Some(p) = &cli.store {
        return Ok(p.clone());
    }
    if let Some(p) = std::env::var_os("ENTITLE_STORE").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let Some(data) = dirs::data_dir() else {
        bail!("no --store given, $ENTITLE_STORE is not set, and this system has no data directory: pass --store DIR");
    };
    Ok(data.join("entitle"))
}

/// Opens the store, printing what recovery did.
pub fn open(cli: &Cli, mode: Open, command: &str) -> Result<Store> {
    let bar = Bar::new(true);
    let store = entitle_app::store::open_waiting(
        &store_path(cli)?,
        mode,
        command,
        std::time::Duration::from_secs(cli.wait),
        &bar,
    )?;
    for notice in store.notices() {
        entitle_app::Progress::notice(&bar, notice);
    }
    Ok(store)
}

/// Opens the store and its accounts; the store is returned too, because
/// holding it (its lock) is what keeps a server from changing the accounts
/// at the same time.
pub fn open_accounts(
    cli: &Cli,
    mode: Open,
    command: &str,
) -> Result<(Store, entitle_app::accounts::AuthDir)> {
    let store = open(cli, mode, command)?;
    let auth = entitle_app::accounts::open(&store)?;
    Ok((store, auth))
}

/// Shows what opening the store reported (recovery) on standard error.
pub fn show_notices(notices: &[String]) {
    let bar = Bar::new(true);
    for notice in notices {
        entitle_app::Progress::notice(&bar, notice);
    }
}

/// `--actor`, else `$ENTITLE_ACTOR`, else the OS user.
pub fn actor(cli: &Cli) -> String {
    cli.actor
        .clone()
        .or_else(|| std::env::var("ENTITLE_ACTOR").ok())
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Who changes accounts or tokens, for the access log: the actor, marked
/// as the local command line.
pub fn auth_actor(cli: &Cli) -> entitle_app::accounts::Actor {
    entitle_app::accounts::Actor::local_cli(actor(cli))
}

/// The store of a long write (an import) as the app opens it: waiting
/// `--wait` seconds for another holder, named `purpose` to it.
pub fn target(cli: &Cli, purpose: &str) -> Result<entitle_app::import::Target<'static>> {
    Ok(entitle_app::import::Target::At {
        path: store_path(cli)?,
        purpose: purpose.into(),
        wait: std::time::Duration::from_secs(cli.wait),
    })
}

/// The clock and the actor for a write.
pub fn context(cli: &Cli) -> Context {
    entitle_app::when::context(&actor(cli))
}

/// A file to send to the server: its bytes, the error naming it as the
/// local import would (`FILE`).
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| entitle_app::Error::io(path, e).into())
}

/// The name the server records for a file sent to it (its notes name
/// the file as the local import does).
pub fn file_name(path: &std::path::Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("FILE {}: has no file name", path.display()))
}

/// The query as the API's parameters.
pub fn query_params(q: &Query) -> [(&'static str, Option<String>); 3] {
    [
        ("as_of", q.as_of.clone()),
        ("known_at", q.known_at.clone()),
        ("vendor", q.vendor.clone()),
    ]
}

/// The query flags as the app's request.
pub fn query(a: &QueryArgs) -> Query {
    Query {
        as_of: a.as_of.clone(),
        known_at: a.known_at.clone(),
        vendor: a.vendor.clone(),
    }
}
