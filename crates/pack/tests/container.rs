//! The pack container: directory, zip and tar written deterministically,
//! checked with the real `b3sum --check` (install it with
//! `cargo install b3sum --locked`; these tests fail, never skip, without
//! it), and hostile archives refused.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use entitle_core::chain::Chain;
use entitle_pack::{
    allowed_signers_line, export_line, sign, verify, verify_chain, Checkpoint, Limits, Pack,
    PackError, PackFormat, PackWriter, StoreKey, CHECKPOINT_NAMESPACE, SUMS_FILE,
};

fn b3sum_check(dir: &Path) -> std::process::Output {
    Command::new("b3sum")
        .args(["--check", SUMS_FILE])
        .current_dir(dir)
        .output()
        .expect("b3sum must be installed: cargo install b3sum --locked")
}

/// A writer with a realistic set of entries, one streamed from a file.
fn writer(source: &Path) -> PackWriter {
    let mut w = PackWriter::new();
    w.add_bytes("checkpoint", b"entitle-checkpoint v1\n".to_vec())
        .unwrap();
    w.add_bytes("events.jsonl", b"{\"seq\":1}\n".to_vec())
        .unwrap();
    w.add_bytes("report.md", "# Pack — café\n".as_bytes().to_vec())
        .unwrap();
    w.add_file("documents/0a1b-Master Agreement (2024).pdf", source)
        .unwrap();
    w.add_bytes("documents/ffee-ünïcode name.txt", b"x".to_vec())
        .unwrap();
    w
}

fn big_source(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("source.pdf");
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(&path, data).unwrap();
    path
}

#[test]
fn directory_pack_passes_real_b3sum_and_names_each_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let source = big_source(tmp.path());
    let out = tmp.path().join("pack");
    let written = writer(&source).write(&out, false).unwrap();
    assert_eq!(written.format, PackFormat::Directory);
    assert_eq!(written.entries.len(), 6);

    let ok = b3sum_check(&out);
    assert!(ok.status.success(), "{ok:?}");
    assert_eq!(String::from_utf8_lossy(&ok.stdout).lines().count(), 5);
    let sums = fs::read_to_string(out.join(SUMS_FILE)).unwrap();
    assert_eq!(sums, written.sums);
    // BLAKE3SUMS is what `b3sum` prints for the same files.
    let mut names: Vec<&str> = sums.lines().map(|l| &l[66..]).collect();
    names.sort_unstable();
    let printed = Command::new("b3sum")
        .args(&names)
        .current_dir(&out)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(printed.stdout).unwrap(), sums);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&out.join("report.md")), 0o644);
        assert_eq!(mode(&out.join("documents")), 0o755);
        assert_eq!(mode(&out), 0o755);
    }
    assert!(Pack::open(&out).unwrap().check_sums().unwrap().is_ok());

    // Alter one file, remove one, add one.
    fs::write(out.join("report.md"), "# Pack — edited\n").unwrap();
    fs::remove_file(out.join("documents/ffee-ünïcode name.txt")).unwrap();
    fs::write(out.join("documents/extra.pdf"), "planted").unwrap();
    let bad = b3sum_check(&out);
    assert!(!bad.status.success());
    let report = Pack::open(&out).unwrap().check_sums().unwrap();
    assert_eq!(report.altered, ["report.md"]);
    assert_eq!(report.missing, ["documents/ffee-ünïcode name.txt"]);
    assert_eq!(report.extra, ["documents/extra.pdf"]);
    assert_eq!(
        report.problems(),
        [
            "missing (listed in BLAKE3SUMS, not in the pack): documents/ffee-ünïcode name.txt",
            "altered (does not match BLAKE3SUMS): report.md",
            "extra (in the pack, not listed in BLAKE3SUMS): documents/extra.pdf",
        ]
    );
}

