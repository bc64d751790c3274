//! The server benchmark (issue #12): `entitle serve` as a real process on
//! loopback, spoken to over real HTTP with an API token, on the 1M-event
//! benchmark store (the ledger benchmark's history) and on the demo store.
//!
//! ```text
//! cargo bench --bench server
//! ```
//!
//! Reports, each beside its peer from the same run:
//! - `GET /api/v1/position` latency p50/p99 with 1, 8 and 32 concurrent
//!   clients, each request asking a business date none asked before (so
//!   each is computed), and all asking the same question (what a team's
//!   dashboards ask between two writes: the server's kept answers), beside
//!   the question asked of the local CLI (a whole process: what a script
//!   did before there was a server);
//! - writes per second with 8 clients each recording single usage counts,
//!   every one durable before its 2xx, beside SQLite committing the same
//!   rows one transaction each (WAL, `synchronous=FULL`) from 8 threads;
//! - the server's peak resident memory;
//! - `GET /api/v1/position` p50 on the demo store.
//!
//! Environment (all optional):
//! - `ENTITLE_BENCH_EVENTS`   events of the big store (default 1,000,000)
//! - `ENTITLE_BENCH_LICENSES` its licenses (default 10,000)
//! - `ENTITLE_BENCH_STORE`    an existing store to copy instead of building
//!   one (e.g. kept by `ENTITLE_BENCH_KEEP=dir cargo bench --bench ledger`)
//! - `ENTITLE_BENCH_REQUESTS` position requests per client count (default 400)
//! - `ENTITLE_BENCH_WRITES`   writes per writer (default 250)
//!
//! This is a measurement, not a test: nothing here fails on a slow figure.

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "ledger/generate.rs"]
mod generate;

use common::copy_dir;

const PASSWORD: &str = "benchmark password";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn entitle(store: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_entitle"));
    c.arg("--store")
        .arg(store)
        .env("ENTITLE_ACTOR", "bench")
        .env_remove("ENTITLE_STORE")
        .env_remove("ENTITLE_SERVER");
    c
}

