//! Entitled against used per vendor, product and metric, with the money on
//! both sides, stale counts and metric mismatches.

use std::collections::BTreeMap;

use entitle_core::position::{
    review, vendor_matches, with_inventory, PositionRow, PositionStatus, ReviewedRow,
};
use entitle_core::{Metric, Quantity};
use entitle_store::Store;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Query;
use crate::error::Result;
use crate::scope::Scope;

/// A position question.
#[derive(Debug, Clone, Default)]
pub struct PositionRequest {
    /// The date, the moment and the vendor.
    pub query: Query,
    /// A usage count older than this many days on the date is stale.
    pub stale_after: u32,
}

/// The position. Its JSON is `position --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Position {
    /// The business date.
    pub as_of: String,
    /// The seq the answer is known at.
    pub known_at_seq: u64,
    /// The stale limit applied.
    pub stale_after_days: u32,
    /// One row per vendor, product and metric.
    pub products: Vec<ProductRow>,
}

/// One row of the position (stable field names; new ones are appended).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductRow {
    /// Vendor as first typed.
    pub vendor: String,
    /// Product as first typed.
    pub product: String,
    /// What is counted.
    pub metric: Metric,
    /// Sum of the active quantities.
    #[serde(deserialize_with = "crate::wire::total")]
    pub entitled: Quantity,
    /// The latest count dated on or before the date.
    pub used: Option<u64>,
    /// Entitled − used.
    pub balance: Option<i64>,
    /// under, over, compliant, no-usage-data or metric-mismatch.
    #[serde(deserialize_with = "crate::wire::static_str")]
    pub status: crate::wire::Static,
    /// The licenses behind the row.
    pub licenses: Vec<String>,
    /// The date of the count.
    pub used_date: Option<String>,
    /// The seq of the count.
    pub used_seq: Option<u64>,
    /// Where the count comes from.
    pub used_source: Option<String>,
    /// The count is older than the stale limit.
    pub stale: bool,
    /// For a mismatch: the metrics the product is licensed under.
    pub licensed_metrics: Vec<Metric>,
    /// Price of one unit.
    pub unit_price: Option<String>,
    /// Currency of every amount of the row.
    pub currency: Option<String>,
    /// year, term or perpetual.
    #[serde(default, deserialize_with = "crate::wire::static_opt")]
    pub price_per: Option<crate::wire::Static>,
    /// For under: shortfall × unit price.
    pub shortfall_cost: Option<String>,
    /// For over: surplus × annual unit price.
    pub unused_cost: Option<String>,
    /// Why an amount is missing.
    pub money_note: Option<String>,
    /// The status, typed.
    #[serde(skip, default = "no_usage_data")]
    pub status_kind: PositionStatus,
    /// The shortfall cost, exact.
    #[serde(skip)]
    pub shortfall: Option<Decimal>,
    /// The unused cost, exact.
    #[serde(skip)]
    pub unused: Option<Decimal>,
    /// For a product whose license has a count rule: where `used` came
    /// from, `inventory` (derived from the installations) or `count` (a
    /// recorded count). Absent for products without a rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_from: Option<String>,
    /// The count rule of the product's license.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_rule: Option<String>,
    /// Per host running the product: its facts and what the rule made of
    /// them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<HostRow>,
    /// The observation not used when both exist: the inventory's count
    /// when a recorded count is more recent, else the recorded count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_used: Option<u64>,
    /// Its date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_used_date: Option<String>,
    /// Where it comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_used_source: Option<String>,
}

/// One host behind an inventory-derived count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRow {
    /// The host.
    pub host: String,
    /// Its facts in a few words.
    pub facts: String,
    /// What it adds.
    pub counted: u64,
    /// What the rule made of the facts
    /// (`db01: 2 × 6 cores → 2 × 8 (minimum 8 per processor) = 16`).
    pub derivation: String,
    /// Not seen for longer than the stale limit.
    pub stale: bool,
    /// The facts the rule needs are missing (counted as 0).
    pub incomplete: bool,
}

fn no_usage_data() -> PositionStatus {
    PositionStatus::NoUsageData
}

impl Position {
    /// Restores what the JSON leaves out (the typed status, the exact
    /// amounts) after the position was read back from it.
    ///
    /// # Errors
    ///
    /// A status or an amount that is not one.
    pub fn restore(&mut self) -> Result<()> {
        for r in &mut self.products {
            r.status_kind =
                serde_json::from_value(serde_json::Value::from(r.status)).map_err(|_| {
                    crate::Error::invalid("status", r.status, "is not a position status")
                })?;
            let exact = |field: &str, text: &Option<String>| {
                text.as_deref()
                    .map(|t| {
                        t.parse::<Decimal>()
                            .map_err(|_| crate::Error::invalid(field, t, "is not an amount"))
                    })
                    .transpose()
            };
            r.shortfall = exact("shortfall_cost", &r.shortfall_cost)?;
            r.unused = exact("unused_cost", &r.unused_cost)?;
        }
        Ok(())
    }
}

