//! Off-site copies in a real S3 server: SeaweedFS, started once for these
//! tests (`s3_server.rs`), each test with buckets of its own. The same
//! commands as the directory tests (`backup.rs`), run by the real binary
//! with the standard AWS variables: incremental uploads counted in the
//! bucket, `backup verify` catching altered objects, restore answering as
//! the original, `verify --against`, wrong credentials and a missing
//! bucket, Object Lock retention read back from the server, and a large
//! document sent in parts.

use std::collections::BTreeSet;
use std::fs;
use std::process::Output;

use serde_json::Value;

use crate::backup::{import_300_purchases, store_with_documents};
use crate::s3_server::{server, SECRET_KEY};
use crate::util::{purchase, TestStore};

/// Runs entitle with the S3 server's endpoint and `secret`.
fn run_with(s: &TestStore, secret: &str, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut c = s.command(args);
    server().env(&mut c, secret);
    for (k, v) in extra {
        c.env(k, v);
    }
    c.output().expect("run entitle")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    )
}

/// A command that must succeed: its stdout.
fn ok(s: &TestStore, args: &[&str]) -> String {
    let out = run_with(s, SECRET_KEY, args, &[]);
    assert!(
        out.status.success(),
        "entitle {args:?} failed ({:?}): {}",
        out.status.code(),
        text(&out)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A command that must fail with `code`: stderr and stdout.
fn fails(s: &TestStore, code: i32, args: &[&str]) -> String {
    let out = run_with(s, SECRET_KEY, args, &[]);
    assert_eq!(
        out.status.code(),
        Some(code),
        "entitle {args:?} should exit {code}: {}",
        text(&out)
    );
    text(&out)
}

fn json(s: &TestStore, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&ok(s, &all)).expect("JSON output")
}

/// The keys under `prefix/` in a bucket.
fn keys(bucket: &str, prefix: &str) -> BTreeSet<String> {
    server()
        .list(bucket)
        .into_keys()
        .filter(|k| k.starts_with(&format!("{prefix}/")))
        .collect()
}

#[test]
fn s3_full_then_incremental_backup_uploads_only_new_objects() {
    let weed = server();
    weed.create_bucket("incremental", false);
    let s = store_with_documents();
    let dest = "s3://incremental/acme";

    let first = json(&s, &["backup", dest]);
    assert_eq!(first["uploaded"]["segments"], 1, "{first}");
    assert_eq!(first["uploaded"]["blobs"], 3, "{first}");
    assert_eq!(first["uploaded"]["objects"], 6, "{first}");
    assert_eq!(first["seq"], 5);
    assert_eq!(
        first["object_lock"],
        "not configured on the bucket: objects are written without retention"
    );
    let before = keys("incremental", "acme");
    assert_eq!(before.len(), 6, "{before:?}");
    assert!(before.iter().any(|k| k.starts_with("acme/manifests/")));

    // Nothing new: nothing written.
    let again = json(&s, &["backup", dest]);
    assert_eq!(again["up_to_date"], true, "{again}");
    assert_eq!(again["uploaded"]["objects"], 0, "{again}");
    assert_eq!(keys("incremental", "acme"), before);

    // One new event: exactly one new segment and one new manifest.
    s.ok(&purchase("Adobe", "1", &["--end", "2024-12-31"]));
    let next = json(&s, &["backup", dest]);
    assert_eq!(next["uploaded"]["objects"], 2, "{next}");
    assert_eq!(next["uploaded"]["blobs"], 0, "{next}");
    let after = keys("incremental", "acme");
    let added: Vec<&String> = after.difference(&before).collect();
    assert_eq!(after.len(), 8);
    assert!(before.is_subset(&after), "an object went away");
    assert!(
        added.contains(&&"acme/segments/000000000006-000000000006.jsonl".to_owned()),
        "{added:?}"
    );
    assert!(
        added.iter().any(|k| k.starts_with("acme/manifests/")),
        "{added:?}"
    );

    // The segments are the raw log bytes.
    let mut joined = Vec::new();
    for k in after.iter().filter(|k| k.starts_with("acme/segments/")) {
        joined.extend(weed.get("incremental", k));
    }
    assert_eq!(joined, fs::read(s.log_path()).unwrap());

    // Quiet on success, and the copy checks out on its own.
    let out = run_with(&s, SECRET_KEY, &["backup", dest], &[]);
    assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty());
    let verified = ok(&s, &["backup", "verify", dest]);
    assert!(
        verified.starts_with("intact: s3://incremental/acme holds events #1..#6"),
        "{verified}"
    );
    let extends = ok(&s, &["verify", "--against", dest]);
    assert!(
        extends.contains("extends the backup s3://incremental/acme"),
        "{extends}"
    );
}

