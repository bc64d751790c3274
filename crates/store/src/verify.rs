//! `entitle verify`: the whole log against the chain and the digests
//! recorded when each event was written.
//!
//! The log is read in blocks of whole lines by one thread and hashed on
//! every core (each record's digest, and its seq and time when it starts
//! as entitle writes records); the calling thread takes the blocks back
//! in log order and folds the chain, which only one thread can, and makes
//! every check against the digests in the derived state.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use entitle_core::chain::{self, Chain, Hash32};
use serde::Deserialize;

use crate::error::{IoContext, StoreError};
use crate::projections::DIGEST_CHUNK;
use crate::Store;

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The seq it concerns, when it concerns one.
    pub seq: Option<u64>,
    /// What is wrong, in words.
    pub what: String,
}

/// The result of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Lines read.
    pub events: u64,
    /// Log bytes read.
    pub bytes: u64,
    /// The chain hash over everything read.
    pub head_hash: Hash32,
    /// What is wrong, first first; empty when intact.
    pub problems: Vec<Problem>,
    /// Archived documents re-hashed.
    pub documents: u64,
}

impl VerifyReport {
    /// Whether everything held.
    #[must_use]
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Only what verification needs of a record; parsing the rest is not
/// needed when the bytes match the digest written with them.
#[derive(Deserialize, Clone, Copy)]
struct Skeleton {
    seq: u64,
    recorded_at: jiff::Timestamp,
}

const MAX_PROBLEMS: usize = 20;

/// Reads `seq` and `recorded_at` off the start of a record as entitle
/// writes it (`{"v":1,"seq":N,"recorded_at":"T",…`); `None` when the bytes
/// do not start that way. Only used for bytes whose digest matches the one
/// recorded when they were written.
fn skeleton_prefix(bytes: &[u8]) -> Option<Skeleton> {
    let rest = bytes.strip_prefix(br#"{"v":1,"seq":"#)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let seq = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let rest = rest[digits..].strip_prefix(br#","recorded_at":""#)?;
    let end = rest.iter().position(|&b| b == b'"')?;
    let recorded_at = utc_seconds(&rest[..end])
        .or_else(|| std::str::from_utf8(&rest[..end]).ok()?.parse().ok())?;
    Some(Skeleton { seq, recorded_at })
}

/// A time in the form entitle writes `recorded_at` in
/// (`2026-12-02T08:38:38Z`: whole seconds, UTC), read without a general
/// parser (verify reads a million of them); `None` for any other form,
/// which is then left to jiff's parser, as are impossible dates and a
/// leap second, so that the result is always the one jiff would give.
fn utc_seconds(text: &[u8]) -> Option<jiff::Timestamp> {
    let t: &[u8; 20] = text.try_into().ok()?;
    if [t[4], t[7], t[10], t[13], t[16], t[19]] != *b"--T::Z" {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        t[from..to].iter().try_fold(0i64, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Checks the day exists in its month and year.
    jiff::civil::Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()?;
    // Days since 1970-01-01 (H. Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    jiff::Timestamp::from_second(days * 86_400 + hour * 3_600 + minute * 60 + second).ok()
}

pub(crate) fn verify(
    store: &Store,
    progress: &dyn entitle_core::progress::Progress,
) -> Result<VerifyReport, StoreError> {
    let mut fold = Fold {
        store,
        chain: Chain::new(),
        chunk_no: u64::MAX,
        chunk: Vec::new(),
        last_time: None,
        line_no: 0,
        bytes: 0,
        problems: Vec::new(),
    };
    if let Some(what) = &store.damage {
        fold.problems.push(Problem {
            seq: None,
            what: what.clone(),
        });
    }
    let mut reported = 0u64;
    hash_lines(store.log.path(), &mut |block| {
        let mut start = 0;
        for hashed in &block.lines {
            fold.line(&block.bytes[start..hashed.end], hashed)?;
            start = hashed.end + 1;
        }
        progress.advance(fold.bytes - reported);
        reported = fold.bytes;
        Ok(())
    })?;
    let applied = &store.applied;
    let line_no = fold.line_no;
    if line_no < applied.head.seq {
        fold.report(
            Some(line_no + 1),
            format!(
                "the log ends at line {line_no} but entitle wrote events up to #{}: #{}..#{} are missing",
                applied.head.seq,
                line_no + 1,
                applied.head.seq
            ),
        );
    } else if line_no == applied.head.seq
        && fold.problems.is_empty()
        && *fold.chain.head() != applied.head_hash
    {
        fold.report(
            None,
            format!(
                "the chain ends in {} but entitle recorded {}",
                chain::to_hex(fold.chain.head()),
                chain::to_hex(&applied.head_hash)
            ),
        );
    }
    let mut problems = fold.problems;
    // The first bad seq first, whatever order the checks found them in;
    // findings about the log as a whole after those.
    problems.sort_by_key(|p| p.seq.unwrap_or(u64::MAX));
    Ok(VerifyReport {
        events: line_no,
        bytes: fold.bytes,
        head_hash: *fold.chain.head(),
        problems,
        documents: 0,
    })
}

/// The chain and the checks, folded over the log's lines in order.
struct Fold<'a> {
    store: &'a Store,
    chain: Chain,
    /// The chunk of recorded digests at hand, and its number.
    chunk_no: u64,
    chunk: Vec<Hash32>,
    last_time: Option<jiff::Timestamp>,
    /// Lines and bytes folded so far.
    line_no: u64,
    bytes: u64,
    problems: Vec<Problem>,
}

impl Fold<'_> {
    fn report(&mut self, seq: Option<u64>, what: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem { seq, what });
        }
    }

