//! `entitle import events`

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _, Result};
use entitle_core::ledger::Draft;
use entitle_store::Open;
use serde::Serialize;

use crate::cli::{Cli, ImportEventsArgs};
use crate::{output, request};

/// At most this many bad lines are listed; the count says the rest.
const MAX_LISTED: usize = 50;

pub fn events(cli: &Cli, a: &ImportEventsArgs) -> Result<ExitCode> {
    let name = a.file.display().to_string();
    let stdin = name == "-";
    if !stdin && a.file.is_dir() {
        bail!("{name} is a directory; give a JSON Lines file");
    }
    // A file is read twice: first only parsed, so that a file with lines
    // that are not events is refused before the store is opened (or
    // created); then each line is pushed into one store write, which
    // spills to disk in chunks (bounded memory, one fsync at the end).
    // Standard input is read once, the parsing done as it is pushed.
    if !stdin {
        let mut errors = Errors::default();
        let mut events = 0u64;
        each_line(open(&a.file)?, &name, |line_no, parsed| match parsed {
            Ok(_) => events += 1,
            Err(e) => errors.note(format!("{name}:{line_no}: {e}")),
        })?;
        errors.fail(&name)?;
        if events == 0 {
            bail!("{name} has no events; nothing was recorded");
        }
    }
    let reader: Box<dyn BufRead> = if stdin {
        Box::new(io::stdin().lock())
    } else {
        open(&a.file)?
    };
    let mut store = request::open(cli, Open::CreateIfMissing, "entitle import events")?;
    let ctx = request::context(cli);
    let mut appender = store.appender(&ctx);
    let mut errors = Errors::default();
    let mut parse_errors = false;
    let mut failure = None;
    each_line(reader, &name, |line_no, parsed| match parsed {
        // After a line that is not an event, later lines (which may
        // depend on it) are only parsed.
        Ok(d) if !parse_errors && failure.is_none() => match appender.push(d) {
            Ok(Ok(_)) => {}
            Ok(Err(r)) => errors.note(format!("{name}:{line_no}: {r}")),
            Err(e) => failure = Some(e),
        },
        Ok(_) => {}
        Err(e) => {
            parse_errors = true;
            errors.note(format!("{name}:{line_no}: {e}"));
        }
    })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    if let Err(e) = errors.fail(&name) {
        appender.abort()?;
        return Err(e);
    }
    let committed = appender.commit()?;
    let Some((first, last)) = committed.seqs else {
        bail!("{name} has no events; nothing was recorded");
    };
    if a.json {
        #[derive(Serialize)]
        struct Out {
            first_seq: u64,
            last_seq: u64,
            events: u64,
        }
        output::json(&Out {
            first_seq: first,
            last_seq: last,
            events: committed.count,
        })?;
    } else {
        println!("recorded {} events: #{first}..#{last}", committed.count);
    }
    Ok(ExitCode::SUCCESS)
}

fn open(path: &Path) -> Result<Box<dyn BufRead>> {
    let f = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Box::new(BufReader::with_capacity(1 << 20, f)))
}

/// Calls `each` with every non-blank line's number and its parse.
fn each_line(
    reader: Box<dyn BufRead + '_>,
    name: &str,
    mut each: impl FnMut(usize, Result<Draft, String>),
) -> Result<()> {
    for (i, line) in reader.split(b'\n').enumerate() {
        let bytes = line.with_context(|| format!("cannot read {name}"))?;
        let parsed = match std::str::from_utf8(&bytes) {
            Ok(text) => {
                let text = text.trim_end_matches('\r');
                if text.trim().is_empty() {
                    continue;
                }
                Draft::from_json_line(text)
            }
            Err(_) => Err("not UTF-8".to_owned()),
        };
        each(i + 1, parsed);
    }
    Ok(())
}

/// Bad lines: the first [`MAX_LISTED`] and how many in all.
#[derive(Default)]
struct Errors {
    listed: Vec<String>,
    total: usize,
}

impl Errors {
    fn note(&mut self, e: String) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(e);
        }
    }

    /// An error listing the bad lines, if there were any.
    fn fail(&self, name: &str) -> Result<()> {
        if self.total == 0 {
            return Ok(());
        }
        let mut text = self.listed.join("\n");
        if self.total > MAX_LISTED {
            text.push_str(&format!("\n… and {} more", self.total - MAX_LISTED));
        }
        Err(anyhow!(
            "{text}\n{} bad line{} in {name}; nothing was recorded",
            self.total,
            if self.total == 1 { "" } else { "s" }
        ))
    }
}
