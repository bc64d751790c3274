//! Installations from an inventory export (CSV, one row per host ×
//! product; English or German headers): all or nothing, every bad row by
//! its line, the same file refused a second time by its BLAKE3.
//!
//! An import records only what changed on a host since the records as
//! they stand (a product new on it or with another edition or version,
//! other facts, and with `--snapshot` the products of a host in the file
//! that the file no longer lists), plus one `hosts_seen` per vendor naming
//! the hosts the file covers that run that vendor's software. A nightly
//! export therefore adds a few small records, not every row again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use entitle_core::inventory::Facts;
use entitle_core::ledger::{Context, Draft};
use entitle_core::record::{Event, HostObserved, HostsSeen, Installed, Uninstalled};
use entitle_core::types::match_key;
use entitle_sheet::{Column, Schema};
use serde::{Deserialize, Serialize};

use super::sheet::{Cells, SheetFile};
use super::{
    open_for_check, open_for_write, refuse_if_imported, refused, BadRow, SheetOptions, Target,
};
use crate::error::{Error, Result};
use crate::progress::Progress;

/// `inventory import`: installations from a CSV file.
#[derive(Debug, Clone, Default)]
pub struct InventoryImport {
    /// The CSV file.
    pub file: PathBuf,
    /// The date the inventory was taken (`YYYY-MM-DD`); none for today.
    pub date: Option<String>,
    /// The file lists everything installed on its hosts: products of
    /// those hosts it does not list are recorded as removed.
    pub snapshot: bool,
    /// How to read it.
    pub sheet: SheetOptions,
    /// Check only: record nothing.
    pub dry_run: bool,
}

/// What an inventory import recorded, or would record. Its JSON is
/// `inventory import --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InventoryImported {
    /// The file as named.
    pub file: String,
    /// BLAKE3 of its bytes.
    pub blake3: String,
    /// Rows read.
    pub rows: u64,
    /// Hosts in the file.
    pub hosts: u64,
    /// Installations recorded (new, or another edition or version).
    pub installed: u64,
    /// Installations recorded as removed (`--snapshot`).
    pub uninstalled: u64,
    /// Hosts whose facts were recorded (new or changed).
    pub facts: u64,
    /// `hosts_seen` records (one per vendor).
    pub sightings: u64,
    /// Whether nothing was recorded on purpose.
    pub dry_run: bool,
    /// A dry run: the bad rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bad_rows: Vec<BadRow>,
    /// How many rows are bad.
    #[serde(skip)]
    pub bad_total: u64,
    /// The first event written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seq: Option<u64>,
    /// The last event written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seq: Option<u64>,
    /// What opening the store reported.
    #[serde(skip)]
    pub notices: Vec<String>,
}

impl InventoryImported {
    /// The error a dry run with bad rows stands for.
    #[must_use]
    pub fn refusal(&self) -> Option<Error> {
        (self.bad_total > 0).then(|| refused(&self.file, &self.bad_rows, self.bad_total, "row"))
    }
}

fn schema() -> Schema {
    Schema::new([
        Column::required("host")
            .alias("hostname")
            .alias("Rechner")
            .alias("Computer"),
        Column::required("vendor").alias("Hersteller"),
        Column::required("product").alias("Produkt"),
        Column::optional("edition"),
        Column::optional("version"),
        Column::optional("os").alias("Betriebssystem"),
        Column::optional("os_version").alias("Betriebssystemversion"),
        Column::optional("virtual").alias("Virtuell"),
        Column::optional("physical_host").alias("Physischer Host"),
        Column::optional("sockets").alias("Sockel"),
        Column::optional("cores").alias("Kerne"),
        Column::optional("threads"),
        Column::optional("vcpus"),
        Column::optional("cpu").alias("Prozessor"),
        Column::optional("core_factor").alias("Kernfaktor"),
    ])
}

/// One row, read.
#[derive(Debug, Clone)]
struct Row {
    line: u64,
    host: String,
    vendor: String,
    product: String,
    edition: Option<String>,
    version: Option<String>,
    facts: Facts,
}

fn number(cells: &Cells<'_>, column: &str, bad: &mut Vec<BadRow>) -> Option<u32> {
    let v = cells.count(column)?;
    match v.trim().parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            bad.push(cells.bad(
                column,
                &v,
                format!("{column} {v:?} is not a whole number of at least 1"),
            ));
            None
        }
    }
}

