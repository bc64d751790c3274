//! Verifying a pack: its sums, the checkpoint's signature, the chain up to
//! the signed head, optionally that it extends an older checkpoint, the
//! CSV files re-computed from the disclosed events, and every document
//! against the hash its event recorded. A pack that fails is a result
//! naming each failure, not an error.

use std::path::{Path, PathBuf};

use entitle_core::chain::to_hex;
use entitle_core::Record;
use entitle_pack::{
    verify_chain, Checkpoint, Pack, TrustedSigner, ALLOWED_SIGNERS_FILE, CHECKPOINT_FILE,
    CHECKPOINT_NAMESPACE, EVENTS_FILE, SIGNATURE_FILE, SUMS_FILE,
};
use jiff::civil::Date;
use serde::Serialize;

use super::disclose::display_vendor;
use super::documents::{check_documents, Documents};
use super::fold::Derived;
use super::report::{texts, Facts};
use super::{
    read_checkpoint, Layout, SinceRef, FORMAT_FILE, LICENSES_FILE, POSITION_FILE, REPORT_HTML,
    REPORT_MD, SINCE_FILE, USAGE_FILE, VERIFY_MD, VERIFY_PY,
};
use crate::error::{Error, ErrorKind, Result};
use crate::progress::{Progress, Stage, Unit};

/// A pack to verify, as the user named it.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest {
    /// The pack: a directory, `.zip` or `.tar`.
    pub pack: PathBuf,
    /// An older checkpoint file whose seq and hash must lie on the pack's
    /// chain.
    pub since: Option<PathBuf>,
    /// The key the checkpoint must be signed with, as the auditor was
    /// given it: a `SHA256:…` fingerprint, or a file with the public key
    /// (what `key` reports, a `.pub` file or an `allowed_signers` file).
    /// None trusts the pack's own `allowed_signers`.
    pub signer: Option<String>,
}

/// What [`verify_pack`] found.
#[derive(Debug, Clone, Serialize)]
pub struct PackVerification {
    /// The pack as it was named.
    pub pack: PathBuf,
    /// Whether every check passed.
    pub verified: bool,
    /// The fingerprint of the key that made the checkpoint's signature,
    /// whether or not it holds (none when there is no readable signature).
    pub signed_by: Option<String>,
    /// Whether the signature was checked against the signer given (else
    /// against the pack's own `allowed_signers`, which shows only that the
    /// pack agrees with itself).
    pub signer_given: bool,
    /// Whether the signature covers the reports, `VERIFY.md` and
    /// `verify_chain.py` (format 2, whose v2 checkpoint pins
    /// `BLAKE3SUMS`). False for a format-1 pack: its signature covers the
    /// checkpoint only, so its reports are the packer's word, not signed
    /// evidence (its CSV files are still re-computed from the signed
    /// chain).
    pub reports_signed: bool,
    /// The checks made, in order; a check that could not be made because
    /// an earlier one failed is left out.
    pub checks: Vec<Check>,
}

/// One check of a pack.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked: `format`, `files`, `checkpoint`, `signature`,
    /// `chain`, `since`, `since-checkpoint`, `records`, `position`,
    /// `documents` or `reports`.
    pub name: &'static str,
    /// Whether it holds.
    pub passed: bool,
    /// The field of the request it concerns (`since`), if any.
    pub field: Option<&'static str>,
    /// What was found: for a passed check, what holds (none when there is
    /// nothing to add); for a failed one, each failure, naming the file.
    pub details: Vec<String>,
}

impl Check {
    fn passed(name: &'static str, details: Vec<String>) -> Self {
        Check {
            name,
            passed: true,
            field: None,
            details,
        }
    }

    fn failed(name: &'static str, details: Vec<String>) -> Self {
        Check {
            name,
            passed: false,
            field: None,
            details,
        }
    }

    fn of(name: &'static str, result: std::result::Result<String, Vec<String>>) -> Self {
        match result {
            Ok(note) => Check::passed(name, vec![note]),
            Err(failures) => Check::failed(name, failures),
        }
    }
}

