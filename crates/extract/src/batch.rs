//! Several documents per extraction child, each under its own limits.
//!
//! Starting a child costs more than extracting a small text file, so
//! [`extract_batch_in_child`] hands a child many documents at once:
//! `EXE __extract --batch --memory-bytes N -- M1 F1 M2 F2 …`. The child
//! extracts them in order and answers each on stdout as soon as it is done,
//! in a frame of its own: a header line `CODE LENGTH\n` (code 0: the text
//! follows; 1, 3, 4: the one-line reason follows, as
//! [`child_main`](crate::child_main) would exit with that code), then
//! `LENGTH` bytes.
//!
//! The limits stay per document. The wall time restarts with every answer,
//! so a document that hangs is killed after the full wall time of its own.
//! The memory limit (`RLIMIT_AS`) holds for each document as for a lone
//! one: earlier documents' memory is freed before the next starts, and a
//! document that crashes or runs out of memory in a child that had
//! extracted others first is tried again alone, so nothing it was blamed
//! for can be left over from another. Every answer that arrived before a
//! child died is kept; the document it died on gets the error a lone child
//! would have given ("timed out after 20 s", "crashed (signal 11)"), and
//! the rest of the batch goes to a fresh child. A child stops on its own
//! after a panic (its parser's state is not trusted further), and the rest
//! go to a fresh child too.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::child::{
    fail, install_panic_hook, interpret, join, limit_self, read_capped, run_one, EXIT_FAILED,
    EXIT_PANICKED, EXIT_UNSUPPORTED, MAX_STDERR, MEMORY_FLAG,
};
use crate::{is_supported, ExtractError, Limits, CHILD_SUBCOMMAND, MAX_TEXT_BYTES};

/// The flag that follows [`CHILD_SUBCOMMAND`] for a batch.
pub(crate) const BATCH_FLAG: &str = "--batch";

/// Longest header line of a frame (`CODE LENGTH\n`).
const MAX_HEADER: usize = 32;

/// The arguments that follow the executable on a batch child's command
/// line: `__extract --batch --memory-bytes N -- M1 F1 M2 F2 …`.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// let args = entitle_extract::batch_child_args(
///     &[(Path::new("a.txt"), "text/plain"), (Path::new("b.pdf"), "application/pdf")],
///     1 << 30,
/// );
/// assert_eq!(
///     args,
///     ["__extract", "--batch", "--memory-bytes", "1073741824", "--",
///      "text/plain", "a.txt", "application/pdf", "b.pdf"]
/// );
/// ```
#[must_use]
pub fn batch_child_args(jobs: &[(&Path, &str)], memory_bytes: u64) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        CHILD_SUBCOMMAND.into(),
        BATCH_FLAG.into(),
        MEMORY_FLAG.into(),
        memory_bytes.to_string().into(),
        "--".into(),
    ];
    for (file, media_type) in jobs {
        args.push(media_type.into());
        args.push(file.as_os_str().to_owned());
    }
    args
}

/// Parses what follows [`BATCH_FLAG`]: `--memory-bytes N -- (M F)…`.
pub(crate) fn parse_batch_args(args: &[OsString]) -> Option<(Vec<(PathBuf, String)>, u64)> {
    let [flag, memory, dashes, rest @ ..] = args else {
        return None;
    };
    if flag != OsStr::new(MEMORY_FLAG) || dashes != OsStr::new("--") || rest.len() % 2 != 0 {
        return None;
    }
    let memory = memory.to_str()?.parse().ok()?;
    let jobs = rest
        .chunks(2)
        .map(|pair| Some((PathBuf::from(&pair[1]), pair[0].to_str()?.to_owned())))
        .collect::<Option<Vec<_>>>()?;
    Some((jobs, memory))
}

