//! `entitle demo`: an example company's history in a fresh store, and the
//! questions entitle answers about it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use entitle_core::ledger::{Context, Draft};
use entitle_store::{KnownAt, Open, Store};
use jiff::Timestamp;
use serde::Deserialize;

use crate::cli::Cli;
use crate::request;

/// The scripted history (see data/README.md).
const HISTORY: &str = include_str!("../../data/demo/history.jsonl");

/// Documents archived after the history: which file, when, by whom, bound to
/// which license or vendor.
const DOCUMENT_STEPS: &str = include_str!("../../data/demo/documents.jsonl");

/// The demo documents themselves, embedded so the demo works from an
/// installed binary (see data/documents/README.md).
const DOCUMENTS: [(&str, &[u8]); 4] = [
    (
        "rahmenvertrag-nordlicht-cad.pdf",
        include_bytes!("../../data/documents/rahmenvertrag-nordlicht-cad.pdf"),
    ),
    (
        "nordlicht-subscription-terms.html",
        include_bytes!("../../data/documents/nordlicht-subscription-terms.html"),
    ),
    (
        "order-confirmation-nl-2024-0412.eml",
        include_bytes!("../../data/documents/order-confirmation-nl-2024-0412.eml"),
    ),
    (
        "kuendigungsbestaetigung-nordlicht-pdm.txt",
        include_bytes!("../../data/documents/kuendigungsbestaetigung-nordlicht-pdm.txt"),
    ),
];

#[derive(Deserialize)]
struct Step {
    at: Timestamp,
    actor: String,
    event: serde_json::Value,
}

#[derive(Deserialize)]
struct DocumentStep {
    at: Timestamp,
    actor: String,
    #[serde(default)]
    license: Option<String>,
    #[serde(default)]
    vendor: Option<String>,
    file: String,
    kind: String,
    #[serde(default)]
    note: Option<String>,
}

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let path = match &cli.store {
        Some(p) => p.clone(),
        None => fresh_dir()?,
    };
    if entitle_store::Layout::new(&path).format().exists() {
        bail!(
            "{} is already a store; the demo needs a fresh one: pass --store with a new directory",
            path.display()
        );
    }
    let mut store = Store::open(&path, Open::CreateIfMissing, "entitle demo")?;
    let events = load(&mut store)?;
    let documents = load_documents(&mut store)?;

    let today = request::today();
    let ex = |args: &str| format!("entitle --store {} {args}", path.display());
    println!(
        "entitle demo: {events} events of Muster Maschinenbau GmbH's license history (2022–2026)"
    );
    println!(
        "and {documents} documents from its contract folder and mailbox, loaded into {}\n",
        path.display()
    );

    section(&format!("Today's position ({today})"), &ex("position"));
    print_position(&store, today, KnownAt::Now, None)?;

    let past = jiff::civil::date(2024, 6, 30);
    section(
        "The position on 30 June 2024",
        &ex("position --as-of 2024-06-30"),
    );
    print_position(&store, past, KnownAt::Now, None)?;

    let letter = "2024-09-02";
    section(
        "Microsoft on 30 June 2024, as our records stood when the audit letter arrived (2 Sep 2024)",
        &ex("position --as-of 2024-06-30 --known-at 2024-09-02 --vendor Microsoft"),
    );
    print_position(
        &store,
        past,
        request::known_at(Some(letter))?,
        Some("Microsoft"),
    )?;
    println!(
        "\nThe same question with everything known today: a recount recorded on 15 Oct 2024\n\
         found 214 users on that date, not 195. Both answers stay reproducible; nothing was\n\
         overwritten."
    );
    section("", &ex("position --as-of 2024-06-30 --vendor Microsoft"));
    print_position(&store, past, KnownAt::Now, Some("Microsoft"))?;

    section(
        "How Microsoft 365 got there, both times shown",
        &ex("history L-0001"),
    );
    drop(store);
    let cli = Cli {
        store: Some(path.clone()),
        actor: None,
        color: cli.color,
        command: crate::cli::Command::Demo,
    };
    let args = crate::cli::HistoryArgs {
        id: "L-0001".into(),
        json: false,
    };
    super::history::run(&cli, &args)?;

    section(
        "The contract archive: which documents mention a notice period (Kündigungsfrist)?",
        &ex("search Kündigungsfrist"),
    );
    let search = crate::cli::SearchArgs {
        query: "Kündigungsfrist".into(),
        vendor: None,
        product: None,
        kind: None,
        license: None,
        limit: 10,
        json: false,
    };
    super::archive::search(&cli, &search)?;

    section(
        "The documents behind the Nordlicht CAD license",
        &ex("doc list --license L-0003"),
    );
    let list = crate::cli::DocListArgs {
        license: Some("L-0003".into()),
        vendor: None,
        json: false,
    };
    super::archive::list(&cli, &list)?;

    println!("\nTry next:");
    for cmd in [
        "state --as-of 2023-06-30",
        "position --json",
        "verify",
        "search '\"notice period\" OR Kündigungsfrist' --kind contract",
        "doc list --vendor 'Nordlicht Software AG'",
        "export | head -3",
    ] {
        println!("  {}", ex(cmd));
    }
    Ok(ExitCode::SUCCESS)
}

