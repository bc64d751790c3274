//! The pack's CSV files, computed from the re-fold: the position with
//! its money, the licenses visible on the date, and every usage count.
//!
//! From pack format 2 they are written as `--format csv` writes (UTF-8
//! with a byte order mark, a would-be formula prefixed with `'`: they go
//! to outsiders and carry imported text); format 1 wrote plain RFC 4180,
//! kept so that an older pack's files re-derive byte for byte.

use entitle_core::position::{PricePer, ReviewedRow};
use entitle_core::timeline::{counts, LicenseView};
use entitle_core::{Event, Record};
use entitle_sheet::CsvWriter;
use jiff::civil::Date;

use super::fold::voids;
use super::Layout;

/// One CSV file being written in a pack format's way.
enum Csv {
    /// Format 1: RFC 4180, no byte order mark, no formula guard.
    Plain(String),
    /// Format 2 on: entitle-sheet's writer, as `--format csv`.
    Sheet(Box<CsvWriter<Vec<u8>>>),
}

impl Csv {
    fn new(layout: Layout) -> Self {
        match layout {
            Layout::V1 => Csv::Plain(String::new()),
            Layout::V2 => Csv::Sheet(Box::new(
                CsvWriter::new(Vec::new()).expect("writing to memory cannot fail"),
            )),
        }
    }

    fn row<S: AsRef<str>>(&mut self, fields: &[S]) {
        match self {
            Csv::Plain(out) => {
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    plain_field(out, f.as_ref());
                }
                out.push_str("\r\n");
            }
            Csv::Sheet(w) => w
                .write_record(fields)
                .expect("writing to memory cannot fail"),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Csv::Plain(out) => out.into_bytes(),
            Csv::Sheet(w) => w.finish().expect("writing to memory cannot fail"),
        }
    }
}

fn plain_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

pub(super) fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The position with the money on each side (the columns after `status`
/// were added later; readers should select columns by name).
pub(super) fn position_csv(
    layout: Layout,
    rows: &[ReviewedRow],
    as_of: Date,
    known: u64,
) -> Vec<u8> {
    let mut out = Csv::new(layout);
    out.row(&[
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
    ]);
    for rr in rows {
        let (r, m) = (&rr.row, &rr.money);
        let mut licenses = r.licenses.clone();
        licenses.sort();
        out.row(&[
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
        ]);
    }
    out.finish()
}

pub(super) fn licenses_csv(layout: Layout, views: &[LicenseView]) -> Vec<u8> {
    let mut out = Csv::new(layout);
    out.row(&[
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
    ]);
    for v in views {
        let t = &v.terms;
        out.row(&[
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
        ]);
    }
    out.finish()
}

pub(super) fn usage_csv(layout: Layout, records: &[Record], as_of: Date, known: u64) -> Vec<u8> {
    let voided = voids(records);
    let mut out = Csv::new(layout);
    out.row(&[
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
    ]);
    for r in records {
        let Event::UsageRecorded(u) = &r.event else {
            continue;
        };
        let voided_by = voided.get(&r.seq).copied();
        let counted = r.effective <= as_of && counts(r.seq, voided_by, known);
        out.row(&[
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
        ]);
    }
    out.finish()
}
