//! `entitle audit-pack` and `entitle audit verify`: the evidence bundle for
//! one vendor's auditor, and its check.
//!
//! Everything in a pack but `checkpoint` and `checkpoint.sig` (and so
//! `BLAKE3SUMS`) is a function of the store, the vendor, the as-of date and
//! the known-at seq: no clock is read for them. The CSV files are computed
//! from the disclosed records alone (the same fold `audit verify` repeats),
//! and held against the store's own position before anything is written.
//!
//! The vendor's documents travel in `documents/<hash>-<name>`, streamed
//! from the archive's blobs. Which documents is decided from the disclosed
//! `document_attached` events alone (those not voided by a disclosed void),
//! so `audit verify` derives the same list from `events.jsonl` and ties each
//! file to the hash its event recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _, Result};
use entitle_core::chain::{to_hex, Hash32};
use entitle_core::ledger::{Batch, Empty, Head};
use entitle_core::position::{position, review, PricePer, ReviewedRow, DEFAULT_STALE_AFTER_DAYS};
use entitle_core::timeline::{counts, LicenseView};
use entitle_core::types::match_key;
use entitle_core::{Event, Record};
use entitle_pack::{
    allowed_signers_line, sanitize_file_name, sign, verify_chain, Checkpoint, Pack, PackWriter,
    ALLOWED_SIGNERS_FILE, CHAIN_CHECK, CHECKPOINT_FILE, CHECKPOINT_NAMESPACE, EVENTS_FILE,
    SIGNATURE_FILE, SUMS_FILE,
};
use entitle_store::{Open, Store};
use jiff::civil::Date;

use crate::cli::{AuditPackArgs, AuditVerifyArgs, Cli};
use crate::commands::key::store_key;
use crate::request;

const POSITION_FILE: &str = "position.csv";
const LICENSES_FILE: &str = "licenses.csv";
const USAGE_FILE: &str = "usage.csv";
const REPORT_MD: &str = "report.md";
const REPORT_HTML: &str = "report.html";
const VERIFY_MD: &str = "VERIFY.md";
const VERIFY_PY: &str = "verify_chain.py";
const VERIFY_PY_TEXT: &str = include_str!("../../crates/pack/verify_chain.py");
/// The folder of the pack that holds the vendor's documents.
const DOCUMENTS_DIR: &str = "documents/";

// ---------------------------------------------------------------- audit-pack

