//! The one error type of this crate.

use std::path::PathBuf;
use std::time::Duration;

/// Why the text of a document could not be extracted.
///
/// Every message is lower-case, names what was wrong and reads well after
/// "stored, not searchable: ".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The media type is not one this crate extracts text from.
    #[error("unsupported media type {media_type}")]
    Unsupported {
        /// The media type that was asked for.
        media_type: String,
    },

    /// The bytes are not a readable document of the claimed format.
    #[error("not a {format}: {reason}")]
    Malformed {
        /// The format, as a person names it ("PDF", "DOCX document", …).
        format: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A container (DOCX, ODT) would unpack to far more data than it holds:
    /// refused before it is unpacked.
    #[error("refused as a likely zip bomb: {reason}")]
    ZipBomb {
        /// Which limit it broke.
        reason: String,
    },

    /// The file is larger than anything this crate will parse for its format.
    #[error("file too large to extract text from: {size} bytes, the limit for {format} is {limit} bytes")]
    TooLarge {
        /// The format, as a person names it.
        format: &'static str,
        /// The size of the file.
        size: u64,
        /// The largest size accepted for the format.
        limit: u64,
    },

    /// The file could not be read.
    #[error("could not read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },

    /// The extraction child could not be started or watched.
    #[error("could not run the text extraction child {}: {source}", exe.display())]
    Spawn {
        /// The executable that was to be run.
        exe: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },

    /// The child ran past its wall-time limit and was killed.
    #[error("timed out after {} s", after.as_secs_f64())]
    TimedOut {
        /// The wall-time limit.
        after: Duration,
    },

    /// The child ran out of its memory limit (an allocation failed).
    #[error("ran out of memory (limit {} MiB)", limit_bytes / (1024 * 1024))]
    OutOfMemory {
        /// The memory limit the child ran under.
        limit_bytes: u64,
    },

    /// The child was killed by a signal (a crash, e.g. a stack overflow).
    #[error("crashed (signal {signal}){}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Crashed {
        /// The signal number.
        signal: i32,
        /// The last line the child printed, if any (e.g. "stack overflow").
        detail: Option<String>,
    },

    /// The extractor panicked (caught in the child).
    #[error("the extractor failed unexpectedly: {message}")]
    Panicked {
        /// The panic message.
        message: String,
    },

    /// The child reported a failure; `reason` is its one-line explanation.
    #[error("{reason}")]
    Child {
        /// The child's exit code.
        code: i32,
        /// The child's reason, as it printed it.
        reason: String,
    },

    /// The child's output was not UTF-8 text.
    #[error("the extraction child wrote output that is not UTF-8 text")]
    OutputNotUtf8,
}
