//! Documents end to end: `--format csv` of `doc list` and `search`, and the
//! document defects of issue 11 (items 4, 8, 9, 14 and stored text in
//! tables), each test failing before its fix.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::TestStore;

fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<HashMap<String, String>>) {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let headers: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.clone(), v.to_owned()))
                .collect()
        })
        .collect();
    (headers, rows)
}

/// A store with one license and a text document attached to it, written
/// under `name` in the store's parent directory; returns the document's
/// hash.
fn with_document(s: &TestStore, name: &str, text: &str) -> String {
    s.ok(&[
        "purchase",
        "--vendor",
        "Nordlicht Software AG",
        "--product",
        "CAD",
        "--metric",
        "user",
        "--qty",
        "10",
        "--start",
        "2024-01-01",
    ]);
    let file = s.path.with_file_name(name);
    std::fs::write(&file, text).unwrap();
    let v = s.json(&[
        "attach",
        "L-0001",
        file.to_str().unwrap(),
        "--kind",
        "contract",
    ]);
    v["documents"][0]["hash"].as_str().unwrap().to_owned()
}

fn stdout(s: &TestStore, args: &[&str]) -> Vec<u8> {
    let out = s.run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn doc_list_as_csv() {
    let s = TestStore::new();
    let hash = with_document(&s, "=vertrag.txt", "Kuendigungsfrist drei Monate");
    let (headers, rows) = read_csv(&stdout(&s, &["doc", "list", "--format", "csv"]));
    assert_eq!(
        headers,
        [
            "hash",
            "filename",
            "kind",
            "size",
            "media_type",
            "license_ids",
            "vendors",
            "searchable"
        ]
    );
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["hash"], hash);
    // The formula guard of every CSV entitle writes.
    assert_eq!(r["filename"], "'=vertrag.txt");
    assert_eq!(r["kind"], "contract");
    assert_eq!(r["size"], "28");
    assert_eq!(r["media_type"], "text/plain");
    assert_eq!(r["license_ids"], r#"["L-0001"]"#);
    assert_eq!(r["vendors"], r#"["Nordlicht Software AG"]"#);
    assert_eq!(r["searchable"], "yes");
}

#[test]
fn search_as_csv() {
    let s = TestStore::new();
    let hash = with_document(
        &s,
        "vertrag.txt",
        "Die Kuendigungsfrist betraegt drei Monate",
    );
    let (headers, rows) = read_csv(&stdout(
        &s,
        &["search", "Kuendigungsfrist", "--format", "csv"],
    ));
    assert_eq!(
        headers,
        [
            "hash",
            "filename",
            "license_ids",
            "vendor",
            "kind",
            "score",
            "snippet"
        ]
    );
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["hash"], hash);
    assert_eq!(r["filename"], "vertrag.txt");
    assert_eq!(r["license_ids"], r#"["L-0001"]"#);
    assert_eq!(r["vendor"], "Nordlicht Software AG");
    assert_eq!(r["kind"], "contract");
    assert!(r["score"].parse::<f64>().unwrap() > 0.0, "{r:?}");
    assert!(r["snippet"].contains("**Kuendigungsfrist**"), "{r:?}");
    // The same hits as --json.
    let v = s.json(&["search", "Kuendigungsfrist"]);
    assert_eq!(v["hits"][0]["snippet"].as_str().unwrap(), r["snippet"]);
}

#[test]
fn csv_has_its_header_row_when_there_are_no_rows() {
    let s = TestStore::new();
    s.ok(&[
        "purchase",
        "--vendor",
        "V",
        "--product",
        "P",
        "--metric",
        "user",
        "--qty",
        "1",
        "--start",
        "2024-01-01",
    ]);
    let list = stdout(&s, &["doc", "list", "--format", "csv"]);
    assert_eq!(
        list,
        b"\xEF\xBB\xBFhash,filename,kind,size,media_type,license_ids,vendors,searchable\r\n"
    );
    let hits = stdout(&s, &["search", "nothing", "--format", "csv"]);
    assert_eq!(
        hits,
        b"\xEF\xBB\xBFhash,filename,license_ids,vendor,kind,score,snippet\r\n"
    );
    // --format json is --json, and table stays the default.
    assert_eq!(
        stdout(&s, &["doc", "list", "--format", "json"]),
        stdout(&s, &["doc", "list", "--json"])
    );
    assert_eq!(
        stdout(&s, &["search", "nothing", "--format", "table"]),
        stdout(&s, &["search", "nothing"])
    );
}

/// Changes a blob's bytes behind the store's back.
fn tamper(s: &TestStore, hash: &str) {
    let v = s.json(&["doc", "show", hash]);
    let path = PathBuf::from(v["path"].as_str().unwrap());
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    std::fs::write(&path, "Kuendigungsfrist ein Tag").unwrap();
}

/// Files in `dir` whose names start with `.entitle-` (temporary files).
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".entitle-"))
        })
        .collect()
}

