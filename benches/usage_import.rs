//! The usage-import benchmark of issue #4, through the release `entitle`
//! binary (whole process): rows per second and peak memory for files of
//! growing size, which must not make memory grow with them.
//!
//! ```text
//! cargo bench --bench usage_import
//! ```
//!
//! `ENTITLE_BENCH_ROWS` sets the largest file (default 1,000,000 rows;
//! the smaller ones are a tenth and a quarter of it). The rows are what an
//! inventory tool exports: 1,000 products of 50 vendors, counted on
//! many days. For each file it measures the check pass alone
//! (`--dry-run`) and the whole import into a fresh store; then the same
//! rows spread over 100,000 products; then a ~200 MB file whose last row is
//! bad (refused after reading everything, nothing written).
//!
//! A measurement, not a test: nothing here fails on a slow figure.

use std::io::{BufWriter, Write};
use std::path::Path;

#[allow(dead_code)]
mod common;
use common::{entitle, env_or, measure, Run};

/// Writes `rows` usage rows over `products` products; `pad` extra bytes of
/// a comment column per row (ignored by the import) make a file large.
fn write_csv(path: &Path, rows: u64, products: u64, pad: usize, bad_last: bool) -> u64 {
    let mut out = BufWriter::new(std::fs::File::create(path).expect("create csv"));
    let comment = "x".repeat(pad);
    writeln!(out, "vendor,product,metric,count,date,comment").expect("write");
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in 0..rows {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let p = i % products;
        let day = i / products;
        let (year, doy) = (2020 + (day / 365) % 8, day % 365);
        let (month, dom) = (1 + doy / 31 % 12, 1 + doy % 28);
        let count = if bad_last && i == rows - 1 {
            "-3".to_owned()
        } else {
            (state % 5000).to_string()
        };
        writeln!(
            out,
            "Vendor {},Product {p} Enterprise,user,{count},{year}-{month:02}-{dom:02},{comment}",
            p % 50
        )
        .expect("write");
    }
    out.flush().expect("flush");
    std::fs::metadata(path).expect("size").len()
}

fn line(what: &str, rows: u64, bytes: u64, run: &Run) {
    let secs = run.elapsed.as_secs_f64();
    println!(
        "  {what:<34} {:>9} rows {:>6.0} MB {:>7.2} s {:>9.0} rows/s  peak RSS {:>4} MiB",
        rows,
        bytes as f64 / 1e6,
        secs,
        rows as f64 / secs,
        run.peak_kib / 1024
    );
}

fn main() {
    let max = env_or("ENTITLE_BENCH_ROWS", 1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    println!("usage import (release binary, whole process, fresh store per run):");
    let mut sizes = vec![max / 10, max / 4, max];
    sizes.dedup();
    for (products, label) in [(1_000, "1,000 products"), (100_000, "100,000 products")] {
        let rows_list: &[u64] = if products == 1_000 {
            &sizes
        } else {
            &sizes[sizes.len() - 1..]
        };
        for &rows in rows_list {
            let csv = dir.path().join(format!("usage-{rows}-{products}.csv"));
            let bytes = write_csv(&csv, rows, products, 0, false);
            let file = csv.to_str().expect("utf-8 path");
            let store = dir.path().join(format!("store-{rows}-{products}"));
            let check = measure(entitle(&store, &["usage", "import", file, "--dry-run"]));
            assert_eq!(check.code, 0, "dry run failed");
            line(&format!("check only, {label}"), rows, bytes, &check);
            let import = measure(entitle(&store, &["usage", "import", file]));
            assert_eq!(import.code, 0, "import failed");
            line(&format!("import, {label}"), rows, bytes, &import);
            let _ = std::fs::remove_dir_all(&store);
            let _ = std::fs::remove_file(&csv);
        }
    }
    let rows = max;
    let csv = dir.path().join("usage-200mb-bad-last-row.csv");
    let bytes = write_csv(&csv, rows, 1_000, 140, true);
    let store = dir.path().join("store-bad");
    let refused = measure(entitle(
        &store,
        &["usage", "import", csv.to_str().expect("utf-8 path")],
    ));
    assert_eq!(refused.code, 2, "the bad file must be refused");
    line("bad last row: refused", rows, bytes, &refused);
}