/// Runs entitle to success; its standard output.
fn run(store: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = entitle(store)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run entitle");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "entitle {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An admin account and a token for it; the token.
fn token(store: &Path) -> String {
    run(
        store,
        &[
            "user",
            "add",
            "bench",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    run(
        store,
        &["token", "create", "--user", "bench", "--name", "benchmark"],
        None,
    )
    .trim()
    .to_owned()
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(store: &Path) -> Server {
        let mut child = entitle(store)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("ENTITLE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start entitle serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let url = first.rsplit(' ').next().unwrap().to_owned();
        std::thread::spawn(move || for _ in lines {});
        Server { child, url }
    }

    /// Peak resident memory so far, in MiB.
    fn peak_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn client(token: &str) -> reqwest::blocking::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::blocking::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// How the requests of a load ask.
#[derive(Clone, Copy, PartialEq)]
enum Asking {
    /// Every request the same question (today, as known now): what a
    /// team's dashboards ask between two writes; answered from the
    /// server's kept answers after the first.
    Same,
    /// Every request a business date no request asked before: each one
    /// computed.
    Distinct,
}

/// `total` position requests spread over `clients` threads; the sorted
/// latencies and the wall time.
fn position_load(
    url: &str,
    token: &str,
    clients: usize,
    total: usize,
    asking: Asking,
) -> (Vec<Duration>, Duration) {
    let per = total.div_ceil(clients);
    let began = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let client = client(token);
            let url = url.to_owned();
            std::thread::spawn(move || {
                let mut took = Vec::with_capacity(per);
                for i in 0..per {
                    let path = match asking {
                        Asking::Same => format!("{url}/api/v1/position"),
                        Asking::Distinct => {
                            let day = sweep_day(c * per + i);
                            format!("{url}/api/v1/position?as_of={day}")
                        }
                    };
                    let t = Instant::now();
                    let response = client.get(&path).send().expect("position");
                    assert!(response.status().is_success(), "{}", response.status());
                    let _ = response.bytes().unwrap();
                    took.push(t.elapsed());
                }
                took
            })
        })
        .collect();
    let mut all: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let wall = began.elapsed();
    all.sort();
    (all, wall)
}

/// `writers` threads each recording `each` single usage counts; the
/// writes per second.
fn write_load(url: &str, token: &str, writers: usize, each: usize) -> f64 {
    let path = format!("{url}/api/v1/events");
    let began = Instant::now();
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let client = client(token);
            let path = path.clone();
            std::thread::spawn(move || {
                for i in 0..each {
                    let event = serde_json::json!({
                        "type": "usage_recorded",
                        "vendor": format!("Bench writer {w}"),
                        "product": "Load test",
                        "metric": "user",
                        "count": i,
                        "effective": "2025-01-01",
                    });
                    let response = client.post(&path).json(&event).send().expect("write");
                    assert!(
                        response.status().is_success(),
                        "{}: {}",
                        response.status(),
                        response.text().unwrap_or_default()
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    (writers * each) as f64 / began.elapsed().as_secs_f64()
}

/// SQLite committing the same rows one transaction each from `writers`
/// threads (WAL, synchronous=FULL): the peer of the write figure.
fn sqlite_writes(dir: &Path, writers: usize, each: usize) -> f64 {
    let db = dir.join("peer.sqlite");
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE usage(vendor TEXT, product TEXT, metric TEXT, count INTEGER, date TEXT, source TEXT);",
        )
        .unwrap();
    }
    let db = Arc::new(db);
    let began = Instant::now();
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let db = Arc::clone(&db);
            std::thread::spawn(move || {
                let c = rusqlite::Connection::open(&*db).unwrap();
                c.busy_timeout(Duration::from_secs(60)).unwrap();
                c.execute_batch("PRAGMA synchronous=FULL;").unwrap();
                for i in 0..each {
                    c.execute(
                        "INSERT INTO usage VALUES (?1, 'Load test', 'user', ?2, '2025-01-01', 'bench')",
                        rusqlite::params![format!("Bench writer {w}"), i as i64],
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    (writers * each) as f64 / began.elapsed().as_secs_f64()
}

/// The big store: a copy of `ENTITLE_BENCH_STORE`, else built from the
/// ledger benchmark's history.
fn big_store(work: &Path) -> (PathBuf, String) {
    let store = work.join("big");
    if let Some(from) = std::env::var_os("ENTITLE_BENCH_STORE") {
        copy_dir(Path::new(&from), &store);
        let _ = std::fs::remove_dir_all(store.join("auth"));
        return (store, format!("a copy of {}", Path::new(&from).display()));
    }
    let total = env_u64("ENTITLE_BENCH_EVENTS", generate::DEFAULT_EVENTS);
    let licenses = env_u64("ENTITLE_BENCH_LICENSES", 10_000);
    let file = work.join("events.jsonl");
    let t = Instant::now();
    let generated = generate::generate(&file, total, licenses, 0.9);
    let lines: u64 = generated.counts.values().sum();
    eprintln!(
        "generated {lines} events in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    run(&store, &["import", "events", file.to_str().unwrap()], None);
    eprintln!("imported them in {:.1} s", t.elapsed().as_secs_f64());
    (store, format!("{lines} events, {licenses} licenses"))
}

/// The pages a person opens, as the demo store has them.
const DEMO_PAGES: [&str; 13] = [
    "/",
    "/licenses",
    "/licenses/L-0001",
    "/licenses/new",
    "/usage/Microsoft/Microsoft%20365%20E3/user",
    "/renewals",
    "/spend",
    "/documents",
    "/documents?q=Lizenz",
    "/audits",
    "/imports",
    "/admin",
    "/?as_of=2024-06-30&known_at=2024-09-02",
];

/// One page asked `n` times by one client: p50, p99 and the bytes of the
/// page (the HTML; the stylesheet is cached by the browser for a year).
/// `{date}` in the path is a business date new to each request.
/// The `n`th business date of a sweep: every fourth day from 2020-01-01,
/// inside the benchmark store's history (2016–2024) so that each question
/// has licenses and counts to answer (the sweep began in 2015 before,
/// mostly before any purchase).
fn sweep_day(n: usize) -> jiff::civil::Date {
    jiff::civil::date(2020, 1, 1)
        .checked_add(jiff::Span::new().days(4 * n as i64))
        .unwrap()
}

fn page_load(url: &str, token: &str, path: &str, n: usize) -> (Duration, Duration, usize) {
    let client = client(token);
    let mut took = Vec::with_capacity(n);
    let mut bytes = 0;
    for i in 0..n {
        let day = sweep_day(i);
        let path = path.replace("{date}", &day.to_string());
        let t = Instant::now();
        let response = client.get(format!("{url}{path}")).send().expect("page");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        bytes = response.bytes().unwrap().len();
        took.push(t.elapsed());
    }
    took.sort();
    (percentile(&took, 0.5), percentile(&took, 0.99), bytes)
}

/// The local CLI's `position --json` as a whole process, the median of
/// `runs`: the peer of the API's latency.
fn cli_position(store: &Path, runs: usize) -> Duration {
    let mut took: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            run(store, &["position", "--json"], None);
            t.elapsed()
        })
        .collect();
    took.sort();
    took[took.len() / 2]
}

fn main() {
    let requests = env_u64("ENTITLE_BENCH_REQUESTS", 400) as usize;
    let writes = env_u64("ENTITLE_BENCH_WRITES", 250) as usize;
    let tmp = tempfile::tempdir().expect("temp dir");
    let work = tmp.path();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    // The demo store: the cheap page.
    let demo = work.join("demo");
    run(&demo, &["demo"], None);
    let demo_cli = cli_position(&demo, 5);
    let demo_token = token(&demo);
    let demo_server = Server::start(&demo);
    let _ = position_load(&demo_server.url, &demo_token, 1, 20, Asking::Same);
    let (demo_latency, _) =
        position_load(&demo_server.url, &demo_token, 1, requests, Asking::Distinct);
    let demo_pages: Vec<_> = DEMO_PAGES
        .iter()
        .map(|path| {
            let _ = page_load(&demo_server.url, &demo_token, path, 3);
            (*path, page_load(&demo_server.url, &demo_token, path, 50))
        })
        .collect();
    drop(demo_server);

    let (big, what) = big_store(work);
    let big_cli = cli_position(&big, 3);
    let token = token(&big);
    let server = Server::start(&big);
    let _ = position_load(&server.url, &token, 1, 3, Asking::Same);
    let mut rows = Vec::new();
    for asking in [Asking::Distinct, Asking::Same] {
        for clients in [1usize, 8, 32] {
            let total = if clients == 1 { requests / 4 } else { requests }.max(clients);
            let (latency, wall) = position_load(&server.url, &token, clients, total, asking);
            rows.push((asking, clients, latency, wall));
        }
    }
    let big_pages: Vec<_> = ["/?as_of={date}", "/", "/licenses", "/renewals", "/spend"]
        .iter()
        .map(|path| (*path, page_load(&server.url, &token, path, 15)))
        .collect();
    let entitle_writes = write_load(&server.url, &token, 8, writes);
    let peak = server.peak_mib();
    drop(server);
    let sqlite = sqlite_writes(work, 8, writes);

    println!();
    println!("entitle server bench — {what} ({cores} cores)");
    println!(
        "{:<44} {:>10} {:>10} {:>10}   peer",
        "question", "p50", "p99", "req/s"
    );
    for (asking, clients, latency, wall) in &rows {
        let asking = match asking {
            Asking::Distinct => "a new date each",
            Asking::Same => "same question",
        };
        println!(
            "{:<44} {:>8.1}ms {:>8.1}ms {:>10.1}   local CLI `position --json`: {:.1} ms",
            format!("GET /api/v1/position, {clients} client(s), {asking}"),
            ms(percentile(latency, 0.5)),
            ms(percentile(latency, 0.99)),
            latency.len() as f64 / wall.as_secs_f64(),
            ms(big_cli),
        );
    }
    println!(
        "{:<44} {:>8.1}ms {:>8.1}ms {:>10}   local CLI: {:.1} ms",
        "demo store: GET /api/v1/position, 1 client, a new date each",
        ms(percentile(&demo_latency, 0.5)),
        ms(percentile(&demo_latency, 0.99)),
        "",
        ms(demo_cli),
    );
    println!(
        "{:<44} {:>21.0}/s {:>10}   SQLite, a transaction each (WAL, synchronous=FULL): {sqlite:.0}/s",
        "writes, 8 clients × single events (durable)", entitle_writes, "",
    );
    println!("{:<44} {:>19.0} MiB", "server peak resident memory", peak);

    println!();
    println!("pages (HTML as served; one client, signed in by token)");
    println!("{:<52} {:>10} {:>10} {:>10}", "page", "p50", "p99", "size");
    let print_pages = |store: &str, pages: &[(&str, (Duration, Duration, usize))]| {
        for (path, (p50, p99, bytes)) in pages {
            println!(
                "{:<52} {:>8.1}ms {:>8.1}ms {:>7.1} KB",
                format!("{store}: {path}"),
                ms(*p50),
                ms(*p99),
                *bytes as f64 / 1024.0
            );
        }
    };
    print_pages("demo", &demo_pages);
    print_pages("big", &big_pages);
}
