//! The audit pack end to end: one vendor disclosed, the rest redacted,
//! checked with the real `b3sum` and `ssh-keygen` and with `audit verify`,
//! and every kind of tampering caught.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::TestStore;

const DOC_MS: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const DOC_ORA: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const DOC_MS_VENDOR: &str = "3333333333333333333333333333333333333333333333333333333333333333";

/// Three vendors, documents, a void of a Microsoft count and a void of an
/// Oracle count: 17 events.
fn company() -> TestStore {
    let s = TestStore::new();
    let doc = |hash: &str, name: &str, target: &str| {
        format!(
            r#"{{"type":"document_attached","hash":"{hash}","filename":"{name}","size":1000,"media_type":"application/pdf","kind":"contract",{target},"effective":"2024-01-15"}}"#
        )
    };
    let lines = [
        r#"{"type":"purchased","id":"MS-365","vendor":"Microsoft","product":"Microsoft 365 E3","metric":"user","qty":200,"start":"2024-01-01","end":"2024-12-31","cost":"48000","currency":"EUR","po":"PO-MS-1"}"#.to_owned(),
        r#"{"type":"purchased","id":"ORA-DB","vendor":"Oracle","product":"Database Enterprise Edition","metric":"processor","qty":4,"start":"2023-01-01","po":"PO-ORA-77","reseller":"Zebra Resellers"}"#.to_owned(),
        r#"{"type":"purchased","id":"ADO-1","vendor":"Adobe","product":"Acrobat Pro","metric":"user","qty":25,"start":"2024-03-01","end":"2025-02-28"}"#.to_owned(),
        r#"{"type":"purchased","id":"MS-VIS","vendor":" microsoft ","product":"Visio Plan 2","metric":"user","qty":10,"start":"2024-02-01"}"#.to_owned(),
        r#"{"type":"usage_recorded","vendor":"Microsoft","product":"Microsoft 365 E3","metric":"user","count":212,"effective":"2024-06-30","source":"Entra ID export"}"#.to_owned(),
        r#"{"type":"usage_recorded","vendor":"Oracle","product":"Database Enterprise Edition","metric":"processor","count":6,"effective":"2024-06-30"}"#.to_owned(),
        r#"{"type":"usage_recorded","vendor":"Adobe","product":"Acrobat Pro","metric":"user","count":20,"effective":"2024-06-30"}"#.to_owned(),
        doc(DOC_MS, "ms-enterprise-agreement.pdf", r#""id":"MS-365""#),
        doc(DOC_ORA, "oracle-ula-confidential.pdf", r#""id":"ORA-DB""#),
        doc(DOC_MS_VENDOR, "ms-product-terms.pdf", r#""vendor":"Microsoft""#),
        r#"{"type":"usage_recorded","vendor":"Microsoft","product":"Microsoft 365 E3","metric":"user","count":230,"effective":"2024-06-30"}"#.to_owned(),
        r#"{"type":"voided","voids":11,"note":"double counted"}"#.to_owned(),
        r#"{"type":"voided","voids":6,"note":"Oracle test servers were counted"}"#.to_owned(),
        r#"{"type":"usage_recorded","vendor":"Oracle","product":"Database Enterprise Edition","metric":"processor","count":3,"effective":"2024-06-30"}"#.to_owned(),
        r#"{"type":"adjusted","id":"MS-365","qty":220,"effective":"2024-07-01","note":"true-up"}"#.to_owned(),
        r#"{"type":"extended","id":"ADO-1","until":"2026-02-28","effective":"2025-01-15"}"#.to_owned(),
        r#"{"type":"usage_recorded","vendor":"Adobe","product":"Creative Cloud","metric":"user","count":30,"effective":"2024-09-30"}"#.to_owned(),
    ];
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let out = s.import(&refs);
    assert_eq!(out.trim(), "recorded 17 events: #1..#17");
    s
}

impl TestStore {
    fn out(&self, name: &str) -> PathBuf {
        self.path.with_file_name(name)
    }

    fn pack(&self, name: &str, extra: &[&str]) -> PathBuf {
        let out = self.out(name);
        let mut args = vec![
            "audit-pack",
            "--vendor",
            "MICROSOFT ",
            "--as-of",
            "2024-12-31",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        self.ok(&args);
        out
    }
}

fn b3sum() -> PathBuf {
    let on_path = Command::new("b3sum").arg("--version").output();
    if on_path.is_ok_and(|o| o.status.success()) {
        return PathBuf::from("b3sum");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let local = home.join(".cargo/bin/b3sum");
    assert!(
        local.is_file(),
        "b3sum is required by this test (cargo install b3sum); it is neither on PATH nor in ~/.cargo/bin"
    );
    local
}

fn run_in(dir: &Path, program: impl AsRef<std::ffi::OsStr>, args: &[&str], stdin: Option<&Path>) {
    let mut c = Command::new(program.as_ref());
    c.current_dir(dir).args(args);
    if let Some(f) = stdin {
        c.stdin(std::fs::File::open(f).unwrap());
    }
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("{:?} is required by this test: {e}", program.as_ref()));
    assert!(
        out.status.success(),
        "{:?} {args:?} failed:\nstdout: {}\nstderr: {}",
        program.as_ref(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        assert!(e.file_type().unwrap().is_file(), "{:?}", e.path());
        out.push((
            e.file_name().to_str().unwrap().to_owned(),
            std::fs::read(e.path()).unwrap(),
        ));
    }
    out.sort();
    out
}

fn store_id(pack: &Path) -> String {
    let cp = std::fs::read_to_string(pack.join("checkpoint")).unwrap();
    cp.lines()
        .find_map(|l| l.strip_prefix("store "))
        .unwrap()
        .to_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for (name, bytes) in files(from) {
        std::fs::write(to.join(name), bytes).unwrap();
    }
}

#[test]
fn pack_discloses_one_vendor_and_verifies_with_off_the_shelf_tools() {
    let s = company();
    let pack = s.pack("ms-pack", &[]);
    let names: Vec<String> = files(&pack).into_iter().map(|(n, _)| n).collect();
    for want in [
        "BLAKE3SUMS",
        "VERIFY.md",
        "allowed_signers",
        "checkpoint",
        "checkpoint.sig",
        "events.jsonl",
        "licenses.csv",
        "position.csv",
        "report.html",
        "report.md",
        "usage.csv",
        "verify_chain.py",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }

    // The real tools, in the pack directory.
    run_in(&pack, b3sum(), &["--check", "BLAKE3SUMS"], None);
    let id = store_id(&pack);
    run_in(
        &pack,
        "ssh-keygen",
        &[
            "-Y",
            "verify",
            "-f",
            "allowed_signers",
            "-I",
            &id,
            "-n",
            "entitle-checkpoint",
            "-s",
            "checkpoint.sig",
        ],
        Some(&pack.join("checkpoint")),
    );
    let verify = s.ok(&["audit", "verify", pack.to_str().unwrap()]);
    assert!(verify.starts_with("verified:"), "{verify}");
    // The shipped reference verifier, where python3 exists (it is an extra;
    // b3sum and ssh-keygen above are the required tools).
    if Command::new("python3").arg("--version").output().is_ok() {
        let cp = std::fs::read_to_string(pack.join("checkpoint")).unwrap();
        let field = |k: &str| {
            cp.lines()
                .find_map(|l| l.strip_prefix(k))
                .unwrap()
                .to_owned()
        };
        let (seq, hash) = (field("seq "), field("hash "));
        let b3 = b3sum();
        let mut path = std::env::var_os("PATH").unwrap_or_default();
        if let Some(dir) = b3.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mut dirs = vec![dir.to_owned()];
            dirs.extend(std::env::split_paths(&path));
            path = std::env::join_paths(dirs).unwrap();
        }
        let out = Command::new("python3")
            .current_dir(&pack)
            .env("PATH", path)
            .args(["verify_chain.py", "events.jsonl", &seq, &hash])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("{seq} {hash}")
        );
    }

    // The chain holds all 17 events; Microsoft's 9 are disclosed.
    let events = std::fs::read_to_string(pack.join("events.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 17);
    let disclosed: Vec<u64> = lines
        .iter()
        .filter(|l| l.get("record").is_some())
        .map(|l| l["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(disclosed, [1, 4, 5, 8, 10, 11, 12, 15]);

    // The position: 220 seats (true-up) against 212 (the 230 was voided).
    let position = std::fs::read_to_string(pack.join("position.csv")).unwrap();
    assert!(position.contains(
        "2024-12-31,17,Microsoft,Microsoft 365 E3,user,220,MS-365,212,2024-06-30,5,Entra ID export,8,over\r\n"
    ), "{position}");
    assert!(position.contains("Visio Plan 2"), "{position}");
    let report = std::fs::read_to_string(pack.join("report.md")).unwrap();
    assert!(report.contains("entitled 220 = MS-365"), "{report}");
    assert!(report.contains("ms-enterprise-agreement.pdf"), "{report}");
    assert!(report.contains("not available yet"), "{report}");
    let html = std::fs::read_to_string(pack.join("report.html")).unwrap();
    assert!(html.contains("@media print"));
    for external in ["http://", "https://", "<script", "<link", "src="] {
        assert!(!html.contains(external), "report.html has {external}");
    }
    let verify_md = std::fs::read_to_string(pack.join("VERIFY.md")).unwrap();
    assert!(verify_md.contains("b3sum --check BLAKE3SUMS"));
    assert!(verify_md.contains(&format!(
        "ssh-keygen -Y verify -f allowed_signers -I {id} -n entitle-checkpoint -s checkpoint.sig < checkpoint"
    )));

    // Nothing of another vendor anywhere in the pack.
    let log = s.log_lines();
    let mut secrets: Vec<String> = [
        "Oracle",
        "oracle",
        "ORA-DB",
        "Database Enterprise",
        "PO-ORA-77",
        "Zebra",
        "Adobe",
        "ADO-1",
        "Acrobat",
        "Creative Cloud",
        DOC_ORA,
        "test servers",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for (i, line) in log.iter().enumerate() {
        if !disclosed.contains(&(i as u64 + 1)) {
            secrets.push(line.clone());
            // The record as it appears JSON-escaped in events.jsonl.
            let escaped = serde_json::to_string(line).unwrap();
            secrets.push(escaped[1..escaped.len() - 1].to_owned());
        }
    }
    for (name, bytes) in files(&pack) {
        let text = String::from_utf8_lossy(&bytes);
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{name} contains {secret:?}"
            );
        }
    }

    // The same as a zip.
    let zip = s.pack("ms-pack.zip", &[]);
    let verify = s.ok(&["audit", "verify", zip.to_str().unwrap()]);
    assert!(verify.starts_with("verified:"), "{verify}");
    let bytes = std::fs::read(&zip).unwrap();
    for secret in ["Oracle", "Adobe", "Acrobat"] {
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "the zip contains {secret:?}");
    }
}

#[test]
fn every_kind_of_tampering_is_named() {
    let s = company();
    let pack = s.pack("good", &[]);
    // Another checkpoint (seq 16), signed by the same key.
    let other = s.pack("other", &["--known-at", "#16"]);
    let tampered = |case: &str, change: &dyn Fn(&Path)| {
        let dir = s.out(&format!("tampered-{case}"));
        copy_dir(&pack, &dir);
        change(&dir);
        s.fails(1, &["audit", "verify", dir.to_str().unwrap()])
    };
    let edit = |dir: &Path, name: &str, from: &str, to: &str| {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(text.contains(from), "{name} lacks {from:?}");
        std::fs::write(dir.join(name), text.replacen(from, to, 1)).unwrap();
    };

    let out = tampered("events", &|d| {
        edit(d, "events.jsonl", "\\\"count\\\":212", "\\\"count\\\":112")
    });
    assert!(
        out.contains("altered (does not match BLAKE3SUMS): events.jsonl"),
        "{out}"
    );
    assert!(
        out.contains("events.jsonl line 5: seq 5: the record does not hash to its digest"),
        "{out}"
    );

    let out = tampered("position", &|d| edit(d, "position.csv", ",220,", ",250,"));
    assert!(
        out.contains("altered (does not match BLAKE3SUMS): position.csv"),
        "{out}"
    );
    assert!(
        out.contains("position.csv: is not what the disclosed events produce"),
        "{out}"
    );

    // A forger who also rewrites BLAKE3SUMS is still caught by the re-fold.
    let out = tampered("position-resummed", &|d| {
        edit(d, "position.csv", ",220,", ",250,");
        let sums = std::fs::read_to_string(d.join("BLAKE3SUMS")).unwrap();
        let new: String = sums
            .lines()
            .map(|l| {
                let name = &l[66..];
                let hash = blake3::hash(&std::fs::read(d.join(name)).unwrap());
                format!("{}  {name}\n", hash.to_hex())
            })
            .collect();
        std::fs::write(d.join("BLAKE3SUMS"), new).unwrap();
    });
    assert!(!out.contains("BLAKE3SUMS"), "{out}");
    assert!(
        out.contains("position.csv: is not what the disclosed events produce"),
        "{out}"
    );

    let out = tampered("checkpoint", &|d| edit(d, "checkpoint", "seq 17", "seq 16"));
    assert!(
        out.contains("altered (does not match BLAKE3SUMS): checkpoint"),
        "{out}"
    );
    assert!(out.contains("checkpoint.sig: "), "{out}");

    let out = tampered("signature", &|d| {
        std::fs::copy(other.join("checkpoint.sig"), d.join("checkpoint.sig")).unwrap();
    });
    assert!(out.contains("checkpoint.sig"), "{out}");

    let out = tampered("removed", &|d| {
        std::fs::remove_file(d.join("usage.csv")).unwrap()
    });
    assert!(
        out.contains("missing (listed in BLAKE3SUMS, not in the pack): usage.csv"),
        "{out}"
    );

    let out = tampered("extra", &|d| {
        std::fs::write(d.join("notes.txt"), "hi").unwrap()
    });
    assert!(
        out.contains("extra (in the pack, not listed in BLAKE3SUMS): notes.txt"),
        "{out}"
    );

    let out = tampered("truncated", &|d| {
        let text = std::fs::read_to_string(d.join("events.jsonl")).unwrap();
        std::fs::write(d.join("events.jsonl"), &text[..text.len() - 20]).unwrap();
    });
    assert!(out.contains("events.jsonl line 17: truncated"), "{out}");

    // Not a pack at all.
    let err = s.fails(2, &["audit", "verify", s.path.to_str().unwrap()]);
    assert!(err.contains("not") && err.contains("pack"), "{err}");
}

#[test]
fn a_later_pack_extends_an_older_checkpoint() {
    let s = company();
    let old = s.pack("old", &["--known-at", "#10"]);
    let old_cp = old.join("checkpoint");
    let old_cp = old_cp.to_str().unwrap();
    assert!(std::fs::read_to_string(old_cp)
        .unwrap()
        .contains("seq 10\n"));
    s.ok(&["void", "5", "--note", "recount pending"]);
    let new = s.pack("new.zip", &["--since", old_cp]);
    let out = s.ok(&["audit", "verify", new.to_str().unwrap(), "--since", old_cp]);
    assert!(
        out.contains("since: the log extends the old checkpoint #10"),
        "{out}"
    );
    let new_dir = s.pack("new-dir", &["--since", old_cp]);
    let report = std::fs::read_to_string(new_dir.join("report.md")).unwrap();
    assert!(
        report.contains("Consistency with an earlier audit"),
        "{report}"
    );

    // A checkpoint that is not on this chain.
    let forged = s.out("forged-checkpoint");
    let text = std::fs::read_to_string(old_cp).unwrap();
    let hash_line = text.lines().find(|l| l.starts_with("hash ")).unwrap();
    let forged_text = text.replace(hash_line, &format!("hash {}", "0".repeat(64)));
    std::fs::write(&forged, forged_text).unwrap();
    let forged = forged.to_str().unwrap();
    let out = s.fails(
        1,
        &["audit", "verify", new.to_str().unwrap(), "--since", forged],
    );
    assert!(
        out.contains("--since: at seq 10 the chain hash differs"),
        "{out}"
    );
    // An older pack cannot extend a newer checkpoint.
    let new_cp = new_dir.join("checkpoint");
    let out = s.fails(
        1,
        &[
            "audit",
            "verify",
            old.to_str().unwrap(),
            "--since",
            new_cp.to_str().unwrap(),
        ],
    );
    assert!(
        out.contains("--since: the old checkpoint is at seq 18"),
        "{out}"
    );
}

#[test]
fn packs_are_deterministic_but_for_the_checkpoint() {
    let s = company();
    let a = s.pack("a", &["--known-at", "#15"]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let b = s.pack("b", &["--known-at", "#15"]);
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.len(), fb.len());
    let mut differ = Vec::new();
    for ((na, ba), (nb, bb)) in fa.iter().zip(&fb) {
        assert_eq!(na, nb);
        if ba != bb {
            differ.push(na.as_str());
        }
    }
    assert_eq!(differ, ["BLAKE3SUMS", "checkpoint", "checkpoint.sig"]);
    let za = s.pack("a.zip", &["--known-at", "#15"]);
    s.ok(&["audit", "verify", za.to_str().unwrap()]);
}

#[test]
fn bad_requests_are_refused() {
    let s = company();
    let out = s.out("x");
    let out = out.to_str().unwrap();
    let err = s.fails(2, &["audit-pack", "--vendor", "IBM", "--out", out]);
    assert!(
        err.contains("unknown vendor \"IBM\"; the known vendors are: Adobe, Microsoft, Oracle"),
        "{err}"
    );
    let err = s.fails(
        2,
        &[
            "audit-pack",
            "--vendor",
            "adobe",
            "--known-at",
            "#2",
            "--out",
            out,
        ],
    );
    assert!(
        err.contains("vendor Adobe has no events as known at #2"),
        "{err}"
    );
    assert!(!Path::new(out).exists());

    let pack = s.pack("exists", &[]);
    let p = pack.to_str().unwrap();
    let err = s.fails(
        2,
        &[
            "audit-pack",
            "--vendor",
            "Microsoft",
            "--as-of",
            "2024-12-31",
            "--out",
            p,
        ],
    );
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    s.ok(&[
        "audit-pack",
        "--vendor",
        "Microsoft",
        "--as-of",
        "2024-12-31",
        "--out",
        p,
        "--force",
    ]);
    s.ok(&["audit", "verify", p]);
}

#[test]
fn key_show_prints_the_signing_key() {
    let s = company();
    let out = s.ok(&["key", "show"]);
    assert!(out.starts_with("ssh-ed25519 "), "{out}");
    assert!(out.contains("fingerprint SHA256:"), "{out}");
    let key = s.path.join("keys").join("checkpoint_ed25519");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The pack is signed by that same key.
    let pack = s.pack("p", &[]);
    let allowed = std::fs::read_to_string(pack.join("allowed_signers")).unwrap();
    let public = out.split_whitespace().nth(1).unwrap();
    assert!(allowed.contains(public), "{allowed}");
    assert_eq!(s.ok(&["key", "show"]), out);
}
