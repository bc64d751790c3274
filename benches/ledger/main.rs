//! The ledger benchmark (issues #2 and #14): a store of 10,000 licenses and
//! 1,000,000 events driven through the release `entitle` binary (whole
//! process), beside its peers measured in the same run: SQLite holding the
//! same events (`sqlite.rs`: loaded in one transaction, WAL,
//! `synchronous=FULL`, indexes after the load) asked the same position in
//! SQL, and `b3sum --num-threads 1` over the same log file for `verify`.
//!
//! ```text
//! cargo bench --bench ledger
//! ```
//!
//! Environment (all optional):
//! - `ENTITLE_BENCH_EVENTS`  total events (default 1,000,000)
//! - `ENTITLE_BENCH_LICENSES` licenses (default 10,000)
//! - `ENTITLE_BENCH_OUT_OF_ORDER` percent of usage counts that arrive at a
//!   moment unrelated to their date, as a migration of years of inventory
//!   history brings them (default 90; 0 for a history in date order)
//! - `ENTITLE_BENCH_RUNS`    runs per query (default 7)
//! - `ENTITLE_BENCH_KEEP`    a directory to build the store in and keep
//!   (for profiling); the default is a temporary directory.
//!
//! Reports `import events` against SQLite's load, `state`/`position
//! --as-of` latency (with and without `--known-at #N`; the position
//! against SQLite's answer to the same question, checked to be the same
//! answer), `verify` against `b3sum`, and the sizes on disk. Ratios are
//! those of issue #14's targets. Each figure is printed with its peer's
//! from the same run, alternating, because the machine is shared.
//!
//! This is a measurement, not a test: nothing here fails on a slow figure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../common/mod.rs"]
#[allow(dead_code)]
mod common;
mod generate;
mod sqlite;

use common::children_cpu;

use generate::{generate, Kind, DEFAULT_EVENTS};

fn entitle() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_entitle"));
    c.env("ENTITLE_ACTOR", "bench").env_remove("ENTITLE_STORE");
    c
}

