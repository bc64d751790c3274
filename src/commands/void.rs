//! `entitle void`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::record::{Common, Void, Write};

use crate::cli::{Cli, VoidArgs};

pub fn run(cli: &Cli, a: &VoidArgs) -> Result<ExitCode> {
    let write = Write::Void(Void { seq: a.seq.clone() });
    let common = Common {
        effective: None,
        note: a.note.clone(),
    };
    super::record_plain(cli, "entitle void", &write, &common, a.json)
}
