//! `entitle renewals`: terms ending in (as-of, as-of + within], each with
//! its last day to cancel, and optionally an iCalendar file of the
//! deadlines.
//!
//! `cancel_by` = end − notice days, in calendar days (jiff date
//! arithmetic: leap days and year ends count as the days they are). A
//! license without a notice period has `notice_days: null` and
//! `cancel_by` = end; the calendar then gets only its end date.

use std::process::ExitCode;

use anyhow::{anyhow, Context as _, Result};
use entitle_core::{LicenseView, Status};
use entitle_ical::{AllDayEvent, Calendar};
use entitle_sheet::CsvWriter;
use entitle_store::Store;
use jiff::civil::Date;
use jiff::{Span, Timestamp};
use serde::Serialize;

use crate::cli::{Cli, RenewalsArgs};
use crate::output::{self, or_dash, Align, Paint, Table};
use crate::request;

#[derive(Debug, Serialize)]
struct Renewal {
    id: String,
    vendor: String,
    product: String,
    end: String,
    notice_days: Option<u32>,
    cancel_by: String,
    auto_renew: bool,
    owner: Option<String>,
    status: &'static str,
    /// Cost of the next term: the latest cost recorded.
    cost: Option<String>,
    currency: Option<String>,
    /// The highest seq that touched this license (the calendar SEQUENCE).
    last_seq: u64,
}

#[derive(Debug, Serialize)]
struct Out {
    as_of: String,
    within_days: u32,
    known_at_seq: u64,
    renewals: Vec<Renewal>,
}

