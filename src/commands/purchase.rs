//! `entitle purchase`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::record::{Purchase, Write};

use crate::cli::{Cli, PurchaseArgs};

pub fn run(cli: &Cli, a: &PurchaseArgs) -> Result<ExitCode> {
    let write = Write::Purchase(Purchase {
        id: a.id.clone(),
        vendor: a.vendor.clone(),
        product: a.product.clone(),
        edition: a.edition.clone(),
        metric: a.metric.clone(),
        qty: a.qty.clone(),
        start: a.start.clone(),
        end: a.end.clone(),
        maintenance_end: a.maintenance_end.clone(),
        cost: a.cost.clone(),
        currency: a.currency.clone(),
        po: a.po.clone(),
        reseller: a.reseller.clone(),
        owner: a.owner.clone(),
        notice_days: a.notice_days,
        auto_renew: a.auto_renew,
        renewal_months: a.renewal_months,
        tags: a.tags.clone(),
        count_rule: a.count_rule.clone(),
    });
    super::record(cli, "entitle purchase", &write, &a.common)
}
