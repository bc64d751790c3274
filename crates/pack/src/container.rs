//! The pack container: a directory, a `.zip` or a `.tar`, written
//! deterministically and read defensively.
//!
//! Writing: entries are sorted by path, with fixed permissions (0644 files,
//! 0755 directories) and, in archives, a fixed time (1980-01-01T00:00:00Z)
//! and owner (0/0). `BLAKE3SUMS` covering every other entry is added by the
//! writer. The pack is written to a temporary sibling of the output path
//! and moved into place only when complete.
//!
//! Reading: every entry name is checked before anything is read; `..`,
//! absolute paths, backslashes, control characters, links and entries over
//! the [`Limits`] are refused with an error naming the entry. Nothing is
//! ever extracted: entries are read into memory.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use entitle_core::chain::Hash32;

use crate::fsutil::sync_dir;
use crate::sums::{check_sums, render_sums, SumsError, SumsReport, SUMS_FILE};

/// The name of the checkpoint file at the root of a pack.
pub const CHECKPOINT_FILE: &str = "checkpoint";

/// Fixed modification time of archive entries: 1980-01-01T00:00:00Z, the
/// earliest time a zip can hold.
pub const FIXED_MTIME: u64 = 315_532_800;

/// How a pack is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackFormat {
    /// A plain directory.
    Directory,
    /// A `.zip` archive.
    Zip,
    /// A `.tar` archive (uncompressed).
    Tar,
}

impl PackFormat {
    /// The format for an output path: `.zip` and `.tar` (any case) are
    /// archives, anything else is a directory.
    #[must_use]
    pub fn for_output(path: &Path) -> Self {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("zip") => Self::Zip,
            Some("tar") => Self::Tar,
            _ => Self::Directory,
        }
    }
}

/// Why a pack could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    /// The output path exists and `force` was not given.
    #[error("{} already exists; choose another output path or allow replacing it", path.display())]
    Exists {
        /// The output path.
        path: PathBuf,
    },
    /// `force` was given but the existing path is a directory that is not
    /// a pack: replacing it could destroy unrelated files.
    #[error("{} is a directory that is not an audit pack; refusing to replace it, even when allowed to", path.display())]
    RefuseReplace {
        /// The output path.
        path: PathBuf,
    },
    /// An entry name that is unsafe (reading) or not portable (writing).
    #[error("pack entry `{entry}` {problem}")]
    EntryPath {
        /// The entry name, with unprintable characters escaped.
        entry: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The same entry twice.
    #[error("pack entry `{entry}` appears twice")]
    Duplicate {
        /// The entry name.
        entry: String,
    },
    /// An entry `BLAKE3SUMS` must list, added after it was computed.
    #[error("pack entry `{entry}` was added after BLAKE3SUMS was computed")]
    AfterSums {
        /// The entry name.
        entry: String,
    },
    /// An entry the writer makes itself.
    #[error("pack entry `{entry}` is written by the pack writer itself; do not add it")]
    Reserved {
        /// The entry name.
        entry: String,
    },
    /// Two entries that cannot coexist on disk.
    #[error("pack entries `{entry}` and `{other}` would collide when unpacked")]
    Conflict {
        /// One entry.
        entry: String,
        /// The other.
        other: String,
    },
    /// A symbolic or hard link.
    #[error("pack entry `{entry}` is a link; packs contain only regular files")]
    Link {
        /// The entry name.
        entry: String,
    },
    /// Another non-regular entry (device, fifo, …).
    #[error("pack entry `{entry}` is a {kind}; packs contain only regular files")]
    Unsupported {
        /// The entry name.
        entry: String,
        /// What it is.
        kind: String,
    },
    /// An entry over [`Limits::max_entry_bytes`].
    #[error("pack entry `{entry}` is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The entry name.
        entry: String,
        /// The limit.
        limit: u64,
    },
    /// The pack as a whole is over a [`Limits`] bound.
    #[error("the pack has more than {limit} {what}")]
    TooBig {
        /// The limit.
        limit: u64,
        /// `entries` or `bytes`.
        what: &'static str,
    },
    /// The path is not an audit pack at all.
    #[error("{} is not an audit pack: {why}", path.display())]
    NotAPack {
        /// The path given.
        path: PathBuf,
        /// Why not.
        why: String,
    },
    /// A source file changed between hashing and writing it.
    #[error("{} changed while it was being packed (as `{entry}`); try again", source_path.display())]
    SourceChanged {
        /// The entry name.
        entry: String,
        /// The file on disk.
        source_path: PathBuf,
    },
    /// A damaged archive.
    #[error("{}: damaged archive: {message}", path.display())]
    Archive {
        /// The archive.
        path: PathBuf,
        /// What the archive reader said.
        message: String,
    },
    /// An I/O error on a named path.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> PackError + '_ {
    move |source| PackError::Io {
        path: path.to_owned(),
        source,
    }
}

