//! The file operations of the auth directory: a private directory (0700),
//! private files (0600), each JSON file replaced atomically (a temporary
//! file in the same directory, fsync, rename, fsync of the directory), and
//! an append-only log whose every line is fsynced.
//!
//! Each JSON file carries a `format` number; a file of an unknown format is
//! refused, not guessed at.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};

/// The format of every JSON file this version writes.
pub(crate) const FORMAT: u32 = 1;

/// Creates `dir` (and its parents) when missing and makes it readable by
/// the owner only.
pub(crate) fn private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| Error::io(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// Options that create a file readable and writable by the owner only.
fn private_file() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Reads `dir/name` as a JSON document of format [`FORMAT`]; `None` when
/// the file does not exist.
pub(crate) fn load<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<Option<T>> {
    let path = dir.join(name);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let corrupt = |message: String| Error::Corrupt {
        path: path.clone(),
        message,
    };
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    match value.get("format").and_then(serde_json::Value::as_u64) {
        Some(f) if f == u64::from(FORMAT) => {}
        Some(found) => {
            return Err(Error::UnsupportedFormat {
                path,
                found,
                supported: FORMAT,
            })
        }
        None => return Err(corrupt("no \"format\" number".into())),
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| corrupt(e.to_string()))
}

/// Reads the list under `field` of `dir/name` (`{"format":1,"accounts":[…]}`);
/// empty when the file does not exist.
pub(crate) fn load_list<T: DeserializeOwned>(
    dir: &Path,
    name: &str,
    field: &str,
) -> Result<Vec<T>> {
    let Some(mut doc) = load::<serde_json::Value>(dir, name)? else {
        return Ok(Vec::new());
    };
    let list = doc.get_mut(field).map(serde_json::Value::take);
    serde_json::from_value(list.unwrap_or_default()).map_err(|e| Error::Corrupt {
        path: dir.join(name),
        message: format!("{field}: {e}"),
    })
}

/// Replaces `dir/name` with `items` as the list under `field`, with the
/// format number, as [`save`] does.
pub(crate) fn save_list<T: Serialize>(
    dir: &Path,
    name: &str,
    field: &str,
    items: &[T],
) -> Result<()> {
    save(
        dir,
        name,
        &serde_json::json!({ "format": FORMAT, field: items }),
    )
}

/// Replaces `dir/name` with `value` as pretty JSON, atomically: a reader
/// (or a crash) sees the old file or the new one, never a mix.
pub(crate) fn save<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Corrupt {
        path: dir.join(name),
        message: format!("cannot be written: {e}"),
    })?;
    bytes.push(b'\n');
    replace(dir, name, &bytes)
}

/// Writes `bytes` to a temporary file beside `dir/name`, makes it
/// durable, renames it over `name` and makes the rename durable.
pub(crate) fn replace(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let target = dir.join(name);
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = private_file()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, &target)
    })();
    if let Err(e) = written {
        // A temporary file left behind holds nothing the directory needs.
        let _ = fs::remove_file(&temp);
        return Err(Error::io(&target, e));
    }
    sync_dir(dir)
}

/// Removes `dir/name` (if it is there) durably.
pub(crate) fn remove(dir: &Path, name: &str) -> Result<()> {
    let path = dir.join(name);
    match fs::remove_file(&path) {
        Ok(()) => sync_dir(dir),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Appends one line (`line` must hold no newline) to `path` with a single
/// write and makes it durable before returning.
pub(crate) fn append_line(path: &Path, line: &str) -> Result<()> {
    let mut record = String::with_capacity(line.len() + 1);
    record.push_str(line);
    record.push('\n');
    let appended = (|| {
        let mut file = private_file().create(true).append(true).open(path)?;
        file.write_all(record.as_bytes())?;
        file.sync_data()
    })();
    appended.map_err(|e| Error::io(path, e))
}

/// Makes the names in `dir` durable (a rename, a new or removed file).
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Doc {
        format: u32,
        items: Vec<String>,
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    #[cfg(unix)]
    fn the_directory_is_0700_and_its_files_0600() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("auth");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700, "a wider directory is narrowed");
        save(
            &dir,
            "a.json",
            &Doc {
                format: FORMAT,
                items: vec![],
            },
        )
        .unwrap();
        append_line(&dir.join("a.jsonl"), "{}").unwrap();
        assert_eq!(mode(&dir.join("a.json")), 0o600);
        assert_eq!(mode(&dir.join("a.jsonl")), 0o600);
    }

    #[test]
    fn a_rewrite_replaces_the_whole_file_and_leaves_no_temporary_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let long = Doc {
            format: FORMAT,
            items: vec!["x".repeat(1000); 10],
        };
        save(dir, "a.json", &long).unwrap();
        let short = Doc {
            format: FORMAT,
            items: vec!["y".into()],
        };
        save(dir, "a.json", &short).unwrap();
        assert_eq!(load::<Doc>(dir, "a.json").unwrap(), Some(short));
        let names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["a.json"]);
    }

    #[test]
    fn a_failed_rewrite_keeps_the_old_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        replace(dir, "a.json", b"old").unwrap();
        // A directory where the temporary file would go makes the write fail.
        fs::create_dir(dir.join(format!(".a.json.{}.tmp", std::process::id()))).unwrap();
        assert!(matches!(
            replace(dir, "a.json", b"new"),
            Err(Error::Io { .. })
        ));
        assert_eq!(fs::read(dir.join("a.json")).unwrap(), b"old");
    }

    #[test]
    fn a_missing_file_is_none_and_an_unknown_format_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        assert_eq!(load::<Doc>(dir, "a.json").unwrap(), None);
        fs::write(dir.join("a.json"), r#"{"format":7,"items":[]}"#).unwrap();
        let e = load::<Doc>(dir, "a.json").unwrap_err();
        assert!(
            matches!(
                e,
                Error::UnsupportedFormat {
                    found: 7,
                    supported: 1,
                    ..
                }
            ),
            "{e}"
        );
        fs::write(dir.join("a.json"), r#"{"items":[]}"#).unwrap();
        let e = load::<Doc>(dir, "a.json").unwrap_err();
        assert!(
            e.to_string()
                .ends_with("a.json: no \"format\" number; restore it from a backup"),
            "{e}"
        );
        fs::write(dir.join("a.json"), "{").unwrap();
        assert!(matches!(
            load::<Doc>(dir, "a.json"),
            Err(Error::Corrupt { .. })
        ));
    }

    #[test]
    fn appended_lines_accumulate() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("log.jsonl");
        append_line(&path, "1").unwrap();
        append_line(&path, "2").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "1\n2\n");
    }
}
