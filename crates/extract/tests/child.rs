//! `extract_in_child` against a real child process (the crate's
//! `entitle-extract-child` binary): real documents come back as text; hostile
//! ones, hangs and crashes come back as clear errors, never as a crash or a
//! hang of the test process.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use entitle_extract::{
    extract_batch_in_child, extract_in_child, ExtractError, Limits, DOCX, EML, PDF, TEXT,
};

const CHILD: &str = env!("CARGO_BIN_EXE_entitle-extract-child");

fn documents() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/documents")
}

fn limits() -> Limits {
    Limits {
        wall_time: Duration::from_secs(20),
        memory_bytes: 1024 * 1024 * 1024,
    }
}

fn run(file: &Path, media_type: &str) -> Result<String, ExtractError> {
    extract_in_child(Path::new(CHILD), file, media_type, &limits())
}

fn temp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A minimal, valid one-page PDF that shows "Hello nested world" and whose
/// page carries `extra` as the value of an unused key.
fn pdf_with(extra: &[u8]) -> Vec<u8> {
    let content = b"BT /F1 24 Tf 72 720 Td (Hello nested world) Tj ET";
    let mut stream = format!("<</Length {}>>\nstream\n", content.len()).into_bytes();
    stream.extend_from_slice(content);
    stream.extend_from_slice(b"\nendstream");
    let objects: Vec<Vec<u8>> = vec![
        b"<</Type/Catalog/Pages 2 0 R>>".to_vec(),
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec(),
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>/Extra 6 0 R>>"
            .to_vec(),
        stream,
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>".to_vec(),
        extra.to_vec(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(object);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn real_pdf_comes_back_as_text() {
    let text = run(&documents().join("apache-2.0.pdf"), PDF).unwrap();
    assert!(text.contains("Apache License"), "{text}");
}

#[test]
fn generated_pdf_comes_back_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "simple.pdf", &pdf_with(b"[1 2 3]"));
    let text = run(&path, PDF).unwrap();
    assert!(text.contains("Hello nested world"), "{text}");
}

#[test]
fn garbage_named_pdf_is_not_a_pdf() {
    let dir = tempfile::tempdir().unwrap();
    // Deterministic junk: no PDF header anywhere.
    let junk: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let path = temp_file(&dir, "invoice.pdf", &junk);
    let err = run(&path, PDF).unwrap_err();
    assert_eq!(err.to_string(), "not a PDF: it does not start with %PDF-");
}

#[test]
fn truncated_pdf_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(documents().join("apache-2.0.pdf")).unwrap();
    let path = temp_file(&dir, "truncated.pdf", &whole[..whole.len() / 2]);
    let err = run(&path, PDF).unwrap_err();
    assert!(err.to_string().starts_with("not a PDF: "), "{err}");
}

/// 100,000 nested arrays, then 100,000 nested dictionaries: parsers that
/// recurse per level overflow their stack on these. The extractor must come
/// back with the page's text or a clear error, and the parent must live.
#[test]
fn deeply_nested_pdf_does_not_take_the_parent_down() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let mut arrays = "[".repeat(depth);
    arrays.push_str(&"]".repeat(depth));
    let mut dicts = "<</A ".repeat(depth);
    dicts.push('1');
    dicts.push_str(&">>".repeat(depth));
    for (name, nested) in [("arrays.pdf", arrays), ("dicts.pdf", dicts)] {
        let path = temp_file(&dir, name, &pdf_with(nested.as_bytes()));
        let start = Instant::now();
        match run(&path, PDF) {
            Ok(text) => assert!(text.contains("Hello nested world"), "{name}: {text}"),
            Err(err @ (ExtractError::Crashed { .. } | ExtractError::Child { .. })) => {
                assert!(!err.to_string().is_empty(), "{name}");
            }
            Err(other) => panic!("{name}: unexpected error {other:?}"),
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{name}: {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn zip_bomb_inside_docx_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<Types/>").unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    let block = vec![b'A'; 1024 * 1024];
    for _ in 0..2048 {
        zip.write_all(&block).unwrap(); // 2 GiB unpacked
    }
    let bytes = zip.finish().unwrap().into_inner();
    let path = temp_file(&dir, "contract.docx", &bytes);
    let err = run(&path, DOCX).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "refused as a likely zip bomb: word/document.xml would unpack to 2147483648 bytes"
        ),
        "{err}"
    );
}

