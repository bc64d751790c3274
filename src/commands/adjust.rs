//! `entitle adjust`

use std::process::ExitCode;

use anyhow::Result;
use entitle_core::ledger::Draft;
use entitle_core::record::{Adjusted, Event};
use entitle_core::types::parse_money;
use entitle_core::Quantity;

use crate::cli::{AdjustArgs, Cli};
use crate::request;

pub fn run(cli: &Cli, a: &AdjustArgs) -> Result<ExitCode> {
    let money = parse_money(a.cost.as_deref(), a.currency.as_deref())?;
    let event = Event::Adjusted(Adjusted {
        id: a.id.clone(),
        qty: a
            .qty
            .parse::<Quantity>()
            .map_err(|e| anyhow::anyhow!("--qty: {e}"))?,
        cost: money.as_ref().map(|m| m.amount),
        currency: money.map(|m| m.currency),
    });
    let draft = Draft {
        event,
        effective: request::opt_date("--effective", a.common.effective.as_deref())?,
        note: a.common.note.clone(),
    };
    super::record_with_documents(
        cli,
        "entitle adjust",
        draft,
        a.common.json,
        &a.common.attach,
        a.common.attach_kind.as_deref().unwrap_or("order"),
    )
}
