//! `--format csv`: a result's JSON rows as CSV on stdout, written by
//! `entitle_app::sheet_out` (the same bytes as the server's `.csv` pages).

use std::io::{self, BufWriter};

use anyhow::Result;
use serde_json::Value;

/// Writes JSON objects (one per row) as CSV to stdout.
pub fn write(columns: &[&str], rows: &[Value]) -> Result<()> {
    entitle_app::sheet_out::write(BufWriter::new(io::stdout().lock()), columns, rows)?;
    Ok(())
}

/// Writes serialisable rows as CSV to stdout under the given columns (their
/// JSON field names); the header row is written even when there are none.
pub fn write_rows<T: serde::Serialize>(columns: &[&str], rows: &[T]) -> Result<()> {
    entitle_app::sheet_out::write_rows(BufWriter::new(io::stdout().lock()), columns, rows)?;
    Ok(())
}