pub fn pack(cli: &Cli, a: &AuditPackArgs) -> Result<ExitCode> {
    let as_of = entitle_app::when::as_of(a.as_of.as_deref())?;
    let known_at = entitle_app::when::known_at(a.known_at.as_deref())?;
    let wanted = match_key(&a.vendor);
    if wanted.is_empty() {
        bail!("--vendor is empty: name the vendor the pack is for");
    }
    let since = a.since.as_deref().map(read_checkpoint).transpose()?;
    let store = request::open(cli, Open::MustExist, "entitle audit-pack")?;
    let store_id = store.info().store_id.clone();
    let known = store.known_seq(known_at)?;

    // Every vendor the store has heard of, for the "unknown vendor" error.
    let mut vendors: BTreeMap<String, String> = BTreeMap::new();
    for t in store.timelines()? {
        if let Some((_, terms)) = t.purchase() {
            vendors
                .entry(match_key(&terms.vendor))
                .or_insert_with(|| terms.vendor.trim().to_owned());
        }
    }
    for u in store.usage_series()? {
        vendors
            .entry(match_key(&u.vendor))
            .or_insert_with(|| u.vendor.clone());
    }
    let Some(vendor) = vendors.get(&wanted).cloned() else {
        let list: Vec<&str> = vendors.values().map(String::as_str).collect();
        if list.is_empty() {
            bail!(
                "unknown vendor {:?}: the store has no vendors yet",
                a.vendor
            );
        }
        bail!(
            "unknown vendor {:?}; the known vendors are: {}",
            a.vendor,
            list.join(", ")
        );
    };

    // The chain up to `known`, disclosing the vendor's events.
    let mut picker = Disclosure::new(&wanted);
    let mut events = Vec::new();
    let head = store.export(&mut events, known, &mut |seq, bytes| {
        picker.decide(seq, bytes)
    })?;
    if let Some(e) = picker.error {
        bail!(e);
    }
    let records = picker.records;
    if records.is_empty() {
        bail!("vendor {vendor} has no events as known at #{known}: there is nothing to disclose");
    }

    let derived = Derived::fold(&records, as_of, known)?;
    if derived.position.is_empty() {
        bail!(
            "vendor {vendor} has no license or usage count on or before {as_of} (as known at #{known}): \
             choose a later --as-of"
        );
    }
    // The pack's numbers come from the disclosed events alone; they must be
    // the store's numbers too.
    let from_store = entitle_app::query::reviewed(
        &store,
        as_of,
        known,
        Some(&wanted),
        DEFAULT_STALE_AFTER_DAYS,
    )?;
    if position_csv(&from_store, as_of, known) != derived.position_csv {
        bail!(
            "the position computed from the disclosed events differs from the store's position for {vendor}; \
             run `entitle verify` and `entitle rebuild`, then try again"
        );
    }

    let since_note = match &since {
        None => None,
        Some(old) => {
            if old.store != store_id {
                bail!(
                    "--since: the old checkpoint is of store {}, this store is {store_id}",
                    old.store
                );
            }
            let report = verify_chain(events.as_slice())
                .map_err(|f| anyhow!("the exported chain does not verify: {}", f[0]))?;
            report
                .extends(old.seq, &old.hash)
                .with_context(|| format!("--since: at #{known} this log does not extend it"))?;
            Some(old.clone())
        }
    };

    let key = store_key(&store)?;
    let checkpoint = Checkpoint {
        store: store_id.clone(),
        seq: known,
        hash: head,
        time: entitle_app::when::now(),
    };
    let checkpoint_text = checkpoint.render()?;
    let signature = sign(&key, CHECKPOINT_NAMESPACE, checkpoint_text.as_bytes())?;
    let allowed = allowed_signers_line(&store_id, &key)?;

    let documents = Documents::of(&records, known);
    check_blobs(&store, &documents, known)?;
    let facts = Facts {
        vendor: &vendor,
        as_of,
        known,
        head: &head,
        store_id: &store_id,
        fingerprint: key.fingerprint(),
        events: known,
        disclosed: records.len(),
        since: since_note,
        documents: documents.packed.len(),
    };
    let report = report(&facts, &records, &derived, &documents);

    let mut w = PackWriter::new();
    for d in documents.packed.values() {
        // Streamed from the archive when the pack is written.
        w.add_file(&d.entry, &store.blobs().path_of(&d.hash))?;
    }
    w.add_bytes(EVENTS_FILE, events)?;
    w.add_bytes(POSITION_FILE, derived.position_csv.into_bytes())?;
    w.add_bytes(LICENSES_FILE, derived.licenses_csv.into_bytes())?;
    w.add_bytes(USAGE_FILE, derived.usage_csv.into_bytes())?;
    w.add_bytes(REPORT_MD, report.markdown().into_bytes())?;
    w.add_bytes(
        REPORT_HTML,
        report.html(&format!("Audit pack: {vendor}")).into_bytes(),
    )?;
    w.add_bytes(VERIFY_MD, verify_md(&facts).into_bytes())?;
    w.add_bytes(VERIFY_PY, VERIFY_PY_TEXT.as_bytes().to_vec())?;
    w.add_bytes(CHECKPOINT_FILE, checkpoint_text.into_bytes())?;
    w.add_bytes(SIGNATURE_FILE, signature.into_bytes())?;
    w.add_bytes(ALLOWED_SIGNERS_FILE, allowed.into_bytes())?;
    let written = w.write(&a.out, a.force)?;
    println!(
        "wrote {} ({} files, {} documents): {vendor}, as of {as_of}, known at #{known}; {} of {known} events disclosed",
        written.path.display(),
        written.entries.len(),
        documents.packed.len(),
        facts.disclosed,
    );
    println!(
        "checkpoint #{known} {} signed by {}",
        to_hex(&head),
        facts.fingerprint
    );
    Ok(ExitCode::SUCCESS)
}

fn read_checkpoint(path: &Path) -> Result<Checkpoint> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--since: cannot read {}", path.display()))?;
    Checkpoint::parse(&text).with_context(|| format!("--since {}", path.display()))
}