impl From<&ReviewedRow> for ProductRow {
    fn from(rr: &ReviewedRow) -> Self {
        let r = &rr.row;
        let m = &rr.money;
        ProductRow {
            vendor: r.vendor.clone(),
            product: r.product.clone(),
            metric: r.metric,
            entitled: r.entitled,
            used: r.used.as_ref().map(|u| u.count),
            balance: r
                .balance
                .map(|b| i64::try_from(b).unwrap_or(if b < 0 { i64::MIN } else { i64::MAX })),
            status: r.status.as_str(),
            licenses: r.licenses.clone(),
            used_date: r.used.as_ref().map(|u| u.date.to_string()),
            used_seq: r.used.as_ref().map(|u| u.seq),
            used_source: r.used.as_ref().and_then(|u| u.source.clone()),
            stale: rr.stale,
            licensed_metrics: rr.licensed_metrics.clone(),
            unit_price: m.unit_price.map(|d| d.to_string()),
            currency: m.currency.clone(),
            price_per: m.per.map(|p| p.as_str()),
            shortfall_cost: m.shortfall_cost.map(|d| d.to_string()),
            unused_cost: m.unused_cost.map(|d| d.to_string()),
            money_note: m.note.clone(),
            status_kind: r.status,
            shortfall: m.shortfall_cost,
            unused: m.unused_cost,
            used_from: r
                .from_inventory
                .map(|inv| if inv { "inventory" } else { "count" }.to_owned()),
            count_rule: r.inventory.as_ref().map(|d| d.rule.as_str().to_owned()),
            hosts: r
                .inventory
                .iter()
                .flat_map(|d| &d.hosts)
                .map(|h| HostRow {
                    host: h.host.clone(),
                    facts: h.facts.clone(),
                    counted: h.counted,
                    derivation: h.derivation.clone(),
                    stale: h.stale,
                    incomplete: h.incomplete,
                })
                .collect(),
            other_used: other(r).map(|(n, _, _)| n),
            other_used_date: other(r).map(|(_, d, _)| d),
            other_used_source: other(r).and_then(|(_, _, s)| s),
        }
    }
}

/// The observation a row does not use: the recorded count the inventory
/// replaced, or the inventory's count when a recorded one is more recent.
fn other(r: &PositionRow) -> Option<(u64, String, Option<String>)> {
    match (r.from_inventory, &r.other_count, &r.inventory) {
        (Some(true), Some(c), _) => Some((c.count, c.date.to_string(), c.source.clone())),
        (Some(false), _, Some(d)) => Some((
            d.count,
            d.observed.to_string(),
            Some(format!("inventory ({})", d.rule)),
        )),
        _ => None,
    }
}

/// The money of a position summed per currency (never converted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MoneyTotals {
    /// Estimated cost of the shortfall, per currency.
    pub shortfall: BTreeMap<String, Decimal>,
    /// Annual cost of unused seats, per currency.
    pub unused: BTreeMap<String, Decimal>,
    /// Rows under or over without a cost estimate.
    pub unpriced: usize,
}

impl Position {
    /// The CSV columns (`--format csv`, the pages' `.csv`): the JSON fields
    /// of a row, in order.
    pub const CSV_COLUMNS: &'static [&'static str] = &[
        "vendor",
        "product",
        "metric",
        "entitled",
        "used",
        "balance",
        "status",
        "licenses",
        "used_date",
        "used_seq",
        "used_source",
        "stale",
        "licensed_metrics",
        "unit_price",
        "currency",
        "price_per",
        "shortfall_cost",
        "unused_cost",
        "money_note",
    ];

    /// The shortfall and unused costs summed per currency, and how many
    /// under/over rows have no estimate.
    #[must_use]
    pub fn money_totals(&self) -> MoneyTotals {
        let mut t = MoneyTotals::default();
        for r in &self.products {
            if let Some(cur) = &r.currency {
                if let Some(c) = r.shortfall {
                    *t.shortfall.entry(cur.clone()).or_default() += c;
                }
                if let Some(c) = r.unused {
                    *t.unused.entry(cur.clone()).or_default() += c;
                }
            }
            if matches!(r.status_kind, PositionStatus::Under | PositionStatus::Over)
                && r.shortfall.is_none()
                && r.unused.is_none()
            {
                t.unpriced += 1;
            }
        }
        t
    }
}

/// The position on the date as known at the moment, for one vendor or all,
/// of the vendors in `scope`, reviewed: money, stale counts, metric
/// mismatches.
///
/// # Errors
///
/// For a malformed date or moment, a seq beyond the log, or a store
/// failure.
pub fn position(store: &Store, scope: &Scope, req: &PositionRequest) -> Result<Position> {
    let (as_of, known) = req.query.resolve(store)?;
    let rows = reviewed(
        store,
        scope,
        as_of,
        known,
        req.query.vendor.as_deref(),
        req.stale_after,
    )?;
    Ok(Position {
        as_of: as_of.to_string(),
        known_at_seq: known,
        stale_after_days: req.stale_after,
        products: rows.iter().map(ProductRow::from).collect(),
    })
}

/// The reviewed rows of the position on `as_of` as known at seq `known`,
/// of the vendors in `scope` (the core's rows, for callers that compute
/// more from them, such as an audit pack). A row is one vendor's, so
/// leaving out the rows of the vendors out of scope leaves nothing of
/// theirs in the others.
///
/// # Errors
///
/// When the store fails.
pub fn reviewed(
    store: &Store,
    scope: &Scope,
    as_of: Date,
    known: u64,
    vendor: Option<&str>,
    stale_after: u32,
) -> Result<Vec<ReviewedRow>> {
    let inputs = store.position_with_timelines(as_of, known)?;
    let mut rows: Vec<PositionRow> = inputs
        .rows
        .into_iter()
        .filter(|r| scope.sees_vendor(&r.vendor) && vendor_matches(vendor, &r.vendor))
        .collect();
    if inputs.views.iter().any(|v| v.terms.count_rule.is_some()) {
        let hosts = store.hosts_at(as_of, known)?;
        rows = with_inventory(rows, &inputs.views, &hosts, as_of, stale_after);
    }
    Ok(review(rows, &inputs.views, as_of, stale_after))
}
