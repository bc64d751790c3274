//! The compliance position: entitled against used, per vendor, product and
//! metric, on a business date as known at a seq.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use crate::timeline::{LicenseView, UsageSeries};
use crate::types::{match_key, Metric, ProductKey, Quantity};

/// Where a product stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
}

/// Computes the position from the licenses visible on the date and the
/// usage series. Rows cover every product with a visible license (in any
/// status) or a counted usage dated on or before the date, sorted by
/// vendor, product, metric.
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
            entitled: None,
            licenses: Vec::new(),
            used: None,
        });
        acc.used = Some(UsedCount {
            count: latest.count,
            date: latest.effective,
            seq: latest.seq,
            source: latest.source.clone(),
        });
    }
    rows.into_iter()
        .map(|(key, acc)| {
            let entitled = acc.entitled.unwrap_or(Quantity::Count(0));
            let (balance, status) = match (&acc.used, entitled) {
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
            };
            PositionRow {
                vendor: acc.vendor,
                product: acc.product,
                metric: key.metric,
                entitled,
                licenses: acc.licenses,
                used: acc.used,
                balance,
                status,
            }
        })
        .collect()
}

/// Whether a vendor filter (`--vendor`) selects this vendor: case-insensitive
/// after trimming.
#[must_use]
pub fn vendor_matches(filter: Option<&str>, vendor: &str) -> bool {
    filter.is_none_or(|f| match_key(f) == match_key(vendor))
}
