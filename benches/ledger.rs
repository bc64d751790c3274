//! The benchmark of issue #2: a store of 10,000 licenses and 1,000,000
//! events, driven through the release `entitle` binary (whole process).
//!
//! ```text
//! cargo bench --bench ledger
//! ```
//!
//! Environment (all optional):
//! - `ENTITLE_BENCH_EVENTS`  total events (default 1,000,000)
//! - `ENTITLE_BENCH_LICENSES` licenses (default 10,000)
//! - `ENTITLE_BENCH_RUNS`    runs per query (default 7)
//! - `ENTITLE_BENCH_KEEP`    a directory to build the store in and keep
//!   (for profiling); the default is a temporary directory.
//!
//! Reports `import events` throughput, `state`/`position --as-of` latency
//! (with and without `--known-at #N`), `verify` throughput and the store's
//! size on disk per event. Targets (issue #2, 2 cores): import ≥ 100,000
//! events/s, as-of queries ≤ 100 ms, verify ≥ 1,000,000 events/s.
//!
//! This is a measurement, not a test: nothing here fails on a slow figure.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jiff::civil::Date;
use jiff::ToSpan;

const SEED: u64 = 0x00e1_7171_e5ee_d002;
const VENDORS: u64 = 500;
const PRODUCTS: u64 = 2_000;
const METRICS: [&str; 6] = [
    "user",
    "device",
    "core",
    "processor",
    "concurrent",
    "instance",
];

/// splitmix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 1.0 < p
    }
}

fn product_vendor(p: u64) -> u64 {
    // Products spread over vendors unevenly (a few big vendors), but every
    // vendor has at least one product.
    if p < VENDORS {
        p
    } else {
        (p * p / 7) % 60
    }
}

fn product_metric(p: u64) -> &'static str {
    METRICS[((p * 2_654_435_761) >> 7) as usize % METRICS.len()]
}

/// One generated line, before voids are woven in.
struct Gen {
    date: Date,
    /// Tie-break: generation order (a purchase precedes its changes).
    order: u64,
    kind: Kind,
    line: String,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Purchased,
    Extended,
    Adjusted,
    Cancelled,
    Usage,
    Voided,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Purchased => "purchased",
            Kind::Extended => "extended",
            Kind::Adjusted => "adjusted",
            Kind::Cancelled => "cancelled",
            Kind::Usage => "usage_recorded",
            Kind::Voided => "voided",
        }
    }
}

fn day(first: Date, n: u64) -> Date {
    first.checked_add((n as i64).days()).expect("date in range")
}