fn shown(name: &str) -> String {
    name.escape_debug().to_string()
}

/// Checks that an entry name read from a pack is safe: relative, `/`
/// separated, no empty, `.` or `..` component, no backslash, drive prefix,
/// NUL or other control character.
///
/// # Errors
///
/// [`PackError::EntryPath`] naming the entry and the problem.
pub fn check_safe_path(name: &str) -> Result<(), PackError> {
    let fail = |problem| {
        Err(PackError::EntryPath {
            entry: shown(name),
            problem,
        })
    };
    if name.is_empty() {
        return fail("has an empty name");
    }
    if name.starts_with('/') {
        return fail("is an absolute path");
    }
    if name.contains('\\') {
        return fail("contains a backslash");
    }
    if name.chars().any(char::is_control) {
        return fail("contains a control character");
    }
    let first = name.split('/').next().unwrap_or("");
    if first.len() >= 2 && first.as_bytes()[1] == b':' && first.as_bytes()[0].is_ascii_alphabetic()
    {
        return fail("starts with a drive letter");
    }
    for part in name.split('/') {
        match part {
            ".." => return fail("contains `..`"),
            "" | "." => return fail("has an empty or `.` path component"),
            _ => {}
        }
    }
    Ok(())
}

/// Checks that an entry name is safe ([`check_safe_path`]) and portable, so
/// that the pack unpacks the same on Windows, macOS and Linux and
/// `b3sum --check` reads it without escapes: no `<>:"|?*`, no component
/// ending in a space or dot, at most 255 bytes per component and 1024 in
/// all. Use [`sanitize_file_name`] on names that come from outside.
///
/// # Errors
///
/// [`PackError::EntryPath`] naming the entry and the problem.
pub fn check_portable_path(name: &str) -> Result<(), PackError> {
    check_safe_path(name)?;
    let fail = |problem| {
        Err(PackError::EntryPath {
            entry: shown(name),
            problem,
        })
    };
    if name.len() > 1024 {
        return fail("is longer than 1024 bytes");
    }
    if name.contains(['<', '>', ':', '"', '|', '?', '*']) {
        return fail("contains one of <>:\"|?* (not portable)");
    }
    for part in name.split('/') {
        if part.len() > 255 {
            return fail("has a path component longer than 255 bytes");
        }
        if part.ends_with(' ') || part.ends_with('.') {
            return fail("has a path component ending in a space or dot (not portable)");
        }
    }
    Ok(())
}

