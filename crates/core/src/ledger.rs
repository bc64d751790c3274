//! The write side: validating new events against the ledger as it stands and
//! folding records into the derived timelines.
//!
//! A [`Batch`] sits on a [`Backing`] (the store's projections, or nothing for
//! a rebuild) and keeps the timelines it loads or changes in memory. The
//! store reads what the batch changed with [`Batch::finish`], writes the
//! records to the log, and only then writes the changes back.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{InputError, Rejection, MAX_QUANTITY};
use crate::inventory::{HostChange, HostEntry, HostTimeline};
use crate::record::{Event, Record, FORMAT_VERSION};
use crate::text::{self, Kind};
use crate::timeline::{
    money, Attachment, Change, DocumentEntry, Entry, EventKind, EventMeta, LicenseTimeline, Target,
    Terms, UsageEntry, UsageSeries, Year,
};
use crate::types::{match_key, parse_currency, ProductKey, Quantity};

/// Why the backing store could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BackingError(pub String);

/// Where a batch finds the timelines it has not loaded yet.
pub trait Backing {
    /// A license's timeline by id.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    fn license(&self, id: &str) -> Result<Option<LicenseTimeline>, BackingError>;
    /// The counts of a usage series dated in one year.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    fn usage(&self, key: &ProductKey, year: Year) -> Result<Option<UsageSeries>, BackingError>;
    /// What is known of an event.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    fn event(&self, seq: u64) -> Result<Option<EventMeta>, BackingError>;
    /// A document by hash.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    fn document(&self, hash: &str) -> Result<Option<DocumentEntry>, BackingError>;
    /// A host's timeline by folded name.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    fn host(&self, key: &str) -> Result<Option<HostTimeline>, BackingError>;
}

/// A backing with nothing in it: the start of a rebuild.
#[derive(Debug, Clone, Copy, Default)]
pub struct Empty;

impl Backing for Empty {
    fn license(&self, _: &str) -> Result<Option<LicenseTimeline>, BackingError> {
        Ok(None)
    }
    fn usage(&self, _: &ProductKey, _: Year) -> Result<Option<UsageSeries>, BackingError> {
        Ok(None)
    }
    fn event(&self, _: u64) -> Result<Option<EventMeta>, BackingError> {
        Ok(None)
    }
    fn document(&self, _: &str) -> Result<Option<DocumentEntry>, BackingError> {
        Ok(None)
    }
    fn host(&self, _: &str) -> Result<Option<HostTimeline>, BackingError> {
        Ok(None)
    }
}

/// The end of the log as the derived state knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Last seq (0 when empty).
    pub seq: u64,
    /// Its transaction time.
    pub recorded_at: Option<Timestamp>,
    /// How many purchases the log has: the next generated id is one more.
    pub purchases: u64,
}

/// A new event as a user or an import file states it: no seq, time or
/// actor yet, and possibly without an effective date or license id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The event. A `purchased` with an empty `id` gets a generated one.
    pub event: Event,
    /// Valid time; `None` takes the default for the type.
    pub effective: Option<Date>,
    /// Free text; required for a void.
    pub note: Option<String>,
}

impl Draft {
    /// Parses one line of `entitle import events`: a record without `v`,
    /// `seq`, `recorded_at` and `actor`; `effective` optional; `id` optional
    /// on `purchased`.
    ///
    /// # Errors
    ///
    /// A message naming what is wrong with the line.
    pub fn from_json_line(line: &str) -> Result<Draft, String> {
        let UniqueKeys(mut fields) = serde_json::from_str(line).map_err(|e| {
            if e.is_data() && e.to_string().contains("expected a JSON object") {
                "not a JSON object".to_owned()
            } else if e.is_data() {
                // a duplicate field; the position is noise on one line
                let text = e.to_string();
                match text.split_once(" at line ") {
                    Some((what, _)) => what.to_owned(),
                    None => text,
                }
            } else {
                format!("not JSON: {e}")
            }
        })?;
        for reserved in ["v", "seq", "recorded_at", "actor"] {
            if fields.contains_key(reserved) {
                return Err(format!(
                    "field {reserved:?} is set by entitle and must not be in an import line"
                ));
            }
        }
        let type_name = match fields.remove("type") {
            Some(serde_json::Value::String(t)) => t,
            Some(_) => return Err("field \"type\" must be a string".into()),
            None => return Err("missing field \"type\"".into()),
        };
        let effective = match fields.remove("effective") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => {
                Some(parse_date("effective", &s).map_err(|e| e.to_string())?)
            }
            Some(_) => return Err("field \"effective\" must be a date string".into()),
        };
        let note = match fields.remove("note") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s),
            Some(_) => return Err("field \"note\" must be a string".into()),
        };
        if type_name == "purchased" && !fields.contains_key("id") {
            fields.insert("id".into(), serde_json::Value::String(String::new()));
        }
        let event = Event::from_fields(&type_name, fields)?;
        Ok(Draft {
            event,
            effective,
            note,
        })
    }
}

