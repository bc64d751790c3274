//! Which events the vendor's auditor sees: its purchases and usage
//! counts, every event on its licenses, documents bound to it or to its
//! licenses, and the voids of those — decided record by record as the
//! chain is exported, the rest staying digests.

use std::collections::BTreeSet;

use entitle_core::types::match_key;
use entitle_core::{Event, Record};

/// Decides per record whether the vendor's auditor sees it.
pub(super) struct Disclosure<'a> {
    vendor: &'a str,
    licenses: BTreeSet<String>,
    /// Hosts (folded) that ran the vendor's software in a disclosed record.
    hosts: BTreeSet<String>,
    shown: BTreeSet<u64>,
    /// The disclosed records, in seq order.
    pub(super) records: Vec<Record>,
    /// The first record that could not be read.
    pub(super) error: Option<String>,
}

impl<'a> Disclosure<'a> {
    /// Discloses the vendor whose match key is `vendor`, with the facts of
    /// `hosts` (folded): the hosts its software is recorded on, found
    /// before the records stream past, since a host's facts may be
    /// recorded before its first installation of the vendor's software.
    pub(super) fn new(vendor: &'a str, hosts: BTreeSet<String>) -> Self {
        Disclosure {
            vendor,
            licenses: BTreeSet::new(),
            hosts,
            shown: BTreeSet::new(),
            records: Vec::new(),
            error: None,
        }
    }

    /// Whether the record `bytes` of `seq` is disclosed.
    pub(super) fn decide(&mut self, seq: u64, bytes: &[u8]) -> bool {
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
            // A document bound to a license is that license's vendor's,
            // whatever vendor name the record also carries (a log written
            // before the ledger checked that they agree may hold another).
            Event::DocumentAttached(d) => match &d.id {
                Some(id) => self.licenses.contains(id),
                None => d.vendor.as_deref().is_some_and(ours),
            },
            // Installations of the vendor's software, and the facts of the
            // hosts it ran on (before or after it was recorded there).
            Event::Installed(i) => {
                let mine = ours(&i.vendor);
                if mine {
                    self.hosts.insert(match_key(&i.host));
                }
                mine
            }
            Event::Uninstalled(u) => ours(&u.vendor),
            Event::HostsSeen(h) => ours(&h.vendor),
            Event::HostObserved(h) => self.hosts.contains(&match_key(&h.host)),
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

/// The vendor as the first disclosed purchase or usage count names it
/// (trimmed): what the reports call it.
pub(super) fn display_vendor(records: &[Record]) -> Option<String> {
    records.iter().find_map(|r| match &r.event {
        Event::Purchased(p) => Some(p.vendor.trim().to_owned()),
        Event::UsageRecorded(u) => Some(u.vendor.trim().to_owned()),
        _ => None,
    })
}
