//! The pack's CSV files, computed from the re-fold: the position with
//! its money, the licenses visible on the date, and every usage count.

use entitle_core::position::{PricePer, ReviewedRow};
use entitle_core::timeline::{counts, LicenseView};
use entitle_core::{Event, Record};
use jiff::civil::Date;

use super::fold::voids;

fn csv_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

fn csv_row<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, f.as_ref());
    }
    out.push_str("\r\n");
}

pub(super) fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The position with the money on each side (the columns after `status`
/// were added later; readers should select columns by name).
pub(super) fn position_csv(rows: &[ReviewedRow], as_of: Date, known: u64) -> String {
    let mut out = String::new();
    csv_row(
        &mut out,
        &[
            "as_of",
            "known_at_seq",
            "vendor",
            "product",
            "metric",
            "entitled",
            "licenses",
            "used",
            "used_date",
            "used_seq",
            "used_source",
            "balance",
            "status",
            "stale",
            "unit_price",
            "currency",
            "price_per",
            "shortfall_cost",
            "unused_cost",
        ],
    );
    for rr in rows {
        let (r, m) = (&rr.row, &rr.money);
        let mut licenses = r.licenses.clone();
        licenses.sort();
        csv_row(
            &mut out,
            &[
                as_of.to_string(),
                known.to_string(),
                r.vendor.clone(),
                r.product.clone(),
                r.metric.to_string(),
                r.entitled.to_string(),
                licenses.join(" "),
                opt(r.used.as_ref().map(|u| u.count)),
                opt(r.used.as_ref().map(|u| u.date)),
                opt(r.used.as_ref().map(|u| u.seq)),
                opt(r.used.as_ref().and_then(|u| u.source.clone())),
                opt(r.balance),
                r.status.as_str().to_owned(),
                rr.stale.to_string(),
                opt(m.unit_price),
                opt(m.currency.clone()),
                opt(m.per.map(PricePer::as_str)),
                opt(m.shortfall_cost),
                opt(m.unused_cost),
            ],
        );
    }
    out
}

pub(super) fn licenses_csv(views: &[LicenseView]) -> String {
    let mut out = String::new();
    csv_row(
        &mut out,
        &[
            "id",
            "vendor",
            "product",
            "edition",
            "metric",
            "quantity",
            "status",
            "start",
            "end",
            "cancelled_on",
            "maintenance_end",
            "cost",
            "currency",
            "po",
            "reseller",
            "purchased_seq",
        ],
    );
    for v in views {
        let t = &v.terms;
        csv_row(
            &mut out,
            &[
                v.id.clone(),
                t.vendor.clone(),
                t.product.clone(),
                opt(t.edition.clone()),
                t.metric.to_string(),
                t.quantity.to_string(),
                v.status.as_str().to_owned(),
                t.start.to_string(),
                opt(t.end),
                opt(v.cancelled_on),
                opt(t.maintenance_end),
                opt(t.cost.as_ref().map(|m| m.amount)),
                opt(t.cost.as_ref().map(|m| m.currency.clone())),
                opt(t.po.clone()),
                opt(t.reseller.clone()),
                v.purchased_seq.to_string(),
            ],
        );
    }
    out
}

pub(super) fn usage_csv(records: &[Record], as_of: Date, known: u64) -> String {
    let voided = voids(records);
    let mut out = String::new();
    csv_row(
        &mut out,
        &[
            "seq",
            "recorded_at",
            "date",
            "vendor",
            "product",
            "metric",
            "count",
            "source",
            "voided_by",
            "counts_on_as_of",
        ],
    );
    for r in records {
        let Event::UsageRecorded(u) = &r.event else {
            continue;
        };
        let voided_by = voided.get(&r.seq).copied();
        let counted = r.effective <= as_of && counts(r.seq, voided_by, known);
        csv_row(
            &mut out,
            &[
                r.seq.to_string(),
                r.recorded_at.to_string(),
                r.effective.to_string(),
                u.vendor.trim().to_owned(),
                u.product.trim().to_owned(),
                u.metric.to_string(),
                u.count.to_string(),
                opt(u.source.clone()),
                opt(voided_by),
                if counted { "yes" } else { "no" }.to_owned(),
            ],
        );
    }
    out
}
