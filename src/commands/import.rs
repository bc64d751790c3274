//! `entitle import events`

use std::io;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use entitle_app::import::{EventsFile, EventsImported};

use crate::cli::{Cli, ImportEventsArgs};
use crate::progress::Bar;
use crate::remote::Remote;
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
    if let Some(remote) = Remote::from_cli(cli)? {
        return events_remote(&remote, file, a);
    }
    let target = request::target(cli, "entitle import events")?;
    let bar = Bar::new(a.json);
    let ctx = request::context(cli);
    let done = entitle_app::import::events(target, &ctx, file, a.dry_run, &bar)?;
    request::show_notices(&done.notices);
    if let Some(e) = done.refusal() {
        return Err(e.into());
    }
    print(&done, a.json)
}

/// Records the file's events through the server in one all-or-nothing
/// write (`POST /api/v1/events` with all of them): every line is parsed
/// here first, so that a file with a line that is not an event sends
/// nothing; the server judges the events against its records.
fn events_remote(remote: &Remote, file: EventsFile<'_>, a: &ImportEventsArgs) -> Result<ExitCode> {
    #[derive(serde::Deserialize)]
    struct Answer {
        first_seq: u64,
        last_seq: u64,
        events: u64,
    }
    let (name, lines) = entitle_app::import::lines_to_send(file)?;
    let mut events = Vec::with_capacity(lines.len());
    for (line, text) in &lines {
        let value: serde_json::Value =
            serde_json::from_str(text).with_context(|| format!("{name}:{line}: is not JSON"))?;
        events.push(value);
    }
    if a.dry_run {
        // The server judges them against its records (422 with the bad
        // ones, by their place in the batch: here, by their lines).
        let mut done: EventsImported = remote.post_answer(
            "/api/v1/events",
            &[("dry_run", Some("true".to_owned()))],
            serde_json::to_vec(&events)?,
            "application/json",
        )?;
        for row in &mut done.bad_rows {
            let line = usize::try_from(row.line)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| lines.get(i));
            if let Some((line, _)) = line {
                row.line = *line;
            }
        }
        done.bad_total = done.bad_rows.len() as u64;
        done.file = name;
        done.dry_run = true;
        if let Some(e) = done.refusal() {
            return Err(e.into());
        }
        return print(&done, a.json);
    }
    let answer: Answer = remote
        .post_json("/api/v1/events", &[], &events)
        .map_err(|e| anyhow::anyhow!(by_line(&format!("{e:#}"), &name, &lines)))?;
    let done = EventsImported {
        first_seq: answer.first_seq,
        last_seq: answer.last_seq,
        events: answer.events,
        bad_rows: Vec::new(),
        bad_total: 0,
        file: name,
        dry_run: false,
        notices: Vec::new(),
    };
    print(&done, a.json)
}

/// The server's refusal of events with each `event N` of its details
/// named as the file's line (`usage.jsonl:7`), as the local import names
/// them.
fn by_line(refusal: &str, name: &str, lines: &[(u64, String)]) -> String {
    refusal
        .lines()
        .map(|text| {
            let Some(rest) = text.strip_prefix("  event ") else {
                return text.to_owned();
            };
            let Some((n, problem)) = rest.split_once(": ") else {
                return text.to_owned();
            };
            let line = n
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| lines.get(i));
            match line {
                Some((line, _)) => format!("  {name}:{line}: {problem}"),
                None => text.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What was recorded (or, in a dry run, would be).
fn print(done: &EventsImported, json: bool) -> Result<ExitCode> {
    if json {
        output::json(done)?;
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

#[cfg(test)]
mod tests {
    use super::by_line;

    #[test]
    fn a_refused_event_is_named_by_its_line_in_the_file() {
        let lines = vec![(1, String::new()), (3, String::new())];
        assert_eq!(
            by_line(
                "2 events refused, nothing was recorded:\n  event 1: unknown license id\n  event 2: no such vendor\n  event 9: beyond",
                "e.jsonl",
                &lines
            ),
            "2 events refused, nothing was recorded:\n  e.jsonl:1: unknown license id\n  e.jsonl:3: no such vendor\n  event 9: beyond"
        );
    }
}
