//! The inventory benchmark of issue #16, through the release `entitle`
//! binary (whole processes): an inventory import of 10,000 hosts × 30
//! products (300,000 CSV rows) into a store that already holds the 30
//! products' licenses and a year of recorded usage counts, then the
//! position with inventory-derived usage beside the position of the same
//! store without it (`--known-at` the last event before the import).
//!
//! ```text
//! cargo bench --bench inventory
//! ```
//!
//! Environment (all optional): `ENTITLE_BENCH_HOSTS` (default 10,000),
//! `ENTITLE_BENCH_RUNS` runs per position (default 7; the two positions
//! alternate, because the machine is shared), `ENTITLE_BENCH_KEEP=DIR` to
//! keep the store (for profiling).
//!
//! The products: Windows Server (`microsoft-core`), SQL Server
//! (`sql-server-core`), Oracle Database (`oracle-processor`), Oracle
//! Database SE2 (`oracle-se2-socket`), two under `physical-cores` and
//! `sockets`, and 24 device licenses counted by `installations`. Every
//! host runs all 30; a fifth of the hosts are virtual machines.
//!
//! A measurement, not a test: nothing here fails on a slow figure.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

mod common;
use common::{children_cpu, entitle, env_or, measure, Run};

/// Vendor, product, metric and count rule of each of the 30 products.
fn products() -> Vec<(String, String, &'static str, &'static str)> {
    let mut p = vec![
        ("Microsoft", "Windows Server", "core", "microsoft-core"),
        ("Microsoft", "SQL Server", "core", "sql-server-core"),
        (
            "Oracle",
            "Database Enterprise Edition",
            "processor",
            "oracle-processor",
        ),
        (
            "Oracle",
            "Database Standard Edition 2",
            "processor",
            "oracle-se2-socket",
        ),
        ("IBM", "Db2", "core", "physical-cores"),
        ("IBM", "MQ", "processor", "sockets"),
    ]
    .into_iter()
    .map(|(v, p, m, r)| (v.to_owned(), p.to_owned(), m, r))
    .collect::<Vec<_>>();
    for i in 0..24 {
        p.push((
            format!("Vendor {}", i % 6),
            format!("Agent {i}"),
            "device",
            "installations",
        ));
    }
    p
}

