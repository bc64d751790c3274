//! The compliance position: entitled against used, per vendor, product and
//! metric, on a business date as known at a seq.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::inventory::{derive, CountRule, Derived, HostView};
use crate::timeline::{counts, Change, LicenseTimeline, LicenseView, UsageSeries};
use crate::types::{match_key, Metric, Money, ProductKey, Quantity};

/// Where a product stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PositionStatus {
    /// More used than entitled: audit risk.
    Under,
    /// More entitled than used: money spent on unused seats.
    Over,
    /// Entitled equals used, or an unlimited agreement.
    Compliant,
    /// No usage count dated on or before the date.
    NoUsageData,
    /// A usage count under a metric the product has no license for, while
    /// it has licenses under another metric: never compared.
    MetricMismatch,
}

impl PositionStatus {
    /// The name shown and written in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            PositionStatus::Under => "under",
            PositionStatus::Over => "over",
            PositionStatus::Compliant => "compliant",
            PositionStatus::NoUsageData => "no-usage-data",
            PositionStatus::MetricMismatch => "metric-mismatch",
        }
    }
}

/// The usage count a position row rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedCount {
    /// How many.
    pub count: u64,
    /// Dated.
    pub date: Date,
    /// Recorded by.
    pub seq: u64,
    /// From.
    pub source: Option<String>,
}

/// One row of the position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionRow {
    /// Vendor as first typed.
    pub vendor: String,
    /// Product as first typed.
    pub product: String,
    /// Metric.
    pub metric: Metric,
    /// Sum of active quantities (0 when none is active).
    pub entitled: Quantity,
    /// Whether any license is active (entitled 0 is then really zero).
    pub licenses: Vec<String>,
    /// The usage count, if any.
    pub used: Option<UsedCount>,
    /// Entitled − used; `None` without usage or with an unlimited agreement.
    pub balance: Option<i128>,
    /// Where it stands.
    pub status: PositionStatus,
    /// For a product whose license has a count rule and which runs on a
    /// known host: what the rule made of the installations.
    pub inventory: Option<Derived>,
    /// Whether `used` is the inventory's count (else the recorded
    /// count's; `None` without inventory).
    pub from_inventory: Option<bool>,
    /// When both exist: the recorded count that the inventory's more
    /// recent observation replaced.
    pub other_count: Option<UsedCount>,
}

/// Computes the position from the licenses visible on the date and the
/// usage series (whole, or in parts such as the years a store keeps).
/// Rows cover every product with a visible license (in any status) or a
/// counted usage dated on or before the date, sorted by vendor, product,
/// metric.
#[must_use]
pub fn position<'a>(
    views: &[LicenseView],
    usage: impl IntoIterator<Item = &'a UsageSeries>,
    as_of: Date,
    known: u64,
) -> Vec<PositionRow> {
    struct Acc {
        vendor: String,
        product: String,
        /// Whether the names come from a license (else from usage).
        licensed: bool,
        entitled: Option<Quantity>,
        licenses: Vec<String>,
        used: Option<UsedCount>,
    }
    let mut rows: BTreeMap<ProductKey, Acc> = BTreeMap::new();
    for v in views {
        let key = ProductKey::new(&v.terms.vendor, &v.terms.product, v.terms.metric);
        let acc = rows.entry(key).or_insert_with(|| Acc {
            vendor: v.terms.vendor.clone(),
            product: v.terms.product.clone(),
            licensed: true,
            entitled: None,
            licenses: Vec::new(),
            used: None,
        });
        if v.status.is_entitled() {
            acc.entitled = Some(match acc.entitled {
                Some(q) => q.saturating_add(v.terms.quantity),
                None => v.terms.quantity,
            });
            acc.licenses.push(v.id.clone());
        }
    }
    for series in usage {
        let Some(latest) = series.latest(as_of, known) else {
            continue;
        };
        let acc = rows.entry(series.key.clone()).or_insert_with(|| Acc {
            vendor: series.vendor.clone(),
            product: series.product.clone(),
            licensed: false,
            entitled: None,
            licenses: Vec::new(),
            used: None,
        });
        // A series may come in parts (the years a store keeps): the
        // latest count of all of them is the one that counts, and a
        // product without a license is named as the part holding it
        // names it, whichever order the parts come in.
        if acc
            .used
            .as_ref()
            .is_none_or(|u| (u.date, u.seq) < (latest.effective, latest.seq))
        {
            if !acc.licensed {
                acc.vendor.clone_from(&series.vendor);
                acc.product.clone_from(&series.product);
            }
            acc.used = Some(UsedCount {
                count: latest.count,
                date: latest.effective,
                seq: latest.seq,
                source: series.source_of(latest).map(str::to_owned),
            });
        }
    }
    rows.into_iter()
        .map(|(key, acc)| {
            let entitled = acc.entitled.unwrap_or(Quantity::Count(0));
            let (balance, status) = standing(acc.used.as_ref(), entitled);
            PositionRow {
                vendor: acc.vendor,
                product: acc.product,
                metric: key.metric,
                entitled,
                licenses: acc.licenses,
                used: acc.used,
                balance,
                status,
                inventory: None,
                from_inventory: None,
                other_count: None,
            }
        })
        .collect()
}

