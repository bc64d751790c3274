//! `entitle import licenses`: the license spreadsheet an SME already
//! keeps, one `purchased` per row, all or nothing (see
//! `entitle_app::import`).

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::import::{Licenses, LicensesImported, SheetOptions, WouldRecord};

use crate::cli::{Cli, ImportLicensesArgs};
use crate::output::{self, Align, Table};
use crate::progress::Bar;
use crate::remote::{Remote, SheetFlags};
use crate::request;

pub fn run(cli: &Cli, a: &ImportLicensesArgs) -> Result<ExitCode> {
    let req = Licenses {
        file: a.file.clone(),
        sheet: SheetOptions {
            map: a.map.clone(),
            date_format: Some(a.date_format.clone()),
            again: a.again,
            ..SheetOptions::default()
        },
        dry_run: a.dry_run,
    };
    let done = match Remote::from_cli(cli)? {
        Some(remote) => remote.post_sheet::<LicensesImported>(
            "/api/v1/imports/licenses",
            &a.file,
            SheetFlags {
                map: a.map.clone(),
                again: a.again,
                dry_run: a.dry_run,
            },
            &[("date_format", Some(a.date_format.clone()))],
        )?,
        None => {
            let target = request::target(cli, "entitle import licenses")?;
            let bar = Bar::new(a.json);
            let ctx = request::context(cli);
            entitle_app::import::licenses(target, &ctx, &req, &bar)?
        }
    };
    request::show_notices(&done.notices);
    if let Some(e) = done.refusal() {
        return Err(e.into());
    }
    if a.json {
        output::json(&done)?;
    } else if let Some(rows) = &done.would_record {
        print_rows(rows)?;
        println!(
            "{}: {} row(s) valid; would record {} purchase(s) (dry run: nothing was recorded)",
            done.file,
            rows.len(),
            rows.len()
        );
    } else {
        let ids = done.ids.as_deref().unwrap_or_default();
        println!(
            "recorded {} purchases from {}: #{}..#{} ({}..{})",
            done.rows,
            done.file,
            done.first_seq.unwrap_or_default(),
            done.last_seq.unwrap_or_default(),
            ids.first().map_or("", String::as_str),
            ids.last().map_or("", String::as_str)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_rows(rows: &[WouldRecord]) -> Result<()> {
    let mut t = Table::new(&[
        ("LINE", Align::Right, false),
        ("ID", Align::Left, false),
        ("VENDOR", Align::Left, true),
        ("PRODUCT", Align::Left, true),
        ("QTY", Align::Right, false),
        ("START", Align::Left, false),
        ("END", Align::Left, false),
        ("COST", Align::Right, false),
    ]);
    for r in rows {
        t.row(vec![
            r.line.to_string(),
            r.id.clone().unwrap_or_else(|| "-".into()),
            r.vendor.clone(),
            r.product.clone(),
            format!("{} {}", r.qty, r.metric),
            r.start.clone(),
            r.end.clone().unwrap_or_else(|| "-".into()),
            match (&r.cost, &r.currency) {
                (Some(c), Some(cur)) => format!("{c} {cur}"),
                _ => "-".into(),
            },
        ]);
    }
    t.print()
}