/// A JSON object in which every field is given once: `{"vendor":"V",
/// "vendor":"W"}` would otherwise be read as W, silently.
struct UniqueKeys(serde_json::Map<String, serde_json::Value>);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = UniqueKeys;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<UniqueKeys, A::Error> {
                let mut fields = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: serde_json::Value = map.next_value()?;
                    if fields.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!(
                            "field {key:?} is given twice; give each field once"
                        )));
                    }
                    fields.insert(key, value);
                }
                Ok(UniqueKeys(fields))
            }
        }
        d.deserialize_map(Fields)
    }
}

/// Parses an ISO date, naming the field when it is wrong.
///
/// # Errors
///
/// For anything but a real `YYYY-MM-DD` date.
pub fn parse_date(field: &str, value: &str) -> Result<Date, InputError> {
    let t = value.trim();
    let bad = |reason: String| InputError::BadDate {
        field: field.to_owned(),
        value: value.to_owned(),
        reason,
    };
    if t.len() != 10 || t.as_bytes()[4] != b'-' || t.as_bytes()[7] != b'-' {
        return Err(bad("expected YYYY-MM-DD".into()));
    }
    t.parse::<Date>().map_err(|e| {
        let text = e.to_string();
        // jiff explains which part is out of range; keep its last clause.
        bad(text.rsplit(": ").next().unwrap_or(&text).to_owned())
    })
}

/// The clock and the person for the events of one command.
#[derive(Debug, Clone)]
pub struct Context {
    /// Who records.
    pub actor: String,
    /// Now (transaction time), before clamping to the log's last time.
    pub now: Timestamp,
    /// Today's business date, for defaults.
    pub today: Date,
}

/// A usage series' year: how the store keys the counts it keeps.
pub type UsageYear = (ProductKey, Year);

/// What a batch changed, for the store to persist after the log is durable.
#[derive(Debug, Default)]
pub struct Changes {
    /// Timelines created or changed.
    pub licenses: Vec<LicenseTimeline>,
    /// Years of usage series created or changed, whole.
    pub usage: Vec<(Year, UsageSeries)>,
    /// Counts to add to stored years of usage series (after `usage` is
    /// written), each with only the new entries, in the order they were
    /// written: a long write no longer loads them after its first spill.
    pub usage_appends: Vec<(Year, UsageSeries)>,
    /// Counts in stored years voided: (series and year, seq of the
    /// count, seq of the void), to apply after `usage_appends`.
    pub usage_voids: Vec<(UsageYear, u64, u64)>,
    /// Event metadata created or changed (new events and voided ones).
    pub events: Vec<EventMeta>,
    /// Documents newly bound or whose bindings changed.
    pub documents: Vec<DocumentEntry>,
    /// Host timelines created or changed.
    pub hosts: Vec<HostTimeline>,
    /// Files imported: the BLAKE3 (hex) an event's note names as
    /// `import <file> blake3:<hash>`, with that event's seq (the first of
    /// this batch to name it).
    pub imports: Vec<(String, u64)>,
    /// The new head.
    pub head: Head,
}

/// The BLAKE3 (64 lowercase hex) of the file an import's note names: every
/// event a spreadsheet import writes carries `import <file> blake3:<hash>`,
/// as its note or after the row's notes in parentheses.
#[must_use]
pub fn import_marker(note: &str) -> Option<&str> {
    // The whole note, or after the row's own notes: `<notes> (<marker>)`.
    let marker = match note.strip_suffix(')') {
        Some(inner) => &inner[inner.rfind(" (import ")? + 2..],
        None => note,
    };
    let rest = marker.strip_prefix("import ")?;
    let (_, hash) = rest.rsplit_once(" blake3:")?;
    (hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then_some(hash)
}

/// New events applied in memory on top of a backing.
#[derive(Debug)]
pub struct Batch<'b, B: Backing> {
    backing: &'b B,
    head: Head,
    licenses: HashMap<String, Option<LicenseTimeline>>,
    usage: HashMap<UsageYear, Option<UsageSeries>>,
    events: BTreeMap<u64, EventMeta>,
    documents: HashMap<String, Option<DocumentEntry>>,
    dirty_documents: HashSet<String>,
    hosts: HashMap<String, Option<HostTimeline>>,
    dirty_hosts: HashSet<String>,
    dirty_licenses: HashSet<String>,
    dirty_usage: HashSet<UsageYear>,
    /// New counts for years not loaded (see [`Changes::usage_appends`]).
    usage_appends: HashMap<UsageYear, UsageSeries>,
    /// Voids of counts in years not loaded.
    usage_voids: Vec<(UsageYear, u64, u64)>,
    /// Set by the first spill: from then on the store merges counts.
    append_usage: bool,
    /// Counts in `usage_appends`.
    held_counts: usize,
    /// See [`Changes::imports`].
    imports: Vec<(String, u64)>,
    count: usize,
}