/// Writes the import file; returns the count per kind.
fn generate(path: &Path, total: u64, licenses: u64) -> BTreeMap<Kind, u64> {
    let mut rng = Rng(SEED);
    let first = Date::constant(2016, 1, 1);
    let last = Date::constant(2024, 12, 31);
    let span_days = (last - first).get_days() as u64;
    let mut events: Vec<Gen> = Vec::with_capacity(total as usize);
    let mut order = 0u64;
    let mut push = |events: &mut Vec<Gen>, date: Date, kind: Kind, line: String| {
        order += 1;
        events.push(Gen {
            date,
            order,
            kind,
            line,
        });
    };

    // Licenses and their changes: ~9 changes per license on average
    // (adjustments, renewals near the end of a term, a few cancellations),
    // and voids woven in later (≈1 per 9 changes).
    let change_budget = licenses * 9;
    let mut changes = 0u64;
    for n in 1..=licenses {
        let id = format!("L-{n:05}");
        let p = rng.below(PRODUCTS);
        let v = product_vendor(p);
        let metric = product_metric(p);
        let start = day(first, rng.below(span_days - 400));
        let qty = 5 + rng.below(500);
        let term = rng.below(100);
        let end = if term < 8 {
            None // perpetual
        } else if term < 14 {
            Some(start.checked_add(3.years()).unwrap().yesterday().unwrap())
        } else {
            Some(start.checked_add(1.year()).unwrap().yesterday().unwrap())
        };
        let mut line = format!(
            r#"{{"type":"purchased","id":"{id}","vendor":"Vendor {v}","product":"Product {p}","metric":"{metric}","qty":{qty},"start":"{start}""#
        );
        if let Some(end) = end {
            write!(line, r#","end":"{end}""#).unwrap();
        }
        if rng.chance(0.6) {
            let cents = 1_000 + rng.below(5_000_000);
            write!(
                line,
                r#","cost":"{}.{:02}","currency":"{}","po":"PO-{}""#,
                cents / 100,
                cents % 100,
                ["EUR", "USD", "GBP", "CHF"][rng.below(4) as usize],
                100_000 + rng.below(900_000)
            )
            .unwrap();
        }
        if end.is_some() && rng.chance(0.25) {
            line.push_str(r#","auto_renew":true"#);
        }
        line.push('}');
        push(&mut events, start, Kind::Purchased, line);

        // Changes dated strictly after the purchase, strictly increasing.
        let mut at = start;
        let mut cur_end = end;
        let mut cur_qty = qty;
        let want = if changes < change_budget {
            2 + rng.below(16)
        } else {
            0
        };
        for _ in 0..want {
            let eff = at.checked_add((1 + rng.below(120) as i64).days()).unwrap();
            let renew = cur_end.filter(|e| eff >= e.checked_sub(30.days()).unwrap());
            if let Some(e) = renew {
                // Near the end of the term: renewed (recorded a month
                // before the end) or left to lapse.
                let eff = e.checked_sub(30.days()).unwrap();
                if eff <= at || e >= last || !rng.chance(0.85) {
                    break;
                }
                let until = e.checked_add(1.year()).unwrap();
                let mut line = format!(
                    r#"{{"type":"extended","id":"{id}","until":"{until}","effective":"{eff}""#
                );
                if rng.chance(0.3) {
                    cur_qty = 5 + rng.below(500);
                    write!(line, r#","qty":{cur_qty}"#).unwrap();
                }
                line.push('}');
                push(&mut events, eff, Kind::Extended, line);
                at = eff;
                cur_end = Some(until);
            } else {
                if eff > last {
                    break;
                }
                cur_qty = (cur_qty as i64 + rng.below(41) as i64 - 20).max(1) as u64;
                let line = format!(
                    r#"{{"type":"adjusted","id":"{id}","qty":{cur_qty},"effective":"{eff}"}}"#
                );
                push(&mut events, eff, Kind::Adjusted, line);
                at = eff;
            }
            changes += 1;
        }
        if rng.chance(0.06) {
            let eff = at.checked_add((1 + rng.below(90) as i64).days()).unwrap();
            if eff <= last {
                let line = format!(r#"{{"type":"cancelled","id":"{id}","effective":"{eff}"}}"#);
                push(&mut events, eff, Kind::Cancelled, line);
                changes += 1;
            }
        }
    }
    let voids_wanted = changes / 9;

    // Usage counts: the rest, spread over products and the years.
    let usage = total - events.len() as u64 - voids_wanted;
    for _ in 0..usage {
        let p = rng.below(PRODUCTS);
        let v = product_vendor(p);
        let metric = product_metric(p);
        let date = day(first, rng.below(span_days + 1));
        let count = rng.below(800);
        let mut line = format!(
            r#"{{"type":"usage_recorded","vendor":"Vendor {v}","product":"Product {p}","metric":"{metric}","count":{count},"effective":"{date}""#
        );
        if rng.chance(0.5) {
            line.push_str(r#","source":"inventory scan""#);
        }
        line.push('}');
        push(&mut events, date, Kind::Usage, line);
    }
    events.sort_by_key(|e| (e.date, e.order));

    // Write, weaving in voids of adjustments and usage counts a few events
    // after the event they void (a correction soon after the mistake).
    let out = std::fs::File::create(path).expect("create import file");
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut counts = BTreeMap::new();
    let mut pending: VecDeque<(u64, u64)> = VecDeque::new(); // (write at seq, target)
    let mut seq = 0u64;
    let mut voids = 0u64;
    let p_void = voids_wanted as f64 / (total - licenses - voids_wanted) as f64 * 1.02;
    let mut write = |out: &mut BufWriter<_>, kind: Kind, line: &str, seq: &mut u64| {
        *seq += 1;
        *counts.entry(kind).or_insert(0) += 1;
        out.write_all(line.as_bytes()).unwrap();
        out.write_all(b"\n").unwrap();
    };
    let mut iter = events.into_iter().peekable();
    while seq < total {
        if let Some(&(when, target)) = pending.front() {
            if when <= seq + 1 || iter.peek().is_none() {
                pending.pop_front();
                let line = format!(
                    r#"{{"type":"voided","voids":{target},"note":"entered twice; see ticket {}"}}"#,
                    1000 + target % 9000
                );
                write(&mut out, Kind::Voided, &line, &mut seq);
                continue;
            }
        }
        let Some(e) = iter.next() else {
            if pending.is_empty() {
                break;
            }
            continue;
        };
        write(&mut out, e.kind, &e.line, &mut seq);
        if matches!(e.kind, Kind::Adjusted | Kind::Usage)
            && voids < voids_wanted
            && rng.chance(p_void)
        {
            voids += 1;
            pending.push_back((seq + 1 + rng.below(50), seq));
        }
    }
    out.flush().unwrap();
    counts
}

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

/// CPU seconds (user + system) used by the children waited for so far.
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 16 and 17 of stat(5); `after` starts at field 3.
    let ticks = |i: usize| {
        f.get(i - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(16) + ticks(17)) / 100.0 // USER_HZ
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
    let total = env_u64("ENTITLE_BENCH_EVENTS", 1_000_000);
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
    let counts = generate(&file, total, licenses);
    let total: u64 = counts.values().sum();
    let file_bytes = std::fs::metadata(&file).unwrap().len();
    eprintln!(
        "generated {} ({:.1} MB) in {:.1} s: {}",
        file.display(),
        file_bytes as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        counts
            .iter()
            .map(|(k, n)| format!("{} {n}", k.name()))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut row = |what: &str, figure: String, target: &str| {
        eprintln!("  {what}: {figure}");
        rows.push((what.to_owned(), figure, target.to_owned()));
    };

    // Import.
    let cpu0 = children_cpu();
    let took = run(&store, &["import", "events", file.to_str().unwrap()]);
    let cpu = children_cpu() - cpu0;
    let import_rate = total as f64 / took.as_secs_f64();
    row(
        &format!("import events ({total} lines)"),
        format!(
            "{:.2} s = {:.0} events/s (cpu {:.1} s = {:.0}/cpu-s)",
            took.as_secs_f64(),
            import_rate,
            cpu,
            total as f64 / cpu
        ),
        &format!(
            "≥ 100000 events/s  {}",
            if import_rate >= 100_000.0 {
                "met"
            } else {
                "MISSED"
            }
        ),
    );

    // Queries: whole-process latency, best and median of `runs`.
    let half = format!("#{}", total / 2);
    let dates = ["2018-06-30", "2021-12-31", "2024-12-31"];
    for cmd in ["state", "position"] {
        for date in dates {
            for known in [None, Some(half.as_str())] {
                let mut args = vec![cmd, "--as-of", date];
                if let Some(k) = known {
                    args.extend(["--known-at", k]);
                }
                let _ = run(&store, &args); // warm the page cache
                let cpu0 = children_cpu();
                let mut times: Vec<Duration> = (0..runs).map(|_| run(&store, &args)).collect();
                let cpu = (children_cpu() - cpu0) / runs as f64;
                times.sort();
                let (best, median) = (times[0], times[times.len() / 2]);
                row(
                    &args.join(" "),
                    format!(
                        "best {:.0} ms, median {:.0} ms (cpu {:.0} ms)",
                        ms(best),
                        ms(median),
                        cpu * 1000.0
                    ),
                    &format!(
                        "≤ 100 ms  {}",
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

    // Verify.
    let _ = run(&store, &["verify"]);
    let cpu0 = children_cpu();
    let mut times: Vec<Duration> = (0..3).map(|_| run(&store, &["verify"])).collect();
    let cpu = (children_cpu() - cpu0) / 3.0;
    times.sort();
    let verify_rate = total as f64 / times[1].as_secs_f64();
    row(
        "verify (median of 3)",
        format!(
            "best {:.0} ms, median {:.0} ms = {:.0} events/s (cpu {:.0} ms = {:.0}/cpu-s)",
            ms(times[0]),
            ms(times[1]),
            verify_rate,
            cpu * 1000.0,
            total as f64 / cpu
        ),
        &format!(
            "≥ 1000000 events/s  {}",
            if verify_rate >= 1_000_000.0 {
                "met"
            } else {
                "MISSED"
            }
        ),
    );
    let said = output(&store, &["verify"]);
    assert!(said.starts_with("intact"), "verify said: {said}");

    // Size on disk.
    let (log, log_blocks) = dir_size(&store.join("log"));
    let (db, db_blocks) = dir_size(&store.join("db"));
    let (all, all_blocks) = dir_size(&store);
    let per = |b: u64| b as f64 / total as f64;
    row(
        "log size",
        format!("{:.1} MB = {:.1} bytes/event", log as f64 / 1e6, per(log)),
        &format!("(on disk {:.1} MB)", log_blocks as f64 / 1e6),
    );
    row(
        "db (sled) size",
        format!("{:.1} MB = {:.1} bytes/event", db as f64 / 1e6, per(db)),
        &format!("(on disk {:.1} MB)", db_blocks as f64 / 1e6),
    );
    row(
        "whole store",
        format!("{:.1} MB = {:.1} bytes/event", all as f64 / 1e6, per(all)),
        &format!("(on disk {:.1} MB)", all_blocks as f64 / 1e6),
    );

    let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    println!();
    println!(
        "entitle ledger bench — {total} events, {licenses} licenses ({cores} cores, loadavg at start {}, at end {})",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("(wall = whole process as a user sees it; cpu = user+system time of the process)");
    println!("{:w0$}  {:w1$}  target", "measure", "figure");
    println!("{}  {}  {}", "-".repeat(w0), "-".repeat(w1), "-".repeat(24));
    for (a, b, c) in &rows {
        println!("{a:w0$}  {b:w1$}  {c}");
    }
}
