//! `entitle rebuild`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::Open;

use crate::cli::Cli;
use crate::progress::Bar;
use crate::request;

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let mut store = request::open(cli, Open::MustExist, "entitle rebuild")?;
    let r = entitle_app::maintenance::rebuild(&mut store, &Bar::new(false))?;
    println!(
        "rebuilt derived state from {} events, chain head {}",
        r.events, r.head
    );
    Ok(ExitCode::SUCCESS)
}
