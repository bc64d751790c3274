//! `entitle import events`

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _, Result};
use entitle_core::ledger::Draft;
use entitle_store::{Access, AppendError};
use serde::Serialize;

use crate::cli::{Cli, ImportEventsArgs};
use crate::{output, request};

/// At most this many bad lines are listed; the count says the rest.
const MAX_LISTED: usize = 50;

pub fn events(cli: &Cli, a: &ImportEventsArgs) -> Result<ExitCode> {
    let name = a.file.display().to_string();
    let reader: Box<dyn BufRead> = if name == "-" {
        Box::new(io::stdin().lock())
    } else {
        if a.file.is_dir() {
            bail!("{name} is a directory; give a JSON Lines file");
        }
        let f = File::open(&a.file).with_context(|| format!("cannot read {name}"))?;
        Box::new(BufReader::with_capacity(1 << 20, f))
    };
    let mut drafts = Vec::new();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in reader.split(b'\n').enumerate() {
        let line_no = i + 1;
        let bytes = line.with_context(|| format!("cannot read {name}"))?;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            errors.push(format!("{name}:{line_no}: not UTF-8"));
            continue;
        };
        let text = text.trim_end_matches('\r');
        if text.trim().is_empty() {
            continue;
        }
        match Draft::from_json_line(text) {
            Ok(d) => {
                drafts.push(d);
                lines.push(line_no);
            }
            Err(e) => errors.push(format!("{name}:{line_no}: {e}")),
        }
    }
    if errors.is_empty() && drafts.is_empty() {
        bail!("{name} has no events; nothing was recorded");
    }
    if errors.is_empty() {
        let mut store = request::open(cli, Access::Write, "entitle import events")?;
        let ctx = request::context(cli);
        match store.append(drafts, &ctx) {
            Ok(appended) => {
                let (first, last) = (appended[0].seq, appended[appended.len() - 1].seq);
                if a.json {
                    #[derive(Serialize)]
                    struct Out {
                        first_seq: u64,
                        last_seq: u64,
                        events: usize,
                    }
                    output::json(&Out {
                        first_seq: first,
                        last_seq: last,
                        events: appended.len(),
                    })?;
                } else {
                    println!("recorded {} events: #{first}..#{last}", appended.len());
                }
                return Ok(ExitCode::SUCCESS);
            }
            Err(AppendError::Store(e)) => return Err(e.into()),
            Err(AppendError::Rejected(list)) => {
                errors.extend(
                    list.into_iter()
                        .map(|(i, r)| format!("{name}:{}: {r}", lines[i])),
                );
            }
        }
    }
    let total = errors.len();
    let mut text = errors
        .into_iter()
        .take(MAX_LISTED)
        .collect::<Vec<_>>()
        .join("\n");
    if total > MAX_LISTED {
        text.push_str(&format!("\n… and {} more", total - MAX_LISTED));
    }
    Err(anyhow!(
        "{text}\n{total} bad line{} in {name}; nothing was recorded",
        if total == 1 { "" } else { "s" }
    ))
}