/// What the hidden subcommand runs for a batch: apply the memory limit,
/// then extract each file in turn and write its frame. Stops after a
/// panic, and when stdout is gone.
pub(crate) fn child_batch_main(jobs: &[(PathBuf, String)], memory_bytes: u64) -> i32 {
    if let Err(e) = limit_self(memory_bytes) {
        return fail(
            EXIT_FAILED,
            &format!("could not apply the memory limit: {e}"),
        );
    }
    install_panic_hook();
    let mut stdout = std::io::stdout().lock();
    for (file, media_type) in jobs {
        let (code, payload) = match run_one(file, media_type) {
            Ok(text) => (0, text),
            Err((code, reason)) => (code, reason.replace(['\n', '\r'], " ")),
        };
        let written = writeln!(stdout, "{code} {}", payload.len())
            .and_then(|()| stdout.write_all(payload.as_bytes()))
            .and_then(|()| stdout.flush());
        if let Err(e) = written {
            return fail(EXIT_FAILED, &format!("could not write the text: {e}"));
        }
        if code == EXIT_PANICKED {
            return 0;
        }
    }
    0
}

/// Extracts the text of many documents, several per child process, each
/// under the `limits` a lone [`extract_in_child`](crate::extract_in_child)
/// would have (see the module documentation of how): one result per job, in
/// order, each what a child of its own would have answered.
///
/// The texts of a batch are held in memory until it returns: callers bound
/// a batch by count and size.
///
/// # Examples
///
/// ```no_run
/// use std::path::Path;
/// use entitle_extract::{extract_batch_in_child, Limits, TEXT};
/// let exe = std::env::current_exe().unwrap();
/// let jobs = [(Path::new("a.txt"), TEXT), (Path::new("b.txt"), TEXT)];
/// for result in extract_batch_in_child(&exe, &jobs, &Limits::default()) {
///     println!("{result:?}");
/// }
/// ```
#[must_use]
pub fn extract_batch_in_child(
    exe: &Path,
    jobs: &[(&Path, &str)],
    limits: &Limits,
) -> Vec<Result<String, ExtractError>> {
    let mut results: Vec<Option<Result<String, ExtractError>>> = jobs
        .iter()
        .map(|(_, media_type)| {
            (!is_supported(media_type)).then(|| {
                Err(ExtractError::Unsupported {
                    media_type: (*media_type).to_owned(),
                })
            })
        })
        .collect();
    let pending: Vec<usize> = (0..jobs.len()).filter(|&i| results[i].is_none()).collect();
    let mut next = 0;
    while next < pending.len() {
        let batch: Vec<(&Path, &str)> = pending[next..].iter().map(|&i| jobs[i]).collect();
        let run = run_child(exe, &batch, limits);
        let answered = run.answers.len();
        for (k, answer) in run.answers.into_iter().enumerate() {
            results[pending[next + k]] = Some(answer);
        }
        next += answered;
        match run.end {
            End::Done => {}
            End::Failed(e) => {
                // Blamed on the document it was working on; a crash after
                // others were extracted is checked by that document alone.
                let retry = answered > 0
                    && matches!(
                        e,
                        ExtractError::Crashed { .. } | ExtractError::OutOfMemory { .. }
                    );
                let result = if retry {
                    let mut alone = run_child(exe, &batch[answered..=answered], limits);
                    match alone.end {
                        End::Failed(e) => Err(e),
                        End::Done if alone.answers.is_empty() => Err(no_answer()),
                        End::Done => alone.answers.remove(0),
                        End::Spawn(e) => Err(e),
                    }
                } else {
                    Err(e)
                };
                results[pending[next]] = Some(result);
                next += 1;
            }
            End::Spawn(e) => {
                let (kind, message) = match &e {
                    ExtractError::Spawn { source, .. } => (source.kind(), source.to_string()),
                    _ => (std::io::ErrorKind::Other, e.to_string()),
                };
                for &i in &pending[next..] {
                    results[i] = Some(Err(ExtractError::Spawn {
                        exe: exe.to_owned(),
                        source: std::io::Error::new(kind, message.clone()),
                    }));
                }
                next = pending.len();
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(no_answer())))
        .collect()
}

fn no_answer() -> ExtractError {
    ExtractError::Child {
        code: 0,
        reason: "the extraction child stopped without an answer".to_owned(),
    }
}

/// How one batch child ended.
enum End {
    /// It answered every job, or stopped cleanly (after a panic) with the
    /// rest unanswered.
    Done,
    /// It failed on the first unanswered job.
    Failed(ExtractError),
    /// It could not be started or watched.
    Spawn(ExtractError),
}

struct Run {
    answers: Vec<Result<String, ExtractError>>,
    end: End,
}

/// What the stdout reader sees.
enum Frame {
    Answer(Result<String, ExtractError>),
    /// Output that is not a frame: the child is not trusted further.
    Garbled(String),
}

/// Runs one child on `jobs` (all supported) and collects its answers until
/// it ends, fails, or a document takes longer than the wall time.
fn run_child(exe: &Path, jobs: &[(&Path, &str)], limits: &Limits) -> Run {
    let spawned = super::child::child_command(exe)
        .args(batch_child_args(jobs, limits.memory_bytes))
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(source) => {
            return Run {
                answers: Vec::new(),
                end: End::Spawn(ExtractError::Spawn {
                    exe: exe.to_owned(),
                    source,
                }),
            }
        }
    };
    let stderr = child.stderr.take().map(|s| read_capped(s, MAX_STDERR));
    let (tx, rx) = mpsc::channel();
    let reader = child.stdout.take().map(|out| {
        let media_types: Vec<String> = jobs.iter().map(|(_, m)| (*m).to_owned()).collect();
        thread::spawn(move || read_frames(out, &media_types, &tx))
    });

    let mut answers = Vec::with_capacity(jobs.len());
    let mut deadline = Instant::now() + limits.wall_time;
    let mut failure = None;
    while answers.len() < jobs.len() {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Frame::Answer(a)) => {
                answers.push(a);
                deadline = Instant::now() + limits.wall_time;
            }
            Ok(Frame::Garbled(why)) => {
                failure = Some(ExtractError::Child {
                    code: -1,
                    reason: why,
                });
                break;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                failure = Some(ExtractError::TimedOut {
                    after: limits.wall_time,
                });
                break;
            }
            // stdout closed: the child is ending.
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let status = if failure.is_some() {
        kill(&mut child);
        None
    } else {
        wait_until(&mut child, deadline)
    };
    if let Some(handle) = reader {
        let _ = handle.join();
    }
    let err = stderr.map(join).unwrap_or_default();
    if answers.len() == jobs.len() {
        return Run {
            answers,
            end: End::Done,
        };
    }
    let end = match (failure, status) {
        (Some(e), _) => End::Failed(e),
        (None, None) => End::Failed(ExtractError::TimedOut {
            after: limits.wall_time,
        }),
        (None, Some(Err(e))) => End::Spawn(ExtractError::Spawn {
            exe: exe.to_owned(),
            source: e,
        }),
        (None, Some(Ok(status))) if status.success() => {
            if answers.is_empty() {
                End::Failed(no_answer())
            } else {
                End::Done
            }
        }
        (None, Some(Ok(status))) => {
            End::Failed(failure_of(status, &err, jobs[answers.len()].1, limits))
        }
    };
    Run { answers, end }
}