#[test]
fn email_with_broken_attachment_keeps_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let mail = "From: orders@nordlicht.invalid\r\nSubject: Renewal notice\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
        Your subscription renews on 1 April.\r\n--b\r\nContent-Type: application/pdf\r\n\
        Content-Disposition: attachment; filename=quote.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n\
        JVBERi0xLjQKMSAwIG9iago8PC9UeXBlL0NhdGFsb2\r\n--b--\r\n";
    let path = temp_file(&dir, "renewal.eml", mail.as_bytes());
    let text = run(&path, EML).unwrap();
    assert!(text.contains("Subject: Renewal notice"), "{text}");
    assert!(
        text.contains("Your subscription renews on 1 April."),
        "{text}"
    );
    assert!(
        text.contains("Attachment: quote.pdf\n(not searchable: not a PDF: "),
        "{text}"
    );
}

#[test]
fn missing_file_names_the_file() {
    let err = run(Path::new("/nonexistent/contract.pdf"), PDF).unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not read /nonexistent/contract.pdf: No such file or directory (os error 2)"
    );
}

#[test]
fn unsupported_type_never_starts_a_child() {
    let err = extract_in_child(
        Path::new("/nonexistent/exe"),
        Path::new("x.png"),
        "image/png",
        &limits(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "unsupported media type image/png");
}

#[test]
fn missing_executable_is_a_spawn_error() {
    let err = extract_in_child(
        Path::new("/nonexistent/entitle"),
        &documents().join("apache-2.0.pdf"),
        PDF,
        &limits(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("could not run the text extraction child /nonexistent/entitle: "),
        "{err}"
    );
}

/// A stand-in child that is a shell script; proves the parent's handling
/// of hangs and crashes independently of any parser.
fn script(dir: &tempfile::TempDir, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.path().join("child.sh");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn hanging_child_is_killed_after_its_wall_time() {
    let dir = tempfile::tempdir().unwrap();
    let exe = script(&dir, "exec sleep 30");
    let limits = Limits {
        wall_time: Duration::from_millis(500),
        ..limits()
    };
    let start = Instant::now();
    let err = extract_in_child(&exe, Path::new("x.pdf"), PDF, &limits).unwrap_err();
    assert_eq!(err.to_string(), "timed out after 0.5 s");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn crashing_child_is_reported_with_its_signal() {
    let dir = tempfile::tempdir().unwrap();
    let exe = script(&dir, "kill -SEGV $$");
    let err = extract_in_child(&exe, Path::new("x.pdf"), PDF, &limits()).unwrap_err();
    assert_eq!(err.to_string(), "crashed (signal 11)");
}

#[test]
fn child_over_its_memory_limit_runs_out_of_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 16 MiB of text is read, decoded and copied: well over 64 MiB of
    // address space together with the binary and its 16 MiB thread stack.
    let path = temp_file(&dir, "big.txt", &vec![b'a'; 16 * 1024 * 1024]);
    let limits = Limits {
        memory_bytes: 48 * 1024 * 1024,
        ..limits()
    };
    let err = extract_in_child(Path::new(CHILD), &path, TEXT, &limits).unwrap_err();
    assert_eq!(err.to_string(), "ran out of memory (limit 48 MiB)");
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A real corrupted PDF (the Apache-2.0 demo PDF with a few bytes changed)
/// on which pdf-extract 0.12.1 panics: the child catches it and says so.
/// (If a pdf-extract upgrade fixes this, find another panicking input with
/// a few hundred random mutations of a demo PDF.)
#[test]
fn panicking_extractor_is_a_clear_error() {
    let err = run(&fixture("panics-missing-object.pdf"), PDF).unwrap_err();
    assert!(
        matches!(err, ExtractError::Child { code: 4, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with("the extractor failed unexpectedly: missing object reference"),
        "{message}"
    );
    assert!(
        message.contains(" at pdf-extract-0.12.1/src/lib.rs:"),
        "{message}"
    );
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (j, &b)| n | u32::from(b) << (16 - 8 * j));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The panicking PDF as an e-mail attachment: the panic is caught around
/// the attachment, and the message's own text is still extracted.
#[test]
fn email_with_panicking_attachment_keeps_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = std::fs::read(fixture("panics-missing-object.pdf")).unwrap();
    let mail = format!(
        "From: orders@nordlicht.invalid\r\nSubject: Licence terms\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
         The virtualisation clause is attached.\r\n--b\r\nContent-Type: application/pdf\r\n\
         Content-Disposition: attachment; filename=terms.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {}\r\n--b--\r\n",
        base64(&pdf)
    );
    let path = temp_file(&dir, "terms.eml", mail.as_bytes());
    let text = run(&path, EML).unwrap();
    assert!(
        text.contains("The virtualisation clause is attached."),
        "{text}"
    );
    assert!(
        text.contains("Attachment: terms.pdf\n(not searchable: the extractor failed unexpectedly: missing object reference"),
        "{text}"
    );
}

/// A stand-in batch child that answers each file with its own bytes, except
/// that it hangs on a file named `hang*` and crashes on one named `crash*`:
/// the parent's handling of a batch, independently of any parser.
fn batch_script(dir: &tempfile::TempDir) -> PathBuf {
    script(
        dir,
        r#"shift 5
while [ $# -gt 0 ]; do
  f=$2; shift 2
  case $(basename "$f") in
    hang*) exec sleep 30 ;;
    crash*) kill -SEGV $$ ;;
  esac
  t=$(cat "$f")
  printf '0 %d\n%s' "${#t}" "$t"
done"#,
    )
}

#[test]
fn a_hanging_or_crashing_document_costs_its_batch_only_its_own_text() {
    let dir = tempfile::tempdir().unwrap();
    let exe = batch_script(&dir);
    let files: Vec<PathBuf> = ["a.txt", "hang.txt", "b.txt", "crash.txt", "c.txt"]
        .iter()
        .map(|name| temp_file(&dir, name, format!("text of {name}").as_bytes()))
        .collect();
    let jobs: Vec<(&Path, &str)> = files.iter().map(|f| (f.as_path(), TEXT)).collect();
    let limits = Limits {
        wall_time: Duration::from_millis(500),
        ..limits()
    };
    let start = Instant::now();
    let results: Vec<String> = extract_batch_in_child(&exe, &jobs, &limits)
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| format!("error: {e}")))
        .collect();
    assert_eq!(
        results,
        [
            "text of a.txt",
            "error: timed out after 0.5 s",
            "text of b.txt",
            "error: crashed (signal 11)",
            "text of c.txt",
        ]
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

/// The real child, one batch: a PDF, a file over the memory limit, a PDF
/// on which the parser panics, a missing file, an unsupported type and
/// plain text. Each gets what a child of its own would have given it.
#[test]
fn a_batch_answers_each_document_as_a_lone_child_would() {
    let dir = tempfile::tempdir().unwrap();
    let big = temp_file(&dir, "big.txt", &vec![b'a'; 16 * 1024 * 1024]);
    let small = temp_file(&dir, "small.txt", b"Kuendigungsfrist 90 Tage");
    let pdf = documents().join("apache-2.0.pdf");
    let panics = fixture("panics-missing-object.pdf");
    let missing = dir.path().join("missing.txt");
    let jobs: Vec<(&Path, &str)> = vec![
        (&small, TEXT),
        (&big, TEXT),
        (&pdf, PDF),
        (&panics, PDF),
        (&missing, TEXT),
        (&small, "image/png"),
        (&pdf, PDF),
        (&small, TEXT),
    ];
    let limits = Limits {
        memory_bytes: 48 * 1024 * 1024,
        ..limits()
    };
    let results = extract_batch_in_child(Path::new(CHILD), &jobs, &limits);
    let alone: Vec<Result<String, ExtractError>> = jobs
        .iter()
        .map(|(file, media_type)| extract_in_child(Path::new(CHILD), file, media_type, &limits))
        .collect();
    assert_eq!(results.len(), jobs.len());
    for ((batch, alone), (file, _)) in results.iter().zip(&alone).zip(&jobs) {
        match (batch, alone) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{}", file.display()),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{}", file.display()),
            _ => panic!("{}: {batch:?} alone: {alone:?}", file.display()),
        }
    }
    assert_eq!(results[0].as_deref().unwrap(), "Kuendigungsfrist 90 Tage");
    assert_eq!(
        results[1].as_ref().unwrap_err().to_string(),
        "ran out of memory (limit 48 MiB)"
    );
    assert!(results[2].as_ref().unwrap().contains("Apache License"));
    assert!(matches!(
        results[3],
        Err(ExtractError::Child { code: 4, .. })
    ));
    assert!(results[6].as_ref().unwrap().contains("Apache License"));
    assert_eq!(results[7].as_deref().unwrap(), "Kuendigungsfrist 90 Tage");
}
