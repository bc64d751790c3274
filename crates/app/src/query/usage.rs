//! One product's usage over time: its counts as known at a moment, with
//! the entitled quantity on each count's date — what a step chart of
//! "used against entitled" draws.

use entitle_core::types::{Metric, ProductKey, Quantity};
use entitle_store::Store;
use serde::Serialize;

use super::Query;
use crate::error::{Error, Result};
use crate::scope::Scope;

/// The most counts a history carries (the latest ones): a chart has no
/// room for more, and each needs the position of its date.
pub const MAX_USAGE_POINTS: usize = 120;

/// Which product, at which moment of knowledge.
#[derive(Debug, Clone)]
pub struct UsageRequest {
    /// The vendor, as typed.
    pub vendor: String,
    /// The product, as typed.
    pub product: String,
    /// `user`, `device`, …
    pub metric: String,
    /// The moment of knowledge (`#N`, a time or a date); none for now.
    pub known_at: Option<String>,
}

/// One count, with what was entitled on its date.
#[derive(Debug, Clone, Serialize)]
pub struct UsagePoint {
    /// The count's date.
    pub date: String,
    /// How many were in use.
    pub count: u64,
    /// Where it came from.
    pub source: Option<String>,
    /// Its event.
    pub seq: u64,
    /// The entitled quantity on that date, as known at the same moment.
    pub entitled: Quantity,
}

/// A product's counts over time (stable field names).
#[derive(Debug, Clone, Serialize)]
pub struct UsageHistory {
    /// The vendor as first typed.
    pub vendor: String,
    /// The product as first typed.
    pub product: String,
    /// The metric.
    pub metric: Metric,
    /// The seq the history is known at.
    pub known_at_seq: u64,
    /// The counts in date order (the latest [`MAX_USAGE_POINTS`]).
    pub points: Vec<UsagePoint>,
    /// How many counts there are in all.
    pub total: usize,
}

/// The counts of one product as known at the request's moment, voided
/// ones left out, each with the entitled quantity on its date. A vendor
/// outside the scope answers as a product without counts does: not found.
///
/// # Errors
///
/// For an unknown metric or moment, a product without counts (or out of
/// scope), or a store failure.
pub fn usage_history(store: &Store, scope: &Scope, req: &UsageRequest) -> Result<UsageHistory> {
    let metric: Metric = req.metric.parse()?;
    let query = Query {
        as_of: None,
        known_at: req.known_at.clone(),
        vendor: None,
    };
    let (_, known) = query.resolve(store)?;
    let key = ProductKey::new(&req.vendor, &req.product, metric);
    let not_found = || {
        Error::not_found(format!(
            "no usage counts of {} / {} ({})",
            req.vendor, req.product, req.metric
        ))
    };
    let series = store
        .usage_series()?
        .into_iter()
        .find(|s| s.key == key && scope.sees_vendor(&s.vendor))
        .ok_or_else(not_found)?;
    let counted: Vec<_> = series
        .entries
        .iter()
        .filter(|e| e.seq <= known && e.voided_by.is_none_or(|v| v > known))
        .collect();
    if counted.is_empty() {
        return Err(not_found());
    }
    let total = counted.len();
    let mut points = Vec::new();
    for e in counted.iter().skip(total.saturating_sub(MAX_USAGE_POINTS)) {
        let entitled = store
            .position(e.effective, known)?
            .into_iter()
            .find(|r| ProductKey::new(&r.vendor, &r.product, r.metric) == key)
            .map_or(Quantity::Count(0), |r| r.entitled);
        points.push(UsagePoint {
            date: e.effective.to_string(),
            count: e.count,
            source: e
                .source
                .and_then(|i| series.sources.get(i as usize).cloned()),
            seq: e.seq,
            entitled,
        });
    }
    Ok(UsageHistory {
        vendor: series.vendor,
        product: series.product,
        metric,
        known_at_seq: known,
        points,
        total,
    })
}
