//! Audit packs: the evidence bundle for one vendor's auditor
//! ([`build_pack`]), its check ([`verify_pack`]), and the store's signing
//! key ([`key`]).
//!
//! Everything in a pack but `checkpoint` and `checkpoint.sig` (and so
//! `BLAKE3SUMS`) is a function of the store, the vendor, the as-of date and
//! the known-at seq: no clock is read for them. The CSV files are computed
//! from the disclosed records alone (the same fold [`verify_pack`]
//! repeats), and held against the store's own position before anything is
//! written.
//!
//! The vendor's documents travel in `documents/<hash>-<name>`, streamed
//! from the archive's blobs. Which documents is decided from the disclosed
//! `document_attached` events alone (those not voided by a disclosed void),
//! so [`verify_pack`] derives the same list from `events.jsonl` and ties
//! each file to the hash its event recorded.
//!
//! The work is in steps, one file each: which events are disclosed
//! (`disclose`), which documents travel (`documents`), the re-fold
//! (`fold`), the CSV files (`csv`), the report (`report`) and `VERIFY.md`
//! (`verify_md`), the pack itself (`build`), its check (`verify`) and the
//! key (`key`).

mod build;
mod csv;
mod disclose;
mod documents;
mod fold;
mod key;
mod report;
mod verify;
mod verify_md;

use std::path::Path;

use entitle_core::chain::{from_hex, to_hex, Hash32};
use entitle_pack::{validate_identity, Checkpoint, CHECKPOINT_MAGIC};

use crate::error::{Error, ErrorKind, Result};

pub use build::{build_pack, PackBuilt, PackRequest};
pub(crate) use key::load as load_key;
pub use key::{key, KeyInfo, KEY_FILE};
pub(crate) use verify::read_signer;
pub use verify::{verify_pack, Check, PackVerification, VerifyRequest};

const POSITION_FILE: &str = "position.csv";
const LICENSES_FILE: &str = "licenses.csv";
const USAGE_FILE: &str = "usage.csv";
const REPORT_MD: &str = "report.md";
const REPORT_HTML: &str = "report.html";
const VERIFY_MD: &str = "VERIFY.md";
const VERIFY_PY: &str = "verify_chain.py";
const VERIFY_PY_TEXT: &str = include_str!("../../../pack/verify_chain.py");
/// The folder of the pack that holds the vendor's documents.
const DOCUMENTS_DIR: &str = "documents/";
/// The older checkpoint a pack was checked to extend (`--since`), as it
/// was given.
const SINCE_FILE: &str = "since-checkpoint";
/// The file that names the pack's format (none: format 1).
const FORMAT_FILE: &str = "FORMAT";

/// How a pack's files are laid out and written: the pack format. A pack
/// names it in `FORMAT` (`entitle-pack 2`); a pack without one is of
/// format 1. Verification re-derives files the way the pack's format
/// writes them, so every format stays readable. Frozen: a change is a new
/// format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Format 1: CSV files in plain RFC 4180, no `FORMAT` file.
    V1,
    /// Format 2: CSV files as `--format csv` writes them (UTF-8 with a
    /// byte order mark, would-be formulas prefixed with `'`); a v2
    /// checkpoint that pins `BLAKE3SUMS` (which lists every file but the
    /// checkpoint and its signature); the reports, `VERIFY.md` and
    /// `verify_chain.py` re-derived when verified; `since-checkpoint` when
    /// the pack was made against an older checkpoint.
    V2,
}

impl Layout {
    /// The format packs are made in.
    const CURRENT: Layout = Layout::V2;

    fn number(self) -> u32 {
        match self {
            Layout::V1 => 1,
            Layout::V2 => 2,
        }
    }

    /// The text of `FORMAT`.
    fn file_text(self) -> String {
        format!("entitle-pack {}\n", self.number())
    }

    /// The format a pack is in, from its `FORMAT` file (none: format 1).
    fn of(file: Option<&[u8]>) -> std::result::Result<Self, String> {
        let Some(bytes) = file else {
            return Ok(Layout::V1);
        };
        match bytes {
            b"entitle-pack 2\n" => Ok(Layout::V2),
            _ => Err(format!(
                "{FORMAT_FILE}: `{}` is not a pack format this entitle reads (`entitle-pack 2`, or no {FORMAT_FILE} for format 1); a newer entitle may read it",
                String::from_utf8_lossy(bytes).trim_end().escape_debug()
            )),
        }
    }
}

/// Reads an older pack's checkpoint, named in field `since`.
fn read_checkpoint(path: &Path) -> Result<Checkpoint> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorKind::NotFound
        } else {
            ErrorKind::Io
        };
        Error::about(
            kind,
            "since",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    Checkpoint::parse(&text).map_err(|e| {
        Error::about(ErrorKind::BadInput, "since", e.to_string()).valued(path.display().to_string())
    })
}

/// The first line of `since-checkpoint` as packs now write it.
const SINCE_MAGIC: &str = "entitle-since v1";

/// What a pack keeps of the older checkpoint it was checked to extend
/// (`since-checkpoint`): the store, seq and hash, all a verifier needs to
/// check again that the pack's chain extends it, and nothing of the old
/// checkpoint's time or `sums` line. Written as
///
/// ```text
/// entitle-since v1
/// store <store id>
/// seq <N>
/// hash <64 lowercase hex>
/// ```
///
/// each line ended by a line feed. A format-2 pack made before this was
/// written holds the whole old checkpoint instead, which is read too.
/// Frozen: a change is a new first line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SinceRef {
    store: String,
    seq: u64,
    hash: Hash32,
}

impl SinceRef {
    fn of(cp: &Checkpoint) -> Self {
        SinceRef {
            store: cp.store.clone(),
            seq: cp.seq,
            hash: cp.hash,
        }
    }

    fn render(&self) -> String {
        format!(
            "{SINCE_MAGIC}\nstore {}\nseq {}\nhash {}\n",
            self.store,
            self.seq,
            to_hex(&self.hash)
        )
    }

    /// Reads `since-checkpoint`: the form above, or a whole checkpoint.
    fn parse(text: &str) -> std::result::Result<Self, String> {
        if text.starts_with(CHECKPOINT_MAGIC) {
            return Checkpoint::parse(text)
                .map(|cp| Self::of(&cp))
                .map_err(|e| e.to_string());
        }
        let lines: Vec<&str> = text.split('\n').collect();
        let [SINCE_MAGIC, store, seq, hash, ""] = lines.as_slice() else {
            return Err(format!(
                "not `{SINCE_MAGIC}` and the lines `store`, `seq` and `hash`, each ended by a line feed"
            ));
        };
        let store = store
            .strip_prefix("store ")
            .filter(|s| validate_identity(s).is_ok())
            .ok_or("line 2: expected `store <store id>`")?;
        let seq = seq
            .strip_prefix("seq ")
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && (*n == "0" || !n.starts_with('0')))
            .and_then(|n| n.parse().ok())
            .ok_or("line 3: expected `seq <whole number>`")?;
        let hash = hash
            .strip_prefix("hash ")
            .filter(|h| !h.bytes().any(|b| b.is_ascii_uppercase()))
            .and_then(from_hex)
            .ok_or("line 4: expected `hash <64 lowercase hex digits>`")?;
        Ok(SinceRef {
            store: store.to_owned(),
            seq,
            hash,
        })
    }
}
