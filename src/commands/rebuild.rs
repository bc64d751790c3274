//! `entitle rebuild [--accept-log-head]`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::Open;

use crate::cli::{Cli, RebuildArgs};
use crate::output;
use crate::progress::Bar;
use crate::request;

pub fn run(cli: &Cli, args: &RebuildArgs) -> Result<ExitCode> {
    let bar = Bar::new(args.json);
    if args.accept_log_head {
        let mut store = request::open(cli, Open::Inspect, "entitle rebuild --accept-log-head")?;
        let a = entitle_app::maintenance::accept_log_head(&mut store, &bar)?;
        if args.json {
            output::json(&a)?;
            return Ok(ExitCode::SUCCESS);
        }
        let previous = match (a.previous_seq, &a.previous_head) {
            (Some(seq), Some(head)) => format!("#{seq} (chain head {head})"),
            _ => "no readable head".to_owned(),
        };
        println!(
            "accepted the log as it is: {} events, chain head {}; log/HEAD named {previous}",
            a.events, a.head
        );
        println!("recorded in {}", a.recorded_in);
        return Ok(ExitCode::SUCCESS);
    }
    let mut store = request::open(cli, Open::MustExist, "entitle rebuild")?;
    let r = entitle_app::maintenance::rebuild(&mut store, &bar)?;
    if args.json {
        output::json(&r)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "rebuilt derived state from {} events, chain head {}",
        r.events, r.head
    );
    Ok(ExitCode::SUCCESS)
}
