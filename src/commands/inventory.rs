//! `entitle inventory`: the hosts, their facts and their software on a
//! date as known at a moment; `entitle inventory import`: installations
//! and host facts from a CSV export, all or nothing (see
//! `entitle_app::import::inventory`).

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::import::{InventoryImport, InventoryImported, SheetOptions};
use entitle_app::query::{Inventory, InventoryRequest};
use entitle_app::{Open, Scope};

use crate::cli::{Cli, Format, InventoryArgs, InventoryImportArgs};
use crate::output::{Align, Table};
use crate::progress::Bar;
use crate::remote::{Remote, SheetFlags};
use crate::{output, request};

pub fn run(cli: &Cli, args: &InventoryArgs) -> Result<ExitCode> {
    let req = InventoryRequest {
        query: request::query(&args.query),
        host: args.host.clone(),
    };
    let inventory: Inventory = match Remote::from_cli(cli)? {
        Some(remote) => {
            let mut params = request::query_params(&req.query).to_vec();
            params.push(("host", req.host.clone()));
            remote.get("/api/v1/inventory", &params)?
        }
        None => {
            let store = request::open(cli, Open::MustExist, "entitle inventory")?;
            entitle_app::query::inventory(&store, &Scope::All, &req)?
        }
    };
    match args.query.output.format() {
        Format::Csv => super::sheet_out::write(Inventory::CSV_COLUMNS, &inventory.csv_rows())?,
        Format::Json => output::json(&inventory)?,
        Format::Table => print(&inventory)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Each host with its facts, its software as a table, then the editions
/// and versions in use.
fn print(inv: &Inventory) -> Result<()> {
    println!(
        "inventory as of {}, as known at #{}",
        inv.as_of, inv.known_at_seq
    );
    if inv.hosts.is_empty() {
        println!("(no hosts)");
        return Ok(());
    }
    let mut t = Table::new(&[
        ("HOST", Align::Left, true),
        ("VENDOR", Align::Left, true),
        ("PRODUCT", Align::Left, true),
        ("EDITION", Align::Left, true),
        ("VERSION", Align::Left, true),
        ("SINCE", Align::Left, false),
        ("SEQ", Align::Right, false),
    ]);
    for h in &inv.hosts {
        if h.software.is_empty() {
            t.row(vec![
                h.host.clone(),
                "-".into(),
                "(nothing installed)".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
        for s in &h.software {
            t.row(vec![
                h.host.clone(),
                s.vendor.clone(),
                s.product.clone(),
                s.edition.clone().unwrap_or_else(|| "-".into()),
                s.version.clone().unwrap_or_else(|| "-".into()),
                s.since.clone(),
                format!("#{}", s.seq),
            ]);
        }
    }
    t.print()?;
    println!();
    println!("hosts:");
    for h in &inv.hosts {
        let facts = h.summary.as_deref().unwrap_or("no facts recorded");
        let since = h
            .facts_date
            .as_deref()
            .map(|d| format!(" (facts of {d})"))
            .unwrap_or_default();
        let seen = h
            .last_seen
            .as_deref()
            .map(|d| format!(", last seen {d}"))
            .unwrap_or_default();
        println!("  {}: {facts}{since}{seen}", h.host);
    }
    if !inv.in_use.is_empty() {
        println!();
        println!("in use:");
        for u in &inv.in_use {
            let variant: Vec<&str> = [u.edition.as_deref(), u.version.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            let variant = if variant.is_empty() {
                String::new()
            } else {
                format!(" {}", variant.join(" "))
            };
            let hosts = if u.hosts == 1 { "host" } else { "hosts" };
            println!(
                "  {} / {}{variant}: {} {hosts}",
                u.vendor, u.product, u.hosts
            );
        }
    }
    Ok(())
}

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
    let done = match Remote::from_cli(cli)? {
        Some(remote) => remote.post_sheet::<InventoryImported>(
            "/api/v1/imports/inventory",
            &a.file,
            SheetFlags {
                map: a.map.clone(),
                again: a.again,
                dry_run: a.dry_run,
            },
            &[
                ("date", a.date.clone()),
                ("snapshot", a.snapshot.then(|| "true".to_owned())),
            ],
        )?,
        None => {
            let target = request::target(cli, "entitle inventory import")?;
            let bar = Bar::new(a.json);
            let ctx = request::context(cli);
            entitle_app::import::inventory(target, &ctx, &req, &bar)?
        }
    };
    request::show_notices(&done.notices);
    if let Some(e) = done.refusal() {
        return Err(e.into());
    }
    if a.json {
        output::json(&done)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut what = format!(
        "{} installation(s) new or changed, {} removed, facts of {} host(s), {} sighting(s)",
        done.installed, done.uninstalled, done.facts, done.sightings
    );
    if done.skipped > 0 {
        what.push_str(&format!(
            "; {} program(s) matched no licensed product and were skipped (--json lists them)",
            done.skipped
        ));
    }
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
