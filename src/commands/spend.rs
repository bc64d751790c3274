//! `entitle spend`: what was paid per vendor and product per calendar year.
//!
//! Every counted cost-carrying event (a `purchased`, `extended` or
//! `adjusted` with a cost) as known at `--known-at`, voided ones excluded,
//! falls in the calendar year of its effective date. Amounts are summed
//! per year, vendor, product and currency: each currency separately, never
//! converted. Vendors and products are grouped case-insensitively and shown
//! as first typed.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Result;
use entitle_core::position::vendor_matches;
use entitle_core::timeline::{counts, Change};
use entitle_core::types::match_key;
use entitle_store::Open;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Value};

use crate::cli::{Cli, SpendArgs};
use crate::output::{self, Align, Table};
use crate::request;

#[derive(Default)]
struct Acc {
    vendor: String,
    product: String,
    amount: Decimal,
    events: u64,
}

pub fn run(cli: &Cli, a: &SpendArgs) -> Result<ExitCode> {
    let known_at = request::known_at(a.known_at.as_deref())?;
    let store = request::open(cli, Open::MustExist, "entitle spend")?;
    let known = store.known_seq(known_at)?;
    // (year, vendor key, product key, currency) → sum
    let mut groups: BTreeMap<(i16, String, String, String), Acc> = BTreeMap::new();
    for t in store.timelines()? {
        let Some((purchase, terms)) = t.purchase() else {
            continue;
        };
        if !counts(purchase.seq, purchase.voided_by, known)
            || !vendor_matches(a.vendor.as_deref(), &terms.vendor)
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
            if a.year.is_some_and(|y| y != year) {
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
    let mut totals: BTreeMap<(i16, &str), Decimal> = BTreeMap::new();
    for ((year, _, _, currency), acc) in &groups {
        *totals.entry((*year, currency.as_str())).or_default() += acc.amount;
    }
    let rows: Vec<Value> = groups
        .iter()
        .map(|((year, _, _, currency), acc)| {
            json!({
                "year": year,
                "vendor": acc.vendor,
                "product": acc.product,
                "currency": currency,
                "amount": acc.amount.to_string(),
                "events": acc.events,
            })
        })
        .collect();
    if a.output.format() == crate::cli::Format::Csv {
        let columns = ["year", "vendor", "product", "currency", "amount", "events"];
        super::sheet_out::write(&columns, &rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    if a.output.format() == crate::cli::Format::Json {
        #[derive(Serialize)]
        struct Out {
            known_at_seq: u64,
            year: Option<i16>,
            vendor: Option<String>,
            spend: Vec<Value>,
            totals: Vec<Value>,
        }
        return output::json(&Out {
            known_at_seq: known,
            year: a.year,
            vendor: a.vendor.clone(),
            spend: rows,
            totals: totals
                .iter()
                .map(|((y, c), amount)| {
                    json!({"year": y, "currency": c, "amount": amount.to_string()})
                })
                .collect(),
        })
        .map(|()| ExitCode::SUCCESS);
    }
    println!("spend as known at #{known}");
    let mut t = Table::new(&[
        ("YEAR", Align::Left, false),
        ("VENDOR", Align::Left, true),
        ("PRODUCT", Align::Left, true),
        ("AMOUNT", Align::Right, false),
        ("CUR", Align::Left, false),
        ("EVENTS", Align::Right, false),
    ]);
    for ((year, _, _, currency), acc) in &groups {
        t.row(vec![
            year.to_string(),
            acc.vendor.clone(),
            acc.product.clone(),
            acc.amount.to_string(),
            currency.clone(),
            acc.events.to_string(),
        ]);
    }
    if t.is_empty() {
        println!("(no costs recorded)");
        return Ok(ExitCode::SUCCESS);
    }
    t.print()?;
    for ((year, currency), amount) in &totals {
        println!("total {year}: {amount} {currency}");
    }
    Ok(ExitCode::SUCCESS)
}