#[test]
fn zip_and_tar_round_trip_deterministically() {
    let tmp = tempfile::tempdir().unwrap();
    let source = big_source(tmp.path());
    let dir_pack = tmp.path().join("d");
    writer(&source).write(&dir_pack, false).unwrap();
    let reference = Pack::open(&dir_pack).unwrap();
    for ext in ["zip", "tar", "ZIP"] {
        let a = tmp.path().join(format!("a.{ext}"));
        let b = tmp.path().join(format!("b.{ext}"));
        writer(&source).write(&a, false).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        writer(&source).write(&b, false).unwrap();
        assert_eq!(
            fs::read(&a).unwrap(),
            fs::read(&b).unwrap(),
            "{ext} not deterministic"
        );
        let pack = Pack::open(&a).unwrap();
        assert_eq!(
            pack.format(),
            if ext == "tar" {
                PackFormat::Tar
            } else {
                PackFormat::Zip
            }
        );
        assert!(pack.check_sums().unwrap().is_ok());
        let got: Vec<_> = pack.entries().collect();
        let want: Vec<_> = reference.entries().collect();
        assert_eq!(got, want);
        assert_eq!(
            pack.get("documents/0a1b-Master Agreement (2024).pdf")
                .unwrap(),
            fs::read(&source).unwrap()
        );
    }
    // Unpacked by the usual tools, the archive passes b3sum too.
    let unpacked = tmp.path().join("unpacked");
    fs::create_dir(&unpacked).unwrap();
    let tar = Command::new("tar")
        .args(["-xf", tmp.path().join("a.tar").to_str().unwrap()])
        .current_dir(&unpacked)
        .status()
        .unwrap();
    assert!(tar.success());
    assert!(b3sum_check(&unpacked).status.success());
}

#[test]
fn existing_output_is_refused_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let source = big_source(tmp.path());
    for name in ["p", "p.zip", "p.tar"] {
        let out = tmp.path().join(name);
        writer(&source).write(&out, false).unwrap();
        let err = writer(&source).write(&out, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{} already exists; choose another output path or allow replacing it",
                out.display()
            )
        );
        let mut w = writer(&source);
        w.add_bytes("new.txt", b"new".to_vec()).unwrap();
        w.write(&out, true).unwrap();
        assert!(Pack::open(&out).unwrap().get("new.txt").is_some());
    }
    // A directory that is not a pack is never replaced.
    let precious = tmp.path().join("home");
    fs::create_dir(&precious).unwrap();
    fs::write(precious.join("thesis.tex"), "years of work").unwrap();
    let err = writer(&source).write(&precious, true).unwrap_err();
    assert!(matches!(err, PackError::RefuseReplace { .. }), "{err}");
    // A library's message names no command-line flag.
    assert!(!err.to_string().contains("--force"), "{err}");
    assert!(precious.join("thesis.tex").exists());
    // No temporary siblings are left behind.
    let leftovers: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn writer_refuses_unsafe_and_colliding_names() {
    let mut w = PackWriter::new();
    for (name, problem) in [
        ("../evil", "contains `..`"),
        ("/etc/passwd", "is an absolute path"),
        ("a//b", "has an empty or `.` path component"),
        ("a\\b", "contains a backslash"),
        ("a\nb", "contains a control character"),
        ("C:/x", "starts with a drive letter"),
        ("doc?.pdf", "contains one of <>:\"|?* (not portable)"),
        (
            "trailing. ",
            "has a path component ending in a space or dot (not portable)",
        ),
    ] {
        let err = w.add_bytes(name, vec![]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("pack entry `{}` {problem}", name.escape_debug())
        );
    }
    w.add_bytes("documents/A.pdf", vec![]).unwrap();
    assert!(matches!(
        w.add_bytes("documents/A.pdf", vec![]),
        Err(PackError::Duplicate { .. })
    ));
    assert!(matches!(
        w.add_bytes("documents/a.PDF", vec![]),
        Err(PackError::Conflict { .. })
    ));
    assert!(matches!(
        w.add_bytes("documents/A.pdf/inner", vec![]),
        Err(PackError::Conflict { .. })
    ));
    assert!(matches!(
        w.add_bytes("documents", vec![]),
        Err(PackError::Conflict { .. })
    ));
    assert!(matches!(
        w.add_bytes("BLAKE3SUMS", vec![]),
        Err(PackError::Reserved { .. })
    ));
}

