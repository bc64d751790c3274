//! `entitle remind`: the reminders due today, one e-mail digest per
//! recipient; `entitle remind log`: what was sent.

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::config;
use entitle_app::remind::{self, Remind, RemindRequest};
use entitle_app::Open;

use crate::cli::{Cli, JsonArgs, RemindArgs};
use crate::{output, request};

pub fn run(cli: &Cli, a: &RemindArgs) -> Result<ExitCode> {
    let store = request::open(cli, Open::MustExist, "entitle remind")?;
    let config = config::load(store.layout().root(), cli.config.as_deref())?;
    let mut settings = remind::settings(&config)?;
    // Owners are also reached at their accounts' addresses (never
    // creating an auth directory a store does not have).
    if store.layout().auth().exists() {
        let auth = entitle_app::accounts::open(&store)?;
        settings = settings.with_accounts(&entitle_app::accounts::list(&auth));
    }
    let req = RemindRequest {
        as_of: a.as_of.clone(),
        dry_run: a.dry_run,
        password: std::env::var("ENTITLE_SMTP_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty()),
    };
    let r = remind::remind(&store, &settings, &req)?;
    if a.json {
        output::json(&r)?;
    } else {
        print(&r);
    }
    let failed: Vec<_> = r.messages.iter().filter(|m| m.error.is_some()).collect();
    for m in &failed {
        eprintln!(
            "error: the reminder to {} was not sent: {}\n  hint: it stays due; run `entitle remind` again once the mail server accepts it",
            m.to,
            m.error.as_deref().unwrap_or_default()
        );
    }
    if !r.unaddressed.is_empty() {
        eprintln!("error: reminders that reach nobody (add the owners to [remind.contacts] in the settings file, or give their accounts an address: entitle user email NAME ADDRESS):");
        for u in &r.unaddressed {
            let what: Vec<String> = u.items.iter().map(|i| i.key.clone()).collect();
            eprintln!("  {}: {}", u.owner, what.join(", "));
        }
    }
    Ok(if !failed.is_empty() {
        ExitCode::from(2)
    } else if !r.unaddressed.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print(r: &Remind) {
    let verb = if r.dry_run { "would send" } else { "sent" };
    let sent = r.messages.iter().filter(|m| m.sent || r.dry_run).count();
    println!(
        "reminders for {}: {verb} {sent} message(s); {} item(s) sent before",
        r.as_of, r.already_sent
    );
    for m in &r.messages {
        let state = match (&m.message_id, &m.error, r.dry_run) {
            (_, _, true) => "(dry run)".to_owned(),
            (Some(id), _, _) => id.clone(),
            (_, Some(_), _) => "NOT SENT".to_owned(),
            _ => String::new(),
        };
        println!(
            "to {} [{}] {:?} {state}",
            m.to,
            serde_json::to_value(m.language)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            m.subject
        );
        for i in &m.items {
            println!(
                "  {:<15} {:>3}d  {:<10}  {} {}{}",
                i.kind,
                i.stage,
                i.date.as_deref().unwrap_or("-"),
                i.vendor,
                i.product,
                i.license
                    .as_deref()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default()
            );
        }
    }
}

pub fn log(cli: &Cli, a: &JsonArgs) -> Result<ExitCode> {
    let store = request::open(cli, Open::MustExist, "entitle remind log")?;
    let records = remind::read_log(store.layout().root())?;
    if a.json {
        output::json(&serde_json::json!({ "sent": records }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if records.is_empty() {
        println!("(nothing sent yet)");
    }
    for r in &records {
        println!(
            "{}  for {}  to {}  {}",
            r.sent_at, r.as_of, r.to, r.message_id
        );
        for i in &r.items {
            println!("  {:>3}d  {}", i.stage, i.key);
        }
    }
    Ok(ExitCode::SUCCESS)
}
