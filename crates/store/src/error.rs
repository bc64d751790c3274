//! What can go wrong with a store, in words a person can act on.

use std::path::PathBuf;

/// Errors of opening, reading or writing a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No store at the path (for commands that only read).
    #[error("no store at {0}: record a purchase to create one, or run `entitle demo` to try entitle on example data")]
    NoStore(PathBuf),
    /// The path exists but is not an entitle store.
    #[error("{0} is not an entitle store (it has no FORMAT file but is not empty); choose another --store")]
    NotAStore(PathBuf),
    /// The store was written by a newer entitle.
    #[error("the store at {path} has format {found}; this entitle understands formats up to {supported}: upgrade entitle")]
    UpgradeRequired {
        /// Store path.
        path: PathBuf,
        /// The version on disk.
        found: u32,
        /// The version this build writes.
        supported: u32,
    },
    /// The FORMAT file is damaged.
    #[error("{path}: {what}")]
    BadFormatFile {
        /// The FORMAT file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// Another process holds the store (after waiting as long as allowed).
    #[error("the store at {path} is in use by {holder}; wait for it to finish and try again")]
    Locked {
        /// Store path.
        path: PathBuf,
        /// Who holds it, as it wrote into the lock file (a live process),
        /// else "another entitle process".
        holder: String,
        /// The lock file.
        lock_file: PathBuf,
        /// How long this process waited for it, in whole seconds.
        waited_secs: u64,
        /// The holder is the server, which holds the store until it stops.
        server: bool,
    },
    /// The log does not agree with what entitle wrote.
    #[error(
        "the log {path} is damaged: {what}; run `entitle verify` for details (nothing was changed)"
    )]
    Damaged {
        /// The log file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// The log does not end where entitle last wrote it (`log/HEAD`), or is
    /// shorter than the derived state says: events were removed, or the
    /// log was restored from an older copy.
    #[error(
        "the log {path} does not end where entitle last wrote it: {what} (nothing was changed)"
    )]
    HeadMismatch {
        /// The log file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// A write was committed although drafts of it were refused.
    #[error("{0} draft(s) of this write were refused; nothing was recorded")]
    Refused(u64),
    /// A query names something the store does not have, or names it in a
    /// form that cannot be looked up.
    #[error("{field} {value:?} {problem}")]
    Query {
        /// The field that named it: `known_at`, `seq`, `hash`.
        field: &'static str,
        /// What was given.
        value: String,
        /// What is wrong, as it reads after the field and the value.
        problem: String,
        /// Whether it simply does not exist (rather than being malformed
        /// or ambiguous).
        missing: bool,
    },
    /// An I/O error, with the file it happened on.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The derived state could not be read or written.
    #[error("derived state in {path}: {what}; run `entitle rebuild` to recreate it from the log")]
    Derived {
        /// The sled directory.
        path: PathBuf,
        /// What went wrong.
        what: String,
    },
}

/// Attaches a path to an I/O error.
pub(crate) trait IoContext<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T, StoreError>;
}

impl<T> IoContext<T> for Result<T, std::io::Error> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Io {
            path: path.into(),
            source,
        })
    }
}