fn section(title: &str, command: &str) {
    if !title.is_empty() {
        println!("\n== {title}");
    }
    println!("$ {command}");
}

fn print_position(
    store: &Store,
    as_of: jiff::civil::Date,
    known: KnownAt,
    vendor: Option<&str>,
) -> Result<()> {
    let seq = store.known_seq(known)?;
    let stale_after = entitle_core::position::DEFAULT_STALE_AFTER_DAYS;
    let rows = super::position::reviewed(store, as_of, seq, vendor, stale_after)?;
    super::position::print_reviewed(&rows, as_of, seq, stale_after)
}

/// Appends the scripted history, each step at its scripted time.
fn load(store: &mut Store) -> Result<usize> {
    let mut n = 0;
    for (i, line) in HISTORY
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let step: Step =
            serde_json::from_str(line).with_context(|| format!("demo history line {}", i + 1))?;
        let draft = Draft::from_json_line(&step.event.to_string())
            .map_err(|e| anyhow::anyhow!("demo history line {}: {e}", i + 1))?;
        let ctx = Context {
            actor: step.actor,
            now: step.at,
            today: step.at.to_zoned(jiff::tz::TimeZone::UTC).date(),
        };
        store.append([draft], &ctx).map_err(|e| {
            anyhow::anyhow!("demo history line {}: {}", i + 1, super::append_error(e))
        })?;
        n += 1;
    }
    Ok(n)
}

/// Archives the demo documents after the history, each at its scripted
/// time, and indexes their text. Returns how many were attached.
fn load_documents(store: &mut Store) -> Result<usize> {
    // The blob store takes files: write the embedded bytes to a scratch
    // directory, removed again afterwards.
    let scratch = fresh_dir_in(&std::env::temp_dir(), "entitle-demo-documents")?;
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    let result = attach_documents(store, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    let n = result?;
    super::archive::open_archive(store)?.catch_up(store)?;
    Ok(n)
}

fn attach_documents(store: &mut Store, scratch: &std::path::Path) -> Result<usize> {
    let mut n = 0;
    for (i, line) in DOCUMENT_STEPS
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let what = || format!("demo documents line {}", i + 1);
        let step: DocumentStep = serde_json::from_str(line).with_context(what)?;
        let (_, bytes) = DOCUMENTS
            .iter()
            .find(|(name, _)| *name == step.file)
            .ok_or_else(|| anyhow::anyhow!("{}: no embedded document {}", what(), step.file))?;
        let file = scratch.join(&step.file);
        std::fs::write(&file, bytes).with_context(|| format!("cannot write {}", file.display()))?;
        let owner = match (step.license, step.vendor) {
            (Some(id), _) => entitle_archive::Owner::License(id),
            (None, Some(v)) => entitle_archive::Owner::Vendor(v),
            (None, None) => bail!("{}: neither license nor vendor", what()),
        };
        let incoming = entitle_archive::store_files(store, &[file])?;
        let drafts =
            entitle_archive::drafts(&incoming, &owner, step.kind.parse()?, step.note.as_deref());
        let ctx = Context {
            actor: step.actor,
            now: step.at,
            today: step.at.to_zoned(jiff::tz::TimeZone::UTC).date(),
        };
        store
            .append(drafts, &ctx)
            .map_err(|e| anyhow::anyhow!("{}: {}", what(), super::append_error(e)))?;
        n += 1;
    }
    Ok(n)
}

/// A new directory under the system's temporary directory.
fn fresh_dir() -> Result<PathBuf> {
    fresh_dir_in(&std::env::temp_dir(), "entitle-demo")
}

/// A path `<base>/<stem>-<pid>-<n>` that does not exist yet.
fn fresh_dir_in(base: &std::path::Path, stem: &str) -> Result<PathBuf> {
    for i in 0..1000 {
        let p = base.join(format!("{stem}-{}-{i}", std::process::id()));
        if !p.exists() {
            return Ok(p);
        }
    }
    bail!(
        "no free directory for the demo under {}; pass --store DIR",
        base.display()
    )
}
