//! Index build time and search latency at 10,000 documents, next to
//! `grep -rli` over the same texts.
//!
//! Run with `cargo run --release -p entitle-search --example search_bench`
//! (optional argument: the number of documents, default 10000).
//!
//! The documents are generated deterministically: contract-like text of a
//! few KB: half German, 40 % English, 10 % bilingual.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use entitle_search::{IndexDoc, IndexOptions, Query, SearchIndex};

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const VENDORS: &[&str] = &[
    "Microsoft",
    "Oracle",
    "SAP",
    "Adobe",
    "Autodesk",
    "VMware",
    "Atlassian",
    "IBM",
    "Citrix",
    "DATEV",
    "Salesforce",
    "Red Hat",
];
const PRODUCTS: &[&str] = &[
    "Enterprise Agreement",
    "Database Enterprise Edition",
    "S/4HANA",
    "Creative Cloud",
    "AutoCAD",
    "vSphere",
    "Jira Software",
    "WebSphere",
    "Virtual Apps",
    "Lohn und Gehalt",
    "Sales Cloud",
    "Enterprise Linux",
];
const KINDS: &[&str] = &[
    "contract",
    "invoice",
    "order",
    "eula",
    "terms",
    "usage-report",
    "correspondence",
    "other",
];

const DE: &[&str] = &[
    "Der Lizenznehmer erhält ein nicht ausschließliches, nicht übertragbares Nutzungsrecht an der Software {p}.",
    "Die Kündigungsfrist beträgt {n} Tage zum Ende der jeweiligen Vertragslaufzeit.",
    "Die Kündigungsfristen verlängern sich bei Verträgen mit mehr als {n} Lizenzen um drei Monate.",
    "Der Vertrag verlängert sich automatisch um weitere {n} Monate, sofern er nicht fristgerecht gekündigt wird.",
    "Die Anzahl der Lizenzen richtet sich nach den benannten Benutzern; derzeit sind {n} Benutzer lizenziert.",
    "Eine Virtualisierung der Software ist nur auf Hosts zulässig, deren Prozessorkerne vollständig lizenziert sind.",
    "{v} ist berechtigt, die Einhaltung der Lizenzbedingungen einmal jährlich durch einen Wirtschaftsprüfer zu überprüfen.",
    "Die Vergütung beträgt {n},00 EUR je Lizenz und Jahr zuzüglich der gesetzlichen Umsatzsteuer.",
    "Rechnungen sind innerhalb von {n} Tagen ohne Abzug zahlbar.",
    "Die Wartung umfasst Aktualisierungen, Fehlerbehebungen und telefonische Unterstützung.",
    "Änderungen und Ergänzungen dieses Vertrages bedürfen der Schriftform.",
    "Gerichtsstand ist der Sitz des Lizenzgebers; es gilt deutsches Recht unter Ausschluss des UN-Kaufrechts.",
    "Der Lizenznehmer verpflichtet sich, Nutzungsberichte bis zum {n}. eines Monats zu übermitteln.",
    "Unterlizenzen dürfen nur mit vorheriger schriftlicher Zustimmung von {v} erteilt werden.",
    "Die Haftung ist auf den Betrag der in den letzten zwölf Monaten gezahlten Lizenzgebühren beschränkt.",
];
const EN: &[&str] = &[
    "The licensee is granted a non-exclusive, non-transferable right to use {p}.",
    "Either party may terminate this agreement with a notice period of {n} days before the end of the term.",
    "This agreement renews automatically for successive periods of {n} months unless cancelled in writing.",
    "Renewals are invoiced at the list price in effect at the time of renewal, less a discount of {n} percent.",
    "Licenses are counted per named user; {n} users are licensed as of the effective date.",
    "Virtualization is permitted only where all physical processor cores of the host are licensed.",
    "{v} may audit the licensee's compliance with this agreement once per year with thirty days' notice.",
    "Fees are {n}.00 USD per license per year, excluding applicable taxes.",
    "Invoices are payable within {n} days of receipt.",
    "Support and maintenance include updates, bug fixes and access to the support portal.",
    "Any amendment to this agreement must be made in writing and signed by both parties.",
    "This agreement is governed by the laws of the State of New York.",
    "The licensee shall submit usage reports no later than the {n}th day of each month.",
    "Sublicensing requires the prior written consent of {v}.",
    "Liability is limited to the fees paid in the twelve months preceding the claim.",
];

fn sentence(rng: &mut Rng, templates: &[&str], vendor: &str, product: &str) -> String {
    rng.pick(templates)
        .replace("{p}", product)
        .replace("{v}", vendor)
        .replace("{n}", &(rng.below(360) + 1).to_string())
}

fn generate(n: usize) -> Vec<IndexDoc> {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    (0..n)
        .map(|i| {
            let vendor = rng.pick(VENDORS);
            let product = rng.pick(PRODUCTS);
            let lang = match i % 10 {
                0 => "both",
                1..=5 => "de",
                _ => "en",
            };
            let target = 2_000 + rng.below(4_000);
            let mut text = String::with_capacity(target + 200);
            let mut section = 1;
            while text.len() < target {
                if rng.below(6) == 0 {
                    text.push_str(&format!("\n\n§ {section}\n"));
                    section += 1;
                }
                let templates = match lang {
                    "de" => DE,
                    "en" => EN,
                    _ if rng.below(2) == 0 => DE,
                    _ => EN,
                };
                text.push_str(&sentence(&mut rng, templates, vendor, product));
                text.push(' ');
            }
            let mut vendors = vec![vendor.to_string()];
            if rng.below(20) == 0 {
                vendors.push(rng.pick(VENDORS).to_string());
            }
            IndexDoc {
                hash: format!("{:016x}", i as u64).repeat(4),
                filename: format!("{}-{i:05}.pdf", vendor.to_lowercase().replace(' ', "-")),
                kind: rng.pick(KINDS).to_string(),
                text,
                license_ids: vec![format!("lic-{}", i % 700)],
                vendors,
                products: vec![product.to_string()],
            }
        })
        .collect()
}