#[test]
fn issue_11_item_4_doc_get_refuses_a_changed_blob_and_writes_nothing() {
    let s = TestStore::new();
    let hash = with_document(&s, "vertrag.txt", "Kuendigungsfrist drei Monate");
    tamper(&s, &hash);
    let out = s.run(&["doc", "get", &hash]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("was changed in the archive"), "{err}");
    assert!(err.contains("`entitle verify`"), "{err}");
    let target = s.path.with_file_name("copy.txt");
    let err = s.fails(2, &["doc", "get", &hash, "--out", target.to_str().unwrap()]);
    assert!(err.contains("was changed in the archive"), "{err}");
    assert!(!target.exists());
    assert!(temporaries(target.parent().unwrap()).is_empty());
}

#[cfg(unix)]
#[test]
fn issue_11_item_8_doc_get_out_is_atomic_and_never_follows_a_link() {
    let s = TestStore::new();
    let hash = with_document(&s, "vertrag.txt", "Kuendigungsfrist drei Monate");
    let dir = s.path.parent().unwrap().to_owned();
    let victim = dir.join("victim");
    let link = dir.join("out.txt");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    // A dangling link at the target is an existing target.
    let err = s.fails(2, &["doc", "get", &hash, "--out", link.to_str().unwrap()]);
    assert!(err.contains("already exists"), "{err}");
    assert!(err.contains("pass --force"), "{err}");
    assert!(!victim.exists(), "written through the link");
    // With --force the link is replaced by the file, not followed.
    s.ok(&[
        "doc",
        "get",
        &hash,
        "--out",
        link.to_str().unwrap(),
        "--force",
    ]);
    assert!(!victim.exists(), "written through the link");
    assert_eq!(
        std::fs::read(&link).unwrap(),
        b"Kuendigungsfrist drei Monate"
    );
    assert!(temporaries(&dir).is_empty());
    // A target that cannot be written is named, and nothing is left.
    let err = s.fails(2, &["doc", "get", &hash, "--out", "/dev/full"]);
    assert!(err.contains("/dev/full"), "{err}");
    assert!(!err.contains("<output>"), "{err}");
}

#[cfg(unix)]
#[test]
fn issue_11_item_8_renewals_ics_replaces_a_link_instead_of_following_it() {
    let s = TestStore::new();
    s.ok(&[
        "purchase",
        "--vendor",
        "V",
        "--product",
        "P",
        "--metric",
        "user",
        "--qty",
        "1",
        "--start",
        "2024-01-01",
        "--end",
        "2024-12-31",
    ]);
    let dir = s.path.parent().unwrap().to_owned();
    let victim = dir.join("victim.ics");
    std::fs::write(&victim, "keep").unwrap();
    let link = dir.join("deadlines.ics");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    s.ok(&[
        "renewals",
        "--as-of",
        "2024-11-01",
        "--within",
        "90",
        "--ics",
        link.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    let ics = std::fs::read_to_string(&link).unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    assert!(temporaries(&dir).is_empty());
}

#[test]
fn issue_11_item_9_doc_list_agrees_with_search_after_an_automatic_rebuild() {
    let s = TestStore::new();
    let hash = with_document(&s, "vertrag.txt", "Kuendigungsfrist drei Monate");
    // The derived state is lost; the next command rebuilds it from the
    // log, while the search index stays.
    std::fs::remove_dir_all(s.path.join("db")).unwrap();
    let hits = s.json(&["search", "Kuendigungsfrist"]);
    assert_eq!(hits["hits"][0]["hash"], hash, "{hits:#}");
    let v = s.json(&["doc", "list"]);
    assert_eq!(v["documents"][0]["searchable"], true, "{v:#}");
    let v = s.json(&["doc", "show", &hash]);
    assert_eq!(v["searchable"], true, "{v:#}");
    let table = s.ok(&["doc", "list"]);
    assert!(table.contains("  searchable"), "{table}");
}

#[test]
fn issue_11_item_14_search_limit_is_bounded() {
    let s = TestStore::new();
    with_document(&s, "vertrag.txt", "Kuendigungsfrist drei Monate");
    for limit in [
        "4294967296",
        "18446744073709551615",
        "0",
        "1001",
        "-1",
        "ten",
    ] {
        let err = s.fails(2, &["search", "Kuendigungsfrist", "--limit", limit]);
        assert_eq!(
            err.trim_end(),
            format!("error: --limit {limit} must be a whole number from 1 to 1000"),
        );
    }
    let v: Value = s.json(&["search", "Kuendigungsfrist", "--limit", "1000"]);
    assert_eq!(v["total"], 1);
}

#[test]
fn search_tables_show_stored_text_visibly() {
    let s = TestStore::new();
    // Text extraction drops control characters, but not zero-width or
    // bidirectional ones: a table must not pass them to a terminal.
    with_document(
        &s,
        "vertrag.txt",
        "Die Mietdauer \u{202e}betraegt zwei\u{200b}Jahre",
    );
    let out = s.ok(&["search", "Mietdauer"]);
    assert!(!out.contains('\u{202e}'), "{out}");
    assert!(!out.contains('\u{200b}'), "{out}");
    assert!(
        out.contains("\\u{202e}betraegt zwei\\u{200b}Jahre"),
        "{out}"
    );
    // JSON keeps the text as it is.
    let v = s.json(&["search", "Mietdauer"]);
    assert!(
        v["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains('\u{202e}'),
        "{v:#}"
    );
}