fn read_row(cells: &Cells<'_>, bad: &mut Vec<BadRow>) -> Option<Row> {
    let host = cells.text("host", bad);
    let vendor = cells.text("vendor", bad);
    let product = cells.text("product", bad);
    let is_virtual = cells.boolean("virtual", bad).unwrap_or(false);
    let core_factor = match cells.amount("core_factor") {
        None => None,
        Some(v) => match v.parse::<rust_decimal::Decimal>() {
            Ok(d) => Some(d),
            Err(_) => {
                bad.push(cells.bad(
                    "core_factor",
                    &v,
                    format!("core_factor {v:?} is not a decimal number (0.5)"),
                ));
                None
            }
        },
    };
    let facts = Facts {
        os: cells.optional("os"),
        os_version: cells.optional("os_version"),
        is_virtual,
        physical_host: cells.optional("physical_host"),
        sockets: number(cells, "sockets", bad),
        cores: number(cells, "cores", bad),
        threads: number(cells, "threads", bad),
        vcpus: number(cells, "vcpus", bad),
        cpu: cells.optional("cpu"),
        core_factor,
    };
    let (host, vendor, product) = (host?, vendor?, product?);
    if let Err(e) = facts.check(&host) {
        bad.push(BadRow::from_error(
            cells.line(),
            &Error::from(entitle_core::Rejection::from(e)),
        ));
        return None;
    }
    Some(Row {
        line: cells.line(),
        host,
        vendor,
        product,
        edition: cells.optional("edition"),
        version: cells.optional("version"),
        facts,
    })
}

fn draft(event: Event, date: jiff::civil::Date, note: &str) -> Draft {
    Draft {
        event,
        effective: Some(date),
        note: Some(note.to_owned()),
    }
}

/// Imports an inventory: every row checked first (a bad file opens no
/// store), then what changed recorded in one write, or nothing.
///
/// # Errors
///
/// For bad options, a file that cannot be read or has no rows, bad rows
/// (every one in the error's details), a host whose rows state different
/// facts, a file imported before (kind conflict), or a store failure.
pub fn inventory(
    target: Target<'_>,
    ctx: &Context,
    req: &InventoryImport,
    progress: &dyn Progress,
) -> Result<InventoryImported> {
    let mut target = target;
    let date = match req.date.as_deref() {
        Some(d) => crate::when::date("date", d)?,
        None => ctx.today,
    };
    let sheet = SheetFile::new(&req.file, schema(), &req.sheet)?;
    let note = format!("import {} {}", sheet.file_name(), sheet.marker());
    let mut rows: Vec<Row> = Vec::new();
    let mut to_draft = |cells: &Cells<'_>, bad: &mut Vec<BadRow>| {
        let row = read_row(cells, bad)?;
        let d = draft(
            Event::Installed(Installed {
                host: row.host.clone(),
                vendor: row.vendor.clone(),
                product: row.product.clone(),
                edition: row.edition.clone(),
                version: row.version.clone(),
            }),
            date,
            &note,
        );
        rows.push(row);
        Some(d)
    };
    let (count, mut bad) = sheet.check(ctx, &mut to_draft, progress, |_, _| {})?;
    // One host, one set of facts: rows of a host (any case) must agree.
    let mut facts: BTreeMap<String, (String, Facts, u64)> = BTreeMap::new();
    let mut listed: BTreeSet<(String, String, String)> = BTreeSet::new();
    for r in &rows {
        let key = match_key(&r.host);
        match facts.get(&key) {
            Some((_, f, first)) if *f != r.facts => bad.push(BadRow {
                line: r.line,
                field: Some("host".into()),
                value: Some(r.host.clone()),
                message: format!(
                    "host {:?} has other facts than on line {first} (hosts are matched ignoring case); give each host the same facts on every row",
                    r.host
                ),
            }),
            Some(_) => {}
            None => {
                facts.insert(key.clone(), (r.host.clone(), r.facts.clone(), r.line));
            }
        }
        if !listed.insert((key, match_key(&r.vendor), match_key(&r.product))) {
            bad.push(BadRow {
                line: r.line,
                field: Some("product".into()),
                value: Some(r.product.clone()),
                message: format!(
                    "{} / {} is listed twice for host {:?}",
                    r.vendor, r.product, r.host
                ),
            });
        }
    }
    let name = sheet.name().to_owned();
    let mut result = InventoryImported {
        file: name.clone(),
        blake3: sheet.hash().to_owned(),
        rows: count,
        hosts: facts.len() as u64,
        installed: 0,
        uninstalled: 0,
        facts: 0,
        sightings: 0,
        dry_run: req.dry_run,
        bad_rows: Vec::new(),
        bad_total: 0,
        first_seq: None,
        last_seq: None,
        notices: Vec::new(),
    };
    if !bad.is_empty() {
        if req.dry_run {
            result.bad_total = bad.total;
            result.bad_rows = bad.listed;
            return Ok(result);
        }
        return Err(refused(&name, &bad.listed, bad.total, "row"));
    }
    let mut slot = None;
    let store = if req.dry_run {
        match open_for_check(&mut target, &mut slot, progress)? {
            Some(s) => s,
            None => {
                // No store yet: everything in the file would be new.
                let drafts = changes(&rows, &facts, &BTreeMap::new(), req.snapshot, date, &note);
                tally(&mut result, &drafts);
                return Ok(result);
            }
        }
    } else {
        open_for_write(&mut target, &mut slot, progress)?
    };
    result.notices = store.notices().to_vec();
    refuse_if_imported(store, &name, &sheet.marker(), req.sheet.again)?;
    let known = store.applied().head.seq;
    let now = store.hosts_at(date, known)?;
    let drafts = changes(&rows, &facts, &now, req.snapshot, date, &note);
    tally(&mut result, &drafts);
    if req.dry_run {
        store.check(drafts, ctx).map_err(Error::from)?;
        return Ok(result);
    }
    let appended = store.append(drafts, ctx).map_err(Error::from)?;
    result.first_seq = appended.first().map(|a| a.seq);
    result.last_seq = appended.last().map(|a| a.seq);
    Ok(result)
}

