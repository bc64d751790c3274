//! Inventory as osquery exports it: the hosts' facts from `system_info`
//! (and `os_version`, `cpu_info`), their software from `programs`
//! (Windows), `deb_packages` and `rpm_packages` (Linux) and the operating
//! system itself.
//!
//! Two shapes are read, told apart by their content:
//!
//! - **one host**: a JSON object whose keys are table names and whose
//!   values are what `osqueryi --json "select * from TABLE"` prints (an
//!   array of rows); a bad entry is named by its path,
//!   `system_info[0].cpu_physical_cores`;
//! - **many hosts**: osqueryd's results log (JSON Lines), each line a
//!   query's result with `name` (the query, ending in the table's name:
//!   `system_info`, `pack_inventory_programs`), `hostIdentifier`, and
//!   either `snapshot` (every row) or differential rows (`columns` with
//!   `action` `added`/`removed`, or `diffResults`), replayed in order per
//!   host; a bad entry is named by its line (and path in it). Lines of
//!   other queries are skipped.
//!
//! osquery writes every value as a string (`"8"`); numbers are accepted
//! too. Programs become installations by the store's licenses: see
//! [`map_programs`].

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use entitle_core::inventory::Facts;
use entitle_core::types::match_key;
use serde_json::{Map, Value};

use super::BadRow;
use crate::error::{Error, ErrorKind, Result};

/// The tables read, longest first (a query's name ends in one of them).
const TABLES: [&str; 6] = [
    "deb_packages",
    "rpm_packages",
    "system_info",
    "os_version",
    "cpu_info",
    "programs",
];

/// Where an entry is: a line of a results log and the path in it, or a
/// path in a document.
#[derive(Debug, Clone)]
pub(crate) struct At {
    line: u64,
    path: String,
}

impl At {
    fn child(&self, key: &str) -> At {
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        At {
            line: self.line,
            path,
        }
    }

    /// A bad entry here: in a document line 0 with the path as its field
    /// (`refused` names the path then); on a line of a results log the
    /// line, the message starting with the path.
    fn bad(&self, value: Option<String>, message: String) -> BadRow {
        let message = if self.line > 0 {
            format!("{}: {message}", self.path)
        } else {
            message
        };
        BadRow {
            line: self.line,
            field: Some(self.path.clone()),
            value,
            message,
        }
    }
}

/// One row of a table, where it was.
type TableRow = (At, Map<String, Value>);

/// What the file says about one host.
#[derive(Debug, Default)]
struct HostTables {
    /// `hostIdentifier` (results log) as first written.
    identifier: String,
    /// Its first line (results log).
    line: u64,
    /// Rows by table.
    tables: BTreeMap<&'static str, Vec<TableRow>>,
}

/// A program installed on a host.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    /// Its name (`Microsoft SQL Server 2019 (64-bit)`).
    pub(crate) name: String,
    /// Its version column.
    pub(crate) version: Option<String>,
    /// Publisher (`programs`), vendor (`rpm_packages`) or maintainer
    /// (`deb_packages`); none for the operating system.
    pub(crate) publisher: Option<String>,
}

/// A host as read: its name, facts and programs.
#[derive(Debug, Clone)]
pub(crate) struct OsqueryHost {
    /// `system_info.hostname`.
    pub(crate) name: String,
    /// Its facts.
    pub(crate) facts: Facts,
    /// Its programs, the operating system first.
    pub(crate) programs: Vec<Program>,
}

/// An osquery file, read: its hosts, how many table rows it had, and
/// what is wrong with it.
#[derive(Debug, Default)]
pub(crate) struct OsqueryFile {
    pub(crate) hosts: Vec<OsqueryHost>,
    pub(crate) entries: u64,
    pub(crate) bad: Vec<BadRow>,
}

/// Whether a file is JSON: its first character (after a byte-order mark
/// and white space) opens an object or an array. A CSV never does.
///
/// # Errors
///
/// When it cannot be read.
pub(crate) fn is_json(path: &Path) -> std::io::Result<bool> {
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)?
        .take(4096)
        .read_to_end(&mut head)?;
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head);
    Ok(matches!(
        text.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    ))
}

