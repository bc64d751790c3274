//! What the whole-process benchmarks share: running the release binary and
//! measuring its wall time and peak resident memory.

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
