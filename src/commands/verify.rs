//! `entitle verify`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::Open;

use crate::cli::Cli;
use crate::progress::Bar;
use crate::request;

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let store = request::open(cli, Open::Inspect, "entitle verify")?;
    let v = entitle_app::maintenance::verify(&store, &Bar::new(false))?;
    if v.intact {
        println!("intact: {} events, chain head {}", v.events, v.head);
        if v.documents > 0 {
            println!("{} archived documents re-hashed: all match", v.documents);
        }
        return Ok(ExitCode::SUCCESS);
    }
    match v.first_bad_seq {
        Some(seq) => println!("NOT intact: first bad event #{seq}"),
        None => println!("NOT intact"),
    }
    for p in &v.problems {
        println!("  {p}");
    }
    Ok(ExitCode::from(1))
}