/// Reads an osquery file of either shape (see the module).
///
/// # Errors
///
/// When it cannot be read, is not JSON of either shape, or names no
/// host; bad entries are in the result.
pub(crate) fn read(path: &Path, name: &str) -> Result<OsqueryFile> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let is_log = serde_json::from_str::<Map<String, Value>>(first)
        .is_ok_and(|m| m.contains_key("hostIdentifier"));
    let mut file = OsqueryFile::default();
    let hosts = if is_log {
        results_log(text, &mut file)
    } else {
        document(text, name, &mut file)?
    };
    for h in hosts.into_values() {
        if let Some(host) = host(h, &mut file.bad) {
            file.hosts.push(host);
        }
    }
    if file.hosts.is_empty() && file.bad.is_empty() {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!("{name} holds no osquery results of system_info; nothing was recorded"),
        )
        .at("file")
        .hint("export system_info with the software tables (see the README's inventory section)"));
    }
    Ok(file)
}

/// Shape one: `{"system_info": [...], "programs": [...], ...}`.
fn document(
    text: &str,
    name: &str,
    file: &mut OsqueryFile,
) -> Result<BTreeMap<String, HostTables>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::BadInput,
            format!("{name} is not JSON osquery wrote (line {}, column {}: {e}); nothing was recorded", e.line(), e.column()),
        )
        .at("file")
        .hint("give an object of osqueryi --json results by table name, or osqueryd's results log (one JSON object a line)")
    })?;
    let Value::Object(doc) = doc else {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!(
                "{name} is a JSON array, not an object of osquery tables; nothing was recorded"
            ),
        )
        .at("file")
        .hint("name each result by its table: {\"system_info\": [...], \"programs\": [...]}"));
    };
    let mut one = HostTables::default();
    for (key, value) in doc {
        let Some(table) = table_of(&key) else {
            continue;
        };
        let at = At {
            line: 0,
            path: key.clone(),
        };
        file.entries += rows_of(&value, &at, &mut file.bad, |row| {
            one.tables.entry(table).or_default().push(row);
        });
    }
    Ok(BTreeMap::from([(String::new(), one)]))
}

/// The table a query's name stands for: the table's name or a name ending
/// in `_` and it (`pack_inventory_programs`).
fn table_of(query: &str) -> Option<&'static str> {
    TABLES.into_iter().find(|t| {
        query == *t
            || query
                .strip_suffix(t)
                .is_some_and(|rest| rest.ends_with('_'))
    })
}

/// Passes each row of a JSON array of objects on; counts them.
fn rows_of(value: &Value, at: &At, bad: &mut Vec<BadRow>, mut each: impl FnMut(TableRow)) -> u64 {
    let Value::Array(rows) = value else {
        bad.push(at.bad(None, "must be an array of rows".into()));
        return 0;
    };
    let mut n = 0;
    for (i, row) in rows.iter().enumerate() {
        let here = At {
            line: at.line,
            path: format!("{}[{i}]", at.path),
        };
        match row {
            Value::Object(m) => {
                n += 1;
                each((here, m.clone()));
            }
            _ => bad.push(here.bad(None, "must be an object of columns".into())),
        }
    }
    n
}

/// Shape two: osqueryd's results log, replayed per host.
fn results_log(text: &str, file: &mut OsqueryFile) -> BTreeMap<String, HostTables> {
    let mut hosts: BTreeMap<String, HostTables> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let at = At {
            line: n,
            path: String::new(),
        };
        let entry: Map<String, Value> = match serde_json::from_str(line) {
            Ok(m) => m,
            Err(e) => {
                file.bad.push(BadRow {
                    line: n,
                    field: None,
                    value: None,
                    message: format!("not a JSON object of osqueryd's results log: {e}"),
                });
                continue;
            }
        };
        let Some(table) = entry.get("name").and_then(Value::as_str).and_then(table_of) else {
            continue;
        };
        let Some(id) = entry
            .get("hostIdentifier")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
        else {
            file.bad.push(at.child("hostIdentifier").bad(
                None,
                "hostIdentifier is missing: every line of a results log names its host".into(),
            ));
            continue;
        };
        let host = hosts.entry(match_key(id)).or_insert_with(|| HostTables {
            identifier: id.to_owned(),
            line: n,
            tables: BTreeMap::new(),
        });
        file.entries += replay(&entry, table, &at, host, &mut file.bad);
    }
    hosts
}

