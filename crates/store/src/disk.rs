//! The file operations whose order makes a write durable — create, append,
//! fsync, set length, rename, directory fsync, remove — for the log, the
//! head mark, the FORMAT file and the documents in `blobs/`.
//!
//! Every one goes through this module, which runs it on the real file
//! system; a test can first look at each operation on its way ([`intercept`])
//! and fail it. The power-loss test (`crates/app/tests/power_loss.rs`) uses
//! that to "lose power" after the k-th operation: it fails every later one,
//! then puts back on disk only what the operations before made durable (a
//! file's bytes up to its last fsync; a name created or renamed only once
//! its directory was fsynced), and reopens the store. The derived state
//! (`db/`, `index/`) is not behind this interface: it can always be
//! rebuilt, and the test runs each crash both with it and without it.

use std::cell::RefCell;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// One durable-state operation, as a test sees it before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op<'a> {
    /// Create a file; `truncate` empties one that exists (else it is kept).
    Create {
        /// The file.
        path: &'a Path,
        /// Whether an existing file is emptied.
        truncate: bool,
    },
    /// Append bytes to a file (every file here is written front to back).
    Append(&'a Path, &'a [u8]),
    /// Make a file's bytes durable.
    Sync(&'a Path),
    /// Cut (or extend) a file to a length.
    SetLen(&'a Path, u64),
    /// Rename a file over another.
    Rename(&'a Path, &'a Path),
    /// Make the names in a directory durable.
    SyncDir(&'a Path),
    /// Remove a file.
    Remove(&'a Path),
}

/// What a test runs before each operation; an error fails the operation.
pub type Hook = Box<dyn FnMut(&Op<'_>) -> io::Result<()>>;

thread_local! {
    static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
}

/// Installs `hook` for the operations of this thread (or removes it with
/// `None`); returns the one installed before. For tests only.
pub fn intercept(hook: Option<Hook>) -> Option<Hook> {
    HOOK.with(|h| std::mem::replace(&mut *h.borrow_mut(), hook))
}

fn before(op: &Op<'_>) -> io::Result<()> {
    HOOK.with(|h| match h.borrow_mut().as_mut() {
        Some(hook) => hook(op),
        None => Ok(()),
    })
}

/// Creates (truncating) a file for writing.
pub(crate) fn create(path: &Path) -> io::Result<File> {
    before(&Op::Create {
        path,
        truncate: true,
    })?;
    File::create(path)
}

/// Opens a file for reading and appending, creating it when asked.
pub(crate) fn open_append(path: &Path, create: bool) -> io::Result<File> {
    if create && !path.exists() {
        before(&Op::Create {
            path,
            truncate: false,
        })?;
    }
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(create)
        .open(path)
}

/// Appends all of `bytes` to `file` (at `path`).
pub(crate) fn append(file: &mut File, path: &Path, bytes: &[u8]) -> io::Result<()> {
    before(&Op::Append(path, bytes))?;
    file.write_all(bytes)
}

/// fsyncs a file's bytes and metadata.
pub(crate) fn sync(file: &File, path: &Path) -> io::Result<()> {
    before(&Op::Sync(path))?;
    file.sync_all()
}

/// fsyncs a file's bytes (and its length), not its other metadata.
pub(crate) fn sync_data(file: &File, path: &Path) -> io::Result<()> {
    before(&Op::Sync(path))?;
    file.sync_data()
}

/// Sets a file's length.
pub(crate) fn set_len(file: &File, path: &Path, len: u64) -> io::Result<()> {
    before(&Op::SetLen(path, len))?;
    file.set_len(len)
}

/// Renames `from` over `to`.
pub(crate) fn rename(from: &Path, to: &Path) -> io::Result<()> {
    before(&Op::Rename(from, to))?;
    fs::rename(from, to)
}

/// fsyncs a directory, so that the names created or renamed in it are
/// durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    before(&Op::SyncDir(dir))?;
    File::open(dir).and_then(|d| d.sync_all())
}

/// Removes a file.
pub(crate) fn remove(path: &Path) -> io::Result<()> {
    before(&Op::Remove(path))?;
    fs::remove_file(path)
}

/// Writes `bytes` as the new content of `path` durably: a temporary file
/// beside it, fsynced, renamed over it, the directory fsynced.
pub(crate) fn replace(path: &Path, tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = create(tmp)?;
    append(&mut f, tmp, bytes)?;
    sync(&f, tmp)?;
    drop(f);
    rename(tmp, path)?;
    match path.parent() {
        Some(dir) => sync_dir(dir),
        None => Ok(()),
    }
}

/// fsyncs many files, as [`sync`] each, but on parallel threads: the file
/// system commits concurrent fsyncs together, so a thousand small files
/// cost a few journal commits instead of a thousand (3.4 ms each on this
/// project's machine, 0.1–0.2 ms each in parallel). Each operation is first
/// shown to the hook in order, on this thread; when one fails, the files
/// before it are still synced, and the error is returned.
pub(crate) fn sync_files(paths: &[&Path]) -> io::Result<()> {
    sync_parallel(paths, Op::Sync)
}

/// fsyncs many directories, as [`sync_dir`] each, on parallel threads (see
/// [`sync_files`]).
pub(crate) fn sync_dirs(dirs: &[&Path]) -> io::Result<()> {
    sync_parallel(dirs, Op::SyncDir)
}

/// Threads that fsync at once: they wait on the disk, not on a core.
const SYNC_THREADS: usize = 16;

fn sync_parallel<'a>(paths: &[&'a Path], op: fn(&'a Path) -> Op<'a>) -> io::Result<()> {
    let mut allowed = paths.len();
    let mut refused = None;
    for (i, path) in paths.iter().enumerate() {
        if let Err(e) = before(&op(path)) {
            allowed = i;
            refused = Some(e);
            break;
        }
    }
    let paths = &paths[..allowed];
    let threads = SYNC_THREADS.min(paths.len());
    let failed = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || -> io::Result<()> {
                    for path in paths.iter().skip(t).step_by(threads) {
                        File::open(path).and_then(|f| f.sync_all())?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(io::Error::other("an fsync thread panicked")))
            })
            .find_map(Result::err)
    });
    match (failed, refused) {
        (Some(e), _) | (None, Some(e)) => Err(e),
        (None, None) => Ok(()),
    }
}