fn tally(result: &mut InventoryImported, drafts: &[Draft]) {
    for d in drafts {
        match d.event {
            Event::Installed(_) => result.installed += 1,
            Event::Uninstalled(_) => result.uninstalled += 1,
            Event::HostObserved(_) => result.facts += 1,
            Event::HostsSeen(_) => result.sightings += 1,
            _ => {}
        }
    }
}

/// What the file changes against the hosts as they stand on its date:
/// per host its software first (new or changed, then removed), then its
/// facts when they differ; last one sighting per vendor.
fn changes(
    rows: &[Row],
    facts: &BTreeMap<String, (String, Facts, u64)>,
    now: &BTreeMap<String, entitle_core::inventory::HostView>,
    snapshot: bool,
    date: jiff::civil::Date,
    note: &str,
) -> Vec<Draft> {
    let mut out = Vec::new();
    let mut by_host: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        by_host.entry(match_key(&r.host)).or_default().push(r);
    }
    // vendor (folded) → (vendor as written, hosts as written)
    let mut seen: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for (key, host_rows) in &by_host {
        let current = now.get(key);
        let host = &facts[key].0;
        let mut in_file = BTreeSet::new();
        for r in host_rows {
            let k = (match_key(&r.vendor), match_key(&r.product));
            in_file.insert(k.clone());
            let entry = seen
                .entry(k.0.clone())
                .or_insert_with(|| (r.vendor.clone(), Vec::new()));
            if !entry.1.iter().any(|h| match_key(h) == *key) {
                entry.1.push(host.clone());
            }
            let same = current
                .and_then(|v| v.software.get(&k))
                .is_some_and(|i| i.edition == r.edition && i.version == r.version);
            if !same {
                out.push(draft(
                    Event::Installed(Installed {
                        host: host.clone(),
                        vendor: r.vendor.clone(),
                        product: r.product.clone(),
                        edition: r.edition.clone(),
                        version: r.version.clone(),
                    }),
                    date,
                    note,
                ));
            }
        }
        if snapshot {
            if let Some(v) = current {
                for (k, i) in &v.software {
                    if !in_file.contains(k) {
                        out.push(draft(
                            Event::Uninstalled(Uninstalled {
                                host: host.clone(),
                                vendor: i.vendor.clone(),
                                product: i.product.clone(),
                            }),
                            date,
                            note,
                        ));
                    }
                }
            }
        }
        let f = &facts[key].1;
        if current.and_then(|v| v.facts.as_ref()) != Some(f) {
            out.push(draft(
                Event::HostObserved(HostObserved {
                    host: host.clone(),
                    os: f.os.clone(),
                    os_version: f.os_version.clone(),
                    is_virtual: f.is_virtual,
                    physical_host: f.physical_host.clone(),
                    sockets: f.sockets,
                    cores: f.cores,
                    threads: f.threads,
                    vcpus: f.vcpus,
                    cpu: f.cpu.clone(),
                    core_factor: f.core_factor,
                }),
                date,
                note,
            ));
        }
    }
    for (_, (vendor, hosts)) in seen {
        out.push(draft(
            Event::HostsSeen(HostsSeen { vendor, hosts }),
            date,
            note,
        ));
    }
    out
}