/// Applies one line of a results log to its host's table: a snapshot
/// replaces the rows, an added row is added, a removed one removed.
fn replay(
    entry: &Map<String, Value>,
    table: &'static str,
    at: &At,
    host: &mut HostTables,
    bad: &mut Vec<BadRow>,
) -> u64 {
    let rows = host.tables.entry(table).or_default();
    if let Some(snapshot) = entry.get("snapshot") {
        let mut fresh = Vec::new();
        let n = rows_of(snapshot, &at.child("snapshot"), bad, |r| fresh.push(r));
        *rows = fresh;
        return n;
    }
    let mut changes: Vec<(&str, &Value, At)> = Vec::new();
    if let Some(columns) = entry.get("columns") {
        let action = entry
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or("added");
        changes.push((action, columns, at.child("columns")));
    }
    if let Some(Value::Object(diff)) = entry.get("diffResults") {
        for action in ["removed", "added"] {
            if let Some(Value::Array(list)) = diff.get(action) {
                for (i, r) in list.iter().enumerate() {
                    changes.push((action, r, at.child(&format!("diffResults.{action}[{i}]"))));
                }
            }
        }
    }
    let mut n = 0;
    for (action, columns, here) in changes {
        let Value::Object(columns) = columns else {
            bad.push(here.bad(None, "must be an object of columns".into()));
            continue;
        };
        n += 1;
        if action == "removed" {
            rows.retain(|(_, r)| r != columns);
        } else {
            rows.push((here, columns.clone()));
        }
    }
    n
}

/// A column as text: a string (trimmed) or a number; empty is none.
fn text(row: &TableRow, column: &str, bad: &mut Vec<BadRow>) -> Option<String> {
    match row.1.get(column) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            bad.push(row.0.child(column).bad(
                Some(other.to_string()),
                format!("{column} must be a string or a number"),
            ));
            None
        }
    }
}

/// A column as a count (osquery writes `"8"`).
fn count(row: &TableRow, column: &str, bad: &mut Vec<BadRow>) -> Option<u32> {
    let v = text(row, column, bad)?;
    match v.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            let at = row.0.child(column);
            bad.push(at.bad(
                Some(v.clone()),
                format!("{column} {v:?} is not a whole number of at least 1"),
            ));
            None
        }
    }
}

/// Words in `hardware_vendor` or `hardware_model` that mark a virtual
/// machine (VMware, Hyper-V, KVM/QEMU, Xen, VirtualBox, Parallels and the
/// big clouds' instances).
const VIRTUAL_HINTS: [&str; 14] = [
    "vmware",
    "virtualbox",
    "virtual machine",
    "hyper-v",
    "kvm",
    "qemu",
    "xen",
    "hvm domu",
    "bochs",
    "parallels",
    "amazon ec2",
    "google compute engine",
    "openstack",
    "standard pc (",
];

/// Whether `system_info` describes a virtual machine.
fn is_virtual(vendor: Option<&str>, model: Option<&str>) -> bool {
    let both = format!("{} {}", vendor.unwrap_or(""), model.unwrap_or("")).to_lowercase();
    VIRTUAL_HINTS.iter().any(|h| both.contains(h))
}