/// Verifies a pack: `BLAKE3SUMS` against the files (none missing, altered
/// or extra), the checkpoint's signature against the signer given (else
/// against the pack's own `allowed_signers`, which anyone who re-signs a
/// pack writes too), the chain of `events.jsonl` up to the signed head,
/// with `since` that it extends the older checkpoint, the CSV files
/// against the re-fold of the disclosed events, and each document against
/// the hash its event recorded.
///
/// # Errors
///
/// When `since` cannot be read or is not a checkpoint (field `since`),
/// `signer` is no fingerprint or a file without a public key (field
/// `signer`), or
/// the pack cannot be opened or is not a pack at all (field `pack`). A
/// pack that opens but fails a check is an `Ok` with `verified` false.
pub fn verify_pack(request: &VerifyRequest, progress: &dyn Progress) -> Result<PackVerification> {
    let since = request.since.as_deref().map(read_checkpoint).transpose()?;
    let signer = request.signer.as_deref().map(read_signer).transpose()?;
    let pack = Pack::open(&request.pack).map_err(|e| Error::from(e).at("pack"))?;
    let stage = Stage::new(progress, "verifying the pack", Some(6), Unit::Files);
    let mut checks = Vec::new();

    let layout = Layout::of(pack.get(FORMAT_FILE));
    checks.push(Check::of(
        "format",
        layout.as_ref().map(|l| match l {
            Layout::V1 => "pack format 1 (made by an older entitle: its CSV files have no byte order mark and no formula guard)".to_owned(),
            other => format!("pack format {}", other.number()),
        }).map_err(|e| vec![e.clone()]),
    ));

    let text = |name: &str| -> std::result::Result<&str, String> {
        let bytes = pack
            .get(name)
            .ok_or_else(|| format!("{name}: missing from the pack"))?;
        std::str::from_utf8(bytes).map_err(|_| format!("{name}: not UTF-8"))
    };
    let checkpoint = text(CHECKPOINT_FILE)
        .and_then(|t| Checkpoint::parse(t).map_err(|e| format!("{CHECKPOINT_FILE}: {e}")));
    // A v2 checkpoint pins BLAKE3SUMS, which cannot list it.
    let unlisted: &[&str] = match &checkpoint {
        Ok(cp) if cp.sums.is_some() => &[CHECKPOINT_FILE, SIGNATURE_FILE],
        _ => &[],
    };

    checks.push(match pack.check_sums_except(unlisted) {
        Ok(report) if report.is_ok() => Check::passed(
            "files",
            vec![format!("{} match {SUMS_FILE}", report.ok.len())],
        ),
        Ok(report) => Check::failed("files", report.problems()),
        Err(e) => Check::failed("files", vec![format!("{SUMS_FILE}: {e}")]),
    });
    stage.advance(1);

    let checkpoint = match checkpoint {
        Ok(cp) => {
            checks.push(Check::of(
                "checkpoint",
                matches_format(layout.as_ref().ok(), &cp).and_then(|()| covers(&pack, &cp)),
            ));
            Some(cp)
        }
        Err(e) => {
            checks.push(Check::failed("checkpoint", vec![e]));
            None
        }
    };

    let reports_signed =
        layout == Ok(Layout::V2) && checkpoint.as_ref().is_some_and(|cp| cp.sums.is_some());
    let signed_by = text(SIGNATURE_FILE)
        .ok()
        .and_then(|sig| entitle_pack::signing_key(sig).ok());
    if let Some(cp) = &checkpoint {
        let message = pack.get(CHECKPOINT_FILE).unwrap_or_default();
        let checked = match &signer {
            Some(trusted) => text(SIGNATURE_FILE).and_then(|sig| {
                entitle_pack::verify_by(trusted, &cp.store, CHECKPOINT_NAMESPACE, sig, message)
                    .map_err(|e| format!("{SIGNATURE_FILE}: {e}"))
            }),
            None => text(ALLOWED_SIGNERS_FILE).and_then(|allowed| {
                let sig = text(SIGNATURE_FILE)?;
                entitle_pack::verify(allowed, &cp.store, CHECKPOINT_NAMESPACE, sig, message)
                    .map_err(|e| format!("{SIGNATURE_FILE}: {e}"))
            }),
        };
        checks.push(Check::of(
            "signature",
            checked
                .map(|v| {
                    format!(
                        "checkpoint signed by store {} with key {}",
                        v.identity, v.fingerprint
                    )
                })
                .map_err(|e| vec![e]),
        ));
    }
    stage.advance(1);

    let chain = match pack.get(EVENTS_FILE) {
        None => {
            checks.push(Check::failed(
                "chain",
                vec![format!("{EVENTS_FILE}: missing from the pack")],
            ));
            None
        }
        Some(bytes) => match verify_chain(bytes) {
            Ok(report) => Some(report),
            Err(list) => {
                checks.push(Check::failed(
                    "chain",
                    list.iter().map(|f| format!("{EVENTS_FILE} {f}")).collect(),
                ));
                None
            }
        },
    };
    // Without a checkpoint there is nothing to hold the chain against: the
    // check cannot be made, so it is left out (the checkpoint failed).
    if let (Some(report), Some(cp)) = (&chain, &checkpoint) {
        checks.push(Check::of(
            "chain",
            match report.check_head(cp.seq, &cp.hash) {
                Ok(()) => Ok(format!(
                    "{} events ({} disclosed) lead to the signed head #{} {}",
                    report.head_seq,
                    report.disclosed.len(),
                    cp.seq,
                    to_hex(&cp.hash)
                )),
                Err(e) => Err(vec![format!("{EVENTS_FILE}: {e}")]),
            },
        ));
    }
    stage.advance(1);

    if let Some(old) = &since {
        let result = match &chain {
            None => Err(vec![
                "cannot be checked without a valid events.jsonl".to_owned()
            ]),
            Some(_) if checkpoint.as_ref().is_some_and(|cp| cp.store != old.store) => {
                Err(vec![format!(
                    "the old checkpoint is of store {}, the pack of another store",
                    old.store
                )])
            }
            Some(report) => match report.extends(old.seq, &old.hash) {
                Ok(()) => Ok(format!(
                    "the log extends the old checkpoint #{} {}",
                    old.seq,
                    to_hex(&old.hash)
                )),
                Err(e) => Err(vec![e.to_string()]),
            },
        };
        let mut check = Check::of("since", result);
        if !check.passed {
            check.field = Some("since");
        }
        checks.push(check);
    }
    stage.advance(1);

    // The older checkpoint the pack says it was checked against when made:
    // checked again, as `--since` is.
    if let Some(bytes) = pack.get(SINCE_FILE) {
        let result = std::str::from_utf8(bytes)
            .map_err(|_| "not UTF-8".to_owned())
            .and_then(SinceRef::parse)
            .map_err(|e| vec![format!("{SINCE_FILE}: {e}")]);
        let result = match (result, &chain) {
            (Err(e), _) => Some(Err(e)),
            // Cannot be checked without a valid chain, which failed already.
            (Ok(_), None) => None,
            (Ok(old), Some(_)) if checkpoint.as_ref().is_some_and(|cp| cp.store != old.store) => {
                Some(Err(vec![format!(
                    "{SINCE_FILE}: the old checkpoint is of store {}, the pack of another store",
                    old.store
                )]))
            }
            (Ok(old), Some(report)) => Some(match report.extends(old.seq, &old.hash) {
                Ok(()) => Ok(format!(
                    "the log extends the checkpoint #{} {} it was checked against when made",
                    old.seq,
                    to_hex(&old.hash)
                )),
                Err(e) => Err(vec![format!("{SINCE_FILE}: {e}")]),
            }),
        };
        if let Some(result) = result {
            checks.push(Check::of("since-checkpoint", result));
        }
    }

    if let (Some(report), Some(cp), Ok(layout)) = (&chain, &checkpoint, layout) {
        let (records, unreadable) = disclosed_records(&report.disclosed);
        if unreadable.is_empty() {
            checks.push(Check::of(
                "position",
                check_derived(layout, &pack, &records, cp.seq),
            ));
            stage.advance(1);
            checks.push(Check::of(
                "documents",
                check_documents(&pack, &records, cp.seq),
            ));
            if layout != Layout::V1 {
                checks.push(Check::of(
                    "reports",
                    check_texts(layout, &pack, &records, cp, signed_by.as_deref()),
                ));
            }
        } else {
            checks.push(Check::failed("records", unreadable));
        }
    }

    Ok(PackVerification {
        pack: request.pack.clone(),
        verified: checks.iter().all(|c| c.passed),
        signed_by,
        signer_given: signer.is_some(),
        reports_signed,
        checks,
    })
}

