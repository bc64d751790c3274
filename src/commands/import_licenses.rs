//! `entitle import licenses`: the license spreadsheet an SME already keeps.
//!
//! Every row is read and checked before anything is written; any bad row
//! is reported as `FILE:LINE: what is wrong` and nothing is recorded. A good
//! file becomes one `purchased` event per row (effective = its start date),
//! recorded in one write (one fsync) streamed in bounded memory (see
//! `sheet_in`). The id of each license is generated (`L-0007`); the event's
//! note is the file's `notes` followed by `import <file> blake3:<hash>`, by
//! which importing the same file again is refused unless `--again` is given.
//! `--dry-run` lists what would be recorded and, with a store, lets the
//! ledger check the rows too and shows the ids they would get.

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use entitle_core::ledger::Draft;
use entitle_core::record::{Event, Purchased};
use entitle_core::types::parse_currency;
use entitle_core::Quantity;
use entitle_sheet::{
    parse_count, Column, ColumnMap, DateFormat, NumberStyle, Problems, ReadOptions, Row, Schema,
    ValueError,
};
use entitle_store::Open;
use serde_json::{json, Value};

use crate::cli::{Cli, ImportLicensesArgs};
use crate::output::{self, Align, Table};
use crate::request;

use super::sheet_in::{refuse_if_imported, SheetImport};

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
    let map: ColumnMap = match &a.map {
        Some(m) => m.parse().map_err(|e| anyhow!("--map {m:?}: {e}"))?,
        None => ColumnMap::new(),
    };
    let date_format: DateFormat = a
        .date_format
        .parse()
        .map_err(|e: ValueError| anyhow!("--date-format: {}", e.message()))?;
    let options = ReadOptions {
        map,
        date_format,
        ..ReadOptions::default()
    };
    let sheet = SheetImport::new(&a.file, schema(), options)?;
    let marker = format!("import {} {}", sheet.file_name(), sheet.marker());
    let mut to_draft = |row: &Row, style: NumberStyle, problems: &mut Problems| {
        license_draft(row, style, problems, &marker)
    };
    let name = sheet.name().to_owned();
    if a.dry_run {
        let mut drafts = Vec::new();
        let mut lines = Vec::new();
        sheet.check(&mut to_draft, |d, line| {
            drafts.push(d);
            lines.push(line);
        })?;
        // With a store, the ledger checks the rows too and names the ids
        // they would get.
        let mut ids = vec![None; drafts.len()];
        if let Some(mut store) = request::open_existing(cli, "entitle import licenses")? {
            refuse_if_imported(&store, &sheet, a.again)?;
            let ctx = request::context(cli);
            let would = store
                .check(drafts.clone(), &ctx)
                .map_err(|e| super::sheet_in::refused(e, &name, &lines))?;
            ids = would.into_iter().map(|w| w.id).collect();
        }
        if a.json {
            let rows: Vec<Value> = drafts
                .iter()
                .zip(&lines)
                .zip(&ids)
                .map(|((d, line), id)| draft_json(d, *line, id.as_deref()))
                .collect();
            output::json(
                &json!({"file": name, "dry_run": true, "rows": rows.len(), "would_record": rows}),
            )?;
        } else {
            print_drafts(&drafts, &lines, &ids)?;
            println!(
                "{name}: {} row(s) valid; would record {} purchase(s) (dry run: nothing was recorded)",
                drafts.len(),
                drafts.len()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    sheet.check(&mut to_draft, |_, _| {})?;
    let mut store = request::open(cli, Open::CreateIfMissing, "entitle import licenses")?;
    refuse_if_imported(&store, &sheet, a.again)?;
    let ctx = request::context(cli);
    let mut first_id: Option<String> = None;
    let mut last_id: Option<String> = None;
    let mut ids = Vec::new();
    let committed = sheet.write(store.appender(&ctx), &mut to_draft, |appended| {
        if let Some(id) = &appended.id {
            if a.json {
                ids.push(id.clone());
            }
            first_id.get_or_insert_with(|| id.clone());
            last_id = Some(id.clone());
        }
    })?;
    let (first, last) = committed.seqs.unwrap_or_default();
    if a.json {
        output::json(
            &json!({"file": name, "dry_run": false, "rows": committed.count,
            "first_seq": first, "last_seq": last, "ids": ids}),
        )?;
    } else {
        println!(
            "recorded {} purchases from {name}: #{first}..#{last} ({}..{})",
            committed.count,
            first_id.unwrap_or_default(),
            last_id.unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One row as a `purchased` draft; its note is the row's notes followed by
/// the import marker.
fn license_draft(
    row: &Row,
    style: NumberStyle,
    problems: &mut Problems,
    marker: &str,
) -> Option<Draft> {
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
    let note = match row.optional_text("notes") {
        Some(notes) => format!("{notes} ({marker})"),
        None => marker.to_owned(),
    };
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
        note: Some(note),
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

fn draft_json(d: &Draft, line: u64, id: Option<&str>) -> Value {
    let Event::Purchased(p) = &d.event else {
        return Value::Null;
    };
    json!({
        "line": line,
        "id": id,
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

fn print_drafts(drafts: &[Draft], lines: &[u64], ids: &[Option<String>]) -> Result<()> {
    let mut t = Table::new(&[
        ("LINE", Align::Right, false),
        ("ID", Align::Left, false),
        ("VENDOR", Align::Left, true),
        ("PRODUCT", Align::Left, true),
        ("QTY", Align::Right, false),
        ("START", Align::Left, false),
        ("END", Align::Left, false),
        ("COST", Align::Right, false),
    ]);
    for ((d, line), id) in drafts.iter().zip(lines).zip(ids) {
        let Event::Purchased(p) = &d.event else {
            continue;
        };
        t.row(vec![
            line.to_string(),
            id.clone().unwrap_or_else(|| "-".into()),
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
