//! `entitle export`

use entitle_app::Scope;
use std::io::{self, BufWriter};
use std::process::ExitCode;

use anyhow::Result;
use entitle_app::Open;

use crate::cli::Cli;
use crate::request;

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let store = request::open(cli, Open::MustExist, "entitle export")?;
    let mut out = BufWriter::new(io::stdout().lock());
    entitle_app::maintenance::export(&store, &Scope::All, &mut out)?;
    Ok(ExitCode::SUCCESS)
}