/// A pack's checkpoint must be of its format's version: a format-2 pack
/// (with `FORMAT`) has a v2 checkpoint, a format-1 pack (without) a v1
/// one. Mixed, a v1 checkpoint's signature, which covers nothing but the
/// checkpoint, could vouch for reports it never saw.
fn matches_format(
    layout: Option<&Layout>,
    cp: &Checkpoint,
) -> std::result::Result<(), Vec<String>> {
    match (layout, cp.sums.is_some()) {
        (Some(Layout::V2), false) => Err(vec![format!(
            "{CHECKPOINT_FILE}: a v1 checkpoint in a pack of format 2 ({FORMAT_FILE} says so): \
             format 2 is signed by a v2 checkpoint that pins {SUMS_FILE}; a v1 checkpoint's \
             signature covers none of the other files"
        )]),
        (Some(Layout::V1), true) => Err(vec![format!(
            "{CHECKPOINT_FILE}: a v2 checkpoint in a pack without {FORMAT_FILE} (format 1): \
             format 1 has only v1 checkpoints, so {FORMAT_FILE} was removed or the checkpoint replaced"
        )]),
        _ => Ok(()),
    }
}

/// What the signed checkpoint covers: a v2 checkpoint pins `BLAKE3SUMS`
/// (and so every file it lists); a v1 checkpoint only itself.
fn covers(pack: &Pack, cp: &Checkpoint) -> std::result::Result<String, Vec<String>> {
    let Some(want) = cp.sums else {
        return Ok(format!(
            "v1: the signature covers the checkpoint only, not {SUMS_FILE} (a pack made by an older entitle)"
        ));
    };
    let have = blake3::hash(pack.get(SUMS_FILE).unwrap_or_default());
    if have.as_bytes() == &want {
        Ok(format!(
            "v2: it pins {SUMS_FILE}, so the signature covers every file"
        ))
    } else {
        Err(vec![format!(
            "{SUMS_FILE}: its BLAKE3 is {}, the signed checkpoint names {}",
            have.to_hex(),
            to_hex(&want)
        )])
    }
}

