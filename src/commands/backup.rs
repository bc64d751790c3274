//! `entitle backup DEST`, `entitle backup verify SRC`, `entitle restore SRC DIR`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::backup::{self, BackupRequest, RestoreRequest};
use entitle_app::config::{self, BackupSection};
use entitle_app::Open;

use crate::cli::{BackupArgs, BackupCommand, BackupVerifyArgs, Cli, RestoreArgs};
use crate::output;
use crate::progress::Bar;
use crate::request;

/// `[backup]` of the settings file: the store's, or `--config`.
fn settings(cli: &Cli, with_store: bool) -> Result<BackupSection> {
    if with_store {
        let store = request::store_path(cli)?;
        return Ok(config::load(&store, cli.config.as_deref())?.settings.backup);
    }
    Ok(match cli.config.as_deref() {
        Some(file) => config::load(file, Some(file))?.settings.backup,
        None => BackupSection::default(),
    })
}

pub fn run(cli: &Cli, args: &BackupArgs) -> Result<ExitCode> {
    if let Some(BackupCommand::Verify(v)) = &args.command {
        return verify(cli, v);
    }
    let dest_text = args.dest.clone().unwrap_or_default();
    if let Some(remote) = crate::remote::Remote::from_cli(cli)? {
        return through_server(&remote, args, dest_text);
    }
    let settings = settings(cli, true)?;
    let dest = backup::open_dest(&dest_text, &settings)?;
    let store = request::open(cli, Open::MustExist, "entitle backup")?;
    // A bar only where a person watches (Bar checks for a terminal): a
    // large first copy takes a while; cron and scripts see nothing.
    let bar = Bar::new(args.json || args.quiet);
    let request = BackupRequest {
        retain_days: args.retain_days.clone(),
        lock_mode: args.lock_mode.clone(),
        include_key: args.include_key,
    };
    let report = backup::backup(&store, dest.as_ref(), &request, &settings, &bar)?;
    show(args, &report)
}

/// `backup DEST` run by the server that holds the store (an admin's
/// token): DEST is on the server's machine, or a bucket; the server's
/// settings file gives its endpoint.
fn through_server(
    remote: &crate::remote::Remote,
    args: &BackupArgs,
    dest: String,
) -> Result<ExitCode> {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(flatten)]
        report: backup::BackupReport,
        notices: Vec<String>,
    }
    let body = serde_json::json!({
        "dest": dest,
        "retain_days": args.retain_days,
        "lock_mode": args.lock_mode,
        "include_key": args.include_key,
    });
    let answer: Answer = remote.post_json("/api/v1/backups", &[], &body)?;
    for n in &answer.notices {
        eprintln!("entitle: {n}");
    }
    show(args, &answer.report)
}

/// What a backup did, as `--json`, `-v` asks; nothing otherwise (cron).
fn show(args: &BackupArgs, report: &backup::BackupReport) -> Result<ExitCode> {
    if args.json {
        output::json(report)?;
    } else if args.verbose {
        match &report.manifest {
            Some(m) => println!(
                "backed up #{} (chain head {}) to {}: {} new objects ({} segments, {} documents, {} other), {} bytes; {} reused; manifest {m}",
                report.seq,
                &report.head[..16],
                report.dest,
                report.uploaded.objects,
                report.uploaded.segments,
                report.uploaded.blobs,
                report.uploaded.other,
                report.uploaded.bytes,
                report.reused,
            ),
            None => println!("{} is up to date at #{}", report.dest, report.seq),
        }
        println!("Object Lock: {}", report.object_lock);
        if let Some(r) = &report.retention {
            println!("retention: {r}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(cli: &Cli, args: &BackupVerifyArgs) -> Result<ExitCode> {
    let settings = settings(cli, false)?;
    let dest = backup::open_dest(&args.src, &settings)?;
    let signer = args
        .signer
        .as_deref()
        .map(backup::read_signer)
        .transpose()?;
    let check = backup::verify_copy(dest.as_ref(), signer.as_ref(), &Bar::new(args.json))?;
    if args.json {
        output::json(&check)?;
    } else if check.intact {
        println!(
            "intact: {} holds events #1..#{} (chain head {}) in {} segments, {} documents re-hashed",
            check.source,
            check.seq,
            check.head.as_deref().unwrap_or(""),
            check.segments,
            check.blobs
        );
        println!(
            "manifest {}: {}",
            check.manifest.as_deref().unwrap_or(""),
            check.signature
        );
    } else {
        println!("NOT intact: {}", check.source);
        for p in &check.problems {
            println!("  {p}");
        }
    }
    Ok(if check.intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn restore(cli: &Cli, args: &RestoreArgs) -> Result<ExitCode> {
    let settings = settings(cli, false)?;
    let dest = backup::open_dest(&args.src, &settings)?;
    let signer = args
        .signer
        .as_deref()
        .map(backup::read_signer)
        .transpose()?;
    let bar = Bar::new(args.json);
    let request = RestoreRequest {
        dir: args.dir.clone(),
        seq: args.seq.clone(),
    };
    let restored = backup::restore(dest.as_ref(), &request, signer.as_ref(), &bar)?;
    // Derived state: the projections are rebuilt on open, the index caught up.
    let store = entitle_app::store::open(&args.dir, Open::MustExist, "entitle restore")?;
    entitle_app::index::open(&store, &bar)?;
    if args.json {
        output::json(&restored)?;
    } else {
        println!(
            "restored {} events (chain head {}) and {} documents from {} ({}) into {}",
            restored.seq,
            &restored.head[..16],
            restored.blobs,
            args.src,
            restored.manifest,
            restored.store
        );
        println!("signature: {}", restored.signature);
    }
    Ok(ExitCode::SUCCESS)
}
