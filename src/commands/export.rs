//! `entitle export`

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Result;
use entitle_store::Open;

use crate::cli::Cli;
use crate::request;

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let store = request::open(cli, Open::MustExist, "entitle export")?;
    let mut out = BufWriter::new(io::stdout().lock());
    store.export(&mut out, u64::MAX, &mut |_, _| true)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
