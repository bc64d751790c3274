//! The log record: the permanent format of entitle's truth.
//!
//! **Frozen.** Every record ever written is hashed into the chain exactly as
//! stored; a field that changes name or meaning breaks every verifier. New
//! fields may be added only as optional ones, new event types only under new
//! tags, and anything else needs a new `v`. `docs/FORMAT.md` describes each
//! type with an example.
//!
//! A record is one line of compact JSON:
//! `v`, `seq`, `recorded_at`, `actor`, `type`, `effective`, then the type's
//! fields (optional ones omitted when absent), then `note` when given.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::inventory::{CountRule, Facts};
use crate::types::{Metric, Quantity};
use rust_decimal::Decimal;

/// The record format version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// One event as stored in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Format version ([`FORMAT_VERSION`]).
    pub v: u32,
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// Transaction time: when entitle learned it. Never decreases along the log.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub actor: String,
    /// Valid time: the business date it takes effect.
    pub effective: Date,
    /// The event itself.
    pub event: Event,
    /// Free text: why, where from.
    pub note: Option<String>,
}

/// What happened. The variant's tag is the record's `type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `purchased`: a new license exists.
    Purchased(Purchased),
    /// `extended`: the term end moves.
    Extended(Extended),
    /// `adjusted`: the quantity changes.
    Adjusted(Adjusted),
    /// `cancelled`: the license stops counting.
    Cancelled(Cancelled),
    /// `usage_recorded`: a consumption count.
    UsageRecorded(UsageRecorded),
    /// `voided`: an earlier event no longer counts.
    Voided(Voided),
    /// `document_attached`: a document belongs to a license or a vendor.
    DocumentAttached(DocumentAttached),
    /// `host_observed`: the facts of a host (store format 3).
    HostObserved(HostObserved),
    /// `installed`: a product runs on a host (store format 3).
    Installed(Installed),
    /// `uninstalled`: a product no longer runs on a host (store format 3).
    Uninstalled(Uninstalled),
    /// `hosts_seen`: an inventory saw a vendor's installations on these
    /// hosts as recorded (store format 3).
    HostsSeen(HostsSeen),
}

/// Fields of `purchased`. Frozen (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purchased {
    /// License id, user-given or generated (`L-0007`).
    pub id: String,
    /// Vendor as typed.
    pub vendor: String,
    /// Product as typed.
    pub product: String,
    /// Edition, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    /// What it counts.
    pub metric: Metric,
    /// How many.
    pub qty: Quantity,
    /// First day of the term.
    pub start: Date,
    /// Last day of the term (inclusive); none for perpetual.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Date>,
    /// Last day of maintenance / software assurance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_end: Option<Date>,
    /// Price paid for this purchase, exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Decimal>,
    /// ISO 4217 currency of `cost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Purchase order or invoice reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub po: Option<String>,
    /// Who sold it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reseller: Option<String>,
    /// The person responsible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Days before the end by which it must be cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_days: Option<u32>,
    /// Renews unless cancelled.
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_renew: bool,
    /// The period an automatic renewal adds, in months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_months: Option<u32>,
    /// Free labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// How usage is counted from installations (store format 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_rule: Option<CountRule>,
}

/// Fields of `extended`. Frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extended {
    /// License id.
    pub id: String,
    /// New last day of the term (inclusive).
    pub until: Date,
    /// New quantity, if it changes with the extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qty: Option<Quantity>,
    /// Price paid for the extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Decimal>,
    /// ISO 4217 currency of `cost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// New renewal period, in months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_months: Option<u32>,
}

/// Fields of `adjusted`. Frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjusted {
    /// License id.
    pub id: String,
    /// The new quantity (absolute, not a difference).
    pub qty: Quantity,
    /// Price paid for the change (a true-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Decimal>,
    /// ISO 4217 currency of `cost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// Fields of `cancelled`. Frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cancelled {
    /// License id.
    pub id: String,
}

/// Fields of `usage_recorded`. Frozen. The count's date is the record's
/// `effective`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageRecorded {
    /// Vendor as typed.
    pub vendor: String,
    /// Product as typed.
    pub product: String,
    /// What was counted.
    pub metric: Metric,
    /// How many were in use.
    pub count: u64,
    /// Where the count comes from (an inventory tool, a vendor portal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Fields of `voided`. Frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Voided {
    /// The seq of the event that no longer counts.
    pub voids: u64,
}