/// Turns an outside file name (a document's original name) into one
/// portable path component: unsafe or non-portable characters become `_`,
/// trailing spaces and dots are dropped, and the result is at most 200
/// bytes (cut at a character boundary). Never empty (`_`).
///
/// # Examples
///
/// ```
/// assert_eq!(entitle_pack::sanitize_file_name("../a:b\\c?.pdf"), ".._a_b_c_.pdf");
/// assert_eq!(entitle_pack::sanitize_file_name(".."), "_");
/// ```
#[must_use]
pub fn sanitize_file_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_control() || "/\\<>:\"|?*".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    while out.len() > 200 {
        out.pop();
    }
    let trimmed = out.trim_end_matches([' ', '.']).trim_start_matches(' ');
    if trimmed.is_empty() {
        "_".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[derive(Debug)]
enum Source {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// Collects entries and writes them as a pack. See the module docs.
///
/// # Examples
///
/// ```
/// use entitle_pack::{Pack, PackWriter};
/// let dir = tempfile::tempdir().unwrap();
/// let out = dir.path().join("pack.zip");
/// let mut writer = PackWriter::new();
/// writer.add_bytes("checkpoint", b"entitle-checkpoint v1\n".to_vec())?;
/// writer.add_bytes("documents/abc-contract.pdf", b"%PDF".to_vec())?;
/// writer.write(&out, false)?;
/// let pack = Pack::open(&out)?;
/// assert_eq!(pack.get("documents/abc-contract.pdf"), Some(&b"%PDF"[..]));
/// assert!(pack.check_sums().unwrap().is_ok());
/// # Ok::<(), entitle_pack::PackError>(())
/// ```
#[derive(Debug, Default)]
pub struct PackWriter {
    entries: BTreeMap<String, Source>,
    /// Entries `BLAKE3SUMS` does not list: the checkpoint and its
    /// signature, which pin `BLAKE3SUMS` itself.
    unsummed: BTreeSet<String>,
    /// The hashes of the summed entries and the `BLAKE3SUMS` text, once
    /// [`PackWriter::sums`] computed them.
    sealed: Option<(Vec<Hashed>, String)>,
}

/// An entry's name, BLAKE3 and size.
type Hashed = (String, Hash32, u64);

/// What [`PackWriter::write`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenPack {
    /// The output path.
    pub path: PathBuf,
    /// Its format.
    pub format: PackFormat,
    /// The `BLAKE3SUMS` text written into it.
    pub sums: String,
    /// Every entry with its BLAKE3 and size, `BLAKE3SUMS` included, sorted.
    pub entries: Vec<(String, Hash32, u64)>,
}

impl PackWriter {
    /// An empty writer.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entry with the given contents.
    ///
    /// # Errors
    ///
    /// [`PackError::EntryPath`] for a name [`check_portable_path`] refuses,
    /// [`PackError::Duplicate`], [`PackError::Reserved`] for `BLAKE3SUMS`,
    /// [`PackError::AfterSums`] once [`PackWriter::sums`] was called,
    /// [`PackError::Conflict`] for a name that collides with another
    /// (same name but for case, or a file where another needs a directory).
    pub fn add_bytes(&mut self, path: &str, bytes: Vec<u8>) -> Result<&mut Self, PackError> {
        self.add_summed(path, Source::Bytes(bytes))
    }

    /// Adds an entry whose contents are streamed from `source` when the pack
    /// is written.
    ///
    /// # Errors
    ///
    /// As [`PackWriter::add_bytes`].
    pub fn add_file(&mut self, path: &str, source: &Path) -> Result<&mut Self, PackError> {
        self.add_summed(path, Source::File(source.to_owned()))
    }

    fn add_summed(&mut self, path: &str, source: Source) -> Result<&mut Self, PackError> {
        if self.sealed.is_some() {
            return Err(PackError::AfterSums {
                entry: path.to_owned(),
            });
        }
        self.add(path, source)
    }

    /// Adds an entry that `BLAKE3SUMS` does not list: a checkpoint that
    /// carries the BLAKE3 of `BLAKE3SUMS`, and its signature.
    ///
    /// # Errors
    ///
    /// As [`PackWriter::add_bytes`].
    pub fn add_unsummed(&mut self, path: &str, bytes: Vec<u8>) -> Result<&mut Self, PackError> {
        self.add(path, Source::Bytes(bytes))?;
        self.unsummed.insert(path.to_owned());
        Ok(self)
    }

    /// `BLAKE3SUMS` as [`PackWriter::write`] will write it: every entry
    /// added so far but the unsummed ones, hashed now (files are checked
    /// against these hashes as they are written). Only unsummed entries
    /// may be added afterwards.
    ///
    /// # Errors
    ///
    /// [`PackError::Io`] when a file cannot be read.
    pub fn sums(&mut self) -> Result<String, PackError> {
        let mut hashed = Vec::with_capacity(self.entries.len());
        for (name, source) in &self.entries {
            if self.unsummed.contains(name) {
                continue;
            }
            let (hash, len) = match source {
                Source::Bytes(bytes) => (*blake3::hash(bytes).as_bytes(), bytes.len() as u64),
                Source::File(path) => hash_file(path)?,
            };
            hashed.push((name.clone(), hash, len));
        }
        let sums = render_sums(hashed.iter().map(|(n, h, _)| (n.as_str(), *h)));
        self.sealed = Some((hashed, sums.clone()));
        Ok(sums)
    }

    fn add(&mut self, path: &str, source: Source) -> Result<&mut Self, PackError> {
        check_portable_path(path)?;
        if path == SUMS_FILE {
            return Err(PackError::Reserved {
                entry: path.to_owned(),
            });
        }
        if self.entries.contains_key(path) {
            return Err(PackError::Duplicate {
                entry: path.to_owned(),
            });
        }
        let folded = path.to_lowercase();
        for other in self.entries.keys() {
            let other_folded = other.to_lowercase();
            let clash = other_folded == folded
                || folded.starts_with(&format!("{other_folded}/"))
                || other_folded.starts_with(&format!("{folded}/"));
            if clash || other_folded == SUMS_FILE.to_lowercase() {
                return Err(PackError::Conflict {
                    entry: path.to_owned(),
                    other: other.clone(),
                });
            }
        }
        if folded == SUMS_FILE.to_lowercase() {
            return Err(PackError::Reserved {
                entry: path.to_owned(),
            });
        }
        self.entries.insert(path.to_owned(), source);
        Ok(self)
    }

    /// Writes the pack to `out` (format by [`PackFormat::for_output`]),
    /// adding `BLAKE3SUMS`. Refuses an existing `out` unless `force`; with
    /// `force`, the old one is replaced only after the new one is complete,
    /// and only if it is a file or a directory that holds a pack.
    ///
    /// # Errors
    ///
    /// [`PackError::Exists`], [`PackError::RefuseReplace`],
    /// [`PackError::SourceChanged`], [`PackError::Io`].
    pub fn write(self, out: &Path, force: bool) -> Result<WrittenPack, PackError> {
        let format = PackFormat::for_output(out);
        check_replaceable(out, force)?;
        let Some(file_name) = out.file_name().and_then(|n| n.to_str()) else {
            return Err(PackError::Io {
                path: out.to_owned(),
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the output path needs a UTF-8 file name",
                ),
            });
        };
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(io_at(&parent))?;

        // First pass: hash everything, so BLAKE3SUMS (which sorts first)
        // can be written before the files it covers — unless `sums` did.
        let mut this = self;
        let (mut hashed, sums) = match this.sealed.take() {
            Some(sealed) => sealed,
            None => {
                this.sums()?;
                this.sealed.take().unwrap_or_default()
            }
        };
        for (name, source) in &this.entries {
            if let (true, Source::Bytes(bytes)) = (this.unsummed.contains(name), source) {
                hashed.push((
                    name.clone(),
                    *blake3::hash(bytes).as_bytes(),
                    bytes.len() as u64,
                ));
            }
        }
        let mut entries = this.entries;
        entries.insert(
            SUMS_FILE.to_owned(),
            Source::Bytes(sums.clone().into_bytes()),
        );
        hashed.push((
            SUMS_FILE.to_owned(),
            *blake3::hash(sums.as_bytes()).as_bytes(),
            sums.len() as u64,
        ));
        hashed.sort();
        let expected: BTreeMap<&str, (Hash32, u64)> = hashed
            .iter()
            .map(|(n, h, l)| (n.as_str(), (*h, *l)))
            .collect();

        let prefix = format!(".{file_name}.");
        match format {
            PackFormat::Directory => {
                let tmp = tempfile::Builder::new()
                    .prefix(&prefix)
                    .suffix(".tmp")
                    .tempdir_in(&parent)
                    .map_err(io_at(&parent))?;
                write_directory(tmp.path(), &entries, &expected)?;
                let tmp_path = tmp.keep();
                if let Err(e) = install(&tmp_path, out, force) {
                    let _ = fs::remove_dir_all(&tmp_path);
                    return Err(e);
                }
            }
            PackFormat::Zip | PackFormat::Tar => {
                let tmp = tempfile::Builder::new()
                    .prefix(&prefix)
                    .suffix(".tmp")
                    .tempfile_in(&parent)
                    .map_err(io_at(&parent))?;
                if format == PackFormat::Zip {
                    write_zip(tmp.as_file(), &entries, &expected).map_err(|e| e.at(tmp.path()))?;
                } else {
                    write_tar(tmp.as_file(), &entries, &expected).map_err(|e| e.at(tmp.path()))?;
                }
                set_mode(tmp.as_file(), 0o644).map_err(io_at(tmp.path()))?;
                tmp.as_file().sync_all().map_err(io_at(tmp.path()))?;
                let (_, tmp_path) = tmp.keep().map_err(|e| PackError::Io {
                    path: parent.clone(),
                    source: e.error,
                })?;
                if let Err(e) = install(&tmp_path, out, force) {
                    let _ = fs::remove_file(&tmp_path);
                    return Err(e);
                }
            }
        }
        Ok(WrittenPack {
            path: out.to_owned(),
            format,
            sums,
            entries: hashed,
        })
    }
}

