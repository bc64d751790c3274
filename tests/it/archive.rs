//! The contract archive end to end: `attach`, `doc list|show|get`, `search`,
//! `reindex` and `verify` with the real documents of `data/documents/`, and
//! hostile or bad input.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::TestStore;

fn documents() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/documents")
}

fn doc(name: &str) -> String {
    documents().join(name).to_str().unwrap().to_owned()
}

/// Records a purchase and returns the new license id.
fn purchase(s: &TestStore, vendor: &str, product: &str) -> String {
    s.json(&[
        "purchase",
        "--vendor",
        vendor,
        "--product",
        product,
        "--metric",
        "user",
        "--qty",
        "10",
        "--start",
        "2024-01-01",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Attaches files to a license (or `--vendor V`) and returns the JSON report.
fn attach(s: &TestStore, to: &[&str], files: &[&str], kind: &str) -> Value {
    let mut args = vec!["attach"];
    args.extend_from_slice(to);
    args.extend_from_slice(files);
    args.extend_from_slice(&["--kind", kind]);
    s.json(&args)
}

fn search(s: &TestStore, args: &[&str]) -> Value {
    let mut all = vec!["search"];
    all.extend_from_slice(args);
    s.json(&all)
}

fn filenames(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["filename"].as_str().unwrap().to_owned())
        .collect()
}

fn hit<'a>(v: &'a Value, filename: &str) -> &'a Value {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["filename"] == filename)
        .unwrap_or_else(|| panic!("{filename} not among the hits: {v:#}"))
}

/// Every file under `<store>/blobs/`, recursively.
fn blob_files(s: &TestStore) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&s.path.join("blobs"), &mut out);
    out.sort();
    out
}

fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// A store with one Nordlicht license and every demo document attached to
/// it; returns the license id.
fn archive_with_all_documents(s: &TestStore) -> String {
    let id = purchase(s, "Nordlicht Software AG", "Nordlicht CAD 3D");
    for (name, kind) in [
        ("rahmenvertrag-nordlicht-cad.pdf", "contract"),
        ("rahmenvertrag-nordlicht-cad.md", "contract"),
        ("nordlicht-subscription-terms.html", "terms"),
        ("order-confirmation-nl-2024-0412.eml", "order"),
        ("order-confirmation-nl-2024-0412.txt", "order"),
        (
            "kuendigungsbestaetigung-nordlicht-pdm.txt",
            "correspondence",
        ),
        ("apache-2.0.pdf", "eula"),
        ("mpl-2.0.docx", "eula"),
        ("gpl-3.0.odt", "eula"),
    ] {
        let v = attach(s, &[&id], &[&doc(name)], kind);
        let d = &v["documents"][0];
        assert_eq!(d["filename"], name, "{v}");
        assert_eq!(d["searchable"], true, "{name}: {v}");
    }
    id
}

/// Searches `query` and checks that `filename` is a hit whose snippet
/// highlights `word` (case-insensitively).
fn finds(s: &TestStore, query: &str, filename: &str, word: &str) {
    let v = search(s, &[query]);
    let h = hit(&v, filename);
    let snippet = h["snippet"].as_str().unwrap().to_lowercase();
    let marked = format!("**{}**", word.to_lowercase());
    assert!(
        snippet.contains(&marked),
        "{query:?}: {filename}: {marked} not in snippet {snippet:?}"
    );
}

