//! `entitle history`

use entitle_app::Scope;
use std::process::ExitCode;

use anyhow::Result;
use entitle_app::query::History;
use entitle_app::Open;

use crate::cli::{Cli, Format, HistoryArgs};
use crate::output::{self, Align, Table};
use crate::remote::{self, Remote};
use crate::request;

pub fn run(cli: &Cli, a: &HistoryArgs) -> Result<ExitCode> {
    let history = match Remote::from_cli(cli)? {
        Some(remote) => {
            let path = format!("/api/v1/licenses/{}/history", remote::segment(&a.id));
            let mut h: History = remote.get(&path, &[])?;
            h.restore()?;
            h
        }
        None => {
            let store = request::open(cli, Open::MustExist, "entitle history")?;
            entitle_app::query::history(&store, &Scope::All, &a.id)?
        }
    };
    match a.output.format() {
        Format::Json => output::json(&history)?,
        Format::Csv => {
            let rows: Vec<serde_json::Value> = history
                .events
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?;
            super::sheet_out::write(COLUMNS, &rows)?;
        }
        Format::Table => print(&history)?,
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
    println!("history of {}", history.id);
    let mut t = Table::new(&[
        ("SEQ", Align::Right, false),
        ("RECORDED", Align::Left, false),
        ("EFFECTIVE", Align::Left, false),
        ("EVENT", Align::Left, false),
        ("DETAILS", Align::Left, true),
    ]);
    for e in &history.events {
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
