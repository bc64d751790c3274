//! Small durable-filesystem helpers.

use std::fs::File;
use std::io;
use std::path::Path;

/// Syncs a directory so that a rename or create inside it is durable.
#[cfg(unix)]
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Directories cannot be opened for syncing here; renames are as durable as
/// the platform makes them.
#[cfg(not(unix))]
pub(crate) fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}