/// Runs entitle once; panics with its stderr when it fails.
fn run(store: &Path, args: &[&str]) -> Duration {
    let t = Instant::now();
    let out = entitle()
        .arg("--store")
        .arg(store)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run entitle");
    let took = t.elapsed();
    assert!(
        out.status.success(),
        "entitle {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// CPU seconds (user + system) this thread has used: SQLite's work, which
/// runs on it.
fn thread_cpu() -> f64 {
    common::stat_cpu("/proc/thread-self/stat", 14)
}

fn output(store: &Path, args: &[&str]) -> String {
    let out = entitle()
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .expect("run entitle");
    assert!(out.status.success(), "entitle {args:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn dir_size(p: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let mut len = 0;
    let mut blocks = 0;
    for entry in std::fs::read_dir(p).into_iter().flatten().flatten() {
        let m = entry.metadata().unwrap();
        if m.is_dir() {
            let (l, b) = dir_size(&entry.path());
            len += l;
            blocks += b;
        } else {
            len += m.len();
            blocks += m.blocks() * 512;
        }
    }
    (len, blocks)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn main() {
    let total = env_u64("ENTITLE_BENCH_EVENTS", DEFAULT_EVENTS);
    let out_of_order = env_u64("ENTITLE_BENCH_OUT_OF_ORDER", 90).min(100);
    let licenses = env_u64("ENTITLE_BENCH_LICENSES", 10_000);
    let runs = env_u64("ENTITLE_BENCH_RUNS", 7).max(1) as usize;
    let _tmp;
    let work: PathBuf = match std::env::var_os("ENTITLE_BENCH_KEEP") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            dir
        }
        None => {
            _tmp = tempfile::tempdir().expect("temp dir");
            _tmp.path().to_owned()
        }
    };
    let file = work.join("events.jsonl");
    let store = work.join("store");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!(
        "entitle ledger bench: {total} events, {licenses} licenses, {runs} runs per query, {cores} cores, loadavg {}",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );

    let t = Instant::now();
    let generated = generate(&file, total, licenses, out_of_order as f64 / 100.0);
    let counts = &generated.counts;
    let total: u64 = counts.values().sum();
    let file_bytes = std::fs::metadata(&file).unwrap().len();
    let usage = counts.get(&Kind::Usage).copied().unwrap_or(0);
    eprintln!(
        "generated {} ({:.1} MB) in {:.1} s: {}; {out_of_order} % of usage counts arrive at a random moment, so {} of {usage} ({:.0} %) are dated before a count of their product already in the file",
        file.display(),
        file_bytes as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        counts
            .iter()
            .map(|(k, n)| format!("{} {n}", k.name()))
            .collect::<Vec<_>>()
            .join(", "),
        generated.late_counts,
        generated.late_counts as f64 * 100.0 / usage.max(1) as f64,
    );

    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut row = |what: &str, figure: String, peer: String, target: String| {
        eprintln!("  {what}: {figure} | {peer} | {target}");
        rows.push([what.to_owned(), figure, peer, target]);
    };

    // Import, then the same file into SQLite.
    let cpu0 = children_cpu();
    let took = run(&store, &["import", "events", file.to_str().unwrap()]);
    let cpu = children_cpu() - cpu0;
    let import_rate = total as f64 / took.as_secs_f64();
    let db = work.join("peer.sqlite");
    let peer_cpu0 = thread_cpu();
    let loaded = sqlite::load(&file, &db);
    let peer_cpu = thread_cpu() - peer_cpu0;
    let peer_rate = total as f64 / loaded.total.as_secs_f64();
    row(
        &format!("import events ({total} lines)"),
        format!(
            "{:.2} s = {:.0} events/s (cpu {:.1} s)",
            took.as_secs_f64(),
            import_rate,
            cpu,
        ),
        format!(
            "SQLite {:.2} s = {:.0} events/s (committed at {:.2} s; cpu {:.1} s)",
            loaded.total.as_secs_f64(),
            peer_rate,
            loaded.committed.as_secs_f64(),
            peer_cpu,
        ),
        format!(
            "{:.2}× SQLite's speed (target ≥ 1.5×; cpu {:.2}×)",
            import_rate / peer_rate,
            peer_cpu / cpu
        ),
    );

    // Queries: whole-process latency, best and median of `runs`; the
    // position's runs alternate with SQLite's answer to the same question,
    // so both see the same moments of a busy machine.
    let half = total / 2;
    let half_arg = format!("#{half}");
    let dates = ["2018-06-30", "2021-12-31", "2024-12-31"];
    for cmd in ["state", "position"] {
        for date in dates {
            for known in [None, Some(half_arg.as_str())] {
                let mut args = vec![cmd, "--as-of", date];
                if let Some(k) = known {
                    args.extend(["--known-at", k]);
                }
                let known_seq = if known.is_some() { half } else { u64::MAX };
                let peer = cmd == "position";
                let mut agree = String::new();
                let _ = run(&store, &args); // warm the page cache
                if peer {
                    let ours = position_json(&store, &args);
                    let theirs = sqlite::position(&db, date, known_seq);
                    agree = compare(&ours, &theirs);
                }
                let mut times = Vec::with_capacity(runs);
                let mut peer_times = Vec::with_capacity(runs);
                let mut cpu = 0.0;
                let mut peer_cpu = 0.0;
                for _ in 0..runs {
                    let cpu0 = children_cpu();
                    times.push(run(&store, &args));
                    cpu += children_cpu() - cpu0;
                    if peer {
                        let t = Instant::now();
                        let cpu0 = thread_cpu();
                        let rows = sqlite::position(&db, date, known_seq);
                        peer_cpu += thread_cpu() - cpu0;
                        peer_times.push(t.elapsed());
                        assert!(!rows.is_empty() || total < 1000);
                    }
                }
                let cpu = cpu / runs as f64;
                times.sort();
                peer_times.sort();
                let (best, median) = (times[0], times[times.len() / 2]);
                let figure = format!(
                    "best {:.0} ms, median {:.0} ms (cpu {:.0} ms)",
                    ms(best),
                    ms(median),
                    cpu * 1000.0
                );
                if peer {
                    let (pbest, pmedian) = (peer_times[0], peer_times[peer_times.len() / 2]);
                    row(
                        &args.join(" "),
                        figure,
                        format!(
                            "SQLite best {:.0} ms, median {:.0} ms (cpu {:.0} ms)",
                            ms(pbest),
                            ms(pmedian),
                            peer_cpu / runs as f64 * 1000.0
                        ),
                        format!(
                            "{:.2}× as fast (target ≥ 4×; cpu {:.2}×); {agree}",
                            pmedian.as_secs_f64() / median.as_secs_f64(),
                            peer_cpu / cpu / runs as f64
                        ),
                    );
                } else {
                    row(
                        &args.join(" "),
                        figure,
                        String::new(),
                        format!(
                            "≤ 100 ms {}",
                            if median.as_millis() <= 100 {
                                "met"
                            } else {
                                "MISSED"
                            }
                        ),
                    );
                }
            }
        }
    }

    // Verify, alternating with `b3sum --num-threads 1` over the same log
    // file: the per-record digests are the format, so one thread hashing
    // the file is the honest floor (issue #14, target 5: within 5×).
    let log_file = store.join("log").join("events.jsonl");
    let b3sum = b3sum();
    let _ = run(&store, &["verify"]);
    let mut times = Vec::new();
    let mut peer_times = Vec::new();
    let mut cpu = 0.0;
    let mut peer_cpu = 0.0;
    for _ in 0..runs.max(3) {
        let cpu0 = children_cpu();
        times.push(run(&store, &["verify"]));
        cpu += children_cpu() - cpu0;
        if let Some(b3sum) = &b3sum {
            let t = Instant::now();
            let cpu0 = children_cpu();
            let ok = Command::new(b3sum)
                .args(["--num-threads", "1"])
                .arg(&log_file)
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "b3sum failed on {}", log_file.display());
            peer_times.push(t.elapsed());
            peer_cpu += children_cpu() - cpu0;
        }
    }
    let cpu = cpu / times.len() as f64;
    times.sort();
    peer_times.sort();
    let median = times[times.len() / 2];
    let verify_rate = total as f64 / median.as_secs_f64();
    let (peer, ratio) = if peer_times.is_empty() {
        (
            "b3sum not found (cargo install b3sum)".to_owned(),
            String::new(),
        )
    } else {
        let pmedian = peer_times[peer_times.len() / 2];
        (
            format!(
                "b3sum --num-threads 1: best {:.0} ms, median {:.0} ms (cpu {:.0} ms)",
                ms(peer_times[0]),
                ms(pmedian),
                peer_cpu / peer_times.len() as f64 * 1000.0
            ),
            format!(
                "{:.1}× b3sum's time (target ≤ 5×; cpu {:.1}×)",
                median.as_secs_f64() / pmedian.as_secs_f64(),
                cpu / (peer_cpu / peer_times.len() as f64)
            ),
        )
    };
    row(
        &format!("verify (median of {})", times.len()),
        format!(
            "best {:.0} ms, median {:.0} ms = {:.0} events/s (cpu {:.0} ms)",
            ms(times[0]),
            ms(median),
            verify_rate,
            cpu * 1000.0,
        ),
        peer,
        ratio,
    );
    let said = output(&store, &["verify"]);
    assert!(said.starts_with("intact"), "verify said: {said}");

    // Size on disk.
    let (log, log_blocks) = dir_size(&store.join("log"));
    let (db_len, db_blocks) = dir_size(&store.join("db"));
    let (all, all_blocks) = dir_size(&store);
    let per = |b: u64| b as f64 / total as f64;
    row(
        "log size",
        format!("{:.1} MB = {:.1} bytes/event", log as f64 / 1e6, per(log)),
        String::new(),
        format!("(on disk {:.1} MB)", log_blocks as f64 / 1e6),
    );
    row(
        "db (sled) size",
        format!(
            "{:.1} MB = {:.1} bytes/event",
            db_len as f64 / 1e6,
            per(db_len)
        ),
        String::new(),
        format!("(on disk {:.1} MB)", db_blocks as f64 / 1e6),
    );
    row(
        "whole store",
        format!("{:.1} MB = {:.1} bytes/event", all as f64 / 1e6, per(all)),
        format!(
            "SQLite database: {:.1} MB = {:.1} bytes/event",
            loaded.bytes as f64 / 1e6,
            per(loaded.bytes)
        ),
        format!("(on disk {:.1} MB)", all_blocks as f64 / 1e6),
    );

    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let (w0, w1, w2) = (width(0), width(1), width(2));
    println!();
    println!(
        "entitle ledger bench — {total} events ({:.0} % of usage counts dated before one already recorded), {licenses} licenses ({cores} cores, loadavg at start {}, at end {})",
        generated.late_counts as f64 * 100.0 / usage.max(1) as f64,
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("(entitle: whole process; cpu = user+system time of the process. SQLite: in this process, a new connection per question. Same run, alternating.)");
    println!(
        "{:w0$}  {:w1$}  {:w2$}  ratio / target",
        "measure", "entitle", "peer"
    );
    println!(
        "{}  {}  {}  {}",
        "-".repeat(w0),
        "-".repeat(w1),
        "-".repeat(w2),
        "-".repeat(24)
    );
    for [a, b, c, d] in &rows {
        println!("{a:w0$}  {b:w1$}  {c:w2$}  {d}");
    }
}

/// `b3sum` on the PATH or where `cargo install` puts it.
fn b3sum() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("b3sum"))
            .find(|p| p.is_file())
    });
    found.or_else(|| {
        let p = PathBuf::from(std::env::var_os("HOME")?).join(".cargo/bin/b3sum");
        p.is_file().then_some(p)
    })
}

