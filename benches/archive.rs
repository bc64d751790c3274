//! The attach benchmark of issues #3 and #14, through the release `entitle`
//! binary (whole processes): many small text files in one command, and
//! (on request) one large file, each beside a peer run on the same disk in
//! the same run.
//!
//! ```text
//! cargo bench --bench archive
//! ENTITLE_BENCH_SMALL=10000 ENTITLE_BENCH_LARGE_MIB=1024 cargo bench --bench archive
//! ```
//!
//! - `ENTITLE_BENCH_SMALL` (default 1,000): small text files attached in one
//!   command, into a fresh store each run; the figure includes text
//!   extraction (in sandboxed children) and indexing. Beside it: `cp -r` of
//!   the same files plus `sync -f` (one `syncfs` of the whole file system,
//!   cheaper than an fsync per file), about the least a durable copy costs.
//! - `ENTITLE_BENCH_RUNS` (default 3): runs of each measurement; the best
//!   and the median are printed.
//! - `ENTITLE_BENCH_LARGE_MIB` (default 0: skipped): one file of that many
//!   MiB attached, beside `cp` + `sync FILE` of it and, to see whether
//!   ingest waits on hashing, `b3sum` (one thread) and a plain read. Peak
//!   memory (VmHWM) of the attaching process, which must not grow with the
//!   file.
//!
//! A measurement, not a test: nothing here fails on a slow figure. The
//! machine is shared: compare figures of the same run only.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[allow(dead_code)]
mod common;
use common::{entitle, env_or, measure};

/// Runs a command that must succeed: its wall time and peak memory (KiB).
fn timed(cmd: Command) -> (Duration, u64) {
    let run = measure(cmd);
    assert_eq!(run.code, 0, "command failed");
    (run.elapsed, run.peak_kib)
}

/// Runs a shell command that must succeed: its wall time.
fn shell(script: &str) -> Duration {
    let start = Instant::now();
    let status = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{script}");
    start.elapsed()
}

fn write_file(path: &Path, bytes: u64, seed: u64) {
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut x = seed | 1;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = bytes;
    while left > 0 {
        for chunk in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n]).unwrap();
        left -= n as u64;
    }
    f.flush().unwrap();
    f.get_ref().sync_all().unwrap();
}

fn mb_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

/// A fresh store with one license, L-0001.
fn new_store(path: &Path) {
    let status = entitle(
        path,
        &[
            "purchase",
            "--vendor",
            "Acme",
            "--product",
            "CAD",
            "--metric",
            "user",
            "--qty",
            "5",
            "--start",
            "2024-01-01",
        ],
    )
    .stdout(Stdio::null())
    .status()
    .unwrap();
    assert!(status.success());
}

/// Best and median of some durations.
fn best_median(mut runs: Vec<Duration>) -> (Duration, Duration) {
    runs.sort();
    (runs[0], runs[runs.len() / 2])
}

fn quote(path: &Path) -> String {
    format!("'{}'", path.display())
}

fn main() {
    let small = env_or("ENTITLE_BENCH_SMALL", 1000);
    let runs = env_or("ENTITLE_BENCH_RUNS", 3).max(1);
    let large_mib = env_or("ENTITLE_BENCH_LARGE_MIB", 0);
    let dir = tempfile::tempdir().expect("temp dir");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "entitle archive bench ({} cores, load average {})",
        std::thread::available_parallelism().map_or(0, usize::from),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    if small > 0 {
        small_files(dir.path(), small, runs);
    }
    if large_mib > 0 {
        large_file(dir.path(), large_mib, runs);
    }
}

fn small_files(dir: &Path, small: u64, runs: u64) {
    let small_dir = dir.join("small");
    std::fs::create_dir(&small_dir).unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut small_bytes = 0u64;
    for i in 0..small {
        let p = small_dir.join(format!("contract-{i:05}.txt"));
        let mut text =
            format!("Rahmenvertrag Nr. {i}\nKündigungsfrist 90 Tage. Notice period of 90 days.\n");
        for j in 0..(40 + i % 80) {
            text.push_str(&format!(
                "Clause {j}: licenses, renewals and virtualisation rights for site {i}.\n"
            ));
        }
        small_bytes += text.len() as u64;
        std::fs::write(&p, text).unwrap();
        files.push(p);
    }
    let mut attach = Vec::new();
    let mut copy = Vec::new();
    let mut peak = 0;
    for run in 0..runs {
        let store = dir.join(format!("small-store-{run}"));
        new_store(&store);
        let (elapsed, peak_kib) = timed({
            let mut c = entitle(&store, &["attach", "L-0001", "--kind", "contract"]);
            c.args(&files);
            c
        });
        attach.push(elapsed);
        peak = peak.max(peak_kib);
        let searchable = entitle(&store, &["search", "Kündigungsfrist", "--json"])
            .output()
            .unwrap();
        let found: serde_json::Value = serde_json::from_slice(&searchable.stdout).unwrap();
        assert_eq!(found["total"].as_u64(), Some(small), "every file indexed");
        if run + 1 == runs {
            searches(&store, &small_dir, small);
        }
        std::fs::remove_dir_all(&store).unwrap();

        let target = dir.join(format!("small-copy-{run}"));
        copy.push(shell(&format!(
            "cp -r {} {t} && sync -f {t}",
            quote(&small_dir),
            t = quote(&target)
        )));
        std::fs::remove_dir_all(&target).unwrap();
    }
    let (best, median) = best_median(attach);
    let (copy_best, copy_median) = best_median(copy);
    println!(
        "{small} small text files ({:.1} MB), one command, {runs} runs (best, median):",
        small_bytes as f64 / 1e6
    );
    println!(
        "  entitle attach       {:>7.2} s {:>7.2} s  {:>6.0} files/s (median {:.0})  incl. extraction and indexing; peak RSS {} MiB",
        best.as_secs_f64(),
        median.as_secs_f64(),
        small as f64 / best.as_secs_f64(),
        small as f64 / median.as_secs_f64(),
        peak / 1024
    );
    println!(
        "  cp -r + sync -f      {:>7.2} s {:>7.2} s  {:>6.0} files/s  (a durable copy, nothing else)",
        copy_best.as_secs_f64(),
        copy_median.as_secs_f64(),
        small as f64 / copy_best.as_secs_f64(),
    );
}