impl<'b, B: Backing> Batch<'b, B> {
    /// A batch that continues after `head`.
    pub fn new(backing: &'b B, head: Head) -> Self {
        Batch {
            backing,
            head,
            licenses: HashMap::new(),
            usage: HashMap::new(),
            events: BTreeMap::new(),
            documents: HashMap::new(),
            dirty_documents: HashSet::new(),
            hosts: HashMap::new(),
            dirty_hosts: HashSet::new(),
            dirty_licenses: HashSet::new(),
            dirty_usage: HashSet::new(),
            usage_appends: HashMap::new(),
            usage_voids: Vec::new(),
            append_usage: false,
            held_counts: 0,
            imports: Vec::new(),
            count: 0,
        }
    }

    /// The head after the events so far.
    #[must_use]
    pub fn head(&self) -> &Head {
        &self.head
    }

    /// How many records the batch holds (since the last spill).
    #[must_use]
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the batch holds no records.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn license(&mut self, id: &str) -> Result<Option<&mut LicenseTimeline>, Rejection> {
        if !self.licenses.contains_key(id) {
            let loaded = self
                .backing
                .license(id)
                .map_err(|e| Rejection::Backing(e.0))?;
            self.licenses.insert(id.to_owned(), loaded);
        }
        Ok(self.licenses.get_mut(id).and_then(Option::as_mut))
    }

    fn usage_year(&mut self, at: &UsageYear) -> Result<Option<&mut UsageSeries>, Rejection> {
        if !self.usage.contains_key(at) {
            let loaded = self
                .backing
                .usage(&at.0, at.1)
                .map_err(|e| Rejection::Backing(e.0))?;
            self.usage.insert(at.clone(), loaded);
        }
        Ok(self.usage.get_mut(at).and_then(Option::as_mut))
    }

    fn document(&mut self, hash: &str) -> Result<Option<&mut DocumentEntry>, Rejection> {
        if !self.documents.contains_key(hash) {
            let loaded = self
                .backing
                .document(hash)
                .map_err(|e| Rejection::Backing(e.0))?;
            self.documents.insert(hash.to_owned(), loaded);
        }
        Ok(self.documents.get_mut(hash).and_then(Option::as_mut))
    }

    /// The timeline of the host named `name` (any case), created empty
    /// when `create` and there is none.
    fn host(&mut self, name: &str, create: bool) -> Result<Option<&mut HostTimeline>, Rejection> {
        let key = match_key(name);
        if !self.hosts.contains_key(&key) {
            let loaded = self
                .backing
                .host(&key)
                .map_err(|e| Rejection::Backing(e.0))?;
            self.hosts.insert(key.clone(), loaded);
        }
        let slot = self.hosts.get_mut(&key).expect("inserted above");
        if slot.is_none() && create {
            *slot = Some(HostTimeline::new(name));
        }
        Ok(slot.as_mut())
    }

    /// Adds an entry to a host's timeline (once: a replay after a crash
    /// finds it there).
    fn push_host(
        &mut self,
        name: &str,
        seq: u64,
        effective: Date,
        change: HostChange,
    ) -> Result<String, Rejection> {
        let t = self.host(name, true)?.expect("created");
        let key = t.key.clone();
        if t.entries.last().is_none_or(|last| last.seq < seq) {
            t.entries.push(HostEntry {
                seq,
                effective,
                voided_by: None,
                change,
            });
        }
        mark(&mut self.dirty_hosts, &key);
        Ok(key)
    }

    fn event(&mut self, seq: u64) -> Result<Option<EventMeta>, Rejection> {
        if let Some(meta) = self.events.get(&seq) {
            return Ok(Some(meta.clone()));
        }
        self.backing.event(seq).map_err(|e| Rejection::Backing(e.0))
    }

    /// Validates a draft against the ledger as it stands (including earlier
    /// drafts of this batch), turns it into the next record and applies it.
    ///
    /// # Errors
    ///
    /// When the draft does not fit; the batch is then unchanged.
    pub fn propose(&mut self, draft: Draft, ctx: &Context) -> Result<Record, Rejection> {
        let Draft {
            mut event,
            effective,
            mut note,
        } = draft;
        if let Some(n) = &note {
            if n.trim().is_empty() {
                note = None;
            }
        }
        text::clean_opt("note", &mut note, Kind::Note)?;
        let actor = text::clean("actor", &ctx.actor, Kind::Name)?;
        let effective = self.check(&mut event, effective, note.as_deref(), ctx)?;
        let recorded_at = match self.head.recorded_at {
            Some(last) if last > ctx.now => last,
            _ => ctx.now,
        };
        let record = Record {
            v: FORMAT_VERSION,
            seq: self.head.seq + 1,
            recorded_at,
            actor,
            effective,
            event,
            note,
        };
        self.apply(&record)?;
        Ok(record)
    }