/// Decides per record whether the vendor's auditor sees it.
struct Disclosure<'a> {
    vendor: &'a str,
    licenses: BTreeSet<String>,
    shown: BTreeSet<u64>,
    records: Vec<Record>,
    error: Option<String>,
}

impl<'a> Disclosure<'a> {
    fn new(vendor: &'a str) -> Self {
        Disclosure {
            vendor,
            licenses: BTreeSet::new(),
            shown: BTreeSet::new(),
            records: Vec::new(),
            error: None,
        }
    }

    fn decide(&mut self, seq: u64, bytes: &[u8]) -> bool {
        let record = match Record::from_bytes(bytes) {
            Ok(r) => r,
            Err(e) => {
                self.error
                    .get_or_insert_with(|| format!("event #{seq} cannot be read: {e}"));
                return false;
            }
        };
        let ours = |name: &str| match_key(name) == self.vendor;
        let show = match &record.event {
            Event::Purchased(p) => {
                let mine = ours(&p.vendor);
                if mine {
                    self.licenses.insert(p.id.clone());
                }
                mine
            }
            Event::UsageRecorded(u) => ours(&u.vendor),
            Event::Voided(v) => self.shown.contains(&v.voids),
            Event::DocumentAttached(d) => {
                d.vendor.as_deref().is_some_and(ours)
                    || d.id.as_ref().is_some_and(|id| self.licenses.contains(id))
            }
            other => other
                .license_id()
                .is_some_and(|id| self.licenses.contains(id)),
        };
        if show {
            self.shown.insert(seq);
            self.records.push(record);
        }
        show
    }
}

// ---------------------------------------------------------------- documents

/// One binding of a document by a disclosed `document_attached` event.
struct Binding {
    seq: u64,
    filename: String,
    kind: String,
    /// The license id, or `vendor <name>`.
    to: String,
    voided_by: Option<u64>,
}

/// A document the pack carries: one file per hash, named after the
/// document's first counted binding.
struct PackedDoc {
    hash: String,
    size: u64,
    /// `documents/<hash>-<sanitized original name>`.
    entry: String,
    /// The counted bindings, in seq order.
    bindings: Vec<Binding>,
}

/// The documents the disclosed events bind, as known at a seq. Computed
/// from the disclosed records alone, so `audit verify` derives the very
/// same list from `events.jsonl`.
struct Documents {
    /// By hash.
    packed: BTreeMap<String, PackedDoc>,
    /// Bindings voided by a disclosed void (not carried unless another
    /// binding of the same document counts).
    voided: Vec<(String, Binding)>,
}

impl Documents {
    fn of(records: &[Record], known: u64) -> Self {
        let voided = voids(records);
        let mut packed: BTreeMap<String, PackedDoc> = BTreeMap::new();
        let mut dropped = Vec::new();
        for r in records {
            let Event::DocumentAttached(a) = &r.event else {
                continue;
            };
            let voided_by = voided.get(&r.seq).copied();
            let binding = Binding {
                seq: r.seq,
                filename: a.filename.clone(),
                kind: a.kind.clone(),
                to: match (&a.id, &a.vendor) {
                    (Some(id), _) => id.clone(),
                    (None, Some(v)) => format!("vendor {}", v.trim()),
                    (None, None) => "nothing".to_owned(),
                },
                voided_by,
            };
            if !counts(r.seq, voided_by, known) {
                dropped.push((a.hash.clone(), binding));
                continue;
            }
            packed
                .entry(a.hash.clone())
                .or_insert_with(|| PackedDoc {
                    hash: a.hash.clone(),
                    size: a.size,
                    entry: document_entry(&a.hash, &a.filename),
                    bindings: Vec::new(),
                })
                .bindings
                .push(binding);
        }
        Documents {
            packed,
            voided: dropped,
        }
    }
}

/// The pack entry of a document: its hash, a dash and its original name
/// made portable, short enough for one path component (255 bytes).
fn document_entry(hash: &str, filename: &str) -> String {
    let room = 255 - hash.len().min(200) - 1;
    let mut name = sanitize_file_name(filename);
    if name.len() > room {
        let mut cut = room;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name = sanitize_file_name(&name[..cut]);
    }
    format!("{DOCUMENTS_DIR}{hash}-{name}")
}

fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Checks, before anything is written, that the archive holds every
/// document the pack must carry, with the bytes its events recorded (read
/// in a stream, never whole), and that the store's own bindings agree.
fn check_blobs(store: &Store, documents: &Documents, known: u64) -> Result<()> {
    for d in documents.packed.values() {
        let first = &d.bindings[0];
        let what = || {
            format!(
                "document {} ({}, event #{})",
                d.hash, first.filename, first.seq
            )
        };
        if !is_hash(&d.hash) {
            bail!("{}: the hash is not 64 lowercase hex digits", what());
        }
        let entry = store.document(&d.hash)?.ok_or_else(|| {
            anyhow!(
                "{} is not in the store's archive; run `entitle rebuild`",
                what()
            )
        })?;
        let counted: BTreeSet<u64> = entry.counted(known).map(|a| a.seq).collect();
        if let Some(b) = d.bindings.iter().find(|b| !counted.contains(&b.seq)) {
            bail!(
                "{}: the store does not count its binding by event #{} as known at #{known}; \
                 run `entitle verify` and `entitle rebuild`, then try again",
                what(),
                b.seq
            );
        }
        let path = store.blobs().path_of(&d.hash);
        let mut file = std::fs::File::open(&path).with_context(|| {
            format!(
                "{} is missing from the archive ({}); run `entitle verify`",
                what(),
                path.display()
            )
        })?;
        let mut hasher = blake3::Hasher::new();
        let size = std::io::copy(&mut file, &mut hasher)
            .with_context(|| format!("cannot read {} ({})", what(), path.display()))?;
        let hash = hasher.finalize().to_hex();
        if hash.as_str() != d.hash || size != d.size {
            bail!(
                "{} is damaged in the archive: {} holds {size} bytes with BLAKE3 {hash}, \
                 the event recorded {} bytes; run `entitle verify`",
                what(),
                path.display(),
                d.size
            );
        }
    }
    Ok(())
}

/// Holds the pack's `documents/` against the disclosed events: every
/// document a counted binding names is there under its name and hashes to
/// the recorded hash, and nothing else is.
fn check_documents(pack: &Pack, records: &[Record], known: u64) -> Result<String, Vec<String>> {
    let documents = Documents::of(records, known);
    let mut failures = Vec::new();
    let mut bytes_total = 0u64;
    for d in documents.packed.values() {
        let b = &d.bindings[0];
        let recorded = format!(
            "document {} ({}) bound to {} by event #{}",
            d.hash, b.filename, b.to, b.seq
        );
        match pack.get(&d.entry) {
            None => {
                let prefix = format!("{DOCUMENTS_DIR}{}-", d.hash);
                let elsewhere: Vec<&str> = pack
                    .entries()
                    .map(|(n, _)| n)
                    .filter(|n| n.starts_with(&prefix))
                    .collect();
                if elsewhere.is_empty() {
                    failures.push(format!(
                        "{}: missing: {recorded} is not in the pack",
                        d.entry
                    ));
                } else {
                    failures.push(format!(
                        "{}: missing: {recorded} is in the pack as {} instead",
                        d.entry,
                        elsewhere.join(", ")
                    ));
                }
            }
            Some(bytes) => {
                let hash = blake3::hash(bytes).to_hex();
                if !hash.as_str().eq_ignore_ascii_case(&d.hash) {
                    failures.push(format!(
                        "{}: altered: its bytes hash to {hash}, not to the hash {} recorded by event #{}",
                        d.entry, d.hash, b.seq
                    ));
                } else if bytes.len() as u64 != d.size {
                    failures.push(format!(
                        "{}: altered: {} bytes, event #{} recorded {}",
                        d.entry,
                        bytes.len(),
                        b.seq,
                        d.size
                    ));
                }
                bytes_total += bytes.len() as u64;
            }
        }
    }
    let expected: BTreeSet<&str> = documents
        .packed
        .values()
        .map(|d| d.entry.as_str())
        .collect();
    for (name, _) in pack.entries() {
        if name.starts_with(DOCUMENTS_DIR) && !expected.contains(name) {
            let voided = documents
                .voided
                .iter()
                .find(|(hash, _)| name.starts_with(&format!("{DOCUMENTS_DIR}{hash}-")));
            failures.push(match voided {
                Some((_, b)) => format!(
                    "{name}: extra: its binding by event #{} was voided by #{}",
                    b.seq,
                    b.voided_by.unwrap_or_default()
                ),
                None => format!("{name}: extra: no disclosed document_attached event refers to it"),
            });
        }
    }
    if failures.is_empty() {
        Ok(format!(
            "documents: {} present ({bytes_total} bytes), each matching the hash its event recorded",
            documents.packed.len()
        ))
    } else {
        Err(failures)
    }
}

