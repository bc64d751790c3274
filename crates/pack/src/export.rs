//! The export format of the chain (`events.jsonl` in a pack, `entitle
//! export`) and its verification.
//!
//! One JSON object per line, in seq order, each line ended by `\n`:
//!
//! ```text
//! {"seq":1,"digest":"<hex>","hash":"<hex>","record":"<the record bytes as a JSON string>"}
//! ```
//!
//! `record` is omitted for a redacted event. The UTF-8 encoding of `record`
//! is exactly the stored bytes, so anyone can recompute `digest` and the
//! chain: see [`CHAIN_CHECK`] for the check in words.

use std::io::{self, BufRead, Read};

use entitle_core::chain::{digest, from_hex, link, to_hex, Hash32, GENESIS};
use serde::{Deserialize, Serialize};

/// The chain check in words, short enough to re-implement in twenty lines
/// (for the pack's `VERIFY.md`).
pub const CHAIN_CHECK: &str = "\
Read events.jsonl line by line; each line is a JSON object with seq, digest, \
hash and (unless redacted) record. Start with prev = 32 zero bytes and n = 0.
For each line:
1. n = n + 1; seq must equal n.
2. If record is present: BLAKE3(UTF-8 bytes of record) must equal digest.
3. hash must equal BLAKE3(prev || digest), where prev and digest are the raw \
32-byte values (not hex) and || is concatenation.
4. prev = hash.
At the end, n and prev must equal the seq and hash in the signed checkpoint. \
Hex is 64 lowercase digits, as b3sum prints.";

/// The longest line accepted (64 MiB); longer lines are reported, not read.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// At most this many failures are listed; the rest are counted.
pub const MAX_FAILURES: usize = 100;

/// One export line. Frozen: auditors and independent verifiers depend on
/// this shape. Field order is the serialization order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportLine {
    /// The event's seq, from 1.
    pub seq: u64,
    /// BLAKE3 of the record bytes, lowercase hex.
    pub digest: String,
    /// The chain hash at this seq, lowercase hex.
    pub hash: String,
    /// The record bytes as a string; absent when redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
}

/// Renders one export line (with its line feed).
///
/// # Examples
///
/// ```
/// use entitle_core::chain::Chain;
/// let mut chain = Chain::new();
/// let record = r#"{"type":"purchased"}"#;
/// let (digest, hash) = chain.push_record(record.as_bytes());
/// let line = entitle_pack::export_line(1, &digest, &hash, Some(record));
/// assert!(line.starts_with(r#"{"seq":1,"digest":""#));
/// assert!(line.ends_with("\"}\n"));
/// let redacted = entitle_pack::export_line(1, &digest, &hash, None);
/// assert!(!redacted.contains("record"));
/// ```
#[must_use]
pub fn export_line(seq: u64, digest: &Hash32, hash: &Hash32, record: Option<&str>) -> String {
    let line = ExportLine {
        seq,
        digest: to_hex(digest),
        hash: to_hex(hash),
        record: record.map(str::to_owned),
    };
    // Serializing a struct of integers and strings cannot fail.
    let mut text = serde_json::to_string(&line).unwrap_or_default();
    text.push('\n');
    text
}

/// A verified chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// The seq of the last event (0 for an empty export).
    pub head_seq: u64,
    /// `hash(head_seq)`.
    pub head_hash: Hash32,
    /// The disclosed (not redacted) events: seq and record text.
    pub disclosed: Vec<(u64, String)>,
    /// `hash(seq)` for seq 1..=head_seq, at index seq - 1.
    hashes: Vec<Hash32>,
}

impl ChainReport {
    /// `hash(seq)`: [`GENESIS`] for 0, `None` beyond the head.
    #[must_use]
    pub fn hash_at(&self, seq: u64) -> Option<Hash32> {
        if seq == 0 {
            return Some(GENESIS);
        }
        let index = usize::try_from(seq - 1).ok()?;
        self.hashes.get(index).copied()
    }

    /// Checks that the chain ends exactly at a signed checkpoint's seq and
    /// hash (this is what catches events appended after signing, whose
    /// hashes a forger can compute).
    ///
    /// # Errors
    ///
    /// [`HeadError`] saying how the head differs.
    pub fn check_head(&self, seq: u64, hash: &Hash32) -> Result<(), HeadError> {
        if self.head_seq != seq {
            return Err(HeadError::Seq {
                log_seq: self.head_seq,
                checkpoint_seq: seq,
            });
        }
        if self.head_hash != *hash {
            return Err(HeadError::Hash { seq });
        }
        Ok(())
    }