#[test]
fn s3_backup_verify_names_a_changed_byte_in_a_segment_a_blob_and_the_manifest() {
    let weed = server();
    weed.create_bucket("tamper", false);
    let s = store_with_documents();
    let dest = "s3://tamper/x";
    json(&s, &["backup", dest]);
    let all = keys("tamper", "x");
    let first = |dir: &str| {
        all.iter()
            .find(|k| k.starts_with(&format!("x/{dir}/")))
            .unwrap()
            .clone()
    };
    for (key, at) in [
        (first("segments"), 10),
        (first("blobs"), 5),
        (first("manifests"), 30),
    ] {
        let original = weed.get("tamper", &key);
        let mut changed = original.clone();
        changed[at] ^= 0x01;
        // No Object Lock on this bucket: whoever holds its keys can
        // replace an object. The copy must show it.
        weed.put("tamper", &key, changed);
        let out = fails(&s, 1, &["backup", "verify", dest]);
        let name = key.strip_prefix("x/").unwrap();
        assert!(out.contains("NOT intact: s3://tamper/x"), "{out}");
        assert!(out.contains(name), "{name}: {out}");
        weed.put("tamper", &key, original);
    }
    let out = ok(&s, &["backup", "verify", dest]);
    assert!(out.starts_with("intact:"), "{out}");
}

#[test]
fn s3_restore_answers_as_the_original_and_verify_against_the_copy() {
    server().create_bucket("restore", false);
    let s = store_with_documents();
    let dest = "s3://restore/store-1";
    json(&s, &["backup", dest]);
    s.ok(&purchase("Adobe", "7", &["--end", "2026-12-31"]));
    s.ok(&["void", "1", "--note", "typo"]);
    json(&s, &["backup", dest]);

    let whole = s.path.with_file_name("restored");
    let r = json(&s, &["restore", dest, whole.to_str().unwrap()]);
    assert_eq!(r["seq"], 7, "{r}");
    assert_eq!(r["blobs"], 3, "{r}");
    let other = TestStore::at(whole);
    for q in [
        vec!["position", "--as-of", "2024-06-30"],
        vec!["state", "--as-of", "2024-06-30"],
        vec!["doc", "list"],
        vec!["search", "notice period"],
    ] {
        assert_eq!(s.json(&q), other.json(&q), "{q:?}");
    }
    assert_eq!(
        fs::read(s.log_path()).unwrap(),
        fs::read(other.log_path()).unwrap()
    );
    assert!(other.ok(&["verify"]).starts_with("intact: 7 events"));
    let extends = ok(&other, &["verify", "--against", dest]);
    assert!(extends.contains("extends the backup"), "{extends}");
    // The key was not copied: the restored store cannot add to the copy
    // under a new one, and is told what to do.
    let out = fails(&other, 2, &["backup", dest]);
    assert!(out.contains("signed by another key"), "{out}");
    assert!(out.contains("keys/checkpoint_ed25519 back"), "{out}");

    // An earlier seq: as the original stood at #5 …
    let early = s.path.with_file_name("at-5");
    let r = json(
        &s,
        &["restore", dest, early.to_str().unwrap(), "--seq", "5"],
    );
    assert_eq!(r["seq"], 5, "{r}");
    let at5 = TestStore::at(early);
    let q = ["position", "--as-of", "2024-06-30"];
    assert_eq!(
        s.json(&[&q[..], &["--known-at", "#5"]].concat()),
        at5.json(&q)
    );
    // … which the copy shows as cut short.
    let out = fails(&at5, 1, &["verify", "--against", dest]);
    assert!(out.contains("does NOT extend"), "{out}");
    assert!(
        out.contains("events were removed from the local log"),
        "{out}"
    );
}

#[test]
fn s3_wrong_credentials_are_refused_naming_what_to_fix_and_nothing_is_written() {
    let weed = server();
    weed.create_bucket("credentials", false);
    let s = store_with_documents();
    let dest = "s3://credentials/acme";
    let out = run_with(&s, "not-the-secret", &["backup", dest], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("s3://credentials/acme"), "{said}");
    assert!(said.contains("SignatureDoesNotMatch"), "{said}");
    assert!(said.contains("AWS_SECRET_ACCESS_KEY"), "{said}");
    assert!(weed.list("credentials").is_empty(), "something was written");

    // No credentials at all: said before anything is sent.
    let mut c = s.command(&["backup", dest]);
    weed.env(&mut c, SECRET_KEY)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out);
    assert!(
        said.contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set"),
        "{said}"
    );

    // Reading a copy with a wrong secret is refused the same way.
    json(&s, &["backup", dest]);
    for args in [
        vec!["backup", "verify", dest],
        vec!["verify", "--against", dest],
    ] {
        let out = run_with(&s, "not-the-secret", &args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("AWS_SECRET_ACCESS_KEY"),
            "{}",
            text(&out)
        );
    }
}

