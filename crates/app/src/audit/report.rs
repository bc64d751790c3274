//! The report an auditor reads (`report.md`, and the same as
//! `report.html`, printable, with no outside resources): the position and
//! how each number is made, every license's history with both times, the
//! usage counts, the corrections, the documents, and how to verify.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use entitle_core::chain::{to_hex, Hash32};
use entitle_core::timeline::LicenseView;
use entitle_core::{Event, Record};
use entitle_pack::{CHECKPOINT_FILE, CHECKPOINT_NAMESPACE, EVENTS_FILE, SIGNATURE_FILE, SUMS_FILE};
use jiff::civil::Date;

use super::csv::opt;
use super::documents::Documents;
use super::fold::{voids, Derived};
use super::verify_md::verify_md;
use super::{
    SinceRef, DOCUMENTS_DIR, REPORT_HTML, REPORT_MD, VERIFY_MD, VERIFY_PY, VERIFY_PY_TEXT,
};

/// What the report and `VERIFY.md` say about the pack itself.
pub(super) struct Facts<'a> {
    /// The vendor as first typed.
    pub(super) vendor: &'a str,
    /// The business date.
    pub(super) as_of: Date,
    /// The seq the pack is known at (the checkpoint's).
    pub(super) known: u64,
    /// The chain hash at `known`.
    pub(super) head: &'a Hash32,
    /// The store id (the signer identity).
    pub(super) store_id: &'a str,
    /// The signing key's fingerprint.
    pub(super) fingerprint: String,
    /// The events of the log up to `known`.
    pub(super) events: u64,
    /// The events disclosed in full.
    pub(super) disclosed: usize,
    /// The older checkpoint this log was checked to extend.
    pub(super) since: Option<SinceRef>,
    /// How many documents the pack carries.
    pub(super) documents: usize,
}

/// A small document rendered both as Markdown and as HTML.
#[derive(Default)]
pub(super) struct Doc {
    blocks: Vec<Block>,
}

enum Block {
    Heading(u8, String),
    Para(String),
    List(Vec<String>),
    Code(String),
    Table(Vec<String>, Vec<Vec<String>>),
}

