//! A license's history on both time axes, voids marked.

use entitle_core::{Event, Record};
use entitle_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::scope::Scope;

/// A license's events. Its JSON is `history --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct History {
    /// The license id.
    pub id: String,
    /// Every event that touched it, in seq order.
    pub events: Vec<HistoryEvent>,
}

/// One event of a history (stable field names).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// Its seq.
    pub seq: u64,
    /// Its type.
    #[serde(rename = "type", deserialize_with = "crate::wire::static_str")]
    pub event_type: crate::wire::Static,
    /// Transaction time.
    pub recorded_at: String,
    /// Valid time.
    pub effective: String,
    /// Who recorded it.
    pub actor: String,
    /// Why.
    pub note: Option<String>,
    /// The void that cancelled it.
    pub voided_by: Option<u64>,
    /// The void's reason.
    pub void_note: Option<String>,
    /// The record as stored.
    pub record: Value,
    /// The event in a few words (`Microsoft / Microsoft 365 E3, 200 user,
    /// 2024-01-01 .. 2024-12-31, 45600.00 EUR`).
    #[serde(skip)]
    pub summary: String,
}

/// The history of a license: every event that touched it, with the void
/// that cancelled each, if any.
///
/// # Errors
///
/// When no license in `scope` has the id (kind not found, field
/// `license`: a license of a vendor out of scope answers as an unknown
/// id, word for word), or the store fails.
pub fn history(store: &Store, scope: &Scope, id: &str) -> Result<History> {
    let timeline = match store.timeline(id.trim())? {
        Some(t) if scope.sees_timeline(&t) => t,
        _ => {
            return Err(Error::not_found(format!("unknown license id {id:?}"))
                .at("license")
                .hint_to(crate::Action::ListLicenses, "{action} shows every id"))
        }
    };
    let events = timeline
        .entries
        .iter()
        .map(|entry| event(store, entry.seq, entry.voided_by))
        .collect::<Result<_>>()?;
    Ok(History {
        id: timeline.id,
        events,
    })
}

/// Event `seq` as a history shows it, with the void `voided_by`.
fn event(store: &Store, seq: u64, voided_by: Option<u64>) -> Result<HistoryEvent> {
    let r = store.record(seq)?;
    let void = match voided_by {
        Some(v) => Some(store.record(v)?),
        None => None,
    };
    Ok(HistoryEvent {
        seq: r.seq,
        event_type: r.event.type_name(),
        recorded_at: r.recorded_at.to_string(),
        effective: r.effective.to_string(),
        actor: r.actor.clone(),
        note: r.note.clone(),
        voided_by: void.as_ref().map(|v| v.seq),
        void_note: void.as_ref().and_then(|v| v.note.clone()),
        record: serde_json::from_slice(&r.to_bytes()).unwrap_or(Value::Null),
        summary: summary(&r),
    })
}

/// A host's events. Its JSON is `history --host NAME --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostHistory {
    /// The host as first recorded.
    pub host: String,
    /// Every event that touched it, in seq order: its facts, the software
    /// installed and removed, the inventories that saw it.
    pub events: Vec<HistoryEvent>,
}

impl HostHistory {
    /// Restores each event's summary after the history was read back from
    /// its JSON.
    ///
    /// # Errors
    ///
    /// A record that is not one.
    pub fn restore(&mut self) -> Result<()> {
        restore_summaries(&mut self.events)
    }
}

/// What changed on a host, on both time axes, voids marked: in `scope`,
/// the records of the vendors it sees, and the host's facts when one of
/// them is on it.
///
/// # Errors
///
/// When no host of that name (any case) has a record in scope (kind not
/// found, field `host`: a host of vendors out of scope answers as an
/// unknown one), or the store fails.
pub fn host_history(store: &Store, scope: &Scope, name: &str) -> Result<HostHistory> {
    use entitle_core::inventory::HostChange;
    let unknown = || {
        Error::not_found(format!("unknown host {:?}", name.trim()))
            .at("host")
            .hint("entitle inventory lists the hosts")
    };
    let timeline = store.host_timeline(name)?.ok_or_else(unknown)?;
    let visible = |e: &&entitle_core::inventory::HostEntry| match &e.change {
        HostChange::Installed { vendor, .. }
        | HostChange::Uninstalled { vendor, .. }
        | HostChange::Seen { vendor } => scope.sees_vendor(vendor),
        HostChange::Facts(_) => true,
    };
    let entries: Vec<_> = timeline.entries.iter().filter(visible).collect();
    if !entries
        .iter()
        .any(|e| scope.is_all() || !matches!(e.change, HostChange::Facts(_)))
    {
        return Err(unknown());
    }
    let events = entries
        .iter()
        .map(|e| event(store, e.seq, e.voided_by))
        .collect::<Result<_>>()?;
    Ok(HostHistory {
        host: timeline.name,
        events,
    })
}

impl History {
    /// Restores what the JSON leaves out (each event's summary, from the
    /// record it carries) after the history was read back from it.
    ///
    /// # Errors
    ///
    /// A record that is not one.
    pub fn restore(&mut self) -> Result<()> {
        restore_summaries(&mut self.events)
    }
}

/// Each event's summary, from the record it carries.
fn restore_summaries(events: &mut [HistoryEvent]) -> Result<()> {
    for e in events {
        let r = Record::from_bytes(e.record.to_string().as_bytes())
            .map_err(|x| Error::invalid("record", e.seq.to_string(), x.to_string()))?;
        e.summary = summary(&r);
    }
    Ok(())
}

/// An event in a few words.
#[must_use]
pub fn summary(r: &Record) -> String {
    match &r.event {
        Event::Purchased(p) => format!(
            "{} / {}, {} {}, {} .. {}{}",
            p.vendor,
            p.product,
            p.qty,
            p.metric,
            p.start,
            p.end.map_or_else(|| "perpetual".into(), |e| e.to_string()),
            p.cost
                .map(|c| format!(", {c} {}", p.currency.as_deref().unwrap_or("")))
                .unwrap_or_default()
        ),
        Event::Extended(x) => format!(
            "until {}{}",
            x.until,
            x.qty.map(|q| format!(", qty {q}")).unwrap_or_default()
        ),
        Event::Adjusted(x) => format!("qty {}", x.qty),
        Event::Cancelled(_) => "cancelled".into(),
        Event::DocumentAttached(d) => format!(
            "{} ({}, {})",
            d.filename,
            d.kind,
            d.hash.chars().take(12).collect::<String>()
        ),
        Event::UsageRecorded(u) => format!("{} {}", u.count, u.metric),
        Event::Voided(v) => format!("voids #{}", v.voids),
        Event::HostObserved(h) => format!("{}: {}", h.host, h.facts().describe()),
        Event::Installed(i) => format!(
            "{} / {} on {}{}",
            i.vendor,
            i.product,
            i.host,
            i.version
                .as_ref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default()
        ),
        Event::Uninstalled(u) => format!("{} / {} removed from {}", u.vendor, u.product, u.host),
        Event::HostsSeen(h) => format!("{} seen on {} hosts", h.vendor, h.hosts.len()),
    }
}
