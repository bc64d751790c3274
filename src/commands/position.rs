//! `entitle position`

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Result;
use entitle_core::position::{review, vendor_matches, PositionRow, PositionStatus, ReviewedRow};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Value};

use crate::cli::{Cli, PositionArgs};
use crate::output::{self, or_dash, Align, Paint, Table};
use crate::request;
use entitle_store::Store;
use jiff::civil::Date;

pub fn run(cli: &Cli, args: &PositionArgs) -> Result<ExitCode> {
    let a = &args.query;
    let (store, as_of, known) = request::open_query(
        cli,
        "entitle position",
        a.as_of.as_deref(),
        a.known_at.as_deref(),
    )?;
    let rows = reviewed(&store, as_of, known, a.vendor.as_deref(), args.stale_after)?;
    if a.output.format() == crate::cli::Format::Csv {
        let rows: Vec<Value> = rows.iter().map(row_json).collect();
        super::sheet_out::write_objects(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    if a.output.format() == crate::cli::Format::Json {
        #[derive(Serialize)]
        struct Out {
            as_of: String,
            known_at_seq: u64,
            stale_after_days: u32,
            products: Vec<Value>,
        }
        return output::json(&Out {
            as_of: as_of.to_string(),
            known_at_seq: known,
            stale_after_days: args.stale_after,
            products: rows.iter().map(row_json).collect(),
        })
        .map(|()| ExitCode::SUCCESS);
    }
    print_reviewed(&rows, as_of, known, args.stale_after)?;
    Ok(ExitCode::SUCCESS)
}

/// The position on `as_of` as known at `known`, for one vendor or all,
/// reviewed: money, stale counts, metric mismatches.
pub fn reviewed(
    store: &Store,
    as_of: Date,
    known: u64,
    vendor: Option<&str>,
    stale_after: u32,
) -> Result<Vec<ReviewedRow>> {
    let inputs = store.position_with_timelines(as_of, known)?;
    let rows: Vec<PositionRow> = inputs
        .rows
        .into_iter()
        .filter(|r| vendor_matches(vendor, &r.vendor))
        .collect();
    Ok(review(
        rows,
        &inputs.views,
        &inputs.timelines,
        as_of,
        known,
        stale_after,
    ))
}

/// The position table with its footnotes: which counts are stale, and
/// the money on each side.
pub fn print_reviewed(
    rows: &[ReviewedRow],
    as_of: Date,
    known: u64,
    stale_after: u32,
) -> Result<()> {
    println!("position as of {as_of}, as known at #{known}");
    print_rows(rows.iter().map(|r| (&r.row, r.stale)))?;
    if rows.iter().any(|r| r.stale) {
        println!("* usage count older than {stale_after} days on {as_of}: stale");
    }
    print_money_totals(rows);
    Ok(())
}

fn print_rows<'a>(rows: impl Iterator<Item = (&'a PositionRow, bool)>) -> Result<()> {
    let mut t = Table::new(&[
        ("VENDOR", Align::Left, true),
        ("PRODUCT", Align::Left, true),
        ("METRIC", Align::Left, false),
        ("ENTITLED", Align::Right, false),
        ("USED", Align::Right, false),
        ("BALANCE", Align::Right, false),
        ("STATUS", Align::Left, false),
    ]);
    for (r, stale) in rows {
        let used = or_dash(r.used.as_ref().map(|u| u.count));
        let cells = vec![
            r.vendor.clone(),
            r.product.clone(),
            r.metric.to_string(),
            r.entitled.to_string(),
            if stale { format!("{used}*") } else { used },
            r.balance.map_or_else(
                || "-".into(),
                |b| if b == 0 { "0".into() } else { format!("{b:+}") },
            ),
            r.status.as_str().to_owned(),
        ];
        t.painted_row(cells, STATUS_COLUMN, status_paint(r.status));
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
fn print_money_totals(rows: &[ReviewedRow]) {
    let mut shortfall: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut unused: BTreeMap<&str, Decimal> = BTreeMap::new();
    for r in rows {
        let Some(cur) = r.money.currency.as_deref() else {
            continue;
        };
        if let Some(c) = r.money.shortfall_cost {
            *shortfall.entry(cur).or_default() += c;
        }
        if let Some(c) = r.money.unused_cost {
            *unused.entry(cur).or_default() += c;
        }
    }
    let fmt = |m: &BTreeMap<&str, Decimal>| {
        m.iter()
            .map(|(c, a)| format!("{a} {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !shortfall.is_empty() {
        println!("estimated cost of the shortfall: {}", fmt(&shortfall));
    }
    if !unused.is_empty() {
        println!("unused seats cost per year: {}", fmt(&unused));
    }
    let unpriced = rows
        .iter()
        .filter(|r| {
            matches!(r.row.status, PositionStatus::Under | PositionStatus::Over)
                && r.money.shortfall_cost.is_none()
                && r.money.unused_cost.is_none()
        })
        .count();
    if unpriced > 0 {
        println!("{unpriced} under/over row(s) without a cost estimate: see --json money_note");
    }
}

/// A row in the JSON of `position` (stable field names; new ones appended).
pub fn row_json(rr: &ReviewedRow) -> Value {
    let r = &rr.row;
    let m = &rr.money;
    json!({
        "vendor": r.vendor,
        "product": r.product,
        "metric": r.metric,
        "entitled": r.entitled,
        "used": r.used.as_ref().map(|u| u.count),
        "balance": r.balance.map(|b| i64::try_from(b).unwrap_or(if b < 0 { i64::MIN } else { i64::MAX })),
        "status": r.status.as_str(),
        "licenses": r.licenses,
        "used_date": r.used.as_ref().map(|u| u.date.to_string()),
        "used_seq": r.used.as_ref().map(|u| u.seq),
        "used_source": r.used.as_ref().and_then(|u| u.source.clone()),
        "stale": rr.stale,
        "licensed_metrics": rr.licensed_metrics,
        "unit_price": m.unit_price.map(|d| d.to_string()),
        "currency": m.currency,
        "price_per": m.per.map(|p| p.as_str()),
        "shortfall_cost": m.shortfall_cost.map(|d| d.to_string()),
        "unused_cost": m.unused_cost.map(|d| d.to_string()),
        "money_note": m.note,
    })
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
