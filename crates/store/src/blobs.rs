//! Documents by content: `<store>/blobs/ab/cdef…`, the file's own bytes
//! under their BLAKE3 (lowercase hex, as `b3sum` prints it). Written to a
//! temporary file while hashing, fsynced, renamed into place, directory
//! fsynced; the same content is stored once however often it is attached.
//! Files are streamed, never read whole into memory.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use entitle_core::chain::{self, Hash32};

use crate::disk;
use crate::error::{IoContext, StoreError};
use crate::layout::sync_dir;

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// BLAKE3 of the bytes, lowercase hex.
    pub hash: String,
    /// Size in bytes.
    pub size: u64,
    /// Whether this call stored it (false: the content was there already).
    pub new: bool,
}

/// The blob directory of a store.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
}

/// Why a file could not be archived.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// The path does not exist or cannot be read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The path is a directory.
    #[error("{0} is a directory; give the documents inside it")]
    Directory(PathBuf),
    /// The path is a FIFO, a device or a socket.
    #[error("{0} is not a regular file; only files can be archived")]
    NotAFile(PathBuf),
    /// An upload larger than its route allows.
    #[error("{path} is larger than the limit of {limit} bytes; nothing was archived")]
    TooLarge {
        /// The upload's name.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// The file has no bytes.
    #[error("{0} is empty; there is nothing to archive")]
    Empty(PathBuf),
    /// The file changed size or vanished while it was read.
    #[error("{path} changed while it was read ({what}); nothing was archived — try again when it is complete")]
    Changed {
        /// The file.
        path: PathBuf,
        /// What changed.
        what: String,
    },
    /// The store could not be written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Blobs {
    /// The blob directory `dir`.
    #[must_use]
    pub fn new(dir: PathBuf) -> Self {
        Blobs { dir }
    }

    /// Where the blob with this hash lives.
    #[must_use]
    pub fn path_of(&self, hash: &str) -> PathBuf {
        self.dir.join(&hash[..2]).join(&hash[2..])
    }

    /// Whether the blob is present.
    #[must_use]
    pub fn contains(&self, hash: &str) -> bool {
        self.path_of(hash).is_file()
    }

    /// Stores a file by content. Only a regular file is read (a FIFO, a
    /// device or a socket is refused before anything is read); a symbolic
    /// link is followed to the file it names.
    ///
    /// # Errors
    ///
    /// When the file cannot be read, is a directory, not a regular file or
    /// empty, changes while it is read, or the store cannot be written.
    /// Nothing is left behind.
    pub fn put_file(&self, path: &Path) -> Result<StoredBlob, BlobError> {
        let expected = Blobs::check_file(path)?;
        let mut src = File::open(path).map_err(|source| BlobError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        self.put_stream(&mut src, path, Some(expected), None)
    }

    /// Stores many files by content, as [`Blobs::put_file`] each, with the
    /// fsyncs of all of them done together: every file is copied (and
    /// hashed) to a temporary file first, the temporary files are fsynced
    /// at once, renamed into place, and each directory that got a name is
    /// fsynced once. Returns one [`StoredBlob`] per path, in order (the
    /// same content twice is stored once, the second not `new`).
    ///
    /// # Errors
    ///
    /// As [`Blobs::put_file`], for the first file that fails. Nothing this
    /// call stored is left behind.
    pub fn put_files(&self, paths: &[&Path]) -> Result<Vec<StoredBlob>, BlobError> {
        let tmp_dir = self.tmp_dir()?;
        let mut copied: Vec<(PathBuf, Hash32, u64)> = Vec::with_capacity(paths.len());
        let remove_tmps = |copied: &[(PathBuf, Hash32, u64)]| {
            for (tmp, _, _) in copied {
                let _ = disk::remove(tmp);
            }
        };
        for path in paths {
            match self.copy_file(path, &tmp_dir) {
                Ok(c) => copied.push(c),
                Err(e) => {
                    remove_tmps(&copied);
                    return Err(e);
                }
            }
        }
        let tmps: Vec<&Path> = copied.iter().map(|(tmp, _, _)| tmp.as_path()).collect();
        if let Err(e) = disk::sync_files(&tmps).at(&tmp_dir) {
            remove_tmps(&copied);
            return Err(e.into());
        }
        let mut out = Vec::with_capacity(copied.len());
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
        let undo = |out: &[StoredBlob], copied: &[(PathBuf, Hash32, u64)]| {
            for b in out.iter().filter(|b| b.new) {
                let _ = disk::remove(&self.path_of(&b.hash));
            }
            remove_tmps(copied);
        };
        for (i, (tmp, hash, size)) in copied.iter().enumerate() {
            let hex = chain::to_hex(hash);
            let target = self.path_of(&hex);
            if target.is_file() {
                let _ = disk::remove(tmp);
                out.push(StoredBlob {
                    hash: hex,
                    size: *size,
                    new: false,
                });
                continue;
            }
            let parent = target.parent().expect("blob paths have a parent");
            let renamed = fs::create_dir_all(parent)
                .at(parent)
                .and_then(|()| disk::rename(tmp, &target).at(&target));
            if let Err(e) = renamed {
                undo(&out, &copied[i..]);
                return Err(e.into());
            }
            dirs.insert(parent.to_owned());
            out.push(StoredBlob {
                hash: hex,
                size: *size,
                new: true,
            });
        }
        if !dirs.is_empty() {
            dirs.insert(self.dir.clone());
        }
        let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
        if let Err(e) = disk::sync_dirs(&dirs).at(&self.dir) {
            undo(&out, &[]);
            return Err(e.into());
        }
        Ok(out)
    }

    /// Copies a file to a new temporary file in `tmp_dir`, hashing it, not
    /// fsynced: the temporary file, the hash and the size.
    fn copy_file(&self, path: &Path, tmp_dir: &Path) -> Result<(PathBuf, Hash32, u64), BlobError> {
        let expected = Blobs::check_file(path)?;
        let mut src = File::open(path).map_err(|source| BlobError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        let tmp = incoming_name(tmp_dir);
        match self.copy_hashing(&mut src, &tmp, path, Some(expected), None, false) {
            Ok((hash, size)) => Ok((tmp, hash, size)),
            Err(e) => {
                let _ = disk::remove(&tmp);
                Err(e)
            }
        }
    }

    /// `blobs/tmp/`, created, with what killed writers left in it removed.
    fn tmp_dir(&self) -> Result<PathBuf, BlobError> {
        let tmp_dir = self.dir.join("tmp");
        fs::create_dir_all(&tmp_dir).at(&tmp_dir)?;
        clean_incoming(&tmp_dir);
        Ok(tmp_dir)
    }

    /// Checks that `path` names a regular file with bytes in it (a symbolic
    /// link is followed) and returns its size, without opening it: a FIFO
    /// would block its reader, a device never end. Callers check every file
    /// this way before they take the store's lock, so that nothing can hold
    /// the store while it waits on a file.
    ///
    /// # Errors
    ///
    /// When the path cannot be read, is a directory, not a regular file, or
    /// empty.
    pub fn check_file(path: &Path) -> Result<u64, BlobError> {
        let meta = fs::metadata(path).map_err(|source| BlobError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        if meta.is_dir() {
            return Err(BlobError::Directory(path.to_owned()));
        }
        if !meta.is_file() {
            return Err(BlobError::NotAFile(path.to_owned()));
        }
        if meta.len() == 0 {
            return Err(BlobError::Empty(path.to_owned()));
        }
        Ok(meta.len())
    }

    /// Stores what `src` yields by content (an upload), streamed: at most
    /// `limit` bytes, never more than 256 KiB in memory. `name` names the
    /// source in errors.
    ///
    /// # Errors
    ///
    /// When `src` fails or yields nothing or more than `limit` bytes, or
    /// the store cannot be written. Nothing is left behind.
    pub fn put_reader(
        &self,
        src: &mut dyn Read,
        name: &Path,
        limit: Option<u64>,
    ) -> Result<StoredBlob, BlobError> {
        self.put_stream(src, name, None, limit)
    }

    fn put_stream(
        &self,
        src: &mut dyn Read,
        path: &Path,
        expected: Option<u64>,
        limit: Option<u64>,
    ) -> Result<StoredBlob, BlobError> {
        let tmp_dir = self.tmp_dir()?;
        let tmp = incoming_name(&tmp_dir);
        let result = self.copy_hashing(src, &tmp, path, expected, limit, true);
        let (hash, size) = match result {
            Ok(v) => v,
            Err(e) => {
                let _ = disk::remove(&tmp);
                return Err(e);
            }
        };
        let hex = chain::to_hex(&hash);
        let target = self.path_of(&hex);
        if target.is_file() {
            let _ = disk::remove(&tmp);
            return Ok(StoredBlob {
                hash: hex,
                size,
                new: false,
            });
        }
        let parent = target.parent().expect("blob paths have a parent");
        fs::create_dir_all(parent).at(parent)?;
        disk::rename(&tmp, &target).at(&target)?;
        sync_dir(parent)?;
        sync_dir(&self.dir)?;
        Ok(StoredBlob {
            hash: hex,
            size,
            new: true,
        })
    }

    fn copy_hashing(
        &self,
        src: &mut dyn Read,
        tmp: &Path,
        path: &Path,
        expected: Option<u64>,
        limit: Option<u64>,
        sync: bool,
    ) -> Result<(Hash32, u64), BlobError> {
        let mut out = disk::create(tmp).at(tmp)?;
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut size = 0u64;
        loop {
            let n = match src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if expected.is_none() => {
                    return Err(BlobError::Unreadable {
                        path: path.to_owned(),
                        source: e,
                    })
                }
                Err(e) => {
                    return Err(BlobError::Changed {
                        path: path.to_owned(),
                        what: format!("reading failed after {size} bytes: {e}"),
                    })
                }
            };
            hasher.update(&buf[..n]);
            disk::append(&mut out, tmp, &buf[..n]).at(tmp)?;
            size += n as u64;
            if let Some(limit) = limit.filter(|&l| size > l) {
                return Err(BlobError::TooLarge {
                    path: path.to_owned(),
                    limit,
                });
            }
        }
        match expected {
            Some(expected) if size != expected => {
                return Err(BlobError::Changed {
                    path: path.to_owned(),
                    what: format!("{expected} bytes when opened, {size} bytes read"),
                })
            }
            None if size == 0 => return Err(BlobError::Empty(path.to_owned())),
            _ => {}
        }
        if sync {
            disk::sync(&out, tmp).at(tmp)?;
        }
        Ok((*hasher.finalize().as_bytes(), size))
    }

    /// Re-hashes a stored blob: `Ok(None)` when it is missing.
    ///
    /// # Errors
    ///
    /// When it exists but cannot be read.
    pub fn rehash(&self, hash: &str) -> Result<Option<String>, StoreError> {
        let path = self.path_of(hash);
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).at(&path),
        };
        let mut hasher = blake3::Hasher::new();
        io::copy(&mut f, &mut hasher).at(&path)?;
        Ok(Some(hasher.finalize().to_hex().to_string()))
    }
}

