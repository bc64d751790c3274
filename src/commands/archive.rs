//! `entitle doc list|show|get`, `search`, `reindex`: the contract archive.

use entitle_app::Scope;
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{bail, Result};
use entitle_app::archive::{
    DocList, DocListRequest, DocShow, SearchRequest, SearchResult, TextStatus,
};
use entitle_app::Open;

use crate::cli::{Cli, DocGetArgs, DocListArgs, DocShowArgs, Format, SearchArgs};
use crate::commands::sheet_out;
use crate::output::{self, visible, Align, Table};
use crate::progress::Bar;
use crate::remote::{segment, Remote};
use crate::request;

pub fn list(cli: &Cli, a: &DocListArgs) -> Result<ExitCode> {
    let format = a.output.format();
    let req = DocListRequest {
        license: a.license.clone(),
        vendor: a.vendor.clone(),
    };
    let list = match Remote::from_cli(cli)? {
        Some(remote) => remote_list(&remote, &req)?,
        None => {
            let store = request::open(cli, Open::MustExist, "entitle doc list")?;
            entitle_app::archive::doc_list(
                &store,
                &Scope::All,
                &req,
                &Bar::new(format != Format::Table),
            )?
        }
    };
    match format {
        Format::Json => output::json(&list)?,
        Format::Csv => sheet_out::write_rows(
            &[
                "hash",
                "filename",
                "kind",
                "size",
                "media_type",
                "license_ids",
                "vendors",
                "searchable",
            ],
            &list.documents,
        )?,
        Format::Table => print_list(&list)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `GET /api/v1/documents`: the list the server's account sees.
fn remote_list(remote: &Remote, req: &DocListRequest) -> Result<DocList> {
    let mut list: DocList = remote.get(
        "/api/v1/documents",
        &[
            ("license", req.license.clone()),
            ("vendor", req.vendor.clone()),
        ],
    )?;
    list.restore();
    Ok(list)
}

/// The document list as a table.
pub fn print_list(list: &DocList) -> Result<()> {
    let mut t = Table::new(&[
        ("HASH", Align::Left, false),
        ("FILE", Align::Left, true),
        ("KIND", Align::Left, false),
        ("SIZE", Align::Right, false),
        ("BOUND TO", Align::Left, true),
        ("TEXT", Align::Left, false),
    ]);
    for d in &list.documents {
        let bound = if d.license_ids.is_empty() {
            d.vendors.join(", ")
        } else {
            d.license_ids.join(", ")
        };
        t.row(vec![
            d.hash[..12].to_owned(),
            d.filename.clone(),
            d.kind.clone(),
            d.size.to_string(),
            bound,
            match d.text {
                TextStatus::Searchable { .. } => "searchable".into(),
                TextStatus::NotSearchable { .. } => "not searchable".into(),
            },
        ]);
    }
    if t.is_empty() {
        println!("(no documents)");
        Ok(())
    } else {
        t.print()
    }
}

pub fn show(cli: &Cli, a: &DocShowArgs) -> Result<ExitCode> {
    let doc = match Remote::from_cli(cli)? {
        Some(remote) => {
            let hash = full_hash(&remote, &a.hash)?;
            let mut doc: DocShow =
                remote.get(&format!("/api/v1/documents/{}", segment(&hash)), &[])?;
            doc.restore();
            doc
        }
        None => {
            let store = request::open(cli, Open::MustExist, "entitle doc show")?;
            entitle_app::archive::doc_show(&store, &Scope::All, &a.hash, &Bar::new(a.json))?
        }
    };
    if a.json {
        output::json(&doc)?;
    } else {
        io::stdout().lock().write_all(show_text(&doc).as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A document's metadata and bindings, one line each; stored text (file
/// names, kinds, vendors, reasons) shown as [`visible`] makes it.
fn show_text(doc: &DocShow) -> String {
    let text = match &doc.text {
        TextStatus::Searchable { characters } => {
            format!("searchable ({characters} characters of text)")
        }
        TextStatus::NotSearchable { reason } => format!("stored, not searchable: {reason}"),
    };
    let mut lines = vec![
        format!("document   {}", doc.hash),
        format!("size       {} bytes", doc.size),
        format!("type       {}", doc.media_type),
        format!("stored at  {}", doc.path.display()),
        format!("text       {text}"),
        "bound by".to_owned(),
    ];
    for b in &doc.events {
        let to = b
            .license_id
            .clone()
            .unwrap_or_else(|| format!("vendor {}", b.vendor.clone().unwrap_or_default()));
        let void = b
            .voided_by
            .map(|v| format!("  (VOIDED by #{v})"))
            .unwrap_or_default();
        lines.push(format!(
            "  #{:<5} {} as {} ({}) to {to}{void}",
            b.seq, b.effective, b.filename, b.kind
        ));
    }
    let mut out = String::new();
    for line in lines {
        out.push_str(&visible(line));
        out.push('\n');
    }
    out
}

pub fn get(cli: &Cli, a: &DocGetArgs) -> Result<ExitCode> {
    if let Some(remote) = Remote::from_cli(cli)? {
        let hash = full_hash(&remote, &a.hash)?;
        let path = format!("/api/v1/documents/{}/content", segment(&hash));
        let bytes = remote.get_bytes(&path, &[])?;
        match &a.out {
            None => io::Write::write_all(&mut io::stdout().lock(), &bytes)?,
            Some(path) => {
                entitle_app::files::write_atomically(path, &bytes, a.force)?;
                eprintln!("wrote {} bytes to {}", bytes.len(), path.display());
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let store = request::open(cli, Open::MustExist, "entitle doc get")?;
    match &a.out {
        None => {
            entitle_app::archive::doc_get(&store, &Scope::All, &a.hash, &mut io::stdout().lock())?;
        }
        Some(path) => {
            let w =
                entitle_app::archive::doc_get_to_file(&store, &Scope::All, &a.hash, path, a.force)?;
            eprintln!("wrote {} bytes to {}", w.bytes, path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn search(cli: &Cli, a: &SearchArgs) -> Result<ExitCode> {
    let format = a.output.format();
    let req = SearchRequest {
        query: a.query.clone(),
        vendor: a.vendor.clone(),
        product: a.product.clone(),
        kind: a.kind.clone(),
        license: a.license.clone(),
        limit: Some(a.limit.clone()),
        offset: a.offset.clone(),
    };
    let results = match Remote::from_cli(cli)? {
        Some(remote) => remote_search(&remote, &req, format == Format::Table)?,
        None => {
            let store = request::open(cli, Open::MustExist, "entitle search")?;
            entitle_app::archive::search(
                &store,
                &Scope::All,
                &req,
                &Bar::new(format != Format::Table),
            )?
        }
    };
    match format {
        Format::Json => output::json(&results)?,
        Format::Csv => sheet_out::write_rows(
            &[
                "hash",
                "filename",
                "license_ids",
                "vendor",
                "kind",
                "score",
                "snippet",
            ],
            &results.hits,
        )?,
        Format::Table => print_search(&results),
    }
    Ok(ExitCode::SUCCESS)
}

/// `GET /api/v1/search`. For a table, a hit bound to vendors only needs
/// every vendor, which the document list gives.
fn remote_search(remote: &Remote, req: &SearchRequest, table: bool) -> Result<SearchResult> {
    let mut results: SearchResult = remote.get(
        "/api/v1/search",
        &[
            ("q", Some(req.query.clone())),
            ("vendor", req.vendor.clone()),
            ("product", req.product.clone()),
            ("kind", req.kind.clone()),
            ("license", req.license.clone()),
            ("limit", req.limit.clone()),
            ("offset", req.offset.clone()),
        ],
    )?;
    results.restore();
    if table && results.hits.iter().any(|h| h.license_ids.is_empty()) {
        let list = remote_list(remote, &DocListRequest::default())?;
        for h in results.hits.iter_mut().filter(|h| h.license_ids.is_empty()) {
            if let Some(d) = list.documents.iter().find(|d| d.hash == h.hash) {
                h.vendors.clone_from(&d.vendors);
            }
        }
    }
    Ok(results)
}

/// A document as the server takes it: its full hash. A shorter prefix
/// (as `doc show 6437b3ac` takes it locally) is looked up among the
/// documents this account sees.
fn full_hash(remote: &Remote, hash: &str) -> Result<String> {
    let wanted = hash.trim().to_ascii_lowercase();
    if wanted.len() == 64 || wanted.len() < 8 || !wanted.bytes().all(|b| b.is_ascii_hexdigit()) {
        // The server names what is wrong with it, if anything.
        return Ok(hash.trim().to_owned());
    }
    let list = remote_list(remote, &DocListRequest::default())?;
    let found: Vec<&str> = list
        .documents
        .iter()
        .map(|d| d.hash.as_str())
        .filter(|h| h.starts_with(&wanted))
        .collect();
    match found[..] {
        [one] => Ok(one.to_owned()),
        [] => bail!("hash {wanted}: no document has a hash that starts so; `entitle doc list` shows them"),
        _ => bail!(
            "hash {wanted}: {} documents have a hash that starts so; give more of it (`entitle doc list` shows them)",
            found.len()
        ),
    }
}

/// Search results for people: a line per hit and its passage, the
/// matched words highlighted (in colour on a terminal, else between
/// `**`); stored text shown as [`visible`] makes it.
pub fn print_search(results: &SearchResult) {
    let (open, close) = if output::use_color() {
        (output::Paint::Highlight.open(), output::RESET)
    } else {
        ("**", "**")
    };
    println!(
        "{} document{} match {:?}",
        results.total,
        if results.total == 1 { "" } else { "s" },
        results.query
    );
    for (i, h) in results.hits.iter().enumerate() {
        let bound = if h.license_ids.is_empty() {
            h.vendors.join(", ")
        } else {
            h.license_ids.join(", ")
        };
        let line = format!(
            "{}. {}  [{}]  {}  ({})  score {:.2}",
            i + 1,
            h.filename,
            h.kind,
            bound,
            &h.hash[..12],
            h.score
        );
        println!("\n{}", visible(line));
        // Each piece made visible on its own, so that only our highlight
        // reaches the terminal as an escape code.
        let p = &h.passage;
        let mut snippet = String::new();
        let mut at = 0;
        for r in &p.highlights {
            let (Some(before), Some(hit)) =
                (p.fragment.get(at..r.start), p.fragment.get(r.clone()))
            else {
                continue;
            };
            snippet.push_str(&visible(before.to_owned()));
            snippet.push_str(open);
            snippet.push_str(&visible(hit.to_owned()));
            snippet.push_str(close);
            at = r.end;
        }
        snippet.push_str(&visible(
            p.fragment.get(at..).unwrap_or_default().to_owned(),
        ));
        println!("   {}", snippet.trim());
    }
}

pub fn reindex(cli: &Cli) -> Result<ExitCode> {
    let store = request::open(cli, Open::MustExist, "entitle reindex")?;
    let r = entitle_app::archive::reindex(&store, &Bar::new(false))?;
    println!(
        "indexed {} document{} at #{}",
        r.documents,
        if r.documents == 1 { "" } else { "s" },
        r.seq
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use entitle_app::archive::Binding;

    use super::*;

    #[test]
    fn doc_show_escapes_stored_text() {
        let doc = DocShow {
            hash: "ab".repeat(32),
            size: 3,
            media_type: "text/plain".into(),
            path: "/s/blobs/ab/ab".into(),
            searchable: false,
            characters: None,
            not_searchable_reason: Some("bad\u{1b}[2J".into()),
            events: vec![Binding {
                seq: 2,
                recorded_at: None,
                effective: "2024-01-01".into(),
                filename: "Ver\u{202e}trag\u{1b}[31m.pdf".into(),
                kind: "contract".into(),
                license_id: None,
                vendor: Some("Micro\u{200b}soft".into()),
                voided_by: Some(3),
            }],
            text: TextStatus::NotSearchable {
                reason: "bad\u{1b}[2J".into(),
            },
        };
        let text = show_text(&doc);
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(
            text.contains("text       stored, not searchable: bad\\u{1b}[2J\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "  #2     2024-01-01 as Ver\\u{202e}trag\\u{1b}[31m.pdf (contract) to vendor Micro\\u{200b}soft  (VOIDED by #3)\n"
            ),
            "{text}"
        );
    }
}
