//! `entitle extend`

use std::process::ExitCode;

use anyhow::Result;
use entitle_core::ledger::Draft;
use entitle_core::record::{Event, Extended};
use entitle_core::types::parse_money;
use entitle_core::Quantity;

use crate::cli::{Cli, ExtendArgs};
use crate::request;

pub fn run(cli: &Cli, a: &ExtendArgs) -> Result<ExitCode> {
    let money = parse_money(a.cost.as_deref(), a.currency.as_deref())?;
    let qty = a
        .qty
        .as_deref()
        .map(str::parse::<Quantity>)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--qty: {e}"))?;
    let event = Event::Extended(Extended {
        id: a.id.clone(),
        until: request::date("--until", &a.until)?,
        qty,
        cost: money.as_ref().map(|m| m.amount),
        currency: money.map(|m| m.currency),
        renewal_months: a.renewal_months,
    });
    let draft = Draft {
        event,
        effective: request::opt_date("--effective", a.common.effective.as_deref())?,
        note: a.common.note.clone(),
    };
    super::record_with_documents(
        cli,
        "entitle extend",
        draft,
        a.common.json,
        &a.common.attach,
        a.common.attach_kind.as_deref().unwrap_or("contract"),
    )
}
