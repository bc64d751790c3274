//! What the whole-process benchmarks share: running the release binary and
//! measuring its wall time, CPU time and peak resident memory. Each bench
//! uses a part of it (`#[allow(dead_code)]` where it is declared).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// An environment variable as a number, or the default.
pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `entitle --store STORE ARGS…` with a fixed actor.
pub fn entitle(store: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_entitle"));
    c.arg("--store")
        .arg(store)
        .args(args)
        .env("ENTITLE_ACTOR", "bench");
    c
}

/// How one process ran.
pub struct Run {
    pub elapsed: Duration,
    /// Peak resident set size, in KiB.
    pub peak_kib: u64,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
}

/// Runs a command to completion, its output discarded, polling its peak
/// resident memory (`VmHWM`, a high-water mark, so a poll misses nothing
/// but what the last few milliseconds added).
pub fn measure(mut cmd: Command) -> Run {
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(kib) = text.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                let kib = kib
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .unwrap_or(0);
                peak_kib = peak_kib.max(kib);
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            return Run {
                elapsed: start.elapsed(),
                peak_kib,
                code: status.code().unwrap_or(-1),
            };
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// CPU seconds (user + system) used by the children waited for so far.
pub fn children_cpu() -> f64 {
    stat_cpu("/proc/self/stat", 16)
}

/// CPU seconds in a `stat(5)` file: the user time in field `user` and the
/// system time in the field after it.
pub fn stat_cpu(file: &str, user: usize) -> f64 {
    let stat = std::fs::read_to_string(file).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3.
    let ticks = |i: usize| {
        f.get(i - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(user) + ticks(user + 1)) / 100.0 // USER_HZ
}

/// Copies a directory tree (a kept benchmark store), leaving out the
/// store's `LOCK` file. (Not every benchmark copies a store.)
#[allow(dead_code)]
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != "LOCK" {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
