//! `entitle attach`, `doc list|show|get`, `search`, `reindex`: the contract
//! archive.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use entitle_archive::{Archive, Extractor, Limits, Searchable};
use entitle_core::position::vendor_matches;
use entitle_store::{Open, Store};
use serde_json::{json, Value};

use crate::cli::{Cli, DocGetArgs, DocListArgs, DocShowArgs, SearchArgs};
use crate::output::{self, Align, Table};
use crate::request;

/// Opens the archive's index (catching it up with the log), printing what
/// recovery did.
pub fn open_archive(store: &Store) -> Result<Archive> {
    let extractor = Extractor {
        exe: std::env::current_exe()
            .context("cannot find the entitle executable for text extraction")?,
        limits: Limits::default(),
    };
    let (archive, notices) = Archive::open(store, extractor)?;
    for n in notices {
        eprintln!("entitle: {n}");
    }
    Ok(archive)
}

pub fn list(cli: &Cli, a: &DocListArgs) -> Result<ExitCode> {
    let store = request::open(cli, Open::MustExist, "entitle doc list")?;
    list_in(&store, a)
}

/// The demo's document list (temporary until the archive moves to the app).
pub fn demo_list(store: &Store, license: &str) -> Result<ExitCode> {
    let a = DocListArgs {
        license: Some(license.into()),
        vendor: None,
        json: false,
    };
    list_in(store, &a)
}

/// The demo's search (temporary until the archive moves to the app).
pub fn demo_search(store: &Store, query: &str) -> Result<ExitCode> {
    let a = SearchArgs {
        query: query.into(),
        vendor: None,
        product: None,
        kind: None,
        license: None,
        limit: 10,
        json: false,
    };
    search_in(store, &a)
}

