//! The sent-log, `<store>/remind/sent.jsonl`: one JSON line per message
//! the mail server accepted, appended and fsynced right after it did.
//! Never in the license event log; never rewritten.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// One accepted message (stable field names).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SentRecord {
    /// When the server accepted it (RFC 3339).
    pub sent_at: String,
    /// The day it reminded for.
    pub as_of: String,
    /// The recipient.
    pub to: String,
    /// Its Message-ID.
    pub message_id: String,
    /// Its subject.
    pub subject: String,
    /// The items and stages in it.
    pub items: Vec<SentItem>,
}

/// An item and stage a message held.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SentItem {
    /// The item's key.
    pub key: String,
    /// Days before the deadline.
    pub stage: u32,
}

fn path(root: &Path) -> PathBuf {
    root.join("remind").join("sent.jsonl")
}

/// Every record of the sent-log, oldest first (none if nothing was ever
/// sent). A torn last line — a crash while it was appended — is left
/// out: that message counts as not recorded.
///
/// # Errors
///
/// A log that cannot be read, or a whole line that is not a record.
pub fn read_log(root: &Path) -> Result<Vec<SentRecord>> {
    let path = path(root);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let complete = text.rfind('\n').map_or("", |i| &text[..=i]);
    let mut out = Vec::new();
    for (n, line) in complete.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(line).map_err(|e| {
            Error::new(
                ErrorKind::Integrity,
                format!("{} line {}: not a sent record: {e}", path.display(), n + 1),
            )
            .hint("the sent-log is written by entitle only; restore it from a backup")
        })?;
        out.push(record);
    }
    Ok(out)
}

/// (item key, stage, recipient) of everything recorded as sent.
pub(super) fn sent_keys(root: &Path) -> Result<HashSet<(String, u32, String)>> {
    let mut set = HashSet::new();
    for r in read_log(root)? {
        for i in r.items {
            set.insert((i.key, i.stage, r.to.to_ascii_lowercase()));
        }
    }
    Ok(set)
}

/// Appends one record and fsyncs it (and, when the log is new, its
/// folder).
pub(super) fn append(root: &Path, record: &SentRecord) -> Result<()> {
    let path = path(root);
    let dir = root.join("remind");
    let created = !path.exists();
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut f = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    // A torn last line left by a crash (no newline) is cut off: that
    // message was never recorded, and the new record starts a whole line.
    let mut text = Vec::new();
    f.read_to_end(&mut text).map_err(|e| Error::io(&path, e))?;
    if text.last().is_some_and(|b| *b != b'\n') {
        let keep = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        f.set_len(keep as u64).map_err(|e| Error::io(&path, e))?;
    }
    let mut line = Vec::new();
    serde_json::to_writer(&mut line, record)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write a sent record: {e}")))?;
    line.push(b'\n');
    f.write_all(&line)
        .and_then(|()| f.sync_data())
        .map_err(|e| Error::io(&path, e))?;
    if created {
        for d in [&dir, root] {
            if let Ok(d) = std::fs::File::open(d) {
                let _ = d.sync_all();
            }
        }
    }
    Ok(())
}
