//! Turning raw flag values into validated requests: the store path, the
//! actor, dates, `--known-at`.

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use entitle_core::ledger::{parse_date, Context};
use entitle_store::{KnownAt, Layout, Open, Store};
use jiff::civil::Date;
use jiff::Timestamp;

use crate::cli::Cli;

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
pub fn open(cli: &Cli, access: Open, command: &str) -> Result<Store> {
    let path = store_path(cli)?;
    let store = Store::open(&path, access, command)?;
    for notice in store.notices() {
        eprintln!("entitle: {notice}");
    }
    Ok(store)
}

/// Opens the store when there is one (for dry runs that check against it
/// if it exists but must not create it).
pub fn open_existing(cli: &Cli, command: &str) -> Result<Option<Store>> {
    if !Layout::new(store_path(cli)?).format().exists() {
        return Ok(None);
    }
    open(cli, Open::MustExist, command).map(Some)
}

/// Opens the store for a query and resolves `--as-of` (default today) and
/// `--known-at` (default everything) against it.
pub fn open_query(
    cli: &Cli,
    command: &str,
    as_of_flag: Option<&str>,
    known_at_flag: Option<&str>,
) -> Result<(Store, Date, u64)> {
    let as_of = as_of(as_of_flag)?;
    let known_at = known_at(known_at_flag)?;
    let store = open(cli, Open::MustExist, command)?;
    let known = store.known_seq(known_at)?;
    Ok((store, as_of, known))
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

/// Today in the local time zone.
pub fn today() -> Date {
    jiff::Zoned::now().date()
}

/// The clock and the actor for a write.
pub fn context(cli: &Cli) -> Context {
    Context {
        actor: actor(cli),
        now: now(),
        today: today(),
    }
}

/// Now, to the second (records carry whole seconds).
pub fn now() -> Timestamp {
    let t = Timestamp::now();
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// A date flag.
pub fn date(flag: &str, value: &str) -> Result<Date> {
    Ok(parse_date(flag, value)?)
}

/// An optional date flag.
pub fn opt_date(flag: &str, value: Option<&str>) -> Result<Option<Date>> {
    value.map(|v| date(flag, v)).transpose()
}

/// `--as-of`, defaulting to today.
pub fn as_of(value: Option<&str>) -> Result<Date> {
    Ok(opt_date("--as-of", value)?.unwrap_or_else(today))
}

/// `--known-at`: `#N`, an RFC 3339 timestamp, or a date (end of that day,
/// UTC).
pub fn known_at(value: Option<&str>) -> Result<KnownAt> {
    let Some(v) = value else {
        return Ok(KnownAt::Now);
    };
    let t = v.trim();
    if let Some(n) = t.strip_prefix('#') {
        let seq: u64 = n.parse().with_context(|| {
            format!("--known-at {v:?}: after # comes an event number, e.g. #42")
        })?;
        return Ok(KnownAt::Seq(seq));
    }
    if t.len() == 10 {
        let d = date("--known-at", t)?;
        let end = d
            .at(23, 59, 59, 999_999_999)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .context("--known-at date out of range")?;
        return Ok(KnownAt::Time(end.timestamp()));
    }
    match t.parse::<Timestamp>() {
        Ok(ts) => Ok(KnownAt::Time(ts)),
        Err(e) => bail!(
            "--known-at {v:?} is not an RFC 3339 time (2024-09-02T17:00:00Z), a date (2024-09-02) or an event number (#42): {e}"
        ),
    }
}
