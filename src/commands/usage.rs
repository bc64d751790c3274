//! `entitle usage record`

use std::process::ExitCode;

use anyhow::Result;
use entitle_core::ledger::Draft;
use entitle_core::record::{Event, UsageRecorded};
use entitle_core::{InputError, Metric};

use crate::cli::{Cli, UsageRecordArgs};
use crate::request;

pub fn record(cli: &Cli, a: &UsageRecordArgs) -> Result<ExitCode> {
    let count = parse_count(&a.count)?;
    let draft = Draft {
        event: Event::UsageRecorded(UsageRecorded {
            vendor: a.vendor.clone(),
            product: a.product.clone(),
            metric: a.metric.parse::<Metric>()?,
            count,
            source: a.source.clone(),
        }),
        effective: Some(request::date("--date", &a.date)?),
        note: a.note.clone(),
    };
    super::record_one(cli, "entitle usage record", draft, a.json)
}

fn parse_count(text: &str) -> Result<u64, InputError> {
    let t = text.trim();
    match t.parse::<u64>() {
        Ok(n) => Ok(n),
        Err(_) if t.starts_with('-') && t[1..].parse::<u64>().is_ok() => {
            Err(InputError::CountNegative(text.to_owned()))
        }
        Err(_) => Err(InputError::CountNotANumber(text.to_owned())),
    }
}
