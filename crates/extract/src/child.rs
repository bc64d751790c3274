//! The extraction child: how the parent runs and watches it, and what the
//! child itself does.

use std::any::Any;
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use crate::{essence, extract_file, is_supported, ExtractError, Limits, MAX_TEXT_BYTES};

/// The hidden subcommand that runs [`child_main`].
pub const CHILD_SUBCOMMAND: &str = "__extract";

const MEDIA_TYPE_FLAG: &str = "--media-type";
pub(crate) const MEMORY_FLAG: &str = "--memory-bytes";

/// Exit code: extraction failed; the reason is the last line on stderr.
pub(crate) const EXIT_FAILED: i32 = 1;
/// Exit code: the command line was not the one [`child_args`] builds.
const EXIT_USAGE: i32 = 2;
/// Exit code: the media type is not supported.
pub(crate) const EXIT_UNSUPPORTED: i32 = 3;
/// Exit code: the extractor panicked.
pub(crate) const EXIT_PANICKED: i32 = 4;

/// Prefix of the child's one-line reason on stderr.
const REASON_PREFIX: &str = "entitle-extract: ";
/// Most bytes of the child's stderr the parent keeps.
pub(crate) const MAX_STDERR: usize = 64 * 1024;
/// Stack of the thread that runs the extractor in the child.
const EXTRACT_STACK_BYTES: usize = 16 * 1024 * 1024;

/// The child's command: no input, its text and its complaints piped.
///
/// The child limits its own address space (`RLIMIT_AS`) once it runs, and
/// the entitle binary allocates with mimalloc, which by default reserves
/// address space in arenas of 1 GiB — already as much as the default
/// limit, so that the extraction thread could then not even get its stack.
/// Smaller arenas keep the reservation within any limit set here.
pub(crate) fn child_command(exe: &Path) -> Command {
    let mut command = Command::new(exe);
    command
        .env("MIMALLOC_ARENA_RESERVE", "16MiB")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// The arguments that follow the executable on the child's command line:
/// `__extract --media-type M --memory-bytes N -- FILE` (the `--` keeps a
/// file name that starts with `-` from being read as an option).
///
/// This is the one definition of the child's command line;
/// [`child_main_from_args`] parses exactly this list.
///
/// # Examples
///
/// ```
/// let args = entitle_extract::child_args("a.pdf".as_ref(), "application/pdf", 1 << 30);
/// assert_eq!(
///     args,
///     ["__extract", "--media-type", "application/pdf", "--memory-bytes", "1073741824", "--", "a.pdf"]
/// );
/// ```
#[must_use]
pub fn child_args(file: &Path, media_type: &str, memory_bytes: u64) -> Vec<OsString> {
    vec![
        CHILD_SUBCOMMAND.into(),
        MEDIA_TYPE_FLAG.into(),
        media_type.into(),
        MEMORY_FLAG.into(),
        memory_bytes.to_string().into(),
        "--".into(),
        file.as_os_str().to_owned(),
    ]
}

/// Runs `exe __extract --media-type M --memory-bytes N -- FILE` as a child
/// process, reads UTF-8 text from its stdout, kills it after `wall_time`.
///
/// The child must be a program that hands those arguments to
/// [`child_main_from_args`] (or [`child_main`]). Its stdout is read up to
/// [`MAX_TEXT_BYTES`]; the child never writes more.
///
/// # Errors
///
/// Every way the child can fail, with a message that says why:
/// [`ExtractError::Unsupported`] (checked before anything is started),
/// [`ExtractError::Spawn`], [`ExtractError::TimedOut`] ("timed out after
/// 20 s"), [`ExtractError::OutOfMemory`], [`ExtractError::Crashed`]
/// ("crashed (signal 11)"), [`ExtractError::Child`] carrying the child's own
/// reason ("not a PDF: …", "could not read …"), and
/// [`ExtractError::OutputNotUtf8`].
pub fn extract_in_child(
    exe: &Path,
    file: &Path,
    media_type: &str,
    limits: &Limits,
) -> Result<String, ExtractError> {
    if !is_supported(media_type) {
        return Err(ExtractError::Unsupported {
            media_type: media_type.to_owned(),
        });
    }
    let spawn_err = |source| ExtractError::Spawn {
        exe: exe.to_owned(),
        source,
    };
    let mut child = child_command(exe)
        .args(child_args(file, media_type, limits.memory_bytes))
        .spawn()
        .map_err(spawn_err)?;
    let deadline = Instant::now() + limits.wall_time;

    // Both pipes are drained on their own threads so a chatty child can
    // never block on a full pipe while the parent waits for it.
    let stdout = child.stdout.take().map(|s| read_capped(s, MAX_TEXT_BYTES));
    let stderr = child.stderr.take().map(|s| read_capped(s, MAX_STDERR));

    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                // Ignore the error: the child may have exited just now.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => {
                thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(25));
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(spawn_err(e));
            }
        }
    };
    let out = stdout.map(join).unwrap_or_default();
    let err = stderr.map(join).unwrap_or_default();

    let Some(status) = status else {
        return Err(ExtractError::TimedOut {
            after: limits.wall_time,
        });
    };
    interpret(status, out, &err, media_type, limits)
}

