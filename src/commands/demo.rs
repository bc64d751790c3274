//! `entitle demo`: an example company's history in a fresh store, and the
//! questions entitle answers about it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use entitle_core::ledger::{Context, Draft};
use entitle_core::position::vendor_matches;
use entitle_store::{Access, KnownAt, Store};
use jiff::Timestamp;
use serde::Deserialize;

use crate::cli::Cli;
use crate::request;

/// The scripted history (see data/README.md).
const HISTORY: &str = include_str!("../../data/demo/history.jsonl");

#[derive(Deserialize)]
struct Step {
    at: Timestamp,
    actor: String,
    event: serde_json::Value,
}

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let path = match &cli.store {
        Some(p) => p.clone(),
        None => fresh_dir()?,
    };
    if path.join("FORMAT").exists() {
        bail!(
            "{} is already a store; the demo needs a fresh one: pass --store with a new directory",
            path.display()
        );
    }
    let mut store = Store::open(&path, Access::Write, "entitle demo")?;
    let events = load(&mut store)?;

    let today = request::today();
    let ex = |args: &str| format!("entitle --store {} {args}", path.display());
    println!(
        "entitle demo: {events} events of Muster Maschinenbau GmbH's license history (2022–2026)"
    );
    println!("loaded into {}\n", path.display());

    section(&format!("Today's position ({today})"), &ex("position"));
    print_position(&store, today, KnownAt::Now, None)?;

    let past = jiff::civil::date(2024, 6, 30);
    section(
        "The position on 30 June 2024",
        &ex("position --as-of 2024-06-30"),
    );
    print_position(&store, past, KnownAt::Now, None)?;

    let letter = "2024-09-02";
    section(
        "Microsoft on 30 June 2024, as our records stood when the audit letter arrived (2 Sep 2024)",
        &ex("position --as-of 2024-06-30 --known-at 2024-09-02 --vendor Microsoft"),
    );
    print_position(
        &store,
        past,
        request::known_at(Some(letter))?,
        Some("Microsoft"),
    )?;
    println!(
        "\nThe same question with everything known today: a recount recorded on 15 Oct 2024\n\
         found 214 users on that date, not 195. Both answers stay reproducible; nothing was\n\
         overwritten."
    );
    section("", &ex("position --as-of 2024-06-30 --vendor Microsoft"));
    print_position(&store, past, KnownAt::Now, Some("Microsoft"))?;

    section(
        "How Microsoft 365 got there, both times shown",
        &ex("history L-0001"),
    );
    drop(store);
    let cli = Cli {
        store: Some(path.clone()),
        actor: None,
        command: crate::cli::Command::Demo,
    };
    let args = crate::cli::HistoryArgs {
        id: "L-0001".into(),
        json: false,
    };
    super::history::run(&cli, &args)?;

    println!("\nTry next:");
    for cmd in [
        "state --as-of 2023-06-30",
        "position --json",
        "verify",
        "export | head -3",
    ] {
        println!("  {}", ex(cmd));
    }
    Ok(ExitCode::SUCCESS)
}

fn section(title: &str, command: &str) {
    if !title.is_empty() {
        println!("\n== {title}");
    }
    println!("$ {command}");
}

fn print_position(
    store: &Store,
    as_of: jiff::civil::Date,
    known: KnownAt,
    vendor: Option<&str>,
) -> Result<()> {
    let seq = store.known_seq(known)?;
    let rows: Vec<_> = store
        .position(as_of, seq)?
        .into_iter()
        .filter(|r| vendor_matches(vendor, &r.vendor))
        .collect();
    println!("position as of {as_of}, as known at #{seq}");
    super::position::print_table(&rows)
}

/// Appends the scripted history, each step at its scripted time.
fn load(store: &mut Store) -> Result<usize> {
    let mut n = 0;
    for (i, line) in HISTORY
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let step: Step =
            serde_json::from_str(line).with_context(|| format!("demo history line {}", i + 1))?;
        let draft = Draft::from_json_line(&step.event.to_string())
            .map_err(|e| anyhow::anyhow!("demo history line {}: {e}", i + 1))?;
        let ctx = Context {
            actor: step.actor,
            now: step.at,
            today: step.at.to_zoned(jiff::tz::TimeZone::UTC).date(),
        };
        store.append([draft], &ctx).map_err(|e| {
            anyhow::anyhow!("demo history line {}: {}", i + 1, super::append_error(e))
        })?;
        n += 1;
    }
    Ok(n)
}

/// A new directory under the system's temporary directory.
fn fresh_dir() -> Result<PathBuf> {
    let base = std::env::temp_dir();
    for i in 0..1000 {
        let p = base.join(format!("entitle-demo-{}-{i}", std::process::id()));
        if !p.exists() {
            return Ok(p);
        }
    }
    bail!(
        "no free directory for the demo under {}; pass --store DIR",
        base.display()
    )
}
