//! Results as CSV for Excel: rows of a result's JSON as RFC 4180 CSV with a
//! UTF-8 byte order mark (entitle-sheet's `CsvWriter`), so Excel opens
//! umlauts correctly. Columns are the JSON field names, in order; `null` is
//! an empty cell; a nested value (a list of documents, the usage record
//! behind a position) is written as compact JSON. The CLI's `--format csv`
//! and the server's `.csv` pages write the same bytes.

use std::io::Write;

use entitle_sheet::CsvWriter;
use serde_json::Value;

/// Writes JSON objects (one per row) as CSV under the given columns; the
/// header row is written even when there are no rows.
///
/// # Errors
///
/// When `out` fails.
pub fn write<W: Write>(out: W, columns: &[&str], rows: &[Value]) -> std::io::Result<()> {
    let mut w = CsvWriter::new(out)?;
    w.write_record(columns)?;
    for row in rows {
        w.write_record(columns.iter().map(|c| cell(&row[*c])))?;
    }
    w.finish()?;
    Ok(())
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Writes serialisable rows as CSV under the given columns (their JSON
/// field names).
///
/// # Errors
///
/// When a row cannot be serialised or `out` fails.
pub fn write_rows<W: Write, T: serde::Serialize>(
    out: W,
    columns: &[&str],
    rows: &[T],
) -> std::io::Result<()> {
    let rows: Vec<Value> = rows
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    write(out, columns, &rows)
}
