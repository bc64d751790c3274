//! The compliance position: entitled against used, per vendor, product and
//! metric, on a business date as known at a seq.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::inventory::{derive, CountRule, Derived, HostView};
pub use crate::timeline::PaidCost;
use crate::timeline::{LicenseView, UsageSeries};
use crate::types::{match_key, Metric, ProductKey, Quantity};

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
    // Rows in key order, as indexes into `accs`; each spelling of a
    // product is folded into its key once (thousands of licenses name a
    // few hundred products), and licenses join their row in view order.
    let mut accs: Vec<Acc> = Vec::new();
    let mut rows: BTreeMap<ProductKey, usize> = BTreeMap::new();
    let mut spellings: HashMap<(&str, &str, Metric), usize> = HashMap::new();
    for v in views {
        let spelling = (
            v.terms.vendor.as_str(),
            v.terms.product.as_str(),
            v.terms.metric,
        );
        let at = *spellings.entry(spelling).or_insert_with(|| {
            let key = ProductKey::new(&v.terms.vendor, &v.terms.product, v.terms.metric);
            *rows.entry(key).or_insert_with(|| {
                accs.push(Acc {
                    vendor: v.terms.vendor.clone(),
                    product: v.terms.product.clone(),
                    licensed: true,
                    entitled: None,
                    licenses: Vec::new(),
                    used: None,
                });
                accs.len() - 1
            })
        });
        let acc = &mut accs[at];
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
        // Most series have a licensed row already: look before cloning
        // the key.
        let at = match rows.get(&series.key) {
            Some(at) => *at,
            None => {
                accs.push(Acc {
                    vendor: series.vendor.clone(),
                    product: series.product.clone(),
                    licensed: false,
                    entitled: None,
                    licenses: Vec::new(),
                    used: None,
                });
                rows.insert(series.key.clone(), accs.len() - 1);
                accs.len() - 1
            }
        };
        let acc = &mut accs[at];
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
    let mut accs: Vec<Option<Acc>> = accs.into_iter().map(Some).collect();
    rows.into_iter()
        .filter_map(|(key, at)| Some((key, accs[at].take()?)))
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
    as_of: Date,
    stale_after_days: u32,
) -> Vec<ReviewedRow> {
    // Each spelling of a product once: thousands of licenses name a few
    // hundred products.
    let spellings: HashSet<(&str, &str, Metric)> = views
        .iter()
        .map(|v| {
            (
                v.terms.vendor.as_str(),
                v.terms.product.as_str(),
                v.terms.metric,
            )
        })
        .collect();
    let mut licensed: HashMap<(String, String), BTreeSet<Metric>> = HashMap::new();
    for (vendor, product, metric) in spellings {
        let key = ProductKey::new(vendor, product, metric);
        licensed
            .entry((key.vendor, key.product))
            .or_default()
            .insert(key.metric);
    }
    let entitled: HashMap<&str, &LicenseView> = views
        .iter()
        .filter(|v| v.status.is_entitled())
        .map(|v| (v.id.as_str(), v))
        .collect();
    let stale_before = as_of
        .checked_sub(jiff::Span::new().days(i64::from(stale_after_days)))
        .ok();
    rows.into_iter()
        .map(|mut row| {
            let stale = row
                .used
                .as_ref()
                .is_some_and(|u| stale_before.is_some_and(|limit| u.date < limit));
            let metrics = licensed.get(&(match_key(&row.vendor), match_key(&row.product)));
            let mut licensed_metrics = Vec::new();
            if let Some(metrics) =
                metrics.filter(|m| row.used.is_some() && !m.is_empty() && !m.contains(&row.metric))
            {
                row.status = PositionStatus::MetricMismatch;
                row.balance = None;
                licensed_metrics = metrics.iter().copied().collect();
            }
            let money = price(&row, &entitled);
            ReviewedRow {
                row,
                stale,
                licensed_metrics,
                money,
            }
        })
        .collect()
}

/// The money of a row, from the latest cost of each of its licenses
/// (`entitled`: the entitled licenses' views by id).
fn price(row: &PositionRow, entitled: &HashMap<&str, &LicenseView>) -> RowMoney {
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
        let Some(paid) = entitled.get(id.as_str()).and_then(|v| v.paid.as_ref()) else {
            return fail(format!("no cost recorded for {id}"));
        };
        let Quantity::Count(n) = paid.quantity else {
            return fail(format!("{id} is unlimited: no unit price"));
        };
        currencies.insert(paid.money.currency.as_str());
        pers.insert(price_per(paid.period));
        total = match total.checked_add(paid.money.amount) {
            Some(t) => t,
            None => return fail("amount too large".into()),
        };
        units = units.saturating_add(n);
    }
    if currencies.len() > 1 {
        let list: Vec<&str> = currencies.into_iter().collect();
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
        currency: Some(currency.to_owned()),
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
