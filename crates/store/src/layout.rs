//! Where things live in a store directory, and the FORMAT marker.
//!
//! ```text
//! <store>/FORMAT              magic, format version, store id
//! <store>/LOCK                advisory lock; the holder writes who it is
//! <store>/log/events.jsonl    the truth
//! <store>/log/HEAD            where the log must end (format 2)
//! <store>/blobs/ab/cdef…      documents by BLAKE3
//! <store>/db/                 sled: derived state
//! <store>/index/              tantivy: derived state
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use crate::disk;
use crate::error::{IoContext, StoreError};

/// The store format this build writes (and reads, with every older one).
///
/// 1. The log, blobs, keys, derived state.
/// 2. Adds `log/HEAD`, the head mark (written before every write).
/// 3. The log may hold installations (`host_observed`, `installed`,
///    `uninstalled`, `hosts_seen`) and `count_rule` on purchases. A store
///    is raised to 3 by the first write of such a record, so a store
///    without inventory stays readable by builds that know format 2.
pub const STORE_FORMAT: u32 = 3;

/// The format a store is raised to on open (the head mark).
pub const HEAD_FORMAT: u32 = 2;

/// The format a store is raised to by its first inventory record.
pub const INVENTORY_FORMAT: u32 = 3;

const MAGIC: &str = "entitle store";

/// Paths inside one store.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout of the store at `root`.
    #[must_use]
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Layout { root: root.into() }
    }
    /// The store directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// The FORMAT marker.
    #[must_use]
    pub fn format(&self) -> PathBuf {
        self.root.join("FORMAT")
    }
    /// The lock file.
    #[must_use]
    pub fn lock(&self) -> PathBuf {
        self.root.join("LOCK")
    }
    /// The log directory.
    #[must_use]
    pub fn log_dir(&self) -> PathBuf {
        self.root.join("log")
    }
    /// The event log.
    #[must_use]
    pub fn log(&self) -> PathBuf {
        self.root.join("log").join("events.jsonl")
    }
    /// The sled directory.
    #[must_use]
    pub fn db(&self) -> PathBuf {
        self.root.join("db")
    }
    /// The blob directory.
    #[must_use]
    pub fn blobs(&self) -> PathBuf {
        self.root.join("blobs")
    }
    /// The full-text index directory.
    #[must_use]
    pub fn index(&self) -> PathBuf {
        self.root.join("index")
    }
    /// Files the store keeps beside the log (keys, settings).
    #[must_use]
    pub fn keys(&self) -> PathBuf {
        self.root.join("keys")
    }
    /// Accounts, tokens and the access log (`entitle-auth`): beside the
    /// log, never in it.
    #[must_use]
    pub fn auth(&self) -> PathBuf {
        self.root.join("auth")
    }
}

/// What the FORMAT file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatInfo {
    /// Format version.
    pub version: u32,
    /// A random id naming this store (in checkpoints and audit packs).
    pub store_id: String,
}

/// Reads FORMAT.
pub(crate) fn read_format(layout: &Layout) -> Result<Option<FormatInfo>, StoreError> {
    let path = layout.format();
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).at(&path),
    };
    parse_format(layout, &text).map(Some)
}

/// Parses the text of FORMAT.
pub(crate) fn parse_format(layout: &Layout, text: &str) -> Result<FormatInfo, StoreError> {
    let path = layout.format();
    let bad = |what: &str| StoreError::BadFormatFile {
        path: path.clone(),
        what: what.to_owned(),
    };
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return Err(bad("does not start with \"entitle store\""));
    }
    let mut version = None;
    let mut store_id = None;
    for line in lines {
        if let Some(v) = line.strip_prefix("format: ") {
            version = Some(
                v.trim()
                    .parse::<u32>()
                    .map_err(|_| bad("format is not a number"))?,
            );
        } else if let Some(v) = line.strip_prefix("id: ") {
            store_id = Some(v.trim().to_owned());
        }
    }
    let version = version.ok_or_else(|| bad("has no format line"))?;
    if version == 0 || version > STORE_FORMAT {
        return Err(StoreError::UpgradeRequired {
            path: layout.root().to_owned(),
            found: version,
            supported: STORE_FORMAT,
        });
    }
    Ok(FormatInfo {
        version,
        store_id: store_id.ok_or_else(|| bad("has no id line"))?,
    })
}

