//! What was paid per vendor and product per calendar year.
//!
//! Every counted cost-carrying event (a `purchased`, `extended` or
//! `adjusted` with a cost) as known at the moment, voided ones excluded,
//! falls in the calendar year of its effective date. Amounts are summed
//! per year, vendor, product and currency: each currency separately, never
//! converted. Vendors and products are grouped case-insensitively and
//! shown as first typed.

use std::collections::BTreeMap;

use entitle_core::position::vendor_matches;
use entitle_core::timeline::{counts, Change};
use entitle_core::types::match_key;
use entitle_store::Store;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::scope::Scope;
use crate::when;

/// A spend question.
#[derive(Debug, Clone, Default)]
pub struct SpendRequest {
    /// Only this calendar year.
    pub year: Option<i16>,
    /// Only this vendor (case-insensitive).
    pub vendor: Option<String>,
    /// `#N`, an RFC 3339 time, or a date; none for everything recorded.
    pub known_at: Option<String>,
}

/// Spend. Its JSON is `spend --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Spend {
    /// The seq the answer is known at.
    pub known_at_seq: u64,
    /// The year asked for.
    pub year: Option<i16>,
    /// The vendor asked for.
    pub vendor: Option<String>,
    /// Per year, vendor, product and currency.
    pub spend: Vec<SpendRow>,
    /// Per year and currency.
    pub totals: Vec<SpendTotal>,
}

/// What was paid for one product in one year and currency.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpendRow {
    /// Calendar year.
    pub year: i16,
    /// Vendor as first typed.
    pub vendor: String,
    /// Product as first typed.
    pub product: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The sum, exact.
    pub amount: String,
    /// How many events it sums.
    pub events: u64,
}

/// What was paid in one year and currency.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpendTotal {
    /// Calendar year.
    pub year: i16,
    /// ISO 4217 code.
    pub currency: String,
    /// The sum, exact.
    pub amount: String,
}

impl Spend {
    /// The columns of `spend --format csv`, one row per [`SpendRow`].
    pub const CSV_COLUMNS: &'static [&'static str] =
        &["year", "vendor", "product", "currency", "amount", "events"];
}

#[derive(Default)]
struct Acc {
    vendor: String,
    product: String,
    amount: Decimal,
    events: u64,
}

/// What was paid per year, vendor, product and currency, for the vendors
/// in `scope` (the totals sum their rows only).
///
/// # Errors
///
/// For a malformed moment, a seq beyond the log, or a store failure.
pub fn spend(store: &Store, scope: &Scope, req: &SpendRequest) -> Result<Spend> {
    let known = store.known_seq(when::known_at(req.known_at.as_deref())?)?;
    // (year, vendor key, product key, currency) → sum
    let mut groups: BTreeMap<(i16, String, String, String), Acc> = BTreeMap::new();
    for t in store.timelines()? {
        let Some((purchase, terms)) = t.purchase() else {
            continue;
        };
        if !counts(purchase.seq, purchase.voided_by, known)
            || !scope.sees_vendor(&terms.vendor)
            || !vendor_matches(req.vendor.as_deref(), &terms.vendor)
        {
            continue;
        }
        for e in &t.entries {
            if !counts(e.seq, e.voided_by, known) {
                continue;
            }
            let cost = match &e.change {
                Change::Purchased(p) => p.cost.as_ref(),
                Change::Extended { cost, .. } | Change::Adjusted { cost, .. } => cost.as_ref(),
                _ => None,
            };
            let Some(cost) = cost else { continue };
            let year = e.effective.year();
            if req.year.is_some_and(|y| y != year) {
                continue;
            }
            let key = (
                year,
                match_key(&terms.vendor),
                match_key(&terms.product),
                cost.currency.clone(),
            );
            let acc = groups.entry(key).or_insert_with(|| Acc {
                vendor: terms.vendor.clone(),
                product: terms.product.clone(),
                ..Acc::default()
            });
            acc.amount += cost.amount;
            acc.events += 1;
        }
    }
    let mut totals: BTreeMap<(i16, String), Decimal> = BTreeMap::new();
    for ((year, _, _, currency), acc) in &groups {
        *totals.entry((*year, currency.clone())).or_default() += acc.amount;
    }
    Ok(Spend {
        known_at_seq: known,
        year: req.year,
        vendor: req.vendor.clone(),
        spend: groups
            .into_iter()
            .map(|((year, _, _, currency), acc)| SpendRow {
                year,
                vendor: acc.vendor,
                product: acc.product,
                currency,
                amount: acc.amount.to_string(),
                events: acc.events,
            })
            .collect(),
        totals: totals
            .into_iter()
            .map(|((year, currency), amount)| SpendTotal {
                year,
                currency,
                amount: amount.to_string(),
            })
            .collect(),
    })
}
