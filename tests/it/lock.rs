//! One process at a time: a command waits for a short holder (saying once
//! whom it waits for), gives up after `--wait` naming only a live holder,
//! and never waits for the server.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::{purchase, TestStore};

fn store() -> TestStore {
    let s = TestStore::new();
    s.ok(&purchase("Adobe", "10", &[]));
    s
}

/// Takes the store's lock as another process would, naming `holder`.
fn hold(s: &TestStore, holder: &str) -> File {
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(s.path.join("LOCK"))
        .unwrap();
    f.lock().unwrap();
    f.set_len(0).unwrap();
    f.write_all(holder.as_bytes()).unwrap();
    f
}

fn me(command: &str) -> String {
    format!(
        "pid {} running `{command}` since 2026-12-02T09:14:03Z",
        std::process::id()
    )
}

#[test]
fn a_command_waits_for_a_short_holder_and_says_so_once() {
    let s = store();
    let lock = hold(&s, &me("entitle import events"));
    let mut child = s
        .command(&["adjust", "L-0001", "--qty", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the command must wait while the store is held"
    );
    lock.unlock().unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let told = format!(
        "entitle: waiting for the store: it is in use by {}",
        me("entitle import events")
    );
    assert_eq!(stderr.matches(&told).count(), 1, "{stderr}");
    assert!(s.log().contains("\"qty\":20"));
}

#[test]
fn after_the_wait_the_live_holder_is_named_and_nothing_is_written() {
    let s = store();
    let log = s.log();
    let _lock = hold(&s, &me("entitle verify"));
    let err = s.fails(2, &["--wait", "1", "adjust", "L-0001", "--qty", "20"]);
    assert!(err.contains(&me("entitle verify")), "{err}");
    assert!(err.contains("still in use after 1 s"), "{err}");
    assert!(err.contains("pass a longer --wait SECONDS"), "{err}");
    assert!(err.contains("LOCK"), "{err}");
    assert_eq!(s.log(), log);
}

#[test]
fn a_holder_that_is_gone_is_not_named() {
    let s = store();
    // the lock file still names a process that has ended (the new holder
    // has not written its name yet)
    let _lock = hold(
        &s,
        "pid 999999999 running `entitle state` since 2026-12-02T09:14:03Z",
    );
    let err = s.fails(2, &["--wait", "0", "state"]);
    assert!(err.contains("in use by another entitle process"), "{err}");
    assert!(!err.contains("999999999"), "{err}");
}

#[test]
fn the_server_is_never_waited_for() {
    let s = store();
    let _lock = hold(&s, &me("entitle serve --listen 127.0.0.1:8080"));
    let started = Instant::now();
    let err = s.fails(2, &["--wait", "600", "state"]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "a store held by the server must fail at once"
    );
    assert!(err.contains("held by the entitle server"), "{err}");
    assert!(
        err.contains("run the command through it: pass --server URL (or set ENTITLE_SERVER) with an API token in ENTITLE_TOKEN, or stop it first"),
        "{err}"
    );
}

#[test]
fn two_reads_take_turns() {
    let s = store();
    let a = s
        .command(&["state", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let b = s
        .command(&["position", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Runs a command that must finish (not hang on its input) and fail with 2.
fn fails_without_hanging(s: &TestStore, args: &[&str]) -> String {
    let mut child = s
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("entitle {args:?} hangs");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_fifo_or_a_device_is_refused_by_name_before_the_store_is_held() {
    let s = store();
    let log = s.log();
    let fifo = s.path.parent().unwrap().join("scan.pdf");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let fifo = fifo.to_str().unwrap();
    let err = fails_without_hanging(&s, &["attach", "L-0001", fifo]);
    assert!(
        err.contains(&format!("{fifo} is not a regular file")),
        "{err}"
    );
    let err = fails_without_hanging(&s, &purchase("Adobe", "1", &["--attach", fifo]));
    assert!(err.contains("is not a regular file"), "{err}");
    let err = fails_without_hanging(&s, &["attach", "L-0001", "/dev/zero"]);
    assert!(err.contains("/dev/zero is not a regular file"), "{err}");
    assert_eq!(s.log(), log);
    // and nothing holds the store afterwards
    s.ok(&["--wait", "0", "state"]);
}

#[test]
fn a_finished_command_leaves_a_lock_file_that_names_nobody() {
    let s = store();
    s.ok(&["state"]);
    assert_eq!(
        std::fs::read_to_string(s.path.join("LOCK")).unwrap(),
        "",
        "a released lock must not name its last holder"
    );
}

#[test]
fn a_pid_reused_by_another_process_is_not_named() {
    let s = store();
    // This test process is alive, but did not start at the time the lock
    // file gives: the pid belonged to a holder that is gone.
    let _lock = hold(&s, &format!("{}\nstart: 1\n", me("entitle import events")));
    let err = s.fails(2, &["--wait", "0", "adjust", "L-0001", "--qty", "20"]);
    assert!(!err.contains("import events"), "{err}");
    assert!(err.contains("another entitle process"), "{err}");
}