    /// Checks a draft, fills in a generated id, and returns its effective
    /// date.
    fn check(
        &mut self,
        event: &mut Event,
        effective: Option<Date>,
        note: Option<&str>,
        ctx: &Context,
    ) -> Result<Date, Rejection> {
        match event {
            Event::Purchased(p) => {
                require("vendor", &p.vendor)?;
                require("product", &p.product)?;
                check_quantity(p.qty)?;
                p.vendor = text::clean("vendor", &p.vendor, Kind::Name)?;
                p.product = text::clean("product", &p.product, Kind::Name)?;
                text::clean_opt("edition", &mut p.edition, Kind::Name)?;
                text::clean_opt("po", &mut p.po, Kind::Name)?;
                text::clean_opt("reseller", &mut p.reseller, Kind::Name)?;
                text::clean_opt("owner", &mut p.owner, Kind::Name)?;
                for tag in &mut p.tags {
                    *tag = text::clean("tag", tag, Kind::Name)?;
                }
                if let Some(end) = p.end {
                    if end < p.start {
                        return Err(InputError::EndBeforeStart {
                            start: p.start,
                            end,
                        }
                        .into());
                    }
                }
                if let Some(end) = p.maintenance_end {
                    if end < p.start {
                        return Err(InputError::MaintenanceBeforeStart {
                            start: p.start,
                            end,
                        }
                        .into());
                    }
                }
                check_money(p.cost, &mut p.currency)?;
                check_renewal_months(p.renewal_months)?;
                if let Some(rule) = p.count_rule {
                    rule.check_metric(p.metric)?;
                }
                if p.id.trim().is_empty() {
                    p.id = self.next_id()?;
                } else {
                    p.id = p.id.trim().to_owned();
                    check_id(&p.id)?;
                    if let Some(t) = self.license(&p.id)? {
                        let seq = t.entries[0].seq;
                        return Err(Rejection::DuplicateId {
                            id: p.id.clone(),
                            seq,
                        });
                    }
                }
                Ok(effective.unwrap_or(if p.start <= ctx.today {
                    p.start
                } else {
                    ctx.today
                }))
            }
            Event::Extended(x) => {
                check_money(x.cost, &mut x.currency)?;
                if let Some(q) = x.qty {
                    check_quantity(q)?;
                }
                check_renewal_months(x.renewal_months)?;
                let effective = effective.unwrap_or(ctx.today);
                let known = self.head.seq;
                let t = self.live_license(&x.id, effective)?;
                let now = t
                    .view(Date::MAX, known)
                    .ok_or_else(|| Rejection::UnknownLicense(x.id.clone()))?;
                if x.until < now.terms.start {
                    return Err(Rejection::UntilBeforeStart {
                        id: x.id.clone(),
                        until: x.until,
                        start: now.terms.start,
                    });
                }
                match now.recorded_end {
                    None => return Err(Rejection::ExtendPerpetual(x.id.clone())),
                    Some(end) if x.until <= end => {
                        return Err(Rejection::ExtendNotLater {
                            id: x.id.clone(),
                            until: x.until,
                            end,
                        })
                    }
                    Some(_) => {}
                }
                Ok(effective)
            }
            Event::Adjusted(x) => {
                check_money(x.cost, &mut x.currency)?;
                check_quantity(x.qty)?;
                let effective = effective.unwrap_or(ctx.today);
                self.live_license(&x.id, effective)?;
                Ok(effective)
            }
            Event::Cancelled(x) => {
                let effective = effective.unwrap_or(ctx.today);
                self.live_license(&x.id, effective)?;
                Ok(effective)
            }
            Event::UsageRecorded(u) => {
                require("vendor", &u.vendor)?;
                require("product", &u.product)?;
                check_count(u.count)?;
                u.vendor = text::clean("vendor", &u.vendor, Kind::Name)?;
                u.product = text::clean("product", &u.product, Kind::Name)?;
                text::clean_opt("source", &mut u.source, Kind::Name)?;
                Ok(effective.unwrap_or(ctx.today))
            }
            Event::Voided(v) => {
                if note.is_none_or(|n| n.trim().is_empty()) {
                    return Err(InputError::VoidWithoutReason.into());
                }
                let meta = self.event(v.voids)?.ok_or(Rejection::UnknownSeq {
                    seq: v.voids,
                    last: self.head.seq,
                })?;
                if meta.kind == EventKind::Voided {
                    return Err(Rejection::VoidOfVoid(v.voids));
                }
                if let Some(by) = meta.voided_by {
                    return Err(Rejection::AlreadyVoided { seq: v.voids, by });
                }
                Ok(effective.unwrap_or(ctx.today))
            }
            Event::HostObserved(h) => {
                require("host", &h.host)?;
                h.host = text::clean("host", &h.host, Kind::Name)?;
                text::clean_opt("os", &mut h.os, Kind::Name)?;
                text::clean_opt("os_version", &mut h.os_version, Kind::Name)?;
                text::clean_opt("physical_host", &mut h.physical_host, Kind::Name)?;
                text::clean_opt("cpu", &mut h.cpu, Kind::Name)?;
                h.facts().check(&h.host)?;
                Ok(effective.unwrap_or(ctx.today))
            }
            Event::Installed(i) => {
                require("host", &i.host)?;
                require("vendor", &i.vendor)?;
                require("product", &i.product)?;
                i.host = text::clean("host", &i.host, Kind::Name)?;
                i.vendor = text::clean("vendor", &i.vendor, Kind::Name)?;
                i.product = text::clean("product", &i.product, Kind::Name)?;
                text::clean_opt("edition", &mut i.edition, Kind::Name)?;
                text::clean_opt("version", &mut i.version, Kind::Name)?;
                Ok(effective.unwrap_or(ctx.today))
            }
            Event::Uninstalled(u) => {
                require("host", &u.host)?;
                require("vendor", &u.vendor)?;
                require("product", &u.product)?;
                u.host = text::clean("host", &u.host, Kind::Name)?;
                u.vendor = text::clean("vendor", &u.vendor, Kind::Name)?;
                u.product = text::clean("product", &u.product, Kind::Name)?;
                Ok(effective.unwrap_or(ctx.today))
            }
            Event::HostsSeen(h) => {
                require("vendor", &h.vendor)?;
                h.vendor = text::clean("vendor", &h.vendor, Kind::Name)?;
                if h.hosts.is_empty() {
                    return Err(InputError::Empty("hosts").into());
                }
                let mut seen = HashSet::new();
                for host in &mut h.hosts {
                    require("host", host)?;
                    *host = text::clean("host", host, Kind::Name)?;
                    if !seen.insert(match_key(host)) {
                        return Err(InputError::Invalid {
                            field: "hosts",
                            value: host.clone(),
                            problem: "is listed twice (host names are matched ignoring case)"
                                .into(),
                        }
                        .into());
                    }
                }
                Ok(effective.unwrap_or(ctx.today))
            }
            Event::DocumentAttached(a) => {
                a.hash.parse::<crate::document::DocHash>()?;
                crate::document::check_filename(&a.filename)?;
                a.media_type = text::clean("media_type", &a.media_type, Kind::Name)?;
                a.kind = a
                    .kind
                    .parse::<crate::document::DocKind>()?
                    .as_str()
                    .to_owned();
                let effective = effective.unwrap_or(ctx.today);
                match (&a.id, &a.vendor) {
                    (Some(id), vendor) => {
                        let id = id.clone();
                        let of = match self.known_license(&id)?.purchase() {
                            Some((_, terms)) => terms.vendor.clone(),
                            None => return Err(Rejection::UnknownLicense(id)),
                        };
                        if let Some(vendor) = vendor {
                            // Named twice, the two must agree: an audit
                            // pack for one vendor discloses the documents
                            // of its licenses, and no other vendor's.
                            let vendor = text::clean("vendor", vendor, Kind::Name)?;
                            if crate::types::match_key(&vendor) != crate::types::match_key(&of) {
                                return Err(Rejection::VendorNotOfLicense { vendor, id, of });
                            }
                            a.vendor = Some(vendor);
                        }
                    }
                    (None, Some(vendor)) => {
                        require("vendor", vendor)?;
                        let clean = text::clean("vendor", vendor, Kind::Name)?;
                        a.vendor = Some(clean);
                    }
                    (None, None) => return Err(InputError::Empty("license").into()),
                }
                Ok(effective)
            }
        }
    }

