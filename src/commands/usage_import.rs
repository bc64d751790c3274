//! `entitle usage import`: usage counts from a CSV file, all or nothing.
//!
//! Every row is read and checked before anything is written; any bad row
//! is reported as `FILE:LINE: what is wrong` and nothing is recorded. The
//! good file becomes one `usage_recorded` event per row, appended in one
//! write (one fsync), streamed in bounded memory however long the file is
//! (see `sheet_in`).
//!
//! German headers (Hersteller, Produkt, Metrik, Anzahl, Datum) are accepted
//! as aliases.
//!
//! Re-import detection: each event's note is `import <file name>
//! blake3:<hash of the file's bytes>`. Before writing, the log is scanned
//! for `blake3:<hash>`; a hit refuses the import unless `--again` is given.
//! The hash lives in the note, not the source, so `--source` stays what the
//! user says it is, and the marker is in the log itself (the truth), so it
//! survives a rebuild and travels with an export.

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use entitle_core::ledger::Draft;
use entitle_core::record::{Event, UsageRecorded};
use entitle_sheet::{Column, ColumnMap, NumberStyle, Problems, ReadOptions, Row, Schema};
use entitle_store::Open;
use serde::Serialize;

use super::sheet_in::{refuse_if_imported, SheetImport};
use crate::cli::{Cli, UsageImportArgs};
use crate::{output, request};

#[derive(Serialize)]
struct Out {
    file: String,
    blake3: String,
    rows: u64,
    dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_seq: Option<u64>,
}

pub fn run(cli: &Cli, a: &UsageImportArgs) -> Result<ExitCode> {
    let map: ColumnMap = match &a.map {
        Some(m) => m.parse().map_err(|e| anyhow!("--map {m:?}: {e}"))?,
        None => ColumnMap::new(),
    };
    let schema = Schema::new([
        Column::required("vendor").alias("Hersteller"),
        Column::required("product").alias("Produkt"),
        Column::required("metric").alias("Metrik"),
        Column::required("count").alias("Anzahl"),
        Column::required("date").alias("Datum"),
    ]);
    let options = ReadOptions {
        map,
        ..ReadOptions::default()
    };
    let sheet = SheetImport::new(&a.file, schema, options)?;
    let note = format!("import {} {}", sheet.file_name(), sheet.marker());
    let mut to_draft = |row: &Row, _: NumberStyle, problems: &mut Problems| {
        usage_draft(row, problems, a.source.as_deref(), &note)
    };
    let rows = sheet.check(&mut to_draft, |_, _| {})?;
    let name = sheet.name().to_owned();
    let mut out = Out {
        file: name.clone(),
        blake3: sheet.hash().to_owned(),
        rows,
        dry_run: a.dry_run,
        first_seq: None,
        last_seq: None,
    };
    if a.dry_run {
        if let Some(store) = request::open_existing(cli, "entitle usage import")? {
            refuse_if_imported(&store, &sheet, a.again)?;
        }
        if a.json {
            output::json(&out)?;
        } else {
            println!(
                "{name}: {rows} row{} valid; would record {rows} usage count{} (dry run: nothing was recorded)",
                if rows == 1 { " is" } else { "s are" },
                super::sheet_in::plural(rows)
            );
        }
        return Ok(ExitCode::SUCCESS);
    }

    let mut store = request::open(cli, Open::CreateIfMissing, "entitle usage import")?;
    refuse_if_imported(&store, &sheet, a.again)?;
    let ctx = request::context(cli);
    let committed = sheet.write(store.appender(&ctx), &mut to_draft, |_| {})?;
    let (first, last) = committed.seqs.unwrap_or_default();
    out.first_seq = Some(first);
    out.last_seq = Some(last);
    if a.json {
        output::json(&out)?;
    } else {
        println!(
            "recorded {} usage counts from {name}: #{first}..#{last}",
            committed.count
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One row as a `usage_recorded` draft.
fn usage_draft(
    row: &Row,
    problems: &mut Problems,
    source: Option<&str>,
    note: &str,
) -> Option<Draft> {
    let vendor = problems.check(row.text("vendor").map(str::to_owned));
    let product = problems.check(row.text("product").map(str::to_owned));
    let metric = problems.check(row.parse_with("metric", super::sheet_in::parse_metric));
    let count = problems.check(row.count("count"));
    let date = problems.check(row.date("date"));
    Some(Draft {
        event: Event::UsageRecorded(UsageRecorded {
            vendor: vendor?,
            product: product?,
            metric: metric?,
            count: count?,
            source: source.map(str::to_owned),
        }),
        effective: Some(date?),
        note: Some(note.to_owned()),
    })
}
