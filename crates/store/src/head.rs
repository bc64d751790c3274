//! The head mark, `log/HEAD`: the chain head the log must end at, kept
//! beside the log and outside the derived state, so that a log cut short
//! or extended while `db/` was deleted is noticed instead of rebuilt from.
//!
//! Every write replaces it (temporary file, fsync, rename, directory fsync)
//! *before* it touches the log, naming the head before the write
//! (`committed`) and the head the write will end at (`pending`), or
//! `pending: open` for a long write whose end is not known yet (it names
//! the end again before its last chunk); and again once the log is durable,
//! naming the new head as `committed`. So the log always ends at one of
//! the two: at `committed`, or — after a crash between the log's fsync and
//! the closing mark, or a write completed on open — at `pending` (the next
//! open then makes it `committed`). A log cut back to any earlier event,
//! or extended past them, is refused.
//!
//! ```text
//! entitle head
//! committed: 12 6437b3ac…(64 hex)
//! pending: 13 9f86d081…(64 hex)
//! check: 0e1b…(64 hex: BLAKE3 of the lines above)
//! ```
//!
//! It defends against accidents and against someone who can change the
//! log but not this file; someone who controls the whole disk can rewrite
//! both. Only a copy of a head kept elsewhere (an auditor's checkpoint, an
//! off-site copy) defends against that.

use std::fs;
use std::path::{Path, PathBuf};

use entitle_core::chain::{self, Hash32};

use crate::disk;
use crate::error::{IoContext, StoreError};

/// Where the log must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    /// The head before the last write began.
    pub committed: (u64, Hash32),
    /// The head the last write ends at, when known.
    pub pending: Pending,
}

/// The end of the write under way (or last made).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pending {
    /// No write since `committed`.
    None,
    /// A write that ends at this seq and chain hash.
    At(u64, Hash32),
    /// A long write whose end is not known yet.
    Open,
}

impl Mark {
    /// The log ends at `seq` with chain hash `hash`, no write under way.
    pub(crate) fn settled(seq: u64, hash: Hash32) -> Mark {
        Mark {
            committed: (seq, hash),
            pending: Pending::None,
        }
    }
}

const MAGIC: &str = "entitle head";

/// The mark's path for the log at `log`.
pub(crate) fn path_for(log: &Path) -> PathBuf {
    log.with_file_name("HEAD")
}

/// Reads the mark: `Ok(None)` when there is none, `Err(what)` when it is
/// damaged.
pub(crate) fn read(path: &Path) -> Result<Option<Result<Mark, String>>, StoreError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            return Ok(Some(Err("it is not text".into())))
        }
        Err(e) => return Err(e).at(path),
    };
    Ok(Some(parse(&text)))
}

pub(crate) fn parse(text: &str) -> Result<Mark, String> {
    let (body, check) = text
        .trim_end_matches('\n')
        .rsplit_once("\ncheck: ")
        .ok_or("it has no check line")?;
    if chain::to_hex(blake3::hash(format!("{body}\n").as_bytes()).as_bytes()) != check {
        return Err("its check does not match its content".into());
    }
    let mut lines = body.lines();
    if lines.next() != Some(MAGIC) {
        return Err("it does not start with \"entitle head\"".into());
    }
    let head = |text: Option<&str>, name: &str| -> Result<(u64, Hash32), String> {
        let text = text
            .and_then(|l| l.strip_prefix(name))
            .ok_or(format!("it has no {name}line"))?;
        let (seq, hash) = text.split_once(' ').ok_or("a head is not `SEQ HASH`")?;
        Ok((
            seq.parse().map_err(|_| "a seq is not a number")?,
            chain::from_hex(hash).ok_or("a hash is not 64 hex digits")?,
        ))
    };
    let committed = head(lines.next(), "committed: ")?;
    let pending = match lines.next() {
        None => Pending::None,
        Some("pending: open") => Pending::Open,
        Some(line) => {
            let (seq, hash) = head(Some(line), "pending: ")?;
            Pending::At(seq, hash)
        }
    };
    Ok(Mark { committed, pending })
}