/// Fields of `document_attached`. Frozen. Exactly one of `id` and `vendor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentAttached {
    /// BLAKE3 of the document's bytes, lowercase hex.
    pub hash: String,
    /// The file name it was attached under.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type, as sniffed.
    pub media_type: String,
    /// contract, invoice, order, eula, terms, usage-report, correspondence, other.
    pub kind: String,
    /// The license it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The vendor it belongs to, when not one license.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
}

/// Fields of `host_observed`: what is known of a host's operating system
/// and hardware, all of it (an observation replaces the one before).
/// Frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostObserved {
    /// Host name; hosts differing only by case are one host.
    pub host: String,
    /// Operating system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// A virtual machine (present only when true).
    #[serde(default, rename = "virtual", skip_serializing_if = "is_false")]
    pub is_virtual: bool,
    /// For a VM: the physical host it runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_host: Option<String>,
    /// Occupied sockets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sockets: Option<u32>,
    /// Physical cores, all sockets together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<u32>,
    /// Hardware threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
    /// A VM's virtual cores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcpus: Option<u32>,
    /// CPU model or family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Oracle core factor given for the host (a decimal string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_factor: Option<Decimal>,
}

impl HostObserved {
    /// The facts without the host name.
    #[must_use]
    pub fn facts(&self) -> Facts {
        Facts {
            os: self.os.clone(),
            os_version: self.os_version.clone(),
            is_virtual: self.is_virtual,
            physical_host: self.physical_host.clone(),
            sockets: self.sockets,
            cores: self.cores,
            threads: self.threads,
            vcpus: self.vcpus,
            cpu: self.cpu.clone(),
            core_factor: self.core_factor,
        }
    }
}

/// Fields of `installed`. Frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Installed {
    /// Host name.
    pub host: String,
    /// Vendor as typed.
    pub vendor: String,
    /// Product as typed.
    pub product: String,
    /// Edition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Fields of `uninstalled`. Frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uninstalled {
    /// Host name.
    pub host: String,
    /// Vendor as typed.
    pub vendor: String,
    /// Product as typed.
    pub product: String,
}

/// Fields of `hosts_seen`: one per vendor per inventory import. Frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostsSeen {
    /// The vendor whose installations were seen.
    pub vendor: String,
    /// The hosts running the vendor's software that the inventory covered.
    pub hosts: Vec<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(b: &bool) -> bool {
    !*b
}

