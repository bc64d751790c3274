//! Imports: a JSON Lines file of events, the license spreadsheet an SME
//! already keeps, usage counts from a CSV export — each all or nothing.
//!
//! Every row is read and checked before anything is written (and before a
//! store is created: see [`Target`]); a file with bad rows records nothing
//! and every bad row comes back as a [`BadRow`] (line, field, value, what
//! is wrong) — as data in a dry run's result, as the details of the
//! [`Error`] of a real run. A good file is recorded in one write (one
//! fsync), streamed in bounded memory however long it is.
//!
//! The rows of a spreadsheet become the same requests as the commands
//! that record one event ([`crate::record::Write::Purchase`],
//! [`crate::record::Write::Usage`]), so that the rules (a quantity of at
//! least 1 or `unlimited`, a cost with its currency, an end not before the
//! start) exist once. What is particular to a spreadsheet is only its
//! notation: German numbers (`1.234,56`), day-first dates, yes/no words.
//!
//! Importing the same spreadsheet again is refused (kind
//! [`ErrorKind::Conflict`], pointing at [`Action::ImportAgain`]): each
//! event's note carries `import <file> blake3:<hash of the file>`.

mod events;
mod inventory;
mod licenses;
mod osquery;
mod sheet;
mod usage;

use std::path::PathBuf;

use entitle_store::{Open, Store};
use serde::{Deserialize, Serialize};

use crate::error::{Action, Error, ErrorKind, Result};

pub use events::{
    check_documents, check_events, events, lines_to_send, EventsFile, EventsImported,
};
pub use inventory::{inventory, InventoryImport, InventoryImported};
pub use licenses::{licenses, Licenses, LicensesImported, WouldRecord};
pub use usage::{usage, UsageImport, UsageImported};

/// At most this many bad rows are kept (the count says the rest): in a
/// dry run's result and in an error's details.
pub const MAX_LISTED: usize = 50;

/// Where an import records.
#[derive(Debug)]
pub enum Target<'s> {
    /// A store the caller holds open (a server).
    Open(&'s mut Store),
    /// The store at a path, opened (or created) only once the file has
    /// been checked: a bad file never creates a store. A dry run never
    /// creates one either; it checks against the store if there is one.
    At {
        /// The store directory.
        path: PathBuf,
        /// Who opens it (named in the lock file).
        purpose: String,
        /// How long to wait for another process that holds it.
        wait: std::time::Duration,
    },
}

/// How to read a spreadsheet, and whether to import a file again.
#[derive(Debug, Clone, Default)]
pub struct SheetOptions {
    /// How messages and the answer name the file; none for its path as
    /// given (a server names the client's file, never its temporary copy).
    pub shown_as: Option<String>,
    /// Which header holds which column: `count=Installations,product=Software`.
    pub map: Option<String>,
    /// Which date forms besides ISO are accepted: `iso`, `dmy`, `mdy`;
    /// none for ISO only.
    pub date_format: Option<String>,
    /// How numbers are written: `point` (`1,234.56`) or `comma`
    /// (`1.234,56`); none to follow the delimiter (semicolon → comma).
    pub numbers: Option<String>,
    /// Import even though this exact file was imported before.
    pub again: bool,
}

/// A row of a file that cannot be recorded. An entry of a JSON document
/// (osquery) has line 0 and its path as the field
/// (`system_info[0].cpu_physical_cores`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadRow {
    /// Its 1-based physical line.
    pub line: u64,
    /// The column (or field of the event) at fault, if one is.
    pub field: Option<String>,
    /// The value given there.
    pub value: Option<String>,
    /// What is wrong (and what to do).
    pub message: String,
}

impl BadRow {
    /// A bad row from an error about one of its values.
    pub(crate) fn from_error(line: u64, e: &Error) -> Self {
        BadRow {
            line,
            field: e.field().map(str::to_owned),
            value: e.value().map(str::to_owned),
            message: e.to_string(),
        }
    }
}

/// Bad rows, the first [`MAX_LISTED`] kept, all counted.
#[derive(Debug, Default)]
pub(crate) struct BadRows {
    pub(crate) listed: Vec<BadRow>,
    pub(crate) total: u64,
}

impl BadRows {
    pub(crate) fn push(&mut self, row: BadRow) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(row);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// The error of a file with bad rows: nothing was recorded; its details
/// list each as `FILE:LINE: what is wrong`.
#[must_use]
pub fn refused(file: &str, bad: &[BadRow], total: u64, unit: &str) -> Error {
    let mut details: Vec<String> = bad
        .iter()
        .map(|b| match (b.line, &b.field) {
            (0, Some(path)) => format!("{file}:{path}: {}", b.message),
            (line, _) => format!("{file}:{line}: {}", b.message),
        })
        .collect();
    let rest = total.saturating_sub(bad.len() as u64);
    if rest > 0 {
        details.push(format!("… and {rest} more"));
    }
    Error::new(
        ErrorKind::BadInput,
        format!(
            "{total} bad {unit}{} in {file}; nothing was recorded",
            plural(total)
        ),
    )
    .at("file")
    .details(details)
}

/// "s" unless one.
pub(crate) fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The store of a target, opened for a write (created if missing).
fn open_for_write<'a>(
    target: &'a mut Target<'_>,
    slot: &'a mut Option<Store>,
    progress: &dyn crate::Progress,
) -> Result<&'a mut Store> {
    match target {
        Target::Open(store) => Ok(&mut **store),
        Target::At {
            path,
            purpose,
            wait,
        } => Ok(slot.insert(crate::store::open_waiting(
            path,
            Open::CreateIfMissing,
            purpose,
            *wait,
            progress,
        )?)),
    }
}

/// The store of a target for a dry run: an open one, or the one at the
/// path if there is one (never created).
fn open_for_check<'a>(
    target: &'a mut Target<'_>,
    slot: &'a mut Option<Store>,
    progress: &dyn crate::Progress,
) -> Result<Option<&'a mut Store>> {
    match target {
        Target::Open(store) => Ok(Some(&mut **store)),
        Target::At {
            path,
            purpose,
            wait,
        } => {
            *slot = crate::store::open_if_exists(path, purpose, *wait, progress)?;
            Ok(slot.as_mut())
        }
    }
}

/// Refuses a second import of the same bytes: scans the log for the
/// file's marker (in the notes of the events the first import wrote).
fn refuse_if_imported(store: &Store, file: &str, marker: &str, again: bool) -> Result<()> {
    if again {
        return Ok(());
    }
    let hash = marker.strip_prefix("blake3:").unwrap_or(marker);
    match store.imported(hash)? {
        None => Ok(()),
        Some(seq) => Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "{file} was already imported (event #{seq} carries its hash {marker}); nothing was recorded"
            ),
        )
        .at("file")
        .hint_to(Action::ImportAgain, "{action} to import it once more")),
    }
}