fn render(mark: &Mark) -> String {
    let (seq, hash) = mark.committed;
    let mut body = format!("{MAGIC}\ncommitted: {seq} {}\n", chain::to_hex(&hash));
    match mark.pending {
        Pending::None => {}
        Pending::Open => body.push_str("pending: open\n"),
        Pending::At(seq, hash) => {
            body.push_str(&format!("pending: {seq} {}\n", chain::to_hex(&hash)));
        }
    }
    let check = chain::to_hex(blake3::hash(body.as_bytes()).as_bytes());
    format!("{body}check: {check}\n")
}

/// Replaces the mark durably.
pub(crate) fn write(path: &Path, mark: &Mark) -> Result<(), StoreError> {
    let tmp = path.with_file_name("HEAD.tmp");
    disk::replace(path, &tmp, render(mark).as_bytes()).at(path)
}

/// What is wrong when a log ending at `(seq, hash)` does not fit `mark`.
pub(crate) fn mismatch(mark: &Mark, seq: u64, hash: &Hash32) -> Option<String> {
    let (c_seq, c_hash) = mark.committed;
    let fits = |s: u64, h: &Hash32| s == seq && h == hash;
    match mark.pending {
        _ if fits(c_seq, &c_hash) => return None,
        Pending::At(p_seq, p_hash) if fits(p_seq, &p_hash) => return None,
        _ => {}
    }
    let last = match mark.pending {
        Pending::At(p_seq, _) => p_seq.max(c_seq),
        _ => c_seq,
    };
    let short = |h: &Hash32| chain::to_hex(h)[..16].to_owned();
    Some(if seq < c_seq {
        format!(
            "it ends at event #{seq}, but it held #{c_seq} (chain head {}…) when it was last written: events were removed",
            short(&c_hash)
        )
    } else if seq < last {
        format!(
            "it ends at event #{seq}, inside a write of #{}..#{last} that never finished, and no record of that write is left to cut it back by",
            c_seq + 1
        )
    } else if seq == c_seq || seq == last {
        format!("its event #{seq} is not the one entitle wrote (the chain head differs from the one kept in log/HEAD): the log was replaced")
    } else if mark.pending == Pending::Open {
        format!(
            "it holds events after #{c_seq} of a long write that never finished (#{} onwards)",
            c_seq + 1
        )
    } else {
        format!(
            "it holds events after #{last} that entitle did not write (#{}..#{seq})",
            last + 1
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_reads_back_and_a_changed_one_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("HEAD");
        for pending in [Pending::None, Pending::Open, Pending::At(13, [7; 32])] {
            let mark = Mark {
                committed: (12, [3; 32]),
                pending,
            };
            write(&path, &mark).unwrap();
            assert_eq!(read(&path).unwrap(), Some(Ok(mark)));
        }
        let text = fs::read_to_string(&path)
            .unwrap()
            .replace("committed: 12", "committed: 11");
        fs::write(&path, text).unwrap();
        assert!(matches!(read(&path).unwrap(), Some(Err(_))));
    }

    #[test]
    fn a_log_fits_either_head_and_nothing_else() {
        let mark = Mark {
            committed: (12, [3; 32]),
            pending: Pending::At(13, [7; 32]),
        };
        assert_eq!(mismatch(&mark, 12, &[3; 32]), None);
        assert_eq!(mismatch(&mark, 13, &[7; 32]), None);
        assert!(mismatch(&mark, 11, &[1; 32])
            .unwrap()
            .contains("events were removed"));
        assert!(mismatch(&mark, 13, &[1; 32])
            .unwrap()
            .contains("the log was replaced"));
        assert!(mismatch(&mark, 15, &[1; 32]).unwrap().contains("#14..#15"));
    }
}
