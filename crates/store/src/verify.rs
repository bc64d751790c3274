//! `entitle verify`: the whole log against the chain and the digests
//! recorded when each event was written.

use entitle_core::chain::{self, Chain, Hash32};
use serde::Deserialize;

use crate::error::StoreError;
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
#[derive(Deserialize)]
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
    let recorded_at = std::str::from_utf8(&rest[..end]).ok()?.parse().ok()?;
    Some(Skeleton { seq, recorded_at })
}

pub(crate) fn verify(
    store: &Store,
    progress: &dyn entitle_core::progress::Progress,
) -> Result<VerifyReport, StoreError> {
    let mut reported = 0u64;
    let mut problems = Vec::new();
    if let Some(what) = &store.damage {
        problems.push(Problem {
            seq: None,
            what: what.clone(),
        });
    }
    let applied = &store.applied;
    let mut chain = Chain::new();
    let mut chunk_no = u64::MAX;
    let mut chunk: Vec<Hash32> = Vec::new();
    let mut last_time: Option<jiff::Timestamp> = None;
    let mut line_no = 0u64;
    let mut bytes = 0u64;
    let report = |problems: &mut Vec<Problem>, seq: Option<u64>, what: String| {
        if problems.len() < MAX_PROBLEMS {
            problems.push(Problem { seq, what });
        }
    };
    for line in store.log.lines_from(0)? {
        let line = line?;
        line_no += 1;
        bytes += line.bytes.len() as u64 + u64::from(line.complete);
        if bytes - reported >= 1 << 20 {
            progress.advance(bytes - reported);
            reported = bytes;
        }
        let (digest, _) = chain.push_record(&line.bytes);
        if !line.complete {
            report(
                &mut problems,
                Some(line_no),
                format!("line {line_no} is torn (no line feed at the end of the log)"),
            );
        }
        // The digest written with the record, when there is one.
        let stored = if line_no <= applied.head.seq {
            let c = (line_no - 1) / DIGEST_CHUNK;
            if c != chunk_no {
                chunk = store.proj.digest_chunk(c)?;
                chunk_no = c;
            }
            let i = usize::try_from((line_no - 1) % DIGEST_CHUNK).expect("fits");
            Some(chunk.get(i).copied())
        } else {
            None
        };
        // Bytes identical to those entitle wrote are a record in the
        // documented field order: their seq and time are read off the
        // prefix. Anything else is parsed in full.
        let skeleton = match stored {
            Some(Some(s)) if s == digest => skeleton_prefix(&line.bytes)
                .map_or_else(|| serde_json::from_slice::<Skeleton>(&line.bytes), Ok),
            _ => serde_json::from_slice::<Skeleton>(&line.bytes),
        };
        match skeleton {
            Ok(s) => {
                if s.seq != line_no {
                    report(
                        &mut problems,
                        Some(line_no),
                        format!(
                            "line {line_no} holds event #{} where #{line_no} belongs: events were removed, inserted or reordered",
                            s.seq
                        ),
                    );
                }
                if last_time.is_some_and(|t| s.recorded_at < t) {
                    report(
                        &mut problems,
                        Some(line_no),
                        format!(
                            "#{line_no}: recorded_at {} goes back in time",
                            s.recorded_at
                        ),
                    );
                }
                last_time = Some(s.recorded_at);
            }
            Err(e) => report(
                &mut problems,
                Some(line_no),
                format!("line {line_no} is not a record: {e}"),
            ),
        }
        if let Some(stored) = stored {
            match stored.as_ref() {
                Some(stored) if *stored == digest => {}
                Some(stored) => report(
                    &mut problems,
                    Some(line_no),
                    format!(
                        "#{line_no} differs from the record written then (digest now {}, when written {})",
                        chain::to_hex(&digest),
                        chain::to_hex(stored)
                    ),
                ),
                None => report(
                    &mut problems,
                    Some(line_no),
                    format!("#{line_no}: the derived state has no digest for it; run `entitle rebuild`"),
                ),
            }
        } else {
            report(
                &mut problems,
                Some(line_no),
                format!("#{line_no} is in the log but was not written by entitle (it follows the last recorded event #{})", applied.head.seq),
            );
        }
    }
    if line_no < applied.head.seq {
        report(
            &mut problems,
            Some(line_no + 1),
            format!(
                "the log ends at line {line_no} but entitle wrote events up to #{}: #{}..#{} are missing",
                applied.head.seq,
                line_no + 1,
                applied.head.seq
            ),
        );
    } else if line_no == applied.head.seq
        && problems.is_empty()
        && *chain.head() != applied.head_hash
    {
        report(
            &mut problems,
            None,
            format!(
                "the chain ends in {} but entitle recorded {}",
                chain::to_hex(chain.head()),
                chain::to_hex(&applied.head_hash)
            ),
        );
    }
    // The first bad seq first, whatever order the checks found them in;
    // findings about the log as a whole after those.
    problems.sort_by_key(|p| p.seq.unwrap_or(u64::MAX));
    Ok(VerifyReport {
        events: line_no,
        bytes,
        head_hash: *chain.head(),
        problems,
        documents: 0,
    })
}
