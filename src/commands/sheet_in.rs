//! What `usage import` and `import licenses` share: reading a spreadsheet
//! into drafts all or nothing, and reporting refused rows by line.

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use entitle_core::ledger::Draft;
use entitle_core::Metric;
use entitle_sheet::{NumberStyle, Problems, ReadOptions, Row, Schema, SheetReader, ValueError};
use entitle_store::AppendError;

/// At most this many bad rows are listed; the count says the rest.
pub const MAX_LISTED: usize = 50;

/// Reads every row of `file` and turns it into a draft with `to_draft`,
/// which records what is wrong with a row in `problems` (and returns
/// `None` when the row cannot become a draft). Any problem in any row fails
/// the whole file, listing every bad row as `FILE:LINE: …`. Returns the
/// drafts with the line each came from.
pub fn read_drafts(
    file: &Path,
    schema: &Schema,
    options: &ReadOptions,
    mut to_draft: impl FnMut(&Row, NumberStyle, &mut Problems) -> Option<Draft>,
) -> Result<(Vec<Draft>, Vec<u64>)> {
    let reader = SheetReader::open(file, schema, options).map_err(|e| anyhow!("{e}"))?;
    let style = reader.number_style();
    let mut problems = Problems::new(MAX_LISTED);
    let mut drafts = Vec::new();
    let mut lines = Vec::new();
    for row in reader {
        let row = match row {
            Ok(row) => row,
            Err(e) if e.is_row_error() => {
                problems.push(e);
                continue;
            }
            Err(e) => bail!("{e}; nothing was recorded"),
        };
        if let Some(draft) = to_draft(&row, style, &mut problems) {
            if problems.is_empty() {
                drafts.push(draft);
                lines.push(row.line());
            }
        }
    }
    if !problems.is_empty() {
        let total = problems.total();
        bail!(
            "{problems}\n{total} bad row{} in {}; nothing was recorded",
            plural(total),
            file.display()
        );
    }
    Ok((drafts, lines))
}

/// Turns an append the store refused into `FILE:LINE: …` lines.
pub fn refused(e: AppendError, name: &str, lines: &[u64]) -> anyhow::Error {
    match e {
        AppendError::Store(e) => e.into(),
        AppendError::Rejected(list) => {
            let total = list.len();
            let text: Vec<String> = list
                .into_iter()
                .take(MAX_LISTED)
                .map(|(i, r)| format!("{name}:{}: {r}", lines[i]))
                .collect();
            anyhow!(
                "{}\n{total} bad row{} in {name}; nothing was recorded",
                text.join("\n"),
                plural(total as u64)
            )
        }
    }
}

/// A metric cell.
pub fn parse_metric(text: &str) -> Result<Metric, ValueError> {
    text.trim().parse::<Metric>().map_err(|_| {
        ValueError::new(format!(
            "unknown metric `{text}`; use user, device, core, processor, concurrent or instance"
        ))
    })
}

/// "s" unless one.
pub fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
