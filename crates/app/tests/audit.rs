//! Audit packs through the library, as any front-end makes them: a pack
//! built from a store made with the library, verified, caught when a file
//! is changed, and every refusal with its kind and field — no process
//! spawned.

use entitle_app::Scope;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use entitle_app::audit::{self, PackRequest, PackVerification, VerifyRequest};
use entitle_app::record::{self, Attach, Common, Documents, Purchase, Source, Usage, Write};
use entitle_app::{store, Action, Error, ErrorKind, Open, Silent, Store};
use tempfile::TempDir;

const CONTRACT: &[u8] = b"Rahmenvertrag Microsoft: 200 Nutzer, Laufzeit 2024";

fn write(store: &mut Store, w: Write) {
    record::record(
        store,
        &entitle_app::when::context("tester"),
        &w,
        &Common::default(),
        Documents::default(),
        &Silent,
    )
    .unwrap();
}

/// Microsoft with a license, a usage count and a contract; Oracle with a
/// license the Microsoft pack must not disclose.
fn company() -> (TempDir, Store) {
    let dir = TempDir::new().unwrap();
    let mut s = store::open(&dir.path().join("s"), Open::CreateIfMissing, "test").unwrap();
    write(
        &mut s,
        Write::Purchase(Purchase {
            id: Some("MS-365".into()),
            vendor: "Microsoft".into(),
            product: "Microsoft 365 E3".into(),
            metric: "user".into(),
            qty: "200".into(),
            start: "2024-01-01".into(),
            end: Some("2024-12-31".into()),
            cost: Some("48000".into()),
            currency: Some("EUR".into()),
            ..Purchase::default()
        }),
    );
    write(
        &mut s,
        Write::Purchase(Purchase {
            id: Some("ORA-DB".into()),
            vendor: "Oracle".into(),
            product: "Database Enterprise Edition".into(),
            metric: "processor".into(),
            qty: "4".into(),
            start: "2023-01-01".into(),
            ..Purchase::default()
        }),
    );
    write(
        &mut s,
        Write::Usage(Usage {
            vendor: "Microsoft".into(),
            product: "Microsoft 365 E3".into(),
            metric: "user".into(),
            count: "212".into(),
            date: "2024-06-30".into(),
            source: Some("Entra ID export".into()),
        }),
    );
    let mut bytes = Cursor::new(CONTRACT.to_vec());
    record::attach(
        &mut s,
        &entitle_app::when::context("tester"),
        &Attach {
            license: Some("MS-365".into()),
            vendor: None,
            kind: "contract".into(),
            note: None,
        },
        vec![Source::Upload {
            filename: "vertrag.txt".into(),
            reader: &mut bytes,
            limit: None,
        }],
        &Silent,
    )
    .unwrap();
    (dir, s)
}

fn request(out: &Path) -> PackRequest {
    PackRequest {
        vendor: " microsoft".into(),
        as_of: Some("2024-12-31".into()),
        out: out.to_owned(),
        ..PackRequest::default()
    }
}

fn verify(pack: &Path, since: Option<PathBuf>) -> PackVerification {
    audit::verify_pack(
        &VerifyRequest {
            pack: pack.to_owned(),
            since,
            signer: None,
        },
        &Silent,
    )
    .unwrap()
}

fn failures(v: &PackVerification) -> Vec<String> {
    v.checks
        .iter()
        .filter(|c| !c.passed)
        .flat_map(|c| c.details.iter().cloned())
        .collect()
}

