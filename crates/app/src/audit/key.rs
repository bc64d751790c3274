//! The store's checkpoint signing key: an Ed25519 key in `keys/`, made on
//! first use, whose public half an auditor is given in advance.

use std::path::PathBuf;

use entitle_pack::StoreKey;
use entitle_store::Store;
use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};

/// The key file inside the store's `keys/` directory.
pub const KEY_FILE: &str = "checkpoint_ed25519";

/// The store's signing key, as an auditor is to be told it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// The public key, one OpenSSH line (`ssh-ed25519 AAAA… comment`).
    pub public_key: String,
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// The store id: the signer identity in `allowed_signers`.
    pub store_id: String,
    /// The private key file.
    pub key_file: PathBuf,
    /// Whether the key was made just now.
    pub created: bool,
}

impl KeyInfo {
    /// What to tell the user when the key was made just now.
    #[must_use]
    pub fn created_notice(&self) -> Option<String> {
        self.created.then(|| {
            format!(
                "created the store's signing key {} ({})",
                self.key_file.display(),
                self.fingerprint
            )
        })
    }
}

/// The store's signing key, made (mode 0600) on first use.
///
/// # Errors
///
/// When the key file cannot be read or written, is open to group or
/// others, or is not an unencrypted Ed25519 key.
pub fn key(store: &Store) -> Result<KeyInfo> {
    load(store).map(|(_, info)| info)
}

/// The key itself (to sign with) and what to say about it.
pub(crate) fn load(store: &Store) -> Result<(StoreKey, KeyInfo)> {
    let path = store.layout().keys().join(KEY_FILE);
    let store_id = store.info().store_id.clone();
    let comment = format!("entitle store {store_id}");
    let (key, created) = StoreKey::load_or_create(&path, &comment).map_err(|e| {
        let kind = match &e {
            entitle_pack::KeyError::Io { .. } => ErrorKind::Io,
            _ => ErrorKind::Integrity,
        };
        Error::new(
            kind,
            format!("the store's signing key {}: {e}", path.display()),
        )
    })?;
    let info = KeyInfo {
        public_key: key.public_key_openssh(),
        fingerprint: key.fingerprint(),
        store_id,
        key_file: path,
        created,
    };
    Ok((key, info))
}
