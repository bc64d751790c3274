//! The shared harness: a fresh store per test, the binary, and readers for
//! what it wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_entitle"))
}

pub struct TestStore {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TestStore {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("store");
        TestStore { _dir: dir, path }
    }

    /// A store at `path` (made by another command, such as `restore`).
    pub fn at(path: PathBuf) -> Self {
        TestStore {
            _dir: tempfile::tempdir().expect("temp dir"),
            path,
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.arg("--store").arg(&self.path).args(args);
        c.env("ENTITLE_ACTOR", "tester")
            .env_remove("ENTITLE_STORE")
            .env_remove("ENTITLE_WAIT");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run entitle")
    }

    /// Runs a command that must succeed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "entitle {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs a command that must fail with `code`; returns stderr (and
    /// stdout appended, for verify's report).
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "entitle {args:?} should exit {code}:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        )
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(&all)).expect("JSON output")
    }

    pub fn log_path(&self) -> PathBuf {
        self.path.join("log").join("events.jsonl")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.log().lines().map(str::to_owned).collect()
    }

    /// Writes an import file in the store's temp dir and imports it.
    pub fn import(&self, lines: &[&str]) -> String {
        let file = self.path.with_file_name("import.jsonl");
        std::fs::write(&file, lines.join("\n")).unwrap();
        self.ok(&["import", "events", file.to_str().unwrap()])
    }
}

/// The arguments of a purchase of `qty` users of Acrobat Pro from `vendor`
/// starting 2024-01-01, then `extra`.
pub fn purchase<'a>(vendor: &'a str, qty: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "purchase",
        "--vendor",
        vendor,
        "--product",
        "Acrobat Pro",
        "--metric",
        "user",
        "--qty",
        qty,
        "--start",
        "2024-01-01",
    ];
    args.extend_from_slice(extra);
    args
}

pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}