#[test]
fn a_pack_discloses_one_vendor_and_verifies() {
    let (dir, s) = company();
    let out = dir.path().join("pack");
    let built = audit::build_pack(&s, &Scope::All, &request(&out), &Silent).unwrap();
    assert_eq!(built.vendor, "Microsoft");
    assert_eq!(built.as_of, "2024-12-31");
    assert_eq!(built.known_at_seq, 4);
    assert_eq!(built.disclosed, 3, "the Oracle purchase stays a digest");
    assert_eq!(built.documents, 1);
    assert_eq!(built.path, out);
    assert_eq!(built.head.len(), 64);
    let key = audit::key(&s).unwrap();
    assert_eq!(built.fingerprint, key.fingerprint);
    assert!(!key.created, "the pack made the key already");

    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    assert!(!events.contains("Oracle"), "{events}");
    let position = std::fs::read_to_string(out.join("position.csv")).unwrap();
    assert!(position.contains("Microsoft 365 E3"), "{position}");

    let v = verify(&out, None);
    assert!(v.verified, "{:?}", failures(&v));
    let names: Vec<&str> = v.checks.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "format",
            "files",
            "checkpoint",
            "signature",
            "chain",
            "position",
            "documents",
            "reports"
        ]
    );
    let chain = &v.checks[4].details[0];
    assert!(chain.starts_with("4 events (3 disclosed)"), "{chain}");
    assert_eq!(v.signed_by.as_deref(), Some(key.fingerprint.as_str()));
    assert!(!v.signer_given);
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["verified"], true);

    // Against the key the auditor was given, and against another.
    let against = |signer: &str| {
        audit::verify_pack(
            &VerifyRequest {
                pack: out.clone(),
                since: None,
                signer: Some(signer.to_owned()),
            },
            &Silent,
        )
        .unwrap()
    };
    let v = against(&key.fingerprint);
    assert!(v.verified && v.signer_given, "{:?}", failures(&v));
    let v = against(&format!("SHA256:{}", "A".repeat(43)));
    assert!(!v.verified);
    let signature = v.checks.iter().find(|c| c.name == "signature").unwrap();
    assert!(!signature.passed);
    assert_eq!(v.signed_by.as_deref(), Some(key.fingerprint.as_str()));
    assert_eq!(json["checks"][0]["name"], "format");
}

#[test]
fn a_changed_file_fails_its_checks() {
    let (dir, s) = company();
    let out = dir.path().join("pack");
    audit::build_pack(&s, &Scope::All, &request(&out), &Silent).unwrap();
    let csv = std::fs::read_to_string(out.join("position.csv")).unwrap();
    std::fs::write(out.join("position.csv"), csv.replace("212", "150")).unwrap();

    let v = verify(&out, None);
    assert!(!v.verified);
    let failed: Vec<&str> = v
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.name)
        .collect();
    assert_eq!(failed, ["files", "position"]);
    let list = failures(&v);
    assert!(
        list.contains(&"altered (does not match BLAKE3SUMS): position.csv".to_owned()),
        "{list:?}"
    );
    assert!(
        list.iter()
            .any(|f| f.starts_with("position.csv: is not what the disclosed events produce")),
        "{list:?}"
    );

    // An edited report is named, though BLAKE3SUMS is not rewritten here.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    std::fs::write(
        out.join("report.md"),
        report.replace("Microsoft", "Macrosoft"),
    )
    .unwrap();
    let v = verify(&out, None);
    let reports = v.checks.iter().find(|c| c.name == "reports").unwrap();
    assert_eq!(
        reports.details,
        ["report.md: is not what the disclosed events and the signed checkpoint produce"]
    );

    // A document swapped for other bytes is named by its own check.
    let doc = std::fs::read_dir(out.join("documents"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&doc, b"another contract").unwrap();
    let v = verify(&out, None);
    let documents = v.checks.iter().find(|c| c.name == "documents").unwrap();
    assert!(!documents.passed);
    assert!(
        documents.details[0].contains(": altered: its bytes hash to "),
        "{:?}",
        documents.details
    );
}

