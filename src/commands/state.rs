//! `entitle state`

use entitle_app::Scope;
use std::process::ExitCode;

use anyhow::Result;
use entitle_app::query::State;
use entitle_app::Open;
use entitle_core::Status;

use crate::cli::{Cli, Format, QueryArgs};
use crate::output::{self, or_dash, Align, Paint, Table};
use crate::remote::Remote;
use crate::request;

pub fn run(cli: &Cli, a: &QueryArgs) -> Result<ExitCode> {
    let query = request::query(a);
    let state = match Remote::from_cli(cli)? {
        Some(remote) => {
            let mut s: State = remote.get("/api/v1/state", &request::query_params(&query))?;
            s.restore()?;
            s
        }
        None => {
            let store = request::open(cli, Open::MustExist, "entitle state")?;
            entitle_app::query::state(&store, &Scope::All, &query)?
        }
    };
    match a.output.format() {
        Format::Csv => {
            super::sheet_out::write_rows(entitle_app::query::State::CSV_COLUMNS, &state.licenses)?
        }
        Format::Json => output::json(&state)?,
        Format::Table => print(&state)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print(state: &State) -> Result<()> {
    println!(
        "licenses as of {}, as known at #{}",
        state.as_of, state.known_at_seq
    );
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
    for v in &state.licenses {
        let cells = vec![
            v.id.clone(),
            v.vendor.clone(),
            v.product.clone(),
            v.metric.to_string(),
            v.quantity.to_string(),
            v.status.to_owned(),
            v.start.clone(),
            or_dash(v.end.clone()),
        ];
        t.painted_row(cells, STATUS_COLUMN, status_paint(v.status_kind));
    }
    if t.is_empty() {
        println!("(no licenses)");
        Ok(())
    } else {
        t.print()
    }
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
