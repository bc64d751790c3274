//! The reference fold: the license state computed straight from the list of
//! records, with none of the incremental machinery. Slow and obvious; the
//! property tests hold the projections to it.

use std::collections::{BTreeMap, HashSet};

use jiff::civil::Date;

use crate::record::{Event, Record};
use crate::timeline::{counts, Change, LicenseTimeline, LicenseView, PaidCost, Status, Terms};
use crate::types::Quantity;

/// Every license visible on `as_of` as known at seq `known`, by id.
#[must_use]
pub fn state(records: &[Record], as_of: Date, known: u64) -> BTreeMap<String, (Status, Terms)> {
    let known_records: Vec<&Record> = records.iter().filter(|r| r.seq <= known).collect();
    let voided: HashSet<u64> = known_records
        .iter()
        .filter_map(|r| match &r.event {
            Event::Voided(v) => Some(v.voids),
            _ => None,
        })
        .collect();
    let live: Vec<&Record> = known_records
        .into_iter()
        .filter(|r| !voided.contains(&r.seq))
        .collect();
    let mut out = BTreeMap::new();
    for purchase in &live {
        let Event::Purchased(p) = &purchase.event else {
            continue;
        };
        if purchase.effective > as_of {
            continue;
        }
        let mut changes: Vec<&&Record> = live
            .iter()
            .filter(|r| {
                r.seq > purchase.seq
                    && r.effective <= as_of
                    && r.event.license_id() == Some(p.id.as_str())
            })
            .collect();
        changes.sort_by_key(|r| (r.effective, r.seq));
        let mut terms = Terms::from(p);
        let mut cancelled = false;
        for r in changes {
            match &r.event {
                Event::Extended(x) => {
                    terms.end = Some(x.until);
                    if let Some(q) = x.qty {
                        terms.quantity = q;
                    }
                    if x.renewal_months.is_some() {
                        terms.renewal_months = x.renewal_months;
                    }
                }
                Event::Adjusted(x) => terms.quantity = x.qty,
                Event::Cancelled(_) => cancelled = true,
                _ => {}
            }
        }
        let status = if cancelled {
            Status::Cancelled
        } else if as_of < terms.start {
            Status::Pending
        } else if terms.end.is_none_or(|e| as_of <= e) {
            Status::Active
        } else if let Some(e) =
            crate::timeline::assumed_renewal_end(&terms, terms.end.expect("has end"), as_of)
        {
            terms.end = Some(e);
            Status::RenewedAssumed
        } else {
            Status::Expired
        };
        out.insert(p.id.clone(), (status, terms));
    }
    out
}

/// The same shape from projection views, for comparison.
#[must_use]
pub fn from_views(views: &[LicenseView]) -> BTreeMap<String, (Status, Terms)> {
    views
        .iter()
        .map(|v| (v.id.clone(), (v.status, v.terms.clone())))
        .collect()
}

/// What the reference fold says of one host on a date: its facts, its
/// software (folded vendor and product → vendor, product, edition,
/// version as recorded) and the last date anything was observed of it.
pub type NaiveHost = (
    Option<crate::inventory::Facts>,
    BTreeMap<(String, String), (String, String, Option<String>, Option<String>)>,
    Option<Date>,
);