#[test]
fn a_later_pack_extends_an_earlier_checkpoint() {
    let (dir, s) = company();
    let old = dir.path().join("old");
    audit::build_pack(
        &s,
        &Scope::All,
        &PackRequest {
            known_at: Some("#3".into()),
            ..request(&old)
        },
        &Silent,
    )
    .unwrap();
    let cp = old.join("checkpoint");
    let new = dir.path().join("new.zip");
    audit::build_pack(
        &s,
        &Scope::All,
        &PackRequest {
            since: Some(cp.clone()),
            ..request(&new)
        },
        &Silent,
    )
    .unwrap();
    let v = verify(&new, Some(cp.clone()));
    assert!(v.verified, "{:?}", failures(&v));
    let since = v.checks.iter().find(|c| c.name == "since").unwrap();
    assert!(since.details[0].starts_with("the log extends the old checkpoint #3"));

    // The old pack does not reach the new checkpoint.
    let v = verify(&old, Some(new_checkpoint(&dir, &new)));
    let since = v.checks.iter().find(|c| c.name == "since").unwrap();
    assert!(!since.passed);
    assert_eq!(since.field, Some("since"));
}

/// The checkpoint of a zip pack, written out as a file.
fn new_checkpoint(dir: &TempDir, zip: &Path) -> PathBuf {
    let unpacked = dir.path().join("unpacked");
    let pack = entitle_pack::Pack::open(zip).unwrap();
    std::fs::create_dir_all(&unpacked).unwrap();
    let path = unpacked.join("checkpoint");
    std::fs::write(&path, pack.get("checkpoint").unwrap()).unwrap();
    path
}

#[test]
fn the_key_is_made_once_and_kept() {
    let (_dir, s) = company();
    let first = audit::key(&s).unwrap();
    assert!(first.created);
    assert!(first.created_notice().unwrap().contains(&first.fingerprint));
    assert!(first.public_key.starts_with("ssh-ed25519 "));
    assert!(first.fingerprint.starts_with("SHA256:"));
    assert_eq!(first.store_id, s.info().store_id);
    let again = audit::key(&s).unwrap();
    assert!(!again.created);
    assert_eq!(again.created_notice(), None);
    assert_eq!(again.public_key, first.public_key);
}

/// Builds `req` expecting a refusal of `kind` on `field`, and nothing
/// written.
fn refused(s: &Store, req: &PackRequest, kind: ErrorKind, field: &str) -> Error {
    let err =
        audit::build_pack(s, &Scope::All, req, &Silent).expect_err("the pack should be refused");
    assert_eq!(err.kind(), kind, "{err}");
    assert_eq!(err.field(), Some(field), "{err}");
    let message = err.to_string();
    for flag in ["--", "`entitle "] {
        assert!(
            !message.contains(flag),
            "names a flag or command: {message}"
        );
    }
    err
}

