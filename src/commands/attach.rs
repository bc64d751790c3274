//! `entitle attach`: archive documents and bind them to a license or a
//! vendor.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use entitle_app::archive::DocShow;
use entitle_app::record::{Attach, Attached, Source};
use entitle_app::Open;
use serde::Deserialize;

use crate::cli::{AttachArgs, Cli};
use crate::output;
use crate::progress::Bar;
use crate::remote::{segment, Remote};
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
    if let Some(remote) = Remote::from_cli(cli)? {
        return run_remote(&remote, &req, &paths, a.json);
    }
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
        print_line(
            &Uploaded {
                hash: d.hash.clone(),
                filename: d.filename.clone(),
                size: d.size,
                new: d.new,
                not_searchable_reason: d.not_searchable_reason.clone(),
            },
            d.characters,
            to,
        );
    }
}

/// A document as the upload route answers it (`attach --json`'s
/// `documents`), as far as its line needs it.
#[derive(Debug, Deserialize)]
struct Uploaded {
    hash: String,
    filename: String,
    size: u64,
    new: bool,
    not_searchable_reason: Option<String>,
}

/// The upload route's answer: `attach --json`.
#[derive(Debug, Deserialize)]
struct UploadAnswer {
    documents: Vec<Uploaded>,
}

fn print_line(d: &Uploaded, characters: Option<usize>, to: &str) {
    let status = match (characters, &d.not_searchable_reason) {
        (Some(n), _) => format!("searchable ({n} characters)"),
        (None, Some(why)) => format!("stored, not searchable: {why}"),
        (None, None) => "stored".to_owned(),
    };
    println!(
        "attached {} to {to}: {} ({} bytes{}); {status}",
        d.filename,
        d.hash.get(..16).unwrap_or(&d.hash),
        d.size,
        if d.new { "" } else { ", already archived" }
    );
}

/// Uploads the document to the server (`POST /api/v1/documents`, one
/// file per request and write) and prints what the local command prints.
/// More files than one are refused before any is sent: here they would
/// be several writes, not the one all-or-nothing write of the local
/// command.
fn run_remote(remote: &Remote, req: &Attach, paths: &[PathBuf], json: bool) -> Result<ExitCode> {
    let to = entitle_app::record::attach_target(req)?;
    let [path] = paths else {
        bail!(
            "through --server, attach one file per command (each upload is its own write, \
             so several could not be all or nothing): e.g. `entitle attach {} {}`, then the next",
            req.license.as_deref().unwrap_or("--vendor V"),
            paths
                .first()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    };
    let answer: serde_json::Value = remote.upload(
        "/api/v1/documents",
        &[
            ("license", req.license.clone()),
            ("vendor", req.vendor.clone()),
            ("kind", Some(req.kind.clone())),
            ("note", req.note.clone()),
        ],
        path,
    )?;
    if json {
        output::json(&answer)?;
        return Ok(ExitCode::SUCCESS);
    }
    let answer: UploadAnswer = serde_json::from_value(answer)
        .context("the server answered the upload with something this entitle does not understand (a different version?)")?;
    for d in &answer.documents {
        // How much text was indexed: the document's own answer says.
        let shown: DocShow = remote.get(&format!("/api/v1/documents/{}", segment(&d.hash)), &[])?;
        print_line(d, shown.characters, &to);
    }
    Ok(ExitCode::SUCCESS)
}
