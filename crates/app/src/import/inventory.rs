//! Installations from an inventory export (CSV, one row per host ×
//! product, English or German headers; or osquery's JSON, see
//! [`super::osquery`]): all or nothing, every bad row by its line (or
//! JSON path), the same file refused a second time by its BLAKE3.
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

use entitle_store::Store;

use super::osquery::{self, Licensed, OsqueryHost};
use super::sheet::{Cells, SheetFile, Source};
use super::{
    open_for_check, open_for_write, refuse_if_imported, refused, BadRow, BadRows, SheetOptions,
    Target,
};
use crate::error::{Error, Result};
use crate::progress::Progress;

/// `inventory import`: installations from a CSV or osquery JSON file.
#[derive(Debug, Clone, Default)]
pub struct InventoryImport {
    /// The CSV or osquery JSON file.
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
    /// osquery: programs that matched no licensed product, skipped.
    #[serde(default)]
    pub skipped: u64,
    /// osquery: the names of the skipped programs (the first 50, sorted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmatched: Vec<String>,
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

/// What a file states, read and checked before a store is opened.
struct Stated {
    /// The file as named, its BLAKE3 and the note every event carries.
    name: String,
    hash: String,
    note: String,
    /// Rows (CSV) or table rows (osquery) read.
    entries: u64,
    /// Each host by folded name: as written, its facts, its first line.
    hosts: BTreeMap<String, (String, Facts, u64)>,
    /// What runs on the hosts.
    software: Software,
    bad: BadRows,
}

/// What runs on the hosts: rows naming vendor and product (CSV), or
/// programs matched to the store's licensed products once it is open.
enum Software {
    Rows(Vec<Row>),
    Programs(Vec<OsqueryHost>),
}

/// Imports an inventory: every row checked first (a bad file opens no
/// store), then what changed recorded in one write, or nothing. A JSON
/// file is read as osquery's output (see [`super::osquery`]), anything
/// else as a CSV.
///
/// # Errors
///
/// For bad options, a file that cannot be read or has no rows, bad rows
/// (every one in the error's details), a host whose rows state different
/// facts, an osquery file without `system_info`, a file imported before
/// (kind conflict), or a store failure.
pub fn inventory(
    target: Target<'_>,
    ctx: &Context,
    req: &InventoryImport,
    progress: &dyn Progress,
) -> Result<InventoryImported> {
    let date = match req.date.as_deref() {
        Some(d) => crate::when::date("date", d)?,
        None => ctx.today,
    };
    let json = osquery::is_json(&req.file).unwrap_or(false);
    let stated = if json {
        read_osquery(req)?
    } else {
        read_csv(ctx, req, date, progress)?
    };
    record(target, ctx, req, date, stated, progress)
}

/// Reads a CSV: its rows, and each host's facts (the same on every row).
fn read_csv(
    ctx: &Context,
    req: &InventoryImport,
    date: jiff::civil::Date,
    progress: &dyn Progress,
) -> Result<Stated> {
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
    Ok(Stated {
        name: sheet.name().to_owned(),
        hash: sheet.hash().to_owned(),
        note,
        entries: count,
        hosts: facts,
        software: Software::Rows(rows),
        bad,
    })
}

/// Reads osquery's JSON: each host's facts and programs.
fn read_osquery(req: &InventoryImport) -> Result<Stated> {
    let source = Source::new(&req.file, &req.sheet)?;
    let file = osquery::read(&req.file, &source.name)?;
    let mut bad = BadRows::default();
    for b in file.bad {
        bad.push(b);
    }
    let mut hosts: BTreeMap<String, (String, Facts, u64)> = BTreeMap::new();
    let mut merged: Vec<OsqueryHost> = Vec::new();
    for h in file.hosts {
        let key = match_key(&h.name);
        if let Some((_, facts, _)) = hosts.get(&key) {
            if *facts != h.facts {
                bad.push(BadRow {
                    line: 0,
                    field: Some("system_info".into()),
                    value: Some(h.name.clone()),
                    message: format!(
                        "host {:?} appears twice with other facts (hosts are matched ignoring case); export each host once",
                        h.name
                    ),
                });
            }
            continue;
        }
        hosts.insert(key, (h.name.clone(), h.facts.clone(), 0));
        merged.push(h);
    }
    Ok(Stated {
        note: format!("import {} {}", source.file_name, source.marker()),
        name: source.name,
        hash: source.hash,
        entries: file.entries,
        hosts,
        software: Software::Programs(merged),
        bad,
    })
}

/// The licensed products of the store on the inventory's date.
fn licensed(store: &Store, date: jiff::civil::Date) -> Result<Vec<Licensed>> {
    let known = store.applied().head.seq;
    Ok(store
        .licenses_at(date, known)?
        .into_iter()
        .map(|l| Licensed {
            vendor: l.terms.vendor,
            product: l.terms.product,
        })
        .collect())
}

/// The rows of the software: as read (CSV), or the programs matched to
/// the licensed products (osquery), the unmatched ones noted.
fn software_rows(
    software: Software,
    hosts: &BTreeMap<String, (String, Facts, u64)>,
    licensed: &[Licensed],
    result: &mut InventoryImported,
) -> Vec<Row> {
    let programs = match software {
        Software::Rows(rows) => return rows,
        Software::Programs(p) => p,
    };
    let mut rows = Vec::new();
    let mut unmatched = BTreeSet::new();
    let catalog = osquery::Catalog::new(licensed);
    for h in programs {
        let facts = hosts[&match_key(&h.name)].1.clone();
        let mapped = catalog.map(&h.programs);
        result.skipped += mapped.unmatched.len() as u64;
        unmatched.extend(mapped.unmatched);
        for m in mapped.installed {
            rows.push(Row {
                line: 0,
                host: h.name.clone(),
                vendor: m.vendor,
                product: m.product,
                edition: m.edition,
                version: m.version,
                facts: facts.clone(),
            });
        }
    }
    result.unmatched = unmatched.into_iter().take(super::MAX_LISTED).collect();
    rows
}

/// Records what the file changes, or (dry run) says what it would.
fn record(
    mut target: Target<'_>,
    ctx: &Context,
    req: &InventoryImport,
    date: jiff::civil::Date,
    stated: Stated,
    progress: &dyn Progress,
) -> Result<InventoryImported> {
    let Stated {
        name,
        hash,
        note,
        entries,
        hosts,
        software,
        bad,
    } = stated;
    let mut result = InventoryImported {
        file: name.clone(),
        blake3: hash.clone(),
        rows: entries,
        hosts: hosts.len() as u64,
        installed: 0,
        uninstalled: 0,
        facts: 0,
        sightings: 0,
        skipped: 0,
        unmatched: Vec::new(),
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
                // No store yet: everything in the file would be new (and
                // no program matches a licensed product).
                let rows = software_rows(software, &hosts, &[], &mut result);
                let drafts = changes(&rows, &hosts, &BTreeMap::new(), req.snapshot, date, &note);
                tally(&mut result, &drafts);
                return Ok(result);
            }
        }
    } else {
        open_for_write(&mut target, &mut slot, progress)?
    };
    result.notices = store.notices().to_vec();
    refuse_if_imported(store, &name, &format!("blake3:{hash}"), req.sheet.again)?;
    let rows = software_rows(software, &hosts, &licensed(store, date)?, &mut result);
    let known = store.applied().head.seq;
    let now = store.hosts_at(date, known)?;
    let drafts = changes(&rows, &hosts, &now, req.snapshot, date, &note);
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
    for (key, (host, f, _)) in facts {
        let current = now.get(key);
        let host_rows = by_host.get(key).map(Vec::as_slice).unwrap_or_default();
        if host_rows.is_empty() && !(snapshot && current.is_some()) {
            // Runs nothing licensed and nothing was recorded to remove.
            continue;
        }
        let mut in_file = BTreeSet::new();
        for r in host_rows {
            let k = (match_key(&r.vendor), match_key(&r.product));
            in_file.insert(k.clone());
            let entry = seen
                .entry(k.0.clone())
                .or_insert_with(|| (r.vendor.clone(), Vec::new()));
            // Hosts come one after the other: this one is already listed
            // for the vendor only if it was the last added.
            if entry.1.last() != Some(host) {
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
