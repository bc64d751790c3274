//! `entitle import licenses`: the license spreadsheet an SME already keeps.
//!
//! Every row is read and checked before anything is written; any bad row
//! is reported as `FILE:LINE: what is wrong` and nothing is recorded. A good
//! file becomes one `purchased` event per row (effective = its start date),
//! appended in one batch (one `store.append`, one fsync). The id of each
//! license is generated (`L-0007`); the file's `notes` become the event's
//! note.

use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};
use entitle_core::ledger::Draft;
use entitle_core::record::{Event, Purchased};
use entitle_core::types::parse_currency;
use entitle_core::Quantity;
use entitle_sheet::{
    parse_count, Column, ColumnMap, DateFormat, NumberStyle, ReadOptions, Schema, ValueError,
};
use entitle_store::Access;
use serde_json::{json, Value};

use crate::cli::{Cli, ImportLicensesArgs};
use crate::output::{self, Align, Table};
use crate::request;

fn schema() -> Schema {
    Schema::new([
        Column::required("vendor")
            .alias("Hersteller")
            .alias("Anbieter"),
        Column::required("product")
            .alias("Produkt")
            .alias("Software"),
        Column::required("metric")
            .alias("Metrik")
            .alias("Lizenzmetrik"),
        Column::required("quantity")
            .alias("qty")
            .alias("Menge")
            .alias("Anzahl")
            .alias("Lizenzen"),
        Column::required("start")
            .alias("Beginn")
            .alias("Laufzeitbeginn")
            .alias("Start date"),
        Column::optional("end")
            .alias("Ende")
            .alias("Laufzeitende")
            .alias("End date"),
        Column::optional("cost").alias("Kosten").alias("Preis"),
        Column::optional("currency").alias("Währung"),
        Column::optional("po")
            .alias("PO number")
            .alias("Bestellnummer")
            .alias("Bestellung"),
        Column::optional("owner")
            .alias("Verantwortlich")
            .alias("Ansprechpartner"),
        Column::optional("notice days")
            .alias("Kündigungsfrist")
            .alias("Kündigungsfrist Tage"),
        Column::optional("auto-renew")
            .alias("auto renewal")
            .alias("Automatische Verlängerung")
            .alias("Autoverlängerung"),
        Column::optional("notes")
            .alias("note")
            .alias("Bemerkung")
            .alias("Bemerkungen")
            .alias("Notizen"),
    ])
}