    /// A license that exists and whose purchase counts (a document may be
    /// attached to a cancelled license).
    fn known_license(&mut self, id: &str) -> Result<&LicenseTimeline, Rejection> {
        let t = self
            .license(id)?
            .ok_or_else(|| Rejection::UnknownLicense(id.to_owned()))?;
        let (purchase, _) = t
            .purchase()
            .ok_or_else(|| Rejection::UnknownLicense(id.to_owned()))?;
        if let Some(void) = purchase.voided_by {
            return Err(Rejection::LicenseVoided {
                id: id.to_owned(),
                purchase: purchase.seq,
                void,
            });
        }
        Ok(t)
    }

    /// A license that may still change: known, not cancelled, and the
    /// change not dated before its purchase.
    fn live_license(&mut self, id: &str, effective: Date) -> Result<&LicenseTimeline, Rejection> {
        let known = self.head.seq;
        let t = self.known_license(id)?;
        if let Some((cancel, on)) = t.cancellation(known) {
            return Err(Rejection::LicenseCancelled {
                id: id.to_owned(),
                cancel,
                effective: on,
            });
        }
        let purchased_on = t.entries[0].effective;
        if effective < purchased_on {
            return Err(InputError::BadDate {
                field: "effective".into(),
                value: effective.to_string(),
                reason: format!("it is before the purchase of {id} (effective {purchased_on})"),
            }
            .into());
        }
        Ok(t)
    }

    /// The id the next purchase without one gets: `L-` and one more than the
    /// purchases so far, four digits at least, skipping ids taken by hand.
    ///
    /// # Errors
    ///
    /// When the backing cannot be read.
    pub fn next_id(&mut self) -> Result<String, Rejection> {
        let mut n = self.head.purchases + 1;
        loop {
            let id = format!("L-{n:04}");
            if self.license(&id)?.is_none() {
                return Ok(id);
            }
            n += 1;
        }
    }