// ---------------------------------------------------------------- the fold

/// What the disclosed records say, as of a date and known at a seq.
struct Derived {
    views: Vec<LicenseView>,
    position: Vec<ReviewedRow>,
    position_csv: String,
    licenses_csv: String,
    usage_csv: String,
}

impl Derived {
    /// Re-folds the disclosed records from nothing with entitle_core.
    fn fold(records: &[Record], as_of: Date, known: u64) -> Result<Self> {
        let mut batch = Batch::new(&Empty, Head::default());
        for r in records {
            batch
                .apply(r)
                .map_err(|e| anyhow!("event #{}: {e}", r.seq))?;
        }
        let changes = batch.finish();
        let mut views: Vec<LicenseView> = changes
            .licenses
            .iter()
            .filter_map(|t| t.view(as_of, known))
            .collect();
        views.sort_by(|a, b| a.id.cmp(&b.id));
        let position = review(
            position(&views, changes.usage.iter().map(|(_, s)| s), as_of, known),
            &views,
            &changes.licenses,
            as_of,
            known,
            DEFAULT_STALE_AFTER_DAYS,
        );
        let position_csv = position_csv(&position, as_of, known);
        let licenses_csv = licenses_csv(&views);
        let usage_csv = usage_csv(records, as_of, known);
        Ok(Derived {
            views,
            position,
            position_csv,
            licenses_csv,
            usage_csv,
        })
    }
}

/// Which disclosed event voided each seq.
fn voids(records: &[Record]) -> BTreeMap<u64, u64> {
    let mut out = BTreeMap::new();
    for r in records {
        if let Event::Voided(v) = &r.event {
            out.entry(v.voids).or_insert(r.seq);
        }
    }
    out
}

// ---------------------------------------------------------------- CSV

fn csv_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

fn csv_row<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, f.as_ref());
    }
    out.push_str("\r\n");
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The position with the money on each side (the columns after `status`
/// were added later; readers should select columns by name).
fn position_csv(rows: &[ReviewedRow], as_of: Date, known: u64) -> String {
    let mut out = String::new();
    csv_row(
        &mut out,
        &[
            "as_of",
            "known_at_seq",
            "vendor",
            "product",
            "metric",
            "entitled",
            "licenses",
            "used",
            "used_date",
            "used_seq",
            "used_source",
            "balance",
            "status",
            "stale",
            "unit_price",
            "currency",
            "price_per",
            "shortfall_cost",
            "unused_cost",
        ],
    );
    for rr in rows {
        let (r, m) = (&rr.row, &rr.money);
        let mut licenses = r.licenses.clone();
        licenses.sort();
        csv_row(
            &mut out,
            &[
                as_of.to_string(),
                known.to_string(),
                r.vendor.clone(),
                r.product.clone(),
                r.metric.to_string(),
                r.entitled.to_string(),
                licenses.join(" "),
                opt(r.used.as_ref().map(|u| u.count)),
                opt(r.used.as_ref().map(|u| u.date)),
                opt(r.used.as_ref().map(|u| u.seq)),
                opt(r.used.as_ref().and_then(|u| u.source.clone())),
                opt(r.balance),
                r.status.as_str().to_owned(),
                rr.stale.to_string(),
                opt(m.unit_price),
                opt(m.currency.clone()),
                opt(m.per.map(PricePer::as_str)),
                opt(m.shortfall_cost),
                opt(m.unused_cost),
            ],
        );
    }
    out
}

fn licenses_csv(views: &[LicenseView]) -> String {
    let mut out = String::new();
    csv_row(
        &mut out,
        &[
            "id",
            "vendor",
            "product",
            "edition",
            "metric",
            "quantity",
            "status",
            "start",
            "end",
            "cancelled_on",
            "maintenance_end",
            "cost",
            "currency",
            "po",
            "reseller",
            "purchased_seq",
        ],
    );
    for v in views {
        let t = &v.terms;
        csv_row(
            &mut out,
            &[
                v.id.clone(),
                t.vendor.clone(),
                t.product.clone(),
                opt(t.edition.clone()),
                t.metric.to_string(),
                t.quantity.to_string(),
                v.status.as_str().to_owned(),
                t.start.to_string(),
                opt(t.end),
                opt(v.cancelled_on),
                opt(t.maintenance_end),
                opt(t.cost.as_ref().map(|m| m.amount)),
                opt(t.cost.as_ref().map(|m| m.currency.clone())),
                opt(t.po.clone()),
                opt(t.reseller.clone()),
                v.purchased_seq.to_string(),
            ],
        );
    }
    out
}

fn usage_csv(records: &[Record], as_of: Date, known: u64) -> String {
    let voided = voids(records);
    let mut out = String::new();
    csv_row(
        &mut out,
        &[
            "seq",
            "recorded_at",
            "date",
            "vendor",
            "product",
            "metric",
            "count",
            "source",
            "voided_by",
            "counts_on_as_of",
        ],
    );
    for r in records {
        let Event::UsageRecorded(u) = &r.event else {
            continue;
        };
        let voided_by = voided.get(&r.seq).copied();
        let counted = r.effective <= as_of && counts(r.seq, voided_by, known);
        csv_row(
            &mut out,
            &[
                r.seq.to_string(),
                r.recorded_at.to_string(),
                r.effective.to_string(),
                u.vendor.trim().to_owned(),
                u.product.trim().to_owned(),
                u.metric.to_string(),
                u.count.to_string(),
                opt(u.source.clone()),
                opt(voided_by),
                if counted { "yes" } else { "no" }.to_owned(),
            ],
        );
    }
    out
}

// ---------------------------------------------------------------- report

struct Facts<'a> {
    vendor: &'a str,
    as_of: Date,
    known: u64,
    head: &'a Hash32,
    store_id: &'a str,
    fingerprint: String,
    events: u64,
    disclosed: usize,
    since: Option<Checkpoint>,
    /// How many documents the pack carries.
    documents: usize,
}