#[test]
fn bad_requests_are_refused_naming_their_field() {
    let (dir, s) = company();
    let out = dir.path().join("x");

    let e = refused(
        &s,
        &PackRequest {
            vendor: "IBM".into(),
            ..request(&out)
        },
        ErrorKind::NotFound,
        "vendor",
    );
    assert_eq!(
        e.to_string(),
        "unknown vendor \"IBM\"; the known vendors are: Microsoft, Oracle"
    );
    refused(
        &s,
        &PackRequest {
            vendor: "  ".into(),
            ..request(&out)
        },
        ErrorKind::BadInput,
        "vendor",
    );
    refused(
        &s,
        &PackRequest {
            vendor: "oracle".into(),
            known_at: Some("#1".into()),
            ..request(&out)
        },
        ErrorKind::NotFound,
        "vendor",
    );
    let e = refused(
        &s,
        &PackRequest {
            as_of: Some("2020-01-01".into()),
            ..request(&out)
        },
        ErrorKind::NotFound,
        "as_of",
    );
    assert!(e.to_string().ends_with("; choose a later as of"), "{e}");
    let e = refused(
        &s,
        &PackRequest {
            as_of: Some("2024-02-30".into()),
            ..request(&out)
        },
        ErrorKind::BadInput,
        "as_of",
    );
    assert_eq!(e.value(), Some("2024-02-30"));
    refused(
        &s,
        &PackRequest {
            known_at: Some("#x".into()),
            ..request(&out)
        },
        ErrorKind::BadInput,
        "known_at",
    );
    refused(
        &s,
        &PackRequest {
            known_at: Some("#99".into()),
            ..request(&out)
        },
        ErrorKind::BadInput,
        "known_at",
    );
    refused(
        &s,
        &PackRequest {
            since: Some(dir.path().join("no-such-checkpoint")),
            ..request(&out)
        },
        ErrorKind::NotFound,
        "since",
    );
    let not_a_checkpoint = dir.path().join("notes.txt");
    std::fs::write(&not_a_checkpoint, "hello\n").unwrap();
    refused(
        &s,
        &PackRequest {
            since: Some(not_a_checkpoint.clone()),
            ..request(&out)
        },
        ErrorKind::BadInput,
        "since",
    );
    assert!(!out.exists(), "a refused pack was written");

    // A checkpoint of another store.
    let (other_dir, other) = company();
    let other_pack = other_dir.path().join("p");
    audit::build_pack(&other, &Scope::All, &request(&other_pack), &Silent).unwrap();
    refused(
        &s,
        &PackRequest {
            since: Some(other_pack.join("checkpoint")),
            ..request(&out)
        },
        ErrorKind::Conflict,
        "since",
    );

    // An existing pack is replaced only when asked to.
    audit::build_pack(&s, &Scope::All, &request(&out), &Silent).unwrap();
    let e = refused(&s, &request(&out), ErrorKind::Conflict, "out");
    assert_eq!(e.action(), Some(Action::Overwrite));
    audit::build_pack(
        &s,
        &Scope::All,
        &PackRequest {
            force: true,
            ..request(&out)
        },
        &Silent,
    )
    .unwrap();

    // What verify refuses to open is an error; a pack that fails a check
    // is not.
    let e = audit::verify_pack(
        &VerifyRequest {
            pack: dir.path().join("s"),
            since: None,
            signer: None,
        },
        &Silent,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadInput, "{e}");
    assert_eq!(e.field(), Some("pack"));
    let e = audit::verify_pack(
        &VerifyRequest {
            pack: out.clone(),
            since: Some(not_a_checkpoint),
            signer: None,
        },
        &Silent,
    )
    .unwrap_err();
    assert_eq!(e.field(), Some("since"));
}

/// D2: the report's "How to verify" claimed `b3sum --check` shows that no
/// file was added (it never notices one) and never asked for `b3sum
/// BLAKE3SUMS` against the checkpoint's `sums` line, so a report edited
/// and re-summed passed every command it listed.
#[test]
fn d2_the_report_ties_blake3sums_to_the_signed_checkpoint() {
    let (dir, s) = company();
    let out = dir.path().join("pack");
    audit::build_pack(&s, &Scope::All, &request(&out), &Silent).unwrap();
    for name in ["report.md", "report.html"] {
        let report = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(!report.contains("changed, added or removed"), "{name}");
        assert!(
            report.contains("it does not notice an added file"),
            "{name}"
        );
        assert!(
            report.contains("\nb3sum BLAKE3SUMS\n"),
            "{name} lacks the command"
        );
        assert!(
            report.contains("checkpoint&#39;s `sums` line")
                || report.contains("checkpoint's `sums` line"),
            "{name}"
        );
    }
}

/// D3: with a checkpoint that does not parse, the chain cannot be held
/// against a signed head; it was reported as passed.
#[test]
fn d3_a_check_that_cannot_be_made_is_left_out() {
    let (dir, s) = company();
    let out = dir.path().join("pack");
    audit::build_pack(&s, &Scope::All, &request(&out), &Silent).unwrap();
    std::fs::write(out.join("checkpoint"), "not a checkpoint\n").unwrap();
    let v = verify(&out, None);
    assert!(!v.verified);
    let names: Vec<(&str, bool)> = v.checks.iter().map(|c| (c.name, c.passed)).collect();
    assert_eq!(
        names,
        [("format", true), ("files", false), ("checkpoint", false)]
    );
}