#[test]
fn s3_a_missing_bucket_is_named() {
    let s = store_with_documents();
    let out = fails(&s, 2, &["backup", "s3://no-such-bucket/acme"]);
    assert!(
        out.contains("the bucket no-such-bucket does not exist"),
        "{out}"
    );
    assert!(out.contains("create the bucket"), "{out}");
    let dir = s.path.with_file_name("never");
    let out = fails(
        &s,
        2,
        &["restore", "s3://no-such-bucket/acme", dir.to_str().unwrap()],
    );
    assert!(out.contains("no-such-bucket"), "{out}");
    assert!(!dir.exists());
}

/// Parses an RFC 3339 time as S3 servers write it.
fn at(text: &str) -> jiff::Timestamp {
    text.trim()
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} is no RFC 3339 time: {e}"))
}

#[test]
fn s3_object_lock_every_object_carries_the_retention_asked_for() {
    let weed = server();
    weed.create_bucket("locked", true);
    let s = store_with_documents();
    let dest = "s3://locked/acme";
    let asked = jiff::Timestamp::now();
    let r = json(
        &s,
        &[
            "backup",
            dest,
            "--retain-days",
            "2",
            "--lock-mode",
            "governance",
        ],
    );
    assert_eq!(
        r["object_lock"], "Object Lock configured on the bucket (no default retention)",
        "{r}"
    );
    let retention = r["retention"].as_str().unwrap();
    let until = at(retention.strip_prefix("GOVERNANCE until ").unwrap());
    let two_days = jiff::SignedDuration::from_hours(48);
    let off = until.duration_since(asked) - two_days;
    assert!(
        off.abs() < jiff::SignedDuration::from_secs(120),
        "{retention}"
    );

    let first = keys("locked", "acme");
    assert_eq!(first.len(), 6);
    for key in &first {
        let h = weed.head("locked", key);
        let get = |n: &str| h.get(n).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            get("x-amz-object-lock-mode").as_deref(),
            Some("GOVERNANCE"),
            "{key}"
        );
        let said = get("x-amz-object-lock-retain-until-date").unwrap_or_default();
        assert_eq!(at(&said), until, "{key}: {said}");
        let (status, body) = weed.retention("locked", key);
        assert_eq!(status, 200, "{key}: {body}");
        assert!(body.contains("<Mode>GOVERNANCE</Mode>"), "{key}: {body}");
    }

    // The next backup's new objects carry its own retention; the old ones
    // keep theirs.
    s.ok(&purchase("Adobe", "1", &["--end", "2024-12-31"]));
    let r = json(&s, &["backup", dest, "--retain-days", "1"]);
    let retention = r["retention"].as_str().unwrap();
    assert!(retention.starts_with("COMPLIANCE until "), "{retention}");
    let until = at(retention.strip_prefix("COMPLIANCE until ").unwrap());
    let added: Vec<String> = keys("locked", "acme").difference(&first).cloned().collect();
    assert_eq!(added.len(), 2, "{added:?}");
    for key in &added {
        let h = weed.head("locked", key);
        assert_eq!(h["x-amz-object-lock-mode"], "COMPLIANCE", "{key}");
        assert_eq!(
            at(h["x-amz-object-lock-retain-until-date"].to_str().unwrap()),
            until
        );
        // What COMPLIANCE is for: the server refuses to delete the
        // version (observed with SeaweedFS; entitle only reports the
        // bucket's configuration, never that it is enforced).
        let version = h["x-amz-version-id"].to_str().unwrap().to_owned();
        assert_eq!(weed.delete_version("locked", key, &version), 403, "{key}");
    }
    assert!(ok(&s, &["backup", "verify", dest]).starts_with("intact:"));

    // Without Object Lock, a retention asked for is said once not to apply.
    weed.create_bucket("unlocked", false);
    let out = run_with(
        &s,
        SECRET_KEY,
        &["backup", "s3://unlocked/acme", "--retain-days", "30"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        said.matches("Object Lock is not configured").count(),
        1,
        "{said}"
    );
    let key = keys("unlocked", "acme").into_iter().next().unwrap();
    assert!(weed
        .head("unlocked", &key)
        .get("x-amz-object-lock-mode")
        .is_none());
}