#[test]
fn missing_source_file_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("doc");
    fs::write(&source, "original").unwrap();
    let mut w = PackWriter::new();
    w.add_bytes("checkpoint", vec![]).unwrap();
    w.add_file("documents/doc", &source).unwrap();
    fs::remove_file(&source).unwrap();
    let err = w.write(&tmp.path().join("p.zip"), false).unwrap_err();
    assert!(matches!(err, PackError::Io { .. }), "{err}");
    assert!(!tmp.path().join("p.zip").exists());
}

fn zip_with(entries: &[(&str, &[u8])], symlink: Option<(&str, &str)>) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default();
    for (name, data) in entries {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(data).unwrap();
    }
    if let Some((name, target)) = symlink {
        zip.add_symlink(name, target, opts).unwrap();
    }
    zip.finish().unwrap();
    buf.into_inner()
}

/// File name, extra entries, an optional symlink (name, target), expected error.
type ZipCase<'a> = (
    &'a str,
    &'a [(&'a str, &'a [u8])],
    Option<(&'a str, &'a str)>,
    &'a str,
);

const BASE: [(&str, &[u8]); 2] = [("BLAKE3SUMS", b""), ("checkpoint", b"x")];

#[test]
fn hostile_zips_are_refused_naming_the_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [ZipCase; 4] = [
        (
            "dotdot.zip",
            &[("../evil", b"x")],
            None,
            "pack entry `../evil` contains `..`",
        ),
        (
            "inner.zip",
            &[("documents/../../evil", b"x")],
            None,
            "pack entry `documents/../../evil` contains `..`",
        ),
        (
            "abs.zip",
            &[("/tmp/evil", b"x")],
            None,
            "pack entry `/tmp/evil` is an absolute path",
        ),
        (
            "link.zip",
            &[],
            Some(("documents/link", "/etc/passwd")),
            "pack entry `documents/link` is a link; packs contain only regular files",
        ),
    ];
    for (file, extra, symlink, want) in cases {
        let mut entries: Vec<(&str, &[u8])> = BASE.to_vec();
        entries.extend_from_slice(extra);
        let path = tmp.path().join(file);
        fs::write(&path, zip_with(&entries, symlink)).unwrap();
        let err = Pack::open(&path).unwrap_err();
        assert_eq!(err.to_string(), want, "{file}");
    }
    // Nothing was written anywhere.
    assert!(!tmp.path().join("evil").exists());
    assert!(!Path::new("/tmp/evil").exists());
}

#[test]
fn hostile_tars_are_refused_naming_the_entry() {
    let tmp = tempfile::tempdir().unwrap();
    // The tar crate refuses to write `..`, so write the header bytes directly.
    let raw_entry = |name: &str, kind: tar::EntryType, data: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.as_mut_bytes()[..name.len()].copy_from_slice(name.as_bytes());
        header.set_size(data.len() as u64);
        header.set_entry_type(kind);
        header.set_mode(0o644);
        if kind == tar::EntryType::Symlink {
            header.set_link_name("/etc/passwd").unwrap();
        }
        header.set_cksum();
        let mut out = header.as_bytes().to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    };
    for (name, kind, want) in [
        ("../evil", tar::EntryType::Regular, "pack entry `../evil` contains `..`"),
        ("/abs/evil", tar::EntryType::Regular, "pack entry `/abs/evil` is an absolute path"),
        ("documents/l", tar::EntryType::Symlink, "pack entry `documents/l` is a link; packs contain only regular files"),
        ("documents/h", tar::EntryType::Link, "pack entry `documents/h` is a link; packs contain only regular files"),
        ("documents/fifo", tar::EntryType::Fifo, "pack entry `documents/fifo` is a tar entry of type Fifo; packs contain only regular files"),
    ] {
        let mut bytes = raw_entry("checkpoint", tar::EntryType::Regular, b"x");
        bytes.extend(raw_entry(name, kind, b"evil"));
        bytes.extend([0u8; 1024]);
        let path = tmp.path().join("evil.tar");
        fs::write(&path, bytes).unwrap();
        assert_eq!(Pack::open(&path).unwrap_err().to_string(), want);
    }
}

