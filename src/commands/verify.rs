//! `entitle verify`

use std::process::ExitCode;

use anyhow::Result;
use entitle_core::chain;
use entitle_store::Open;

use crate::cli::Cli;
use crate::request;

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let store = request::open(cli, Open::Inspect, "entitle verify")?;
    let report = store.verify()?;
    if report.is_intact() {
        println!(
            "intact: {} events, chain head {}",
            report.events,
            chain::to_hex(&report.head_hash)
        );
        if report.documents > 0 {
            println!(
                "{} archived documents re-hashed: all match",
                report.documents
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    match report.problems[0].seq {
        Some(seq) => println!("NOT intact: first bad event #{seq}"),
        None => println!("NOT intact"),
    }
    for p in &report.problems {
        println!("  {}", p.what);
    }
    Ok(ExitCode::from(1))
}