fn v1_fixture(dir: &TempDir) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/audit-pack-v1");
    let to = dir.path().join("v1");
    std::fs::create_dir_all(to.join("documents")).unwrap();
    for sub in ["", "documents"] {
        for e in std::fs::read_dir(from.join(sub)).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                std::fs::copy(e.path(), to.join(sub).join(e.file_name())).unwrap();
            }
        }
    }
    to
}

/// Rewrites `BLAKE3SUMS` for what it lists, and `add`.
fn resum(dir: &Path, add: &[&str]) {
    let sums = std::fs::read_to_string(dir.join("BLAKE3SUMS")).unwrap();
    let mut names: Vec<String> = sums.lines().map(|l| l[66..].to_owned()).collect();
    names.extend(add.iter().map(|n| (*n).to_owned()));
    names.retain(|n| dir.join(n).is_file());
    names.sort();
    let new: String = names
        .iter()
        .map(|n| {
            format!(
                "{}  {n}\n",
                blake3::hash(&std::fs::read(dir.join(n)).unwrap()).to_hex()
            )
        })
        .collect();
    std::fs::write(dir.join("BLAKE3SUMS"), new).unwrap();
}

/// R1: a v1 checkpoint (whose signature covers only itself) in a pack
/// that says it is of format 2 would lend its signature to reports it
/// never saw; a v2 checkpoint without `FORMAT` is as mixed. Both are
/// refused, and a format-1 pack says its reports are not signed.
#[test]
fn r1_mixed_packs_are_refused_and_format_1_reports_are_unsigned() {
    let dir = TempDir::new().unwrap();
    let v1 = v1_fixture(&dir);
    let v = verify(&v1, None);
    assert!(v.verified, "{:?}", failures(&v));
    assert!(!v.reports_signed);

    std::fs::write(v1.join("FORMAT"), "entitle-pack 2\n").unwrap();
    resum(&v1, &["FORMAT"]);
    let v = verify(&v1, None);
    assert!(!v.verified);
    let checkpoint = v.checks.iter().find(|c| c.name == "checkpoint").unwrap();
    assert!(!checkpoint.passed);
    assert!(
        checkpoint.details[0].starts_with("checkpoint: a v1 checkpoint in a pack of format 2"),
        "{:?}",
        checkpoint.details
    );

    let (dir, s) = company();
    let out = dir.path().join("pack");
    audit::build_pack(&s, &Scope::All, &request(&out), &Silent).unwrap();
    assert!(verify(&out, None).reports_signed);
    std::fs::remove_file(out.join("FORMAT")).unwrap();
    let v = verify(&out, None);
    assert!(!v.verified && !v.reports_signed);
    let checkpoint = v.checks.iter().find(|c| c.name == "checkpoint").unwrap();
    assert!(
        checkpoint.details[0].starts_with("checkpoint: a v2 checkpoint in a pack without FORMAT"),
        "{:?}",
        checkpoint.details
    );
}

