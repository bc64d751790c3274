//! `entitle usage import`: usage counts from a CSV file, all or nothing
//! (see `entitle_app::import`).

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::import::{SheetOptions, UsageImport, UsageImported};

use crate::cli::{Cli, UsageImportArgs};
use crate::progress::Bar;
use crate::remote::{Remote, SheetFlags};
use crate::{output, request};

pub fn run(cli: &Cli, a: &UsageImportArgs) -> Result<ExitCode> {
    let req = UsageImport {
        file: a.file.clone(),
        source: a.source.clone(),
        sheet: SheetOptions {
            map: a.map.clone(),
            again: a.again,
            ..SheetOptions::default()
        },
        dry_run: a.dry_run,
    };
    let done = match Remote::from_cli(cli)? {
        Some(remote) => remote.post_sheet::<UsageImported>(
            "/api/v1/imports/usage",
            &a.file,
            SheetFlags {
                map: a.map.clone(),
                again: a.again,
                dry_run: a.dry_run,
            },
            &[("source", a.source.clone())],
        )?,
        None => {
            let target = request::target(cli, "entitle usage import")?;
            let bar = Bar::new(a.json);
            let ctx = request::context(cli);
            entitle_app::import::usage(target, &ctx, &req, &bar)?
        }
    };
    request::show_notices(&done.notices);
    if let Some(e) = done.refusal() {
        return Err(e.into());
    }
    let rows = done.rows;
    if a.json {
        output::json(&done)?;
    } else if done.dry_run {
        println!(
            "{}: {rows} row{} valid; would record {rows} usage count{} (dry run: nothing was recorded)",
            done.file,
            if rows == 1 { " is" } else { "s are" },
            if rows == 1 { "" } else { "s" }
        );
    } else {
        println!(
            "recorded {rows} usage counts from {}: #{}..#{}",
            done.file,
            done.first_seq.unwrap_or_default(),
            done.last_seq.unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
