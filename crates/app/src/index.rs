//! The full-text index of a store, opened and caught up with the log.

use entitle_archive::{Archive, Extractor, Limits};
use entitle_store::Store;

use crate::error::{Error, ErrorKind, Result};
use crate::progress::Progress;

/// How text is extracted: this executable, run as a sandboxed child with
/// the hidden extraction subcommand (the `entitle` binary and the server
/// are the same executable), with the default time and memory limits.
///
/// # Errors
///
/// When the running executable cannot be found.
pub fn extractor() -> Result<Extractor> {
    let exe = std::env::current_exe().map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot find the entitle executable for text extraction: {e}"),
        )
    })?;
    Ok(Extractor {
        exe,
        limits: Limits::default(),
    })
}

/// Opens the store's index (recreating one that is damaged or of another
/// schema) and catches it up with the log; what that did goes to
/// `progress` as notices.
///
/// # Errors
///
/// When the index cannot be opened or written.
pub fn open(store: &Store, progress: &dyn Progress) -> Result<Archive> {
    let (archive, notices) = Archive::open(store, extractor()?)?;
    for n in notices {
        progress.notice(&n);
    }
    Ok(archive)
}
