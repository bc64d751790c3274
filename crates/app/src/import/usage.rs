//! Usage counts from a CSV export: one `usage_recorded` per row, each row
//! the same request as a count recorded by hand ([`Write::Usage`]).
//! German headers (Hersteller, Produkt, Metrik, Anzahl, Datum) are
//! accepted as aliases.
//!
//! Re-import detection: each event's note is `import <file name>
//! blake3:<hash of the file's bytes>`; the hash lives in the note, not the
//! source, so the source stays what the user says it is, and the marker is
//! in the log itself (the truth), so it survives a rebuild and travels
//! with an export.

use std::path::PathBuf;

use entitle_core::ledger::{Context, Draft};
use entitle_sheet::{Column, Schema};
use serde::{Deserialize, Serialize};

use super::sheet::{Cells, SheetFile};
use super::{
    open_for_check, open_for_write, refuse_if_imported, refused, BadRow, SheetOptions, Target,
};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::record::{Common, Usage, Write};

/// `usage import`: usage counts from a CSV file.
#[derive(Debug, Clone, Default)]
pub struct UsageImport {
    /// The CSV file.
    pub file: PathBuf,
    /// Where the counts come from (each event's source).
    pub source: Option<String>,
    /// How to read it.
    pub sheet: SheetOptions,
    /// Check only: record nothing.
    pub dry_run: bool,
}

/// What a usage import recorded, or would record. Its JSON is `usage
/// import --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UsageImported {
    /// The file as named.
    pub file: String,
    /// BLAKE3 of its bytes.
    pub blake3: String,
    /// Good rows (the counts recorded).
    pub rows: u64,
    /// Whether nothing was recorded on purpose.
    pub dry_run: bool,
    /// A dry run: the bad rows (nothing would be recorded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bad_rows: Vec<BadRow>,
    /// How many rows are bad (more than listed when there are many).
    #[serde(skip)]
    pub bad_total: u64,
    /// The first event written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seq: Option<u64>,
    /// The last event written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seq: Option<u64>,
    /// What opening the store reported.
    #[serde(skip)]
    pub notices: Vec<String>,
}

impl UsageImported {
    /// The error a dry run with bad rows stands for (what a real run
    /// would have failed with).
    #[must_use]
    pub fn refusal(&self) -> Option<Error> {
        (self.bad_total > 0).then(|| refused(&self.file, &self.bad_rows, self.bad_total, "row"))
    }
}

fn schema() -> Schema {
    Schema::new([
        Column::required("vendor").alias("Hersteller"),
        Column::required("product").alias("Produkt"),
        Column::required("metric").alias("Metrik"),
        Column::required("count").alias("Anzahl"),
        Column::required("date").alias("Datum"),
    ])
}

/// Imports usage counts: every row checked first (a bad file opens no
/// store), then recorded in one write, or nothing. A dry run records
/// nothing and lists the bad rows as data.
///
/// # Errors
///
/// For bad options, a file that cannot be read or has no rows, bad rows
/// (a real run; every one in the error's details), a file imported before
/// (kind conflict), or a store failure. Nothing is recorded.
pub fn usage(
    target: Target<'_>,
    ctx: &Context,
    req: &UsageImport,
    progress: &dyn Progress,
) -> Result<UsageImported> {
    let mut target = target;
    let sheet = SheetFile::new(&req.file, schema(), &req.sheet)?;
    let note = format!("import {} {}", sheet.file_name(), sheet.marker());
    let source = req.source.clone();
    let mut to_draft = |cells: &Cells<'_>, bad: &mut Vec<BadRow>| {
        usage_draft(cells, bad, source.as_deref(), &note)
    };
    let (rows, bad) = sheet.check(ctx, &mut to_draft, progress, |_, _| {})?;
    let name = sheet.name().to_owned();
    let mut result = UsageImported {
        file: name.clone(),
        blake3: sheet.hash().to_owned(),
        rows,
        dry_run: req.dry_run,
        bad_rows: Vec::new(),
        bad_total: 0,
        first_seq: None,
        last_seq: None,
        notices: Vec::new(),
    };
    if req.dry_run {
        if bad.is_empty() {
            let mut slot = None;
            if let Some(store) = open_for_check(&mut target, &mut slot, progress)? {
                result.notices = store.notices().to_vec();
                refuse_if_imported(store, &name, &sheet.marker(), req.sheet.again)?;
            }
        }
        result.bad_total = bad.total;
        result.bad_rows = bad.listed;
        return Ok(result);
    }
    if !bad.is_empty() {
        return Err(refused(&name, &bad.listed, bad.total, "row"));
    }
    let mut slot = None;
    let store = open_for_write(&mut target, &mut slot, progress)?;
    result.notices = store.notices().to_vec();
    refuse_if_imported(store, &name, &sheet.marker(), req.sheet.again)?;
    let committed = match sheet.write(store.appender(ctx), &mut to_draft, progress, |_| {})? {
        Ok(c) => c,
        Err(bad) => return Err(refused(&name, &bad.listed, bad.total, "row")),
    };
    let (first, last) = committed.seqs.unwrap_or_default();
    result.rows = committed.count;
    result.first_seq = Some(first);
    result.last_seq = Some(last);
    Ok(result)
}

/// One row as a usage request, drafted as `entitle usage record` drafts
/// it.
fn usage_draft(
    cells: &Cells<'_>,
    bad: &mut Vec<BadRow>,
    source: Option<&str>,
    note: &str,
) -> Option<Draft> {
    let vendor = cells.text("vendor", bad);
    let product = cells.text("product", bad);
    let metric = cells.text("metric", bad);
    let count = cells.text("count", bad).and_then(|_| cells.count("count"));
    let date = cells
        .text("date", bad)
        .and_then(|_| cells.date("date", bad));
    let (Some(vendor), Some(product), Some(metric), Some(count), Some(Some(date))) =
        (vendor, product, metric, count, date)
    else {
        return None;
    };
    let write = Write::Usage(Usage {
        vendor,
        product,
        metric,
        count,
        date,
        source: source.map(str::to_owned),
    });
    let common = Common {
        effective: None,
        note: Some(note.to_owned()),
    };
    match write.draft(&common) {
        Ok(d) => Some(d),
        Err(e) => {
            bad.push(BadRow::from_error(cells.line(), &e));
            None
        }
    }
}