impl Event {
    /// The record's `type`.
    #[must_use]
    pub const fn type_name(&self) -> &'static str {
        match self {
            Event::Purchased(_) => "purchased",
            Event::Extended(_) => "extended",
            Event::Adjusted(_) => "adjusted",
            Event::Cancelled(_) => "cancelled",
            Event::UsageRecorded(_) => "usage_recorded",
            Event::Voided(_) => "voided",
            Event::DocumentAttached(_) => "document_attached",
            Event::HostObserved(_) => "host_observed",
            Event::Installed(_) => "installed",
            Event::Uninstalled(_) => "uninstalled",
            Event::HostsSeen(_) => "hosts_seen",
        }
    }

    /// Whether the record needs store format 3 (installations and count
    /// rules): a store holding one refuses to open in older builds.
    #[must_use]
    pub fn needs_inventory_format(&self) -> bool {
        match self {
            Event::Purchased(p) => p.count_rule.is_some(),
            Event::HostObserved(_)
            | Event::Installed(_)
            | Event::Uninstalled(_)
            | Event::HostsSeen(_) => true,
            _ => false,
        }
    }

    /// The vendor an event belongs to, when it names one itself (a
    /// license's events name it through the license).
    #[must_use]
    pub fn vendor(&self) -> Option<&str> {
        match self {
            Event::Purchased(p) => Some(&p.vendor),
            Event::UsageRecorded(u) => Some(&u.vendor),
            Event::DocumentAttached(d) => d.vendor.as_deref(),
            Event::Installed(i) => Some(&i.vendor),
            Event::Uninstalled(u) => Some(&u.vendor),
            Event::HostsSeen(h) => Some(&h.vendor),
            _ => None,
        }
    }

    /// The license this event is about, if it is about one.
    #[must_use]
    pub fn license_id(&self) -> Option<&str> {
        match self {
            Event::Purchased(e) => Some(&e.id),
            Event::Extended(e) => Some(&e.id),
            Event::Adjusted(e) => Some(&e.id),
            Event::Cancelled(e) => Some(&e.id),
            Event::DocumentAttached(e) => e.id.as_deref(),
            Event::UsageRecorded(_)
            | Event::Voided(_)
            | Event::HostObserved(_)
            | Event::Installed(_)
            | Event::Uninstalled(_)
            | Event::HostsSeen(_) => None,
        }
    }

    /// Parses the type's fields from a JSON object, given its `type`.
    ///
    /// # Errors
    ///
    /// For an unknown type, a missing or unknown field, or a wrong value.
    pub fn from_fields(
        type_name: &str,
        fields: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Event, String> {
        let value = serde_json::Value::Object(fields);
        let r = match type_name {
            "purchased" => serde_json::from_value(value).map(Event::Purchased),
            "extended" => serde_json::from_value(value).map(Event::Extended),
            "adjusted" => serde_json::from_value(value).map(Event::Adjusted),
            "cancelled" => serde_json::from_value(value).map(Event::Cancelled),
            "usage_recorded" => serde_json::from_value(value).map(Event::UsageRecorded),
            "voided" => serde_json::from_value(value).map(Event::Voided),
            "document_attached" => serde_json::from_value(value).map(Event::DocumentAttached),
            "host_observed" => serde_json::from_value(value).map(Event::HostObserved),
            "installed" => serde_json::from_value(value).map(Event::Installed),
            "uninstalled" => serde_json::from_value(value).map(Event::Uninstalled),
            "hosts_seen" => serde_json::from_value(value).map(Event::HostsSeen),
            other => {
                return Err(format!(
                    "unknown type {other:?}: use purchased, extended, adjusted, cancelled, usage_recorded, voided, document_attached, host_observed, installed, uninstalled or hosts_seen"
                ))
            }
        };
        r.map_err(|e| format!("{type_name}: {e}"))
    }
}