/// The products of `entitle position … --json` that have an entitled
/// license or a usage count: (vendor, product, metric) → (entitled, used).
fn position_json(
    store: &Path,
    args: &[&str],
) -> BTreeMap<(String, String, String), (u64, Option<u64>)> {
    let mut args = args.to_vec();
    args.push("--json");
    let text = output(store, &args);
    let v: serde_json::Value = serde_json::from_str(&text).expect("position --json");
    let mut out = BTreeMap::new();
    for p in v["products"].as_array().expect("products") {
        let entitled = p["entitled"].as_u64().unwrap_or(u64::MAX);
        let used = p["used"].as_u64();
        if entitled == 0 && used.is_none() {
            continue;
        }
        let s = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
        out.insert((s("vendor"), s("product"), s("metric")), (entitled, used));
    }
    out
}

/// Whether SQLite's answer is entitle's, in words.
fn compare(
    ours: &BTreeMap<(String, String, String), (u64, Option<u64>)>,
    theirs: &[sqlite::Row],
) -> String {
    let theirs: BTreeMap<_, _> = theirs
        .iter()
        .map(|r| {
            (
                (r.vendor.clone(), r.product.clone(), r.metric.clone()),
                (r.entitled, r.used),
            )
        })
        .collect();
    let differ: Vec<_> = ours
        .iter()
        .filter(|(k, v)| theirs.get(*k) != Some(v))
        .map(|(k, _)| k)
        .chain(theirs.keys().filter(|k| !ours.contains_key(*k)))
        .collect();
    if differ.is_empty() {
        format!("same answer ({} products)", ours.len())
    } else {
        let k = differ[0];
        format!(
            "ANSWERS DIFFER on {} of {} products, e.g. {k:?}: entitle {:?}, SQLite {:?}",
            differ.len(),
            ours.len(),
            ours.get(k),
            theirs.get(k)
        )
    }
}