    /// Checks that this chain extends an older checkpoint (`old_seq`,
    /// `old_hash`): the old head lies on this chain.
    ///
    /// # Errors
    ///
    /// [`PrefixError`] when it does not.
    pub fn extends(&self, old_seq: u64, old_hash: &Hash32) -> Result<(), PrefixError> {
        check_prefix(old_seq, old_hash, |seq| self.hash_at(seq))
    }
}

/// Checks that (`old_seq`, `old_hash`) lies on a chain given by its
/// `hash_at` lookup (seq → `hash(seq)`, `None` beyond its head): "this
/// year's log extends last year's checkpoint".
///
/// # Errors
///
/// [`PrefixError::NotReached`] when the chain is shorter than `old_seq`,
/// [`PrefixError::Diverged`] when the hashes differ there.
pub fn check_prefix(
    old_seq: u64,
    old_hash: &Hash32,
    hash_at: impl Fn(u64) -> Option<Hash32>,
) -> Result<(), PrefixError> {
    match hash_at(old_seq) {
        None => Err(PrefixError::NotReached { old_seq }),
        Some(h) if h == *old_hash => Ok(()),
        Some(_) => Err(PrefixError::Diverged { seq: old_seq }),
    }
}

/// The chain's head differs from a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeadError {
    /// The log ends at another seq than the checkpoint.
    #[error(
        "the events end at seq {log_seq} but the signed checkpoint is at seq {checkpoint_seq}: \
         events were added or removed after signing"
    )]
    Seq {
        /// The last seq in the events.
        log_seq: u64,
        /// The seq in the checkpoint.
        checkpoint_seq: u64,
    },
    /// Same seq, different hash.
    #[error(
        "at seq {seq} the chain hash differs from the signed checkpoint: the events were rewritten"
    )]
    Hash {
        /// The seq of both.
        seq: u64,
    },
}

/// A chain does not extend an older checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrefixError {
    /// The chain is shorter than the old checkpoint.
    #[error(
        "the old checkpoint is at seq {old_seq}, beyond the end of these events: \
         they do not extend it"
    )]
    NotReached {
        /// The old checkpoint's seq.
        old_seq: u64,
    },
    /// The chain passes the old seq with another hash.
    #[error(
        "at seq {seq} the chain hash differs from the old checkpoint: \
         history before the old checkpoint was rewritten"
    )]
    Diverged {
        /// The old checkpoint's seq.
        seq: u64,
    },
}

/// One problem found while verifying an export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct ChainFailure {
    /// 1-based line number (0 for failures not tied to a line).
    pub line: u64,
    /// What is wrong.
    pub kind: ChainFailureKind,
}

/// What is wrong with a line of an export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainFailureKind {
    /// Not a JSON export line.
    #[error("not an export line: {0}")]
    Malformed(String),
    /// The last line has no line feed: the file was cut short.
    #[error("truncated: the last line is not ended by a line feed")]
    Truncated,
    /// A line over [`MAX_LINE_BYTES`].
    #[error("longer than {MAX_LINE_BYTES} bytes; not read")]
    TooLong,
    /// A seq out of sequence.
    #[error(
        "seq {found} where seq {expected} was expected: an event is missing, inserted or out of order"
    )]
    Seq {
        /// The seq that should be here.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// `digest` or `hash` is not 64 lowercase hex digits.
    #[error("seq {seq}: `{field}` is not 64 lowercase hex digits")]
    BadHex {
        /// The event's seq.
        seq: u64,
        /// `digest` or `hash`.
        field: &'static str,
    },
    /// A disclosed record does not hash to its digest.
    #[error(
        "seq {seq}: the record does not hash to its digest: the record or the digest was altered"
    )]
    Digest {
        /// The event's seq.
        seq: u64,
    },
    /// A hash that does not chain from the previous line.
    #[error(
        "seq {seq}: the hash does not chain from the previous event: \
         an event was altered, removed, inserted or reordered"
    )]
    Hash {
        /// The event's seq.
        seq: u64,
    },
    /// Reading failed.
    #[error("read error: {0}")]
    Io(String),
    /// More failures than [`MAX_FAILURES`].
    #[error("{0} more failures not listed")]
    More(usize),
}