    /// Applies a record to the derived state without validating it: the
    /// path for records already in the log (catch-up and rebuild).
    ///
    /// # Errors
    ///
    /// Only when the backing cannot be read.
    pub fn apply(&mut self, record: &Record) -> Result<(), Rejection> {
        let seq = record.seq;
        if let Some(hash) = record.note.as_deref().and_then(import_marker) {
            if !self.imports.iter().any(|(h, _)| h == hash) {
                self.imports.push((hash.to_owned(), seq));
            }
        }
        let effective = record.effective;
        let (kind, target) = match &record.event {
            Event::Purchased(p) => {
                self.head.purchases += 1;
                let id = p.id.clone();
                if self.license(&id)?.is_none() {
                    let t = LicenseTimeline::new(id.clone(), seq, effective, Terms::from(p));
                    self.licenses.insert(id.clone(), Some(t));
                    mark(&mut self.dirty_licenses, &id);
                }
                (EventKind::Purchased, Target::License(id))
            }
            Event::Extended(x) => {
                let change = Change::Extended {
                    until: x.until,
                    quantity: x.qty,
                    cost: money(x.cost, x.currency.as_deref()),
                    renewal_months: x.renewal_months,
                };
                self.push_entry(&x.id, seq, effective, change)?;
                (EventKind::Extended, Target::License(x.id.clone()))
            }
            Event::Adjusted(x) => {
                let change = Change::Adjusted {
                    quantity: x.qty,
                    cost: money(x.cost, x.currency.as_deref()),
                };
                self.push_entry(&x.id, seq, effective, change)?;
                (EventKind::Adjusted, Target::License(x.id.clone()))
            }
            Event::Cancelled(x) => {
                self.push_entry(&x.id, seq, effective, Change::Cancelled)?;
                (EventKind::Cancelled, Target::License(x.id.clone()))
            }
            Event::DocumentAttached(a) => {
                if let Some(id) = &a.id {
                    let change = Change::Document {
                        hash: a.hash.clone(),
                        filename: a.filename.clone(),
                        kind: a.kind.clone(),
                    };
                    self.push_entry(id, seq, effective, change)?;
                }
                if self.document(&a.hash)?.is_none() {
                    let entry = DocumentEntry {
                        hash: a.hash.clone(),
                        size: a.size,
                        media_type: a.media_type.clone(),
                        attachments: Vec::new(),
                    };
                    self.documents.insert(a.hash.clone(), Some(entry));
                }
                if let Some(doc) = self.document(&a.hash)? {
                    if doc.attachments.last().is_none_or(|last| last.seq < seq) {
                        doc.attachments.push(Attachment {
                            seq,
                            effective,
                            filename: a.filename.clone(),
                            kind: a.kind.clone(),
                            license: a.id.clone(),
                            vendor: a.vendor.clone(),
                            voided_by: None,
                        });
                    }
                }
                mark(&mut self.dirty_documents, &a.hash);
                let target = Target::Document {
                    hash: a.hash.clone(),
                    license: a.id.clone(),
                };
                (EventKind::DocumentAttached, target)
            }
            Event::UsageRecorded(u) => {
                let key = ProductKey::new(&u.vendor, &u.product, u.metric);
                let year = Year::of(effective);
                let at = (key, year);
                let empty = || UsageSeries {
                    key: at.0.clone(),
                    vendor: u.vendor.trim().to_owned(),
                    product: u.product.trim().to_owned(),
                    entries: Vec::new(),
                    sources: Vec::new(),
                    last_seq: 0,
                };
                if self.append_usage {
                    self.held_counts += 1;
                    let more = self.usage_appends.entry(at.clone()).or_insert_with(empty);
                    let source = more.intern(u.source.as_deref());
                    more.entries.push(UsageEntry {
                        seq,
                        effective,
                        voided_by: None,
                        count: u.count,
                        source,
                    });
                } else {
                    if self.usage_year(&at)?.is_none() {
                        self.usage.insert(at.clone(), Some(empty()));
                    }
                    if let Some(series) = self.usage_year(&at)? {
                        let source = series.intern(u.source.as_deref());
                        series.insert(UsageEntry {
                            seq,
                            effective,
                            voided_by: None,
                            count: u.count,
                            source,
                        });
                    }
                    mark(&mut self.dirty_usage, &at);
                }
                (EventKind::UsageRecorded, Target::Usage(at.0, year))
            }
            Event::Voided(v) => {
                self.void(v.voids, seq)?;
                (EventKind::Voided, Target::Event(v.voids))
            }
            Event::HostObserved(h) => {
                let key = self.push_host(&h.host, seq, effective, HostChange::Facts(h.facts()))?;
                (EventKind::HostObserved, Target::Hosts(vec![key]))
            }
            Event::Installed(i) => {
                let change = HostChange::Installed {
                    vendor: i.vendor.clone(),
                    product: i.product.clone(),
                    edition: i.edition.clone(),
                    version: i.version.clone(),
                };
                let key = self.push_host(&i.host, seq, effective, change)?;
                (EventKind::Installed, Target::Hosts(vec![key]))
            }
            Event::Uninstalled(u) => {
                let change = HostChange::Uninstalled {
                    vendor: u.vendor.clone(),
                    product: u.product.clone(),
                };
                let key = self.push_host(&u.host, seq, effective, change)?;
                (EventKind::Uninstalled, Target::Hosts(vec![key]))
            }
            Event::HostsSeen(h) => {
                let mut keys = Vec::with_capacity(h.hosts.len());
                for host in &h.hosts {
                    let change = HostChange::Seen {
                        vendor: h.vendor.clone(),
                    };
                    let key = self.push_host(host, seq, effective, change)?;
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                (EventKind::HostsSeen, Target::Hosts(keys))
            }
        };
        self.record_event(record, kind, target)
    }

    /// Notes what a record was and moves the head past it.
    fn record_event(
        &mut self,
        record: &Record,
        kind: EventKind,
        target: Target,
    ) -> Result<(), Rejection> {
        let seq = record.seq;
        self.events.insert(
            seq,
            EventMeta {
                seq,
                recorded_at: record.recorded_at,
                kind,
                target,
                voided_by: None,
            },
        );
        self.head.seq = seq;
        self.head.recorded_at = Some(record.recorded_at);
        self.count += 1;
        Ok(())
    }

    fn push_entry(
        &mut self,
        id: &str,
        seq: u64,
        effective: Date,
        change: Change,
    ) -> Result<(), Rejection> {
        if let Some(t) = self.license(id)? {
            if t.entries.last().is_some_and(|last| last.seq >= seq) {
                return Ok(()); // applied before: a replay after a crash
            }
            t.entries.push(Entry {
                seq,
                effective,
                voided_by: None,
                change,
            });
            mark(&mut self.dirty_licenses, id);
        }
        Ok(())
    }

    fn void(&mut self, target: u64, by: u64) -> Result<(), Rejection> {
        let Some(mut meta) = self.event(target)? else {
            return Ok(());
        };
        meta.voided_by.get_or_insert(by);
        match &meta.target {
            Target::License(id) => {
                let id = id.clone();
                if let Some(e) = self.license(&id)?.and_then(|t| t.entry_mut(target)) {
                    e.voided_by.get_or_insert(by);
                    mark(&mut self.dirty_licenses, &id);
                }
            }
            Target::Usage(key, year) => {
                let at = (key.clone(), *year);
                if self.append_usage {
                    // Years are not loaded any more: mark the count where
                    // it waits, and have the store void it in the stored
                    // year too (a replay that split the chunks differently
                    // may find the count stored but not its void).
                    if let Some(e) = self
                        .usage_appends
                        .get_mut(&at)
                        .and_then(|s| s.entry_mut(target))
                    {
                        e.voided_by.get_or_insert(by);
                    }
                    self.usage_voids.push((at, target, by));
                } else if let Some(e) = self.usage_year(&at)?.and_then(|s| s.entry_mut(target)) {
                    e.voided_by.get_or_insert(by);
                    mark(&mut self.dirty_usage, &at);
                }
            }
            Target::Document { hash, license } => {
                let (hash, license) = (hash.clone(), license.clone());
                if let Some(id) = license {
                    if let Some(e) = self.license(&id)?.and_then(|t| t.entry_mut(target)) {
                        e.voided_by.get_or_insert(by);
                        mark(&mut self.dirty_licenses, &id);
                    }
                }
                if let Some(doc) = self.document(&hash)? {
                    if let Some(a) = doc.attachments.iter_mut().find(|a| a.seq == target) {
                        a.voided_by.get_or_insert(by);
                    }
                    mark(&mut self.dirty_documents, &hash);
                }
            }
            Target::Hosts(keys) => {
                for key in keys.clone() {
                    if let Some(t) = self.host(&key, false)? {
                        for e in t.entries.iter_mut().filter(|e| e.seq == target) {
                            e.voided_by.get_or_insert(by);
                        }
                        mark(&mut self.dirty_hosts, &key);
                    }
                }
            }
            Target::Event(_) | Target::Nothing => {}
        }
        self.events.insert(target, meta);
        Ok(())
    }

    /// What the batch changed so far, for a long write to persist a chunk
    /// at a time; the batch goes on from there holding nothing. Up to the
    /// first spill, counts go into the years of usage series they fall in,
    /// loaded whole ([`Changes::usage`]). After it the batch no longer
    /// loads them at all: new counts and voids of counts travel as
    /// [`Changes::usage_appends`] and [`Changes::usage_voids`], which the
    /// store merges into each stored year. So memory stays bounded however
    /// long the write, and each chunk rewrites only the years it added to,
    /// however long each product's history.
    pub fn spill(&mut self) -> Changes {
        let mut dirty_licenses: Vec<String> = self.dirty_licenses.drain().collect();
        dirty_licenses.sort_unstable();
        let licenses = dirty_licenses
            .iter()
            .filter_map(|id| self.licenses.remove(id).flatten())
            .collect();
        self.licenses.clear();
        let mut dirty_documents: Vec<String> = self.dirty_documents.drain().collect();
        dirty_documents.sort_unstable();
        let documents = dirty_documents
            .iter()
            .filter_map(|h| self.documents.remove(h).flatten())
            .collect();
        self.documents.clear();
        let mut dirty_hosts: Vec<String> = self.dirty_hosts.drain().collect();
        dirty_hosts.sort_unstable();
        let hosts = dirty_hosts
            .iter()
            .filter_map(|k| self.hosts.remove(k).flatten())
            .collect();
        self.hosts.clear();
        self.count = 0;
        let mut dirty: Vec<UsageYear> = self.dirty_usage.drain().collect();
        dirty.sort_unstable();
        let usage = dirty
            .into_iter()
            .filter_map(|at| Some((at.1, self.usage.remove(&at).flatten()?)))
            .collect();
        self.usage.clear();
        self.append_usage = true;
        self.held_counts = 0;
        let mut usage_appends: Vec<(UsageYear, UsageSeries)> = self.usage_appends.drain().collect();
        usage_appends.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let usage_appends = usage_appends
            .into_iter()
            .map(|((_, year), s)| (year, s))
            .collect();
        Changes {
            licenses,
            usage,
            usage_appends,
            usage_voids: std::mem::take(&mut self.usage_voids),
            events: std::mem::take(&mut self.events).into_values().collect(),
            documents,
            hosts,
            imports: std::mem::take(&mut self.imports),
            head: self.head.clone(),
        }
    }

    /// [`Batch::spill`] for a chunk of a longer write, except that the new
    /// counts and the voids of counts stay in memory while, with this
    /// chunk's, they number fewer than `hold`: each spill of them makes the
    /// store rewrite every stored year they add to, and counts arriving out
    /// of date order (a migration) add to most years of most products in
    /// every chunk. Held, they are merged once per `hold` counts instead of
    /// once per chunk. The last spill ([`Batch::spill`]) writes them all.
    pub fn spill_chunk(&mut self, hold: usize) -> Changes {
        let held = (self.held_counts + self.usage_voids.len() < hold).then(|| {
            (
                std::mem::take(&mut self.usage_appends),
                std::mem::take(&mut self.usage_voids),
                self.held_counts,
            )
        });
        let changes = self.spill();
        if let Some((appends, voids, counts)) = held {
            self.usage_appends = appends;
            self.usage_voids = voids;
            self.held_counts = counts;
        }
        changes
    }

    /// Everything the batch created or changed.
    #[must_use]
    pub fn finish(mut self) -> Changes {
        self.spill()
    }
}

/// Marks a key dirty, cloning it only the first time.
fn mark<
    K: std::hash::Hash + Eq + Clone + std::borrow::Borrow<Q>,
    Q: std::hash::Hash + Eq + ToOwned<Owned = K> + ?Sized,
>(
    set: &mut HashSet<K>,
    key: &Q,
) {
    if !set.contains(key) {
        set.insert(key.to_owned());
    }
}

fn require(field: &'static str, value: &str) -> Result<(), InputError> {
    if value.trim().is_empty() {
        Err(InputError::Empty(field))
    } else {
        Ok(())
    }
}

fn check_id(id: &str) -> Result<(), InputError> {
    let ok = id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(InputError::BadId(id.to_owned()))
    }
}

