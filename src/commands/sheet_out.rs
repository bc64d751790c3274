//! `--format csv` for `state` and `position`: their JSON rows as RFC 4180
//! CSV with a UTF-8 byte order mark (entitle-sheet's `CsvWriter`), so Excel
//! opens umlauts correctly. Columns are the JSON field names, in order;
//! `null` is an empty cell; a nested value (a list of documents, the usage
//! record behind a position) is written as compact JSON.

use std::io::{self, BufWriter};

use anyhow::Result;
use entitle_sheet::CsvWriter;
use serde_json::Value;

/// Writes JSON objects (one per row) as CSV to stdout.
pub fn write(columns: &[&str], rows: &[Value]) -> Result<()> {
    let mut w = CsvWriter::new(BufWriter::new(io::stdout().lock()))?;
    w.write_record(columns)?;
    for row in rows {
        w.write_record(columns.iter().map(|c| cell(&row[*c])))?;
    }
    w.finish()?;
    Ok(())
}

/// Writes JSON objects as CSV to stdout, the columns being the keys of the
/// first (every row has the same keys, in the same order).
pub fn write_objects(rows: &[Value]) -> Result<()> {
    let columns = rows.first().map(columns_of).unwrap_or_default();
    write(&columns, rows)
}

/// The column names of a JSON object row, in order.
fn columns_of(row: &Value) -> Vec<&str> {
    row.as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
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