fn hash_file(path: &Path) -> Result<(Hash32, u64), PackError> {
    let mut file = File::open(path).map_err(io_at(path))?;
    let mut hasher = blake3::Hasher::new();
    let len = io::copy(&mut file, &mut hasher).map_err(io_at(path))?;
    Ok((*hasher.finalize().as_bytes(), len))
}

/// An error while writing an entry, before the archive path is attached.
enum WriteError {
    Pack(PackError),
    Io(io::Error),
}

impl WriteError {
    fn at(self, path: &Path) -> PackError {
        match self {
            Self::Pack(e) => e,
            Self::Io(source) => PackError::Io {
                path: path.to_owned(),
                source,
            },
        }
    }
}

impl From<io::Error> for WriteError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<PackError> for WriteError {
    fn from(e: PackError) -> Self {
        Self::Pack(e)
    }
}

impl From<zip::result::ZipError> for WriteError {
    fn from(e: zip::result::ZipError) -> Self {
        Self::Io(io::Error::other(e))
    }
}

/// Streams one entry's contents into `sink`, checking that a file source
/// still has the size and hash it had in the first pass.
fn copy_entry(
    name: &str,
    source: &Source,
    expected: (Hash32, u64),
    sink: &mut dyn Write,
) -> Result<(), WriteError> {
    match source {
        Source::Bytes(bytes) => sink.write_all(bytes)?,
        Source::File(path) => {
            let mut reader = CheckedReader::open(name, path, expected)?;
            io::copy(&mut reader, sink)?;
            reader.finish()?;
        }
    }
    Ok(())
}

