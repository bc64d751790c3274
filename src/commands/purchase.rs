//! `entitle purchase`

use std::process::ExitCode;

use anyhow::Result;
use entitle_core::ledger::Draft;
use entitle_core::record::{Event, Purchased};
use entitle_core::types::parse_money;
use entitle_core::{Metric, Quantity};

use crate::cli::{Cli, PurchaseArgs};
use crate::request;

pub fn run(cli: &Cli, a: &PurchaseArgs) -> Result<ExitCode> {
    let money = parse_money(a.cost.as_deref(), a.currency.as_deref())?;
    let event = Event::Purchased(Purchased {
        id: a.id.clone().unwrap_or_default(),
        vendor: a.vendor.clone(),
        product: a.product.clone(),
        edition: a.edition.clone(),
        metric: a.metric.parse::<Metric>()?,
        qty: a
            .qty
            .parse::<Quantity>()
            .map_err(|e| anyhow::anyhow!("--qty: {e}"))?,
        start: request::date("--start", &a.start)?,
        end: request::opt_date("--end", a.end.as_deref())?,
        maintenance_end: request::opt_date("--maintenance-end", a.maintenance_end.as_deref())?,
        cost: money.as_ref().map(|m| m.amount),
        currency: money.map(|m| m.currency),
        po: a.po.clone(),
        reseller: a.reseller.clone(),
        owner: a.owner.clone(),
        notice_days: a.notice_days,
        auto_renew: a.auto_renew,
        renewal_months: a.renewal_months,
        tags: a.tags.clone(),
    });
    let draft = Draft {
        event,
        effective: request::opt_date("--effective", a.common.effective.as_deref())?,
        note: a.common.note.clone(),
    };
    super::record_with_documents(
        cli,
        "entitle purchase",
        draft,
        a.common.json,
        &a.common.attach,
        a.common.attach_kind.as_deref().unwrap_or("contract"),
    )
}
