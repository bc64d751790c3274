//! `entitle cancel`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::record::{Cancel, Write};

use crate::cli::{CancelArgs, Cli};

pub fn run(cli: &Cli, a: &CancelArgs) -> Result<ExitCode> {
    let write = Write::Cancel(Cancel {
        license: a.id.clone(),
    });
    super::record(cli, "entitle cancel", &write, &a.common)
}