pub fn run(cli: &Cli, a: &ImportLicensesArgs) -> Result<ExitCode> {
    let name = a.file.display().to_string();
    if a.file.is_dir() {
        bail!("{name} is a directory; give a CSV file");
    }
    let map: ColumnMap = match &a.map {
        Some(m) => m.parse().map_err(|e| anyhow!("--map {m:?}: {e}"))?,
        None => ColumnMap::new(),
    };
    let date_format: DateFormat = a
        .date_format
        .parse()
        .map_err(|e: ValueError| anyhow!("--date-format: {}", e.message()))?;
    let (drafts, lines) = read_rows(a, map, date_format)?;
    if drafts.is_empty() {
        bail!("{name} has a header but no rows; nothing was recorded");
    }
    if a.dry_run {
        if a.json {
            let rows: Vec<Value> = drafts.iter().zip(&lines).map(draft_json).collect();
            output::json(
                &json!({"file": name, "dry_run": true, "rows": rows.len(), "would_record": rows}),
            )?;
        } else {
            print_drafts(&drafts, &lines)?;
            println!(
                "{name}: {} row(s) valid; would record {} purchase(s) (dry run: nothing was recorded)",
                drafts.len(),
                drafts.len()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut store = request::open(cli, Access::Write, "entitle import licenses")?;
    let ctx = request::context(cli);
    let appended = store
        .append(drafts, &ctx)
        .map_err(|e| super::sheet_in::refused(e, &name, &lines))?;
    let (first, last) = (appended[0].seq, appended[appended.len() - 1].seq);
    let ids: Vec<String> = appended.iter().filter_map(|a| a.id.clone()).collect();
    if a.json {
        output::json(
            &json!({"file": name, "dry_run": false, "rows": appended.len(),
            "first_seq": first, "last_seq": last, "ids": ids}),
        )?;
    } else {
        println!(
            "recorded {} purchases from {name}: #{first}..#{last} ({}..{})",
            appended.len(),
            ids.first().map_or("", String::as_str),
            ids.last().map_or("", String::as_str)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads and checks every row; any problem fails the whole file.
fn read_rows(
    a: &ImportLicensesArgs,
    map: ColumnMap,
    date_format: DateFormat,
) -> Result<(Vec<Draft>, Vec<u64>)> {
    let options = ReadOptions {
        map,
        date_format,
        ..ReadOptions::default()
    };
    super::sheet_in::read_drafts(&a.file, &schema(), &options, |row, style, problems| {
        let vendor = problems.check(row.text("vendor").map(str::to_owned));
        let product = problems.check(row.text("product").map(str::to_owned));
        let metric = problems.check(row.parse_with("metric", super::sheet_in::parse_metric));
        let qty = problems.check(row.parse_with("quantity", |s| parse_quantity(s, style)));
        let start = problems.check(row.date("start"));
        let end = problems.check(row.optional_date("end"));
        let cost = problems.check(row.optional_money("cost"));
        let currency = problems.check(row.parse_optional_with("currency", |s| {
            parse_currency(s).map_err(|_| {
                ValueError::new(format!(
                    "`{s}` is not a currency; write a code like EUR or USD"
                ))
            })
        }));
        let notice = problems.check(row.parse_optional_with("notice days", |s| {
            parse_count(s, style).and_then(|n| {
                u32::try_from(n).map_err(|_| ValueError::new(format!("`{s}` days is too many")))
            })
        }));
        let auto_renew = problems.check(row.boolean("auto-renew"));
        let (
            Some(vendor),
            Some(product),
            Some(metric),
            Some(qty),
            Some(start),
            Some(end),
            Some(cost),
            Some(currency),
            Some(notice_days),
            Some(auto_renew),
        ) = (
            vendor, product, metric, qty, start, end, cost, currency, notice, auto_renew,
        )
        else {
            return None;
        };
        if let Some(end) = end {
            if end < start {
                problems.push(row.invalid(format!("end {end} is before start {start}")));
                return None;
            }
        }
        match (&cost, &currency) {
            (Some(c), None) => {
                problems.push(row.field_error(
                    "currency",
                    ValueError::new(format!("cost {c} needs a currency (EUR, USD, …)")),
                ));
                return None;
            }
            (None, Some(c)) => {
                problems.push(row.field_error(
                    "cost",
                    ValueError::new(format!("currency {c} is given without a cost")),
                ));
                return None;
            }
            _ => {}
        }
        Some(Draft {
            event: Event::Purchased(Purchased {
                id: String::new(),
                vendor,
                product,
                edition: None,
                metric,
                qty,
                start,
                end,
                maintenance_end: None,
                cost,
                currency,
                po: row.optional_text("po").map(str::to_owned),
                reseller: None,
                owner: row.optional_text("owner").map(str::to_owned),
                notice_days,
                auto_renew,
                renewal_months: None,
                tags: Vec::new(),
            }),
            effective: Some(start),
            note: row.optional_text("notes").map(str::to_owned),
        })
    })
}

fn parse_quantity(text: &str, style: NumberStyle) -> Result<Quantity, ValueError> {
    let t = text.trim();
    if ["unlimited", "unbegrenzt", "unbeschränkt"]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
    {
        return Ok(Quantity::Unlimited);
    }
    match parse_count(t, style)? {
        0 => Err(ValueError::new(
            "quantity 0: a license grants at least 1 (or `unlimited`)",
        )),
        n => Ok(Quantity::Count(n)),
    }
}

fn draft_json((d, line): (&Draft, &u64)) -> Value {
    let Event::Purchased(p) = &d.event else {
        return Value::Null;
    };
    json!({
        "line": line,
        "type": "purchased",
        "effective": d.effective.map(|e| e.to_string()),
        "vendor": p.vendor,
        "product": p.product,
        "metric": p.metric,
        "qty": p.qty,
        "start": p.start.to_string(),
        "end": p.end.map(|e| e.to_string()),
        "cost": p.cost.map(|c| c.to_string()),
        "currency": p.currency,
        "po": p.po,
        "owner": p.owner,
        "notice_days": p.notice_days,
        "auto_renew": p.auto_renew,
        "note": d.note,
    })
}

fn print_drafts(drafts: &[Draft], lines: &[u64]) -> Result<()> {
    let mut t = Table::new(&[
        ("LINE", Align::Right, false),
        ("VENDOR", Align::Left, true),
        ("PRODUCT", Align::Left, true),
        ("QTY", Align::Right, false),
        ("START", Align::Left, false),
        ("END", Align::Left, false),
        ("COST", Align::Right, false),
    ]);
    for (d, line) in drafts.iter().zip(lines) {
        let Event::Purchased(p) = &d.event else {
            continue;
        };
        t.row(vec![
            line.to_string(),
            p.vendor.clone(),
            p.product.clone(),
            format!("{} {}", p.qty, p.metric),
            p.start.to_string(),
            p.end.map_or_else(|| "-".into(), |e| e.to_string()),
            match (&p.cost, &p.currency) {
                (Some(c), Some(cur)) => format!("{c} {cur}"),
                _ => "-".into(),
            },
        ]);
    }
    t.print()
}