pub(crate) fn read_capped(
    source: impl Read + Send + 'static,
    cap: usize,
) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut source = source;
        let mut buf = Vec::new();
        let _ = (&mut source).take(cap as u64).read_to_end(&mut buf);
        // Drain (and drop) anything beyond the cap so the child never blocks.
        let _ = std::io::copy(&mut source, &mut std::io::sink());
        buf
    })
}

pub(crate) fn join(handle: thread::JoinHandle<Vec<u8>>) -> Vec<u8> {
    handle.join().unwrap_or_default()
}

pub(crate) fn interpret(
    status: ExitStatus,
    out: Vec<u8>,
    err: &[u8],
    media_type: &str,
    limits: &Limits,
) -> Result<String, ExtractError> {
    let err = String::from_utf8_lossy(err);
    if status.success() {
        return String::from_utf8(out).map_err(|_| ExtractError::OutputNotUtf8);
    }
    if let Some(signal) = status.signal() {
        // Rust aborts (SIGABRT) after printing this when an allocation fails,
        // which is how the address-space limit shows.
        if err.contains("memory allocation of") {
            return Err(ExtractError::OutOfMemory {
                limit_bytes: limits.memory_bytes,
            });
        }
        let detail = if err.contains("has overflowed its stack") {
            Some("stack overflow".to_owned())
        } else {
            last_line(&err).map(str::to_owned)
        };
        return Err(ExtractError::Crashed { signal, detail });
    }
    let code = status.code().unwrap_or(-1);
    if code == EXIT_UNSUPPORTED {
        return Err(ExtractError::Unsupported {
            media_type: media_type.to_owned(),
        });
    }
    let reason = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(REASON_PREFIX))
        .map(str::to_owned)
        .or_else(|| {
            last_line(&err).map(|l| format!("the extraction child exited with code {code}: {l}"))
        })
        .unwrap_or_else(|| {
            format!("the extraction child exited with code {code} and gave no reason")
        });
    Err(ExtractError::Child { code, reason })
}

fn last_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).rev().find(|l| !l.is_empty())
}

/// What the hidden subcommand runs: apply the memory limit to itself
/// (`RLIMIT_AS`), catch panics, extract, write text to stdout, return the
/// exit code; on failure a one-line reason on stderr that the parent turns
/// into the error.
///
/// Also switches off core dumps (`RLIMIT_CORE` = 0). Exit codes: 0 success,
/// 1 extraction failed, 2 bad command line, 3 unsupported media type,
/// 4 the extractor panicked. Needs unwinding panics (the default; a binary
/// built with `panic = "abort"` still works, but a panic then shows as
/// "crashed (signal 6)").
#[must_use]
pub fn child_main(file: &Path, media_type: &str, memory_bytes: u64) -> i32 {
    if let Err(e) = limit_self(memory_bytes) {
        // Without its limit the child must not run a hostile parser.
        return fail(
            EXIT_FAILED,
            &format!("could not apply the memory limit: {e}"),
        );
    }
    install_panic_hook();
    match run_one(file, media_type) {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => 0,
                Err(e) => fail(EXIT_FAILED, &format!("could not write the text: {e}")),
            }
        }
        Err((code, reason)) => fail(code, &reason),
    }
}