/// Removes what killed writers left in `blobs/tmp/`: every `incoming-*`
/// file of another process. The caller holds the store's lock, so no other
/// process is writing one; what cannot be removed now is removed next time.
fn clean_incoming(tmp_dir: &Path) {
    let Ok(entries) = fs::read_dir(tmp_dir) else {
        return;
    };
    let mine = format!("incoming-{}-", std::process::id());
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("incoming-") && !name.starts_with(&mine) {
            let _ = disk::remove(&entry.path());
        }
    }
}

/// A new temporary file name in `tmp_dir`, `incoming-PID-…`.
fn incoming_name(tmp_dir: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    tmp_dir.join(format!("incoming-{}-{nanos}-{n}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_once_by_content_and_matches_plain_blake3() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(dir.path().join("blobs"));
        let file = dir.path().join("a.txt");
        fs::write(&file, b"Kuendigungsfrist 90 Tage").unwrap();
        let first = blobs.put_file(&file).unwrap();
        assert!(first.new);
        assert_eq!(
            first.hash,
            blake3::hash(b"Kuendigungsfrist 90 Tage").to_hex().as_str()
        );
        assert_eq!(
            fs::read(blobs.path_of(&first.hash)).unwrap(),
            b"Kuendigungsfrist 90 Tage"
        );
        let copy = dir.path().join("b.txt");
        fs::copy(&file, &copy).unwrap();
        let second = blobs.put_file(&copy).unwrap();
        assert!(!second.new);
        assert_eq!(second.hash, first.hash);
        assert_eq!(
            fs::read_dir(dir.path().join("blobs/tmp")).unwrap().count(),
            0
        );
    }

    #[test]
    fn a_file_that_shrinks_or_vanishes_while_read_is_refused_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(dir.path().join("blobs"));
        fs::create_dir_all(dir.path().join("blobs/tmp")).unwrap();
        let file = dir.path().join("growing.pdf");
        fs::write(&file, b"0123456789").unwrap();
        // Opened when it had 20 bytes; by the time it is read, 10 remain
        // (a truncation, or a file replaced while it was copied).
        let mut src = File::open(&file).unwrap();
        let tmp = dir.path().join("blobs/tmp/incoming");
        let err = blobs
            .copy_hashing(&mut src, &tmp, &file, Some(20), None, true)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("changed while it was read (20 bytes when opened, 10 bytes read)"),
            "{err}"
        );
        let _ = fs::remove_file(&tmp);
        // A file gone before it is opened: named, and nothing left behind.
        fs::remove_file(&file).unwrap();
        let err = blobs.put_file(&file).unwrap_err();
        assert!(err.to_string().contains("growing.pdf"), "{err}");
        assert_eq!(
            fs::read_dir(dir.path().join("blobs/tmp")).unwrap().count(),
            0
        );
    }

    #[test]
    fn refuses_directories_empty_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(dir.path().join("blobs"));
        assert!(matches!(
            blobs.put_file(dir.path()),
            Err(BlobError::Directory(_))
        ));
        let empty = dir.path().join("empty.pdf");
        fs::write(&empty, b"").unwrap();
        assert!(matches!(blobs.put_file(&empty), Err(BlobError::Empty(_))));
        assert!(matches!(
            blobs.put_file(&dir.path().join("missing.pdf")),
            Err(BlobError::Unreadable { .. })
        ));
    }

    #[test]
    fn what_a_killed_writer_left_is_removed_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(dir.path().join("blobs"));
        let tmp = dir.path().join("blobs/tmp");
        fs::create_dir_all(&tmp).unwrap();
        fs::write(tmp.join("incoming-999999999-1"), b"half a scan").unwrap();
        let file = dir.path().join("a.txt");
        fs::write(&file, b"Rechnung").unwrap();
        blobs.put_file(&file).unwrap();
        assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(dir.path().join("blobs"));
        // a FIFO would block its reader forever: refused unopened
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.as_ref().is_ok_and(|s| s.success()), "mkfifo: {made:?}");
        let err = blobs.put_file(&fifo).unwrap_err();
        assert!(matches!(err, BlobError::NotAFile(_)), "{err:?}");
        assert!(err.to_string().contains("is not a regular file"), "{err}");
        // a device never ends: refused as not a file, not as "empty"
        let err = Blobs::check_file(Path::new("/dev/zero")).unwrap_err();
        assert!(matches!(err, BlobError::NotAFile(_)), "{err:?}");
        // a symbolic link is followed to the file it names
        let file = dir.path().join("vertrag.txt");
        fs::write(&file, b"Vertrag").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(Blobs::check_file(&link).unwrap(), 7);
    }
}
