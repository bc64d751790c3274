//! `entitle verify [--against SRC]`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::maintenance::Verification;
use entitle_app::Open;

use crate::cli::{Cli, VerifyArgs};
use crate::output;
use crate::progress::Bar;
use crate::remote::Remote;
use crate::request;

pub fn run(cli: &Cli, args: &VerifyArgs) -> Result<ExitCode> {
    let mut against = None;
    let v: Verification = match Remote::from_cli(cli)? {
        Some(remote) => {
            if args.against.is_some() {
                anyhow::bail!("--against does not run through --server: run it on the machine that holds the store");
            }
            remote.get("/api/v1/verify", &[])?
        }
        None => {
            let store = request::open(cli, Open::Inspect, "entitle verify")?;
            let v = entitle_app::maintenance::verify(&store, &Bar::new(args.json))?;
            if let Some(src) = &args.against {
                let settings =
                    entitle_app::config::load(store.layout().root(), cli.config.as_deref())?
                        .settings
                        .backup;
                let dest = entitle_app::backup::open_dest(src, &settings)?;
                against = Some(entitle_app::backup::verify_against(&store, dest.as_ref())?);
            }
            v
        }
    };
    let extends = against.as_ref().is_none_or(|a| a.extends);
    if args.json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            verification: &'a Verification,
            #[serde(skip_serializing_if = "Option::is_none")]
            against: Option<&'a entitle_app::backup::Against>,
        }
        output::json(&Out {
            verification: &v,
            against: against.as_ref(),
        })?;
        return Ok(if v.intact && extends {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if v.intact {
        println!("intact: {} events, chain head {}", v.events, v.head);
        if v.documents > 0 {
            println!("{} archived documents re-hashed: all match", v.documents);
        }
    } else {
        match v.first_bad_seq {
            Some(seq) => println!("NOT intact: first bad event #{seq}"),
            None => println!("NOT intact"),
        }
        for p in &v.problems {
            println!("  {p}");
        }
    }
    if let Some(a) = &against {
        if a.extends {
            println!(
                "extends the backup {}: same events up to #{} (chain head {}), {} since",
                a.source,
                a.copy_seq,
                &a.copy_head[..16.min(a.copy_head.len())],
                a.local_seq - a.copy_seq
            );
        } else {
            println!("does NOT extend the backup {} ({}):", a.source, a.manifest);
            for p in &a.problems {
                println!("  {p}");
            }
        }
    }
    Ok(if v.intact && extends {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