#[test]
fn oversized_entries_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.zip");
    let big = vec![0u8; 10_000];
    fs::write(
        &path,
        zip_with(&[BASE[0], BASE[1], ("documents/bomb", &big)], None),
    )
    .unwrap();
    let limits = Limits {
        max_entry_bytes: 1000,
        ..Limits::default()
    };
    assert_eq!(
        Pack::open_with_limits(&path, limits)
            .unwrap_err()
            .to_string(),
        "pack entry `documents/bomb` is larger than the limit of 1000 bytes"
    );
    let limits = Limits {
        max_total_bytes: 5000,
        ..Limits::default()
    };
    assert!(matches!(
        Pack::open_with_limits(&path, limits),
        Err(PackError::TooBig { what: "bytes", .. })
    ));
}

#[test]
fn not_a_pack_is_a_distinct_error() {
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("notes.txt");
    fs::write(&text, "hello").unwrap();
    let empty_dir = tmp.path().join("dir");
    fs::create_dir(&empty_dir).unwrap();
    let zip = tmp.path().join("other.zip");
    fs::write(&zip, zip_with(&[("readme.txt", b"hi")], None)).unwrap();
    for (path, why) in [
        (&text, "it is neither a directory, a zip nor a tar file"),
        (&empty_dir, "it has no `BLAKE3SUMS` file"),
        (&zip, "it has no `BLAKE3SUMS` file"),
    ] {
        let err = Pack::open(path).unwrap_err();
        assert!(matches!(err, PackError::NotAPack { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            format!("{} is not an audit pack: {why}", path.display())
        );
    }
    // A zip with a broken central directory is a damaged archive, not a panic.
    let broken = tmp.path().join("broken.zip");
    fs::write(&broken, b"PK\x03\x04garbage").unwrap();
    assert!(matches!(
        Pack::open(&broken),
        Err(PackError::Archive { .. })
    ));
    assert!(matches!(
        Pack::open(&tmp.path().join("missing")),
        Err(PackError::Io { .. })
    ));
}

#[cfg(unix)]
#[test]
fn symlink_in_a_directory_pack_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("p");
    writer(&big_source(tmp.path())).write(&out, false).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", out.join("documents/passwd")).unwrap();
    assert_eq!(
        Pack::open(&out).unwrap_err().to_string(),
        "pack entry `documents/passwd` is a link; packs contain only regular files"
    );
}

/// The whole flow as `entitle audit-pack` / `audit verify` will use it,
/// checked by `b3sum`, `ssh-keygen` and the Rust verifiers.
#[test]
fn signed_pack_verifies_with_off_the_shelf_tools() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, _) = StoreKey::load_or_create(&tmp.path().join("store/key"), "entitle st-9").unwrap();
    let mut chain = Chain::new();
    let mut events = String::new();
    for (seq, record, shown) in [
        (1, "{\"v\":\"Acme\"}", true),
        (2, "{\"v\":\"Other\"}", false),
    ] {
        let (d, h) = chain.push_record(record.as_bytes());
        events.push_str(&export_line(seq, &d, &h, shown.then_some(record)));
    }
    let checkpoint = Checkpoint {
        store: "st-9".into(),
        seq: chain.seq(),
        hash: *chain.head(),
        time: jiff::Timestamp::now(),
        sums: None,
    }
    .render()
    .unwrap();
    let mut w = PackWriter::new();
    w.add_bytes("events.jsonl", events.into_bytes()).unwrap();
    w.add_bytes(
        "checkpoint.sig",
        sign(&key, CHECKPOINT_NAMESPACE, checkpoint.as_bytes())
            .unwrap()
            .into_bytes(),
    )
    .unwrap();
    w.add_bytes("checkpoint", checkpoint.into_bytes()).unwrap();
    w.add_bytes(
        "allowed_signers",
        allowed_signers_line("st-9", &key).unwrap().into_bytes(),
    )
    .unwrap();
    let out = tmp.path().join("pack");
    w.write(&out, false).unwrap();

    assert!(b3sum_check(&out).status.success());
    let cp = fs::File::open(out.join("checkpoint")).unwrap();
    let ssh = Command::new("ssh-keygen")
        .args([
            "-Y",
            "verify",
            "-f",
            "allowed_signers",
            "-I",
            "st-9",
            "-n",
            "entitle-checkpoint",
            "-s",
            "checkpoint.sig",
        ])
        .current_dir(&out)
        .stdin(cp)
        .output()
        .expect("ssh-keygen must be installed");
    assert!(ssh.status.success(), "{ssh:?}");

    let pack = Pack::open(&out).unwrap();
    let text = |name| std::str::from_utf8(pack.get(name).unwrap()).unwrap();
    verify(
        text("allowed_signers"),
        "st-9",
        CHECKPOINT_NAMESPACE,
        text("checkpoint.sig"),
        pack.get("checkpoint").unwrap(),
    )
    .unwrap();
    let cp = Checkpoint::parse(text("checkpoint")).unwrap();
    let report = verify_chain(pack.get("events.jsonl").unwrap()).unwrap();
    report.check_head(cp.seq, &cp.hash).unwrap();
    assert_eq!(report.disclosed, [(1, "{\"v\":\"Acme\"}".to_owned())]);
}

