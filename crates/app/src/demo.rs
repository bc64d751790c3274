//! The demo: an example company's history (2022–2026) and four documents
//! from its contract folder and mailbox, loaded into a fresh store, each
//! step at its scripted time (see `data/README.md`).

use std::path::Path;

use entitle_core::ledger::{Context, Draft};
use entitle_store::{Open, Store};
use jiff::Timestamp;
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::progress::Progress;
use crate::record::{attach, Attach, Source};

/// The scripted history (see data/README.md).
const HISTORY: &str = include_str!("../../../data/demo/history.jsonl");

/// Documents archived after the history: which file, when, by whom, bound
/// to which license or vendor.
const DOCUMENT_STEPS: &str = include_str!("../../../data/demo/documents.jsonl");
/// Servers and the licenses counted from them (after the documents, so
/// that the history's and the documents' event numbers stay as they were).
const INVENTORY: &str = include_str!("../../../data/demo/inventory.jsonl");

/// The demo documents themselves, embedded so the demo works from an
/// installed binary (see data/documents/README.md).
const DOCUMENTS: [(&str, &[u8]); 4] = [
    (
        "rahmenvertrag-nordlicht-cad.pdf",
        include_bytes!("../../../data/documents/rahmenvertrag-nordlicht-cad.pdf"),
    ),
    (
        "nordlicht-subscription-terms.html",
        include_bytes!("../../../data/documents/nordlicht-subscription-terms.html"),
    ),
    (
        "order-confirmation-nl-2024-0412.eml",
        include_bytes!("../../../data/documents/order-confirmation-nl-2024-0412.eml"),
    ),
    (
        "kuendigungsbestaetigung-nordlicht-pdm.txt",
        include_bytes!("../../../data/documents/kuendigungsbestaetigung-nordlicht-pdm.txt"),
    ),
];

#[derive(Deserialize)]
struct Step {
    at: Timestamp,
    actor: String,
    event: serde_json::Value,
}

#[derive(Deserialize)]
struct DocumentStep {
    at: Timestamp,
    actor: String,
    #[serde(default)]
    license: Option<String>,
    #[serde(default)]
    vendor: Option<String>,
    file: String,
    kind: String,
    #[serde(default)]
    note: Option<String>,
}

/// What the demo loaded.
#[derive(Debug)]
pub struct Demo {
    /// The store, open.
    pub store: Store,
    /// Events of the scripted history.
    pub events: usize,
    /// Documents archived.
    pub documents: usize,
}

/// Creates a store at `path` (which must not be a store yet) and loads the
/// demo into it.
///
/// # Errors
///
/// When `path` is a store already, or the store cannot be written.
pub fn load(path: &Path, progress: &dyn Progress) -> Result<Demo> {
    if entitle_store::Layout::new(path).format().exists() {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "{} is already a store; the demo needs a fresh one",
                path.display()
            ),
        )
        .at("store")
        .hint("give a new directory"));
    }
    let mut store = crate::store::open(path, Open::CreateIfMissing, "entitle demo")?;
    let mut events = load_history(&mut store, "history", HISTORY)?;
    let documents = load_documents(&mut store, progress)?;
    events += load_history(&mut store, "inventory", INVENTORY)?;
    Ok(Demo {
        store,
        events,
        documents,
    })
}

fn context(actor: String, at: Timestamp) -> Context {
    Context {
        actor,
        now: at,
        today: at.to_zoned(jiff::tz::TimeZone::UTC).date(),
    }
}

fn script_error(what: &str, line: usize, e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Integrity,
        format!("demo {what} line {line}: {e}"),
    )
}

/// Appends a scripted history (`what`, the script's name in errors), each
/// step at its scripted time.
fn load_history(store: &mut Store, what: &str, script: &str) -> Result<usize> {
    let mut n = 0;
    for (i, line) in script
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let step: Step = serde_json::from_str(line).map_err(|e| script_error(what, i + 1, e))?;
        let draft = Draft::from_json_line(&step.event.to_string())
            .map_err(|e| script_error(what, i + 1, e))?;
        store
            .append([draft], &context(step.actor, step.at))
            .map_err(|e| script_error(what, i + 1, Error::from(e)))?;
        n += 1;
    }
    Ok(n)
}

/// Archives the demo documents after the history, each at its scripted
/// time, and indexes their text. Returns how many were attached.
fn load_documents(store: &mut Store, progress: &dyn Progress) -> Result<usize> {
    let mut n = 0;
    for (i, line) in DOCUMENT_STEPS
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let step: DocumentStep =
            serde_json::from_str(line).map_err(|e| script_error("documents", i + 1, e))?;
        let (_, bytes) = DOCUMENTS
            .iter()
            .find(|(name, _)| *name == step.file)
            .ok_or_else(|| {
                script_error(
                    "documents",
                    i + 1,
                    format!("no embedded document {}", step.file),
                )
            })?;
        let req = Attach {
            license: step.license,
            vendor: step.vendor,
            kind: step.kind,
            note: step.note,
        };
        let mut reader: &[u8] = bytes;
        let source = Source::Upload {
            filename: step.file,
            reader: &mut reader,
            limit: None,
        };
        attach(
            store,
            &context(step.actor, step.at),
            &req,
            vec![source],
            progress,
        )
        .map_err(|e| script_error("documents", i + 1, e))?;
        n += 1;
    }
    Ok(n)
}
