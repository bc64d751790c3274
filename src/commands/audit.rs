//! `entitle audit-pack` and `entitle audit verify`: the evidence bundle for
//! one vendor's auditor, and its check (`entitle_app::audit` does both).

use entitle_app::Scope;
use std::process::ExitCode;

use anyhow::Result;
use entitle_app::audit::{PackBuilt, PackRequest, PackVerification, VerifyRequest};
use entitle_app::{Names as _, Open};

use crate::cli::{AuditPackArgs, AuditVerifyArgs, Cli, CliNames};
use crate::progress::Bar;
use crate::remote::Remote;
use crate::request;

pub fn pack(cli: &Cli, a: &AuditPackArgs) -> Result<ExitCode> {
    let req = PackRequest {
        vendor: a.vendor.clone(),
        as_of: a.as_of.clone(),
        known_at: a.known_at.clone(),
        out: a.out.clone(),
        force: a.force,
        since: a.since.clone(),
    };
    // A bad flag is refused before the store is opened (or waited for).
    req.check()?;
    let built = match Remote::from_cli(cli)? {
        Some(remote) => pack_remote(&remote, &req)?,
        None => {
            let store = request::open(cli, Open::MustExist, "entitle audit-pack")?;
            entitle_app::audit::build_pack(&store, &Scope::All, &req, &Bar::new(false))?
        }
    };
    println!(
        "wrote {} ({} files, {} documents): {}, as of {}, known at #{}; {} of {} events disclosed",
        built.path.display(),
        built.files,
        built.documents,
        built.vendor,
        built.as_of,
        built.known_at_seq,
        built.disclosed,
        built.known_at_seq,
    );
    println!(
        "checkpoint #{} {} signed by {}",
        built.known_at_seq, built.head, built.fingerprint
    );
    Ok(ExitCode::SUCCESS)
}

/// Builds the pack on the server and writes the zip it answers to
/// `--out` (a `.zip` file: the server sends one).
fn pack_remote(remote: &Remote, req: &PackRequest) -> Result<PackBuilt> {
    let zip = req
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if !zip {
        anyhow::bail!(
            "--out {}: through --server a pack is a .zip file; name one (e.g. pack.zip)",
            req.out.display()
        );
    }
    let since = req
        .since
        .as_deref()
        .map(|p| {
            std::fs::read_to_string(p).map_err(|e| {
                entitle_app::Error::about(
                    entitle_app::ErrorKind::Io,
                    "since",
                    format!("cannot read {}: {e}", p.display()),
                )
            })
        })
        .transpose()?;
    let body = serde_json::json!({
        "vendor": req.vendor, "as_of": req.as_of, "known_at": req.known_at, "since": since,
    });
    let response = remote.post_bytes(
        "/api/v1/audit-packs",
        &[],
        serde_json::to_vec(&body)?,
        "application/json",
    )?;
    let built = response
        .headers()
        .get("x-entitle-pack")
        .and_then(|v| serde_json::from_slice::<PackBuilt>(v.as_bytes()).ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the server answered a pack without saying what it built (a different version?)"
            )
        })?;
    let bytes = remote.bytes(response)?;
    entitle_app::files::write_atomically(&req.out, &bytes, req.force)?;
    Ok(PackBuilt {
        path: req.out.clone(),
        ..built
    })
}

pub fn verify(a: &AuditVerifyArgs) -> Result<ExitCode> {
    let req = VerifyRequest {
        pack: a.path.clone(),
        since: a.since.clone(),
        signer: a.signer.clone(),
    };
    let v = entitle_app::audit::verify_pack(&req, &Bar::new(false))?;
    print_verification(&v);
    Ok(if v.verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Who signed, and every note of a verified pack or every failure of one
/// that is not.
fn print_verification(v: &PackVerification) {
    let header = if v.verified {
        "verified"
    } else {
        "NOT verified"
    };
    println!("{header}: {}", v.pack.display());
    match (&v.signed_by, v.signer_given) {
        (Some(fp), true) => println!("  signed by {fp} (checked against --signer)"),
        (Some(fp), false) => println!(
            "  signed by {fp} (checked against the pack's own allowed_signers, not against a key \
             you were given: pass --signer with the key `entitle key show` printed for you)"
        ),
        (None, _) => println!("  signed by: unknown (no readable checkpoint.sig)"),
    }
    if !v.reports_signed {
        println!(
            "  not signed: report.md, report.html, VERIFY.md and verify_chain.py (the signature \
             does not cover them: a format-1 pack, or no valid v2 checkpoint); rely on the \
             checked events, CSV files and documents"
        );
    }
    if v.verified {
        for c in &v.checks {
            for d in &c.details {
                println!("  {}: {d}", c.name);
            }
        }
        return;
    }
    for c in v.checks.iter().filter(|c| !c.passed) {
        let label = c
            .field
            .map(|f| format!("{}: ", CliNames.field(f)))
            .unwrap_or_default();
        for d in &c.details {
            println!("  FAIL {label}{d}");
        }
    }
}