/// A host's name, facts and programs from its tables.
fn host(mut h: HostTables, bad: &mut Vec<BadRow>) -> Option<OsqueryHost> {
    let Some(info) = h
        .tables
        .remove("system_info")
        .and_then(|r| r.into_iter().next())
    else {
        let whose = if h.identifier.is_empty() {
            String::new()
        } else {
            format!(" for host {:?}", h.identifier)
        };
        bad.push(BadRow {
            line: h.line,
            field: Some("system_info".into()),
            value: None,
            message: format!("the file has no system_info{whose}: the host's name, CPUs and cores come from it; export select * from system_info beside the software tables"),
        });
        return None;
    };
    let Some(name) = text(&info, "hostname", bad)
        .or_else(|| (!h.identifier.is_empty()).then(|| h.identifier.clone()))
    else {
        bad.push(
            info.0
                .child("hostname")
                .bad(None, "hostname is missing: the host cannot be named".into()),
        );
        return None;
    };
    let os = h
        .tables
        .remove("os_version")
        .and_then(|r| r.into_iter().next());
    let facts = facts(
        &info,
        os.as_ref(),
        h.tables.get("cpu_info").map(Vec::len),
        &name,
        bad,
    )?;
    let mut programs = Vec::new();
    if let Some(os) = &os {
        if let Some(os_name) = text(os, "name", bad) {
            programs.push(Program {
                name: os_name,
                version: None,
                publisher: None,
            });
        }
    }
    for (table, publisher) in [
        ("programs", "publisher"),
        ("rpm_packages", "vendor"),
        ("deb_packages", "maintainer"),
    ] {
        for row in h.tables.get(table).map(Vec::as_slice).unwrap_or_default() {
            let Some(program) = text(row, "name", bad) else {
                bad.push(row.0.child("name").bad(
                    None,
                    "name is missing: a program without a name cannot be matched".into(),
                ));
                continue;
            };
            programs.push(Program {
                name: program,
                version: text(row, "version", bad),
                publisher: text(row, publisher, bad),
            });
        }
    }
    Some(OsqueryHost {
        name,
        facts,
        programs,
    })
}

/// The facts `system_info` and `os_version` state: a virtual machine its
/// logical cores as vCPUs; a physical host its sockets (`cpu_sockets`, or
/// the rows of `cpu_info`), physical cores and logical cores as threads.
fn facts(
    info: &TableRow,
    os: Option<&TableRow>,
    cpu_rows: Option<usize>,
    host: &str,
    bad: &mut Vec<BadRow>,
) -> Option<Facts> {
    let before = bad.len();
    let vm = is_virtual(
        text(info, "hardware_vendor", bad).as_deref(),
        text(info, "hardware_model", bad).as_deref(),
    );
    let cores = count(info, "cpu_physical_cores", bad);
    let logical = count(info, "cpu_logical_cores", bad);
    let sockets = count(info, "cpu_sockets", bad).or(cpu_rows
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n > 0));
    let facts = Facts {
        os: os.and_then(|r| text(r, "name", bad)),
        os_version: os.and_then(|r| text(r, "version", bad)),
        is_virtual: vm,
        physical_host: None,
        sockets: if vm { None } else { sockets },
        cores: if vm { None } else { cores },
        threads: if vm { None } else { logical },
        vcpus: if vm { logical.or(cores) } else { None },
        cpu: text(info, "cpu_brand", bad),
        core_factor: None,
    };
    if bad.len() > before {
        return None;
    }
    if let Err(e) = facts.check(host) {
        let e = Error::from(entitle_core::Rejection::from(e));
        let column = match e.field() {
            Some("sockets") => "cpu_sockets",
            Some("threads" | "vcpus") => "cpu_logical_cores",
            _ => "cpu_physical_cores",
        };
        bad.push(
            info.0
                .child(column)
                .bad(e.value().map(str::to_owned), e.to_string()),
        );
        return None;
    }
    Some(facts)
}

/// A licensed product of the store: vendor and product as written there.
#[derive(Debug, Clone)]
pub(crate) struct Licensed {
    pub(crate) vendor: String,
    pub(crate) product: String,
}

/// A program matched to a licensed product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Matched {
    pub(crate) vendor: String,
    pub(crate) product: String,
    pub(crate) edition: Option<String>,
    pub(crate) version: Option<String>,
}

