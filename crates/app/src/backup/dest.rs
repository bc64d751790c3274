//! Where a copy lives: one trait, two backends (a directory, an
//! S3-compatible bucket). Objects are only ever created, never replaced
//! or deleted: a name that exists already is left as it is.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// What to write: bytes in memory, or a file (a blob, up to its size).
#[derive(Debug)]
pub enum Body<'a> {
    /// Bytes held in memory (a segment, a list, a manifest).
    Bytes(&'a [u8]),
    /// A file, read as it is sent.
    File(&'a Path),
}

/// What a create did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// The object is new.
    New,
    /// An object of that name was there already (left as it was).
    Existed,
}

/// Object Lock as the destination reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lock {
    /// A directory: no Object Lock.
    NotApplicable,
    /// The bucket has no Object Lock configuration (or it is disabled).
    NotConfigured,
    /// The server did not say (an error, or it does not know the call):
    /// what it answered. Objects are written without retention.
    Unknown(String),
    /// The bucket's configuration: Object Lock enabled, with its default
    /// retention if it has one (`COMPLIANCE, 3650 days`).
    Configured(Option<String>),
}

/// A place objects are created in and read from, by name relative to the
/// copy's root (`segments/…`, `blobs/…`, `manifests/…`). Shared by the
/// threads that send documents, so `Sync`.
pub trait Dest: Sync {
    /// The destination as the user wrote it (for messages).
    fn describe(&self) -> String;
    /// Every object's name and size.
    ///
    /// # Errors
    ///
    /// When the destination cannot be listed.
    fn list(&self) -> Result<BTreeMap<String, u64>>;
    /// Streams an object into `out`; `Ok(false)` when there is none.
    ///
    /// # Errors
    ///
    /// When it cannot be read.
    fn read(&self, name: &str, out: &mut dyn Write) -> Result<bool>;
    /// Creates an object unless one of that name exists. With `retain`
    /// (mode, until), the object is written with that Object Lock
    /// retention.
    ///
    /// # Errors
    ///
    /// When it cannot be written.
    fn create(&self, name: &str, body: Body<'_>, retain: Option<&Retention>) -> Result<Created>;
    /// [`Dest::create`] from a file, calling `sent` with the bytes of each
    /// piece once it is written (a large document in parts reports each
    /// part; by default the whole file at the end).
    ///
    /// # Errors
    ///
    /// When it cannot be written.
    fn create_file(
        &self,
        name: &str,
        path: &Path,
        retain: Option<&Retention>,
        sent: &dyn Fn(u64),
    ) -> Result<Created> {
        let created = self.create(name, Body::File(path), retain)?;
        sent(fs::metadata(path).map_or(0, |m| m.len()));
        Ok(created)
    }
    /// The destination's Object Lock configuration.
    ///
    /// # Errors
    ///
    /// When it cannot be read.
    fn lock(&self) -> Result<Lock>;
    /// The retention of one object, as the destination reports it (mode,
    /// retain-until), if it has one.
    ///
    /// # Errors
    ///
    /// When it cannot be read.
    fn retention(&self, name: &str) -> Result<Option<(String, String)>>;

    /// An object's bytes, or `None`.
    ///
    /// # Errors
    ///
    /// When it cannot be read.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let mut out = Vec::new();
        Ok(self.read(name, &mut out)?.then_some(out))
    }
}

/// An Object Lock retention for the objects of one backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// `COMPLIANCE` or `GOVERNANCE`.
    pub mode: String,
    /// RFC 3339, UTC (`2036-12-01T00:00:00Z`).
    pub until: String,
}

/// A copy in a directory: each object a file, created through a
/// temporary file that is fsynced and then hard-linked to its name (which
/// fails when the name exists, so nothing is ever replaced).
#[derive(Debug)]
pub struct DirDest {
    root: PathBuf,
}

impl DirDest {
    /// The copy at `root` (created on the first write).
    #[must_use]
    pub fn new(root: PathBuf) -> Self {
        DirDest { root }
    }

    fn io(&self, path: &Path, e: &std::io::Error) -> Error {
        Error::new(
            ErrorKind::Io,
            format!("backup directory {}: {e}", path.display()),
        )
    }
}

impl Dest for DirDest {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn list(&self) -> Result<BTreeMap<String, u64>> {
        let mut out = BTreeMap::new();
        if !self.root.exists() {
            return Ok(out);
        }
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).map_err(|e| self.io(&dir, &e))? {
                let entry = entry.map_err(|e| self.io(&dir, &e))?;
                let path = entry.path();
                let meta = entry.metadata().map_err(|e| self.io(&path, &e))?;
                if meta.is_dir() {
                    stack.push(path);
                    continue;
                }
                let Ok(rel) = path.strip_prefix(&self.root) else {
                    continue;
                };
                let name = rel.to_string_lossy().replace('\\', "/");
                if name.contains(".tmp-") {
                    continue; // a write cut short: never an object
                }
                out.insert(name, meta.len());
            }
        }
        Ok(out)
    }

    fn read(&self, name: &str, out: &mut dyn Write) -> Result<bool> {
        let path = self.root.join(name);
        let mut f = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(self.io(&path, &e)),
        };
        std::io::copy(&mut f, out).map_err(|e| self.io(&path, &e))?;
        Ok(true)
    }

    fn create(&self, name: &str, body: Body<'_>, _retain: Option<&Retention>) -> Result<Created> {
        let path = self.root.join(name);
        if path.exists() {
            return Ok(Created::Existed);
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| self.io(&dir, &e))?;
        let file_name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let tmp = dir.join(format!("{file_name}.tmp-{}", std::process::id()));
        let written = (|| -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            match body {
                Body::Bytes(b) => f.write_all(b)?,
                Body::File(src) => {
                    let mut src = fs::File::open(src)?;
                    let mut buf = vec![0u8; 1 << 20];
                    loop {
                        let n = src.read(&mut buf)?;
                        if n == 0 {
                            break;
                        }
                        f.write_all(&buf[..n])?;
                    }
                }
            }
            f.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(self.io(&path, &e));
        }
        let linked = fs::hard_link(&tmp, &path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(Created::Existed),
            Err(e) => return Err(self.io(&path, &e)),
        }
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(Created::New)
    }

    fn lock(&self) -> Result<Lock> {
        Ok(Lock::NotApplicable)
    }

    fn retention(&self, _name: &str) -> Result<Option<(String, String)>> {
        Ok(None)
    }
}