/// Reads exactly the expected number of bytes of a source file, hashing
/// them; [`CheckedReader::finish`] tells whether the file changed since it
/// was hashed.
struct CheckedReader {
    entry: String,
    path: PathBuf,
    inner: io::Take<File>,
    hasher: blake3::Hasher,
    count: u64,
    expected: (Hash32, u64),
}

impl CheckedReader {
    fn open(entry: &str, path: &Path, expected: (Hash32, u64)) -> Result<Self, PackError> {
        let file = File::open(path).map_err(io_at(path))?;
        Ok(Self {
            entry: entry.to_owned(),
            path: path.to_owned(),
            inner: file.take(expected.1),
            hasher: blake3::Hasher::new(),
            count: 0,
            expected,
        })
    }

    fn finish(self) -> Result<(), PackError> {
        let mut file = self.inner.into_inner();
        // One more byte would mean the file grew.
        let mut extra = [0u8; 1];
        let grew = file.read(&mut extra).map_err(io_at(&self.path))? != 0;
        if grew
            || self.count != self.expected.1
            || *self.hasher.finalize().as_bytes() != self.expected.0
        {
            return Err(PackError::SourceChanged {
                entry: self.entry,
                source_path: self.path,
            });
        }
        Ok(())
    }
}

impl Read for CheckedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

fn write_directory(
    root: &Path,
    entries: &BTreeMap<String, Source>,
    expected: &BTreeMap<&str, (Hash32, u64)>,
) -> Result<(), PackError> {
    set_dir_mode(root).map_err(io_at(root))?;
    let mut dirs = BTreeSet::new();
    for (name, source) in entries {
        let target = root.join(name);
        if let Some(parent) = target.parent() {
            if parent != root && dirs.insert(parent.to_owned()) {
                fs::create_dir_all(parent).map_err(io_at(parent))?;
                let mut dir = parent;
                while dir != root {
                    set_dir_mode(dir).map_err(io_at(dir))?;
                    dirs.insert(dir.to_owned());
                    dir = dir.parent().unwrap_or(root);
                }
            }
        }
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(io_at(&target))?;
        copy_entry(name, source, expected[name.as_str()], &mut file).map_err(|e| e.at(&target))?;
        set_mode(&file, 0o644).map_err(io_at(&target))?;
        file.sync_all().map_err(io_at(&target))?;
    }
    for dir in dirs.iter().rev() {
        sync_dir(dir).map_err(io_at(dir))?;
    }
    sync_dir(root).map_err(io_at(root))
}

fn write_zip(
    file: &File,
    entries: &BTreeMap<String, Source>,
    expected: &BTreeMap<&str, (Hash32, u64)>,
) -> Result<(), WriteError> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(file);
    for (name, source) in entries {
        let (_, len) = expected[name.as_str()];
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644)
            .large_file(len >= u64::from(u32::MAX));
        zip.start_file(name.as_str(), options)?;
        copy_entry(name, source, expected[name.as_str()], &mut zip)?;
    }
    zip.finish()?;
    Ok(())
}

fn write_tar(
    file: &File,
    entries: &BTreeMap<String, Source>,
    expected: &BTreeMap<&str, (Hash32, u64)>,
) -> Result<(), WriteError> {
    let mut tar = tar::Builder::new(file);
    for (name, source) in entries {
        let (_, len) = expected[name.as_str()];
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(len);
        header.set_mode(0o644);
        header.set_mtime(FIXED_MTIME);
        header.set_uid(0);
        header.set_gid(0);
        match source {
            Source::Bytes(bytes) => tar.append_data(&mut header, name, &bytes[..])?,
            Source::File(path) => {
                let mut reader = CheckedReader::open(name, path, expected[name.as_str()])?;
                // A file that shrank would make the builder fail with an
                // I/O error; `finish` names the real cause.
                let appended = tar.append_data(&mut header, name, &mut reader);
                reader.finish()?;
                appended?;
            }
        }
    }
    tar.into_inner()?;
    Ok(())
}