/// Verifies an export read from `reader`: seqs are 1..N without gaps, each
/// disclosed record hashes to its digest, each hash chains from the previous
/// one, and every line (the last included) is complete.
///
/// On success returns the head and the disclosed records; compare the head
/// with the signed checkpoint with [`ChainReport::check_head`]. On failure
/// returns every problem (up to [`MAX_FAILURES`]) by line number. Each line
/// is checked against the line before it as written, so one altered line
/// gives one or two failures, not a cascade.
///
/// # Errors
///
/// The list of [`ChainFailure`]s.
///
/// # Examples
///
/// ```
/// use entitle_core::chain::Chain;
/// let mut chain = Chain::new();
/// let mut text = String::new();
/// for (seq, record) in [(1, "a"), (2, "secret")] {
///     let (d, h) = chain.push_record(record.as_bytes());
///     let shown = (record != "secret").then_some(record);
///     text.push_str(&entitle_pack::export_line(seq, &d, &h, shown));
/// }
/// let report = entitle_pack::verify_chain(text.as_bytes()).unwrap();
/// assert_eq!(report.head_seq, 2);
/// assert_eq!(report.disclosed, vec![(1, "a".to_owned())]);
/// report.check_head(chain.seq(), chain.head()).unwrap();
/// ```
pub fn verify_chain<R: BufRead>(mut reader: R) -> Result<ChainReport, Vec<ChainFailure>> {
    let mut failures = Failures::default();
    let mut hashes = Vec::new();
    let mut disclosed = Vec::new();
    let mut prev_seq = 0u64;
    let mut prev_hash = Some(GENESIS);
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let limit = MAX_LINE_BYTES as u64 + 1;
        match (&mut reader).take(limit).read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                failures.push(line_no + 1, ChainFailureKind::Io(e.to_string()));
                break;
            }
        }
        line_no += 1;
        if buf.last() != Some(&b'\n') {
            if buf.len() > MAX_LINE_BYTES {
                failures.push(line_no, ChainFailureKind::TooLong);
                if let Err(e) = skip_line(&mut reader) {
                    failures.push(line_no, ChainFailureKind::Io(e.to_string()));
                    break;
                }
                prev_seq += 1;
                prev_hash = None;
                hashes.push(GENESIS);
                continue;
            }
            failures.push(line_no, ChainFailureKind::Truncated);
            break;
        }
        let line: ExportLine = match serde_json::from_slice(&buf) {
            Ok(line) => line,
            Err(e) => {
                failures.push(line_no, ChainFailureKind::Malformed(e.to_string()));
                prev_seq += 1;
                prev_hash = None;
                hashes.push(GENESIS);
                continue;
            }
        };
        let seq = line.seq;
        // After an unreadable line the expected seq is unknown: adopt this one.
        if prev_hash.is_some() && seq != prev_seq + 1 {
            failures.push(
                line_no,
                ChainFailureKind::Seq {
                    expected: prev_seq + 1,
                    found: seq,
                },
            );
        }
        let parse = |text: &str| {
            (!text.bytes().any(|b| b.is_ascii_uppercase()))
                .then(|| from_hex(text))
                .flatten()
        };
        let (Some(stated_digest), Some(stated_hash)) = (parse(&line.digest), parse(&line.hash))
        else {
            let field = if parse(&line.digest).is_none() {
                "digest"
            } else {
                "hash"
            };
            failures.push(line_no, ChainFailureKind::BadHex { seq, field });
            prev_seq = seq;
            prev_hash = None;
            hashes.push(GENESIS);
            continue;
        };
        if let Some(record) = line.record {
            if digest(record.as_bytes()) != stated_digest {
                failures.push(line_no, ChainFailureKind::Digest { seq });
            }
            disclosed.push((seq, record));
        }
        if let Some(prev) = prev_hash {
            if link(&prev, &stated_digest) != stated_hash {
                failures.push(line_no, ChainFailureKind::Hash { seq });
            }
        }
        prev_seq = seq;
        prev_hash = Some(stated_hash);
        hashes.push(stated_hash);
    }
    if let Some(list) = failures.finish() {
        return Err(list);
    }
    Ok(ChainReport {
        head_seq: prev_seq,
        head_hash: prev_hash.unwrap_or(GENESIS),
        disclosed,
        hashes,
    })
}

fn skip_line<R: BufRead>(reader: &mut R) -> io::Result<()> {
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(());
        }
        if let Some(pos) = chunk.iter().position(|&b| b == b'\n') {
            reader.consume(pos + 1);
            return Ok(());
        }
        let n = chunk.len();
        reader.consume(n);
    }
}

#[derive(Default)]
struct Failures {
    listed: Vec<ChainFailure>,
    more: usize,
}

impl Failures {
    fn push(&mut self, line: u64, kind: ChainFailureKind) {
        if self.listed.len() < MAX_FAILURES {
            self.listed.push(ChainFailure { line, kind });
        } else {
            self.more += 1;
        }
    }

    fn finish(mut self) -> Option<Vec<ChainFailure>> {
        if self.more > 0 {
            self.listed.push(ChainFailure {
                line: 0,
                kind: ChainFailureKind::More(self.more),
            });
        }
        (!self.listed.is_empty()).then_some(self.listed)
    }
}
