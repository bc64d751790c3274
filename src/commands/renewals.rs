//! `entitle renewals`: terms ending in (as-of, as-of + within], each with
//! its last day to cancel, and optionally an iCalendar file of the
//! deadlines.
//!
//! `cancel_by` = end − notice days, in calendar days (jiff date
//! arithmetic: leap days and year ends count as the days they are). A
//! license without a notice period has `notice_days: null` and
//! `cancel_by` = end; the calendar then gets only its end date.

use entitle_app::Scope;
use std::process::ExitCode;

use anyhow::Result;
use entitle_app::query::{Renewals, RenewalsRequest};
use entitle_app::Open;

use crate::cli::{Cli, Format, RenewalsArgs};
use crate::output::{self, or_dash, Align, Paint, Table};
use crate::remote::Remote;
use crate::request;

pub fn run(cli: &Cli, a: &RenewalsArgs) -> Result<ExitCode> {
    let req = RenewalsRequest {
        as_of: a.as_of.clone(),
        within: a.within,
        known_at: a.known_at.clone(),
    };
    let renewals = match Remote::from_cli(cli)? {
        Some(_) if a.ics.is_some() => anyhow::bail!(
            "--ics does not run through --server: subscribe to your calendar link instead \
             (POST /api/v1/calendar, docs/API.md), or run the command on the machine that holds the store"
        ),
        Some(remote) => {
            let mut r: Renewals = remote.get(
                "/api/v1/renewals",
                &[
                    ("as_of", req.as_of.clone()),
                    ("within", Some(req.within.to_string())),
                    ("known_at", req.known_at.clone()),
                ],
            )?;
            r.restore()?;
            r
        }
        None => {
            let store = request::open(cli, Open::MustExist, "entitle renewals")?;
            entitle_app::query::renewals(&store, &Scope::All, &req)?
        }
    };
    if let Some(path) = &a.ics {
        let ics = entitle_app::query::calendar(&renewals)?;
        entitle_app::files::write_atomically(path, ics.as_bytes(), true)?;
    }
    match a.output.format() {
        Format::Csv => write_csv(&renewals)?,
        Format::Json => output::json(&renewals)?,
        Format::Table => {
            print(&renewals)?;
            if let Some(path) = &a.ics {
                println!("calendar written to {}", path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print(r: &Renewals) -> Result<()> {
    // The window says what --within was, and the line fits 80 columns.
    let as_of: jiff::civil::Date = r.as_of.parse()?;
    println!(
        "terms ending {}..{} (as of {as_of}), as known at #{}",
        as_of.tomorrow().unwrap_or(as_of),
        r.until,
        r.known_at_seq
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
    for r in &r.renewals {
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
        Ok(())
    } else {
        t.print()
    }
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
fn write_csv(r: &Renewals) -> Result<()> {
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut w = entitle_sheet::CsvWriter::new(out)?;
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
    for r in &r.renewals {
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