fn check_replaceable(out: &Path, force: bool) -> Result<(), PackError> {
    match fs::symlink_metadata(out) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(PackError::Io {
            path: out.to_owned(),
            source,
        }),
        Ok(_) if !force => Err(PackError::Exists {
            path: out.to_owned(),
        }),
        Ok(meta) if meta.is_dir() => {
            let empty = fs::read_dir(out).map_err(io_at(out))?.next().is_none();
            let is_pack = out.join(SUMS_FILE).is_file() && out.join(CHECKPOINT_FILE).is_file();
            if empty || is_pack {
                Ok(())
            } else {
                Err(PackError::RefuseReplace {
                    path: out.to_owned(),
                })
            }
        }
        Ok(_) => Ok(()),
    }
}

/// Moves the finished `new` into place at `out`.
fn install(new: &Path, out: &Path, force: bool) -> Result<(), PackError> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let existing = match fs::symlink_metadata(out) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(PackError::Io {
                path: out.to_owned(),
                source,
            })
        }
    };
    match existing {
        None => {
            // Nothing there a moment ago (a race with another writer is
            // not guarded against beyond this check).
            fs::rename(new, out).map_err(io_at(out))?;
        }
        Some(_) if !force => {
            return Err(PackError::Exists {
                path: out.to_owned(),
            })
        }
        Some(meta) if !meta.is_dir() && new.is_file() => {
            // A file over a file: rename replaces it atomically.
            fs::rename(new, out).map_err(io_at(out))?;
        }
        Some(meta) => {
            check_replaceable(out, force)?;
            let aside = parent.join(format!(
                ".{}.old-{}",
                out.file_name().and_then(|n| n.to_str()).unwrap_or("pack"),
                std::process::id()
            ));
            fs::rename(out, &aside).map_err(io_at(out))?;
            if let Err(source) = fs::rename(new, out) {
                let _ = fs::rename(&aside, out);
                return Err(PackError::Io {
                    path: out.to_owned(),
                    source,
                });
            }
            let removed = if meta.is_dir() {
                fs::remove_dir_all(&aside)
            } else {
                fs::remove_file(&aside)
            };
            removed.map_err(io_at(&aside))?;
        }
    }
    sync_dir(&parent).map_err(io_at(&parent))
}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_dir_mode(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_dir_mode(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Bounds on what [`Pack::open`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single entry (default 1 GiB).
    pub max_entry_bytes: u64,
    /// Largest total of all entries (default 4 GiB).
    pub max_total_bytes: u64,
    /// Most entries (default 100 000).
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entry_bytes: 1 << 30,
            max_total_bytes: 4 << 30,
            max_entries: 100_000,
        }
    }
}

/// A pack read into memory from a directory, `.zip` or `.tar`.
#[derive(Debug, Clone)]
pub struct Pack {
    format: PackFormat,
    entries: BTreeMap<String, Vec<u8>>,
}

impl Pack {
    /// Opens a pack with the default [`Limits`].
    ///
    /// # Errors
    ///
    /// As [`Pack::open_with_limits`].
    pub fn open(path: &Path) -> Result<Self, PackError> {
        Self::open_with_limits(path, Limits::default())
    }

    /// Opens a pack: a directory, or a zip or tar file (recognised by its
    /// contents, not its name). Every entry must be a regular file with a
    /// safe name ([`check_safe_path`]); directory entries are skipped, a
    /// leading `./` is dropped, and an archive whose entries all sit in one
    /// folder holding `BLAKE3SUMS` (the pack folder zipped whole) is read
    /// from inside that folder.
    ///
    /// # Errors
    ///
    /// [`PackError::NotAPack`] when the path is neither a directory, zip nor
    /// tar, or lacks `BLAKE3SUMS` or `checkpoint`; [`PackError::EntryPath`],
    /// [`PackError::Link`], [`PackError::Unsupported`],
    /// [`PackError::Duplicate`], [`PackError::TooLarge`],
    /// [`PackError::TooBig`] naming the entry; [`PackError::Archive`] for a
    /// damaged archive; [`PackError::Io`].
    pub fn open_with_limits(path: &Path, limits: Limits) -> Result<Self, PackError> {
        let meta = fs::metadata(path).map_err(io_at(path))?;
        let mut sink = Collector {
            limits,
            total: 0,
            entries: BTreeMap::new(),
        };
        let format = if meta.is_dir() {
            for required in [SUMS_FILE, CHECKPOINT_FILE] {
                if !path.join(required).is_file() {
                    return Err(not_a_pack(path, &format!("it has no `{required}` file")));
                }
            }
            read_directory(path, path, &mut sink)?;
            PackFormat::Directory
        } else {
            let mut file = File::open(path).map_err(io_at(path))?;
            let mut head = [0u8; 512];
            let n = read_up_to(&mut file, &mut head).map_err(io_at(path))?;
            file.rewind().map_err(io_at(path))?;
            if n >= 4 && (head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")) {
                read_zip(path, file, &mut sink)?;
                PackFormat::Zip
            } else if n >= 262 && &head[257..262] == b"ustar" {
                read_tar(path, file, &mut sink)?;
                PackFormat::Tar
            } else {
                return Err(not_a_pack(
                    path,
                    "it is neither a directory, a zip nor a tar file",
                ));
            }
        };
        let entries = strip_single_folder(sink.entries);
        for required in [SUMS_FILE, CHECKPOINT_FILE] {
            if !entries.contains_key(required) {
                return Err(not_a_pack(path, &format!("it has no `{required}` file")));
            }
        }
        Ok(Self { format, entries })
    }

