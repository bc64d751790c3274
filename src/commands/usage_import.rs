//! `entitle usage import`: usage counts from a CSV file, all or nothing.
//!
//! Every row is read and checked before anything is written; any bad row
//! is reported as `FILE:LINE: what is wrong` and nothing is recorded. The
//! good file becomes one `usage_recorded` event per row, appended in one
//! batch (one fsync).
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

use std::fs::File;
use std::io::{self, BufReader};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _, Result};
use entitle_core::ledger::Draft;
use entitle_core::record::{Event, UsageRecorded};
use entitle_sheet::{Column, ColumnMap, ReadOptions, Schema};
use entitle_store::{Access, Store};
use serde::Serialize;

use crate::cli::{Cli, UsageImportArgs};
use crate::{output, request};

#[derive(Serialize)]
struct Out {
    file: String,
    blake3: String,
    rows: usize,
    dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_seq: Option<u64>,
}

pub fn run(cli: &Cli, a: &UsageImportArgs) -> Result<ExitCode> {
    let name = a.file.display().to_string();
    if a.file.is_dir() {
        bail!("{name} is a directory; give a CSV file");
    }
    let map: ColumnMap = match &a.map {
        Some(m) => m.parse().map_err(|e| anyhow!("--map {m:?}: {e}"))?,
        None => ColumnMap::new(),
    };
    let hash = file_hash(&a.file).with_context(|| format!("cannot read {name}"))?;
    let file_name = a
        .file
        .file_name()
        .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned());
    let note = format!("import {file_name} blake3:{hash}");

    let (drafts, lines) = read_rows(a, &map, &note)?;
    if drafts.is_empty() {
        bail!("{name} has a header but no rows; nothing was recorded");
    }

    let marker = format!("blake3:{hash}");
    let mut out = Out {
        file: name.clone(),
        blake3: hash.clone(),
        rows: drafts.len(),
        dry_run: a.dry_run,
        first_seq: None,
        last_seq: None,
    };
    if a.dry_run {
        let path = request::store_path(cli)?;
        if path.join("FORMAT").exists() {
            let store = request::open(cli, Access::Read, "entitle usage import")?;
            refuse_if_imported(&store, &marker, &name, a.again)?;
        }
        if a.json {
            output::json(&out)?;
        } else {
            let n = drafts.len();
            println!(
                "{name}: {n} row{} valid; would record {n} usage count{} (dry run: nothing was recorded)",
                if n == 1 { " is" } else { "s are" },
                super::sheet_in::plural(n as u64)
            );
        }
        return Ok(ExitCode::SUCCESS);
    }

    let mut store = request::open(cli, Access::Write, "entitle usage import")?;
    refuse_if_imported(&store, &marker, &name, a.again)?;
    let ctx = request::context(cli);
    let appended = store
        .append(drafts, &ctx)
        .map_err(|e| super::sheet_in::refused(e, &name, &lines))?;
    let (first, last) = (appended[0].seq, appended[appended.len() - 1].seq);
    out.first_seq = Some(first);
    out.last_seq = Some(last);
    if a.json {
        output::json(&out)?;
    } else {
        println!(
            "recorded {} usage counts from {name}: #{first}..#{last}",
            appended.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads and checks every row; any problem fails the whole file.
fn read_rows(a: &UsageImportArgs, map: &ColumnMap, note: &str) -> Result<(Vec<Draft>, Vec<u64>)> {
    let schema = Schema::new([
        Column::required("vendor").alias("Hersteller"),
        Column::required("product").alias("Produkt"),
        Column::required("metric").alias("Metrik"),
        Column::required("count").alias("Anzahl"),
        Column::required("date").alias("Datum"),
    ]);
    let options = ReadOptions {
        map: map.clone(),
        ..ReadOptions::default()
    };
    super::sheet_in::read_drafts(&a.file, &schema, &options, |row, _, problems| {
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
                source: a.source.clone(),
            }),
            effective: Some(date?),
            note: Some(note.to_owned()),
        })
    })
}

/// BLAKE3 of the file's bytes, lowercase hex, read in bounded memory.
fn file_hash(path: &std::path::Path) -> io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(BufReader::new(File::open(path)?))?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// Scans the log for an earlier import of the same bytes.
fn refuse_if_imported(store: &Store, marker: &str, name: &str, again: bool) -> Result<()> {
    if again {
        return Ok(());
    }
    let mut found: Option<u64> = None;
    let needle = marker.as_bytes();
    store.export(&mut io::sink(), u64::MAX, &mut |seq, bytes| {
        if found.is_none() && bytes.windows(needle.len()).any(|w| w == needle) {
            found = Some(seq);
        }
        false
    })?;
    if let Some(seq) = found {
        bail!(
            "{name} was already imported (event #{seq} carries its hash {marker}); nothing was recorded; pass --again to import it once more"
        );
    }
    Ok(())
}
