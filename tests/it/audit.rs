//! The audit pack end to end: one vendor disclosed, the rest redacted,
//! checked with the real `b3sum` and `ssh-keygen` and with `audit verify`,
//! and every kind of tampering caught.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::TestStore;

/// Microsoft's contract (bound to MS-365, event #8).
const DOC_MS: &str = "rahmenvertrag-nordlicht-cad.pdf";
/// Oracle's contract (bound to ORA-DB, event #9): must never leave the store
/// in Microsoft's pack.
const DOC_ORA: &str = "apache-2.0.pdf";
/// Bound to the vendor Microsoft (event #10).
const DOC_MS_VENDOR: &str = "order-confirmation-nl-2024-0412.eml";

/// A real document from `data/documents/`.
fn doc_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join("documents")
        .join(name)
}

fn doc_bytes(name: &str) -> Vec<u8> {
    std::fs::read(doc_path(name)).unwrap()
}

fn doc_hash(name: &str) -> String {
    blake3::hash(&doc_bytes(name)).to_hex().to_string()
}

/// Whether `haystack` holds all of `needle`.
fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

impl TestStore {
    fn attach(&self, to: &[&str], doc: &str, kind: &str) -> String {
        let path = doc_path(doc);
        let mut args = vec!["attach"];
        args.extend(to);
        args.extend([path.to_str().unwrap(), "--kind", kind]);
        self.ok(&args)
    }
}