/// Balance and status from a count and the entitlement.
fn standing(used: Option<&UsedCount>, entitled: Quantity) -> (Option<i128>, PositionStatus) {
    match (used, entitled) {
        (_, Quantity::Unlimited) => (None, PositionStatus::Compliant),
        (None, _) => (None, PositionStatus::NoUsageData),
        (Some(used), Quantity::Count(n)) => {
            let b = i128::from(n) - i128::from(used.count);
            let status = match b {
                0 => PositionStatus::Compliant,
                b if b < 0 => PositionStatus::Under,
                _ => PositionStatus::Over,
            };
            (Some(b), status)
        }
    }
}

/// The count rule of a product: the rule of its entitled licenses (the
/// lowest id's when they differ), else of any visible license.
#[must_use]
pub fn count_rules(views: &[LicenseView]) -> BTreeMap<ProductKey, CountRule> {
    let mut rules: BTreeMap<ProductKey, (bool, String, CountRule)> = BTreeMap::new();
    for v in views {
        let Some(rule) = v.terms.count_rule else {
            continue;
        };
        let key = ProductKey::new(&v.terms.vendor, &v.terms.product, v.terms.metric);
        let candidate = (!v.status.is_entitled(), v.id.clone(), rule);
        match rules.get(&key) {
            Some((unentitled, id, _)) if (*unentitled, id) <= (candidate.0, &candidate.1) => {}
            _ => {
                rules.insert(key, candidate);
            }
        }
    }
    rules.into_iter().map(|(k, (_, _, r))| (k, r)).collect()
}

/// Derives `used` from installations for every row whose license has a
/// count rule and whose product runs on a host known on the date
/// (`hosts`: every host as of the date and seq of the position). When the
/// row also has a recorded count, the more recent observation is used
/// (the inventory on a tie) and the other is kept in `other_count`.
/// Hosts not seen for `stale_after_days` are marked stale.
#[must_use]
pub fn with_inventory(
    mut rows: Vec<PositionRow>,
    views: &[LicenseView],
    hosts: &BTreeMap<String, HostView>,
    as_of: Date,
    stale_after_days: u32,
) -> Vec<PositionRow> {
    let rules = count_rules(views);
    if rules.is_empty() {
        return rows;
    }
    let stale_before = as_of
        .checked_sub(jiff::Span::new().days(i64::from(stale_after_days)))
        .ok();
    for row in &mut rows {
        let key = ProductKey::new(&row.vendor, &row.product, row.metric);
        let Some(rule) = rules.get(&key) else {
            continue;
        };
        let Some(derived) = derive(*rule, &row.vendor, &row.product, hosts, stale_before) else {
            row.from_inventory = Some(false);
            continue;
        };
        let counted = UsedCount {
            count: derived.count,
            date: derived.observed,
            seq: derived.seq,
            source: Some(format!("inventory ({})", derived.rule)),
        };
        let use_inventory = row.used.as_ref().is_none_or(|u| u.date <= derived.observed);
        if use_inventory {
            row.other_count = row.used.replace(counted);
        }
        row.from_inventory = Some(use_inventory);
        row.inventory = Some(derived);
        let (balance, status) = standing(row.used.as_ref(), row.entitled);
        row.balance = balance;
        row.status = status;
    }
    rows
}