/// (query for entitle, pattern for `grep -rli`)
const QUERIES: &[(&str, &str)] = &[
    ("Kündigungsfrist", "Kündigungsfrist"),
    ("Lizenz", "Lizenz"),
    ("renewal", "renewal"),
    ("\"notice period\"", "notice period"),
    ("Virtualisierung", "Virtualisierung"),
    ("virtual*", "virtual"),
    ("audit AND compliance", "audit"),
    ("Wirtschaftsprüfer OR auditor", "Wirtschaftsprüfer"),
    ("sublicensing -Oracle", "sublicensing"),
    ("Gerichtsstand", "Gerichtsstand"),
    ("\"New York\"", "New York"),
    ("Umsatzsteuer Rechnungen", "Umsatzsteuer"),
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// This process's CPU time (user + system) in clock ticks, from
/// `/proc/self/stat` (Linux; `None` elsewhere).
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    // Fields 14 and 15 of stat(5); the slice starts at field 3.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(10_000), |a| a.parse())?;
    let tmp = tempfile::tempdir()?;
    let texts = tmp.path().join("texts");
    let index_dir = tmp.path().join("index");
    std::fs::create_dir_all(&texts)?;

    let docs = generate(n);
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    for (i, d) in docs.iter().enumerate() {
        std::fs::write(texts.join(format!("{i:05}.txt")), &d.text)?;
    }
    println!(
        "{n} documents, {:.1} MB of text (mean {:.1} KB)",
        bytes as f64 / 1e6,
        bytes as f64 / n as f64 / 1e3
    );

    let threads = std::thread::available_parallelism().map_or(1, |p| p.get().min(2));
    let options = IndexOptions {
        writer_threads: threads,
        writer_memory_bytes: 50_000_000,
    };
    let start = Instant::now();
    let mut index = SearchIndex::open_with(&index_dir, options)?;
    for d in &docs {
        index.upsert(d)?;
    }
    index.commit(n as u64)?;
    let build = start.elapsed();
    // Search as `entitle search` does: a fresh process opening the index.
    drop(index);
    let index = SearchIndex::open(&index_dir)?;
    println!(
        "index build: {:.2} s ({:.0} docs/s, {:.1} MB/s; {threads} writer thread(s), 50 MB), index size {:.1} MB",
        build.as_secs_f64(),
        n as f64 / build.as_secs_f64(),
        bytes as f64 / 1e6 / build.as_secs_f64(),
        dir_size(&index_dir) as f64 / 1e6
    );

    // Search: limit 10 with snippets, as `entitle search` does.
    let rounds = 30;
    let mut cpu_in_search = 0u64;
    let mut all = Vec::new();
    let mut grep_all = Vec::new();
    println!(
        "\n{:32} {:>7} {:>10} {:>10} | {:>7} {:>10}",
        "query", "hits", "p50", "p99", "grep", "grep p50"
    );
    for (q, pattern) in QUERIES {
        let query = Query::new(*q).limit(10);
        let total = index.search(&query)?.total; // warm-up
        let cpu_at = cpu_ticks();
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            let r = index.search(&query)?;
            times.push(t.elapsed());
            std::hint::black_box(r);
        }
        if std::env::var_os("BENCH_NO_SNIPPET").is_some() {
            let q0 = Query::new(*q).limit(0);
            let mut t0 = Vec::new();
            for _ in 0..rounds {
                let t = Instant::now();
                std::hint::black_box(index.search(&q0)?);
                t0.push(t.elapsed());
            }
            t0.sort();
            println!("   count only p50 {}", ms(percentile(&t0, 0.5)));
        }
        cpu_in_search += cpu_ticks().zip(cpu_at).map_or(0, |(now, then)| now - then);
        let mut grep_times = Vec::new();
        let mut grep_hits = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let out = Command::new("grep")
                .args(["-rli", pattern])
                .arg(&texts)
                .output()?;
            grep_times.push(t.elapsed());
            grep_hits = out.stdout.iter().filter(|&&b| b == b'\n').count();
        }
        times.sort();
        grep_times.sort();
        println!(
            "{:32} {:>7} {:>10} {:>10} | {:>7} {:>10}",
            q,
            total,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            grep_hits,
            ms(percentile(&grep_times, 0.5)),
        );
        all.extend(times);
        grep_all.extend(grep_times);
    }
    all.sort();
    grep_all.sort();
    println!(
        "\nentitle search, all queries: p50 {}, p99 {} ({} runs)",
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        all.len()
    );
    if cpu_ticks().is_some() {
        // Clock ticks are 1/100 s on Linux.
        println!(
            "entitle search, CPU time per search (user + system, mean): {:.2} ms",
            cpu_in_search as f64 * 10.0 / all.len() as f64
        );
    }
    println!(
        "grep -rli, all queries:      p50 {}, p99 {} ({} runs)",
        ms(percentile(&grep_all, 0.5)),
        ms(percentile(&grep_all, 0.99)),
        grep_all.len()
    );
    Ok(())
}