/// Borrowed view of the fields, serialised flat into the record.
#[derive(Serialize)]
#[serde(untagged)]
enum FieldsRef<'a> {
    Purchased(&'a Purchased),
    Extended(&'a Extended),
    Adjusted(&'a Adjusted),
    Cancelled(&'a Cancelled),
    UsageRecorded(&'a UsageRecorded),
    Voided(&'a Voided),
    DocumentAttached(&'a DocumentAttached),
    HostObserved(&'a HostObserved),
    Installed(&'a Installed),
    Uninstalled(&'a Uninstalled),
    HostsSeen(&'a HostsSeen),
}

impl<'a> From<&'a Event> for FieldsRef<'a> {
    fn from(e: &'a Event) -> Self {
        match e {
            Event::Purchased(x) => FieldsRef::Purchased(x),
            Event::Extended(x) => FieldsRef::Extended(x),
            Event::Adjusted(x) => FieldsRef::Adjusted(x),
            Event::Cancelled(x) => FieldsRef::Cancelled(x),
            Event::UsageRecorded(x) => FieldsRef::UsageRecorded(x),
            Event::Voided(x) => FieldsRef::Voided(x),
            Event::DocumentAttached(x) => FieldsRef::DocumentAttached(x),
            Event::HostObserved(x) => FieldsRef::HostObserved(x),
            Event::Installed(x) => FieldsRef::Installed(x),
            Event::Uninstalled(x) => FieldsRef::Uninstalled(x),
            Event::HostsSeen(x) => FieldsRef::HostsSeen(x),
        }
    }
}

#[derive(Serialize)]
struct WireOut<'a> {
    v: u32,
    seq: u64,
    recorded_at: &'a Timestamp,
    actor: &'a str,
    #[serde(rename = "type")]
    type_name: &'static str,
    effective: &'a Date,
    #[serde(flatten)]
    fields: FieldsRef<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

#[derive(Deserialize)]
struct WireIn {
    v: u32,
    seq: u64,
    recorded_at: Timestamp,
    actor: String,
    #[serde(rename = "type")]
    type_name: String,
    effective: Date,
    #[serde(default)]
    note: Option<String>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

/// Why a line of the log is not a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// Not JSON, or a field has the wrong form.
    #[error("not a valid record: {0}")]
    Malformed(String),
    /// A record of a format version this build does not know.
    #[error("record format v{0} is newer than this entitle understands (v{FORMAT_VERSION}); upgrade entitle")]
    UnknownVersion(u32),
}

/// A line of `entitle import events` for an event: its type, fields,
/// effective date and note (what `Draft::from_json_line` reads back).
#[derive(Serialize)]
struct ImportLine<'a> {
    #[serde(rename = "type")]
    type_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    effective: Option<&'a Date>,
    #[serde(flatten)]
    fields: FieldsRef<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

impl Event {
    /// The event as a line of `entitle import events` (the body of
    /// `POST /api/v1/events`), with its effective date and note.
    ///
    /// # Panics
    ///
    /// Never: every field serialises.
    #[must_use]
    pub fn to_import_line(&self, effective: Option<&Date>, note: Option<&str>) -> String {
        let line = ImportLine {
            type_name: self.type_name(),
            effective,
            fields: self.into(),
            note,
        };
        serde_json::to_string(&line).expect("events always serialise")
    }
}

impl Record {
    /// The exact bytes stored in the log (without the line feed).
    ///
    /// # Panics
    ///
    /// Never: every field serialises.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let wire = WireOut {
            v: self.v,
            seq: self.seq,
            recorded_at: &self.recorded_at,
            actor: &self.actor,
            type_name: self.event.type_name(),
            effective: &self.effective,
            fields: (&self.event).into(),
            note: self.note.as_deref(),
        };
        serde_json::to_vec(&wire).expect("records always serialise")
    }

    /// Parses one stored record.
    ///
    /// # Errors
    ///
    /// When the bytes are not a v1 record.
    pub fn from_bytes(bytes: &[u8]) -> Result<Record, RecordError> {
        let wire: WireIn =
            serde_json::from_slice(bytes).map_err(|e| RecordError::Malformed(e.to_string()))?;
        if wire.v != FORMAT_VERSION {
            return Err(RecordError::UnknownVersion(wire.v));
        }
        let event =
            Event::from_fields(&wire.type_name, wire.rest).map_err(RecordError::Malformed)?;
        Ok(Record {
            v: wire.v,
            seq: wire.seq,
            recorded_at: wire.recorded_at,
            actor: wire.actor,
            effective: wire.effective,
            event,
            note: wire.note,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            v: 1,
            seq: 3,
            recorded_at: "2024-05-01T09:30:00Z".parse().unwrap(),
            actor: "anna".into(),
            effective: "2024-05-01".parse().unwrap(),
            event: Event::Adjusted(Adjusted {
                id: "L-0001".into(),
                qty: Quantity::Count(30),
                cost: None,
                currency: None,
            }),
            note: Some("true-up".into()),
        }
    }

    #[test]
    fn bytes_have_the_documented_field_order() {
        let text = String::from_utf8(sample().to_bytes()).unwrap();
        assert_eq!(
            text,
            r#"{"v":1,"seq":3,"recorded_at":"2024-05-01T09:30:00Z","actor":"anna","type":"adjusted","effective":"2024-05-01","id":"L-0001","qty":30,"note":"true-up"}"#
        );
    }

    #[test]
    fn round_trip() {
        let r = sample();
        assert_eq!(Record::from_bytes(&r.to_bytes()).unwrap(), r);
    }

    #[test]
    fn unknown_fields_and_versions_are_refused() {
        let text = String::from_utf8(sample().to_bytes()).unwrap();
        let extra = text.replace("\"qty\":30", "\"qty\":30,\"seats\":2");
        assert!(Record::from_bytes(extra.as_bytes()).is_err());
        let v2 = text.replace("\"v\":1", "\"v\":2");
        assert_eq!(
            Record::from_bytes(v2.as_bytes()),
            Err(RecordError::UnknownVersion(2))
        );
    }
}