/// Legal forms dropped from the end of a publisher's and a vendor's name
/// before they are compared.
const LEGAL_FORMS: [&str; 24] = [
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "llc",
    "llp",
    "gmbh",
    "ag",
    "se",
    "sa",
    "plc",
    "bv",
    "nv",
    "kg",
    "kgaa",
    "srl",
    "spa",
    "pty",
    "oy",
    "ab",
];

/// A name's words, case-folded, without an e-mail address in `<…>`, cut at
/// punctuation, legal forms dropped from its end.
fn company_words(name: &str) -> Vec<String> {
    let name = name.split('<').next().unwrap_or("");
    let mut words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric() && c != '&')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    while words.len() > 1
        && words
            .last()
            .is_some_and(|w| LEGAL_FORMS.contains(&w.as_str()) || w == "&")
    {
        words.pop();
    }
    words
}

/// The store's vendor a program is by: the longest vendor name whose
/// words begin the publisher's (legal forms dropped on both sides);
/// without a publisher, or one that begins with no known vendor, the
/// program's own name is tried the same way.
fn vendor_of<'l>(program: &Program, vendors: &[(Vec<String>, &'l str)]) -> Option<&'l str> {
    let by = |name: &str| {
        let words = company_words(name);
        vendors
            .iter()
            .filter(|(v, _)| !v.is_empty() && words.starts_with(v))
            .max_by_key(|(v, _)| v.len())
            .map(|(_, name)| *name)
    };
    program
        .publisher
        .as_deref()
        .and_then(by)
        .or_else(|| by(&program.name))
}

/// Words that may follow a product's name as its edition.
const EDITION_WORDS: [&str; 20] = [
    "standard",
    "enterprise",
    "datacenter",
    "express",
    "developer",
    "web",
    "workgroup",
    "evaluation",
    "essentials",
    "foundation",
    "professional",
    "pro",
    "business",
    "edition",
    "plus",
    "ultimate",
    "education",
    "ee",
    "se",
    "se2",
];

/// A release in a program's name: a word starting with a digit (`2019`,
/// `19c`, `10.0`) or a release or service pack mark (`R2`, `SP1`).
fn is_release(word: &str) -> bool {
    let lower = word.to_lowercase();
    word.starts_with(|c: char| c.is_ascii_digit())
        || ["r", "sp"].iter().any(|p| {
            lower
                .strip_prefix(p)
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        })
}