/// `entitle search` as a whole process against `grep -rliF` over the same
/// files (issue 14, target 4: p50 ≤ 7 ms and ≥ 10× faster than grep), for
/// a word in every document and one in one document (its number), each
/// asked 15 times, the two tools alternating.
fn searches(store: &Path, files: &Path, n: u64) {
    const RUNS: usize = 15;
    let one = (n / 2).to_string();
    println!("search in {n} documents, whole processes, {RUNS} runs each (p50, p90):");
    for (what, word) in [
        ("every document", "Kündigungsfrist"),
        ("one document", one.as_str()),
    ] {
        let mut ours = Vec::new();
        let mut grep = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let out = entitle(store, &["search", word]).output().unwrap();
            ours.push(t.elapsed());
            assert!(out.status.success(), "search {word}");
            let t = Instant::now();
            let status = Command::new("grep")
                .args(["-rliF", word])
                .arg(files)
                .stdout(Stdio::null())
                .status()
                .unwrap();
            grep.push(t.elapsed());
            assert!(status.success(), "grep {word}");
        }
        ours.sort();
        grep.sort();
        let p = |v: &[Duration], q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        println!(
            "  {what:<15} \"{word}\": entitle search p50 {:>6.1} ms p90 {:>6.1} ms | grep -rliF p50 {:>6.1} ms p90 {:>6.1} ms | {:.1}× faster (target ≥ 10×, p50 ≤ 7 ms)",
            p(&ours, 0.5).as_secs_f64() * 1e3,
            p(&ours, 0.9).as_secs_f64() * 1e3,
            p(&grep, 0.5).as_secs_f64() * 1e3,
            p(&grep, 0.9).as_secs_f64() * 1e3,
            p(&grep, 0.5).as_secs_f64() / p(&ours, 0.5).as_secs_f64(),
        );
    }
}

fn large_file(dir: &Path, large_mib: u64, runs: u64) {
    let big = dir.join("large.bin");
    let bytes = large_mib << 20;
    write_file(&big, bytes, 7);
    let read_start = Instant::now();
    let mut f = std::fs::File::open(&big).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    while f.read(&mut buf).unwrap() > 0 {}
    let read = read_start.elapsed();
    let b3 = Command::new("b3sum")
        .arg("--num-threads")
        .arg("1")
        .arg(&big)
        .stdout(Stdio::null())
        .status()
        .ok()
        .filter(|s| s.success())
        .map(|_| shell(&format!("b3sum --num-threads 1 {} >/dev/null", quote(&big))));

    let mut attach = Vec::new();
    let mut copy = Vec::new();
    let mut peak = 0;
    for run in 0..runs {
        // Interleaved, each into a fresh place on the same disk.
        let target = dir.join(format!("large-copy-{run}"));
        copy.push(shell(&format!(
            "cp {} {t} && sync {t}",
            quote(&big),
            t = quote(&target)
        )));
        std::fs::remove_file(&target).unwrap();
        let store = dir.join(format!("large-store-{run}"));
        new_store(&store);
        let (elapsed, peak_kib) = timed({
            let mut c = entitle(&store, &["attach", "L-0001"]);
            c.arg(&big).args(["--kind", "other"]);
            c
        });
        attach.push(elapsed);
        peak = peak.max(peak_kib);
        std::fs::remove_dir_all(&store).unwrap();
    }
    let (best, median) = best_median(attach);
    let (copy_best, copy_median) = best_median(copy);
    println!("one large file: {large_mib} MiB, {runs} runs (best, median):");
    println!(
        "  plain read (cached)  {:>7.2} s            {:>6.0} MB/s",
        read.as_secs_f64(),
        mb_s(bytes, read)
    );
    if let Some(b3) = b3 {
        println!(
            "  b3sum (1 thread)     {:>7.2} s            {:>6.0} MB/s",
            b3.as_secs_f64(),
            mb_s(bytes, b3)
        );
    }
    println!(
        "  cp + sync FILE       {:>7.2} s {:>7.2} s  {:>6.0} MB/s",
        copy_best.as_secs_f64(),
        copy_median.as_secs_f64(),
        mb_s(bytes, copy_best)
    );
    println!(
        "  entitle attach       {:>7.2} s {:>7.2} s  {:>6.0} MB/s  (hash + copy + fsync + event; peak RSS {} MiB)",
        best.as_secs_f64(),
        median.as_secs_f64(),
        mb_s(bytes, best),
        peak / 1024
    );
    println!(
        "  ratio attach / (cp + sync): best {:.2}×, median {:.2}×",
        best.as_secs_f64() / copy_best.as_secs_f64(),
        median.as_secs_f64() / copy_median.as_secs_f64()
    );
}