pub fn run(cli: &Cli, a: &RenewalsArgs) -> Result<ExitCode> {
    let (mut store, as_of, known) = request::open_query(
        cli,
        "entitle renewals",
        a.as_of.as_deref(),
        a.known_at.as_deref(),
    )?;
    let until = as_of
        .checked_add(Span::new().days(i64::from(a.within)))
        .map_err(|e| anyhow!("--within {}: {e}", a.within))?;

    let mut list = Vec::new();
    for v in store.licenses_at(as_of, known)? {
        if !v.status.is_entitled() {
            continue;
        }
        let Some(end) = v.terms.end else { continue };
        if end <= as_of || end > until {
            continue;
        }
        list.push(renewal(&store, &v, end, as_of, known)?);
    }
    list.sort_by(|x, y| (&x.cancel_by, &x.id).cmp(&(&y.cancel_by, &y.id)));

    if let Some(path) = &a.ics {
        let dtstamp = if known == 0 {
            Timestamp::UNIX_EPOCH
        } else {
            store.record(known)?.recorded_at
        };
        let ics = calendar(&store.info().store_id, &list)
            .to_ics(dtstamp)
            .map_err(|e| anyhow!("cannot build the calendar: {e}"))?;
        std::fs::write(path, ics).with_context(|| format!("cannot write {}", path.display()))?;
    }

    let format = a.output.format();
    if format == crate::cli::Format::Csv {
        write_csv(&list)?;
        return Ok(ExitCode::SUCCESS);
    }
    if format == crate::cli::Format::Json {
        output::json(&Out {
            as_of: as_of.to_string(),
            within_days: a.within,
            known_at_seq: known,
            renewals: list,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    // The window says what --within was, and the line fits 80 columns.
    println!(
        "terms ending {}..{until} (as of {as_of}), as known at #{known}",
        as_of.tomorrow().unwrap_or(as_of),
    );
    // Vendor and product share a column and the notice period is headed
    // DAYS, so that a row with every column fits 80 columns.
    let mut t = Table::new(&[
        ("ID", Align::Left, false),
        ("PRODUCT", Align::Left, true),
        ("END", Align::Left, false),
        ("DAYS", Align::Right, false),
        ("CANCEL BY", Align::Left, false),
        ("AUTO", Align::Left, false),
        ("OWNER", Align::Left, true),
        ("STATUS", Align::Left, false),
    ]);
    for r in &list {
        let cells = vec![
            r.id.clone(),
            format!("{} {}", r.vendor, r.product),
            r.end.clone(),
            or_dash(r.notice_days),
            r.cancel_by.clone(),
            if r.auto_renew { "yes" } else { "no" }.to_owned(),
            or_dash(r.owner.clone()),
            r.status.to_owned(),
        ];
        t.painted_row(cells, STATUS_COLUMN, status_paint(r.status));
    }
    if t.is_empty() {
        println!("(no terms end in this window)");
    } else {
        t.print()?;
    }
    if let Some(path) = &a.ics {
        println!("calendar written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The STATUS column of the table.
const STATUS_COLUMN: usize = 7;

/// The colour of a status in the table: red when the last day to cancel
/// has passed (the money is committed), yellow for a renewal only assumed
/// (confirm it with `extend` or `cancel`), none while there is still time.
fn status_paint(status: &str) -> Option<Paint> {
    match status {
        "deadline-passed" => Some(Paint::Red),
        "renewed-assumed" => Some(Paint::Yellow),
        _ => None,
    }
}

/// RFC 4180 CSV with a UTF-8 byte order mark, so Excel shows umlauts.
fn write_csv(list: &[Renewal]) -> Result<()> {
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut w = CsvWriter::new(out)?;
    w.write_record([
        "id",
        "vendor",
        "product",
        "end",
        "notice_days",
        "cancel_by",
        "auto_renew",
        "owner",
        "status",
        "cost",
        "currency",
    ])?;
    for r in list {
        w.write_record([
            r.id.clone(),
            r.vendor.clone(),
            r.product.clone(),
            r.end.clone(),
            r.notice_days.map(|n| n.to_string()).unwrap_or_default(),
            r.cancel_by.clone(),
            if r.auto_renew { "yes" } else { "no" }.to_owned(),
            r.owner.clone().unwrap_or_default(),
            r.status.to_owned(),
            r.cost.clone().unwrap_or_default(),
            r.currency.clone().unwrap_or_default(),
        ])?;
    }
    w.finish()?;
    Ok(())
}

fn renewal(store: &Store, v: &LicenseView, end: Date, as_of: Date, known: u64) -> Result<Renewal> {
    let notice = v.terms.notice_days.unwrap_or(0);
    let cancel_by = end
        .checked_sub(Span::new().days(i64::from(notice)))
        .map_err(|e| anyhow!("license {}: end {end} minus {notice} days: {e}", v.id))?;
    let status = if v.status == Status::RenewedAssumed {
        "renewed-assumed"
    } else if cancel_by < as_of {
        "deadline-passed"
    } else {
        "open"
    };
    // Every event known at `known` that touched the license, and every void
    // of one: the SEQUENCE grows whenever the license changed.
    let last_seq = store.timeline(&v.id)?.map_or(v.purchased_seq, |t| {
        t.entries
            .iter()
            .filter(|e| e.seq <= known)
            .flat_map(|e| {
                let void = e.voided_by.filter(|s| *s <= known);
                std::iter::once(e.seq).chain(void)
            })
            .max()
            .unwrap_or(v.purchased_seq)
    });
    Ok(Renewal {
        id: v.id.clone(),
        vendor: v.terms.vendor.clone(),
        product: v.terms.product.clone(),
        end: end.to_string(),
        notice_days: v.terms.notice_days,
        cancel_by: cancel_by.to_string(),
        auto_renew: v.terms.auto_renew,
        owner: v.terms.owner.clone(),
        status,
        cost: v.last_cost.as_ref().map(|(m, _)| m.amount.to_string()),
        currency: v.last_cost.as_ref().map(|(m, _)| m.currency.clone()),
        last_seq,
    })
}

fn calendar(store_id: &str, list: &[Renewal]) -> Calendar {
    let mut events = Vec::new();
    for r in list {
        let sequence = u32::try_from(r.last_seq).unwrap_or(u32::MAX);
        let what = format!("{} {} ({})", r.vendor, r.product, r.id);
        let owner = r
            .owner
            .as_deref()
            .map(|o| format!("\nOwner: {o}"))
            .unwrap_or_default();
        let renews = if r.auto_renew {
            "It renews automatically unless cancelled."
        } else {
            "It does not renew automatically."
        };
        if let (Some(days), Ok(date)) = (r.notice_days, r.cancel_by.parse::<Date>()) {
            events.push(AllDayEvent {
                uid: format!("{store_id}-{}-cancel-by@entitle", r.id),
                sequence,
                date,
                summary: format!("Last day to cancel: {what}"),
                description: format!(
                    "The term ends on {}; the notice period is {days} days. {renews}{owner}",
                    r.end
                ),
                alarms_days_before: vec![30, 7],
            });
        }
        if let Ok(date) = r.end.parse::<Date>() {
            events.push(AllDayEvent {
                uid: format!("{store_id}-{}-end@entitle", r.id),
                sequence,
                date,
                summary: format!("Term ends: {what}"),
                description: format!("Last day of the term. {renews}{owner}"),
                alarms_days_before: vec![30, 7],
            });
        }
    }
    Calendar {
        prodid: format!("-//entitle//entitle {}//EN", env!("CARGO_PKG_VERSION")),
        name: "entitle renewals".into(),
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_colours() {
        assert_eq!(status_paint("deadline-passed"), Some(Paint::Red));
        assert_eq!(status_paint("renewed-assumed"), Some(Paint::Yellow));
        assert_eq!(status_paint("open"), None);
    }
}
