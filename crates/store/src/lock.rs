//! One process at a time: an advisory lock on `<store>/LOCK`, whose holder
//! writes who it is so that the next one can say so.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};

use crate::error::{IoContext, StoreError};
use crate::layout::Layout;

/// Held for as long as a store is open; released on drop (and by the OS
/// when the process dies).
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

impl StoreLock {
    /// Takes the lock or says who holds it.
    pub(crate) fn acquire(layout: &Layout, what: &str) -> Result<Self, StoreError> {
        let path = layout.lock();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .at(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(StoreError::Locked {
                    path: layout.root().to_owned(),
                    holder: if holder.is_empty() {
                        format!("lock file {}", path.display())
                    } else {
                        format!("{holder}; lock file {}", path.display())
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(e).at(&path),
        }
        let me = format!(
            "pid {} running `{what}` since {}",
            std::process::id(),
            jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        );
        file.set_len(0).at(&path)?;
        file.seek(SeekFrom::Start(0)).at(&path)?;
        file.write_all(me.as_bytes()).at(&path)?;
        Ok(StoreLock { _file: file })
    }
}
