//! The inventory on a date: the hosts, their facts and the software on
//! them, as known at a moment — and which editions and versions of each
//! product are in use.

use std::collections::BTreeMap;

use entitle_core::inventory::{Facts, HostView};
use entitle_core::position::vendor_matches;
use entitle_core::types::match_key;
use entitle_store::Store;
use serde::{Deserialize, Serialize};

use super::Query;
use crate::error::Result;
use crate::scope::Scope;

/// What to ask: the times, a vendor, a host.
#[derive(Debug, Clone, Default)]
pub struct InventoryRequest {
    /// The times and the vendor.
    pub query: Query,
    /// Only this host (any case).
    pub host: Option<String>,
}

/// The inventory. Its JSON is `inventory --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inventory {
    /// The business date.
    pub as_of: String,
    /// The seq the answer is known at.
    pub known_at_seq: u64,
    /// The hosts, by name.
    pub hosts: Vec<HostInventory>,
    /// Per product, each edition and version in use and on how many
    /// hosts.
    pub in_use: Vec<InUse>,
}

/// One host on the date.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostInventory {
    /// The host as first recorded.
    pub host: String,
    /// Its facts in a few words (`physical, 2 × 6 cores, 24 threads`).
    pub summary: Option<String>,
    /// The facts in force.
    pub facts: Option<Facts>,
    /// The date of the facts in force.
    pub facts_date: Option<String>,
    /// The latest date anything shown of the host was observed.
    pub last_seen: Option<String>,
    /// What runs on it, by vendor and product.
    pub software: Vec<Software>,
}

/// A product installed on a host.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Software {
    /// Vendor as recorded.
    pub vendor: String,
    /// Product as recorded.
    pub product: String,
    /// Edition.
    pub edition: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// The effective date of the installation in force.
    pub since: String,
    /// Its event.
    pub seq: u64,
}

/// One edition and version of a product in use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InUse {
    /// Vendor as recorded.
    pub vendor: String,
    /// Product as recorded.
    pub product: String,
    /// Edition.
    pub edition: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// On how many hosts.
    pub hosts: u64,
}

impl Inventory {
    /// The CSV columns (`--format csv`): one row per host and product.
    pub const CSV_COLUMNS: &'static [&'static str] = &[
        "host",
        "vendor",
        "product",
        "edition",
        "version",
        "since",
        "seq",
        "os",
        "os_version",
        "virtual",
        "physical_host",
        "sockets",
        "cores",
        "threads",
        "vcpus",
        "cpu",
    ];

    /// The CSV rows, keyed by [`Inventory::CSV_COLUMNS`]: one per host and
    /// product (a host without visible software, one row with its facts).
    #[must_use]
    pub fn csv_rows(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for h in &self.hosts {
            let f = h.facts.as_ref();
            let facts = serde_json::json!({
                "host": h.host,
                "os": f.and_then(|f| f.os.clone()),
                "os_version": f.and_then(|f| f.os_version.clone()),
                "virtual": f.map(|f| f.is_virtual),
                "physical_host": f.and_then(|f| f.physical_host.clone()),
                "sockets": f.and_then(|f| f.sockets),
                "cores": f.and_then(|f| f.cores),
                "threads": f.and_then(|f| f.threads),
                "vcpus": f.and_then(|f| f.vcpus),
                "cpu": f.and_then(|f| f.cpu.clone()),
            });
            if h.software.is_empty() {
                out.push(facts.clone());
            }
            for s in &h.software {
                let mut row = facts.clone();
                for (k, v) in [
                    ("vendor", serde_json::json!(s.vendor)),
                    ("product", serde_json::json!(s.product)),
                    ("edition", serde_json::json!(s.edition)),
                    ("version", serde_json::json!(s.version)),
                    ("since", serde_json::json!(s.since)),
                    ("seq", serde_json::json!(s.seq)),
                ] {
                    row[k] = v;
                }
                out.push(row);
            }
        }
        out
    }
}