/// Rewrites FORMAT with format `version`, keeping the rest.
pub(crate) fn upgrade(
    layout: &Layout,
    info: &mut FormatInfo,
    version: u32,
) -> Result<(), StoreError> {
    let path = layout.format();
    let text = fs::read_to_string(&path).at(&path)?;
    let text: String = text
        .lines()
        .map(|line| {
            if line.starts_with("format: ") {
                format!("format: {version}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    let tmp = layout.root().join("FORMAT.tmp");
    disk::replace(&path, &tmp, text.as_bytes()).at(&path)?;
    info.version = version;
    Ok(())
}

/// Makes the directory a new store will be created in, refusing one that
/// holds anything but the remains of a creation cut short.
pub(crate) fn prepare(layout: &Layout) -> Result<(), StoreError> {
    let root = layout.root();
    fs::create_dir_all(root).at(root)?;
    if !holds_only_a_start(layout)? {
        return Err(StoreError::NotAStore(root.to_owned()));
    }
    Ok(())
}

/// Whether `root` holds nothing, or only what creating a store writes
/// before its FORMAT file (which comes last): the lock, the log
/// directory with an empty log, a FORMAT.tmp.
fn holds_only_a_start(layout: &Layout) -> Result<bool, StoreError> {
    let root = layout.root();
    for entry in fs::read_dir(root).at(root)? {
        let entry = entry.at(root)?;
        let path = entry.path();
        if path == layout.lock() || path == root.join("FORMAT.tmp") {
            continue;
        }
        if path != layout.log_dir() || !path.is_dir() {
            return Ok(false);
        }
        for inner in fs::read_dir(&path).at(&path)? {
            let inner = inner.at(&path)?.path();
            let empty_log = inner == layout.log() && fs::metadata(&inner).at(&inner)?.len() == 0;
            if !empty_log {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Creates a new store's log and, last, its FORMAT file: a creation cut
/// short leaves no FORMAT, and the next first write creates it again.
pub(crate) fn create(layout: &Layout) -> Result<FormatInfo, StoreError> {
    let root = layout.root();
    if !holds_only_a_start(layout)? {
        return Err(StoreError::NotAStore(root.to_owned()));
    }
    fs::create_dir_all(layout.log_dir()).at(layout.log_dir())?;
    let log = layout.log();
    let f = disk::open_append(&log, true).at(&log)?;
    disk::sync(&f, &log).at(&log)?;
    sync_dir(&layout.log_dir())?;
    sync_dir(root)?;
    let store_id = new_store_id(root);
    let text = format!(
        "{MAGIC}\nformat: {HEAD_FORMAT}\nid: {store_id}\ncreated: {}\n\
         # The log (log/events.jsonl) is the truth; db/ and index/ are derived\n\
         # and can be deleted and rebuilt with `entitle rebuild`.\n",
        jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    );
    let tmp = root.join("FORMAT.tmp");
    disk::replace(&layout.format(), &tmp, text.as_bytes()).at(layout.format())?;
    Ok(FormatInfo {
        version: HEAD_FORMAT,
        store_id,
    })
}

/// Writes the FORMAT file of a store restored from a copy: this build's
/// format, the original's store id. Written last, as [`create`] does.
pub(crate) fn create_restored(layout: &Layout, store_id: &str) -> Result<(), StoreError> {
    let text = format!(
        "{MAGIC}\nformat: {STORE_FORMAT}\nid: {store_id}\nrestored: {}\n\
         # The log (log/events.jsonl) is the truth; db/ and index/ are derived\n\
         # and can be deleted and rebuilt with `entitle rebuild`.\n",
        jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    );
    let tmp = layout.root().join("FORMAT.tmp");
    disk::replace(&layout.format(), &tmp, text.as_bytes()).at(layout.format())
}

/// fsyncs a directory so that a rename or create in it is durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    disk::sync_dir(dir).at(dir)
}

fn new_store_id(root: &Path) -> String {
    let mut h = blake3::Hasher::new();
    h.update(root.to_string_lossy().as_bytes());
    h.update(&std::process::id().to_le_bytes());
    h.update(jiff::Timestamp::now().to_string().as_bytes());
    let stack = 0u8;
    h.update(format!("{:p}", &stack).as_bytes());
    if let Ok(mut f) = fs::File::open("/dev/urandom") {
        let mut buf = [0u8; 16];
        if std::io::Read::read_exact(&mut f, &mut buf).is_ok() {
            h.update(&buf);
        }
    }
    let hex = h.finalize().to_hex();
    format!("entitle-{}", &hex[..16])
}
