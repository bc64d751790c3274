//! `entitle usage record`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::record::{Common, Usage, Write};

use crate::cli::{Cli, UsageRecordArgs};

pub fn record(cli: &Cli, a: &UsageRecordArgs) -> Result<ExitCode> {
    let write = Write::Usage(Usage {
        vendor: a.vendor.clone(),
        product: a.product.clone(),
        metric: a.metric.clone(),
        count: a.count.clone(),
        date: a.date.clone(),
        source: a.source.clone(),
    });
    let common = Common {
        effective: None,
        note: a.note.clone(),
    };
    super::record_plain(cli, "entitle usage record", &write, &common, a.json)
}