/// The hosts on the date as known at the moment, in the reader's scope: a
/// host shows when software (or a sighting) of a vendor the reader sees
/// is recorded on it, with that vendor's software only; its facts show
/// with it (an audit pack discloses them the same way).
///
/// # Errors
///
/// A malformed date or moment, a seq beyond the log, unreadable derived
/// state; a host asked for that is not (or not visibly) there is
/// `NotFound`.
pub fn inventory(store: &Store, scope: &Scope, req: &InventoryRequest) -> Result<Inventory> {
    let (as_of, known) = req.query.resolve(store)?;
    let vendor = req.query.vendor.as_deref();
    // One host is read alone; all of them, in name order.
    let views: Vec<HostView> = match &req.host {
        Some(name) => store
            .host_timeline(name)?
            .and_then(|t| t.view(as_of, known))
            .into_iter()
            .collect(),
        None => store.hosts_at(as_of, known)?.into_values().collect(),
    };
    let hosts: Vec<HostInventory> = views
        .iter()
        .filter_map(|view| shown(view, scope, vendor))
        .collect();
    if let (Some(name), true) = (&req.host, hosts.is_empty()) {
        return Err(crate::Error::invalid(
            "host",
            name.as_str(),
            format!("has nothing recorded on {as_of} as known at #{known}"),
        )
        .kind_of(crate::ErrorKind::NotFound)
        .hint("entitle inventory lists the hosts"));
    }
    let mut in_use: BTreeMap<(String, String, Option<String>, Option<String>), InUse> =
        BTreeMap::new();
    for s in hosts.iter().flat_map(|h| &h.software) {
        in_use
            .entry((
                match_key(&s.vendor),
                match_key(&s.product),
                s.edition.clone(),
                s.version.clone(),
            ))
            .or_insert_with(|| InUse {
                vendor: s.vendor.clone(),
                product: s.product.clone(),
                edition: s.edition.clone(),
                version: s.version.clone(),
                hosts: 0,
            })
            .hosts += 1;
    }
    Ok(Inventory {
        as_of: as_of.to_string(),
        known_at_seq: known,
        hosts,
        in_use: in_use.into_values().collect(),
    })
}

/// A host as the reader may see it, or `None` when nothing of it is theirs
/// (or of the vendor asked for).
fn shown(view: &HostView, scope: &Scope, vendor: Option<&str>) -> Option<HostInventory> {
    // (Vendors compare folded, so a folded key compares as the name.)
    let visible = |v: &str| scope.sees_vendor(v) && vendor_matches(vendor, v);
    let software: Vec<Software> = view
        .software
        .values()
        .filter(|s| visible(&s.vendor))
        .map(|s| Software {
            vendor: s.vendor.clone(),
            product: s.product.clone(),
            edition: s.edition.clone(),
            version: s.version.clone(),
            since: s.since.to_string(),
            seq: s.seq,
        })
        .collect();
    // A sighting (hosts_seen) or a removal of a visible vendor's software
    // keeps the host in view with nothing installed.
    let seen_by = view.vendor_seen.keys().any(|folded| visible(folded));
    let everything = scope.is_all() && vendor.is_none();
    if software.is_empty() && !seen_by && !everything {
        return None;
    }
    let last_seen = if everything {
        view.last_seen
    } else {
        view.vendor_seen
            .iter()
            .filter(|(folded, _)| visible(folded))
            .map(|(_, (date, _))| *date)
            .chain(view.facts_since.map(|(d, _)| d))
            .max()
    };
    Some(HostInventory {
        host: view.name.clone(),
        summary: view.facts.as_ref().map(Facts::describe),
        facts: view.facts.clone(),
        facts_date: view.facts_since.map(|(d, _)| d.to_string()),
        last_seen: last_seen.map(|d| d.to_string()),
        software,
    })
}