/// Whether a vendor filter (`--vendor`) selects this vendor: case-insensitive
/// after trimming.
#[must_use]
pub fn vendor_matches(filter: Option<&str>, vendor: &str) -> bool {
    filter.is_none_or(|f| match_key(f) == match_key(vendor))
}

/// Days after which a usage count is stale unless configured otherwise.
pub const DEFAULT_STALE_AFTER_DAYS: u32 = 90;

/// What a unit price is a price for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PricePer {
    /// The cost paid for a term of at most 13 months: an annual price.
    Year,
    /// The cost paid for a longer fixed term.
    Term,
    /// The cost paid for a license without an end: a one-off price.
    Perpetual,
}

impl PricePer {
    /// The name shown and written in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            PricePer::Year => "year",
            PricePer::Term => "term",
            PricePer::Perpetual => "perpetual",
        }
    }
}

/// The money of one position row, in the currency of its licenses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RowMoney {
    /// Price of one unit: Σ latest cost ÷ Σ quantity it bought.
    pub unit_price: Option<Decimal>,
    /// ISO 4217 code of every amount of the row.
    pub currency: Option<String>,
    /// What the unit price is a price for.
    pub per: Option<PricePer>,
    /// For `under`: shortfall × unit price.
    pub shortfall_cost: Option<Decimal>,
    /// For `over`: surplus × unit price, when the unit price is annual.
    pub unused_cost: Option<Decimal>,
    /// Why an amount is missing.
    pub note: Option<String>,
}

/// A position row with what [`review`] adds: money, staleness and the
/// metrics of a mismatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewedRow {
    /// The row (status `metric-mismatch` and balance `None` for a mismatch).
    pub row: PositionRow,
    /// The usage count is older than the stale limit on the date.
    pub stale: bool,
    /// For `metric-mismatch`: the metrics the product is licensed under.
    pub licensed_metrics: Vec<Metric>,
    /// Unit price and costs.
    pub money: RowMoney,
}

/// The latest cost paid for a license as of a date, with the quantity it
/// bought and the period it paid for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidCost {
    /// What was paid.
    pub money: Money,
    /// What it bought: the purchase's or extension's quantity, or for a
    /// true-up (`adjust` with a cost) the increase.
    pub quantity: Quantity,
    /// The period paid for: first day and last day (`None`: perpetual).
    pub period: (Date, Option<Date>),
}

/// Folds a license's counted entries up to `as_of` (as known at `known`)
/// for its latest cost. A purchase pays for start..end; an extension for the
/// day after the previous end..its new end; a true-up for the increase, on
/// the basis of the period it falls in.
#[must_use]
pub fn latest_cost(t: &LicenseTimeline, as_of: Date, known: u64) -> Option<PaidCost> {
    let (purchase, terms) = t.purchase()?;
    if !counts(purchase.seq, purchase.voided_by, known) || purchase.effective > as_of {
        return None;
    }
    let mut applied: Vec<_> = t.entries[1..]
        .iter()
        .filter(|e| counts(e.seq, e.voided_by, known) && e.effective <= as_of)
        .collect();
    applied.sort_by_key(|e| (e.effective, e.seq));
    let mut quantity = terms.quantity;
    let mut end = terms.end;
    let mut period = (terms.start, terms.end);
    let mut last = terms.cost.clone().map(|m| PaidCost {
        money: m,
        quantity,
        period,
    });
    for e in applied {
        match &e.change {
            Change::Extended {
                until,
                quantity: q,
                cost,
                ..
            } => {
                let from = end.and_then(|d| d.tomorrow().ok()).unwrap_or(e.effective);
                end = Some(*until);
                period = (from, end);
                if let Some(q) = q {
                    quantity = *q;
                }
                if let Some(c) = cost {
                    last = Some(PaidCost {
                        money: c.clone(),
                        quantity,
                        period,
                    });
                }
            }
            Change::Adjusted { quantity: q, cost } => {
                let bought = match (quantity, *q) {
                    (Quantity::Count(old), Quantity::Count(new)) if new > old => {
                        Quantity::Count(new - old)
                    }
                    (_, new) => new,
                };
                quantity = *q;
                if let Some(c) = cost {
                    last = Some(PaidCost {
                        money: c.clone(),
                        quantity: bought,
                        period,
                    });
                }
            }
            _ => {}
        }
    }
    last
}

