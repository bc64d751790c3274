//! The event log: one record per line, appended and fsynced, never rewritten.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::disk;
use crate::error::{IoContext, StoreError};

/// The open log file.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    file: File,
    len: u64,
}

/// A line of the log: where it starts and its bytes without the line feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Byte offset of its first byte.
    pub offset: u64,
    /// The record bytes.
    pub bytes: Vec<u8>,
    /// Whether it ended with a line feed (only the last line may not).
    pub complete: bool,
}

impl LogFile {
    /// Opens (and creates if asked) the log.
    pub(crate) fn open(path: &Path, create: bool) -> Result<Self, StoreError> {
        let file = disk::open_append(path, create).at(path)?;
        let len = file.metadata().at(path)?.len();
        Ok(LogFile {
            path: path.to_owned(),
            file,
            len,
        })
    }

    /// The log's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its length in bytes.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// The offset just past the last line feed (where a torn tail starts).
    pub(crate) fn complete_len(&self) -> Result<u64, StoreError> {
        if self.len == 0 {
            return Ok(0);
        }
        let mut pos = self.len;
        let mut buf = vec![0u8; 64 * 1024];
        while pos > 0 {
            let n = usize::try_from(pos.min(buf.len() as u64)).unwrap_or(buf.len());
            pos -= n as u64;
            self.read_exact_at(pos, &mut buf[..n])?;
            if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
                return Ok(pos + i as u64 + 1);
            }
        }
        Ok(0)
    }

    /// Reads at an offset without moving a shared cursor (`pread`), so
    /// that concurrent readers of one open store need no exclusive access.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), StoreError> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset).at(&self.path)
    }

    /// Reads `len` bytes at `offset` (one record).
    pub(crate) fn read_at(&self, offset: u64, len: u32) -> Result<Vec<u8>, StoreError> {
        let mut buf = vec![0u8; len as usize];
        self.read_exact_at(offset, &mut buf)?;
        Ok(buf)
    }

    /// The lines from `offset` to the end.
    pub(crate) fn lines_from(&self, offset: u64) -> Result<Lines, StoreError> {
        let mut file = File::open(&self.path).at(&self.path)?;
        file.seek(SeekFrom::Start(offset)).at(&self.path)?;
        Ok(Lines {
            path: self.path.clone(),
            reader: BufReader::with_capacity(1 << 20, file),
            offset,
        })
    }

    /// Appends bytes (whole lines); durable only after [`LogFile::sync`].
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        if let Err(e) = disk::append(&mut self.file, &self.path, bytes) {
            // Part of it may have reached the file: cut it back (best
            // effort), so that the length this process knows is the file's.
            let _ = disk::set_len(&self.file, &self.path, self.len);
            return Err(e).at(&self.path);
        }
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Makes everything written durable.
    pub(crate) fn sync(&mut self) -> Result<(), StoreError> {
        disk::sync_data(&self.file, &self.path).at(&self.path)
    }

    /// Cuts the log back to `len` bytes and makes that durable. Only ever
    /// used to remove bytes no command reported as recorded.
    pub(crate) fn truncate(&mut self, len: u64) -> Result<(), StoreError> {
        disk::set_len(&self.file, &self.path, len).at(&self.path)?;
        disk::sync(&self.file, &self.path).at(&self.path)?;
        self.len = len;
        Ok(())
    }
}

/// Reads lines with their offsets.
#[derive(Debug)]
pub struct Lines {
    path: PathBuf,
    reader: BufReader<File>,
    offset: u64,
}

impl Iterator for Lines {
    type Item = Result<Line, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut bytes = Vec::with_capacity(512);
        match self.reader.read_until(b'\n', &mut bytes) {
            Ok(0) => None,
            Ok(n) => {
                let offset = self.offset;
                self.offset += n as u64;
                let complete = bytes.last() == Some(&b'\n');
                if complete {
                    bytes.pop();
                }
                Some(Ok(Line {
                    offset,
                    bytes,
                    complete,
                }))
            }
            Err(e) => Some(Err(e).at(&self.path)),
        }
    }
}
