//! One file per command. `run` dispatches.

mod adjust;
mod cancel;
mod completions;
mod demo;
mod export;
mod extend;
mod history;
mod import;
mod position;
mod purchase;
mod rebuild;
mod state;
mod usage;
mod verify;
mod void;

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use entitle_core::ledger::Draft;
use entitle_store::{Access, AppendError, Appended};
use serde::Serialize;

use crate::cli::{Cli, Command, ImportCommand, UsageCommand};
use crate::{output, request};

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Purchase(args) => purchase::run(&cli, args),
        Command::Extend(args) => extend::run(&cli, args),
        Command::Adjust(args) => adjust::run(&cli, args),
        Command::Cancel(args) => cancel::run(&cli, args),
        Command::Void(args) => void::run(&cli, args),
        Command::Usage(UsageCommand::Record(args)) => usage::record(&cli, args),
        Command::Import(ImportCommand::Events(args)) => import::events(&cli, args),
        Command::State(args) => state::run(&cli, args),
        Command::Position(args) => position::run(&cli, args),
        Command::History(args) => history::run(&cli, args),
        Command::Export => export::run(&cli),
        Command::Verify => verify::run(&cli),
        Command::Rebuild => rebuild::run(&cli),
        Command::Demo => demo::run(&cli),
        Command::Completions { shell } => completions::run(*shell),
    }
}

/// Records one draft and prints what was recorded.
fn record_one(cli: &Cli, command: &str, draft: Draft, json: bool) -> Result<ExitCode> {
    let mut store = request::open(cli, Access::Write, command)?;
    let ctx = request::context(cli);
    let appended = store.append([draft], &ctx).map_err(append_error)?;
    let Appended { seq, id } = appended
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("nothing was recorded"))?;
    if json {
        #[derive(Serialize)]
        struct Out {
            seq: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            id: Option<String>,
        }
        output::json(&Out { seq, id })?;
    } else {
        let record = store.record(seq)?;
        println!(
            "recorded #{seq}: {}{}",
            record.event.type_name(),
            id.map(|id| format!(" {id}")).unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Turns a refused append into an error for the user.
fn append_error(e: AppendError) -> anyhow::Error {
    match e {
        AppendError::Store(e) => e.into(),
        AppendError::Rejected(mut list) if list.len() == 1 => {
            let (_, r) = list.remove(0);
            anyhow!("{r}; nothing was recorded")
        }
        AppendError::Rejected(list) => {
            let lines: Vec<String> = list
                .iter()
                .map(|(i, r)| format!("  event {}: {r}", i + 1))
                .collect();
            anyhow!(
                "{} events refused, nothing was recorded:\n{}",
                list.len(),
                lines.join("\n")
            )
        }
    }
}