/// R3: the pack's own `since-checkpoint` was never checked again, and it
/// carried the old checkpoint's time and sums line. It now holds only
/// store, seq and hash, and verification checks that the chain extends it.
#[test]
fn r3_the_packs_since_checkpoint_is_checked_again() {
    let (dir, s) = company();
    let old = dir.path().join("old");
    audit::build_pack(
        &s,
        &Scope::All,
        &PackRequest {
            known_at: Some("#3".into()),
            ..request(&old)
        },
        &Silent,
    )
    .unwrap();
    let new = dir.path().join("new");
    audit::build_pack(
        &s,
        &Scope::All,
        &PackRequest {
            since: Some(old.join("checkpoint")),
            ..request(&new)
        },
        &Silent,
    )
    .unwrap();
    let text = std::fs::read_to_string(new.join("since-checkpoint")).unwrap();
    assert!(text.starts_with("entitle-since v1\nstore "), "{text}");
    assert!(!text.contains("time ") && !text.contains("sums "), "{text}");
    let v = verify(&new, None);
    assert!(v.verified, "{:?}", failures(&v));
    let check = v
        .checks
        .iter()
        .find(|c| c.name == "since-checkpoint")
        .unwrap();
    assert!(
        check.details[0].starts_with("the log extends the checkpoint #3 "),
        "{:?}",
        check.details
    );

    // One not on the chain is named (the sums, no longer matching, too).
    let line = text.lines().find(|l| l.starts_with("hash ")).unwrap();
    let forged = text.replace(line, &format!("hash {}", "0".repeat(64)));
    std::fs::write(new.join("since-checkpoint"), forged).unwrap();
    resum(&new, &[]);
    let v = verify(&new, None);
    let check = v
        .checks
        .iter()
        .find(|c| c.name == "since-checkpoint")
        .unwrap();
    assert!(!check.passed);
    assert!(
        check.details[0].starts_with("since-checkpoint: at seq 3 the chain hash differs"),
        "{:?}",
        check.details
    );
}

/// R2: a format-2 pack made by entitle at the commit that checked it in
/// (a document, a since-checkpoint; store made by `company`) verifies
/// forever: a change to the report, CSV, `VERIFY.md` or `verify_chain.py`
/// text that would break issued format-2 packs fails here. Never
/// regenerate it: a change of those texts is a new pack format.
#[test]
fn a_format_2_pack_still_verifies() {
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/audit-pack-v2");
    let v = audit::verify_pack(
        &VerifyRequest {
            pack: pack.clone(),
            since: None,
            signer: Some("SHA256:INIcanCFgMkk8fbkBXg0DFbild9eCPFMG2SBSTkgU9M".into()),
        },
        &Silent,
    )
    .unwrap();
    assert!(v.verified, "{:?}", failures(&v));
    assert!(v.reports_signed && v.signer_given);
    let names: Vec<&str> = v.checks.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "format",
            "files",
            "checkpoint",
            "signature",
            "chain",
            "since-checkpoint",
            "position",
            "documents",
            "reports"
        ]
    );
    let details: Vec<&str> = v
        .checks
        .iter()
        .flat_map(|c| c.details.iter().map(String::as_str))
        .collect();
    assert!(details.contains(&"pack format 2"), "{details:?}");
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("the log extends the checkpoint #3 ")),
        "{details:?}"
    );
    assert!(
        details.contains(&"report.md, report.html, VERIFY.md, verify_chain.py re-derived from the disclosed events"),
        "{details:?}"
    );
}

/// R9: a note with line feeds, in a list item of `report.md`, ended the
/// item and added Markdown of its own (a heading, a list item).
#[test]
fn r9_a_note_with_line_feeds_stays_in_its_list_item() {
    let (dir, mut s) = company();
    write_with_note(
        &mut s,
        Write::Void(entitle_app::record::Void { seq: "3".into() }),
        "recount\n# Forged heading\r\n- forged item",
    );
    let out = dir.path().join("pack");
    audit::build_pack(&s, &Scope::All, &request(&out), &Silent).unwrap();
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("recount # Forged heading - forged item\n"),
        "{report}"
    );
    assert!(!report
        .lines()
        .any(|l| l.starts_with("# Forged") || l.starts_with("- forged")));
    let v = verify(&out, None);
    assert!(v.verified, "{:?}", failures(&v));
}

fn write_with_note(store: &mut Store, w: Write, note: &str) {
    record::record(
        store,
        &entitle_app::when::context("tester"),
        &w,
        &Common {
            note: Some(note.into()),
            ..Common::default()
        },
        Documents::default(),
        &Silent,
    )
    .unwrap();
}
