//! `entitle import events`

use std::io;
use std::process::ExitCode;

use anyhow::Result;
use entitle_app::import::{EventsFile, Target};

use crate::cli::{Cli, ImportEventsArgs};
use crate::progress::Bar;
use crate::{output, request};

pub fn events(cli: &Cli, a: &ImportEventsArgs) -> Result<ExitCode> {
    let name = a.file.display().to_string();
    let stdin = io::stdin();
    let mut lock;
    let file = if name == "-" {
        lock = stdin.lock();
        EventsFile::Reader {
            name,
            reader: &mut lock,
        }
    } else {
        EventsFile::Path(a.file.clone())
    };
    let target = Target::At {
        path: request::store_path(cli)?,
        purpose: "entitle import events".into(),
        wait: std::time::Duration::from_secs(cli.wait),
    };
    let bar = Bar::new(a.json);
    let ctx = request::context(cli);
    let done = entitle_app::import::events(target, &ctx, file, a.dry_run, &bar)?;
    request::show_notices(&done.notices);
    if let Some(e) = done.refusal() {
        return Err(e.into());
    }
    if a.json {
        output::json(&done)?;
    } else if done.dry_run {
        println!(
            "{}: {} event(s) valid; would record {} (dry run: nothing was recorded)",
            done.file, done.events, done.events
        );
    } else {
        println!(
            "recorded {} events: #{}..#{}",
            done.events, done.first_seq, done.last_seq
        );
    }
    Ok(ExitCode::SUCCESS)
}
