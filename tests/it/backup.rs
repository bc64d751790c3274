//! Off-site copies to a directory: `entitle backup`, `backup verify`,
//! `restore` and `verify --against`, on real files with the real binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::util::{purchase, TestStore};

pub(crate) fn store_with_documents() -> TestStore {
    let s = TestStore::new();
    s.ok(&purchase(
        "Adobe",
        "10",
        &["--end", "2024-12-31", "--id", "L-1"],
    ));
    s.ok(&purchase(
        "Adobe",
        "5",
        &["--end", "2025-12-31", "--id", "L-2"],
    ));
    let dir = s.path.with_file_name("docs");
    fs::create_dir_all(&dir).unwrap();
    for i in 0..3 {
        let f = dir.join(format!("contract-{i}.txt"));
        fs::write(
            &f,
            format!("contract number {i}, notice period 90 days\n").repeat(200),
        )
        .unwrap();
        s.ok(&["attach", "L-1", f.to_str().unwrap()]);
    }
    s
}

/// More log to copy: 300 purchases (events #6..#305 after
/// [`store_with_documents`]).
pub(crate) fn import_300_purchases(s: &TestStore) {
    let lines: Vec<String> = (0..300)
        .map(|i| {
            format!(r#"{{"type":"purchased","id":"V-{i}","vendor":"V{i}","product":"P","metric":"user","qty":1,"start":"2024-01-01","end":"2024-12-31"}}"#)
        })
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    s.import(&refs);
}

fn copy_dir(s: &TestStore, name: &str) -> PathBuf {
    s.path.with_file_name(name)
}

fn backup(s: &TestStore, dest: &Path) -> Value {
    s.json(&["backup", dest.to_str().unwrap()])
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_full_backup_then_only_new_objects_and_quiet_on_success() {
    let s = store_with_documents();
    let copy = copy_dir(&s, "copy");
    let first = backup(&s, &copy);
    // One segment, three documents, one blob list, one manifest.
    assert_eq!(first["uploaded"]["segments"], 1, "{first}");
    assert_eq!(first["uploaded"]["blobs"], 3, "{first}");
    assert_eq!(first["uploaded"]["other"], 2, "{first}");
    assert_eq!(first["uploaded"]["objects"], 6, "{first}");
    assert_eq!(files_under(&copy).len(), 6);
    assert_eq!(first["seq"], 5);
    assert_eq!(first["object_lock"], "not applicable (a directory)");

    // Nothing new: nothing written.
    let again = backup(&s, &copy);
    assert_eq!(again["up_to_date"], true, "{again}");
    assert_eq!(again["uploaded"]["objects"], 0);
    assert_eq!(files_under(&copy).len(), 6);

    // One new event: one new segment and one manifest, no blob.
    s.ok(&purchase("Adobe", "1", &["--end", "2024-12-31"]));
    let next = backup(&s, &copy);
    assert_eq!(next["uploaded"]["segments"], 1, "{next}");
    assert_eq!(next["uploaded"]["blobs"], 0, "{next}");
    assert_eq!(next["uploaded"]["objects"], 2, "{next}");
    assert_eq!(next["seq"], 6);
    assert_eq!(files_under(&copy).len(), 8);
    assert!(copy
        .join("segments/000000000006-000000000006.jsonl")
        .is_file());

    // The segments are the raw log bytes.
    let mut joined = Vec::new();
    for f in files_under(&copy.join("segments")) {
        joined.extend(fs::read(f).unwrap());
    }
    assert_eq!(joined, fs::read(s.log_path()).unwrap());

    // Quiet on success without --json/--verbose.
    let out = s.run(&["backup", copy.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");

    let verified = s.ok(&["backup", "verify", copy.to_str().unwrap()]);
    assert!(verified.starts_with("intact:"), "{verified}");
    assert!(
        verified.contains("not checked against a known key"),
        "{verified}"
    );
    let extends = s.ok(&["verify", "--against", copy.to_str().unwrap()]);
    assert!(extends.contains("extends the backup"), "{extends}");
}

#[test]
fn backup_verify_names_a_changed_byte_in_a_segment_a_blob_and_the_manifest() {
    let s = store_with_documents();
    let copy = copy_dir(&s, "copy");
    backup(&s, &copy);
    let shown = s.ok(&["key", "show"]);
    let public = shown
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("ssh-ed25519 "))
        .expect("key show prints the public key");
    let signer = s.path.with_file_name("store-key.pub");
    fs::write(&signer, public).unwrap();
    let ok = s.ok(&[
        "backup",
        "verify",
        copy.to_str().unwrap(),
        "--signer",
        signer.to_str().unwrap(),
    ]);
    assert!(ok.contains("signed by the key given"), "{ok}");

    let flip = |path: &Path, at: usize| {
        let mut bytes = fs::read(path).unwrap();
        bytes[at] ^= 0x01;
        fs::write(path, bytes).unwrap();
    };
    let segment = files_under(&copy.join("segments")).remove(0);
    let blob = files_under(&copy.join("blobs")).remove(0);
    let manifest = files_under(&copy.join("manifests")).remove(0);
    for (path, at, named) in [
        (&segment, 10, "segments/"),
        (&blob, 5, "blobs/"),
        (&manifest, 30, "manifests/"),
    ] {
        let before = fs::read(path).unwrap();
        flip(path, at);
        let out = s.fails(1, &["backup", "verify", copy.to_str().unwrap()]);
        assert!(out.contains("NOT intact"), "{out}");
        let name = path.strip_prefix(&copy).unwrap().to_str().unwrap();
        assert!(out.contains(name) && out.contains(named), "{name}: {out}");
        fs::write(path, before).unwrap();
    }
    // A missing segment is named too.
    fs::remove_file(&segment).unwrap();
    let out = s.fails(1, &["backup", "verify", copy.to_str().unwrap()]);
    assert!(out.contains("is missing"), "{out}");
}

#[test]
fn a_restore_answers_as_the_original_did_at_that_seq() {
    let s = store_with_documents();
    let copy = copy_dir(&s, "copy");
    backup(&s, &copy);
    s.ok(&purchase("Adobe", "7", &["--end", "2026-12-31"]));
    s.ok(&["void", "1", "--note", "typo"]);
    backup(&s, &copy);

    let whole = copy_dir(&s, "restored");
    let r = s.json(&["restore", copy.to_str().unwrap(), whole.to_str().unwrap()]);
    assert_eq!(r["seq"], 7, "{r}");
    assert_eq!(r["blobs"], 3, "{r}");
    let other = TestStore::at(whole.clone());
    for q in [
        vec!["position", "--as-of", "2024-06-30"],
        vec!["state", "--as-of", "2024-06-30"],
        vec!["doc", "list"],
    ] {
        assert_eq!(s.json(&q), other.json(&q), "{q:?}");
    }
    let id = |p: &Path| {
        fs::read_to_string(p.join("FORMAT"))
            .unwrap()
            .lines()
            .find(|l| l.starts_with("id: "))
            .unwrap()
            .to_owned()
    };
    assert_eq!(id(&s.path), id(&whole));
    let verify = other.ok(&["verify"]);
    assert!(verify.starts_with("intact: 7 events"), "{verify}");
    let found = other.json(&["search", "notice period"]);
    assert!(found.to_string().contains("contract-"), "{found}");

    // An earlier seq: as the original stood at #5.
    let early = copy_dir(&s, "at-5");
    let r = s.json(&[
        "restore",
        copy.to_str().unwrap(),
        early.to_str().unwrap(),
        "--seq",
        "5",
    ]);
    assert_eq!(r["seq"], 5, "{r}");
    let at5 = TestStore::at(early);
    for q in [
        vec!["position", "--as-of", "2024-06-30"],
        vec!["state", "--as-of", "2024-06-30"],
    ] {
        let mut old = q.clone();
        old.extend(["--known-at", "#5"]);
        assert_eq!(s.json(&old), at5.json(&q), "{q:?}");
    }

    // Refusals: a non-empty directory, a seq past the head.
    let out = s.fails(
        2,
        &["restore", copy.to_str().unwrap(), whole.to_str().unwrap()],
    );
    assert!(out.contains("not empty"), "{out}");
    let out = s.fails(
        2,
        &[
            "restore",
            copy.to_str().unwrap(),
            copy_dir(&s, "x").to_str().unwrap(),
            "--seq",
            "99",
        ],
    );
    assert!(
        out.contains("#99") && out.contains("past the copy's head"),
        "{out}"
    );
    assert!(!copy_dir(&s, "x").exists());
}

#[test]
fn a_backup_killed_at_random_moments_completes_and_verifies() {
    let s = store_with_documents();
    import_300_purchases(&s);
    let copy = copy_dir(&s, "copy");
    let mut seed = 0x9e37_79b9_u64;
    let started = std::time::Instant::now();
    for round in 0..20 {
        if round == 10 {
            s.ok(&purchase("Adobe", "2", &["--end", "2024-12-31"]));
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = s
            .command(&["backup", copy.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 + seed % 120));
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(started.elapsed() < Duration::from_secs(30));
    // Whatever was left: no temporary file counts as an object, the last
    // manifest (if any) verifies, and one more run completes it.
    if copy.join("manifests").is_dir() {
        let out = s.run(&["backup", "verify", copy.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let done = backup(&s, &copy);
    assert_eq!(done["seq"], 306, "{done}");
    let out = s.ok(&["backup", "verify", copy.to_str().unwrap()]);
    assert!(out.starts_with("intact:"), "{out}");
    let restored = copy_dir(&s, "restored");
    s.ok(&[
        "restore",
        copy.to_str().unwrap(),
        restored.to_str().unwrap(),
    ]);
    assert_eq!(
        fs::read(s.log_path()).unwrap(),
        fs::read(restored.join("log/events.jsonl")).unwrap()
    );
}

#[test]
fn a_copy_of_another_store_is_refused() {
    let a = store_with_documents();
    let b = TestStore::new();
    b.ok(&purchase("Other", "1", &["--end", "2024-12-31"]));
    let copy = copy_dir(&a, "copy");
    backup(&a, &copy);
    let out = b.fails(2, &["backup", copy.to_str().unwrap()]);
    assert!(out.contains("the copy is of store"), "{out}");
    let out = b.fails(1, &["verify", "--against", copy.to_str().unwrap()]);
    assert!(out.contains("does NOT extend"), "{out}");
}

/// Runs a backup with stderr on a pseudo-terminal (`script`, from
/// util-linux): what a person at a terminal sees.
fn on_a_terminal(s: &TestStore, args: &[&str]) -> String {
    let line: Vec<String> = std::iter::once(crate::util::bin().display().to_string())
        .chain(["--store".into(), s.path.display().to_string()])
        .chain(args.iter().map(|a| (*a).to_owned()))
        .map(|a| format!("'{a}'"))
        .collect();
    let out = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &line.join(" "), "/dev/null"])
        .env("ENTITLE_ACTOR", "tester")
        .env_remove("ENTITLE_STORE")
        .stdin(Stdio::null())
        .output()
        .expect("`script` (util-linux) runs a command on a terminal");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_first_copy_shows_progress_on_a_terminal_only() {
    let s = store_with_documents();
    let copy = copy_dir(&s, "copy");
    let seen = on_a_terminal(&s, &["backup", copy.to_str().unwrap()]);
    assert!(seen.contains("copying"), "{seen:?}");
    // Not with --quiet or --json on the terminal, never without one.
    s.ok(&purchase("Adobe", "1", &["--end", "2024-12-31"]));
    let seen = on_a_terminal(&s, &["backup", copy.to_str().unwrap(), "--quiet"]);
    assert!(!seen.contains("copying"), "{seen:?}");
    s.ok(&purchase("Adobe", "1", &["--end", "2024-12-31"]));
    let seen = on_a_terminal(&s, &["backup", copy.to_str().unwrap(), "--json"]);
    assert!(
        !seen.contains("copying") && seen.contains("\"uploaded\""),
        "{seen:?}"
    );
    s.ok(&purchase("Adobe", "1", &["--end", "2024-12-31"]));
    let out = s.run(&["backup", copy.to_str().unwrap()]);
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
}

/// A store held by `entitle serve` is backed up through it (`--server`,
/// an admin's token): the server copies its committed head while it keeps
/// taking writes; the copy verifies and restores; another role is refused.
#[test]
fn a_served_store_is_backed_up_through_the_server() {
    use crate::serve::{admin, through_in, Served};
    let s = store_with_documents();
    let dest = copy_dir(&s, "served-copy");
    let server = Served::start(&s);
    let admin = admin(&server);
    admin.add_user(&server, "ed", "editor", &[]);
    let admin_token = admin.token(&server, "admin");
    let editor_token = admin.token(&server, "ed");
    let dir = s.path.parent().unwrap();
    let d = dest.to_str().unwrap();

    // Locally the store is the server's: the error says to go through it.
    let local = s.run(&["backup", d]);
    assert_eq!(local.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&local.stderr).contains("--server"));

    let refused = through_in(dir, &server.url, &editor_token, &["backup", d]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        !dest.join("manifests").exists(),
        "nothing copied for an editor"
    );

    let out = through_in(dir, &server.url, &admin_token, &["backup", d, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["seq"], 5, "{report}");
    assert_eq!(report["uploaded"]["blobs"], 3, "{report}");
    // A write after it, then the next backup copies only that.
    let out = through_in(
        dir,
        &server.url,
        &admin_token,
        &[
            "usage",
            "record",
            "--vendor",
            "Adobe",
            "--product",
            "Acrobat",
            "--metric",
            "user",
            "--count",
            "3",
            "--date",
            "2024-06-01",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = through_in(dir, &server.url, &admin_token, &["backup", d, "-v"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("backed up #6 "), "{said}");
    assert!(
        said.contains("2 new objects (1 segments, 0 documents, 1 other)"),
        "{said}"
    );
    drop(server);

    let verified = s.ok(&["backup", "verify", d]);
    assert!(verified.contains("holds events #1..#6"), "{verified}");
    s.ok(&["verify", "--against", d]);
}

/// Documents are sent several at a time; one altered on disk since it was
/// attached is refused by name (its bytes no longer hash to it) and no
/// manifest is written; once it is put right the next backup completes
/// and the copy verifies with every document.
#[test]
fn a_document_altered_on_disk_is_refused_by_name_and_the_next_backup_completes() {
    let s = store_with_documents();
    let dest = copy_dir(&s, "copy-altered");
    let blobs: Vec<PathBuf> = files_under(&s.path.join("blobs"));
    assert_eq!(blobs.len(), 3);
    let victim = &blobs[1];
    let original = fs::read(victim).unwrap();
    let mut changed = original.clone();
    changed[10] ^= 1;
    fs::write(victim, &changed).unwrap();
    let hash = victim
        .strip_prefix(s.path.join("blobs"))
        .unwrap()
        .to_str()
        .unwrap()
        .replace('/', "");
    let err = s.fails(2, &["backup", dest.to_str().unwrap()]);
    assert!(
        err.contains(&format!("document {hash}")) && err.contains("was altered"),
        "{err}"
    );
    let manifests = files_under(&dest)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("manifests/"))
        .count();
    assert_eq!(manifests, 0, "no manifest for a copy that failed");

    fs::write(victim, &original).unwrap();
    let done = backup(&s, &dest);
    assert_eq!(done["seq"], 5, "{done}");
    // The put-right document now; the others were sent by the failed run
    // (the senders work at once) or now.
    let sent = done["uploaded"]["blobs"].as_u64().unwrap();
    assert!((1..=3).contains(&sent), "{done}");
    let verified = s.ok(&["backup", "verify", dest.to_str().unwrap()]);
    assert!(
        verified.contains("intact") && verified.contains("3 documents re-hashed"),
        "{verified}"
    );
}
