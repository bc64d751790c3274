//! Writing a file a user named, safely: into a temporary file in the same
//! directory, made durable, then renamed into place — so a reader never
//! sees half a file, a failure leaves nothing behind, and a symbolic link
//! at the target is replaced, never written through.

use std::io::Write;
use std::path::Path;

use crate::error::{Action, Error, ErrorKind, Result};

/// Writes `bytes` to `path` atomically. With `overwrite` false an existing
/// target is an error (kind conflict, field `out`) and stays untouched.
///
/// # Errors
///
/// When the directory cannot be written, or the target exists and may not
/// be replaced.
pub fn write_atomically(path: &Path, bytes: &[u8], overwrite: bool) -> Result<()> {
    write_with(path, overwrite, |f| f.write_all(bytes))
}

/// Like [`write_atomically`], with the contents written by `fill`.
///
/// # Errors
///
/// As [`write_atomically`], and whatever `fill` fails with.
pub fn write_with(
    path: &Path,
    overwrite: bool,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let io = |e: std::io::Error| Error::io(path, e).at("out");
    let mut builder = tempfile::Builder::new();
    builder.prefix(".entitle-").suffix(".tmp");
    // A file the user asked for gets the mode any new file of theirs gets
    // (0666 less the umask), not a temporary file's 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir).map_err(io)?;
    fill(tmp.as_file_mut()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    if overwrite {
        tmp.persist(path).map_err(|e| io(e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::new(
                    ErrorKind::Conflict,
                    format!("{} already exists", path.display()),
                )
                .at("out")
                .hint_to(Action::Overwrite, "choose another file, or {action}")
            } else {
                io(e.error)
            }
        })?;
    }
    // The rename is durable only once the directory is.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_or_refuses_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.ics");
        write_atomically(&p, b"one", false).unwrap();
        let e = write_atomically(&p, b"two", false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(e.field(), Some("out"));
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_atomically(&p, b"three", true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"three");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // The mode any new file gets here (0666 less the umask).
            let other = tempfile::tempdir().unwrap();
            let plain = other.path().join("plain");
            std::fs::File::create(&plain).unwrap();
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&p), mode(&plain), "not a temporary file's 0600");
        }
        let failed = write_with(&p, true, |_| Err(std::io::Error::other("disk full")));
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"three");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "a temporary file was left behind");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_target_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        let link = dir.path().join("out.ics");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        write_atomically(&link, b"new", true).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(std::fs::read(&link).unwrap(), b"new");
    }
}