/// Packs re-archived by an auditor with the usual tools still open.
#[test]
fn rearchived_packs_open() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pack");
    writer(&big_source(tmp.path())).write(&out, false).unwrap();
    let expected: Vec<(String, Vec<u8>)> = Pack::open(&out)
        .unwrap()
        .entries()
        .map(|(n, b)| (n.to_owned(), b.to_vec()))
        .collect();
    let run = |args: &[&str], dir: &Path| {
        let status = Command::new(args[0])
            .args(&args[1..])
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(status.success(), "{args:?}");
    };
    // `tar -cf x.tar .` inside the pack: `./name` entries and a `./` entry.
    let dot = tmp.path().join("dot.tar");
    run(&["tar", "-cf", dot.to_str().unwrap(), "."], &out);
    // `tar -cf x.tar pack` beside it: everything under `pack/`.
    let folder = tmp.path().join("folder.tar");
    run(
        &["tar", "-cf", folder.to_str().unwrap(), "pack"],
        tmp.path(),
    );
    for archive in [dot, folder] {
        let pack = Pack::open(&archive).unwrap();
        let got: Vec<(String, Vec<u8>)> = pack
            .entries()
            .map(|(n, b)| (n.to_owned(), b.to_vec()))
            .collect();
        assert_eq!(got, expected, "{}", archive.display());
        assert!(pack.check_sums().unwrap().is_ok());
    }
}

/// A checkpoint that pins BLAKE3SUMS cannot be listed in it: the writer
/// computes the sums first and adds the checkpoint and its signature
/// unsummed; a reader does not count them as extra when told so.
#[test]
fn unsummed_entries_pin_the_sums() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    let mut w = PackWriter::new();
    w.add_bytes("a.txt", b"a".to_vec()).unwrap();
    let sums = w.sums().unwrap();
    assert!(matches!(
        w.add_bytes("b.txt", b"b".to_vec()),
        Err(PackError::AfterSums { .. })
    ));
    w.add_unsummed("checkpoint", b"pins the sums".to_vec())
        .unwrap();
    let written = w.write(&out, false).unwrap();
    assert_eq!(written.sums, sums);
    assert!(!sums.contains("checkpoint"));
    let pack = Pack::open(&out).unwrap();
    assert_eq!(pack.check_sums().unwrap().extra, ["checkpoint"]);
    assert!(pack.check_sums_except(&["checkpoint"]).unwrap().is_ok());
}