/// Keeps the message and place of a panic in the extractor for
/// [`run_one`] (the default hook would print it to stderr).
pub(crate) fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = panic_message(info.payload());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", short_path(l.file()), l.line()))
            .unwrap_or_default();
        if let Ok(mut slot) = PANIC.lock() {
            *slot = Some(format!("{message}{at}"));
        }
    }));
}

/// Extracts one file in the child, on a thread of its own with a large
/// stack, catching a panic: the text, or the exit code and one-line reason
/// that say why not ([`EXIT_FAILED`], [`EXIT_UNSUPPORTED`],
/// [`EXIT_PANICKED`]).
pub(crate) fn run_one(file: &Path, media_type: &str) -> Result<String, (i32, String)> {
    if !is_supported(media_type) {
        let e = ExtractError::Unsupported {
            media_type: media_type.to_owned(),
        };
        return Err((EXIT_UNSUPPORTED, e.to_string()));
    }
    let file = file.to_owned();
    let media_type = essence(media_type);
    let worker = thread::Builder::new()
        .name("extract".into())
        .stack_size(EXTRACT_STACK_BYTES)
        .spawn(move || extract_file(&file, &media_type));
    let result = match worker {
        Ok(handle) => handle.join(),
        Err(e) => {
            return Err((
                EXIT_FAILED,
                format!("could not start the extraction thread: {e}"),
            ))
        }
    };
    match result {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e @ ExtractError::Unsupported { .. })) => Err((EXIT_UNSUPPORTED, e.to_string())),
        Ok(Err(e)) => Err((EXIT_FAILED, e.to_string())),
        Err(payload) => {
            let message = PANIC
                .lock()
                .ok()
                .and_then(|mut slot| slot.take())
                .unwrap_or_else(|| panic_message(payload.as_ref()));
            Err((
                EXIT_PANICKED,
                ExtractError::Panicked { message }.to_string(),
            ))
        }
    }
}

/// Parses the argument list [`child_args`] builds (without the executable,
/// with or without the leading [`CHILD_SUBCOMMAND`]) and runs [`child_main`].
///
/// Returns the exit code; on a malformed list it prints the expected usage
/// and returns 2.
#[must_use]
pub fn child_main_from_args(args: &[OsString]) -> i32 {
    let args = match args.first() {
        Some(first) if first == CHILD_SUBCOMMAND => &args[1..],
        _ => args,
    };
    if args.first().is_some_and(|a| a == crate::batch::BATCH_FLAG) {
        return match crate::batch::parse_batch_args(&args[1..]) {
            Some((jobs, memory_bytes)) => crate::batch::child_batch_main(&jobs, memory_bytes),
            None => fail(
                EXIT_USAGE,
                &format!(
                    "usage: {CHILD_SUBCOMMAND} {} {MEMORY_FLAG} <BYTES> -- <MEDIA-TYPE> <FILE>…",
                    crate::batch::BATCH_FLAG
                ),
            ),
        };
    }
    match parse_child_args(args) {
        Some((file, media_type, memory_bytes)) => child_main(&file, &media_type, memory_bytes),
        None => fail(
            EXIT_USAGE,
            &format!("usage: {CHILD_SUBCOMMAND} {MEDIA_TYPE_FLAG} <MEDIA-TYPE> {MEMORY_FLAG} <BYTES> [--] <FILE>"),
        ),
    }
}

fn parse_child_args(args: &[OsString]) -> Option<(PathBuf, String, u64)> {
    let mut media_type = None;
    let mut memory = None;
    let mut file = None;
    let mut iter = args.iter();
    let mut options_done = false;
    while let Some(arg) = iter.next() {
        if !options_done && arg == OsStr::new(MEDIA_TYPE_FLAG) {
            media_type = Some(iter.next()?.to_str()?.to_owned());
        } else if !options_done && arg == OsStr::new(MEMORY_FLAG) {
            memory = Some(iter.next()?.to_str()?.parse().ok()?);
        } else if !options_done && arg == OsStr::new("--") {
            options_done = true;
        } else if file.is_none() {
            file = Some(PathBuf::from(arg));
        } else {
            return None;
        }
    }
    Some((file?, media_type?, memory?))
}

