//! `entitle position`

use std::process::ExitCode;

use anyhow::Result;
use entitle_core::position::{vendor_matches, PositionRow};
use entitle_store::Access;
use serde::Serialize;
use serde_json::{json, Value};

use crate::cli::{Cli, QueryArgs};
use crate::output::{self, or_dash, Align, Table};
use crate::request;

pub fn run(cli: &Cli, a: &QueryArgs) -> Result<ExitCode> {
    let as_of = request::as_of(a.as_of.as_deref())?;
    let known_at = request::known_at(a.known_at.as_deref())?;
    let store = request::open(cli, Access::Read, "entitle position")?;
    let known = store.known_seq(known_at)?;
    let rows: Vec<PositionRow> = store
        .position(as_of, known)?
        .into_iter()
        .filter(|r| vendor_matches(a.vendor.as_deref(), &r.vendor))
        .collect();
    if a.format.as_deref() == Some("csv") {
        let rows: Vec<Value> = rows.iter().map(row_json).collect();
        let columns = rows
            .first()
            .map(super::sheet_out::columns_of)
            .unwrap_or_default();
        super::sheet_out::write(&columns, &rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    if a.json || a.format.as_deref() == Some("json") {
        #[derive(Serialize)]
        struct Out {
            as_of: String,
            known_at_seq: u64,
            products: Vec<Value>,
        }
        return output::json(&Out {
            as_of: as_of.to_string(),
            known_at_seq: known,
            products: rows.iter().map(row_json).collect(),
        })
        .map(|()| ExitCode::SUCCESS);
    }
    println!("position as of {as_of}, as known at #{known}");
    print_table(&rows)?;
    Ok(ExitCode::SUCCESS)
}

pub fn print_table(rows: &[PositionRow]) -> Result<()> {
    let mut t = Table::new(&[
        ("VENDOR", Align::Left, true),
        ("PRODUCT", Align::Left, true),
        ("METRIC", Align::Left, false),
        ("ENTITLED", Align::Right, false),
        ("USED", Align::Right, false),
        ("BALANCE", Align::Right, false),
        ("STATUS", Align::Left, false),
    ]);
    for r in rows {
        t.row(vec![
            r.vendor.clone(),
            r.product.clone(),
            r.metric.to_string(),
            r.entitled.to_string(),
            or_dash(r.used.as_ref().map(|u| u.count)),
            r.balance.map_or_else(
                || "-".into(),
                |b| if b == 0 { "0".into() } else { format!("{b:+}") },
            ),
            r.status.as_str().to_owned(),
        ]);
    }
    if t.is_empty() {
        println!("(no products)");
        Ok(())
    } else {
        t.print()
    }
}

/// A row in the JSON of `position` (stable field names).
pub fn row_json(r: &PositionRow) -> Value {
    json!({
        "vendor": r.vendor,
        "product": r.product,
        "metric": r.metric,
        "entitled": r.entitled,
        "used": r.used.as_ref().map(|u| u.count),
        "balance": r.balance.map(|b| i64::try_from(b).unwrap_or(if b < 0 { i64::MIN } else { i64::MAX })),
        "status": r.status.as_str(),
        "licenses": r.licenses,
        "used_date": r.used.as_ref().map(|u| u.date.to_string()),
        "used_seq": r.used.as_ref().map(|u| u.seq),
        "used_source": r.used.as_ref().and_then(|u| u.source.clone()),
    })
}
