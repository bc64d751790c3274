//! `entitle export`

use entitle_app::Scope;
use std::io::{self, BufWriter, Write as _};
use std::process::ExitCode;

use anyhow::Result;
use entitle_app::Open;

use crate::cli::Cli;
use crate::remote::Remote;
use crate::request;

pub fn run(cli: &Cli) -> Result<ExitCode> {
    if let Some(remote) = Remote::from_cli(cli)? {
        let bytes = remote.get_bytes("/api/v1/export", &[])?;
        io::stdout().lock().write_all(&bytes)?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = request::open(cli, Open::MustExist, "entitle export")?;
    let mut out = BufWriter::new(io::stdout().lock());
    entitle_app::maintenance::export(&store, &Scope::All, &mut out)?;
    Ok(ExitCode::SUCCESS)
}