fn failure_of(status: ExitStatus, err: &[u8], media_type: &str, limits: &Limits) -> ExtractError {
    match interpret(status, Vec::new(), err, media_type, limits) {
        Err(e) => e,
        Ok(_) => no_answer(),
    }
}

fn kill(child: &mut Child) {
    // Ignore the error: the child may have exited just now.
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits for a child that closed its stdout, killing it at `deadline`:
/// `None` when it had to be killed.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<std::io::Result<ExitStatus>> {
    let mut pause = Duration::from_micros(200);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(Ok(status)),
            Ok(None) if Instant::now() >= deadline => {
                kill(child);
                return None;
            }
            Ok(None) => {
                thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(25));
            }
            Err(e) => {
                kill(child);
                return Some(Err(e));
            }
        }
    }
}

/// Reads frames from the child's stdout and sends them on, until the end of
/// the output, the first garbled frame, or the parent stops listening.
fn read_frames(out: impl Read, media_types: &[String], tx: &mpsc::Sender<Frame>) {
    let mut out = BufReader::with_capacity(64 * 1024, out);
    for media_type in media_types {
        let frame = match read_frame(&mut out, media_type) {
            Ok(Some(frame)) => frame,
            Ok(None) => return,
            Err(why) => Frame::Garbled(why),
        };
        let garbled = matches!(frame, Frame::Garbled(_));
        if tx.send(frame).is_err() || garbled {
            break;
        }
    }
    // Drain anything more so the child never blocks on a full pipe.
    let _ = std::io::copy(&mut out, &mut std::io::sink());
}