/// A small document rendered both as Markdown and as HTML.
#[derive(Default)]
struct Doc {
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

    fn markdown(&self) -> String {
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
                        let _ = writeln!(out, "- {}", md_escape(i));
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

    fn html(&self, title: &str) -> String {
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
    }
}

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
            "This log extends the earlier checkpoint of store {} at event #{} (hash {}, made {}): \
             nothing recorded up to it has been changed since. This was checked when the pack \
             was made; check it again with `entitle audit verify <pack> --since <old checkpoint>`.",
            old.store,
            old.seq,
            to_hex(&old.hash),
            old.time.strftime("%Y-%m-%dT%H:%M:%SZ")
        ));
    }

    doc.h(2, "How to verify");
    doc.p(
        "You do not need entitle to check this pack. In the unpacked pack directory: \
         `b3sum --check BLAKE3SUMS` shows that no file was changed, added or removed; \
         `ssh-keygen -Y verify` shows that the checkpoint (the last event number and \
         the chain hash) was signed by this store's key; and the chain check shows \
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
         ssh-keygen -Y verify -f {ALLOWED_SIGNERS_FILE} -I {} -n {CHECKPOINT_NAMESPACE} -s {SIGNATURE_FILE} < {CHECKPOINT_FILE}\n\
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

fn verify_md(f: &Facts<'_>) -> String {
    format!(
        "# How to verify this audit pack\n\n\
         Run these commands inside the pack directory (unpack a `.zip` or `.tar` pack first). \
         Each must succeed.\n\n\
         1. Every file is exactly as it was written, and none is missing or added \
         (`b3sum`: `cargo install b3sum`):\n\n    b3sum --check {SUMS_FILE}\n\n   \
         Also check that the pack holds no file that `{SUMS_FILE}` does not list.\n\n\
         2. The checkpoint was signed by the store's key. Before trusting `{ALLOWED_SIGNERS_FILE}`, \
         compare its key with the one registered with you in advance (`entitle key show` prints \
         it; its fingerprint is {fp}):\n\n    \
         ssh-keygen -Y verify -f {ALLOWED_SIGNERS_FILE} -I {store} -n {CHECKPOINT_NAMESPACE} -s {SIGNATURE_FILE} < {CHECKPOINT_FILE}\n\n\
         3. The events lead to the signed checkpoint (seq {seq}, hash {hash}). With python3 and b3sum:\n\n    \
         python3 {VERIFY_PY} {EVENTS_FILE} {seq} {hash}\n\n   \
         It prints `{seq} {hash}`. Or re-implement the check below.\n\n\
         {documents}\
         ## The chain check\n\n{check}\n\n\
         ## With entitle\n\n    entitle audit verify <pack> [--since <older checkpoint>]\n\n\
         also re-computes position.csv, licenses.csv and usage.csv from the disclosed events, \
         checks every document against the hash its event recorded (and that no document is \
         missing or extra), and with `--since` checks that the log extends an older checkpoint.\n",
        fp = f.fingerprint,
        store = f.store_id,
        seq = f.known,
        hash = to_hex(f.head),
        check = CHAIN_CHECK,
        documents = if f.documents > 0 {
            format!(
                "4. The {n} documents are the ones the chain names. Each file in `{DOCUMENTS_DIR}` is named \
                 `<BLAKE3>-<original name>`; this prints each file's hash:\n\n    b3sum {DOCUMENTS_DIR}*\n\n   \
                 Each hash must equal the start of the file's name and the `hash` of a `document_attached` \
                 record in {EVENTS_FILE} that no disclosed `voided` record voids; and every such record's \
                 document must be there.\n\n",
                n = f.documents
            )
        } else {
            "4. No documents are attached to this vendor's licenses or to the vendor, so the pack \
             has no `documents/` folder.\n\n"
                .to_owned()
        },
    )
}

// ---------------------------------------------------------------- verify

pub fn verify(a: &AuditVerifyArgs) -> Result<ExitCode> {
    let since = a.since.as_deref().map(read_checkpoint).transpose()?;
    let pack = Pack::open(&a.path)?;
    let mut failures: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();

    match pack.check_sums() {
        Ok(report) if report.is_ok() => {
            notes.push(format!("files: {} match {SUMS_FILE}", report.ok.len()));
        }
        Ok(report) => failures.extend(report.problems()),
        Err(e) => failures.push(format!("{SUMS_FILE}: {e}")),
    }

    let text = |name: &str| -> Result<&str, String> {
        let bytes = pack
            .get(name)
            .ok_or_else(|| format!("{name}: missing from the pack"))?;
        std::str::from_utf8(bytes).map_err(|_| format!("{name}: not UTF-8"))
    };

    let checkpoint = match text(CHECKPOINT_FILE)
        .and_then(|t| Checkpoint::parse(t).map_err(|e| format!("{CHECKPOINT_FILE}: {e}")))
    {
        Ok(cp) => Some(cp),
        Err(e) => {
            failures.push(e);
            None
        }
    };

    if let Some(cp) = &checkpoint {
        let checked = text(ALLOWED_SIGNERS_FILE).and_then(|allowed| {
            let sig = text(SIGNATURE_FILE)?;
            let message = pack.get(CHECKPOINT_FILE).unwrap_or_default();
            entitle_pack::verify(allowed, &cp.store, CHECKPOINT_NAMESPACE, sig, message)
                .map_err(|e| format!("{SIGNATURE_FILE}: {e}"))
        });
        match checked {
            Ok(v) => notes.push(format!(
                "signature: checkpoint signed by store {} with key {}",
                v.identity, v.fingerprint
            )),
            Err(e) => failures.push(e),
        }
    }

    let chain = match pack.get(EVENTS_FILE) {
        None => {
            failures.push(format!("{EVENTS_FILE}: missing from the pack"));
            None
        }
        Some(bytes) => match verify_chain(bytes) {
            Ok(report) => Some(report),
            Err(list) => {
                failures.extend(list.iter().map(|f| format!("{EVENTS_FILE} {f}")));
                None
            }
        },
    };

    if let (Some(report), Some(cp)) = (&chain, &checkpoint) {
        match report.check_head(cp.seq, &cp.hash) {
            Ok(()) => notes.push(format!(
                "chain: {} events ({} disclosed) lead to the signed head #{} {}",
                report.head_seq,
                report.disclosed.len(),
                cp.seq,
                to_hex(&cp.hash)
            )),
            Err(e) => failures.push(format!("{EVENTS_FILE}: {e}")),
        }
    }

    if let (Some(old), Some(report)) = (&since, &chain) {
        if checkpoint.as_ref().is_some_and(|cp| cp.store != old.store) {
            failures.push(format!(
                "--since: the old checkpoint is of store {}, the pack of another store",
                old.store
            ));
        } else {
            match report.extends(old.seq, &old.hash) {
                Ok(()) => notes.push(format!(
                    "since: the log extends the old checkpoint #{} {}",
                    old.seq,
                    to_hex(&old.hash)
                )),
                Err(e) => failures.push(format!("--since: {e}")),
            }
        }
    } else if since.is_some() {
        failures.push("--since: cannot be checked without a valid events.jsonl".into());
    }

    if let (Some(report), Some(cp)) = (&chain, &checkpoint) {
        let (records, unreadable) = disclosed_records(&report.disclosed);
        if unreadable.is_empty() {
            match check_derived(&pack, &records, cp.seq) {
                Ok(note) => notes.push(note),
                Err(list) => failures.extend(list),
            }
            match check_documents(&pack, &records, cp.seq) {
                Ok(note) => notes.push(note),
                Err(list) => failures.extend(list),
            }
        } else {
            failures.extend(unreadable);
        }
    }

    if failures.is_empty() {
        println!("verified: {}", a.path.display());
        for n in &notes {
            println!("  {n}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!("NOT verified: {}", a.path.display());
    for f in &failures {
        println!("  FAIL {f}");
    }
    Ok(ExitCode::from(1))
}

/// Reads the disclosed records; every one that is not a record of its seq
/// is a failure.
fn disclosed_records(disclosed: &[(u64, String)]) -> (Vec<Record>, Vec<String>) {
    let mut failures = Vec::new();
    let mut records = Vec::new();
    for (seq, text) in disclosed {
        match Record::from_bytes(text.as_bytes()) {
            Ok(r) if r.seq == *seq => records.push(r),
            Ok(r) => failures.push(format!(
                "{EVENTS_FILE}: the record on seq {seq} says it is event #{}",
                r.seq
            )),
            Err(e) => failures.push(format!("{EVENTS_FILE}: seq {seq}: not a record: {e}")),
        }
    }
    (records, failures)
}

/// Re-folds the disclosed records and holds the CSV files against them.
fn check_derived(pack: &Pack, records: &[Record], known: u64) -> Result<String, Vec<String>> {
    let mut failures = Vec::new();
    let Some(position) = pack.get(POSITION_FILE) else {
        failures.push(format!("{POSITION_FILE}: missing from the pack"));
        return Err(failures);
    };
    let position = String::from_utf8_lossy(position);
    let first = position.split("\r\n").nth(1).unwrap_or("");
    let mut fields = first.split(',');
    let as_of = fields.next().and_then(|d| d.parse::<Date>().ok());
    let pack_known = fields.next().and_then(|n| n.parse::<u64>().ok());
    let Some(as_of) = as_of else {
        failures.push(format!(
            "{POSITION_FILE}: the first row does not start with the as-of date"
        ));
        return Err(failures);
    };
    if pack_known != Some(known) {
        failures.push(format!(
            "{POSITION_FILE}: known_at_seq is not the signed checkpoint's seq {known}"
        ));
    }
    if !failures.is_empty() {
        return Err(failures);
    }
    let derived = match Derived::fold(records, as_of, known) {
        Ok(d) => d,
        Err(e) => return Err(vec![format!("{EVENTS_FILE}: {e:#}")]),
    };
    for (name, want) in [
        (POSITION_FILE, &derived.position_csv),
        (LICENSES_FILE, &derived.licenses_csv),
        (USAGE_FILE, &derived.usage_csv),
    ] {
        match pack.get(name) {
            None => failures.push(format!("{name}: missing from the pack")),
            Some(have) if have == want.as_bytes() => {}
            Some(_) => failures.push(format!(
                "{name}: is not what the disclosed events produce as of {as_of}, known at #{known}"
            )),
        }
    }
    if failures.is_empty() {
        Ok(format!(
            "position: {} rows as of {as_of} re-computed from the {} disclosed events",
            derived.position.len(),
            records.len()
        ))
    } else {
        Err(failures)
    }
}
