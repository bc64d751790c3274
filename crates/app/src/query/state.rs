//! The licenses and their status on a date.

use entitle_core::position::vendor_matches;
use entitle_core::timeline::DocumentRef;
use entitle_core::{LicenseView, Metric, Quantity, Status};
use entitle_store::Store;
use serde::{Deserialize, Serialize};

use super::Query;
use crate::error::Result;
use crate::scope::Scope;

/// The licenses visible on a date. Its JSON is `state --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// The business date.
    pub as_of: String,
    /// The seq the answer is known at.
    pub known_at_seq: u64,
    /// The licenses, by id.
    pub licenses: Vec<LicenseRow>,
}

impl State {
    /// The CSV columns (`--format csv`, the pages' `.csv`): the JSON fields
    /// of a row, in order.
    pub const CSV_COLUMNS: &'static [&'static str] = &[
        "id",
        "vendor",
        "product",
        "edition",
        "metric",
        "quantity",
        "status",
        "start",
        "end",
        "recorded_end",
        "maintenance_end",
        "cancelled_on",
        "cost",
        "currency",
        "po",
        "reseller",
        "owner",
        "notice_days",
        "auto_renew",
        "renewal_months",
        "tags",
        "purchased_seq",
        "documents",
    ];
}

/// One license on the date (stable field names).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LicenseRow {
    /// License id.
    pub id: String,
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// Edition.
    pub edition: Option<String>,
    /// What it counts.
    pub metric: Metric,
    /// How many.
    pub quantity: Quantity,
    /// Status on the date.
    #[serde(deserialize_with = "crate::wire::static_str")]
    pub status: crate::wire::Static,
    /// First day of the term.
    pub start: String,
    /// Last day of the term (an assumed renewal's end for `renewed-assumed`).
    pub end: Option<String>,
    /// The end as recorded.
    pub recorded_end: Option<String>,
    /// Last day of maintenance.
    pub maintenance_end: Option<String>,
    /// Date of the cancellation.
    pub cancelled_on: Option<String>,
    /// Price paid for the purchase.
    pub cost: Option<String>,
    /// Its currency.
    pub currency: Option<String>,
    /// Purchase order or invoice reference.
    pub po: Option<String>,
    /// Who sold it.
    pub reseller: Option<String>,
    /// The person responsible.
    pub owner: Option<String>,
    /// Notice period in days.
    pub notice_days: Option<u32>,
    /// Renews unless cancelled.
    pub auto_renew: bool,
    /// Renewal period in months.
    pub renewal_months: Option<u32>,
    /// Labels.
    pub tags: Vec<String>,
    /// The purchase's seq.
    pub purchased_seq: u64,
    /// Documents attached by then.
    pub documents: Vec<DocumentRef>,
    /// The status, typed.
    #[serde(skip, default = "unknown_status")]
    pub status_kind: Status,
}

fn unknown_status() -> Status {
    Status::Active
}

impl State {
    /// Restores the typed status after the state was read back from its
    /// JSON.
    ///
    /// # Errors
    ///
    /// A status that is not one.
    pub fn restore(&mut self) -> Result<()> {
        for l in &mut self.licenses {
            l.status_kind =
                serde_json::from_value(serde_json::Value::from(l.status)).map_err(|_| {
                    crate::Error::invalid("status", l.status, "is not a license status")
                })?;
        }
        Ok(())
    }
}

impl From<&LicenseView> for LicenseRow {
    fn from(v: &LicenseView) -> Self {
        let t = &v.terms;
        LicenseRow {
            id: v.id.clone(),
            vendor: t.vendor.clone(),
            product: t.product.clone(),
            edition: t.edition.clone(),
            metric: t.metric,
            quantity: t.quantity,
            status: v.status.as_str(),
            start: t.start.to_string(),
            end: t.end.map(|d| d.to_string()),
            recorded_end: v.recorded_end.map(|d| d.to_string()),
            maintenance_end: t.maintenance_end.map(|d| d.to_string()),
            cancelled_on: v.cancelled_on.map(|d| d.to_string()),
            cost: t.cost.as_ref().map(|m| m.amount.to_string()),
            currency: t.cost.as_ref().map(|m| m.currency.clone()),
            po: t.po.clone(),
            reseller: t.reseller.clone(),
            owner: t.owner.clone(),
            notice_days: t.notice_days,
            auto_renew: t.auto_renew,
            renewal_months: t.renewal_months,
            tags: t.tags.clone(),
            purchased_seq: v.purchased_seq,
            documents: v.documents.clone(),
            status_kind: v.status,
        }
    }
}

/// Every license visible on the date as known at the moment, for one vendor
/// or all, of the vendors in `scope`.
///
/// # Errors
///
/// For a malformed date or moment, a seq beyond the log, or a store
/// failure.
pub fn state(store: &Store, scope: &Scope, q: &Query) -> Result<State> {
    let (as_of, known) = q.resolve(store)?;
    let licenses = store
        .licenses_at(as_of, known)?
        .iter()
        .filter(|v| {
            scope.sees_vendor(&v.terms.vendor)
                && vendor_matches(q.vendor.as_deref(), &v.terms.vendor)
        })
        .map(LicenseRow::from)
        .collect();
    Ok(State {
        as_of: as_of.to_string(),
        known_at_seq: known,
        licenses,
    })
}