/// What a price for `period` is a price for: a term of at most 13 calendar
/// months (last day before first day + 13 months) is a year.
#[must_use]
pub fn price_per(period: (Date, Option<Date>)) -> PricePer {
    match period {
        (_, None) => PricePer::Perpetual,
        (start, Some(end)) => {
            let limit = start.checked_add(jiff::Span::new().months(13)).ok();
            if limit.is_some_and(|l| end < l) {
                PricePer::Year
            } else {
                PricePer::Term
            }
        }
    }
}

/// Adds money, staleness and metric mismatches to a position computed by
/// [`position`] from the same licenses (`views` of `timelines`), date and
/// seq.
///
/// * A row with a usage count whose vendor and product have visible
///   licenses only under other metrics becomes `metric-mismatch` with no
///   balance: usage is compared only with licenses of the same metric.
/// * A usage count dated more than `stale_after_days` days before `as_of`
///   is stale.
/// * Money: see [`RowMoney`] and the README ("Money in the position").
#[must_use]
pub fn review(
    rows: Vec<PositionRow>,
    views: &[LicenseView],
    timelines: &[LicenseTimeline],
    as_of: Date,
    known: u64,
    stale_after_days: u32,
) -> Vec<ReviewedRow> {
    let mut licensed: HashMap<(String, String), BTreeSet<Metric>> = HashMap::new();
    let by_id: HashMap<&str, &LicenseTimeline> =
        timelines.iter().map(|t| (t.id.as_str(), t)).collect();
    for v in views {
        let key = ProductKey::new(&v.terms.vendor, &v.terms.product, v.terms.metric);
        licensed
            .entry((key.vendor, key.product))
            .or_default()
            .insert(key.metric);
    }
    let stale_before = as_of
        .checked_sub(jiff::Span::new().days(i64::from(stale_after_days)))
        .ok();
    rows.into_iter()
        .map(|mut row| {
            let stale = row
                .used
                .as_ref()
                .is_some_and(|u| stale_before.is_some_and(|limit| u.date < limit));
            let metrics = licensed
                .get(&(match_key(&row.vendor), match_key(&row.product)))
                .cloned()
                .unwrap_or_default();
            let mut licensed_metrics = Vec::new();
            if row.used.is_some() && !metrics.is_empty() && !metrics.contains(&row.metric) {
                row.status = PositionStatus::MetricMismatch;
                row.balance = None;
                licensed_metrics = metrics.into_iter().collect();
            }
            let money = price(&row, &by_id, as_of, known);
            ReviewedRow {
                row,
                stale,
                licensed_metrics,
                money,
            }
        })
        .collect()
}