/// Three vendors, real documents, a void of a Microsoft count and a void of
/// an Oracle count: 17 events.
fn company() -> TestStore {
    let s = TestStore::new();
    let lines = [
        r#"{"type":"purchased","id":"MS-365","vendor":"Microsoft","product":"Microsoft 365 E3","metric":"user","qty":200,"start":"2024-01-01","end":"2024-12-31","cost":"48000","currency":"EUR","po":"PO-MS-1"}"#.to_owned(),
        r#"{"type":"purchased","id":"ORA-DB","vendor":"Oracle","product":"Database Enterprise Edition","metric":"processor","qty":4,"start":"2023-01-01","po":"PO-ORA-77","reseller":"Zebra Resellers"}"#.to_owned(),
        r#"{"type":"purchased","id":"ADO-1","vendor":"Adobe","product":"Acrobat Pro","metric":"user","qty":25,"start":"2024-03-01","end":"2025-02-28"}"#.to_owned(),
        r#"{"type":"purchased","id":"MS-VIS","vendor":" microsoft ","product":"Visio Plan 2","metric":"user","qty":10,"start":"2024-02-01"}"#.to_owned(),
        r#"{"type":"usage_recorded","vendor":"Microsoft","product":"Microsoft 365 E3","metric":"user","count":212,"effective":"2024-06-30","source":"Entra ID export"}"#.to_owned(),
        r#"{"type":"usage_recorded","vendor":"Oracle","product":"Database Enterprise Edition","metric":"processor","count":6,"effective":"2024-06-30"}"#.to_owned(),
        r#"{"type":"usage_recorded","vendor":"Adobe","product":"Acrobat Pro","metric":"user","count":20,"effective":"2024-06-30"}"#.to_owned(),
    ];
    let later = [
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
    assert_eq!(out.trim(), "recorded 7 events: #1..#7");
    s.attach(&["MS-365"], DOC_MS, "contract");
    s.attach(&["ORA-DB"], DOC_ORA, "contract");
    s.attach(&["--vendor", "Microsoft"], DOC_MS_VENDOR, "order");
    let refs: Vec<&str> = later.iter().map(String::as_str).collect();
    let out = s.import(&refs);
    assert_eq!(out.trim(), "recorded 7 events: #11..#17");
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

/// Every file under `dir`, by its `/`-separated path inside it.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let kind = e.file_type().unwrap();
            if kind.is_dir() {
                walk(root, &e.path(), out);
                continue;
            }
            assert!(kind.is_file(), "{:?}", e.path());
            let rel = e.path().strip_prefix(root).unwrap().to_owned();
            let name: Vec<&str> = rel.iter().map(|c| c.to_str().unwrap()).collect();
            out.push((name.join("/"), std::fs::read(e.path()).unwrap()));
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Rewrites BLAKE3SUMS for the files it lists that are still there, and for
/// `add`: what a forger who knows b3sum would do.
fn resum(dir: &Path, add: &[&str]) {
    let sums = std::fs::read_to_string(dir.join("BLAKE3SUMS")).unwrap();
    let mut names: Vec<String> = sums.lines().map(|l| l[66..].to_owned()).collect();
    names.extend(add.iter().map(|n| (*n).to_owned()));
    names.retain(|n| dir.join(n).is_file());
    names.sort();
    let new: String = names
        .iter()
        .map(|name| {
            let hash = blake3::hash(&std::fs::read(dir.join(name)).unwrap());
            format!("{}  {name}\n", hash.to_hex())
        })
        .collect();
    std::fs::write(dir.join("BLAKE3SUMS"), new).unwrap();
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
        let path = to.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
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
    // Microsoft's two documents, byte-identical; nothing else in documents/.
    let docs: Vec<(String, Vec<u8>)> = files(&pack)
        .into_iter()
        .filter(|(n, _)| n.starts_with("documents/"))
        .collect();
    let mut want: Vec<(String, Vec<u8>)> = [DOC_MS, DOC_MS_VENDOR]
        .iter()
        .map(|d| (format!("documents/{}-{d}", doc_hash(d)), doc_bytes(d)))
        .collect();
    want.sort();
    assert!(
        docs == want,
        "documents/ holds {:?}",
        docs.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );

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

    // The position: 220 seats (true-up) against 212 (the 230 was voided);
    // the count of 30 June is stale on 31 December; 48,000 EUR bought 200
    // seats for a year = 240 EUR a seat, so the 8 unused cost 1,920 EUR.
    let position = std::fs::read_to_string(pack.join("position.csv")).unwrap();
    assert!(position.contains(
        "2024-12-31,17,Microsoft,Microsoft 365 E3,user,220,MS-365,212,2024-06-30,5,Entra ID export,8,over,true,240.00,EUR,year,,1920.00\r\n"
    ), "{position}");
    assert!(position.contains("Visio Plan 2"), "{position}");
    let report = std::fs::read_to_string(pack.join("report.md")).unwrap();
    assert!(report.contains("entitled 220 = MS-365"), "{report}");
    assert!(report.contains("1920.00 EUR"), "{report}");
    assert!(report.contains("212 (stale)"), "{report}");
    assert!(report.contains(&doc_hash(DOC_MS)), "{report}");
    assert!(!report.contains("not available"), "{report}");
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
        "test servers",
        "apache",
        DOC_ORA,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    secrets.push(doc_hash(DOC_ORA));
    for (i, line) in log.iter().enumerate() {
        if !disclosed.contains(&(i as u64 + 1)) {
            secrets.push(line.clone());
            // The record as it appears JSON-escaped in events.jsonl.
            let escaped = serde_json::to_string(line).unwrap();
            secrets.push(escaped[1..escaped.len() - 1].to_owned());
        }
    }
    let oracle_doc = doc_bytes(DOC_ORA);
    for (name, bytes) in files(&pack) {
        let text = String::from_utf8_lossy(&bytes);
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{name} contains {secret:?}"
            );
        }
        assert!(
            !holds(&bytes, &oracle_doc),
            "{name} holds Oracle's document"
        );
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

    // A forger who also rewrites BLAKE3SUMS is caught by the signed
    // checkpoint, which pins BLAKE3SUMS, and by the re-fold.
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
    assert!(!out.contains("does not match BLAKE3SUMS"), "{out}");
    assert!(out.contains("FAIL BLAKE3SUMS: its BLAKE3 is "), "{out}");
    assert!(
        out.contains("position.csv: is not what the disclosed events produce"),
        "{out}"
    );

    // The checkpoint pins BLAKE3SUMS, so BLAKE3SUMS does not list it: the
    // signature catches an edit.
    let out = tampered("checkpoint", &|d| edit(d, "checkpoint", "seq 17", "seq 16"));
    assert!(
        out.contains("FAIL checkpoint.sig: the signature does not match the signed file"),
        "{out}"
    );

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
    // BLAKE3SUMS lists every file but the checkpoint and its signature
    // (the checkpoint pins it).
    assert_eq!(differ, ["checkpoint", "checkpoint.sig"]);
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

/// A zip with stored (uncompressed) entries, written by hand so that it can
/// hold names no zip library would write.
fn zip_stored(entries: &[(&str, &[u8])]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = u32::try_from(out.len()).unwrap();
        let size = u32::try_from(data.len()).unwrap();
        let name_len = u16::try_from(name.len()).unwrap();
        let crc = crc32(data);
        // Local file header: version 2.0, no flags, stored, 1980-01-01.
        out.extend(0x0403_4b50u32.to_le_bytes());
        for v in [20u16, 0, 0, 0, 0x21] {
            out.extend(v.to_le_bytes());
        }
        for v in [crc, size, size] {
            out.extend(v.to_le_bytes());
        }
        out.extend(name_len.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(name.as_bytes());
        out.extend(*data);
        // Central directory header.
        central.extend(0x0201_4b50u32.to_le_bytes());
        for v in [20u16, 20, 0, 0, 0, 0x21] {
            central.extend(v.to_le_bytes());
        }
        for v in [crc, size, size] {
            central.extend(v.to_le_bytes());
        }
        for v in [name_len, 0, 0, 0, 0] {
            central.extend(v.to_le_bytes());
        }
        central.extend(0u32.to_le_bytes());
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let cd_offset = u32::try_from(out.len()).unwrap();
    let cd_size = u32::try_from(central.len()).unwrap();
    let n = u16::try_from(entries.len()).unwrap();
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, n, n] {
        out.extend(v.to_le_bytes());
    }
    out.extend(cd_size.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// Every path under `dir` with its size, to show that nothing was written.
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, u64)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let meta = std::fs::symlink_metadata(e.path()).unwrap();
            out.push((e.path(), meta.len()));
            if meta.is_dir() {
                walk(&e.path(), out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

#[test]
fn documents_are_packed_byte_identical_and_tied_to_the_chain() {
    let s = company();
    // The contract bound to Visio too (one file, two bindings), a EULA bound
    // to Visio and voided (not packed), and Adobe's terms (never packed).
    const EULA: &str = "gpl-3.0.odt";
    const ADOBE_TERMS: &str = "mpl-2.0.docx";
    s.attach(&["MS-VIS"], DOC_MS, "contract"); // #18
    s.attach(&["MS-VIS"], EULA, "eula"); // #19
    s.ok(&["void", "19", "--note", "wrong product"]); // #20
    s.attach(&["ADO-1"], ADOBE_TERMS, "terms"); // #21
    let pack = s.pack("docs", &[]);
    let contract = format!("documents/{}-{DOC_MS}", doc_hash(DOC_MS));
    let order = format!("documents/{}-{DOC_MS_VENDOR}", doc_hash(DOC_MS_VENDOR));
    let all = files(&pack);
    let docs: Vec<&(String, Vec<u8>)> = all
        .iter()
        .filter(|(n, _)| n.starts_with("documents/"))
        .collect();
    let mut names: Vec<&str> = docs.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    let mut want = vec![contract.as_str(), order.as_str()];
    want.sort_unstable();
    assert_eq!(names, want);
    for (name, bytes) in &docs {
        let original = if *name == contract {
            DOC_MS
        } else {
            DOC_MS_VENDOR
        };
        assert!(
            *bytes == doc_bytes(original),
            "{name} is not byte-identical"
        );
    }
    run_in(&pack, b3sum(), &["--check", "BLAKE3SUMS"], None);
    let out = s.ok(&["audit", "verify", pack.to_str().unwrap()]);
    assert!(out.contains("documents: 2 present"), "{out}");

    // The report lists each binding: event, file, original name, kind,
    // size, owner, hash; and the voided one.
    let report = std::fs::read_to_string(pack.join("report.md")).unwrap();
    let size = |d: &str| doc_bytes(d).len().to_string();
    for row in [
        format!(
            "| #8 | {contract} | {DOC_MS} | contract | {} | MS-365 | {} |",
            size(DOC_MS),
            doc_hash(DOC_MS)
        ),
        format!(
            "| #10 | {order} | {DOC_MS_VENDOR} | order | {} | vendor Microsoft | {} |",
            size(DOC_MS_VENDOR),
            doc_hash(DOC_MS_VENDOR)
        ),
        format!(
            "| #18 | {contract} | {DOC_MS} | contract | {} | MS-VIS | {} |",
            size(DOC_MS),
            doc_hash(DOC_MS)
        ),
    ] {
        assert!(report.contains(&row), "report.md lacks {row:?}:\n{report}");
    }
    assert!(
        report.contains(&format!(
            "#19 {EULA} (eula, BLAKE3 {}) bound to MS-VIS: voided by #20; not in the pack",
            doc_hash(EULA)
        )),
        "{report}"
    );
    let html = std::fs::read_to_string(pack.join("report.html")).unwrap();
    assert!(html.contains(&format!("<td>{contract}</td>")), "{html}");
    let verify_md = std::fs::read_to_string(pack.join("VERIFY.md")).unwrap();
    assert!(verify_md.contains("b3sum documents/*"), "{verify_md}");

    // Other vendors' documents (and the voided binding's bytes): no name,
    // hash or bytes anywhere in the pack.
    for (doc, name_is_secret) in [(DOC_ORA, true), (ADOBE_TERMS, true), (EULA, false)] {
        let bytes = doc_bytes(doc);
        let hash = doc_hash(doc);
        for (name, content) in &all {
            let text = String::from_utf8_lossy(content);
            assert!(
                !name.contains(&hash) && !holds(content, &bytes),
                "{name} holds {doc}"
            );
            if name_is_secret {
                assert!(
                    !text.contains(doc) && !text.contains(&hash),
                    "{name} names {doc}"
                );
            }
        }
    }

    let tampered = |case: &str, change: &dyn Fn(&Path)| {
        let dir = s.out(&format!("tampered-{case}"));
        copy_dir(&pack, &dir);
        change(&dir);
        s.fails(1, &["audit", "verify", dir.to_str().unwrap()])
    };

    // Altered, with BLAKE3SUMS rewritten to match: b3sum --check passes,
    // but the signed checkpoint pins BLAKE3SUMS, and the tie to the chain
    // names the document.
    let out = tampered("altered", &|d| {
        let path = d.join(&contract);
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x20;
        std::fs::write(&path, bytes).unwrap();
        resum(d, &[]);
        run_in(d, b3sum(), &["--check", "BLAKE3SUMS"], None);
    });
    assert!(!out.contains("does not match BLAKE3SUMS"), "{out}");
    assert!(out.contains("FAIL BLAKE3SUMS: its BLAKE3 is "), "{out}");
    assert!(
        out.contains(&format!("FAIL {contract}: altered: its bytes hash to "))
            && out.contains(&format!(
                "not to the hash {} recorded by event #8",
                doc_hash(DOC_MS)
            )),
        "{out}"
    );

    // Altered, BLAKE3SUMS left alone: both checks name it.
    let out = tampered("altered-unsummed", &|d| {
        std::fs::write(d.join(&order), b"a different order").unwrap();
    });
    assert!(
        out.contains(&format!("altered (does not match BLAKE3SUMS): {order}")),
        "{out}"
    );
    assert!(out.contains(&format!("FAIL {order}: altered")), "{out}");

    // Deleted, with and without the sums rewritten.
    let out = tampered("deleted", &|d| {
        std::fs::remove_file(d.join(&order)).unwrap();
        resum(d, &[]);
    });
    assert!(
        out.contains(&format!(
            "FAIL {order}: missing: document {} ({DOC_MS_VENDOR}) bound to vendor Microsoft by event #10 is not in the pack",
            doc_hash(DOC_MS_VENDOR)
        )),
        "{out}"
    );
    let out = tampered("deleted-unsummed", &|d| {
        std::fs::remove_file(d.join(&contract)).unwrap();
    });
    assert!(
        out.contains(&format!(
            "missing (listed in BLAKE3SUMS, not in the pack): {contract}"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("FAIL {contract}: missing")), "{out}");

    // Renamed.
    let renamed = format!("documents/{}-agreement.pdf", doc_hash(DOC_MS));
    let out = tampered("renamed", &|d| {
        std::fs::rename(d.join(&contract), d.join(&renamed)).unwrap();
        resum(d, &[&renamed]);
    });
    assert!(
        out.contains(&format!("FAIL {contract}: missing"))
            && out.contains(&format!("in the pack as {renamed} instead")),
        "{out}"
    );

    // Extra: the voided EULA smuggled back in, and a file nobody bound.
    let eula = format!("documents/{}-{EULA}", doc_hash(EULA));
    let out = tampered("extra", &|d| {
        std::fs::write(d.join(&eula), doc_bytes(EULA)).unwrap();
        std::fs::write(d.join("documents/notes.txt"), "hi").unwrap();
        resum(d, &[&eula, "documents/notes.txt"]);
    });
    assert!(
        out.contains(&format!(
            "FAIL {eula}: extra: its binding by event #19 was voided by #20"
        )),
        "{out}"
    );
    assert!(
        out.contains(
            "FAIL documents/notes.txt: extra: no disclosed document_attached event refers to it"
        ),
        "{out}"
    );

    // A pack known at #17 (before the EULA and the second binding) has the
    // same two documents; one known at #7 has none.
    let early = s.pack("early", &["--known-at", "#17"]);
    s.ok(&["audit", "verify", early.to_str().unwrap()]);
    let early_md = std::fs::read_to_string(early.join("report.md")).unwrap();
    assert!(!early_md.contains("#18"), "{early_md}");
    let none = s.pack("none", &["--known-at", "#7"]);
    assert!(!none.join("documents").exists());
    let out = s.ok(&["audit", "verify", none.to_str().unwrap()]);
    assert!(out.contains("documents: 0 present"), "{out}");
}

#[test]
fn a_tar_pack_is_made_and_verified() {
    let s = company();
    let tar = s.pack("ms-pack.tar", &[]);
    let out = s.ok(&["audit", "verify", tar.to_str().unwrap()]);
    assert!(out.starts_with("verified:"), "{out}");
    assert!(out.contains("documents: 2 present"), "{out}");

    // Unpacked with the system's tar, it checks with b3sum and holds the
    // same files as a directory pack (but for the checkpoint's time).
    let unpacked = s.out("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    run_in(&unpacked, "tar", &["-xf", tar.to_str().unwrap()], None);
    assert!(
        unpacked.join("BLAKE3SUMS").is_file(),
        "{:?}",
        files(&unpacked)
    );
    run_in(&unpacked, b3sum(), &["--check", "BLAKE3SUMS"], None);
    let dir = s.pack("ms-pack-dir", &[]);
    let (a, b) = (files(&unpacked), files(&dir));
    assert_eq!(
        a.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        b.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        if !["BLAKE3SUMS", "checkpoint", "checkpoint.sig"].contains(&name.as_str()) {
            assert!(
                x == y,
                "{name} differs between the tar and the directory pack"
            );
        }
    }
    let contract = format!("documents/{}-{DOC_MS}", doc_hash(DOC_MS));
    assert!(a
        .iter()
        .any(|(n, bytes)| *n == contract && *bytes == doc_bytes(DOC_MS)));

    // A byte of the contract changed inside the tar is caught.
    let mut bytes = std::fs::read(&tar).unwrap();
    let original = doc_bytes(DOC_MS);
    let at = bytes
        .windows(original.len())
        .position(|w| w == original.as_slice())
        .expect("the tar stores the contract as is");
    bytes[at + original.len() / 2] ^= 0x01;
    let bad = s.out("bad.tar");
    std::fs::write(&bad, bytes).unwrap();
    let out = s.fails(1, &["audit", "verify", bad.to_str().unwrap()]);
    assert!(
        out.contains(&format!("altered (does not match BLAKE3SUMS): {contract}")),
        "{out}"
    );
    assert!(out.contains(&format!("FAIL {contract}: altered")), "{out}");
}

#[test]
fn a_hostile_zip_is_refused_and_nothing_is_written() {
    let s = company();
    let good = s.pack("good", &[]);
    let sums = std::fs::read(good.join("BLAKE3SUMS")).unwrap();
    let checkpoint = std::fs::read(good.join("checkpoint")).unwrap();
    let root = s.path.parent().unwrap().to_owned();
    // Run verify from an empty directory inside the test's own temp dir, so
    // that `../evil` relative to it would land in the snapshot.
    let cwd = root.join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let absolute = root.join("evil-absolute");
    let absolute = absolute.to_str().unwrap();

    for (case, hostile) in [("dotdot", "../evil"), ("absolute", absolute)] {
        let zip = root.join(format!("hostile-{case}.zip"));
        std::fs::write(
            &zip,
            zip_stored(&[
                ("BLAKE3SUMS", &sums),
                ("checkpoint", &checkpoint),
                (hostile, b"pwned"),
            ]),
        )
        .unwrap();
        let before = snapshot(&root);
        let out = s
            .command(&["audit", "verify", zip.to_str().unwrap()])
            .current_dir(&cwd)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{case}: {err}");
        assert!(err.contains(hostile), "{case}: {err}");
        let why = if case == "dotdot" {
            "`..`"
        } else {
            "absolute path"
        };
        assert!(err.contains(why), "{case}: {err}");
        assert_eq!(snapshot(&root), before, "{case}: something was written");
        assert!(!root.join("evil").exists() && !Path::new(absolute).exists());
    }
}

/// Issue 11, item 3: the pack's CSV files go to outsiders and carry
/// imported text, so they get what `--format csv` has: a byte order mark
/// and would-be formulas made inert. The pack says its format (2).
#[test]
fn issue_11_pack_csv_files_are_safe_in_excel() {
    let s = TestStore::new();
    s.import(&[
        r#"{"type":"purchased","id":"ACME-1","vendor":"Acme","product":"=HYPERLINK(\"http://x\",\"CAD\")","metric":"user","qty":10,"start":"2024-01-01","po":"+PO-1"}"#,
        r#"{"type":"usage_recorded","vendor":"Acme","product":"=HYPERLINK(\"http://x\",\"CAD\")","metric":"user","count":12,"effective":"2024-06-30","source":"@inventory"}"#,
    ]);
    let pack = s.out("acme");
    s.ok(&[
        "audit-pack",
        "--vendor",
        "acme",
        "--as-of",
        "2024-12-31",
        "--out",
        pack.to_str().unwrap(),
    ]);
    for name in ["position.csv", "licenses.csv", "usage.csv"] {
        let bytes = std::fs::read(pack.join(name)).unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()), "{name}: no BOM");
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("\"'=HYPERLINK("), "{name}: {text}");
        assert!(!text.contains(",\"=HYPERLINK("), "{name}: {text}");
    }
    let usage = std::fs::read_to_string(pack.join("usage.csv")).unwrap();
    assert!(usage.contains(",'@inventory,"), "{usage}");
    let licenses = std::fs::read_to_string(pack.join("licenses.csv")).unwrap();
    assert!(licenses.contains(",'+PO-1,"), "{licenses}");
    // A balance of -2 is a number, not a formula.
    let position = std::fs::read_to_string(pack.join("position.csv")).unwrap();
    assert!(position.contains(",-2,under,"), "{position}");
    assert_eq!(
        std::fs::read_to_string(pack.join("FORMAT")).unwrap(),
        "entitle-pack 2\n"
    );
    let out = s.ok(&["audit", "verify", pack.to_str().unwrap()]);
    assert!(out.contains("  format: pack format 2\n"), "{out}");

    // A format this entitle does not know is refused, even re-summed.
    let bad = s.out("acme-format-9");
    copy_dir(&pack, &bad);
    std::fs::write(bad.join("FORMAT"), "entitle-pack 9\n").unwrap();
    resum(&bad, &[]);
    let out = s.fails(1, &["audit", "verify", bad.to_str().unwrap()]);
    assert!(
        out.contains("FAIL FORMAT: `entitle-pack 9` is not a pack format this entitle reads"),
        "{out}"
    );
}

/// A pack made before format 2 (no `FORMAT`, plain CSV; made by entitle
/// at 669a6b0 and checked in) still verifies: its CSV files re-derive the
/// way that format wrote them.
#[test]
fn a_format_1_pack_still_verifies() {
    let s = TestStore::new();
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/audit-pack-v1");
    let out = s.ok(&["audit", "verify", pack.to_str().unwrap()]);
    assert!(out.starts_with("verified: "), "{out}");
    assert!(out.contains("  format: pack format 1 ("), "{out}");
    assert!(
        out.contains("  checkpoint: v1: the signature covers the checkpoint only, not BLAKE3SUMS"),
        "{out}"
    );
    assert!(!out.contains("reports:"), "{out}");
    assert!(
        out.contains("  not signed: report.md, report.html, VERIFY.md and verify_chain.py"),
        "{out}"
    );
    assert!(
        out.contains("  position: 1 rows as of 2024-12-31 re-computed from the 3 disclosed events"),
        "{out}"
    );
}

/// A format-2 pack (checked in with the library test that verifies it,
/// `a_format_2_pack_still_verifies`) verifies through the binary, against
/// the key it was signed with.
#[test]
fn a_format_2_pack_still_verifies() {
    let s = TestStore::new();
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/audit-pack-v2");
    let fingerprint = "SHA256:INIcanCFgMkk8fbkBXg0DFbild9eCPFMG2SBSTkgU9M";
    let out = s.ok(&[
        "audit",
        "verify",
        pack.to_str().unwrap(),
        "--signer",
        fingerprint,
    ]);
    assert!(out.starts_with("verified: "), "{out}");
    assert!(
        out.contains(&format!(
            "  signed by {fingerprint} (checked against --signer)\n"
        )),
        "{out}"
    );
    assert!(!out.contains("not signed:"), "{out}");
    assert!(out.contains("  format: pack format 2\n"), "{out}");
    assert!(
        out.contains("  since-checkpoint: the log extends the checkpoint #3 "),
        "{out}"
    );
}

/// Issue 11, item 2: a pack re-keyed, re-signed and re-summed by someone
/// else verified, because `audit verify` trusted the pack's own
/// `allowed_signers`. Against the key the auditor was given (`--signer`,
/// a key file or its fingerprint) it fails; and every verification says
/// which key signed and what it was checked against.
#[test]
fn issue_11_a_re_signed_pack_fails_against_the_signer_given() {
    let s = TestStore::new();
    s.import(&[
        r#"{"type":"purchased","id":"ACME-1","vendor":"Acme","product":"CAD","metric":"user","qty":10,"start":"2024-01-01"}"#,
    ]);
    let key = s.ok(&["key", "show"]);
    let fingerprint = key
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint "))
        .unwrap()
        .to_owned();
    let key_file = s.out("given-key.txt");
    std::fs::write(&key_file, &key).unwrap();
    let key_file = key_file.to_str().unwrap();
    let pack = s.out("genuine");
    let p = pack.to_str().unwrap();
    s.ok(&[
        "audit-pack",
        "--vendor",
        "acme",
        "--as-of",
        "2024-12-31",
        "--out",
        p,
    ]);

    for signer in [fingerprint.as_str(), key_file] {
        let out = s.ok(&["audit", "verify", p, "--signer", signer]);
        assert!(
            out.contains(&format!(
                "  signed by {fingerprint} (checked against --signer)\n"
            )),
            "{out}"
        );
    }
    let out = s.ok(&["audit", "verify", p]);
    assert!(
        out.contains(&format!(
            "  signed by {fingerprint} (checked against the pack's own allowed_signers"
        )),
        "{out}"
    );

    // The forger signs the same checkpoint with a key of their own, writes
    // allowed_signers for it and re-sums the pack.
    let forged = s.out("forged");
    copy_dir(&pack, &forged);
    let forger_key = s.out("forger");
    run_in(
        &forged,
        "ssh-keygen",
        &[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-f",
            forger_key.to_str().unwrap(),
        ],
        None,
    );
    std::fs::remove_file(forged.join("checkpoint.sig")).unwrap();
    run_in(
        &forged,
        "ssh-keygen",
        &[
            "-Y",
            "sign",
            "-f",
            forger_key.to_str().unwrap(),
            "-n",
            "entitle-checkpoint",
            "checkpoint",
        ],
        None,
    );
    let public = std::fs::read_to_string(forger_key.with_extension("pub")).unwrap();
    let public: Vec<&str> = public.split_whitespace().take(2).collect();
    std::fs::write(
        forged.join("allowed_signers"),
        format!(
            "{} namespaces=\"entitle-checkpoint\" {}\n",
            store_id(&forged),
            public.join(" ")
        ),
    )
    .unwrap();
    resum(&forged, &[]);
    let f = forged.to_str().unwrap();
    // Trusting the pack's own file, it says which key signed and that the
    // pack's own file was trusted (the signed BLAKE3SUMS, item 1, and the
    // re-derived report, which names the key, fail it too).
    let out = String::from_utf8(s.run(&["audit", "verify", f]).stdout).unwrap();
    assert!(!out.contains(&fingerprint), "{out}");
    assert!(
        out.contains("  signed by SHA256:") && out.contains("the pack's own allowed_signers"),
        "{out}"
    );
    // Against the key the auditor was given, it fails.
    for signer in [fingerprint.as_str(), key_file] {
        let out = s.fails(1, &["audit", "verify", f, "--signer", signer]);
        assert!(
            out.contains("FAIL checkpoint.sig: the signature was made by key SHA256:")
                && out.contains(&format!("not by the signer given ({fingerprint})")),
            "{out}"
        );
    }

    // A signer that is neither a fingerprint nor a key file is an error.
    let err = s.fails(2, &["audit", "verify", p, "--signer", "SHA256:short"]);
    assert!(
        err.contains("--signer SHA256:short is not a fingerprint"),
        "{err}"
    );
    let err = s.fails(2, &["audit", "verify", p, "--signer", "/no/such/key.pub"]);
    assert!(
        err.contains("--signer: cannot read /no/such/key.pub"),
        "{err}"
    );
    let err = s.fails(2, &["audit", "verify", p, "--signer", p]);
    assert!(err.contains("--signer"), "{err}");
}

/// Issue 11, item 1: editing `report.html`, `report.md`, `VERIFY.md` or
/// `verify_chain.py` and regenerating `BLAKE3SUMS` passed, because the
/// signature covered only `checkpoint`. A v2 checkpoint pins `BLAKE3SUMS`,
/// and `audit verify` re-derives those files byte for byte.
#[test]
fn issue_11_the_signature_covers_every_file() {
    let s = TestStore::new();
    s.import(&[
        r#"{"type":"purchased","id":"ACME-1","vendor":"Acme","product":"CAD","metric":"user","qty":10,"start":"2024-01-01"}"#,
        r#"{"type":"usage_recorded","vendor":"Acme","product":"CAD","metric":"user","count":12,"effective":"2024-06-30"}"#,
    ]);
    let old = s.out("old");
    s.ok(&[
        "audit-pack",
        "--vendor",
        "acme",
        "--as-of",
        "2024-12-31",
        "--known-at",
        "#1",
        "--out",
        old.to_str().unwrap(),
    ]);
    let old_cp = old.join("checkpoint");
    let pack = s.out("pack");
    s.ok(&[
        "audit-pack",
        "--vendor",
        "acme",
        "--as-of",
        "2024-12-31",
        "--out",
        pack.to_str().unwrap(),
        "--since",
        old_cp.to_str().unwrap(),
    ]);
    let checkpoint = std::fs::read_to_string(pack.join("checkpoint")).unwrap();
    assert!(
        checkpoint.starts_with("entitle-checkpoint v2\n"),
        "{checkpoint}"
    );
    let sums = std::fs::read(pack.join("BLAKE3SUMS")).unwrap();
    assert!(
        checkpoint.ends_with(&format!("\nsums {}\n", blake3::hash(&sums).to_hex())),
        "{checkpoint}"
    );
    let listed = String::from_utf8(sums).unwrap();
    assert!(!listed.contains("  checkpoint"), "{listed}");
    assert!(listed.contains("  since-checkpoint\n"), "{listed}");
    run_in(&pack, b3sum(), &["--check", "BLAKE3SUMS"], None);
    let out = s.ok(&["audit", "verify", pack.to_str().unwrap()]);
    assert!(
        out.contains("  checkpoint: v2: it pins BLAKE3SUMS, so the signature covers every file\n"),
        "{out}"
    );
    assert!(
        out.contains("  reports: report.md, report.html, VERIFY.md, verify_chain.py re-derived"),
        "{out}"
    );

    for (name, from, to) in [
        ("report.md", "Acme", "Acme Corp"),
        ("report.html", "Acme", "Acme Corp"),
        ("VERIFY.md", "b3sum --check", "echo"),
        ("verify_chain.py", "import", "import os;"),
    ] {
        let dir = s.out(&format!("edited-{name}"));
        copy_dir(&pack, &dir);
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(text.contains(from), "{name}");
        std::fs::write(dir.join(name), text.replacen(from, to, 1)).unwrap();
        resum(&dir, &[]);
        run_in(&dir, b3sum(), &["--check", "BLAKE3SUMS"], None);
        let out = s.fails(1, &["audit", "verify", dir.to_str().unwrap()]);
        assert!(
            out.contains("FAIL BLAKE3SUMS: its BLAKE3 is "),
            "{name}: {out}"
        );
        assert!(
            out.contains(&format!(
                "FAIL {name}: is not what the disclosed events and the signed checkpoint produce"
            )),
            "{name}: {out}"
        );
    }
}
