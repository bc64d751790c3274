//! `entitle demo`: an example company's history in a fresh store, and the
//! questions entitle answers about it.

use entitle_app::Scope;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use entitle_app::archive::{DocListRequest, SearchRequest};
use entitle_app::query::{PositionRequest, Query};
use entitle_app::Store;

use crate::cli::Cli;
use crate::progress::Bar;

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let path = match &cli.store {
        Some(p) => p.clone(),
        None => fresh_dir()?,
    };
    let bar = Bar::new(false);
    let demo = entitle_app::demo::load(&path, &bar)?;
    let store = demo.store;
    let today = entitle_app::when::today();
    let ex = |args: &str| format!("entitle --store {} {args}", path.display());
    println!(
        "entitle demo: {} events of Muster Maschinenbau GmbH's license history (2022–2026)",
        demo.events
    );
    println!(
        "and {} documents from its contract folder and mailbox, loaded into {}\n",
        demo.documents,
        path.display()
    );

    section(&format!("Today's position ({today})"), &ex("position"));
    print_position(&store, None, None, None)?;

    section(
        "The position on 30 June 2024",
        &ex("position --as-of 2024-06-30"),
    );
    print_position(&store, Some("2024-06-30"), None, None)?;

    section(
        "Microsoft on 30 June 2024, as our records stood when the audit letter arrived (2 Sep 2024)",
        &ex("position --as-of 2024-06-30 --known-at 2024-09-02 --vendor Microsoft"),
    );
    print_position(
        &store,
        Some("2024-06-30"),
        Some("2024-09-02"),
        Some("Microsoft"),
    )?;
    println!(
        "\nThe same question with everything known today: a recount recorded on 15 Oct 2024\n\
         found 214 users on that date, not 195. Both answers stay reproducible; nothing was\n\
         overwritten."
    );
    section("", &ex("position --as-of 2024-06-30 --vendor Microsoft"));
    print_position(&store, Some("2024-06-30"), None, Some("Microsoft"))?;

    section(
        "How Microsoft 365 got there, both times shown",
        &ex("history L-0001"),
    );
    super::history::print(&entitle_app::query::history(&store, &Scope::All, "L-0001")?)?;

    section(
        "The contract archive: which documents mention a notice period (Kündigungsfrist)?",
        &ex("search Kündigungsfrist"),
    );
    let req = SearchRequest {
        query: "Kündigungsfrist".into(),
        ..SearchRequest::default()
    };
    super::archive::print_search(&entitle_app::archive::search(
        &store,
        &Scope::All,
        &req,
        &bar,
    )?);

    section(
        "The documents behind the Nordlicht CAD license",
        &ex("doc list --license L-0003"),
    );
    let req = DocListRequest {
        license: Some("L-0003".into()),
        vendor: None,
    };
    super::archive::print_list(&entitle_app::archive::doc_list(
        &store,
        &Scope::All,
        &req,
        &bar,
    )?)?;

    println!("\nTry next:");
    for cmd in [
        "state --as-of 2023-06-30",
        "position --json",
        "verify",
        "search '\"notice period\" OR Kündigungsfrist' --kind contract",
        "doc list --vendor 'Nordlicht Software AG'",
        "inventory --as-of 2026-07-31",
        "history --host db01",
        "export | head -3",
    ] {
        println!("  {}", ex(cmd));
    }
    println!(
        "\nIn the browser:\n  {}\n  then open the setup link it prints to create the first admin, and then\n  http://127.0.0.1:8080/?as_of=2024-06-30&known_at=2024-09-02",
        ex("serve")
    );
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
    as_of: Option<&str>,
    known_at: Option<&str>,
    vendor: Option<&str>,
) -> Result<()> {
    let req = PositionRequest {
        query: Query {
            as_of: as_of.map(str::to_owned),
            known_at: known_at.map(str::to_owned),
            vendor: vendor.map(str::to_owned),
        },
        stale_after: entitle_core::position::DEFAULT_STALE_AFTER_DAYS,
    };
    super::position::print(&entitle_app::query::position(store, &Scope::All, &req)?)
}

/// A new directory under the system's temporary directory.
fn fresh_dir() -> Result<PathBuf> {
    let base = std::env::temp_dir();
    for i in 0..1000 {
        let p = base.join(format!("entitle-demo-{}-{i}", std::process::id()));
        if !p.exists() {
            return Ok(p);
        }
    }
    bail!(
        "no free directory for the demo under {}; pass --store DIR",
        base.display()
    )
}
