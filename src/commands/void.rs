//! `entitle void`

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use entitle_core::ledger::Draft;
use entitle_core::record::{Event, Voided};

use crate::cli::{Cli, VoidArgs};

pub fn run(cli: &Cli, a: &VoidArgs) -> Result<ExitCode> {
    let seq: u64 = a
        .seq
        .trim()
        .trim_start_matches('#')
        .parse()
        .with_context(|| format!("SEQ {:?} is not an event number (e.g. 17 or #17)", a.seq))?;
    let draft = Draft {
        event: Event::Voided(Voided { voids: seq }),
        effective: None,
        note: a.note.clone(),
    };
    super::record_one(cli, "entitle void", draft, a.json)
}