#[test]
fn every_format_is_searchable_by_a_known_phrase() {
    let s = TestStore::new();
    archive_with_all_documents(&s);
    // PDF, German (LibreOffice from pandoc's DOCX).
    finds(
        &s,
        "Virtualisierung",
        "rahmenvertrag-nordlicht-cad.pdf",
        "Virtualisierung",
    );
    // Markdown, German; phrase query.
    finds(
        &s,
        "\"Kündigungsfrist von 90 Tagen\"",
        "rahmenvertrag-nordlicht-cad.md",
        "Kündigungsfrist",
    );
    // HTML, English; its script is not indexed.
    finds(
        &s,
        "\"notice period\"",
        "nordlicht-subscription-terms.html",
        "notice",
    );
    assert_eq!(search(&s, &["analyticsToken"])["total"], 0);
    // E-mail: its body (German subject) and the text of its PDF attachment.
    finds(
        &s,
        "Auftragsbestätigung",
        "order-confirmation-nl-2024-0412.eml",
        "Auftragsbestätigung",
    );
    finds(
        &s,
        "\"notice period of 90 days\"",
        "order-confirmation-nl-2024-0412.eml",
        "notice",
    );
    finds(
        &s,
        "\"Net total\"",
        "order-confirmation-nl-2024-0412.eml",
        "Net",
    );
    // Plain text in Windows-1252.
    finds(
        &s,
        "Teilkündigung",
        "kuendigungsbestaetigung-nordlicht-pdm.txt",
        "Teilkündigung",
    );
    // License texts: PDF, DOCX, ODT.
    finds(
        &s,
        "\"Grant of Copyright License\"",
        "apache-2.0.pdf",
        "Grant",
    );
    finds(&s, "\"Covered Software\"", "mpl-2.0.docx", "Covered");
    finds(&s, "\"GNU GENERAL PUBLIC LICENSE\"", "gpl-3.0.odt", "GNU");
    // A phrase that is only in one document finds only that one.
    let v = search(&s, &["\"Grant of Copyright License\""]);
    assert_eq!(filenames(&v), ["apache-2.0.pdf"], "{v:#}");
    // Text output: a count, the file and the highlighted snippet.
    let out = s.ok(&["search", "Teilkündigung"]);
    assert!(out.contains("3 documents match \"Teilkündigung\""), "{out}");
    assert!(
        out.contains("kuendigungsbestaetigung-nordlicht-pdm.txt  [correspondence]"),
        "{out}"
    );
    assert!(out.contains("**Teilkündigung**"), "{out}");
}

#[test]
fn german_and_english_inflections_are_found() {
    let s = TestStore::new();
    let id = purchase(&s, "Nordlicht Software AG", "Nordlicht CAD 3D");
    // Documents with only the inflected forms, so the base form cannot
    // match literally.
    let dir = tempfile::tempdir().unwrap();
    let de = dir.path().join("vertrag.txt");
    std::fs::write(
        &de,
        "Die Lizenzen werden jährlich abgerechnet. Es gelten die Kündigungsfristen des Rahmenvertrags.\n",
    )
    .unwrap();
    let en = dir.path().join("terms.txt");
    std::fs::write(&en, "All renewals are invoiced in advance.\n").unwrap();
    attach(
        &s,
        &[&id],
        &[de.to_str().unwrap(), en.to_str().unwrap()],
        "contract",
    );
    finds(&s, "Lizenz", "vertrag.txt", "Lizenzen");
    finds(&s, "Kündigungsfrist", "vertrag.txt", "Kündigungsfristen");
    finds(&s, "renewal", "terms.txt", "renewals");
    // Lowercase and without umlaut folding trouble: a lowercase query works.
    finds(&s, "kündigungsfrist", "vertrag.txt", "Kündigungsfristen");

    // And in the real documents.
    attach(
        &s,
        &[&id],
        &[
            &doc("rahmenvertrag-nordlicht-cad.pdf"),
            &doc("nordlicht-subscription-terms.html"),
        ],
        "contract",
    );
    let v = search(&s, &["Kündigungsfrist"]);
    let names = filenames(&v);
    assert!(
        names.contains(&"rahmenvertrag-nordlicht-cad.pdf".to_owned()),
        "{v:#}"
    );
    let v = search(&s, &["renewal"]);
    assert!(
        filenames(&v).contains(&"nordlicht-subscription-terms.html".to_owned()),
        "{v:#}"
    );
}

#[test]
fn search_json_has_exactly_the_documented_fields() {
    let s = TestStore::new();
    let id = purchase(&s, "Nordlicht Software AG", "Nordlicht CAD 3D");
    let hash = attach(
        &s,
        &[&id],
        &[&doc("rahmenvertrag-nordlicht-cad.pdf")],
        "contract",
    )["documents"][0]["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let v = search(&s, &["Lizenzen"]);
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["hits", "query", "total"], "{v:#}");
    assert_eq!(v["query"], "Lizenzen");
    assert_eq!(v["total"], 1);
    let h = &v["hits"][0];
    let mut keys: Vec<&str> = h.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "filename",
            "hash",
            "kind",
            "license_ids",
            "score",
            "snippet",
            "vendor"
        ],
        "{h:#}"
    );
    assert_eq!(h["hash"], hash);
    assert_eq!(h["filename"], "rahmenvertrag-nordlicht-cad.pdf");
    assert_eq!(h["license_ids"], serde_json::json!([id]));
    assert_eq!(h["vendor"], "Nordlicht Software AG");
    assert_eq!(h["kind"], "contract");
    assert!(h["score"].as_f64().unwrap() > 0.0, "{h}");
    assert!(h["snippet"].as_str().unwrap().contains("**"), "{h}");
}