/// Re-derives the reports, `VERIFY.md` and `verify_chain.py` from the
/// disclosed events and the checkpoint, and holds the pack's against them
/// byte for byte.
fn check_texts(
    layout: Layout,
    pack: &Pack,
    records: &[Record],
    cp: &Checkpoint,
    signed_by: Option<&str>,
) -> std::result::Result<String, Vec<String>> {
    let names = [REPORT_MD, REPORT_HTML, VERIFY_MD, VERIFY_PY].join(", ");
    let as_of = pack_as_of(pack).ok_or_else(|| {
        vec![format!(
            "{names}: cannot be re-derived: {POSITION_FILE} does not name the as-of date"
        )]
    })?;
    let fingerprint = signed_by.ok_or_else(|| {
        vec![format!(
            "{names}: cannot be re-derived without a readable {SIGNATURE_FILE}"
        )]
    })?;
    let vendor = display_vendor(records).unwrap_or_default();
    let since = match pack.get(SINCE_FILE) {
        None => None,
        Some(bytes) => Some(
            std::str::from_utf8(bytes)
                .map_err(|_| "not UTF-8".to_owned())
                .and_then(SinceRef::parse)
                .map_err(|e| vec![format!("{SINCE_FILE}: {e}")])?,
        ),
    };
    let derived = Derived::fold(layout, records, as_of, cp.seq)
        .map_err(|e| vec![format!("{EVENTS_FILE}: {e}")])?;
    let documents = Documents::of(records, cp.seq);
    let facts = Facts {
        vendor: &vendor,
        as_of,
        known: cp.seq,
        head: &cp.hash,
        store_id: &cp.store,
        fingerprint: fingerprint.to_owned(),
        events: cp.seq,
        disclosed: records.len(),
        since,
        documents: documents.packed.len(),
    };
    let mut failures = Vec::new();
    for (name, want) in texts(&facts, records, &derived, &documents) {
        match pack.get(name) {
            None => failures.push(format!("{name}: missing from the pack")),
            Some(have) if have == want.as_slice() => {}
            Some(_) => failures.push(format!(
                "{name}: is not what the disclosed events and the signed checkpoint produce"
            )),
        }
    }
    if failures.is_empty() {
        Ok(format!("{names} re-derived from the disclosed events"))
    } else {
        Err(failures)
    }
}