fn price(
    row: &PositionRow,
    by_id: &HashMap<&str, &LicenseTimeline>,
    as_of: Date,
    known: u64,
) -> RowMoney {
    let fail = |note: String| RowMoney {
        note: Some(note),
        ..RowMoney::default()
    };
    if row.status == PositionStatus::MetricMismatch {
        return fail("metric mismatch: not compared".into());
    }
    if row.licenses.is_empty() {
        return fail("no active license to price from".into());
    }
    let mut total = Decimal::ZERO;
    let mut units: u64 = 0;
    let mut currencies = BTreeSet::new();
    let mut pers = BTreeSet::new();
    for id in &row.licenses {
        let Some(paid) = by_id
            .get(id.as_str())
            .and_then(|t| latest_cost(t, as_of, known))
        else {
            return fail(format!("no cost recorded for {id}"));
        };
        let Quantity::Count(n) = paid.quantity else {
            return fail(format!("{id} is unlimited: no unit price"));
        };
        currencies.insert(paid.money.currency.clone());
        pers.insert(price_per(paid.period));
        total = match total.checked_add(paid.money.amount) {
            Some(t) => t,
            None => return fail("amount too large".into()),
        };
        units = units.saturating_add(n);
    }
    if currencies.len() > 1 {
        let list: Vec<String> = currencies.into_iter().collect();
        return fail(format!(
            "mixed currencies ({}): never converted",
            list.join(", ")
        ));
    }
    if pers.len() > 1 {
        let list: Vec<&str> = pers.iter().map(|p| p.as_str()).collect();
        return fail(format!("mixed price periods ({})", list.join(", ")));
    }
    let (Some(currency), Some(per)) = (currencies.pop_first(), pers.pop_first()) else {
        return fail("no active license to price from".into());
    };
    let Some(unit) = total.checked_div(Decimal::from(units)) else {
        return fail("no units to price".into());
    };
    let mut unit = unit
        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    if unit.scale() < 2 {
        unit.rescale(2);
    }
    let mut money = RowMoney {
        unit_price: Some(unit),
        currency: Some(currency),
        per: Some(per),
        ..RowMoney::default()
    };
    match (row.status, row.balance) {
        (PositionStatus::Under, Some(b)) => {
            money.shortfall_cost = u64::try_from(-b)
                .ok()
                .and_then(|n| Decimal::from(n).checked_mul(unit));
        }
        (PositionStatus::Over, Some(b)) => match per {
            PricePer::Year => {
                money.unused_cost = u64::try_from(b)
                    .ok()
                    .and_then(|n| Decimal::from(n).checked_mul(unit));
            }
            PricePer::Term => {
                money.note = Some("term longer than 13 months: no annual price".into());
            }
            PricePer::Perpetual => {
                money.note = Some("perpetual license: no annual cost".into());
            }
        },
        _ => {}
    }
    money
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn a_year_is_at_most_thirteen_months() {
        let start = date(2024, 1, 1);
        assert_eq!(price_per((start, Some(date(2024, 12, 31)))), PricePer::Year);
        assert_eq!(price_per((start, Some(date(2025, 1, 31)))), PricePer::Year);
        assert_eq!(price_per((start, Some(date(2025, 2, 1)))), PricePer::Term);
        assert_eq!(price_per((start, Some(date(2026, 12, 31)))), PricePer::Term);
        assert_eq!(price_per((start, None)), PricePer::Perpetual);
        // Leap day start: 2024-02-29 + 13 months is 2025-03-29.
        let leap = date(2024, 2, 29);
        assert_eq!(price_per((leap, Some(date(2025, 3, 28)))), PricePer::Year);
        assert_eq!(price_per((leap, Some(date(2025, 3, 29)))), PricePer::Term);
    }

    /// A series handed in parts (the years a store keeps, or all of them
    /// at once as a fold of the records has them) gives one row: its latest
    /// count, named as the part holding that count names it, in any order.
    #[test]
    fn parts_of_a_series_give_one_row_named_by_the_latest_count() {
        use crate::timeline::{UsageEntry, UsageSeries};
        use crate::types::Metric;
        let part = |vendor: &str, seq: u64, on: Date, count: u64| UsageSeries {
            key: ProductKey::new(vendor, "CAD", Metric::User),
            vendor: vendor.into(),
            product: "CAD".into(),
            entries: vec![UsageEntry {
                seq,
                effective: on,
                voided_by: None,
                count,
                source: None,
            }],
            sources: vec![],
            last_seq: seq,
        };
        let y2023 = part("Acme", 1, date(2023, 6, 1), 5);
        let y2024 = part("ACME", 2, date(2024, 6, 1), 2);
        for parts in [[&y2023, &y2024], [&y2024, &y2023]] {
            let rows = position(&[], parts, date(2024, 12, 1), 2);
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].vendor, "ACME");
            assert_eq!(rows[0].used.as_ref().map(|u| u.count), Some(2));
            let rows = position(&[], parts, date(2023, 12, 1), 2);
            assert_eq!(rows[0].vendor, "Acme");
            assert_eq!(rows[0].used.as_ref().map(|u| u.count), Some(5));
        }
    }
}
