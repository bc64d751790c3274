//! `entitle cancel`

use std::process::ExitCode;

use anyhow::Result;
use entitle_core::ledger::Draft;
use entitle_core::record::{Cancelled, Event};

use crate::cli::{CancelArgs, Cli};
use crate::request;

pub fn run(cli: &Cli, a: &CancelArgs) -> Result<ExitCode> {
    let draft = Draft {
        event: Event::Cancelled(Cancelled { id: a.id.clone() }),
        effective: request::opt_date("--effective", a.common.effective.as_deref())?,
        note: a.common.note.clone(),
    };
    super::record_with_documents(
        cli,
        "entitle cancel",
        draft,
        a.common.json,
        &a.common.attach,
        a.common.attach_kind.as_deref().unwrap_or("correspondence"),
    )
}