/// The as-of date of a pack: the first field of `position.csv`'s first
/// row.
fn pack_as_of(pack: &Pack) -> Option<Date> {
    let position = String::from_utf8_lossy(pack.get(POSITION_FILE)?);
    let first = position.split("\r\n").nth(1)?;
    first.split(',').next()?.parse::<Date>().ok()
}

/// The signer as given: a fingerprint, or a file holding public keys.
pub(crate) fn read_signer(value: &str) -> Result<TrustedSigner> {
    let t = value.trim();
    if t.starts_with("SHA256:") {
        return TrustedSigner::parse(t).map_err(|_| {
            Error::invalid(
                "signer",
                value,
                "is not a fingerprint (SHA256: and 43 base64 characters)",
            )
        });
    }
    let path = Path::new(t);
    let text = std::fs::read_to_string(path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorKind::NotFound
        } else {
            ErrorKind::Io
        };
        Error::about(
            kind,
            "signer",
            format!("cannot read {}: {e}", path.display()),
        )
        .hint("give the key file or the SHA256 fingerprint the store's owner registered with you")
    })?;
    TrustedSigner::parse(&text).map_err(|e| {
        Error::about(ErrorKind::BadInput, "signer", e.to_string())
            .valued(path.display().to_string())
    })
}

/// Reads the disclosed records; every one that is not a record of its seq
/// is a failure.
fn disclosed_records(disclosed: &[(u64, String)]) -> (Vec<Record>, Vec<String>) {
    let mut failures = Vec::new();
    let mut records = Vec::new();
    for (seq, text) in disclosed {
        match Record::from_bytes(text.as_bytes()) {
            Ok(r) if r.seq == *seq => records.push(r),
            Ok(r) => failures.push(format!(
                "{EVENTS_FILE}: the record on seq {seq} says it is event #{}",
                r.seq
            )),
            Err(e) => failures.push(format!("{EVENTS_FILE}: seq {seq}: not a record: {e}")),
        }
    }
    (records, failures)
}

/// Re-folds the disclosed records and holds the CSV files against them.
fn check_derived(
    layout: Layout,
    pack: &Pack,
    records: &[Record],
    known: u64,
) -> std::result::Result<String, Vec<String>> {
    let mut failures = Vec::new();
    let Some(position) = pack.get(POSITION_FILE) else {
        failures.push(format!("{POSITION_FILE}: missing from the pack"));
        return Err(failures);
    };
    let position = String::from_utf8_lossy(position);
    let first = position.split("\r\n").nth(1).unwrap_or("");
    let mut fields = first.split(',');
    let as_of = fields.next().and_then(|d| d.parse::<Date>().ok());
    let pack_known = fields.next().and_then(|n| n.parse::<u64>().ok());
    let Some(as_of) = as_of else {
        failures.push(format!(
            "{POSITION_FILE}: the first row does not start with the as-of date"
        ));
        return Err(failures);
    };
    if pack_known != Some(known) {
        failures.push(format!(
            "{POSITION_FILE}: known_at_seq is not the signed checkpoint's seq {known}"
        ));
    }
    if !failures.is_empty() {
        return Err(failures);
    }
    let derived = match Derived::fold(layout, records, as_of, known) {
        Ok(d) => d,
        Err(e) => return Err(vec![format!("{EVENTS_FILE}: {e}")]),
    };
    for (name, want) in [
        (POSITION_FILE, &derived.position_csv),
        (LICENSES_FILE, &derived.licenses_csv),
        (USAGE_FILE, &derived.usage_csv),
    ] {
        match pack.get(name) {
            None => failures.push(format!("{name}: missing from the pack")),
            Some(have) if have == want.as_slice() => {}
            Some(_) => failures.push(format!(
                "{name}: is not what the disclosed events produce as of {as_of}, known at #{known}"
            )),
        }
    }
    if failures.is_empty() {
        Ok(format!(
            "{} rows as of {as_of} re-computed from the {} disclosed events",
            derived.position.len(),
            records.len()
        ))
    } else {
        Err(failures)
    }
}
