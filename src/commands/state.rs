//! `entitle state`

use std::process::ExitCode;

use anyhow::Result;
use entitle_core::position::vendor_matches;
use entitle_core::{LicenseView, Status};
use serde::Serialize;
use serde_json::{json, Value};

use crate::cli::{Cli, QueryArgs};
use crate::output::{self, or_dash, Align, Paint, Table};
use crate::request;

pub fn run(cli: &Cli, a: &QueryArgs) -> Result<ExitCode> {
    let (store, as_of, known) = request::open_query(
        cli,
        "entitle state",
        a.as_of.as_deref(),
        a.known_at.as_deref(),
    )?;
    let licenses: Vec<LicenseView> = store
        .licenses_at(as_of, known)?
        .into_iter()
        .filter(|v| vendor_matches(a.vendor.as_deref(), &v.terms.vendor))
        .collect();
    if a.output.format() == crate::cli::Format::Csv {
        let rows: Vec<Value> = licenses.iter().map(license_json).collect();
        super::sheet_out::write_objects(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    if a.output.format() == crate::cli::Format::Json {
        #[derive(Serialize)]
        struct Out {
            as_of: String,
            known_at_seq: u64,
            licenses: Vec<Value>,
        }
        return output::json(&Out {
            as_of: as_of.to_string(),
            known_at_seq: known,
            licenses: licenses.iter().map(license_json).collect(),
        })
        .map(|()| ExitCode::SUCCESS);
    }
    println!("licenses as of {as_of}, as known at #{known}");
    let mut t = Table::new(&[
        ("ID", Align::Left, false),
        ("VENDOR", Align::Left, true),
        ("PRODUCT", Align::Left, true),
        ("METRIC", Align::Left, false),
        ("QTY", Align::Right, false),
        ("STATUS", Align::Left, false),
        ("START", Align::Left, false),
        ("END", Align::Left, false),
    ]);
    for v in &licenses {
        let cells = vec![
            v.id.clone(),
            v.terms.vendor.clone(),
            v.terms.product.clone(),
            v.terms.metric.to_string(),
            v.terms.quantity.to_string(),
            v.status.as_str().to_owned(),
            v.terms.start.to_string(),
            or_dash(v.terms.end),
        ];
        t.painted_row(cells, STATUS_COLUMN, status_paint(v.status));
    }
    if t.is_empty() {
        println!("(no licenses)");
    } else {
        t.print()?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The STATUS column of the table.
const STATUS_COLUMN: usize = 5;

/// The colour of a status in the table: yellow for a renewal only assumed
/// (counted as entitled until `extend` or `cancel` confirms it), dim for
/// a license that no longer counts (expired, cancelled), none for pending
/// and active.
fn status_paint(status: Status) -> Option<Paint> {
    match status {
        Status::RenewedAssumed => Some(Paint::Yellow),
        Status::Expired | Status::Cancelled => Some(Paint::Dim),
        Status::Pending | Status::Active => None,
    }
}

/// A license in the JSON of `state` (stable field names).
pub fn license_json(v: &LicenseView) -> Value {
    let t = &v.terms;
    json!({
        "id": v.id,
        "vendor": t.vendor,
        "product": t.product,
        "edition": t.edition,
        "metric": t.metric,
        "quantity": t.quantity,
        "status": v.status.as_str(),
        "start": t.start.to_string(),
        "end": t.end.map(|d| d.to_string()),
        "recorded_end": v.recorded_end.map(|d| d.to_string()),
        "maintenance_end": t.maintenance_end.map(|d| d.to_string()),
        "cancelled_on": v.cancelled_on.map(|d| d.to_string()),
        "cost": t.cost.as_ref().map(|m| m.amount.to_string()),
        "currency": t.cost.as_ref().map(|m| m.currency.clone()),
        "po": t.po,
        "reseller": t.reseller,
        "owner": t.owner,
        "notice_days": t.notice_days,
        "auto_renew": t.auto_renew,
        "renewal_months": t.renewal_months,
        "tags": t.tags,
        "purchased_seq": v.purchased_seq,
        "documents": v.documents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_colours() {
        assert_eq!(status_paint(Status::RenewedAssumed), Some(Paint::Yellow));
        assert_eq!(status_paint(Status::Expired), Some(Paint::Dim));
        assert_eq!(status_paint(Status::Cancelled), Some(Paint::Dim));
        assert_eq!(status_paint(Status::Active), None);
        assert_eq!(status_paint(Status::Pending), None);
    }
}
