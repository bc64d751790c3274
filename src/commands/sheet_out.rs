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

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Writes serialisable rows as CSV to stdout under the given columns (their
/// JSON field names); the header row is written even when there are none.
pub fn write_rows<T: serde::Serialize>(columns: &[&str], rows: &[T]) -> Result<()> {
    let rows: Vec<Value> = rows
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    write(columns, &rows)
}
