//! `entitle key show`: the store's checkpoint signing key, for the auditor.

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::{Open, Progress as _};

use crate::cli::Cli;
use crate::progress::Bar;
use crate::request;

pub fn show(cli: &Cli) -> Result<ExitCode> {
    let store = request::open(cli, Open::MustExist, "entitle key show")?;
    let key = entitle_app::audit::key(&store)?;
    if let Some(notice) = key.created_notice() {
        Bar::new(true).notice(&notice);
    }
    println!("{}", key.public_key);
    println!("fingerprint {}", key.fingerprint);
    println!("store id    {}", key.store_id);
    Ok(ExitCode::SUCCESS)
}
