//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong opening, writing or querying the index.
///
/// [`IndexError::Corrupt`] and [`IndexError::SchemaMismatch`] both mean
/// "this directory cannot be used as it is": the index is derived data, so the
/// caller deletes it with [`SearchIndex::recreate`](crate::SearchIndex::recreate)
/// and reindexes from the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// The index directory could not be created or read.
    #[error("cannot use search index directory {}: {source}", path.display())]
    Io {
        /// The index directory.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The directory holds an index whose files are damaged or unreadable.
    #[error(
        "search index at {} is damaged ({reason}); it is derived data: delete it and run a full reindex",
        path.display()
    )]
    Corrupt {
        /// The index directory.
        path: PathBuf,
        /// What tantivy reported, in its words.
        reason: String,
    },
    /// The directory holds an index of another layout: a different schema, a
    /// different text analysis version, or a commit payload not written by
    /// this crate.
    #[error(
        "search index at {} was built with a different layout ({reason}); delete it and run a full reindex",
        path.display()
    )]
    SchemaMismatch {
        /// The index directory.
        path: PathBuf,
        /// Which part differs.
        reason: String,
    },
    /// Another writer (another process) holds the index's writer lock.
    #[error(
        "search index at {} is locked by another writer; wait for the other entitle process to finish",
        path.display()
    )]
    Locked {
        /// The index directory.
        path: PathBuf,
    },
    /// The query text is not valid query syntax.
    #[error("invalid search query \"{query}\": {reason}")]
    QuerySyntax {
        /// The query exactly as given.
        query: String,
        /// What is wrong and, where known, where.
        reason: String,
    },
    /// A document's hash is not a BLAKE3 hex digest.
    #[error("document hash \"{hash}\" is not a 64-character BLAKE3 hex digest")]
    InvalidHash {
        /// The hash as given.
        hash: String,
    },
    /// Any other error reported by tantivy.
    #[error("search index at {}: {source}", path.display())]
    Tantivy {
        /// The index directory.
        path: PathBuf,
        /// The tantivy error.
        #[source]
        source: tantivy::TantivyError,
    },
}

impl IndexError {
    /// Sorts a tantivy error met while opening or reading the index into the
    /// variants a caller can act on: unreadable files mean a damaged index.
    pub(crate) fn on_read(path: &std::path::Path, err: tantivy::TantivyError) -> Self {
        use tantivy::TantivyError as T;
        let path = path.to_path_buf();
        match err {
            T::LockFailure(..) => IndexError::Locked { path },
            T::IncompatibleIndex(inc) => IndexError::SchemaMismatch {
                path,
                reason: format!("written by an incompatible tantivy version: {inc:?}"),
            },
            T::DataCorruption(_)
            | T::OpenReadError(_)
            | T::DeserializeError(_)
            | T::SchemaError(_)
            | T::IoError(_) => IndexError::Corrupt {
                path,
                reason: err.to_string(),
            },
            other => IndexError::Tantivy {
                path,
                source: other,
            },
        }
    }

    /// Sorts a tantivy error met while writing: an I/O error here is the
    /// disk's (full, read-only), not a sign of a damaged index.
    pub(crate) fn on_write(path: &std::path::Path, err: tantivy::TantivyError) -> Self {
        match err {
            tantivy::TantivyError::LockFailure(..) => IndexError::Locked {
                path: path.to_path_buf(),
            },
            tantivy::TantivyError::DataCorruption(_) => Self::on_read(path, err),
            other => IndexError::Tantivy {
                path: path.to_path_buf(),
                source: other,
            },
        }
    }
}