    /// The digest written with the record on the current line: `None`
    /// past the last event entitle wrote, `Some(None)` when the derived
    /// state lacks it.
    fn stored_digest(&mut self) -> Result<Option<Option<Hash32>>, StoreError> {
        if self.line_no > self.store.applied.head.seq {
            return Ok(None);
        }
        let c = (self.line_no - 1) / DIGEST_CHUNK;
        if c != self.chunk_no {
            self.chunk = self.store.proj.digest_chunk(c)?;
            self.chunk_no = c;
        }
        let i = usize::try_from((self.line_no - 1) % DIGEST_CHUNK).expect("fits");
        Ok(Some(self.chunk.get(i).copied()))
    }

    /// One line: its link in the chain and every check.
    fn line(&mut self, line: &[u8], hashed: &Hashed) -> Result<(), StoreError> {
        self.line_no += 1;
        let line_no = self.line_no;
        self.bytes += line.len() as u64 + u64::from(hashed.complete);
        let digest = hashed.digest;
        self.chain.push_digest(&digest);
        if !hashed.complete {
            self.report(
                Some(line_no),
                format!("line {line_no} is torn (no line feed at the end of the log)"),
            );
        }
        let stored = self.stored_digest()?;
        // Bytes identical to those entitle wrote are a record in the
        // documented field order: their seq and time are read off the
        // prefix. Anything else is parsed in full.
        let skeleton = match stored {
            Some(Some(s)) if s == digest => hashed
                .prefix
                .map_or_else(|| serde_json::from_slice::<Skeleton>(line), Ok),
            _ => serde_json::from_slice::<Skeleton>(line),
        };
        match skeleton {
            Ok(s) => {
                if s.seq != line_no {
                    self.report(
                        Some(line_no),
                        format!(
                            "line {line_no} holds event #{} where #{line_no} belongs: \
                             events were removed, inserted or reordered",
                            s.seq
                        ),
                    );
                }
                if self.last_time.is_some_and(|t| s.recorded_at < t) {
                    self.report(
                        Some(line_no),
                        format!(
                            "#{line_no}: recorded_at {} goes back in time",
                            s.recorded_at
                        ),
                    );
                }
                self.last_time = Some(s.recorded_at);
            }
            Err(e) => self.report(
                Some(line_no),
                format!("line {line_no} is not a record: {e}"),
            ),
        }
        match stored {
            Some(Some(stored)) if stored == digest => {}
            Some(Some(stored)) => self.report(
                Some(line_no),
                format!(
                    "#{line_no} differs from the record written then \
                     (digest now {}, when written {})",
                    chain::to_hex(&digest),
                    chain::to_hex(&stored)
                ),
            ),
            Some(None) => self.report(
                Some(line_no),
                format!(
                    "#{line_no}: the derived state has no digest for it; run `entitle rebuild`"
                ),
            ),
            None => {
                let last = self.store.applied.head.seq;
                self.report(
                    Some(line_no),
                    format!(
                        "#{line_no} is in the log but was not written by entitle \
                         (it follows the last recorded event #{last})"
                    ),
                );
            }
        }
        Ok(())
    }
}

/// Bytes read at a time: whole lines of about this much go to one thread.
const BLOCK: usize = 1 << 20;

