//! `entitle adjust`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::record::{Adjust, Write};

use crate::cli::{AdjustArgs, Cli};

pub fn run(cli: &Cli, a: &AdjustArgs) -> Result<ExitCode> {
    let write = Write::Adjust(Adjust {
        license: a.id.clone(),
        qty: a.qty.clone(),
        cost: a.cost.clone(),
        currency: a.currency.clone(),
    });
    super::record(cli, "entitle adjust", &write, &a.common)
}