#[test]
fn attaching_twice_adds_an_event_not_a_blob_and_get_returns_the_bytes() {
    let s = TestStore::new();
    let a = purchase(&s, "Nordlicht Software AG", "Nordlicht CAD 3D");
    let b = purchase(&s, "Nordlicht Software AG", "Nordlicht PDM");
    let path = doc("apache-2.0.pdf");
    let bytes = std::fs::read(&path).unwrap();

    let first = attach(&s, &[&a], &[&path], "eula");
    let hash = first["documents"][0]["hash"].as_str().unwrap().to_owned();
    assert_eq!(first["documents"][0]["new"], true);
    assert_eq!(first["documents"][0]["size"], bytes.len());
    assert_eq!(first["documents"][0]["media_type"], "application/pdf");
    let blobs = blob_files(&s);
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    let events = s.log_lines().len();

    // The same bytes to a second license: one more event, no second blob.
    let out = s.ok(&["attach", &b, &path, "--kind", "eula"]);
    assert!(out.contains("already archived"), "{out}");
    assert!(out.contains(&format!("to {b}")), "{out}");
    assert_eq!(s.log_lines().len(), events + 1);
    assert_eq!(blob_files(&s), blobs);
    let last = s.log_lines().pop().unwrap();
    assert!(last.contains("document_attached"), "{last}");
    assert!(last.contains(&hash), "{last}");

    // The hash is BLAKE3 of the bytes, as the blake3 crate and b3sum say.
    assert_eq!(hash, blake3_hex(&bytes));
    assert_eq!(hash.len(), 64);
    let b3 = Command::new("b3sum").arg(&path).output();
    match b3 {
        Ok(out) if out.status.success() => {
            let line = String::from_utf8(out.stdout).unwrap();
            assert_eq!(
                line.split_whitespace().next(),
                Some(hash.as_str()),
                "{line}"
            );
        }
        _ if std::env::var_os("CI").is_some() => panic!("b3sum is not installed"),
        _ => eprintln!("b3sum not installed: skipping the comparison with it"),
    }
    // The blob itself holds the bytes.
    assert_eq!(std::fs::read(&blobs[0]).unwrap(), bytes);

    // doc get to stdout and to a file: the same bytes.
    let out = s.run(&["doc", "get", &hash]);
    assert!(out.status.success());
    assert_eq!(out.stdout, bytes);
    let target = s.path.with_file_name("copy.pdf");
    let t = target.to_str().unwrap();
    s.ok(&["doc", "get", &hash[..8], "--out", t]);
    assert_eq!(std::fs::read(&target).unwrap(), bytes);
    // It refuses to overwrite without --force.
    std::fs::write(&target, b"keep me").unwrap();
    let err = s.fails(2, &["doc", "get", &hash, "--out", t]);
    assert!(err.contains("--force"), "{err}");
    assert!(err.contains("copy.pdf"), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    s.ok(&["doc", "get", &hash, "--out", t, "--force"]);
    assert_eq!(std::fs::read(&target).unwrap(), bytes);

    // doc show lists both bindings; doc list shows one document.
    let v = s.json(&["doc", "show", &hash[..8]]);
    assert_eq!(v["hash"], hash);
    assert_eq!(v["searchable"], true);
    let bound: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["license_id"].as_str().unwrap())
        .collect();
    assert_eq!(bound, [a.as_str(), b.as_str()]);
    let out = s.ok(&["doc", "show", &hash]);
    assert!(out.contains(&format!("document   {hash}")), "{out}");
    assert!(out.contains("searchable ("), "{out}");
    let v = s.json(&["doc", "list"]);
    assert_eq!(v["documents"].as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(v["documents"][0]["license_ids"], serde_json::json!([a, b]));
    let v = s.json(&["doc", "list", "--license", &b]);
    assert_eq!(v["documents"][0]["hash"], hash);
    s.ok(&["verify"]);
}

#[test]
fn hash_prefixes_short_unknown_and_ambiguous() {
    let s = TestStore::new();
    let id = purchase(&s, "Nordlicht Software AG", "Nordlicht CAD 3D");
    let hash = attach(&s, &[&id], &[&doc("gpl-3.0.odt")], "eula")["documents"][0]["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    // 8 characters, upper case too, are accepted.
    assert_eq!(s.json(&["doc", "show", &hash[..8]])["hash"], hash);
    assert_eq!(
        s.json(&["doc", "show", &hash[..12].to_uppercase()])["hash"],
        hash
    );
    // Too short.
    let err = s.fails(2, &["doc", "show", &hash[..7]]);
    assert!(err.contains(&hash[..7]), "{err}");
    assert!(err.contains("at least 8 hex characters"), "{err}");
    let err = s.fails(2, &["doc", "get", &hash[..7]]);
    assert!(err.contains("at least 8 hex characters"), "{err}");
    // Unknown.
    let unknown = if hash.starts_with("00000000") {
        "11111111"
    } else {
        "00000000"
    };
    let err = s.fails(2, &["doc", "show", unknown]);
    assert!(
        err.contains(&format!("no document has a hash starting with {unknown}")),
        "{err}"
    );
    let err = s.fails(2, &["doc", "get", unknown]);
    assert!(err.contains(unknown), "{err}");

    // Ambiguous: two small files whose hashes share their first 8 hex
    // characters (a birthday search over 32 bits).
    let mut seen: HashMap<[u8; 4], u64> = HashMap::new();
    let (x, y) = (0u64..)
        .find_map(|i| {
            let h = blake3::hash(format!("ambiguous {i}\n").as_bytes());
            let key: [u8; 4] = h.as_bytes()[..4].try_into().unwrap();
            seen.insert(key, i).map(|j| (j, i))
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fx = dir.path().join("x.txt");
    let fy = dir.path().join("y.txt");
    std::fs::write(&fx, format!("ambiguous {x}\n")).unwrap();
    std::fs::write(&fy, format!("ambiguous {y}\n")).unwrap();
    let v = attach(
        &s,
        &[&id],
        &[fx.to_str().unwrap(), fy.to_str().unwrap()],
        "other",
    );
    let hx = v["documents"][0]["hash"].as_str().unwrap().to_owned();
    let hy = v["documents"][1]["hash"].as_str().unwrap().to_owned();
    assert_eq!(hx[..8], hy[..8]);
    assert_ne!(hx, hy);
    let err = s.fails(2, &["doc", "show", &hx[..8]]);
    assert!(err.contains("ambiguous"), "{err}");
    assert!(err.contains(&hx) && err.contains(&hy), "{err}");
    let err = s.fails(2, &["doc", "get", &hx[..8]]);
    assert!(err.contains("ambiguous"), "{err}");
    // The full hash still resolves.
    assert_eq!(s.json(&["doc", "show", &hx])["hash"], hx);
}

#[test]
fn filters_narrow_the_hits() {
    let s = TestStore::new();
    let cad = purchase(&s, "Nordlicht Software AG", "Nordlicht CAD 3D");
    let pdm = purchase(&s, "Nordlicht Software AG", "Nordlicht PDM");
    let ms = purchase(&s, "Microsoft", "Microsoft 365 E3");
    // All three mention "notice period".
    attach(
        &s,
        &[&cad],
        &[&doc("nordlicht-subscription-terms.html")],
        "terms",
    );
    attach(
        &s,
        &[&pdm],
        &[&doc("order-confirmation-nl-2024-0412.txt")],
        "order",
    );
    // One document bound to licenses of two vendors.
    attach(
        &s,
        &[&cad],
        &[&doc("order-confirmation-nl-2024-0412.eml")],
        "order",
    );
    attach(
        &s,
        &[&ms],
        &[&doc("order-confirmation-nl-2024-0412.eml")],
        "order",
    );
    let q = "\"notice period\"";
    let all = search(&s, &[q]);
    assert_eq!(all["total"], 3, "{all:#}");

    let eml = "order-confirmation-nl-2024-0412.eml";
    let by = |args: &[&str]| {
        let mut a = vec![q];
        a.extend_from_slice(args);
        let mut names = filenames(&search(&s, &a));
        names.sort();
        names
    };
    assert_eq!(by(&["--vendor", "Microsoft"]), [eml]);
    let nordlicht = by(&["--vendor", "Nordlicht Software AG"]);
    assert_eq!(nordlicht.len(), 3, "{nordlicht:?}");
    assert_eq!(by(&["--product", "Microsoft 365 E3"]), [eml]);
    assert_eq!(
        by(&["--product", "Nordlicht PDM"]),
        ["order-confirmation-nl-2024-0412.txt"]
    );
    assert_eq!(
        by(&["--kind", "terms"]),
        ["nordlicht-subscription-terms.html"]
    );
    assert_eq!(
        by(&["--kind", "order"]),
        [eml, "order-confirmation-nl-2024-0412.txt"]
    );
    assert_eq!(by(&["--license", &ms]), [eml]);
    assert_eq!(
        by(&["--license", &cad]),
        ["nordlicht-subscription-terms.html", eml]
    );
    assert_eq!(
        by(&["--vendor", "Microsoft", "--kind", "terms"]),
        Vec::<String>::new()
    );
    assert_eq!(
        search(&s, &[q, "--limit", "1"])["hits"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The shared document lists both licenses.
    let v = search(&s, &[q, "--vendor", "Microsoft"]);
    assert_eq!(v["hits"][0]["license_ids"], serde_json::json!([cad, ms]));
    assert_eq!(v["hits"][0]["vendor"], "Microsoft", "{v:#}");
    let v = search(
        &s,
        &[q, "--vendor", "nordlicht software ag", "--license", &ms],
    );
    assert_eq!(v["hits"][0]["vendor"], "Nordlicht Software AG", "{v:#}");

    // doc list filters the same way.
    let list = |args: &[&str]| {
        let mut a = vec!["doc", "list"];
        a.extend_from_slice(args);
        let v = s.json(&a);
        let mut names: Vec<String> = v["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["filename"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(list(&["--vendor", "Microsoft"]), [eml]);
    assert_eq!(
        list(&["--license", &pdm]),
        ["order-confirmation-nl-2024-0412.txt"]
    );
    assert_eq!(list(&[]).len(), 3);
}

#[test]
fn reindex_from_scratch_gives_the_same_hits() {
    let s = TestStore::new();
    archive_with_all_documents(&s);
    let queries = [
        "Lizenz",
        "Kündigungsfrist",
        "renewal",
        "\"notice period\"",
        "\"Net total\"",
        "Teilkündigung",
        "\"Covered Software\"",
    ];
    let snapshot = |s: &TestStore| -> Vec<Value> {
        queries
            .iter()
            .map(|q| search(s, &[q, "--limit", "20"]))
            .collect()
    };
    let before = snapshot(&s);
    for v in &before {
        assert!(v["total"].as_u64().unwrap() > 0, "{v:#}");
    }
    let out = s.ok(&["reindex"]);
    assert!(out.starts_with("indexed 9 documents at #"), "{out}");
    assert_eq!(snapshot(&s), before);
    // Without the index at all: reindex, and also a plain search, rebuild it.
    std::fs::remove_dir_all(s.path.join("index")).unwrap();
    let out = s.ok(&["reindex"]);
    assert!(out.starts_with("indexed 9 documents"), "{out}");
    assert_eq!(snapshot(&s), before);
    std::fs::remove_dir_all(s.path.join("index")).unwrap();
    assert_eq!(snapshot(&s), before);
}

#[test]
fn verify_reports_a_tampered_and_a_deleted_blob() {
    let s = TestStore::new();
    let id = purchase(&s, "Nordlicht Software AG", "Nordlicht CAD 3D");
    let v = attach(
        &s,
        &[&id],
        &[
            &doc("mpl-2.0.docx"),
            &doc("kuendigungsbestaetigung-nordlicht-pdm.txt"),
        ],
        "contract",
    );
    let docx = v["documents"][0]["hash"].as_str().unwrap().to_owned();
    let letter = v["documents"][1]["hash"].as_str().unwrap().to_owned();
    let out = s.ok(&["verify"]);
    assert!(
        out.contains("2 archived documents re-hashed: all match"),
        "{out}"
    );

    let path_of = |hash: &str| -> PathBuf {
        let v = s.json(&["doc", "show", hash]);
        PathBuf::from(v["path"].as_str().unwrap())
    };
    // Tamper: one byte changed.
    let p = path_of(&docx);
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(&p, &bytes).unwrap();
    let out = s.fails(1, &["verify"]);
    assert!(out.contains("NOT intact"), "{out}");
    assert!(
        out.contains(&format!("document {docx} (mpl-2.0.docx) was altered")),
        "{out}"
    );
    assert!(out.contains(&blake3_hex(&bytes)), "{out}");
    // Delete another.
    std::fs::remove_file(path_of(&letter)).unwrap();
    let out = s.fails(1, &["verify"]);
    assert!(
        out.contains(&format!(
            "document {letter} (kuendigungsbestaetigung-nordlicht-pdm.txt) is missing"
        )),
        "{out}"
    );
    assert!(out.contains(&docx), "{out}");
}

/// A DOCX whose `word/document.xml` is ~100 MiB of "A" deflated to well
/// under 1 MiB (fixed Huffman codes: a literal, then matches of 258 bytes at
/// distance 1), built by hand so no zip writer is needed.
fn zip_bomb_docx() -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        /// `bits` LSB first.
        fn put(&mut self, bits: u64, count: u32) {
            self.acc |= bits << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            let mut rev = 0;
            for i in 0..len {
                rev |= ((code >> i) & 1) << (len - 1 - i);
            }
            self.put(rev, len);
        }
    }
    const MATCHES: u64 = 406_425;
    let size = 1 + 258 * MATCHES; // 104,857,651 bytes
    let mut w = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    w.put(1, 1); // final block
    w.put(1, 2); // fixed Huffman
    w.code(0x30 + u64::from(b'A'), 8);
    for _ in 0..MATCHES {
        w.code(0xC0 + (285 - 280), 8); // length 258
        w.code(0, 5); // distance 1
    }
    w.code(0, 7); // end of block
    w.put(0, 7); // flush
    let deflated = w.out;

    let mut table = [0u32; 256];
    for (i, t) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *t = c;
    }
    let mut crc = !0u32;
    for _ in 0..size {
        crc = table[((crc ^ u32::from(b'A')) & 0xFF) as usize] ^ (crc >> 8);
    }
    let bomb_crc = !crc;

    let types = b"<Types/>".to_vec();
    let mut types_crc = !0u32;
    for b in &types {
        types_crc = table[((types_crc ^ u32::from(*b)) & 0xFF) as usize] ^ (types_crc >> 8);
    }
    let entries: [(&str, u16, u32, Vec<u8>, u32); 2] = [
        (
            "[Content_Types].xml",
            0,
            !types_crc,
            types.clone(),
            types.len() as u32,
        ),
        ("word/document.xml", 8, bomb_crc, deflated, size as u32),
    ];
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, method, crc, data, unpacked) in &entries {
        let offset = out.len() as u32;
        let mut header = Vec::new();
        header.extend_from_slice(&20u16.to_le_bytes()); // version needed
        header.extend_from_slice(&0u16.to_le_bytes()); // flags
        header.extend_from_slice(&method.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes()); // time
        header.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
        header.extend_from_slice(&crc.to_le_bytes());
        header.extend_from_slice(&(data.len() as u32).to_le_bytes());
        header.extend_from_slice(&unpacked.to_le_bytes());
        header.extend_from_slice(&(name.len() as u16).to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        central.extend_from_slice(&header);
        central.extend_from_slice(&0u16.to_le_bytes()); // comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let central_at = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[test]
fn hostile_files_are_stored_but_not_searchable() {
    let s = TestStore::new();
    let id = purchase(&s, "Nordlicht Software AG", "Nordlicht CAD 3D");
    let dir = tempfile::tempdir().unwrap();
    let apache = std::fs::read(documents().join("apache-2.0.pdf")).unwrap();
    let truncated = dir.path().join("truncated.pdf");
    std::fs::write(&truncated, &apache[..apache.len() / 2]).unwrap();
    let garbage = dir.path().join("invoice.pdf");
    let junk: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&garbage, &junk).unwrap();
    let panicking = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("crates/extract/tests/fixtures/panics-missing-object.pdf");
    let bomb = dir.path().join("contract.docx");
    let bomb_bytes = zip_bomb_docx();
    assert!(bomb_bytes.len() < 1024 * 1024, "{}", bomb_bytes.len());
    std::fs::write(&bomb, &bomb_bytes).unwrap();

    let cases: [(&Path, &str); 4] = [
        (&truncated, "not a PDF: "),
        (&garbage, "not a PDF: it does not start with %PDF-"),
        (&panicking, "the extractor failed unexpectedly: "),
        (&bomb, "refused as a likely zip bomb: word/document.xml"),
    ];
    for (path, reason) in cases {
        let p = path.to_str().unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let out = s.ok(&["attach", &id, p, "--kind", "contract"]);
        let expected = format!("stored, not searchable: {reason}");
        assert!(out.contains(&format!("attached {name} to {id}")), "{out}");
        assert!(out.contains(&expected), "{name}: {out}");
        let hash = blake3_hex(&bytes);
        let shown = s.ok(&["doc", "show", &hash]);
        assert!(shown.contains(&expected), "{name}: {shown}");
        let v = s.json(&["doc", "show", &hash[..10]]);
        assert_eq!(v["searchable"], false);
        assert!(
            v["not_searchable_reason"]
                .as_str()
                .unwrap()
                .starts_with(reason),
            "{v:#}"
        );
        // Stored exactly.
        assert_eq!(s.run(&["doc", "get", &hash]).stdout, bytes, "{name}");
    }
    // entitle keeps working: a real document is still searchable, and the
    // index survives a reindex with the hostile ones in it.
    attach(
        &s,
        &[&id],
        &[&doc("rahmenvertrag-nordlicht-cad.pdf")],
        "contract",
    );
    finds(&s, "Lizenz", "rahmenvertrag-nordlicht-cad.pdf", "Lizenzen");
    let out = s.ok(&["reindex"]);
    assert!(out.starts_with("indexed 5 documents"), "{out}");
    finds(&s, "Lizenz", "rahmenvertrag-nordlicht-cad.pdf", "Lizenzen");
    let v = s.json(&["doc", "list"]);
    assert_eq!(v["documents"].as_array().unwrap().len(), 5);
    s.ok(&["verify"]);
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let s = TestStore::new();
    let id = purchase(&s, "Nordlicht Software AG", "Nordlicht CAD 3D");
    let voided = purchase(&s, "Nordlicht Software AG", "Nordlicht PDM");
    s.ok(&["void", "2", "--note", "entered twice"]);
    attach(&s, &[&id], &[&doc("gpl-3.0.odt")], "eula");
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pdf");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.path().join("no-such-contract.pdf");
    let unreadable = dir.path().join("secret.pdf");
    std::fs::write(&unreadable, b"%PDF-1.4 secret").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    // Root reads anything: then the permission case proves nothing.
    let can_read_anyway = std::fs::read(&unreadable).is_ok();
    let folder = dir.path().join("contracts");
    std::fs::create_dir(&folder).unwrap();
    let contract = doc("rahmenvertrag-nordlicht-cad.pdf");

    let log = s.log();
    let blobs = blob_files(&s);
    let mut cases: Vec<(Vec<String>, String)> = vec![
        (
            vec![id.clone(), missing.display().to_string()],
            "no-such-contract.pdf".into(),
        ),
        (
            vec![id.clone(), folder.display().to_string()],
            "contracts".into(),
        ),
        (
            vec![id.clone(), empty.display().to_string()],
            "empty.pdf".into(),
        ),
        // A good file before a bad one: the good one is not kept either.
        (
            vec![id.clone(), contract.clone(), missing.display().to_string()],
            "no-such-contract.pdf".into(),
        ),
        (vec!["L-9999".into(), contract.clone()], "L-9999".into()),
        (vec![voided.clone(), contract.clone()], voided.clone()),
    ];
    if !can_read_anyway {
        cases.push((
            vec![id.clone(), unreadable.display().to_string()],
            "secret.pdf".into(),
        ));
    }
    for (args, named) in &cases {
        let mut all = vec!["attach"];
        all.extend(args.iter().map(String::as_str));
        let err = s.fails(2, &all);
        assert!(err.contains(named.as_str()), "{args:?}: {err}");
        assert_eq!(s.log(), log, "{args:?}: the log changed");
        assert_eq!(blob_files(&s), blobs, "{args:?}: a blob was written");
    }
    let err = s.fails(2, &["attach", &voided, &contract]);
    assert!(err.contains("void"), "{err}");
    // purchase --attach with a bad file records nothing either.
    let err = s.fails(
        2,
        &[
            "purchase",
            "--vendor",
            "Adobe",
            "--product",
            "Acrobat",
            "--metric",
            "user",
            "--qty",
            "1",
            "--start",
            "2024-01-01",
            "--attach",
            empty.to_str().unwrap(),
        ],
    );
    assert!(err.contains("empty.pdf"), "{err}");
    assert_eq!(s.log(), log);
    assert_eq!(blob_files(&s), blobs);
    // entitle still works and the store is intact.
    s.ok(&["verify"]);
    assert_eq!(
        s.json(&["doc", "list"])["documents"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Issue 14: documents are extracted several to a child. Hostile files in
/// the same attach as good ones (a PDF the parser panics on, a zip bomb,
/// garbage named .pdf) cost only their own text: every good file around
/// them is searchable, each hostile one says why it is not.
#[test]
fn issue_14_hostile_files_in_one_attach_cost_the_others_nothing() {
    let s = TestStore::new();
    let id = purchase(&s, "Nordlicht Software AG", "Nordlicht CAD 3D");
    let dir = tempfile::tempdir().unwrap();
    let panicking = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("crates/extract/tests/fixtures/panics-missing-object.pdf");
    let bomb = dir.path().join("contract.docx");
    std::fs::write(&bomb, zip_bomb_docx()).unwrap();
    let garbage = dir.path().join("invoice.pdf");
    std::fs::write(&garbage, b"no PDF at all").unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for i in 0..90 {
        match i {
            10 => files.push(panicking.clone()),
            40 => files.push(bomb.clone()),
            70 => files.push(garbage.clone()),
            _ => {}
        }
        let p = dir.path().join(format!("vertrag-{i:03}.txt"));
        std::fs::write(
            &p,
            format!("Vertrag {i}: Kündigungsfrist 90 Tage, Standort {i}."),
        )
        .unwrap();
        files.push(p);
    }
    let names: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    let v = attach(&s, &[&id], &names, "contract");
    let docs = v["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 93);
    for d in docs {
        let name = d["filename"].as_str().unwrap();
        let reason = d["not_searchable_reason"].as_str().unwrap_or("");
        match name {
            "panics-missing-object.pdf" => {
                assert!(
                    reason.starts_with("the extractor failed unexpectedly: "),
                    "{d:#}"
                );
            }
            "contract.docx" => {
                assert!(
                    reason.starts_with("refused as a likely zip bomb: "),
                    "{d:#}"
                );
            }
            "invoice.pdf" => assert!(reason.starts_with("not a PDF: "), "{d:#}"),
            _ => assert_eq!(d["searchable"], true, "{d:#}"),
        }
    }
    let found = search(&s, &["Kündigungsfrist", "--limit", "1000"]);
    assert_eq!(found["total"], 90, "{found:#}");
    let found = search(&s, &["Standort 71"]);
    assert_eq!(filenames(&found), ["vertrag-071.txt"]);
}

#[test]
fn search_offset_pages_through_the_ranked_hits_and_a_bad_offset_is_named() {
    let s = TestStore::new();
    archive_with_all_documents(&s);
    let all = search(&s, &["license OR lizenz", "--limit", "6"]);
    let total = all["total"].as_u64().unwrap();
    assert!(total >= 6, "{all:#}");
    let ranked = filenames(&all);
    let second = search(&s, &["license OR lizenz", "--limit", "3", "--offset", "3"]);
    assert_eq!(
        second["total"].as_u64().unwrap(),
        total,
        "the total counts all"
    );
    assert_eq!(filenames(&second), ranked[3..6].to_vec());
    let past = search(&s, &["license OR lizenz", "--offset", "100"]);
    assert!(filenames(&past).is_empty());
    let err = s.fails(2, &["search", "license", "--offset", "-1"]);
    assert!(err.contains("offset") && err.contains("-1"), "{err}");
}
