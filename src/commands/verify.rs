//! `entitle verify`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::maintenance::Verification;
use entitle_app::Open;

use crate::cli::Cli;
use crate::progress::Bar;
use crate::remote::Remote;
use crate::request;

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let v: Verification = match Remote::from_cli(cli)? {
        Some(remote) => remote.get("/api/v1/verify", &[])?,
        None => {
            let store = request::open(cli, Open::Inspect, "entitle verify")?;
            entitle_app::maintenance::verify(&store, &Bar::new(false))?
        }
    };
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
