//! `entitle history`

use entitle_app::Scope;
use std::process::ExitCode;

use anyhow::Result;
use entitle_app::query::{History, HistoryEvent, HostHistory};
use entitle_app::Open;

use crate::cli::{Cli, Format, HistoryArgs};
use crate::output::{self, Align, Table};
use crate::remote::{self, Remote};
use crate::request;

pub fn run(cli: &Cli, a: &HistoryArgs) -> Result<ExitCode> {
    if let Some(host) = &a.host {
        return run_host(cli, a, host);
    }
    let id = a.id.as_deref().unwrap_or_default();
    let history = match Remote::from_cli(cli)? {
        Some(remote) => {
            let path = format!("/api/v1/licenses/{}/history", remote::segment(id));
            let mut h: History = remote.get(&path, &[])?;
            h.restore()?;
            h
        }
        None => {
            let store = request::open(cli, Open::MustExist, "entitle history")?;
            entitle_app::query::history(&store, &Scope::All, id)?
        }
    };
    write(a, &history, &history.events, || print(&history))
}

/// `history --host NAME`
fn run_host(cli: &Cli, a: &HistoryArgs, host: &str) -> Result<ExitCode> {
    let history = match Remote::from_cli(cli)? {
        Some(remote) => {
            let path = format!("/api/v1/hosts/{}/history", remote::segment(host));
            let mut h: HostHistory = remote.get(&path, &[])?;
            h.restore()?;
            h
        }
        None => {
            let store = request::open(cli, Open::MustExist, "entitle history")?;
            entitle_app::query::host_history(&store, &Scope::All, host)?
        }
    };
    write(a, &history, &history.events, || {
        print_events(
            &format!("history of host {}", history.host),
            &history.events,
        )
    })
}

/// A history in the format asked for.
fn write(
    a: &HistoryArgs,
    whole: &impl serde::Serialize,
    events: &[HistoryEvent],
    table: impl FnOnce() -> Result<()>,
) -> Result<ExitCode> {
    match a.output.format() {
        Format::Json => output::json(whole)?,
        Format::Csv => {
            let rows: Vec<serde_json::Value> = events
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?;
            super::sheet_out::write(COLUMNS, &rows)?;
        }
        Format::Table => table()?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The CSV columns: the JSON fields of an event.
const COLUMNS: &[&str] = &[
    "seq",
    "type",
    "recorded_at",
    "effective",
    "actor",
    "note",
    "voided_by",
    "void_note",
    "record",
];

/// The history as a table, voids marked.
pub fn print(history: &History) -> Result<()> {
    print_events(&format!("history of {}", history.id), &history.events)
}

/// Events under a title, as a table, voids marked.
fn print_events(title: &str, events: &[HistoryEvent]) -> Result<()> {
    println!("{title}");
    let mut t = Table::new(&[
        ("SEQ", Align::Right, false),
        ("RECORDED", Align::Left, false),
        ("EFFECTIVE", Align::Left, false),
        ("EVENT", Align::Left, false),
        ("DETAILS", Align::Left, true),
    ]);
    for e in events {
        let mut details = e.summary.clone();
        if let Some(n) = &e.note {
            details.push_str(&format!(" — {n}"));
        }
        let mut what = e.event_type.to_owned();
        if let Some(v) = e.voided_by {
            what = format!("{what} (VOIDED by #{v})");
            if let Some(n) = &e.void_note {
                details.push_str(&format!(" [void: {n}]"));
            }
        }
        t.row(vec![
            format!("#{}", e.seq),
            e.recorded_at.clone(),
            e.effective.clone(),
            what,
            details,
        ]);
    }
    t.print()
}
