//! `entitle spend`: what was paid per vendor and product per calendar year.

use entitle_app::Scope;
use std::process::ExitCode;

use anyhow::Result;
use entitle_app::query::{Spend, SpendRequest};
use entitle_app::Open;

use crate::cli::{Cli, Format, SpendArgs};
use crate::output::{self, Align, Table};
use crate::remote::Remote;
use crate::request;

pub fn run(cli: &Cli, a: &SpendArgs) -> Result<ExitCode> {
    let req = SpendRequest {
        year: a.year,
        vendor: a.vendor.clone(),
        known_at: a.known_at.clone(),
    };
    let spend: Spend = match Remote::from_cli(cli)? {
        Some(remote) => remote.get(
            "/api/v1/spend",
            &[
                ("year", req.year.map(|y| y.to_string())),
                ("vendor", req.vendor.clone()),
                ("known_at", req.known_at.clone()),
            ],
        )?,
        None => {
            let store = request::open(cli, Open::MustExist, "entitle spend")?;
            entitle_app::query::spend(&store, &Scope::All, &req)?
        }
    };
    match a.output.format() {
        Format::Csv => {
            super::sheet_out::write_rows(entitle_app::query::Spend::CSV_COLUMNS, &spend.spend)?
        }
        Format::Json => output::json(&spend)?,
        Format::Table => print(&spend)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print(spend: &Spend) -> Result<()> {
    println!("spend as known at #{}", spend.known_at_seq);
    let mut t = Table::new(&[
        ("YEAR", Align::Left, false),
        ("VENDOR", Align::Left, true),
        ("PRODUCT", Align::Left, true),
        ("AMOUNT", Align::Right, false),
        ("CUR", Align::Left, false),
        ("EVENTS", Align::Right, false),
    ]);
    for r in &spend.spend {
        t.row(vec![
            r.year.to_string(),
            r.vendor.clone(),
            r.product.clone(),
            r.amount.clone(),
            r.currency.clone(),
            r.events.to_string(),
        ]);
    }
    if t.is_empty() {
        println!("(no costs recorded)");
        return Ok(());
    }
    t.print()?;
    for total in &spend.totals {
        println!("total {}: {} {}", total.year, total.amount, total.currency);
    }
    Ok(())
}