/// The licenses (one process per purchase) and a year of daily usage
/// counts of every product (one `usage import`).
fn prepare(store: &Path, dir: &Path) {
    for (i, (vendor, product, metric, rule)) in products().iter().enumerate() {
        let id = format!("L{i}");
        let out = entitle(
            store,
            &[
                "purchase",
                "--id",
                &id,
                "--vendor",
                vendor,
                "--product",
                product,
                "--metric",
                metric,
                "--qty",
                "100000",
                "--start",
                "2025-01-01",
                "--count-rule",
                rule,
            ],
        )
        .output()
        .expect("purchase");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let csv = dir.join("usage.csv");
    let mut out = BufWriter::new(std::fs::File::create(&csv).expect("create"));
    writeln!(out, "vendor,product,metric,count,date").expect("write");
    let days = every_day_of_2025();
    for (vendor, product, metric, _) in products() {
        for (n, day) in days.iter().enumerate() {
            writeln!(out, "{vendor},{product},{metric},{},{day}", 1000 + n % 50).expect("write");
        }
    }
    out.flush().expect("flush");
    let run = measure(entitle(store, &["usage", "import", csv.to_str().unwrap()]));
    assert_eq!(run.code, 0, "usage import failed");
}

/// Every day of 2025 as `YYYY-MM-DD` (28 days a month: enough counts).
fn every_day_of_2025() -> Vec<String> {
    (1..=12)
        .flat_map(|m| (1..=28).map(move |d| format!("2025-{m:02}-{d:02}")))
        .collect()
}

/// 30 rows per host: a fifth virtual (4 or 8 vCPUs), the rest physical
/// with 1 or 2 sockets of 4–16 cores and two threads per core.
fn write_inventory(path: &Path, hosts: u64) -> u64 {
    let mut out = BufWriter::new(std::fs::File::create(path).expect("create csv"));
    writeln!(
        out,
        "host,vendor,product,edition,version,os,os_version,virtual,sockets,cores,threads,vcpus,cpu"
    )
    .expect("write");
    let products = products();
    let mut rows = 0;
    for h in 0..hosts {
        let facts = if h % 5 == 4 {
            format!("yes,,,,{},", 4 << (h % 2))
        } else {
            let sockets = 1 + h % 2;
            let cores = sockets * (4 << (h % 3));
            format!("no,{sockets},{cores},{},,", cores * 2)
        };
        for (vendor, product, _, _) in &products {
            writeln!(
                out,
                "host{h:05}.example.com,{vendor},{product},Standard,2022,Windows Server,10.0.20348,{facts}Intel Xeon Gold 6244"
            )
            .expect("write");
            rows += 1;
        }
    }
    out.flush().expect("flush");
    rows
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run entitle");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() {
    let hosts = env_or("ENTITLE_BENCH_HOSTS", 10_000);
    let runs = env_or("ENTITLE_BENCH_RUNS", 7).max(1);
    let dir = tempfile::tempdir().expect("temp dir");
    // ENTITLE_BENCH_KEEP=DIR keeps the store there (for profiling).
    let store = std::env::var_os("ENTITLE_BENCH_KEEP").map_or_else(
        || dir.path().join("store"),
        |d| {
            let _ = std::fs::remove_dir_all(&d);
            std::path::PathBuf::from(d)
        },
    );
    println!(
        "inventory bench: {hosts} hosts × 30 products, loadavg {}",
        loadavg()
    );
    prepare(&store, dir.path());
    // Seqs count from 1: the log's lines are the head's seq.
    let log = std::fs::read_to_string(store.join("log").join("events.jsonl")).expect("log");
    let before_seq = log.lines().count();
    let csv = dir.path().join("inventory.csv");
    let rows = write_inventory(&csv, hosts);
    let bytes = std::fs::metadata(&csv).expect("size").len();
    let file = csv.to_str().expect("utf-8 path");

    let cpu0 = children_cpu();
    let import: Run = measure(entitle(
        &store,
        &["inventory", "import", file, "--date", "2026-01-15"],
    ));
    let cpu = children_cpu() - cpu0;
    assert_eq!(import.code, 0, "inventory import failed");
    let secs = import.elapsed.as_secs_f64();
    println!(
        "  inventory import: {rows} rows ({:.1} MB) in {secs:.2} s (CPU {cpu:.2} s) = {:.0} rows/s, peak RSS {} MiB",
        bytes as f64 / 1e6,
        rows as f64 / secs,
        import.peak_kib / 1024
    );
    let known = format!("#{before_seq}");
    let with = ["position", "--as-of", "2026-01-31"];
    let without = ["position", "--as-of", "2026-01-31", "--known-at", &known];
    // The position must derive from the inventory (else the bench is void).
    let pos: serde_json::Value = serde_json::from_str(&output(&mut entitle(
        &store,
        &[&with[..], &["--json"]].concat(),
    )))
    .expect("position JSON");
    let derived = pos["products"]
        .as_array()
        .expect("products")
        .iter()
        .filter(|r| r["used_from"] == "inventory")
        .count();
    assert_eq!(derived, 30, "every product counted from the inventory");
    let (mut t_with, mut t_without) = (Vec::new(), Vec::new());
    let (mut cpu_with, mut cpu_without) = (0.0, 0.0);
    for _ in 0..runs {
        let c = children_cpu();
        t_with.push(measure(entitle(&store, &with)).elapsed);
        cpu_with += children_cpu() - c;
        let c = children_cpu();
        t_without.push(measure(entitle(&store, &without)).elapsed);
        cpu_without += children_cpu() - c;
    }
    let (a, b) = (median(t_with), median(t_without));
    println!(
        "  position with inventory-derived usage: median {:.0} ms (CPU {:.0} ms a run)",
        ms(a),
        cpu_with * 1000.0 / runs as f64
    );
    println!(
        "  position of the same store without it (--known-at {known}): median {:.0} ms (CPU {:.0} ms a run)",
        ms(b),
        cpu_without * 1000.0 / runs as f64
    );
    println!(
        "  ratio {:.2}× (target ≤ 2×), loadavg {}",
        a.as_secs_f64() / b.as_secs_f64(),
        loadavg()
    );
}
