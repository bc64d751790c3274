//! The attach benchmark of issue #3, through the release `entitle` binary
//! (whole process): one large file, and many small ones in one command.
//!
//! ```text
//! cargo bench --bench archive
//! ```
//!
//! `ENTITLE_BENCH_LARGE_MIB` sets the large file's size (default 1024) and
//! `ENTITLE_BENCH_SMALL` the number of small files (default 1,000). Besides
//! entitle's throughput it prints, on the same file in the same run, how
//! long a plain read and `b3sum` take, so one can see whether ingest is
//! limited by the disk or by hashing; and the peak memory of the attaching
//! process (VmHWM), which must not grow with the file.
//!
//! A measurement, not a test: nothing here fails on a slow figure.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{entitle, env_or, measure};

/// Runs a command that must succeed: its wall time and peak memory (KiB).
fn timed(cmd: Command) -> (Duration, u64) {
    let run = measure(cmd);
    assert_eq!(run.code, 0, "command failed");
    (run.elapsed, run.peak_kib)
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

fn main() {
    let large_mib = env_or("ENTITLE_BENCH_LARGE_MIB", 1024);
    let small = env_or("ENTITLE_BENCH_SMALL", 1000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    let status = entitle(
        &store,
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

    // One large file.
    let big = dir.path().join("large.bin");
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
        .status();
    let b3_start = Instant::now();
    let b3 = b3.ok().filter(|s| s.success()).map(|_| {
        let s = Instant::now();
        Command::new("b3sum")
            .arg("--num-threads")
            .arg("1")
            .arg(&big)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        s.elapsed()
    });
    let _ = b3_start;
    let (attach, peak) = timed({
        let mut c = entitle(&store, &["attach", "L-0001"]);
        c.arg(&big).args(["--kind", "other"]);
        c
    });

    // Many small files, one command.
    let small_dir = dir.path().join("small");
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
    let (attach_small, peak_small) = timed({
        let mut c = entitle(&store, &["attach", "L-0001", "--kind", "contract"]);
        c.args(&files);
        c
    });

    println!("entitle archive bench (2 cores)");
    println!("large file: {} MiB", large_mib);
    println!(
        "  plain read           {:>8.2} s  {:>8.0} MB/s",
        read.as_secs_f64(),
        mb_s(bytes, read)
    );
    if let Some(b3) = b3 {
        println!(
            "  b3sum (1 thread)     {:>8.2} s  {:>8.0} MB/s",
            b3.as_secs_f64(),
            mb_s(bytes, b3)
        );
    }
    println!(
        "  entitle attach       {:>8.2} s  {:>8.0} MB/s  (hash + copy + fsync + event; peak RSS {} MiB)",
        attach.as_secs_f64(),
        mb_s(bytes, attach),
        peak / 1024
    );
    println!(
        "{small} small files ({:.1} MB of text), one command:",
        small_bytes as f64 / 1e6
    );
    println!(
        "  entitle attach       {:>8.2} s  {:>8.1} MB/s  {:>6.0} files/s  (incl. text extraction and indexing; peak RSS {} MiB)",
        attach_small.as_secs_f64(),
        mb_s(small_bytes, attach_small),
        small as f64 / attach_small.as_secs_f64(),
        peak_small / 1024
    );
}