/// One frame; `Ok(None)` at the end of the output before a header.
fn read_frame(out: &mut impl BufRead, media_type: &str) -> Result<Option<Frame>, String> {
    let garbled = |what: &str| format!("the extraction child wrote {what}");
    let mut header = Vec::new();
    let n = out
        .take(MAX_HEADER as u64)
        .read_until(b'\n', &mut header)
        .map_err(|e| format!("could not read the extraction child's output: {e}"))?;
    if n == 0 {
        return Ok(None);
    }
    let line = header
        .strip_suffix(b"\n")
        .and_then(|l| std::str::from_utf8(l).ok())
        .ok_or_else(|| garbled("a malformed answer"))?;
    let (code, len) = line
        .split_once(' ')
        .and_then(|(c, l)| Some((c.parse::<i32>().ok()?, l.parse::<usize>().ok()?)))
        .ok_or_else(|| garbled("a malformed answer"))?;
    if len > MAX_TEXT_BYTES {
        return Err(garbled("more text than the limit for one document"));
    }
    let mut payload = Vec::with_capacity(len);
    out.take(len as u64)
        .read_to_end(&mut payload)
        .map_err(|e| format!("could not read the extraction child's output: {e}"))?;
    if payload.len() < len {
        // Cut off: the child died while writing; its exit status says why.
        return Ok(None);
    }
    let answer = match code {
        0 => String::from_utf8(payload).map_err(|_| ExtractError::OutputNotUtf8),
        EXIT_UNSUPPORTED => Err(ExtractError::Unsupported {
            media_type: media_type.to_owned(),
        }),
        code => Err(ExtractError::Child {
            code,
            reason: String::from_utf8_lossy(&payload).into_owned(),
        }),
    };
    Ok(Some(Frame::Answer(answer)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_args_round_trip() {
        let args = batch_child_args(
            &[
                (Path::new("/tmp/a b.txt"), "text/plain"),
                (Path::new("--batch"), "application/pdf"),
            ],
            42,
        );
        assert_eq!(args[1], BATCH_FLAG);
        assert_eq!(
            parse_batch_args(&args[2..]),
            Some((
                vec![
                    (PathBuf::from("/tmp/a b.txt"), "text/plain".to_owned()),
                    (PathBuf::from("--batch"), "application/pdf".to_owned()),
                ],
                42
            ))
        );
        let odd: Vec<OsString> = ["--memory-bytes", "1", "--", "text/plain"]
            .iter()
            .map(Into::into)
            .collect();
        assert_eq!(parse_batch_args(&odd), None);
    }

    #[test]
    fn frames_are_read_back() {
        let bytes = b"0 5\nhello1 9\nnot a PDF3 0\n".to_vec();
        let mut out = BufReader::new(&bytes[..]);
        let texts: Vec<String> = (0..3)
            .map(|_| match read_frame(&mut out, "text/plain") {
                Ok(Some(Frame::Answer(a))) => match a {
                    Ok(t) => t,
                    Err(e) => e.to_string(),
                },
                _ => panic!("not a frame"),
            })
            .collect();
        assert_eq!(
            texts,
            ["hello", "not a PDF", "unsupported media type text/plain"]
        );
        assert!(matches!(read_frame(&mut out, "text/plain"), Ok(None)));
        let mut cut = BufReader::new(&b"0 10\nhalf"[..]);
        assert!(matches!(read_frame(&mut cut, "text/plain"), Ok(None)));
        let mut junk = BufReader::new(&b"%PDF-1.4 garbage\n"[..]);
        assert!(read_frame(&mut junk, "text/plain").is_err());
    }
}
