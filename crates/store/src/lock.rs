//! One process at a time: an advisory lock on `<store>/LOCK`, whose holder
//! writes who it is so that the next one can say so.
//!
//! A command that finds the store held waits for it (saying once whom it
//! waits for, as cargo does) up to the time its caller allows; a store held
//! by the server is never waited for, as the server holds it until it
//! stops. The holder named in a message is always a live process: the lock
//! file may still name the previous holder for a moment after a new one has
//! taken the lock, so a name whose process is gone is read again, and
//! left out if it stays gone.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{IoContext, StoreError};
use crate::layout::Layout;

/// The command a server runs under: a store held by it is not waited for.
pub const SERVER_COMMAND: &str = "entitle serve";

/// How long opening a store waits for another process that holds it, and
/// whom it tells that it waits.
pub struct LockWait<'a> {
    /// The longest wait; zero fails at once.
    pub up_to: Duration,
    /// Told once, when the wait begins, who holds the store ("pid 4711
    /// running `entitle import events` since …").
    pub waiting: &'a dyn Fn(&str),
}

impl LockWait<'_> {
    /// Fail at once when the store is held.
    #[must_use]
    pub fn none() -> LockWait<'static> {
        LockWait {
            up_to: Duration::ZERO,
            waiting: &|_| {},
        }
    }
}

impl std::fmt::Debug for LockWait<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockWait")
            .field("up_to", &self.up_to)
            .finish_non_exhaustive()
    }
}

/// Held for as long as a store is open; released on drop (and by the OS
/// when the process dies).
#[derive(Debug)]
pub struct StoreLock {
    file: File,
}

impl StoreLock {
    /// Takes the lock, waiting for it as `wait` allows, or says who holds
    /// it.
    pub(crate) fn acquire(
        layout: &Layout,
        what: &str,
        wait: &LockWait<'_>,
    ) -> Result<Self, StoreError> {
        let path = layout.lock();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .at(&path)?;
        let started = Instant::now();
        let mut told = false;
        let mut pause = Duration::from_millis(20);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(e).at(&path),
            }
            let holder = live_holder(&mut file);
            let server = holder.as_deref().is_some_and(is_server);
            let waited = started.elapsed();
            if server || waited >= wait.up_to {
                return Err(StoreError::Locked {
                    path: layout.root().to_owned(),
                    holder: holder.unwrap_or_else(|| "another entitle process".into()),
                    lock_file: path,
                    waited_secs: waited.as_secs(),
                    server,
                });
            }
            // Say once whom we wait for; give a holder that has just taken
            // the lock a moment to write its name first.
            if !told && (holder.is_some() || waited >= Duration::from_millis(500)) {
                told = true;
                let who = holder.as_deref().unwrap_or("another entitle process");
                (wait.waiting)(who);
            }
            std::thread::sleep(pause.min(wait.up_to.saturating_sub(waited)));
            pause = (pause * 2).min(Duration::from_millis(200));
        }
        let mut me = format!(
            "pid {} running `{what}` since {}\n",
            std::process::id(),
            jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        );
        if let Some(start) = start_time(std::process::id()) {
            me.push_str(&format!("start: {start}\n"));
        }
        file.set_len(0).at(&path)?;
        file.seek(SeekFrom::Start(0)).at(&path)?;
        file.write_all(me.as_bytes()).at(&path)?;
        Ok(StoreLock { file })
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        // Still held here: empty the file, so that it names nobody once
        // released (a process killed before this leaves its name, which
        // the pid and start time then show to be gone).
        let _ = self.file.set_len(0);
    }
}

/// What the lock file says of its holder, when that names a live process:
/// its first line, shown as is; the second line holds the holder's start
/// time, so that a pid reused by another process is not named.
fn live_holder(file: &mut File) -> Option<String> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(4096).read_to_string(&mut text).ok()?;
    let mut lines = text.lines();
    let holder = lines.next()?.trim();
    if holder.is_empty() || holder.chars().any(char::is_control) {
        return None;
    }
    let started = lines
        .next()
        .and_then(|l| l.strip_prefix("start: "))
        .and_then(|s| s.trim().parse::<u64>().ok());
    match pid_of(holder) {
        Some(pid) if !alive(pid, started) => None,
        _ => Some(holder.to_owned()),
    }
}

/// The pid in "pid N running …".
fn pid_of(holder: &str) -> Option<u32> {
    holder.strip_prefix("pid ")?.split(' ').next()?.parse().ok()
}

/// Whether a process is running (and, when `started` is known, is the
/// one that started then), where the system can say (Linux's `/proc`);
/// elsewhere every process is taken to be alive.
fn alive(pid: u32, started: Option<u64>) -> bool {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    if !proc.join(pid.to_string()).exists() {
        return false;
    }
    match (started, start_time(pid)) {
        (Some(then), Some(now)) => then == now,
        _ => true,
    }
}

/// A process's start time in clock ticks after boot (field 22 of
/// `/proc/PID/stat`), which tells a reused pid from the process that had
/// it.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the holder is the server.
fn is_server(holder: &str) -> bool {
    holder.contains(&format!("running `{SERVER_COMMAND}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_names_its_pid_and_the_server_is_recognised() {
        assert_eq!(pid_of("pid 42 running `entitle state` since x"), Some(42));
        assert_eq!(pid_of("garbage"), None);
        assert!(is_server(
            "pid 1 running `entitle serve --listen 127.0.0.1:8080` since x"
        ));
        assert!(!is_server("pid 1 running `entitle state` since x"));
        assert!(alive(std::process::id(), None));
        let me = start_time(std::process::id());
        assert!(me.is_some());
        assert!(alive(std::process::id(), me));
        assert!(!alive(std::process::id(), me.map(|t| t + 1)));
    }
}
