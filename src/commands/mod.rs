//! One file per command. `run` dispatches.

mod adjust;
mod archive;
mod attach;
mod audit;
mod backup;
mod cancel;
mod completions;
mod demo;
mod export;
mod extend;
mod history;
mod import;
mod import_licenses;
mod inventory;
mod key;
mod position;
mod purchase;
mod rebuild;
mod remind;
mod renewals;
mod serve;
mod sheet_out;
mod spend;
mod state;
mod token;
mod usage;
mod usage_import;
mod user;
mod verify;
mod void;

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::record::{Common, Documents, Recorded, Source, Write};
use entitle_app::Open;

use crate::cli::{
    AuditCommand, Cli, Command, DocCommand, ImportCommand, InventoryCommand, KeyCommand,
    RemindCommand, TokenCommand, UsageCommand, UserCommand, WriteArgs,
};
use crate::progress::Bar;
use crate::remote::{self, Remote};
use crate::{output, request};

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> Result<ExitCode> {
    if cli.server.as_deref().is_some_and(|s| !s.trim().is_empty()) {
        if let Some(refusal) = not_through_server(&cli.command) {
            return Err(refusal);
        }
    }
    match &cli.command {
        Command::Purchase(args) => purchase::run(&cli, args),
        Command::Extend(args) => extend::run(&cli, args),
        Command::Adjust(args) => adjust::run(&cli, args),
        Command::Cancel(args) => cancel::run(&cli, args),
        Command::Void(args) => void::run(&cli, args),
        Command::Usage(UsageCommand::Record(args)) => usage::record(&cli, args),
        Command::Usage(UsageCommand::Import(args)) => usage_import::run(&cli, args),
        Command::Import(ImportCommand::Events(args)) => import::events(&cli, args),
        Command::Inventory(args) => match &args.command {
            Some(InventoryCommand::Import(import)) => inventory::import(&cli, import),
            None => inventory::run(&cli, args),
        },
        Command::Import(ImportCommand::Licenses(args)) => import_licenses::run(&cli, args),
        Command::State(args) => state::run(&cli, args),
        Command::Position(args) => position::run(&cli, args),
        Command::Renewals(args) => renewals::run(&cli, args),
        Command::Remind(args) => match &args.command {
            Some(RemindCommand::Log(a)) => remind::log(&cli, a),
            None => remind::run(&cli, args),
        },
        Command::Spend(args) => spend::run(&cli, args),
        Command::History(args) => history::run(&cli, args),
        Command::Export => export::run(&cli),
        Command::Verify(args) => verify::run(&cli, args),
        Command::Backup(args) => backup::run(&cli, args),
        Command::Restore(args) => backup::restore(&cli, args),
        Command::Serve(args) => serve::run(&cli, args),
        Command::Rebuild(args) => rebuild::run(&cli, args),
        Command::Demo => demo::run(&cli),
        Command::Completions { shell } => completions::run(*shell),
        Command::AuditPack(args) => audit::pack(&cli, args),
        Command::Audit(AuditCommand::Verify(args)) => audit::verify(args),
        Command::Key(KeyCommand::Show) => key::show(&cli),
        Command::Attach(args) => attach::run(&cli, args),
        Command::Doc(DocCommand::List(args)) => archive::list(&cli, args),
        Command::Doc(DocCommand::Show(args)) => archive::show(&cli, args),
        Command::Doc(DocCommand::Get(args)) => archive::get(&cli, args),
        Command::Search(args) => archive::search(&cli, args),
        Command::Reindex => archive::reindex(&cli),
        Command::User(UserCommand::Add(args)) => user::add(&cli, args),
        Command::User(UserCommand::List(args)) => user::list(&cli, args),
        Command::User(UserCommand::Passwd(args)) => user::passwd(&cli, args),
        Command::User(UserCommand::Disable(args)) => user::disable(&cli, args),
        Command::User(UserCommand::Enable(args)) => user::enable(&cli, args),
        Command::User(UserCommand::Role(args)) => user::role(&cli, args),
        Command::User(UserCommand::Email(args)) => user::email(&cli, args),
        Command::User(UserCommand::Log(args)) => user::log(&cli, args),
        Command::Token(TokenCommand::Create(args)) => token::create(&cli, args),
        Command::Token(TokenCommand::List(args)) => token::list(&cli, args),
        Command::Token(TokenCommand::Revoke(args)) => token::revoke(&cli, args),
    }
}