/// The program's name without parenthesised parts, as words (cut at
/// white space, `-` and `_`: package names are `oracle-database-ee-19c`).
fn name_words(name: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0u32;
    let mut start = None;
    for (i, c) in name.char_indices() {
        let boundary = c.is_whitespace() || matches!(c, '(' | ')' | '-' | '_');
        if boundary {
            if let Some(s) = start.take() {
                if depth == 0 {
                    out.push(&name[s..i]);
                }
            }
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let (Some(s), 0) = (start, depth) {
        out.push(&name[s..]);
    }
    out
}

/// Matches a program to a licensed product of its vendor (see
/// [`map_programs`]).
fn match_program(program: &Program, vendor: &str, products: &[&Licensed]) -> Option<Matched> {
    let words = name_words(&program.name);
    let folded: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let mut best: Option<(usize, Matched)> = None;
    for licensed in products {
        let want: Vec<String> = licensed
            .product
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        if want.is_empty()
            || best
                .as_ref()
                .is_some_and(|(len, _)| *len >= licensed.product.len())
        {
            continue;
        }
        let found = (0..=folded.len().saturating_sub(want.len())).find_map(|i| {
            (folded.len() >= want.len() && folded[i..i + want.len()] == want[..])
                .then(|| &words[i + want.len()..])
                .and_then(variant)
        });
        if let Some((edition, release)) = found {
            best = Some((
                licensed.product.len(),
                Matched {
                    vendor: vendor.to_owned(),
                    product: licensed.product.clone(),
                    edition,
                    version: release.or_else(|| program.version.clone()),
                },
            ));
        }
    }
    best.map(|(_, m)| m)
}

/// The edition and release the words after a product's name state; none
/// when any of them is neither (`Management Studio`, `Native Client`:
/// another program of the same name).
fn variant(rest: &[&str]) -> Option<(Option<String>, Option<String>)> {
    let mut edition = Vec::new();
    let mut release = Vec::new();
    for w in rest {
        if is_release(w) {
            release.push(*w);
        } else if EDITION_WORDS.contains(&w.to_lowercase().as_str()) {
            edition.push(*w);
        } else {
            return None;
        }
    }
    let join = |v: Vec<&str>| (!v.is_empty()).then(|| v.join(" "));
    Some((join(edition), join(release)))
}

/// Sorts versions as numbers where they are digits (`10.2` after `9.1`).
fn version_key(v: Option<&str>) -> Vec<(u64, String)> {
    let mut key = Vec::new();
    for part in v.unwrap_or("").split(|c: char| !c.is_alphanumeric()) {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        key.push((digits.parse().unwrap_or(0), part[digits.len()..].to_owned()));
    }
    key
}

/// What became of a host's programs.
#[derive(Debug, Default)]
pub(crate) struct Mapped {
    /// Installations, one per licensed product.
    pub(crate) installed: Vec<Matched>,
    /// Names of the programs that matched no licensed product.
    pub(crate) unmatched: Vec<String>,
}

/// The store's licensed products as the mapping reads them, built once
/// per import (not once per host).
///
/// The rule: a program is by the store's vendor whose name begins its
/// publisher (`Microsoft Corporation` → Microsoft, `Oracle America, Inc.`
/// → Oracle; legal forms and case ignored), or without one its own name
/// (the operating system: `Microsoft Windows Server 2022 Datacenter`). It
/// is that vendor's licensed product with the longest name found in the
/// program's name as whole words, case ignored, parenthesised parts left
/// out — provided every word after it is a release (`2019`, `19c`, `R2`:
/// the version; else the version column) or an edition word (`Standard`,
/// `Enterprise`, `Datacenter`, …: the edition). So `Microsoft SQL Server
/// 2019 (64-bit)` is SQL Server version 2019, while `SQL Server
/// Management Studio` is no SQL Server. Several programs of one product
/// on a host are one installation, of the highest version.
pub(crate) struct Catalog<'l> {
    /// Each licensed vendor once (as first listed): its company words and
    /// its name.
    vendors: Vec<(Vec<String>, &'l str)>,
    /// Its products, by folded vendor name.
    products_of: BTreeMap<String, Vec<&'l Licensed>>,
}

impl<'l> Catalog<'l> {
    pub(crate) fn new(licensed: &'l [Licensed]) -> Self {
        let mut catalog = Catalog {
            vendors: Vec::new(),
            products_of: BTreeMap::new(),
        };
        for l in licensed {
            let products = catalog.products_of.entry(match_key(&l.vendor)).or_default();
            if products.is_empty() {
                catalog.vendors.push((company_words(&l.vendor), &l.vendor));
            }
            products.push(l);
        }
        catalog
    }

    /// Maps a host's programs to the licensed products.
    pub(crate) fn map(&self, programs: &[Program]) -> Mapped {
        let mut out = Mapped::default();
        let mut by_product: BTreeMap<(String, String), Matched> = BTreeMap::new();
        for p in programs {
            let matched = vendor_of(p, &self.vendors).and_then(|vendor| {
                let products = self.products_of.get(&match_key(vendor))?;
                match_program(p, vendor, products)
            });
            let Some(m) = matched else {
                out.unmatched.push(p.name.clone());
                continue;
            };
            let key = (match_key(&m.vendor), match_key(&m.product));
            let newer = by_product.get(&key).is_none_or(|old| {
                version_key(old.version.as_deref()) < version_key(m.version.as_deref())
            });
            if newer {
                by_product.insert(key, m);
            }
        }
        out.installed = by_product.into_values().collect();
        out
    }
}

/// Maps a host's programs to the store's licensed products (see
/// [`Catalog`] for the rule).
#[cfg(test)]
fn map_programs(programs: &[Program], licensed: &[Licensed]) -> Mapped {
    Catalog::new(licensed).map(programs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn licensed(list: &[(&str, &str)]) -> Vec<Licensed> {
        list.iter()
            .map(|(v, p)| Licensed {
                vendor: (*v).into(),
                product: (*p).into(),
            })
            .collect()
    }

    fn program(name: &str, version: Option<&str>, publisher: Option<&str>) -> Program {
        Program {
            name: name.into(),
            version: version.map(Into::into),
            publisher: publisher.map(Into::into),
        }
    }

    #[test]
    fn publishers_and_names_map_to_the_stores_vendors_and_products() {
        let l = licensed(&[
            ("Microsoft", "SQL Server"),
            ("Microsoft", "Windows Server"),
            ("Oracle", "Database"),
            ("Oracle", "Database Enterprise Edition"),
        ]);
        let m = map_programs(
            &[
                program(
                    "Microsoft SQL Server 2019 (64-bit)",
                    Some("15.0.2000.5"),
                    Some("Microsoft Corporation"),
                ),
                program(
                    "SQL Server Management Studio",
                    Some("19.1"),
                    Some("Microsoft Corporation"),
                ),
                program(
                    "Microsoft SQL Server 2019 Setup (English)",
                    None,
                    Some("Microsoft Corporation"),
                ),
                program("Microsoft Windows Server 2012 R2 Datacenter", None, None),
                program(
                    "Oracle Database Enterprise Edition 19c",
                    Some("19.3"),
                    Some("Oracle America, Inc."),
                ),
                program("7-Zip 19.00 (x64)", Some("19.00"), Some("Igor Pavlov")),
            ],
            &l,
        );
        let got: Vec<(&str, &str, Option<&str>, Option<&str>)> = m
            .installed
            .iter()
            .map(|i| {
                (
                    i.vendor.as_str(),
                    i.product.as_str(),
                    i.edition.as_deref(),
                    i.version.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Microsoft", "SQL Server", None, Some("2019")),
                (
                    "Microsoft",
                    "Windows Server",
                    Some("Datacenter"),
                    Some("2012 R2")
                ),
                ("Oracle", "Database Enterprise Edition", None, Some("19c")),
            ]
        );
        assert_eq!(
            m.unmatched,
            [
                "SQL Server Management Studio",
                "Microsoft SQL Server 2019 Setup (English)",
                "7-Zip 19.00 (x64)"
            ]
        );
    }

    #[test]
    fn the_highest_version_of_a_product_on_a_host_is_kept() {
        let l = licensed(&[("Microsoft", "SQL Server")]);
        let m = map_programs(
            &[
                program(
                    "Microsoft SQL Server 2017 (64-bit)",
                    None,
                    Some("Microsoft Corporation"),
                ),
                program(
                    "Microsoft SQL Server 2019 (64-bit)",
                    None,
                    Some("Microsoft Corporation"),
                ),
                program(
                    "Microsoft SQL Server 2016 (64-bit)",
                    None,
                    Some("Microsoft Corporation"),
                ),
            ],
            &l,
        );
        assert_eq!(m.installed.len(), 1);
        assert_eq!(m.installed[0].version.as_deref(), Some("2019"));
    }

    #[test]
    fn legal_forms_and_mail_addresses_leave_the_company() {
        assert_eq!(company_words("Oracle America, Inc."), ["oracle", "america"]);
        assert_eq!(company_words("SAP SE"), ["sap"]);
        assert_eq!(
            company_words("Ubuntu Developers <ubuntu-devel@lists.ubuntu.com>"),
            ["ubuntu", "developers"]
        );
        assert_eq!(
            table_of("pack_inventory_deb_packages"),
            Some("deb_packages")
        );
        assert_eq!(table_of("mydeb_packages"), None);
        assert_eq!(
            name_words("Microsoft SQL Server 2019 (64-bit) x"),
            ["Microsoft", "SQL", "Server", "2019", "x"]
        );
        assert_eq!(
            name_words("oracle-database-ee-19c"),
            ["oracle", "database", "ee", "19c"]
        );
    }
}
