//! `entitle rebuild`

use std::process::ExitCode;

use anyhow::Result;
use entitle_core::chain;
use entitle_store::Open;

use crate::cli::Cli;
use crate::request;

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let mut store = request::open(cli, Open::MustExist, "entitle rebuild")?;
    let n = store.rebuild()?;
    println!(
        "rebuilt derived state from {n} events, chain head {}",
        chain::to_hex(&store.applied().head_hash)
    );
    Ok(ExitCode::SUCCESS)
}