/// Why a command cannot run through `--server`, if it cannot: only
/// those that need the store's own files or the machine that holds it.
fn not_through_server(command: &Command) -> Option<anyhow::Error> {
    let name = match command {
        Command::Purchase(_)
        | Command::Extend(_)
        | Command::Adjust(_)
        | Command::Cancel(_)
        | Command::Void(_)
        | Command::Usage(_)
        | Command::Import(_)
        | Command::State(_)
        | Command::Position(_)
        | Command::History(_)
        | Command::AuditPack(_)
        | Command::Spend(_)
        | Command::Renewals(_)
        | Command::Attach(_)
        | Command::Doc(_)
        | Command::Search(_)
        | Command::User(_)
        | Command::Token(_)
        | Command::Export
        | Command::Verify(_)
        | Command::Inventory(_)
        // The server copies the store it holds; `backup verify` reads
        // only the copy.
        | Command::Backup(_)
        // Checks a pack file on this machine; never opens the store.
        | Command::Audit(_)
        | Command::Completions { .. } => return None,
        Command::Serve(_) => "serve",
        Command::Rebuild(_) => "rebuild",
        Command::Restore(_) => "restore",
        Command::Reindex => "reindex",
        Command::Demo => "demo",
        Command::Remind(_) => "remind",
        Command::Key(_) => "key show",
    };
    Some(remote::local_only(name))
}

/// Records one event through the server: the same event the local write
/// would record (checked here first, with the same errors), sent as an
/// `import events` line; the server records the token's account as the
/// actor.
fn record_remote(remote: &Remote, write: &Write, common: &Common) -> Result<Recorded> {
    #[derive(serde::Deserialize)]
    struct Answer {
        first_seq: u64,
        ids: Vec<String>,
    }
    let draft = write.draft(common)?;
    let line = draft
        .event
        .to_import_line(draft.effective.as_ref(), draft.note.as_deref());
    let body: serde_json::Value = serde_json::from_str(&line)?;
    let answer: Answer = remote.post_json("/api/v1/events", &[], &body)?;
    Ok(Recorded {
        seq: answer.first_seq,
        id: answer.ids.into_iter().next(),
        event_type: draft.event.type_name(),
        attached: Vec::new(),
    })
}

/// Records one event with the documents `--attach` names (one atomic
/// write) and prints what was recorded.
fn record(cli: &Cli, purpose: &str, write: &Write, common: &WriteArgs) -> Result<ExitCode> {
    entitle_app::record::check_files(&common.attach)?;
    if let Some(remote) = Remote::from_cli(cli)? {
        if !common.attach.is_empty() {
            anyhow::bail!(
                "--attach does not run through --server (the event and its documents would be separate writes there): \
                 record the event, then attach each document with `entitle attach ID FILE`, \
                 or run the command on the machine that holds the store"
            );
        }
        let common_req = Common {
            effective: common.effective.clone(),
            note: common.note.clone(),
        };
        return print_recorded(&record_remote(&remote, write, &common_req)?, common.json);
    }
    let mut store = request::open(cli, Open::CreateIfMissing, purpose)?;
    let progress = Bar::new(common.json);
    let documents = Documents {
        sources: common.attach.iter().cloned().map(Source::Path).collect(),
        kind: common.attach_kind.clone(),
    };
    let common_req = Common {
        effective: common.effective.clone(),
        note: common.note.clone(),
    };
    let ctx = request::context(cli);
    let recorded =
        entitle_app::record::record(&mut store, &ctx, write, &common_req, documents, &progress)?;
    print_recorded(&recorded, common.json)
}

/// Records one event that carries no documents (a void, a usage count)
/// and prints what was recorded.
fn record_plain(
    cli: &Cli,
    purpose: &str,
    write: &Write,
    common: &Common,
    json: bool,
) -> Result<ExitCode> {
    if let Some(remote) = Remote::from_cli(cli)? {
        return print_recorded(&record_remote(&remote, write, common)?, json);
    }
    let mut store = request::open(cli, Open::MustExist, purpose)?;
    let ctx = request::context(cli);
    let recorded = entitle_app::record::record(
        &mut store,
        &ctx,
        write,
        common,
        Documents::default(),
        &Bar::new(json),
    )?;
    print_recorded(&recorded, json)
}

fn print_recorded(recorded: &Recorded, json: bool) -> Result<ExitCode> {
    if json {
        output::json(recorded)?;
    } else {
        println!(
            "recorded #{}: {}{}",
            recorded.seq,
            recorded.event_type,
            recorded
                .id
                .as_ref()
                .map(|id| format!(" {id}"))
                .unwrap_or_default()
        );
        attach::print_attached(&recorded.attached, recorded.id.as_deref().unwrap_or(""));
    }
    Ok(ExitCode::SUCCESS)
}