static PANIC: Mutex<Option<String>> = Mutex::new(None);

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic without a message".to_owned()
    }
}

/// The last three components of a source path (`pdf-extract-0.12.1/src/lib.rs`),
/// enough to find the spot without the builder's home directory.
fn short_path(path: &str) -> String {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    parts[parts.len().saturating_sub(3)..].join("/")
}

pub(crate) fn fail(code: i32, reason: &str) -> i32 {
    let one_line = reason.replace(['\n', '\r'], " ");
    let _ = writeln!(std::io::stderr(), "{REASON_PREFIX}{one_line}");
    code
}

pub(crate) fn limit_self(memory_bytes: u64) -> rustix::io::Result<()> {
    use rustix::process::{setrlimit, Resource, Rlimit};
    setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    )?;
    setrlimit(
        Resource::As,
        Rlimit {
            current: Some(memory_bytes),
            maximum: Some(memory_bytes),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_args_round_trip() {
        let args = child_args(Path::new("/tmp/a b.pdf"), "application/pdf", 42);
        assert_eq!(
            parse_child_args(&args[1..]),
            Some((
                PathBuf::from("/tmp/a b.pdf"),
                "application/pdf".to_owned(),
                42
            ))
        );
    }

    #[test]
    fn a_file_name_like_an_option_is_a_file_name() {
        let args = child_args(Path::new("--memory-bytes"), "text/plain", 7);
        assert_eq!(
            parse_child_args(&args[1..]),
            Some((PathBuf::from("--memory-bytes"), "text/plain".to_owned(), 7))
        );
    }

    #[test]
    fn bad_child_args_are_refused() {
        let args: Vec<OsString> = ["--media-type", "text/plain", "a", "b"]
            .iter()
            .map(Into::into)
            .collect();
        assert_eq!(parse_child_args(&args), None);
        let args: Vec<OsString> = ["--memory-bytes", "lots", "a"]
            .iter()
            .map(Into::into)
            .collect();
        assert_eq!(parse_child_args(&args), None);
    }

    #[test]
    fn panic_locations_are_short() {
        assert_eq!(
            short_path("/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pdf-extract-0.12.1/src/lib.rs"),
            "pdf-extract-0.12.1/src/lib.rs"
        );
        assert_eq!(short_path("lib.rs"), "lib.rs");
    }

    #[test]
    fn error_texts_for_signals_and_codes() {
        let limits = Limits::default();
        let crash = interpret(
            ExitStatus::from_raw(11),
            Vec::new(),
            b"",
            "application/pdf",
            &limits,
        );
        assert_eq!(crash.unwrap_err().to_string(), "crashed (signal 11)");
        let overflow = interpret(
            ExitStatus::from_raw(6),
            Vec::new(),
            b"\nthread 'extract' has overflowed its stack\nfatal runtime error: stack overflow, aborting\n",
            "application/pdf",
            &limits,
        );
        assert_eq!(
            overflow.unwrap_err().to_string(),
            "crashed (signal 6): stack overflow"
        );
        let oom = interpret(
            ExitStatus::from_raw(6),
            Vec::new(),
            b"memory allocation of 8589934592 bytes failed\n",
            "application/pdf",
            &limits,
        );
        assert_eq!(
            oom.unwrap_err().to_string(),
            "ran out of memory (limit 1024 MiB)"
        );
        let failed = interpret(
            ExitStatus::from_raw(1 << 8),
            Vec::new(),
            b"entitle-extract: not a PDF: no %PDF- header\n",
            "application/pdf",
            &limits,
        );
        assert_eq!(
            failed.unwrap_err().to_string(),
            "not a PDF: no %PDF- header"
        );
        let silent = interpret(
            ExitStatus::from_raw(7 << 8),
            Vec::new(),
            b"",
            "application/pdf",
            &limits,
        );
        assert_eq!(
            silent.unwrap_err().to_string(),
            "the extraction child exited with code 7 and gave no reason"
        );
        let timeout = ExtractError::TimedOut {
            after: Duration::from_secs(20),
        };
        assert_eq!(timeout.to_string(), "timed out after 20 s");
    }
}
