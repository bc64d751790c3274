//! One file per command. `run` dispatches.

mod adjust;
mod archive;
mod audit;
mod cancel;
mod completions;
mod demo;
mod export;
mod extend;
mod history;
mod import;
mod import_licenses;
mod key;
mod position;
mod purchase;
mod rebuild;
mod renewals;
mod sheet_in;
mod sheet_out;
mod spend;
mod state;
mod usage;
mod usage_import;
mod verify;
mod void;

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use entitle_core::ledger::Draft;
use entitle_store::{AppendError, Appended, Open};
use serde::Serialize;

use crate::cli::{AuditCommand, Cli, Command, DocCommand, ImportCommand, KeyCommand, UsageCommand};
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
        Command::Usage(UsageCommand::Import(args)) => usage_import::run(&cli, args),
        Command::Import(ImportCommand::Events(args)) => import::events(&cli, args),
        Command::Import(ImportCommand::Licenses(args)) => import_licenses::run(&cli, args),
        Command::State(args) => state::run(&cli, args),
        Command::Position(args) => position::run(&cli, args),
        Command::Renewals(args) => renewals::run(&cli, args),
        Command::Spend(args) => spend::run(&cli, args),
        Command::History(args) => history::run(&cli, args),
        Command::Export => export::run(&cli),
        Command::Verify => verify::run(&cli),
        Command::Rebuild => rebuild::run(&cli),
        Command::Demo => demo::run(&cli),
        Command::Completions { shell } => completions::run(*shell),
        Command::AuditPack(args) => audit::pack(&cli, args),
        Command::Audit(AuditCommand::Verify(args)) => audit::verify(args),
        Command::Key(KeyCommand::Show) => key::show(&cli),
        Command::Attach(args) => archive::attach(&cli, args),
        Command::Doc(DocCommand::List(args)) => archive::list(&cli, args),
        Command::Doc(DocCommand::Show(args)) => archive::show(&cli, args),
        Command::Doc(DocCommand::Get(args)) => archive::get(&cli, args),
        Command::Search(args) => archive::search(&cli, args),
        Command::Reindex => archive::reindex(&cli),
    }
}

/// Records one draft and prints what was recorded.
fn record_one(cli: &Cli, command: &str, draft: Draft, json: bool) -> Result<ExitCode> {
    record_with_documents(cli, command, draft, json, &[], "other")
}

/// Records a draft together with documents bound to its license, in one
/// atomic write, and prints what was recorded.
fn record_with_documents(
    cli: &Cli,
    command: &str,
    mut draft: Draft,
    json: bool,
    attach: &[std::path::PathBuf],
    kind: &str,
) -> Result<ExitCode> {
    let kind = kind.parse::<entitle_core::DocKind>()?;
    let mut store = request::open(cli, Open::CreateIfMissing, command)?;
    let ctx = request::context(cli);
    let mut incoming = Vec::new();
    let mut drafts = Vec::new();
    if !attach.is_empty() {
        if let entitle_core::Event::Purchased(p) = &mut draft.event {
            if p.id.trim().is_empty() {
                p.id = store.next_license_id()?;
            }
        }
        let id = draft
            .event
            .license_id()
            .ok_or_else(|| anyhow!("--attach needs an event about a license"))?
            .to_owned();
        incoming = entitle_archive::store_files(&store, attach)?;
        drafts =
            entitle_archive::drafts(&incoming, &entitle_archive::Owner::License(id), kind, None);
    }
    drafts.insert(0, draft);
    let appended = match store.append(drafts, &ctx) {
        Ok(a) => a,
        Err(e) => {
            entitle_archive::discard_new(&store, &incoming);
            return Err(append_error(e));
        }
    };
    if !incoming.is_empty() {
        archive::open_archive(&store)?.catch_up(&store)?;
    }
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
            id.as_ref().map(|id| format!(" {id}")).unwrap_or_default()
        );
        if !incoming.is_empty() {
            archive::report_attached(&store, &incoming, id.as_deref().unwrap_or(""))?;
        }
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
