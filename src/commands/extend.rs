//! `entitle extend`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::record::{Extend, Write};

use crate::cli::{Cli, ExtendArgs};

pub fn run(cli: &Cli, a: &ExtendArgs) -> Result<ExitCode> {
    let write = Write::Extend(Extend {
        license: a.id.clone(),
        until: a.until.clone(),
        qty: a.qty.clone(),
        cost: a.cost.clone(),
        currency: a.currency.clone(),
        renewal_months: a.renewal_months,
    });
    super::record(cli, "entitle extend", &write, &a.common)
}