/// Every host of which anything counts on `as_of` as known at seq
/// `known`, by folded name, straight from the records.
#[must_use]
pub fn hosts(records: &[Record], as_of: Date, known: u64) -> BTreeMap<String, NaiveHost> {
    use crate::types::match_key;
    let voided: HashSet<u64> = records
        .iter()
        .filter(|r| r.seq <= known)
        .filter_map(|r| match &r.event {
            Event::Voided(v) => Some(v.voids),
            _ => None,
        })
        .collect();
    let mut live: Vec<&Record> = records
        .iter()
        .filter(|r| r.seq <= known && !voided.contains(&r.seq) && r.effective <= as_of)
        .collect();
    live.sort_by_key(|r| (r.effective, r.seq));
    let mut out: BTreeMap<String, NaiveHost> = BTreeMap::new();
    for r in live {
        let touched: Vec<&str> = match &r.event {
            Event::HostObserved(h) => vec![&h.host],
            Event::Installed(i) => vec![&i.host],
            Event::Uninstalled(u) => vec![&u.host],
            Event::HostsSeen(h) => h.hosts.iter().map(String::as_str).collect(),
            _ => continue,
        };
        for host in touched {
            let entry = out.entry(match_key(host)).or_default();
            entry.2 = Some(r.effective);
            match &r.event {
                Event::HostObserved(h) => entry.0 = Some(h.facts()),
                Event::Installed(i) => {
                    entry.1.insert(
                        (match_key(&i.vendor), match_key(&i.product)),
                        (
                            i.vendor.clone(),
                            i.product.clone(),
                            i.edition.clone(),
                            i.version.clone(),
                        ),
                    );
                }
                Event::Uninstalled(u) => {
                    entry
                        .1
                        .remove(&(match_key(&u.vendor), match_key(&u.product)));
                }
                _ => {}
            }
        }
    }
    out
}

/// The same shape from projection views, for comparison.
#[must_use]
pub fn from_host_views(
    views: &BTreeMap<String, crate::inventory::HostView>,
) -> BTreeMap<String, NaiveHost> {
    views
        .iter()
        .map(|(k, v)| {
            let software = v
                .software
                .iter()
                .map(|(key, i)| {
                    (
                        key.clone(),
                        (
                            i.vendor.clone(),
                            i.product.clone(),
                            i.edition.clone(),
                            i.version.clone(),
                        ),
                    )
                })
                .collect();
            (k.clone(), (v.facts.clone(), software, v.last_seen))
        })
        .collect()
}

/// The latest cost of a license, folded from its timeline entry by entry
/// up to `as_of` (as known at `known`): the reference for
/// [`LicenseView::paid`], which a view computes in its own pass. A
/// purchase pays for start..end; an extension for the day after the
/// previous end..its new end; a true-up for the increase, on the basis of
/// the period it falls in.
#[must_use]
pub fn latest_cost(t: &LicenseTimeline, as_of: Date, known: u64) -> Option<PaidCost> {
    let (purchase, terms) = t.purchase()?;
    if !counts(purchase.seq, purchase.voided_by, known) || purchase.effective > as_of {
        return None;
    }
    let mut applied: Vec<_> = t.entries[1..]
        .iter()
        .filter(|e| counts(e.seq, e.voided_by, known) && e.effective <= as_of)
        .collect();
    applied.sort_by_key(|e| (e.effective, e.seq));
    let mut quantity = terms.quantity;
    let mut end = terms.end;
    let mut period = (terms.start, terms.end);
    let mut last = terms.cost.clone().map(|m| PaidCost {
        money: m,
        quantity,
        period,
    });
    for e in applied {
        match &e.change {
            Change::Extended {
                until,
                quantity: q,
                cost,
                ..
            } => {
                let from = end.and_then(|d| d.tomorrow().ok()).unwrap_or(e.effective);
                end = Some(*until);
                period = (from, end);
                if let Some(q) = q {
                    quantity = *q;
                }
                if let Some(c) = cost {
                    last = Some(PaidCost {
                        money: c.clone(),
                        quantity,
                        period,
                    });
                }
            }
            Change::Adjusted { quantity: q, cost } => {
                let bought = match (quantity, *q) {
                    (Quantity::Count(old), Quantity::Count(new)) if new > old => {
                        Quantity::Count(new - old)
                    }
                    (_, new) => new,
                };
                quantity = *q;
                if let Some(c) = cost {
                    last = Some(PaidCost {
                        money: c.clone(),
                        quantity: bought,
                        period,
                    });
                }
            }
            _ => {}
        }
    }
    last
}
