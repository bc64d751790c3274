//! `entitle inventory import`: installations and host facts from a CSV
//! export, all or nothing (see `entitle_app::import::inventory`).

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::import::{InventoryImport, SheetOptions, Target};

use crate::cli::{Cli, InventoryImportArgs};
use crate::progress::Bar;
use crate::{output, request};

pub fn import(cli: &Cli, a: &InventoryImportArgs) -> Result<ExitCode> {
    let req = InventoryImport {
        file: a.file.clone(),
        date: a.date.clone(),
        snapshot: a.snapshot,
        sheet: SheetOptions {
            map: a.map.clone(),
            again: a.again,
            ..SheetOptions::default()
        },
        dry_run: a.dry_run,
    };
    let target = Target::At {
        path: request::store_path(cli)?,
        purpose: "entitle inventory import".into(),
        wait: std::time::Duration::from_secs(cli.wait),
    };
    let bar = Bar::new(a.json);
    let ctx = request::context(cli);
    let done = entitle_app::import::inventory(target, &ctx, &req, &bar)?;
    request::show_notices(&done.notices);
    if let Some(e) = done.refusal() {
        return Err(e.into());
    }
    if a.json {
        output::json(&done)?;
        return Ok(ExitCode::SUCCESS);
    }
    let what = format!(
        "{} installation(s) new or changed, {} removed, facts of {} host(s), {} sighting(s)",
        done.installed, done.uninstalled, done.facts, done.sightings
    );
    if done.dry_run {
        println!(
            "{}: {} rows on {} hosts valid; would record {what} (dry run: nothing was recorded)",
            done.file, done.rows, done.hosts
        );
    } else {
        println!(
            "recorded from {} ({} rows on {} hosts): {what}: #{}..#{}",
            done.file,
            done.rows,
            done.hosts,
            done.first_seq.unwrap_or_default(),
            done.last_seq.unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
