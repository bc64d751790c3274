//! `entitle key show`, and the store's checkpoint signing key for
//! `entitle audit-pack`.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use entitle_pack::StoreKey;
use entitle_store::{Open, Store};

use crate::cli::Cli;
use crate::request;

/// The key file inside the store's `keys/` directory.
pub const KEY_FILE: &str = "checkpoint_ed25519";

/// Loads the store's signing key, creating it (mode 0600) on first use.
/// Says so on stderr when it was created.
pub fn store_key(store: &Store) -> Result<StoreKey> {
    let path = store.layout().keys().join(KEY_FILE);
    let comment = format!("entitle store {}", store.info().store_id);
    let (key, created) = StoreKey::load_or_create(&path, &comment)
        .with_context(|| format!("the store's signing key {}", path.display()))?;
    if created {
        eprintln!(
            "entitle: created the store's signing key {} ({})",
            path.display(),
            key.fingerprint()
        );
    }
    Ok(key)
}

pub fn show(cli: &Cli) -> Result<ExitCode> {
    let store = request::open(cli, Open::MustExist, "entitle key show")?;
    let key = store_key(&store)?;
    println!("{}", key.public_key_openssh());
    println!("fingerprint {}", key.fingerprint());
    println!("store id    {}", store.info().store_id);
    Ok(ExitCode::SUCCESS)
}
