//! `entitle position`

use entitle_app::Scope;
use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Result;
use entitle_app::query::{MoneyTotals, Position, PositionRequest, ProductRow};
use entitle_app::Open;
use entitle_core::position::PositionStatus;
use rust_decimal::Decimal;

use crate::cli::{Cli, Format, PositionArgs};
use crate::output::{self, or_dash, Align, Paint, Table};
use crate::remote::Remote;
use crate::request;

pub fn run(cli: &Cli, args: &PositionArgs) -> Result<ExitCode> {
    let req = PositionRequest {
        query: request::query(&args.query),
        stale_after: args.stale_after,
    };
    let position = match Remote::from_cli(cli)? {
        Some(remote) => {
            let mut params = request::query_params(&req.query).to_vec();
            params.push(("stale_after", Some(req.stale_after.to_string())));
            let mut p: Position = remote.get("/api/v1/position", &params)?;
            p.restore()?;
            p
        }
        None => {
            let store = request::open(cli, Open::MustExist, "entitle position")?;
            entitle_app::query::position(&store, &Scope::All, &req)?
        }
    };
    match args.query.output.format() {
        Format::Csv => super::sheet_out::write_rows(
            entitle_app::query::Position::CSV_COLUMNS,
            &position.products,
        )?,
        Format::Json => output::json(&position)?,
        Format::Table => print(&position)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The position table with its footnotes: which counts are stale, and
/// the money on each side.
pub fn print(p: &Position) -> Result<()> {
    println!(
        "position as of {}, as known at #{}",
        p.as_of, p.known_at_seq
    );
    print_rows(&p.products)?;
    if p.products.iter().any(|r| r.stale) {
        println!(
            "* usage count older than {} days on {}: stale",
            p.stale_after_days, p.as_of
        );
    }
    print_inventory(p);
    print_money_totals(&p.money_totals());
    Ok(())
}

/// Under the table, for each product counted by a rule: where its used
/// figure came from and what the rule made of each host.
fn print_inventory(p: &Position) {
    for r in p.products.iter().filter(|r| r.count_rule.is_some()) {
        let rule = r.count_rule.as_deref().unwrap_or_default();
        let from = match r.used_from.as_deref() {
            Some("inventory") => format!("used from the inventory ({rule})"),
            _ => format!("used from the recorded count (inventory by {rule} is older)"),
        };
        println!("{} / {}: {from}", r.vendor, r.product);
        for h in &r.hosts {
            let stale = if h.stale { " (stale)" } else { "" };
            println!("  {}{stale}", h.derivation);
        }
        if let (Some(n), Some(d)) = (r.other_used, &r.other_used_date) {
            let source = r
                .other_used_source
                .as_deref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default();
            println!("  not used: {n} dated {d}{source}");
        }
    }
}

fn print_rows(rows: &[ProductRow]) -> Result<()> {
    let mut t = Table::new(&[
        ("VENDOR", Align::Left, true),
        ("PRODUCT", Align::Left, true),
        ("METRIC", Align::Left, false),
        ("ENTITLED", Align::Right, false),
        ("USED", Align::Right, false),
        ("BALANCE", Align::Right, false),
        ("STATUS", Align::Left, false),
    ]);
    for r in rows {
        let used = or_dash(r.used);
        let cells = vec![
            r.vendor.clone(),
            r.product.clone(),
            r.metric.to_string(),
            r.entitled.to_string(),
            if r.stale { format!("{used}*") } else { used },
            r.balance.map_or_else(
                || "-".into(),
                |b| if b == 0 { "0".into() } else { format!("{b:+}") },
            ),
            r.status.to_owned(),
        ];
        t.painted_row(cells, STATUS_COLUMN, status_paint(r.status_kind));
    }
    if t.is_empty() {
        println!("(no products)");
        Ok(())
    } else {
        t.print()
    }
}

/// The STATUS column of the table.
const STATUS_COLUMN: usize = 6;

/// The colour of a status in the table: red for under (money at risk),
/// yellow for over, green for compliant, magenta for a metric mismatch,
/// none without usage data.
fn status_paint(status: PositionStatus) -> Option<Paint> {
    match status {
        PositionStatus::Under => Some(Paint::Red),
        PositionStatus::Over => Some(Paint::Yellow),
        PositionStatus::Compliant => Some(Paint::Green),
        PositionStatus::MetricMismatch => Some(Paint::Magenta),
        PositionStatus::NoUsageData => None,
    }
}

/// Under the table: the estimated shortfall and the annual cost of unused
/// seats, summed per currency (never converted).
fn print_money_totals(t: &MoneyTotals) {
    let fmt = |m: &BTreeMap<String, Decimal>| {
        m.iter()
            .map(|(c, a)| format!("{a} {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !t.shortfall.is_empty() {
        println!("estimated cost of the shortfall: {}", fmt(&t.shortfall));
    }
    if !t.unused.is_empty() {
        println!("unused seats cost per year: {}", fmt(&t.unused));
    }
    if t.unpriced > 0 {
        println!(
            "{} under/over row(s) without a cost estimate: see --json money_note",
            t.unpriced
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_colours() {
        assert_eq!(status_paint(PositionStatus::Under), Some(Paint::Red));
        assert_eq!(status_paint(PositionStatus::Over), Some(Paint::Yellow));
        assert_eq!(status_paint(PositionStatus::Compliant), Some(Paint::Green));
        assert_eq!(
            status_paint(PositionStatus::MetricMismatch),
            Some(Paint::Magenta)
        );
        assert_eq!(status_paint(PositionStatus::NoUsageData), None);
    }
}