    /// How the pack was stored.
    #[must_use]
    pub fn format(&self) -> PackFormat {
        self.format
    }

    /// The contents of one entry.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.entries.get(name).map(Vec::as_slice)
    }

    /// Every entry, sorted by name.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries.iter().map(|(n, b)| (n.as_str(), b.as_slice()))
    }

    /// The BLAKE3 of every entry.
    #[must_use]
    pub fn hashes(&self) -> BTreeMap<String, Hash32> {
        self.entries
            .iter()
            .map(|(n, b)| (n.clone(), *blake3::hash(b).as_bytes()))
            .collect()
    }

    /// Checks `BLAKE3SUMS` against the entries: every missing, altered and
    /// extra file by name.
    ///
    /// # Errors
    ///
    /// [`SumsError`] when `BLAKE3SUMS` cannot be parsed (or is not UTF-8).
    pub fn check_sums(&self) -> Result<SumsReport, SumsError> {
        self.check_sums_except(&[])
    }

    /// Like [`Pack::check_sums`], but `unlisted` entries are not extra when
    /// `BLAKE3SUMS` does not list them (a v2 checkpoint and its signature,
    /// which pin `BLAKE3SUMS` itself).
    ///
    /// # Errors
    ///
    /// As [`Pack::check_sums`].
    pub fn check_sums_except(&self, unlisted: &[&str]) -> Result<SumsReport, SumsError> {
        let text = self.get(SUMS_FILE).unwrap_or_default();
        let text = std::str::from_utf8(text).map_err(|e| SumsError::Line {
            line: 1 + text[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            problem: "not UTF-8".into(),
        })?;
        let mut report = check_sums(text, &self.hashes())?;
        report.extra.retain(|e| !unlisted.contains(&e.as_str()));
        Ok(report)
    }
}

