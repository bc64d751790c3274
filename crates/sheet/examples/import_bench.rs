//! Reads a generated 1,000,000-row usage file and prints rows/s and peak RSS.
//!
//! `cargo run --release -p entitle-sheet --example import_bench [ROWS]`
//!
//! Two files: a German semicolon Windows-1252 export (decoded on the fly) and
//! the same as UTF-8. Every row is fully parsed (count, date) as an import
//! would. Peak RSS is the process's VmHWM from /proc/self/status.

use std::io::{BufWriter, Write};
use std::time::Instant;

use entitle_sheet::{Column, ReadOptions, Schema, SheetReader};

fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let schema = Schema::new([
        Column::required("vendor").alias("Hersteller"),
        Column::required("product").alias("Produkt"),
        Column::required("metric").alias("Metrik"),
        Column::required("count").alias("Anzahl"),
        Column::required("date").alias("Datum"),
        Column::optional("source").alias("Quelle"),
    ]);
    println!("after start: peak RSS {}", vm_hwm());
    for (name, win1252) in [("windows-1252", true), ("utf-8", false)] {
        let path = dir.path().join(format!("usage-{name}.csv"));
        let mut w = BufWriter::new(std::fs::File::create(&path)?);
        let header = "Hersteller;Produkt;Metrik;Anzahl;Datum;Quelle\r\n";
        w.write_all(header.as_bytes())?;
        for i in 0..rows {
            let line = format!(
                "Lizenzmanager GmbH;Produkt Nr. {};user;{}.{:03};2024-{:02}-{:02};Müller Inventur\r\n",
                i % 977,
                1 + i % 50,
                i % 1000,
                1 + i % 12,
                1 + i % 28
            );
            if win1252 {
                w.write_all(
                    &line
                        .replace('ü', "\u{0}")
                        .bytes()
                        .map(|b| if b == 0 { 0xFC } else { b })
                        .collect::<Vec<_>>(),
                )?;
            } else {
                w.write_all(line.as_bytes())?;
            }
        }
        w.flush()?;
        drop(w);
        let size = std::fs::metadata(&path)?.len();

        let start = Instant::now();
        let reader = SheetReader::open(&path, &schema, &ReadOptions::default())?;
        let encoding = reader.encoding();
        let (mut n, mut total) = (0u64, 0u64);
        for row in reader {
            let row = row?;
            total += row.count("count")?;
            let _ = row.date("date")?;
            let _ = row.text("vendor")?;
            n += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(n, rows);
        println!(
            "{name}: {n} rows, {:.1} MB ({}), {:.2} s, {:.0} rows/s, {:.0} MB/s, sum {total}; peak RSS so far {}",
            size as f64 / 1e6,
            encoding.name(),
            secs,
            n as f64 / secs,
            size as f64 / 1e6 / secs,
            vm_hwm()
        );
    }
    Ok(())
}
