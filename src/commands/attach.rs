//! `entitle attach`: archive documents and bind them to a license or a
//! vendor.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use entitle_app::record::{Attach, Attached, Source};
use entitle_app::Open;

use crate::cli::{AttachArgs, Cli};
use crate::output;
use crate::progress::Bar;
use crate::request;

pub fn run(cli: &Cli, a: &AttachArgs) -> Result<ExitCode> {
    // With --vendor every argument is a file; else the first is the license.
    let (license, files) = match &a.vendor {
        Some(_) => (None, &a.args[..]),
        None => {
            let id = a.args[0].trim();
            if a.args.len() == 1 {
                if Path::new(id).exists() {
                    bail!("{id} is a file: name the license first (entitle attach L-0001 {id}), or bind it to a vendor with --vendor");
                }
                bail!("give the files to attach after the license id {id}");
            }
            (Some(id.to_owned()), &a.args[1..])
        }
    };
    let req = Attach {
        license,
        vendor: a.vendor.clone(),
        kind: a.kind.clone(),
        note: a.note.clone(),
    };
    let paths: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
    entitle_app::record::check_files(&paths)?;
    let sources = paths.into_iter().map(Source::Path).collect();
    let mut store = request::open(cli, Open::MustExist, "entitle attach")?;
    let ctx = request::context(cli);
    let result = entitle_app::record::attach(&mut store, &ctx, &req, sources, &Bar::new(a.json))?;
    if a.json {
        output::json(&result)?;
    } else {
        print_attached(&result.documents, &result.to);
    }
    Ok(ExitCode::SUCCESS)
}

/// One line per attached document, with whether its text is searchable.
pub fn print_attached(documents: &[Attached], to: &str) {
    for d in documents {
        let status = match (d.characters, &d.not_searchable_reason) {
            (Some(n), _) => format!("searchable ({n} characters)"),
            (None, Some(why)) => format!("stored, not searchable: {why}"),
            (None, None) => "stored".to_owned(),
        };
        println!(
            "attached {} to {to}: {} ({} bytes{}); {status}",
            d.filename,
            &d.hash[..16],
            d.size,
            if d.new { "" } else { ", already archived" }
        );
    }
}