impl Doc {
    fn h(&mut self, level: u8, text: impl Into<String>) {
        self.blocks.push(Block::Heading(level, text.into()));
    }
    fn p(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Para(text.into()));
    }
    fn list(&mut self, items: Vec<String>) {
        self.blocks.push(Block::List(items));
    }
    fn code(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Code(text.into()));
    }
    fn table(&mut self, headers: &[&str], rows: Vec<Vec<String>>) {
        self.blocks.push(Block::Table(
            headers.iter().map(|h| (*h).to_owned()).collect(),
            rows,
        ));
    }

    /// The document as Markdown.
    pub(super) fn markdown(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            match b {
                Block::Heading(n, t) => {
                    let _ = writeln!(out, "{} {}", "#".repeat(usize::from(*n)), md_escape(t));
                }
                Block::Para(t) => {
                    let _ = writeln!(out, "{}", md_escape(t));
                }
                Block::List(items) => {
                    for i in items {
                        // A line break would end the item and start
                        // Markdown of the text's own (a heading, a list).
                        let _ = writeln!(out, "- {}", one_line(&md_escape(i)));
                    }
                }
                Block::Code(t) => {
                    let _ = writeln!(out, "```\n{}\n```", t.trim_end());
                }
                Block::Table(headers, rows) => {
                    let cell = |c: &String| md_escape(c).replace('|', "\\|").replace('\n', " ");
                    let _ = writeln!(
                        out,
                        "| {} |",
                        headers.iter().map(cell).collect::<Vec<_>>().join(" | ")
                    );
                    let _ = writeln!(out, "|{}", "---|".repeat(headers.len()));
                    for r in rows {
                        let _ = writeln!(
                            out,
                            "| {} |",
                            r.iter().map(cell).collect::<Vec<_>>().join(" | ")
                        );
                    }
                }
            }
            out.push('\n');
        }
        out
    }

    /// The document as one HTML page with its style inline.
    pub(super) fn html(&self, title: &str) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n",
            html_escape(title),
            CSS
        );
        for b in &self.blocks {
            match b {
                Block::Heading(n, t) => {
                    let _ = writeln!(out, "<h{n}>{}</h{n}>", html_escape(t));
                }
                Block::Para(t) => {
                    let _ = writeln!(out, "<p>{}</p>", html_escape(t));
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for i in items {
                        let _ = writeln!(out, "<li>{}</li>", html_escape(i));
                    }
                    out.push_str("</ul>\n");
                }
                Block::Code(t) => {
                    let _ = writeln!(out, "<pre>{}</pre>", html_escape(t.trim_end()));
                }
                Block::Table(headers, rows) => {
                    out.push_str("<table>\n<thead><tr>");
                    for h in headers {
                        let _ = write!(out, "<th>{}</th>", html_escape(h));
                    }
                    out.push_str("</tr></thead>\n<tbody>\n");
                    for r in rows {
                        out.push_str("<tr>");
                        for c in r {
                            let _ = write!(out, "<td>{}</td>", html_escape(c));
                        }
                        out.push_str("</tr>\n");
                    }
                    out.push_str("</tbody>\n</table>\n");
                }
            }
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

const CSS: &str = "\
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #111; line-height: 1.45; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #333; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #999; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: .9rem; }
th, td { border: 1px solid #bbb; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #eee; }
pre { background: #f4f4f4; padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { page-break-after: avoid; }
  table, pre { page-break-inside: avoid; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
";

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes the characters Markdown would read as emphasis, links or HTML
/// (backticks are kept: the report's own text uses them for commands).
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Line breaks (`\r\n`, `\r`, `\n`) replaced with a space.
fn one_line(s: &str) -> String {
    s.replace("\r\n", " ").replace(['\r', '\n'], " ")
}

fn describe(r: &Record) -> String {
    match &r.event {
        Event::Purchased(p) => format!(
            "{} / {}{}, {} {}, {} to {}{}",
            p.vendor.trim(),
            p.product.trim(),
            p.edition
                .as_ref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default(),
            p.qty,
            p.metric,
            p.start,
            p.end.map_or_else(|| "perpetual".into(), |e| e.to_string()),
            p.cost
                .map(|c| format!(", cost {c} {}", p.currency.as_deref().unwrap_or("")))
                .unwrap_or_default()
        ),
        Event::Extended(x) => format!(
            "term extended until {}{}",
            x.until,
            x.qty.map(|q| format!(", quantity {q}")).unwrap_or_default()
        ),
        Event::Adjusted(x) => format!("quantity set to {}", x.qty),
        Event::Cancelled(_) => "cancelled".into(),
        Event::DocumentAttached(d) => {
            format!("document {} ({}), BLAKE3 {}", d.filename, d.kind, d.hash)
        }
        Event::UsageRecorded(u) => format!(
            "{} {} in use{}",
            u.count,
            u.metric,
            u.source
                .as_ref()
                .map(|s| format!(" (source: {s})"))
                .unwrap_or_default()
        ),
        Event::Voided(v) => format!("voids event #{}", v.voids),
        Event::HostObserved(h) => format!("host {}: {}", h.host, h.facts().describe()),
        Event::Installed(i) => format!(
            "{} / {} installed on {}{}{}",
            i.vendor,
            i.product,
            i.host,
            i.edition
                .as_ref()
                .map(|e| format!(", edition {e}"))
                .unwrap_or_default(),
            i.version
                .as_ref()
                .map(|v| format!(", version {v}"))
                .unwrap_or_default()
        ),
        Event::Uninstalled(u) => format!("{} / {} removed from {}", u.vendor, u.product, u.host),
        Event::HostsSeen(h) => format!("{} seen on {}", h.vendor, h.hosts.join(", ")),
    }
}

/// The files of a pack that are text about its data, re-derived byte for
/// byte when a pack is verified: `report.md`, `report.html`, `VERIFY.md`
/// and `verify_chain.py`.
pub(super) fn texts(
    f: &Facts<'_>,
    records: &[Record],
    d: &Derived,
    documents: &Documents,
) -> [(&'static str, Vec<u8>); 4] {
    let doc = report(f, records, d, documents);
    [
        (REPORT_MD, doc.markdown().into_bytes()),
        (
            REPORT_HTML,
            doc.html(&format!("Audit pack: {}", f.vendor)).into_bytes(),
        ),
        (VERIFY_MD, verify_md(f).into_bytes()),
        (VERIFY_PY, VERIFY_PY_TEXT.as_bytes().to_vec()),
    ]
}

/// The report of a pack.
fn report(f: &Facts<'_>, records: &[Record], d: &Derived, documents: &Documents) -> Doc {
    let voided = voids(records);
    let by_seq: BTreeMap<u64, &Record> = records.iter().map(|r| (r.seq, r)).collect();
    let mut doc = Doc::default();
    doc.h(
        1,
        format!("License position of {} as of {}", f.vendor, f.as_of),
    );
    doc.list(vec![
        format!("Vendor: {}", f.vendor),
        format!("Business date (as of): {}", f.as_of),
        format!(
            "Records as known at event #{} of {}; chain hash at #{}: {}",
            f.known,
            f.events,
            f.known,
            to_hex(f.head)
        ),
        format!("Store: {}", f.store_id),
        format!("Signing key: {}", f.fingerprint),
        format!(
            "Disclosed: {} events of this vendor in full; the other {} events of the log appear only as digests",
            f.disclosed,
            f.events.saturating_sub(f.disclosed as u64)
        ),
    ]);
    doc.p(
        "Every number below is computed from the events disclosed in events.jsonl, \
         and nothing else. The signed checkpoint pins the whole log, so none of \
         these events can have been added, removed or changed after signing.",
    );

    doc.h(2, "Position");
    let mut rows = Vec::new();
    for rr in &d.position {
        let (r, m) = (&rr.row, &rr.money);
        let amount = |a: Option<rust_decimal::Decimal>| match (a, &m.currency) {
            (Some(a), Some(c)) => format!("{a} {c}"),
            _ => String::new(),
        };
        rows.push(vec![
            r.product.clone(),
            r.metric.to_string(),
            r.entitled.to_string(),
            opt(r.used.as_ref().map(|u| u.count)) + if rr.stale { " (stale)" } else { "" },
            opt(r.balance),
            r.status.as_str().to_owned(),
            amount(m.shortfall_cost),
            amount(m.unused_cost),
        ]);
    }
    doc.table(
        &[
            "Product",
            "Metric",
            "Entitled",
            "Used",
            "Balance",
            "Status",
            "Shortfall cost",
            "Unused per year",
        ],
        rows,
    );
    doc.h(3, "How each number is made");
    let views: BTreeMap<&str, &LicenseView> = d.views.iter().map(|v| (v.id.as_str(), v)).collect();
    let mut items = Vec::new();
    for r in d.position.iter().map(|rr| &rr.row) {
        let mut licenses = r.licenses.clone();
        licenses.sort();
        let parts: Vec<String> = licenses
            .iter()
            .map(|id| match views.get(id.as_str()) {
                Some(v) => format!(
                    "{id} ({} {}, purchase #{})",
                    v.terms.quantity, v.terms.metric, v.purchased_seq
                ),
                None => id.clone(),
            })
            .collect();
        let entitled = if parts.is_empty() {
            format!("entitled {}: no license counts on {}", r.entitled, f.as_of)
        } else {
            format!("entitled {} = {}", r.entitled, parts.join(" + "))
        };
        let used = match &r.used {
            Some(u) => format!(
                "used {}: the latest usage count dated on or before {}, event #{} of {}{}",
                u.count,
                f.as_of,
                u.seq,
                u.date,
                u.source
                    .as_ref()
                    .map(|s| format!(" (source: {s})"))
                    .unwrap_or_default()
            ),
            None => format!("no usage count dated on or before {}", f.as_of),
        };
        let balance = match r.balance {
            Some(b) => format!("balance {b}: {}", r.status.as_str()),
            None => format!("status {}", r.status.as_str()),
        };
        items.push(format!(
            "{} ({}): {entitled}; {used}; {balance}.",
            r.product, r.metric
        ));
    }
    doc.list(items);
    let not_counted: Vec<&LicenseView> =
        d.views.iter().filter(|v| !v.status.is_entitled()).collect();
    if !not_counted.is_empty() {
        doc.p(format!(
            "Licenses visible on {} that do not count: {}.",
            f.as_of,
            not_counted
                .iter()
                .map(|v| format!("{} ({})", v.id, v.status.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    doc.h(2, "Licenses and their history");
    doc.p(
        "Each event shows both times: when it was recorded in the ledger, and the \
         business date it takes effect. A voided event no longer counts for \
         anything known after the void.",
    );
    let mut ids: BTreeSet<&str> = d.views.iter().map(|v| v.id.as_str()).collect();
    for r in records {
        if let Event::Purchased(p) = &r.event {
            ids.insert(p.id.as_str());
        }
    }
    for id in ids {
        match views.get(id) {
            Some(v) => doc.h(
                3,
                format!(
                    "{id}: {} {}, {} on {}",
                    v.terms.product,
                    v.terms.quantity,
                    v.status.as_str(),
                    f.as_of
                ),
            ),
            None => doc.h(3, format!("{id}: not visible on {}", f.as_of)),
        }
        let mut rows = Vec::new();
        for r in records.iter().filter(|r| r.event.license_id() == Some(id)) {
            let mut what = r.event.type_name().to_owned();
            if let Some(by) = voided.get(&r.seq) {
                let _ = write!(what, " (voided by #{by})");
            }
            rows.push(vec![
                format!("#{}", r.seq),
                r.recorded_at.to_string(),
                r.effective.to_string(),
                what,
                describe(r),
                opt(r.note.clone()),
            ]);
        }
        doc.table(
            &["Event", "Recorded", "Effective", "Type", "Details", "Note"],
            rows,
        );
    }

    doc.h(2, "Usage counts");
    let mut rows = Vec::new();
    for r in records {
        if matches!(r.event, Event::UsageRecorded(_)) {
            let voided_by = voided.get(&r.seq).map(|by| format!("voided by #{by}"));
            rows.push(vec![
                format!("#{}", r.seq),
                r.recorded_at.to_string(),
                r.effective.to_string(),
                describe(r),
                opt(voided_by),
            ]);
        }
    }
    if rows.is_empty() {
        doc.p("No usage counts were recorded for this vendor.");
    } else {
        doc.table(&["Event", "Recorded", "Date", "Count", "Voided"], rows);
    }

    let voids_list: Vec<String> = records
        .iter()
        .filter_map(|r| match &r.event {
            Event::Voided(v) => Some(format!(
                "#{} (recorded {}) voids #{}{}{}",
                r.seq,
                r.recorded_at,
                v.voids,
                by_seq
                    .get(&v.voids)
                    .map(|t| format!(" ({})", t.event.type_name()))
                    .unwrap_or_default(),
                r.note
                    .as_ref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            )),
            _ => None,
        })
        .collect();
    if !voids_list.is_empty() {
        doc.h(2, "Corrections (voids)");
        doc.list(voids_list);
    }

    doc.h(2, "Documents");
    if documents.packed.is_empty() {
        doc.p("No documents are attached to this vendor's licenses or to the vendor.");
    } else {
        doc.p(format!(
            "Every document attached to this vendor's licenses or to the vendor, as known at \
             event #{}, is in the folder documents/ of this pack, byte for byte as archived, \
             named by its BLAKE3 hash and its original file name. The hash is the one the \
             binding event recorded in the chain, so b3sum run on a file ties it to its \
             event.",
            f.known
        ));
        let mut rows = Vec::new();
        for p in documents.packed.values() {
            for b in &p.bindings {
                rows.push(vec![
                    format!("#{}", b.seq),
                    p.entry.clone(),
                    b.filename.clone(),
                    b.kind.clone(),
                    p.size.to_string(),
                    b.to.clone(),
                    p.hash.clone(),
                ]);
            }
        }
        rows.sort_by_key(|r| r[0][1..].parse::<u64>().unwrap_or(0));
        doc.table(
            &[
                "Event",
                "File in the pack",
                "Original name",
                "Kind",
                "Bytes",
                "Belongs to",
                "BLAKE3",
            ],
            rows,
        );
    }
    if !documents.voided.is_empty() {
        let items = documents
            .voided
            .iter()
            .map(|(hash, b)| {
                format!(
                    "#{} {} ({}, BLAKE3 {hash}) bound to {}: voided by #{}{}",
                    b.seq,
                    b.filename,
                    b.kind,
                    b.to,
                    b.voided_by.unwrap_or_default(),
                    if documents.packed.contains_key(hash) {
                        "; the document is in the pack through another binding"
                    } else {
                        "; not in the pack"
                    }
                )
            })
            .collect();
        doc.p("Bindings corrected by a void:");
        doc.list(items);
    }

    if let Some(old) = &f.since {
        doc.h(2, "Consistency with an earlier audit");
        doc.p(format!(
            "This log extends the earlier checkpoint of store {} at event #{} (hash {}): \
             nothing recorded up to it has been changed since. This was checked when the pack \
             was made; check it again with `entitle audit verify <pack> --signer <the key you were given> --since <old checkpoint>`.",
            old.store,
            old.seq,
            to_hex(&old.hash),
        ));
    }

    doc.h(2, "How to verify");
    doc.p(
        "You do not need entitle to check this pack. In the unpacked pack directory: \
         `b3sum --check BLAKE3SUMS` shows that no file it lists was changed or removed \
         (it does not notice an added file: the pack must hold no file it does not list \
         but checkpoint and checkpoint.sig); `ssh-keygen -Y verify` against the key the \
         store's owner registered with you (not the pack's own allowed_signers, which \
         whoever signs a pack writes) shows that the checkpoint (the last event number, \
         the chain hash and the hash of BLAKE3SUMS) was signed by that key; `b3sum BLAKE3SUMS` \
         must print the hash on the checkpoint's `sums` line, so the signature covers \
         BLAKE3SUMS and every file it lists, this report included; and the chain check shows \
         that events.jsonl leads to exactly that hash, so none of its events was \
         changed, removed, inserted or reordered. Each document's file name starts \
         with its BLAKE3 hash, the hash its binding event records in the chain. \
         VERIFY.md has the exact commands and the chain check in a few lines.",
    );
    doc.code(verify_commands(f));
    doc
}

fn verify_commands(f: &Facts<'_>) -> String {
    format!(
        "b3sum --check {SUMS_FILE}\n\
         # given_signers: one line, <store id> namespaces=\"{CHECKPOINT_NAMESPACE}\" <the key you were given>\n\
         ssh-keygen -Y verify -f given_signers -I {} -n {CHECKPOINT_NAMESPACE} -s {SIGNATURE_FILE} < {CHECKPOINT_FILE}\n\
         # must print the hash on the last line of {CHECKPOINT_FILE}, `sums <hash>`\n\
         b3sum {SUMS_FILE}\n\
         python3 {VERIFY_PY} {EVENTS_FILE} {} {}\n{}",
        f.store_id,
        f.known,
        to_hex(f.head),
        if f.documents > 0 {
            format!("b3sum {DOCUMENTS_DIR}*\n")
        } else {
            String::new()
        }
    )
}