#[test]
fn s3_a_large_document_goes_up_in_parts_with_its_retention() {
    let weed = server();
    weed.create_bucket("multipart", true);
    let s = store_with_documents();
    // 11 MiB of varied bytes: with the threshold lowered to 5 MiB, three
    // parts of 5, 5 and 1 MiB.
    let big = s.path.with_file_name("scan.bin");
    let mut bytes = Vec::with_capacity(11 << 20);
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    while bytes.len() < 11 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    fs::write(&big, &bytes).unwrap();
    s.ok(&["attach", "L-1", big.to_str().unwrap()]);
    let hash = blake3::hash(&bytes).to_hex().to_string();

    let dest = "s3://multipart/acme";
    let out = run_with(
        &s,
        SECRET_KEY,
        &["backup", dest, "--retain-days", "3", "--json"],
        &[("ENTITLE_S3_MULTIPART_BYTES", "5242880")],
    );
    assert!(out.status.success(), "{}", text(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["uploaded"]["blobs"], 4, "{r}");
    let key = format!("acme/blobs/{hash}");
    assert_eq!(weed.list("multipart")[&key], 11 << 20);
    let h = weed.head("multipart", &key);
    // S3 names a multipart object's ETag by its part count.
    let etag = h["etag"].to_str().unwrap();
    assert!(etag.trim_matches('"').ends_with("-3"), "{etag}");
    assert_eq!(h["x-amz-object-lock-mode"], "COMPLIANCE");
    let until = at(r["retention"]
        .as_str()
        .unwrap()
        .strip_prefix("COMPLIANCE until ")
        .unwrap());
    assert_eq!(
        at(h["x-amz-object-lock-retain-until-date"].to_str().unwrap()),
        until
    );
    assert_eq!(weed.get("multipart", &key), bytes);
    // The small documents went up whole.
    for (k, _) in weed
        .list("multipart")
        .iter()
        .filter(|(k, _)| k.contains("/blobs/") && **k != key)
    {
        let etag = weed.head("multipart", k)["etag"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(!etag.contains('-'), "{k}: {etag}");
    }

    let out = ok(&s, &["backup", "verify", dest]);
    assert!(out.contains("4 documents re-hashed"), "{out}");
    let restored = s.path.with_file_name("restored");
    ok(&s, &["restore", dest, restored.to_str().unwrap()]);
    assert_eq!(
        fs::read(restored.join("blobs").join(&hash[..2]).join(&hash[2..])).unwrap(),
        bytes
    );
}

#[test]
fn s3_a_backup_killed_at_random_moments_completes_and_verifies() {
    server().create_bucket("killed", false);
    let s = store_with_documents();
    import_300_purchases(&s);
    let dest = "s3://killed/acme";
    let mut seed = 0x2545_f491_u64;
    for round in 0..10 {
        if round == 5 {
            s.ok(&purchase("Adobe", "2", &["--end", "2024-12-31"]));
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut c = s.command(&["backup", dest]);
        server().env(&mut c, SECRET_KEY);
        let mut child = c
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5 + seed % 150));
        let _ = child.kill();
        let _ = child.wait();
        // Whatever a killed run left, the latest manifest (if any) holds.
        if keys("killed", "acme")
            .iter()
            .any(|k| k.contains("/manifests/"))
        {
            let out = ok(&s, &["backup", "verify", dest]);
            assert!(out.starts_with("intact:"), "round {round}: {out}");
        }
    }
    let done = json(&s, &["backup", dest]);
    assert_eq!(done["seq"], 306, "{done}");
    assert!(ok(&s, &["backup", "verify", dest]).starts_with("intact:"));
    let restored = s.path.with_file_name("restored");
    ok(&s, &["restore", dest, restored.to_str().unwrap()]);
    assert_eq!(
        fs::read(s.log_path()).unwrap(),
        fs::read(restored.join("log/events.jsonl")).unwrap()
    );
}

#[test]
fn s3_an_unreachable_server_is_tried_again_then_named() {
    let s = store_with_documents();
    // A port nothing listens on (bound, then freed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = s.command(&["backup", "s3://anywhere/acme"]);
    server().env(&mut c, SECRET_KEY);
    c.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"));
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("s3://anywhere/acme"), "{said}");
    assert!(said.contains("tried 4 times"), "{said}");
    assert!(said.contains("AWS_ENDPOINT_URL"), "{said}");
}