fn not_a_pack(path: &Path, why: &str) -> PackError {
    PackError::NotAPack {
        path: path.to_owned(),
        why: why.to_owned(),
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

struct Collector {
    limits: Limits,
    total: u64,
    entries: BTreeMap<String, Vec<u8>>,
}

impl Collector {
    /// Checks a name and declared size before anything is read.
    fn admit(&mut self, name: &str, declared: u64) -> Result<(), PackError> {
        check_safe_path(name)?;
        if self.entries.contains_key(name) {
            return Err(PackError::Duplicate { entry: shown(name) });
        }
        if self.entries.len() as u64 >= self.limits.max_entries {
            return Err(PackError::TooBig {
                limit: self.limits.max_entries,
                what: "entries",
            });
        }
        if declared > self.limits.max_entry_bytes {
            return Err(PackError::TooLarge {
                entry: shown(name),
                limit: self.limits.max_entry_bytes,
            });
        }
        if self.total.saturating_add(declared) > self.limits.max_total_bytes {
            return Err(PackError::TooBig {
                limit: self.limits.max_total_bytes,
                what: "bytes",
            });
        }
        Ok(())
    }

    /// Reads an admitted entry, never more than the limits allow whatever
    /// its header claimed.
    fn read(&mut self, name: &str, reader: impl Read, archive: &Path) -> Result<(), PackError> {
        let room = self
            .limits
            .max_entry_bytes
            .min(self.limits.max_total_bytes - self.total);
        let mut bytes = Vec::new();
        reader
            .take(room + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| PackError::Archive {
                path: archive.to_owned(),
                message: format!("entry `{}`: {e}", shown(name)),
            })?;
        if bytes.len() as u64 > room {
            return Err(if room == self.limits.max_entry_bytes {
                PackError::TooLarge {
                    entry: shown(name),
                    limit: self.limits.max_entry_bytes,
                }
            } else {
                PackError::TooBig {
                    limit: self.limits.max_total_bytes,
                    what: "bytes",
                }
            });
        }
        self.total += bytes.len() as u64;
        self.entries.insert(name.to_owned(), bytes);
        Ok(())
    }
}

/// `tar -cf p.tar .` writes `./name`: accept that prefix.
fn strip_dot_slash(name: &str) -> &str {
    let mut name = name;
    while let Some(rest) = name.strip_prefix("./") {
        name = rest;
    }
    name
}

/// An archive made by zipping the pack's folder (`zip -r p.zip pack/`)
/// holds `pack/BLAKE3SUMS`, …: when every entry is under one folder that
/// holds the pack files, read the pack from inside it.
fn strip_single_folder(entries: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    if entries.contains_key(SUMS_FILE) {
        return entries;
    }
    let Some(top) = entries
        .keys()
        .next()
        .and_then(|k| k.split_once('/'))
        .map(|(top, _)| format!("{top}/"))
    else {
        return entries;
    };
    let all_inside = entries.keys().all(|k| k.starts_with(&top));
    if !all_inside || !entries.contains_key(&format!("{top}{SUMS_FILE}")) {
        return entries;
    }
    entries
        .into_iter()
        .map(|(k, v)| (k[top.len()..].to_owned(), v))
        .collect()
}

fn read_directory(root: &Path, dir: &Path, sink: &mut Collector) -> Result<(), PackError> {
    let mut children: Vec<_> = fs::read_dir(dir)
        .map_err(io_at(dir))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io_at(dir))?;
    children.sort();
    for child in children {
        let relative = child.strip_prefix(root).unwrap_or(&child);
        let Some(name) = relative
            .to_str()
            .map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"))
        else {
            return Err(PackError::EntryPath {
                entry: relative.to_string_lossy().into_owned(),
                problem: "has a name that is not UTF-8",
            });
        };
        let meta = fs::symlink_metadata(&child).map_err(io_at(&child))?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            return Err(PackError::Link {
                entry: shown(&name),
            });
        } else if kind.is_dir() {
            check_safe_path(&name)?;
            read_directory(root, &child, sink)?;
        } else if kind.is_file() {
            sink.admit(&name, meta.len())?;
            let file = File::open(&child).map_err(io_at(&child))?;
            sink.read(&name, file, &child)?;
        } else {
            return Err(PackError::Unsupported {
                entry: shown(&name),
                kind: "special file".into(),
            });
        }
    }
    Ok(())
}

fn read_zip(path: &Path, file: File, sink: &mut Collector) -> Result<(), PackError> {
    let damaged = |e: zip::result::ZipError| PackError::Archive {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let mut zip = zip::ZipArchive::new(file).map_err(damaged)?;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(damaged)?;
        let name = match std::str::from_utf8(entry.name_raw()) {
            Ok(name) => name.to_owned(),
            Err(_) => {
                return Err(PackError::EntryPath {
                    entry: String::from_utf8_lossy(entry.name_raw())
                        .escape_debug()
                        .to_string(),
                    problem: "has a name that is not UTF-8",
                })
            }
        };
        let name = strip_dot_slash(&name).to_owned();
        if entry.is_dir() && (name.is_empty() || name == "." || name == "./") {
            continue;
        }
        if entry.is_symlink() {
            check_safe_path(&name)?;
            return Err(PackError::Link {
                entry: shown(&name),
            });
        }
        if entry.is_dir() {
            check_safe_path(name.trim_end_matches('/'))?;
            continue;
        }
        sink.admit(&name, entry.size())?;
        sink.read(&name, entry, path)?;
    }
    Ok(())
}

fn read_tar(path: &Path, file: File, sink: &mut Collector) -> Result<(), PackError> {
    let damaged = |e: io::Error| PackError::Archive {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let mut archive = tar::Archive::new(file);
    for entry in archive.entries().map_err(damaged)? {
        let entry = entry.map_err(damaged)?;
        let raw = entry.path_bytes();
        let Ok(name) = std::str::from_utf8(&raw).map(str::to_owned) else {
            return Err(PackError::EntryPath {
                entry: String::from_utf8_lossy(&raw).escape_debug().to_string(),
                problem: "has a name that is not UTF-8",
            });
        };
        let name = strip_dot_slash(&name).to_owned();
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions()
            || (kind.is_dir() && matches!(name.as_str(), "" | "." | "./"))
        {
            continue;
        }
        if kind.is_dir() {
            check_safe_path(name.trim_end_matches('/'))?;
            continue;
        }
        check_safe_path(&name)?;
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(PackError::Link {
                entry: shown(&name),
            });
        }
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            return Err(PackError::Unsupported {
                entry: shown(&name),
                kind: format!("tar entry of type {:?}", kind),
            });
        }
        sink.admit(&name, entry.size())?;
        sink.read(&name, entry, path)?;
    }
    Ok(())
}