fn check_money(
    cost: Option<rust_decimal::Decimal>,
    currency: &mut Option<String>,
) -> Result<(), InputError> {
    match (cost, currency.as_deref()) {
        (None, None) => Ok(()),
        (Some(c), None) => Err(InputError::CostWithoutCurrency(c.to_string())),
        (None, Some(c)) => Err(InputError::CurrencyWithoutCost(c.to_owned())),
        (Some(c), Some(cur)) => {
            if c.is_sign_negative() {
                return Err(InputError::CostNegative(c.to_string()));
            }
            if c.scale() > crate::types::MAX_COST_DECIMALS {
                return Err(InputError::CostTooPrecise(c.to_string()));
            }
            *currency = Some(parse_currency(cur)?);
            Ok(())
        }
    }
}

/// New quantities stay at or below [`MAX_QUANTITY`] (records already in the
/// log are read as they are).
fn check_quantity(qty: Quantity) -> Result<(), InputError> {
    match qty {
        Quantity::Count(n) if n > MAX_QUANTITY => Err(InputError::TooLarge {
            field: "qty",
            value: n.to_string(),
        }),
        _ => Ok(()),
    }
}

/// New usage counts stay at or below [`MAX_QUANTITY`].
fn check_count(count: u64) -> Result<(), InputError> {
    if count > MAX_QUANTITY {
        Err(InputError::TooLarge {
            field: "count",
            value: count.to_string(),
        })
    } else {
        Ok(())
    }
}

fn check_renewal_months(months: Option<u32>) -> Result<(), InputError> {
    match months {
        Some(m) if !(1..=120).contains(&m) => Err(InputError::BadRenewalMonths(m)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::import_marker;

    #[test]
    fn an_import_marker_is_the_note_or_its_parenthesised_end() {
        let hash = "ef".repeat(32);
        let marker = format!("import usage.csv blake3:{hash}");
        assert_eq!(import_marker(&marker), Some(hash.as_str()));
        assert_eq!(
            import_marker(&format!("Team plan ({marker})")),
            Some(hash.as_str())
        );
        // A note that only quotes a hash is not an import.
        assert_eq!(import_marker(&format!("see blake3:{hash}")), None);
        assert_eq!(import_marker(&format!("{marker} checked")), None);
        assert_eq!(import_marker("import x.csv blake3:EF"), None);
    }
}