/// Lines of the log as the hashing threads hand them over.
struct Block {
    /// Whole lines, each ended by a line feed but perhaps the log's last.
    bytes: Vec<u8>,
    /// Each line in order.
    lines: Vec<Hashed>,
}

/// What one line is without the derived state.
struct Hashed {
    /// Where it ends in the block (its line feed, or the block's end).
    end: usize,
    /// Whether a line feed ends it.
    complete: bool,
    /// BLAKE3 of its bytes: the record's digest.
    digest: Hash32,
    /// Its seq and time, when it starts as entitle writes a record.
    prefix: Option<Skeleton>,
}

/// Reads the log at `path` and hands every line, hashed, to `fold`, in
/// log order. One thread reads; one thread per core (at least two) hashes
/// blocks in turn; the caller folds them as they come back in order, and
/// hands their buffers back to the reader, so at most a few blocks per
/// thread are ever in memory and the reader rarely allocates.
fn hash_lines(
    path: &Path,
    fold: &mut dyn FnMut(&Block) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
    std::thread::scope(|scope| {
        let mut to_workers = Vec::with_capacity(threads);
        let mut from_workers: Vec<Receiver<Block>> = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (work_tx, work_rx) = sync_channel::<Vec<u8>>(2);
            let (done_tx, done_rx) = sync_channel::<Block>(2);
            scope.spawn(move || {
                for bytes in work_rx {
                    if done_tx.send(hash_block(bytes)).is_err() {
                        break;
                    }
                }
            });
            to_workers.push(work_tx);
            from_workers.push(done_rx);
        }
        let (recycle_tx, recycle_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let reader = scope.spawn(move || read_blocks(path, &to_workers, &recycle_rx));
        // Block k went to thread k % threads: taking them back in turn
        // restores the log's order. The first thread with nothing more
        // to give marks the end.
        let mut folded = Ok(());
        for k in 0.. {
            let Ok(block) = from_workers[k % threads].recv() else {
                break;
            };
            folded = fold(&block);
            if folded.is_err() {
                break;
            }
            // The reader may be gone already: then the buffer is freed.
            let _ = recycle_tx.send(block.bytes);
        }
        // Stops the threads when folding stopped early.
        drop(from_workers);
        let read = reader.join().expect("the log reader does not panic");
        folded.and(read)
    })
}

/// Reads the file in blocks of whole lines (the last may lack its line
/// feed), handing block k to `workers[k % workers.len()]`, in buffers
/// handed back through `recycled` when there are any.
fn read_blocks(
    path: &Path,
    workers: &[SyncSender<Vec<u8>>],
    recycled: &Receiver<Vec<u8>>,
) -> Result<(), StoreError> {
    let mut file = File::open(path).at(path)?;
    let mut carry: Vec<u8> = Vec::new();
    let mut k = 0usize;
    loop {
        let mut buf = recycled.try_recv().unwrap_or_default();
        buf.clear();
        buf.reserve(BLOCK.max(carry.len() * 2));
        buf.append(&mut carry);
        let want = (buf.capacity() - buf.len()) as u64;
        let n = file.by_ref().take(want).read_to_end(&mut buf).at(path)?;
        if n == 0 {
            // The end: what is left is a last line without its line feed.
            if !buf.is_empty() {
                // When nobody wants it, the fold stopped: nothing to do.
                let _ = workers[k % workers.len()].send(buf);
            }
            return Ok(());
        }
        match memchr::memrchr(b'\n', &buf) {
            Some(i) => {
                carry.extend_from_slice(&buf[i + 1..]);
                buf.truncate(i + 1);
                if workers[k % workers.len()].send(buf).is_err() {
                    // The fold stopped: nobody wants the rest.
                    return Ok(());
                }
                k += 1;
            }
            // A line longer than a block: read on.
            None => carry = buf,
        }
    }
}

