//! The store's own signing key: Ed25519, kept as an OpenSSH private-key file.
//!
//! The key is created on first use with mode 0600 from the start (it is never,
//! even briefly, readable by others) and refused when it is readable by group
//! or others, as `ssh` itself refuses such keys.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ssh_key::{rand_core::OsRng, Algorithm, HashAlg, LineEnding, PrivateKey};

/// Why the store key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key file can be read or written by group or others.
    #[error(
        "store key {path} is accessible by group or others (mode {mode:03o}); \
         run `chmod 600 {path}` and try again",
        path = path.display()
    )]
    TooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file exists but is not a regular file.
    #[error("store key {} is not a regular file", path.display())]
    NotAFile {
        /// The key file.
        path: PathBuf,
    },
    /// The file is not an OpenSSH private key, or not an Ed25519 one.
    #[error("store key {}: {problem}", path.display())]
    Invalid {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// Reading or writing the key file failed.
    #[error("store key {}: {source}", path.display())]
    Io {
        /// The key file (or its directory).
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Generating or encoding a key failed.
    #[error("could not generate the store key: {0}")]
    Generate(String),
}

/// The store's Ed25519 signing key.
///
/// `Debug` shows only the public fingerprint, never the private key.
#[derive(Clone)]
pub struct StoreKey {
    private: PrivateKey,
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreKey")
            .field("fingerprint", &self.fingerprint())
            .field("comment", &self.comment())
            .finish_non_exhaustive()
    }
}

impl StoreKey {
    /// Generates a new key in memory (nothing is written).
    ///
    /// # Errors
    ///
    /// [`KeyError::Generate`] if the OS random number generator fails.
    pub fn generate(comment: &str) -> Result<Self, KeyError> {
        let mut private = PrivateKey::random(&mut OsRng, Algorithm::Ed25519)
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        private.set_comment(comment);
        Ok(Self { private })
    }

    /// Loads the key at `path`, or creates it there if no file exists.
    /// Returns the key and whether it was created now.
    ///
    /// A new key is written to a temporary file with mode 0600 in the same
    /// directory, synced, and linked into place without replacing anything
    /// (if another process created the key meanwhile, that key is loaded).
    /// Missing parent directories are created.
    ///
    /// # Errors
    ///
    /// See [`StoreKey::load`]; plus [`KeyError::Io`] when the file cannot be
    /// written.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("key");
    /// let (key, created) = entitle_pack::StoreKey::load_or_create(&path, "entitle store s1")?;
    /// assert!(created);
    /// let (again, created) = entitle_pack::StoreKey::load_or_create(&path, "ignored")?;
    /// assert!(!created);
    /// assert_eq!(key.fingerprint(), again.fingerprint());
    /// # Ok::<(), entitle_pack::KeyError>(())
    /// ```
    pub fn load_or_create(path: &Path, comment: &str) -> Result<(Self, bool), KeyError> {
        match fs::symlink_metadata(path) {
            Ok(_) => return Ok((Self::load(path)?, false)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(KeyError::Io {
                    path: path.to_owned(),
                    source,
                })
            }
        }
        let key = Self::generate(comment)?;
        let pem = key
            .private
            .to_openssh(LineEnding::LF)
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        let io_err = |source| KeyError::Io {
            path: path.to_owned(),
            source,
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&dir).map_err(io_err)?;
        // tempfile creates its files with mode 0600 on Unix: the key is never
        // readable by others, not even for a moment.
        let mut tmp = tempfile::Builder::new()
            .prefix(".key-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(io_err)?;
        restrict(tmp.as_file()).map_err(io_err)?;
        tmp.write_all(pem.as_bytes()).map_err(io_err)?;
        tmp.as_file().sync_all().map_err(io_err)?;
        match tmp.persist_noclobber(path) {
            Ok(_) => {
                crate::fsutil::sync_dir(&dir).map_err(io_err)?;
                Ok((key, true))
            }
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                // Another process won the race: use its key.
                Ok((Self::load(path)?, false))
            }
            Err(e) => Err(io_err(e.error)),
        }
    }

    /// Loads an existing key file.
    ///
    /// # Errors
    ///
    /// [`KeyError::TooOpen`] when group or others have any access to the file
    /// (the message says to `chmod 600` it), [`KeyError::NotAFile`],
    /// [`KeyError::Invalid`] for a file that is not an unencrypted OpenSSH
    /// Ed25519 private key, [`KeyError::Io`] when it cannot be read.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let io_err = |source| KeyError::Io {
            path: path.to_owned(),
            source,
        };
        let meta = fs::metadata(path).map_err(io_err)?;
        if !meta.is_file() {
            return Err(KeyError::NotAFile {
                path: path.to_owned(),
            });
        }
        check_mode(path, &meta)?;
        let text = zeroizing_read(path).map_err(io_err)?;
        let invalid = |problem: String| KeyError::Invalid {
            path: path.to_owned(),
            problem,
        };
        let private = PrivateKey::from_openssh(text.as_bytes())
            .map_err(|e| invalid(format!("not an OpenSSH private key ({e})")))?;
        if private.is_encrypted() {
            return Err(invalid(
                "the key is protected by a passphrase; entitle needs an unencrypted key".into(),
            ));
        }
        if private.algorithm() != Algorithm::Ed25519 {
            return Err(invalid(format!(
                "the key is {}, entitle signs with Ed25519 keys only",
                private.algorithm()
            )));
        }
        Ok(Self { private })
    }

    /// The public key in OpenSSH format: `ssh-ed25519 AAAA… comment`.
    #[must_use]
    pub fn public_key_openssh(&self) -> String {
        // Encoding an Ed25519 public key cannot fail.
        self.private
            .public_key()
            .to_openssh()
            .unwrap_or_else(|e| format!("<unencodable public key: {e}>"))
    }

    /// The public key without its comment: `ssh-ed25519 AAAA…`, as it
    /// appears in an `allowed_signers` line.
    #[must_use]
    pub fn public_key_bare(&self) -> String {
        let mut public = self.private.public_key().clone();
        public.set_comment("");
        public
            .to_openssh()
            .unwrap_or_else(|e| format!("<unencodable public key: {e}>"))
    }

    /// The SHA-256 fingerprint as `ssh-keygen -l` prints it: `SHA256:…`.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        self.private.fingerprint(HashAlg::Sha256).to_string()
    }

    /// The key's comment.
    #[must_use]
    pub fn comment(&self) -> &str {
        self.private.comment()
    }

    pub(crate) fn private(&self) -> &PrivateKey {
        &self.private
    }
}

fn zeroizing_read(path: &Path) -> io::Result<String> {
    fs::read_to_string(path)
}

#[cfg(unix)]
fn check_mode(path: &Path, meta: &fs::Metadata) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::TooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path, _meta: &fs::Metadata) -> Result<(), KeyError> {
    Ok(())
}

#[cfg(unix)]
fn restrict(file: &fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict(_file: &fs::File) -> io::Result<()> {
    Ok(())
}