fn list_in(store: &Store, a: &DocListArgs) -> Result<ExitCode> {
    let mut rows = Vec::new();
    for doc in store.documents()? {
        // What the index would hold for it: its counted bindings' licenses
        // and vendors, and the first binding's name and kind.
        let Some(entry) = entitle_archive::index_doc(store, &doc)? else {
            continue;
        };
        if let Some(id) = &a.license {
            if !entry.license_ids.iter().any(|l| l == id.trim()) {
                continue;
            }
        }
        if a.vendor.is_some()
            && !entry
                .vendors
                .iter()
                .any(|v| vendor_matches(a.vendor.as_deref(), v))
        {
            continue;
        }
        let searchable = entitle_archive::searchable(store, &doc.hash)?;
        rows.push((doc, entry, searchable));
    }
    if a.json {
        let list: Vec<Value> = rows
            .iter()
            .map(|(doc, entry, searchable)| {
                json!({
                    "hash": doc.hash,
                    "filename": entry.filename,
                    "kind": entry.kind,
                    "size": doc.size,
                    "media_type": doc.media_type,
                    "license_ids": entry.license_ids,
                    "vendors": entry.vendors,
                    "searchable": matches!(searchable, Some(Searchable::Yes(_))),
                })
            })
            .collect();
        output::json(&json!({ "documents": list }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = Table::new(&[
        ("HASH", Align::Left, false),
        ("FILE", Align::Left, true),
        ("KIND", Align::Left, false),
        ("SIZE", Align::Right, false),
        ("BOUND TO", Align::Left, true),
        ("TEXT", Align::Left, false),
    ]);
    for (doc, entry, searchable) in &rows {
        let bound = if entry.license_ids.is_empty() {
            entry.vendors.join(", ")
        } else {
            entry.license_ids.join(", ")
        };
        t.row(vec![
            doc.hash[..12].to_owned(),
            entry.filename.clone(),
            entry.kind.clone(),
            doc.size.to_string(),
            bound,
            match searchable {
                Some(Searchable::Yes(_)) => "searchable".into(),
                Some(Searchable::No(_)) => "not searchable".into(),
                None => "-".into(),
            },
        ]);
    }
    if t.is_empty() {
        println!("(no documents)");
    } else {
        t.print()?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn show(cli: &Cli, a: &DocShowArgs) -> Result<ExitCode> {
    let store = request::open(cli, Open::MustExist, "entitle doc show")?;
    let doc = store.resolve_document(&a.hash)?;
    let searchable = entitle_archive::searchable(&store, &doc.hash)?;
    let mut bindings = Vec::new();
    for b in &doc.attachments {
        let recorded_at = store
            .seq_entry(b.seq)?
            .map(|e| e.meta.recorded_at.to_string());
        bindings.push(json!({
            "seq": b.seq,
            "recorded_at": recorded_at,
            "effective": b.effective.to_string(),
            "filename": b.filename,
            "kind": b.kind,
            "license_id": b.license,
            "vendor": b.vendor,
            "voided_by": b.voided_by,
        }));
    }
    let (text_status, reason) = match &searchable {
        Some(Searchable::Yes(n)) => (format!("searchable ({n} characters of text)"), None),
        Some(Searchable::No(why)) => (format!("stored, not searchable: {why}"), Some(why.clone())),
        None => (
            "stored; text not extracted yet (run `entitle reindex`)".to_owned(),
            None,
        ),
    };
    if a.json {
        output::json(&json!({
            "hash": doc.hash,
            "size": doc.size,
            "media_type": doc.media_type,
            "path": store.blobs().path_of(&doc.hash),
            "searchable": matches!(searchable, Some(Searchable::Yes(_))),
            "not_searchable_reason": reason,
            "events": bindings,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("document   {}", doc.hash);
    println!("size       {} bytes", doc.size);
    println!("type       {}", doc.media_type);
    println!("stored at  {}", store.blobs().path_of(&doc.hash).display());
    println!("text       {text_status}");
    println!("bound by");
    for b in &doc.attachments {
        let to = b
            .license
            .clone()
            .unwrap_or_else(|| format!("vendor {}", b.vendor.clone().unwrap_or_default()));
        let void = b
            .voided_by
            .map(|v| format!("  (VOIDED by #{v})"))
            .unwrap_or_default();
        println!(
            "  #{:<5} {} as {} ({}) to {to}{void}",
            b.seq, b.effective, b.filename, b.kind
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn get(cli: &Cli, a: &DocGetArgs) -> Result<ExitCode> {
    let store = request::open(cli, Open::MustExist, "entitle doc get")?;
    let doc = store.resolve_document(&a.hash)?;
    match &a.out {
        None => {
            let mut out = io::stdout().lock();
            entitle_archive::copy_document(&store, &doc.hash, &mut out)?;
            out.flush()?;
        }
        Some(path) => {
            if path.exists() && !a.force {
                bail!("{} exists; pass --force to overwrite it", path.display());
            }
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let n = entitle_archive::copy_document(&store, &doc.hash, &mut f)?;
            f.sync_all()?;
            eprintln!("wrote {n} bytes to {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn search(cli: &Cli, a: &SearchArgs) -> Result<ExitCode> {
    let store = request::open(cli, Open::MustExist, "entitle search")?;
    search_in(&store, a)
}

fn search_in(store: &Store, a: &SearchArgs) -> Result<ExitCode> {
    let archive = open_archive(store)?;
    let mut q = entitle_search::Query::new(a.query.clone()).limit(a.limit.max(1));
    if let Some(v) = &a.vendor {
        q = q.vendor(v.clone());
    }
    if let Some(p) = &a.product {
        q = q.product(p.clone());
    }
    if let Some(k) = &a.kind {
        q = q.kind(k.parse::<entitle_core::DocKind>()?.as_str().to_owned());
    }
    if let Some(l) = &a.license {
        q = q.license(l.clone());
    }
    let results = archive.search(&q)?;
    if a.json {
        let hits: Vec<Value> = results
            .hits
            .iter()
            .map(|h| {
                json!({
                    "hash": h.hash,
                    "filename": h.filename,
                    "license_ids": h.license_ids,
                    // Under a vendor filter, the vendor it was found under.
                    "vendor": h
                        .vendors
                        .iter()
                        .find(|v| vendor_matches(a.vendor.as_deref(), v))
                        .or(h.vendors.first()),
                    "kind": h.kind,
                    "score": h.score,
                    "snippet": h.snippet.render("**", "**"),
                })
            })
            .collect();
        output::json(&json!({ "query": a.query, "total": results.total, "hits": hits }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let (open, close) = if output::use_color() {
        (output::Paint::Highlight.open(), output::RESET)
    } else {
        ("**", "**")
    };
    println!(
        "{} document{} match {:?}",
        results.total,
        if results.total == 1 { "" } else { "s" },
        a.query
    );
    for (i, h) in results.hits.iter().enumerate() {
        let bound = if h.license_ids.is_empty() {
            h.vendors.join(", ")
        } else {
            h.license_ids.join(", ")
        };
        println!(
            "\n{}. {}  [{}]  {}  ({})  score {:.2}",
            i + 1,
            h.filename,
            h.kind,
            bound,
            &h.hash[..12],
            h.score
        );
        let snippet = h.snippet.render(open, close).replace('\n', " ");
        println!("   {}", snippet.trim());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn reindex(cli: &Cli) -> Result<ExitCode> {
    let store = request::open(cli, Open::MustExist, "entitle reindex")?;
    let mut archive = open_archive(&store)?;
    let n = archive.reindex(&store)?;
    println!(
        "indexed {n} document{} at #{}",
        if n == 1 { "" } else { "s" },
        store.applied().head.seq
    );
    Ok(ExitCode::SUCCESS)
}