/// Hashes every line of a block and reads the start of each record.
fn hash_block(bytes: Vec<u8>) -> Block {
    let mut lines = Vec::with_capacity(bytes.len() / 160 + 1);
    let mut start = 0;
    while start < bytes.len() {
        let (end, complete) = match memchr::memchr(b'\n', &bytes[start..]) {
            Some(i) => (start + i, true),
            None => (bytes.len(), false),
        };
        let line = &bytes[start..end];
        lines.push(Hashed {
            end,
            complete,
            digest: chain::digest(line),
            prefix: skeleton_prefix(line),
        });
        start = end + 1;
    }
    Block { bytes, lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_seconds_reads_what_jiff_reads() {
        let mut checked = 0;
        for text in [
            "1970-01-01T00:00:00Z",
            "2026-12-02T08:38:38Z",
            "2024-02-29T23:59:59Z",
            "2000-02-29T12:00:00Z",
            "1969-12-31T23:59:59Z",
            "0001-03-01T00:00:00Z",
            "9999-12-30T00:00:00Z",
        ] {
            assert_eq!(
                utc_seconds(text.as_bytes()),
                Some(text.parse().unwrap()),
                "{text}"
            );
            checked += 1;
        }
        // Every day of a few years, at a few times of day.
        let mut day = jiff::civil::date(1999, 12, 25);
        while day.year() < 2030 {
            for time in ["00:00:00", "13:07:59", "23:59:59"] {
                let text = format!("{day}T{time}Z");
                let jiff: jiff::Timestamp = text.parse().unwrap();
                assert_eq!(utc_seconds(text.as_bytes()), Some(jiff), "{text}");
                checked += 1;
            }
            day = day.tomorrow().unwrap();
        }
        assert!(checked > 30_000);
        // Other forms and impossible values go to jiff's parser.
        for text in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T23:59:60Z",
            "2024-01-01t00:00:00z",
            "2024-01-01T00:00:00+00:00",
            "2024-01-01T00:00:00.5Z",
            "2024-01-0aT00:00:00Z",
            // Beyond the timestamps jiff can hold: its parser fails too.
            "9999-12-31T23:59:59Z",
        ] {
            assert_eq!(utc_seconds(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn skeleton_prefix_reads_seq_and_time() {
        let s = skeleton_prefix(
            br#"{"v":1,"seq":42,"recorded_at":"2026-12-02T08:38:38Z","actor":"a"}"#,
        )
        .unwrap();
        assert_eq!(s.seq, 42);
        assert_eq!(s.recorded_at, "2026-12-02T08:38:38Z".parse().unwrap());
        let s = skeleton_prefix(
            br#"{"v":1,"seq":7,"recorded_at":"2026-12-02T08:38:38.25+01:00","actor":"a"}"#,
        )
        .unwrap();
        assert_eq!(
            s.recorded_at,
            "2026-12-02T08:38:38.25+01:00".parse().unwrap()
        );
        assert!(skeleton_prefix(br#"{"seq":7}"#).is_none());
    }

    /// Every line of `bytes` as `hash_lines` hands them over: (bytes,
    /// complete, digest).
    fn lines_of(bytes: &[u8]) -> Vec<(Vec<u8>, bool, Hash32)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        std::fs::write(&path, bytes).unwrap();
        let mut out = Vec::new();
        hash_lines(&path, &mut |block| {
            let mut start = 0;
            for h in &block.lines {
                out.push((block.bytes[start..h.end].to_vec(), h.complete, h.digest));
                start = h.end + 1;
            }
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn hash_lines_hands_over_every_line_in_order() {
        // Many blocks' worth of lines of every length, one line longer
        // than several blocks, and a torn last line.
        let mut text = Vec::new();
        let mut want = Vec::new();
        for n in 0..40_000usize {
            let line = if n == 20_000 {
                vec![b'x'; 3 * BLOCK + 17]
            } else {
                format!("{{\"n\":{n},\"pad\":\"{}\"}}", "y".repeat(n % 300)).into_bytes()
            };
            text.extend_from_slice(&line);
            text.push(b'\n');
            want.push((line.clone(), true, chain::digest(&line)));
        }
        text.extend_from_slice(b"{\"torn");
        want.push((b"{\"torn".to_vec(), false, chain::digest(b"{\"torn")));
        assert!(text.len() > 8 * BLOCK);
        let got = lines_of(&text);
        assert_eq!(got.len(), want.len());
        assert!(got == want);
        assert!(lines_of(b"").is_empty());
        assert_eq!(lines_of(b"\n"), [(Vec::new(), true, chain::digest(b""))]);
    }

    #[test]
    fn blocks_split_into_lines_with_a_torn_last_one() {
        let block = hash_block(b"a\n\nbc".to_vec());
        let ends: Vec<_> = block.lines.iter().map(|l| (l.end, l.complete)).collect();
        assert_eq!(ends, [(1, true), (2, true), (5, false)]);
        assert_eq!(block.lines[2].digest, chain::digest(b"bc"));
        assert_eq!(block.lines[1].digest, chain::digest(b""));
    }
}
