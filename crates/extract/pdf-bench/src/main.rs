//! Measures candidate PDF text extractors on real files, for the choice
//! recorded in `../README.md`.
//!
//! Usage: `entitle-pdf-bench FILE.pdf…` (release build). For every file and
//! every candidate it runs the extraction in a fresh child process (a
//! crafted PDF may overflow the stack or abort), five times, and prints the
//! median wall time, the peak memory of the child, the number of characters
//! extracted, and the recall of words and word pairs against the text that
//! poppler's `pdftotext` extracts from the same file (the reference).
//! Word-pair recall matters for phrase search: it drops when an extractor
//! glues words together or splits them.

use std::collections::HashMap;
use std::process::Command;
use std::time::Instant;

const CANDIDATES: [&str; 3] = ["pdf-extract", "lopdf", "pdf_oxide"];
const RUNS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--one") {
        one(&args[2], &args[3]);
        return;
    }
    let exe = std::env::current_exe().expect("current exe");
    println!("| file | size | extractor | result | median ms | peak RSS MiB | chars | word recall | pair recall |");
    println!("|---|---:|---|---|---:|---:|---:|---:|---:|");
    for file in &args[1..] {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let reference = Command::new("pdftotext")
            .args([file.as_str(), "-"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let name = std::path::Path::new(file)
            .file_name()
            .unwrap()
            .to_string_lossy();
        for cand in CANDIDATES {
            let mut times = Vec::new();
            let mut last = None;
            for _ in 0..RUNS {
                let start = Instant::now();
                let out = Command::new(&exe)
                    .args(["--one", cand, file])
                    .output()
                    .expect("spawn");
                times.push(start.elapsed().as_secs_f64() * 1000.0);
                last = Some(out);
            }
            times.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let out = last.unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let rss = stderr
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM_KB="))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .map(|kb| format!("{:.1}", kb / 1024.0))
                .unwrap_or_else(|| "-".into());
            let result = if out.status.success() {
                "ok".to_string()
            } else if let Some(line) = stderr.lines().find(|l| l.starts_with("ERR ")) {
                let l: String = line.chars().take(60).collect();
                l.replace('|', "/")
            } else {
                format!("died: {}", out.status)
            };
            let (wr, pr) = if out.status.success() {
                let (w, p) = recall(&reference, &stdout);
                (format!("{:.3}", w), format!("{:.3}", p))
            } else {
                ("-".into(), "-".into())
            };
            println!(
                "| {name} | {size} | {cand} | {result} | {:.1} | {rss} | {} | {wr} | {pr} |",
                times[RUNS / 2],
                stdout.chars().count()
            );
        }
    }
}

/// Runs one extraction in this (child) process; text on stdout.
fn one(cand: &str, file: &str) {
    let bytes = std::fs::read(file).expect("read");
    let result: Result<String, String> = match cand {
        "pdf-extract" => pdf_extract::extract_text_from_mem(&bytes).map_err(|e| e.to_string()),
        "lopdf" => lopdf::Document::load_mem(&bytes)
            .and_then(|doc| {
                let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
                doc.extract_text(&pages)
            })
            .map_err(|e| e.to_string()),
        "pdf_oxide" => pdf_oxide::document::PdfDocument::from_bytes(bytes)
            .and_then(|doc| doc.extract_all_text())
            .map_err(|e| e.to_string()),
        _ => unreachable!(),
    };
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(l) = status.lines().find(|l| l.starts_with("VmHWM:")) {
            let kb = l
                .trim_start_matches("VmHWM:")
                .trim()
                .trim_end_matches("kB")
                .trim();
            eprintln!("VmHWM_KB={kb}");
        }
    }
    match result {
        Ok(text) => print!("{}", expand_ligatures(&text)),
        Err(e) => {
            eprintln!("ERR {}", e.replace('\n', " "));
            std::process::exit(1);
        }
    }
}

/// The post-processing entitle-extract applies to every extractor's output
/// (pdftotext does the same): typographic ligatures become their letters,
/// so "ﬁle" is found by "file".
fn expand_ligatures(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            c => out.push(c),
        }
    }
    out
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Multiset recall of words and of adjacent word pairs of `reference` in `candidate`.
fn recall(reference: &str, candidate: &str) -> (f64, f64) {
    let (rw, cw) = (words(reference), words(candidate));
    let pairs = |w: &[String]| -> Vec<String> {
        w.windows(2).map(|p| format!("{} {}", p[0], p[1])).collect()
    };
    (
        multiset_recall(&rw, &cw),
        multiset_recall(&pairs(&rw), &pairs(&cw)),
    )
}

fn multiset_recall(reference: &[String], candidate: &[String]) -> f64 {
    if reference.is_empty() {
        return 1.0;
    }
    let mut have: HashMap<&str, usize> = HashMap::new();
    for w in candidate {
        *have.entry(w).or_default() += 1;
    }
    let mut hit = 0usize;
    for w in reference {
        if let Some(n) = have.get_mut(w.as_str()) {
            if *n > 0 {
                *n -= 1;
                hit += 1;
            }
        }
    }
    hit as f64 / reference.len() as f64
}
