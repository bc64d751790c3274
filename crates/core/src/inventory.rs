//! Installations: which software runs on which host, the hosts' facts
//! (operating system, physical or virtual, sockets, cores, threads), and
//! the vendors' rules that turn them into a licence count.
//!
//! A host's timeline holds every event that touched it (facts observed,
//! software installed or removed, a vendor's sighting) with its seq,
//! effective date and the seq of the void that cancelled it; evaluating it
//! for `(as_of, known)` applies the entries counted at `known` and
//! effective on or before `as_of` in `(effective, seq)` order, as a
//! licence timeline does.
//!
//! The rules ([`CountRule`]) and where each comes from are in
//! `docs/FORMAT.md` ("Count rules") and the README.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::timeline::counts;
use crate::types::{match_key, Metric};

/// How a licence's usage is counted from the installations of its product.
///
/// Frozen: the kebab-case names are written into the log (`count_rule` on
/// `purchased`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CountRule {
    /// One per host running it (device and instance metrics).
    Installations,
    /// Every physical core of the hosts running it.
    PhysicalCores,
    /// Every occupied socket (processor) of the hosts running it.
    Sockets,
    /// Windows Server 2016 and later: every physical core, at least 8 per
    /// processor and 16 per server; a VM whose host is unknown at least 8.
    MicrosoftCore,
    /// SQL Server per core: physical cores, at least 4 per processor; a VM
    /// its virtual cores, at least 4 per VM.
    SqlServerCore,
    /// Oracle Processor: cores × the core factor of the CPU, rounded up.
    OracleProcessor,
    /// Oracle Standard Edition 2: occupied sockets.
    OracleSe2Socket,
}

impl CountRule {
    /// Every rule, in the order the help text lists them.
    pub const ALL: [CountRule; 7] = [
        CountRule::Installations,
        CountRule::PhysicalCores,
        CountRule::Sockets,
        CountRule::MicrosoftCore,
        CountRule::SqlServerCore,
        CountRule::OracleProcessor,
        CountRule::OracleSe2Socket,
    ];

    /// The name used on the command line and in the log.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CountRule::Installations => "installations",
            CountRule::PhysicalCores => "physical-cores",
            CountRule::Sockets => "sockets",
            CountRule::MicrosoftCore => "microsoft-core",
            CountRule::SqlServerCore => "sql-server-core",
            CountRule::OracleProcessor => "oracle-processor",
            CountRule::OracleSe2Socket => "oracle-se2-socket",
        }
    }

    /// The metrics a licence under this rule may count.
    #[must_use]
    pub const fn metrics(self) -> &'static [Metric] {
        match self {
            CountRule::Installations => &[Metric::Device, Metric::Instance],
            CountRule::PhysicalCores | CountRule::MicrosoftCore | CountRule::SqlServerCore => {
                &[Metric::Core]
            }
            CountRule::Sockets | CountRule::OracleProcessor | CountRule::OracleSe2Socket => {
                &[Metric::Processor]
            }
        }
    }

    /// Refuses a rule on a metric it does not count.
    ///
    /// # Errors
    ///
    /// Names the rule and the metrics it fits.
    pub fn check_metric(self, metric: Metric) -> Result<(), InputError> {
        if self.metrics().contains(&metric) {
            return Ok(());
        }
        let fits: Vec<&str> = self.metrics().iter().map(|m| m.as_str()).collect();
        Err(InputError::Invalid {
            field: "count_rule",
            value: self.as_str().to_owned(),
            problem: format!(
                "does not count a {metric} license; it fits metric {}",
                fits.join(" or ")
            ),
        })
    }
}

impl fmt::Display for CountRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CountRule {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_lowercase();
        CountRule::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| InputError::Invalid {
                field: "count_rule",
                value: s.to_owned(),
                problem: format!(
                    "is not a count rule; use one of {}",
                    CountRule::ALL.map(CountRule::as_str).join(", ")
                ),
            })
    }
}

/// The largest socket, core or thread count a host may state.
pub const MAX_HOST_UNITS: u32 = 1_000_000;

/// What is known of a host's hardware and operating system.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// Operating system.
    pub os: Option<String>,
    /// Its version.
    pub os_version: Option<String>,
    /// A virtual machine.
    pub is_virtual: bool,
    /// For a VM: the physical host it runs on, when known.
    pub physical_host: Option<String>,
    /// Occupied sockets (physical).
    pub sockets: Option<u32>,
    /// Physical cores, all sockets together.
    pub cores: Option<u32>,
    /// Hardware threads (physical).
    pub threads: Option<u32>,
    /// A VM's virtual cores.
    pub vcpus: Option<u32>,
    /// CPU model or family (for the Oracle core factor).
    pub cpu: Option<String>,
    /// The Oracle core factor given for the host, overriding the table.
    pub core_factor: Option<Decimal>,
}

impl Facts {
    /// Checks facts stated as new input.
    ///
    /// # Errors
    ///
    /// Zero counts, threads fewer than cores, cores that do not divide
    /// among the sockets, hardware counts on a VM or a VM's on a physical
    /// host, a VM that is its own physical host, a core factor outside
    /// (0, 1].
    pub fn check(&self, host: &str) -> Result<(), InputError> {
        let bad = |field: &'static str, value: String, problem: String| InputError::Invalid {
            field,
            value,
            problem,
        };
        for (field, n) in [
            ("sockets", self.sockets),
            ("cores", self.cores),
            ("threads", self.threads),
            ("vcpus", self.vcpus),
        ] {
            match n {
                Some(0) => {
                    return Err(bad(field, "0".into(), "must be at least 1".into()));
                }
                Some(n) if n > MAX_HOST_UNITS => {
                    return Err(bad(
                        field,
                        n.to_string(),
                        format!("is more than {MAX_HOST_UNITS}"),
                    ));
                }
                _ => {}
            }
        }
        if self.is_virtual {
            for (field, n) in [
                ("sockets", self.sockets),
                ("cores", self.cores),
                ("threads", self.threads),
            ] {
                if let Some(n) = n {
                    return Err(bad(
                        field,
                        n.to_string(),
                        "is not stated for a virtual machine: give its virtual cores as vcpus (and its physical host's hardware on that host)".into(),
                    ));
                }
            }
            if let Some(p) = &self.physical_host {
                if match_key(p) == match_key(host) {
                    return Err(bad(
                        "physical_host",
                        p.clone(),
                        format!("is the virtual machine {host:?} itself; name the physical host it runs on"),
                    ));
                }
            }
        } else {
            if let Some(n) = self.vcpus {
                return Err(bad(
                    "vcpus",
                    n.to_string(),
                    "is only for a virtual machine; for a physical host give sockets, cores and threads (or mark it virtual)".into(),
                ));
            }
            if let Some(p) = &self.physical_host {
                return Err(bad(
                    "physical_host",
                    p.clone(),
                    "is only for a virtual machine; mark the host virtual".into(),
                ));
            }
        }
        if let (Some(s), Some(c)) = (self.sockets, self.cores) {
            if c < s || c % s != 0 {
                return Err(bad(
                    "cores",
                    c.to_string(),
                    format!("must be the cores of all {s} sockets together, the same number on each (a multiple of {s})"),
                ));
            }
        }
        if let (Some(c), Some(t)) = (self.cores, self.threads) {
            if t < c {
                return Err(bad(
                    "threads",
                    t.to_string(),
                    format!("is fewer than the {c} cores; give the hardware threads (cores × threads per core)"),
                ));
            }
        }
        if let Some(f) = self.core_factor {
            if f <= Decimal::ZERO || f > Decimal::ONE {
                return Err(bad(
                    "core_factor",
                    f.to_string(),
                    "must be above 0 and at most 1 (Oracle's table has 0.25, 0.5, 0.75 and 1.0)"
                        .into(),
                ));
            }
        }
        Ok(())
    }

    /// The facts in a few words: `physical, 2 × 6 cores, 24 threads,
    /// Windows Server 2022`.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.is_virtual {
            parts.push(match &self.physical_host {
                Some(p) => format!("virtual on {p}"),
                None => "virtual".to_owned(),
            });
            if let Some(v) = self.vcpus {
                parts.push(format!("{v} vCPUs"));
            }
        } else {
            parts.push("physical".to_owned());
            match (self.sockets, self.cores) {
                (Some(s), Some(c)) => parts.push(format!("{s} × {} cores", c / s.max(1))),
                (None, Some(c)) => parts.push(format!("{c} cores")),
                (Some(s), None) => parts.push(format!("{s} sockets")),
                (None, None) => {}
            }
            if let Some(t) = self.threads {
                parts.push(format!("{t} threads"));
            }
        }
        if let Some(cpu) = &self.cpu {
            parts.push(cpu.clone());
        }
        match (&self.os, &self.os_version) {
            (Some(os), Some(v)) => parts.push(format!("{os} {v}")),
            (Some(os), None) => parts.push(os.clone()),
            _ => {}
        }
        parts.join(", ")
    }
}

/// What one event did to a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostChange {
    /// `host_observed`: the host's facts (all of them, replacing earlier).
    Facts(Facts),
    /// `installed`: a product runs on the host (or its edition or version
    /// changed).
    Installed {
        /// Vendor as typed.
        vendor: String,
        /// Product as typed.
        product: String,
        /// Edition.
        edition: Option<String>,
        /// Version.
        version: Option<String>,
    },
    /// `uninstalled`: the product no longer runs on the host.
    Uninstalled {
        /// Vendor as typed.
        vendor: String,
        /// Product as typed.
        product: String,
    },
    /// `hosts_seen`: an inventory saw the vendor's installations on the
    /// host as they were.
    Seen {
        /// Vendor as typed.
        vendor: String,
    },
}

/// One event on a host's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostEntry {
    /// The event's seq.
    pub seq: u64,
    /// Its effective date.
    #[serde(with = "crate::compact::date")]
    pub effective: Date,
    /// The seq of the void that cancelled it.
    pub voided_by: Option<u64>,
    /// What it did.
    pub change: HostChange,
}

/// Everything recorded about one host, keyed by its folded name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostTimeline {
    /// The host name folded ([`match_key`]): hosts differing only by case
    /// are one host.
    pub key: String,
    /// The name as first recorded.
    pub name: String,
    /// Every entry in seq order.
    pub entries: Vec<HostEntry>,
}

/// A product on a host on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallView {
    /// Vendor as recorded.
    pub vendor: String,
    /// Product as recorded.
    pub product: String,
    /// Edition.
    pub edition: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// The effective date of the installation event in force.
    pub since: Date,
    /// Its seq.
    pub seq: u64,
}

/// A host on a date as known at a seq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostView {
    /// The folded name.
    pub key: String,
    /// The name as first recorded.
    pub name: String,
    /// The latest facts, if any.
    pub facts: Option<Facts>,
    /// Software on the host, by folded vendor and product.
    pub software: BTreeMap<(String, String), InstallView>,
    /// The latest date anything was observed of the host.
    pub last_seen: Option<Date>,
    /// The latest seq among the entries applied.
    pub last_seq: u64,
    /// Per vendor (folded): the date and seq of its latest installation,
    /// removal or sighting on the host.
    pub vendor_seen: BTreeMap<String, (Date, u64)>,
    /// The date and seq of the facts in force.
    pub facts_since: Option<(Date, u64)>,
}

impl HostView {
    /// When the host was last observed for `vendor` (folded): its latest
    /// record of the vendor's software or of the host's facts. Only
    /// records a vendor's audit pack discloses count, so that the pack
    /// re-derives the same position.
    #[must_use]
    pub fn observed_for(&self, vendor: &str) -> Option<(Date, u64)> {
        self.vendor_seen.get(vendor).copied().max(self.facts_since)
    }
}

impl HostTimeline {
    /// A new, empty timeline for a host named `name`.
    #[must_use]
    pub fn new(name: &str) -> Self {
        HostTimeline {
            key: match_key(name),
            name: name.trim().to_owned(),
            entries: Vec::new(),
        }
    }

    /// The entry of event `seq`.
    pub fn entry_mut(&mut self, seq: u64) -> Option<&mut HostEntry> {
        self.entries.iter_mut().find(|e| e.seq == seq)
    }

    /// The host on `as_of` as known at `known`; `None` when nothing of it
    /// is counted by then.
    #[must_use]
    pub fn view(&self, as_of: Date, known: u64) -> Option<HostView> {
        let mut applied: Vec<&HostEntry> = self
            .entries
            .iter()
            .filter(|e| counts(e.seq, e.voided_by, known) && e.effective <= as_of)
            .collect();
        if applied.is_empty() {
            return None;
        }
        applied.sort_by_key(|e| (e.effective, e.seq));
        let mut view = HostView {
            key: self.key.clone(),
            name: self.name.clone(),
            facts: None,
            software: BTreeMap::new(),
            last_seen: None,
            last_seq: 0,
            vendor_seen: BTreeMap::new(),
            facts_since: None,
        };
        for e in applied {
            view.last_seen = Some(e.effective);
            view.last_seq = view.last_seq.max(e.seq);
            match &e.change {
                HostChange::Installed { vendor, .. }
                | HostChange::Uninstalled { vendor, .. }
                | HostChange::Seen { vendor } => {
                    view.vendor_seen
                        .insert(match_key(vendor), (e.effective, e.seq));
                }
                HostChange::Facts(_) => view.facts_since = Some((e.effective, e.seq)),
            }
            match &e.change {
                HostChange::Facts(f) => view.facts = Some(f.clone()),
                HostChange::Installed {
                    vendor,
                    product,
                    edition,
                    version,
                } => {
                    view.software.insert(
                        (match_key(vendor), match_key(product)),
                        InstallView {
                            vendor: vendor.clone(),
                            product: product.clone(),
                            edition: edition.clone(),
                            version: version.clone(),
                            since: e.effective,
                            seq: e.seq,
                        },
                    );
                }
                HostChange::Uninstalled { vendor, product } => {
                    view.software
                        .remove(&(match_key(vendor), match_key(product)));
                }
                HostChange::Seen { .. } => {}
            }
        }
        Some(view)
    }
}

/// What a rule made of one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostCount {
    /// The host running the product.
    pub host: String,
    /// Its facts in a few words.
    pub facts: String,
    /// What it adds to the count.
    pub counted: u64,
    /// The derivation: `db01: 2 × 6 cores → 2 × 8 (minimum 8 per
    /// processor) = 16`.
    pub derivation: String,
    /// Not seen for longer than the stale limit.
    pub stale: bool,
    /// The facts the rule needs are missing: counted as 0.
    pub incomplete: bool,
}

/// A count derived from installations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// The rule applied.
    pub rule: CountRule,
    /// The sum.
    pub count: u64,
    /// The latest observation of a host counted.
    pub observed: Date,
    /// The latest seq among the hosts counted.
    pub seq: u64,
    /// Per host running the product, by name.
    pub hosts: Vec<HostCount>,
}

/// The Oracle core factor of a CPU family (Oracle Processor Core Factor
/// Table): Intel and AMD x86 0.5, SPARC T4 and later 0.5, IBM POWER 1.0,
/// every other multicore chip 1.0. Returns the factor and the family it
/// was read as.
#[must_use]
pub fn oracle_core_factor(cpu: Option<&str>) -> (Decimal, &'static str) {
    let half = Decimal::new(5, 1);
    let Some(cpu) = cpu else {
        return (Decimal::ONE, "CPU unknown");
    };
    let c = cpu.to_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| c.contains(w));
    if any(&["intel", "xeon", "core(tm)", "amd", "epyc", "opteron", "x86"]) {
        (half, "x86")
    } else if any(&["sparc"]) {
        (half, "SPARC")
    } else if any(&["power"]) {
        (Decimal::ONE, "IBM POWER")
    } else {
        (Decimal::ONE, "other multicore chip")
    }
}

/// The cores (total) and sockets of the hardware a licence must cover for
/// `view`: its own when physical, its physical host's for a VM when that
/// host's facts are known.
struct Hardware<'a> {
    /// The host whose hardware is counted (the VM's physical host).
    name: &'a str,
    key: &'a str,
    facts: &'a Facts,
    via: Option<&'a str>,
}

fn hardware<'a>(view: &'a HostView, all: &'a BTreeMap<String, HostView>) -> Option<Hardware<'a>> {
    let facts = view.facts.as_ref()?;
    if !facts.is_virtual {
        return Some(Hardware {
            name: &view.name,
            key: &view.key,
            facts,
            via: None,
        });
    }
    let host = all.get(&match_key(facts.physical_host.as_deref()?))?;
    let hf = host.facts.as_ref()?;
    (!hf.is_virtual).then_some(Hardware {
        name: &host.name,
        key: &host.key,
        facts: hf,
        via: Some(&view.name),
    })
}

/// Applies `rule` to every host in `hosts` (all hosts on the date, by
/// folded name) that runs the product: the count and, per host, what the
/// rule made of its facts. `None` when no host runs it.
///
/// A VM whose physical host is known is counted as that host under the
/// rules that license hardware (`physical-cores`, `sockets`,
/// `microsoft-core`, `oracle-processor`, `oracle-se2-socket`), each
/// physical host once however many VMs run the product on it;
/// `sql-server-core` counts a VM's own virtual cores.
#[must_use]
pub fn derive(
    rule: CountRule,
    vendor: &str,
    product: &str,
    hosts: &BTreeMap<String, HostView>,
    stale_before: Option<Date>,
) -> Option<Derived> {
    let want = (match_key(vendor), match_key(product));
    let mut counted_hardware: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    let mut observed: Option<Date> = None;
    let mut seq = 0;
    for view in hosts.values() {
        if !view.software.contains_key(&want) {
            continue;
        }
        let seen = view.observed_for(&want.0);
        observed = observed.max(seen.map(|(d, _)| d));
        seq = seq.max(seen.map_or(0, |(_, s)| s));
        let stale = matches!((seen, stale_before), (Some((s, _)), Some(limit)) if s < limit);
        let facts_text = view
            .facts
            .as_ref()
            .map_or_else(|| "no facts recorded".to_owned(), Facts::describe);
        let (counted, text, incomplete) = count_host(rule, view, hosts, &mut counted_hardware);
        out.push(HostCount {
            host: view.name.clone(),
            facts: facts_text,
            counted,
            derivation: format!("{}: {text}", view.name),
            stale,
            incomplete,
        });
    }
    let observed = observed?;
    let count = out
        .iter()
        .map(|h| h.counted)
        .fold(0u64, u64::saturating_add);
    Some(Derived {
        rule,
        count,
        observed,
        seq,
        hosts: out,
    })
}

fn missing(what: &str) -> (u64, String, bool) {
    (
        0,
        format!("{what} not recorded → not counted (record the host's facts)"),
        true,
    )
}

/// Cores per processor raised to `min`, then the server total to
/// `server_min`: `2 × 6 cores → 2 × 8 (minimum 8 per processor) = 16`.
fn per_core(sockets: u32, cores: u32, min: u32, server_min: u32) -> (u64, String) {
    let per = cores / sockets.max(1);
    let mut text = format!("{sockets} × {per} cores");
    let raised = per.max(min);
    if raised > per {
        text.push_str(&format!(
            " → {sockets} × {raised} (minimum {min} per processor)"
        ));
    }
    let total = u64::from(sockets) * u64::from(raised);
    text.push_str(&format!(" = {total}"));
    if total < u64::from(server_min) {
        text.push_str(&format!(
            " → {server_min} (minimum {server_min} per server)"
        ));
        return (u64::from(server_min), text);
    }
    (total, text)
}

fn count_host<'a>(
    rule: CountRule,
    view: &'a HostView,
    all: &'a BTreeMap<String, HostView>,
    counted_hardware: &mut BTreeSet<&'a str>,
) -> (u64, String, bool) {
    if rule == CountRule::Installations {
        return (1, "installed → 1".into(), false);
    }
    let Some(facts) = view.facts.as_ref() else {
        return missing("CPU facts");
    };
    if rule == CountRule::SqlServerCore && facts.is_virtual {
        let Some(v) = facts.vcpus else {
            return missing("vCPUs");
        };
        return if v < 4 {
            (4, format!("VM, {v} vCPUs → 4 (minimum 4 per VM)"), false)
        } else {
            (u64::from(v), format!("VM, {v} vCPUs = {v}"), false)
        };
    }
    let hw = match hardware(view, all) {
        Some(hw) => hw,
        None if facts.is_virtual => {
            // The physical host is not known: the VM's own virtual cores.
            let Some(v) = facts.vcpus else {
                return missing("vCPUs and physical host");
            };
            return match rule {
                CountRule::MicrosoftCore => {
                    let n = v.max(8);
                    let mut t = format!("VM, physical host unknown, {v} vCPUs");
                    if n > v {
                        t.push_str(&format!(" → {n} (minimum 8 per VM)"));
                    } else {
                        t.push_str(&format!(" = {n}"));
                    }
                    (u64::from(n), t, false)
                }
                CountRule::OracleProcessor => {
                    let (f, family) = match facts.core_factor {
                        Some(f) => (f, "given"),
                        None => oracle_core_factor(facts.cpu.as_deref()),
                    };
                    let n = ceil(Decimal::from(v) * f);
                    (
                        n,
                        format!("VM, physical host unknown, {v} vCPUs × {f} ({family}) = {n} (Oracle counts the physical host's cores: record it)"),
                        false,
                    )
                }
                CountRule::PhysicalCores => (
                    u64::from(v),
                    format!("VM, physical host unknown, {v} vCPUs = {v}"),
                    false,
                ),
                _ => missing("physical host"),
            };
        }
        None => return missing("CPU facts"),
    };
    let prefix = match hw.via {
        Some(_) => format!("VM on {}: ", hw.name),
        None => String::new(),
    };
    if !counted_hardware.insert(hw.key) {
        return (
            0,
            format!("{prefix}{} counted once already", hw.name),
            false,
        );
    }
    let f = hw.facts;
    let (n, text) = match rule {
        CountRule::Installations | CountRule::SqlServerCore => {
            let (Some(s), Some(c)) = (f.sockets, f.cores) else {
                return missing("sockets and cores");
            };
            per_core(s, c, 4, 0)
        }
        CountRule::MicrosoftCore => {
            let (Some(s), Some(c)) = (f.sockets, f.cores) else {
                return missing("sockets and cores");
            };
            per_core(s, c, 8, 16)
        }
        CountRule::PhysicalCores => {
            let Some(c) = f.cores else {
                return missing("cores");
            };
            (u64::from(c), format!("{c} cores = {c}"))
        }
        CountRule::Sockets | CountRule::OracleSe2Socket => {
            let Some(s) = f.sockets else {
                return missing("sockets");
            };
            (u64::from(s), format!("{s} sockets = {s}"))
        }
        CountRule::OracleProcessor => {
            let Some(c) = f.cores else {
                return missing("cores");
            };
            let (factor, family) = match f.core_factor {
                Some(x) => (x, "given"),
                None => oracle_core_factor(f.cpu.as_deref()),
            };
            let n = ceil(Decimal::from(c) * factor);
            let cores = match f.sockets {
                Some(s) => format!("{s} × {} cores", c / s.max(1)),
                None => format!("{c} cores"),
            };
            (n, format!("{cores} × {factor} ({family}) = {n}"))
        }
    };
    (n, format!("{prefix}{text}"), false)
}

fn ceil(d: Decimal) -> u64 {
    u64::try_from(d.ceil()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn physical(name: &str, sockets: u32, cores: u32, cpu: Option<&str>) -> HostView {
        HostView {
            key: match_key(name),
            name: name.into(),
            facts: Some(Facts {
                sockets: Some(sockets),
                cores: Some(cores),
                threads: Some(cores * 2),
                cpu: cpu.map(str::to_owned),
                ..Facts::default()
            }),
            software: BTreeMap::new(),
            last_seen: Some(date(2025, 3, 1)),
            last_seq: 1,
            vendor_seen: BTreeMap::new(),
            facts_since: Some((date(2025, 3, 1), 1)),
        }
    }

    fn vm(name: &str, vcpus: u32, on: Option<&str>) -> HostView {
        HostView {
            key: match_key(name),
            name: name.into(),
            facts: Some(Facts {
                is_virtual: true,
                physical_host: on.map(str::to_owned),
                vcpus: Some(vcpus),
                ..Facts::default()
            }),
            software: BTreeMap::new(),
            last_seen: Some(date(2025, 3, 1)),
            last_seq: 1,
            vendor_seen: BTreeMap::new(),
            facts_since: Some((date(2025, 3, 1), 1)),
        }
    }

    fn running(mut v: HostView, vendor: &str, product: &str) -> HostView {
        v.software.insert(
            (match_key(vendor), match_key(product)),
            InstallView {
                vendor: vendor.into(),
                product: product.into(),
                edition: None,
                version: None,
                since: date(2025, 1, 1),
                seq: 1,
            },
        );
        v
    }

    fn count(rule: CountRule, hosts: Vec<HostView>) -> Derived {
        let all: BTreeMap<String, HostView> =
            hosts.into_iter().map(|h| (h.key.clone(), h)).collect();
        derive(rule, "V", "P", &all, None).expect("a host runs it")
    }

    fn one(rule: CountRule, host: HostView) -> (u64, String) {
        let d = count(rule, vec![running(host, "V", "P")]);
        (d.count, d.hosts[0].derivation.clone())
    }

    #[test]
    fn microsoft_core_minimums() {
        // 1 socket × 4 cores: 8 per processor, then 16 per server.
        assert_eq!(
            one(CountRule::MicrosoftCore, physical("app01", 1, 4, None)),
            (16, "app01: 1 × 4 cores → 1 × 8 (minimum 8 per processor) = 8 → 16 (minimum 16 per server)".into())
        );
        // 2 × 6 cores: 2 × 8 = 16.
        assert_eq!(
            one(CountRule::MicrosoftCore, physical("db01", 2, 12, None)),
            (
                16,
                "db01: 2 × 6 cores → 2 × 8 (minimum 8 per processor) = 16".into()
            )
        );
        // 2 × 12 cores: no minimum applies.
        assert_eq!(
            one(CountRule::MicrosoftCore, physical("db02", 2, 24, None)),
            (24, "db02: 2 × 12 cores = 24".into())
        );
        // 1 × 20 cores: 20, above both minimums.
        assert_eq!(
            one(CountRule::MicrosoftCore, physical("x", 1, 20, None)).0,
            20
        );
        // A VM whose host is unknown: at least 8.
        assert_eq!(one(CountRule::MicrosoftCore, vm("vm1", 2, None)).0, 8);
    }

    #[test]
    fn sql_server_core_minimums() {
        // A 2-vCPU VM: 4 per VM.
        assert_eq!(
            one(CountRule::SqlServerCore, vm("sql-vm", 2, Some("hv01"))),
            (4, "sql-vm: VM, 2 vCPUs → 4 (minimum 4 per VM)".into())
        );
        assert_eq!(one(CountRule::SqlServerCore, vm("sql-vm", 6, None)).0, 6);
        // Physical 2 × 2 cores: 4 per processor → 8.
        assert_eq!(
            one(CountRule::SqlServerCore, physical("sql01", 2, 4, None)),
            (
                8,
                "sql01: 2 × 2 cores → 2 × 4 (minimum 4 per processor) = 8".into()
            )
        );
        assert_eq!(
            one(CountRule::SqlServerCore, physical("sql02", 2, 16, None)).0,
            16
        );
    }

    #[test]
    fn oracle_processor_factor_rounds_up() {
        // 2 × 8-core Xeon: 16 × 0.5 = 8.
        assert_eq!(
            one(
                CountRule::OracleProcessor,
                physical("ora01", 2, 16, Some("Intel Xeon Gold 6244"))
            ),
            (8, "ora01: 2 × 8 cores × 0.5 (x86) = 8".into())
        );
        // 1 × 3 cores AMD: 1.5 → 2.
        assert_eq!(
            one(
                CountRule::OracleProcessor,
                physical("a", 1, 3, Some("AMD EPYC 7302"))
            )
            .0,
            2
        );
        // IBM POWER: factor 1.0.
        assert_eq!(
            one(
                CountRule::OracleProcessor,
                physical("p", 1, 8, Some("IBM POWER9"))
            )
            .0,
            8
        );
        // Unknown CPU: 1.0, the table's "all other multicore chips".
        assert_eq!(
            one(CountRule::OracleProcessor, physical("u", 1, 4, None)).0,
            4
        );
        // A factor given on the host wins.
        let mut h = physical("g", 1, 4, Some("Intel Xeon"));
        h.facts.as_mut().unwrap().core_factor = Some(Decimal::new(25, 2));
        assert_eq!(one(CountRule::OracleProcessor, h).0, 1);
    }

    #[test]
    fn socket_and_core_rules() {
        assert_eq!(
            one(CountRule::OracleSe2Socket, physical("se2", 2, 16, None)),
            (2, "se2: 2 sockets = 2".into())
        );
        assert_eq!(one(CountRule::Sockets, physical("s", 4, 16, None)).0, 4);
        assert_eq!(
            one(CountRule::PhysicalCores, physical("c", 2, 16, None)),
            (16, "c: 16 cores = 16".into())
        );
        assert_eq!(
            one(CountRule::Installations, vm("v", 2, None)),
            (1, "v: installed → 1".into())
        );
    }

    #[test]
    fn vms_count_their_physical_host_once() {
        // Two VMs on one 2 × 8 Xeon host under Oracle: the host once.
        let d = count(
            CountRule::OracleProcessor,
            vec![
                physical("hv01", 2, 16, Some("Intel Xeon")),
                running(vm("ora-a", 4, Some("HV01")), "V", "P"),
                running(vm("ora-b", 4, Some("hv01")), "V", "P"),
            ],
        );
        assert_eq!(d.count, 8);
        assert_eq!(d.hosts.len(), 2);
        assert_eq!(
            d.hosts[0].derivation,
            "ora-a: VM on hv01: 2 × 8 cores × 0.5 (x86) = 8"
        );
        assert_eq!(
            d.hosts[1].derivation,
            "ora-b: VM on hv01: hv01 counted once already"
        );
    }

    #[test]
    fn missing_facts_count_nothing_and_say_so() {
        let mut h = physical("bare", 1, 1, None);
        h.facts = None;
        let d = count(CountRule::MicrosoftCore, vec![running(h, "V", "P")]);
        assert_eq!(d.count, 0);
        assert!(d.hosts[0].incomplete);
        assert!(
            d.hosts[0].derivation.contains("not counted"),
            "{}",
            d.hosts[0].derivation
        );
        // A host without the product is not in the derivation at all.
        let all: BTreeMap<String, HostView> =
            [(String::from("x"), physical("x", 1, 4, None))].into();
        assert_eq!(derive(CountRule::MicrosoftCore, "V", "P", &all, None), None);
    }

    #[test]
    fn rules_fit_their_metrics_and_names_parse() {
        assert!(CountRule::MicrosoftCore.check_metric(Metric::Core).is_ok());
        let e = CountRule::MicrosoftCore
            .check_metric(Metric::User)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "count_rule \"microsoft-core\" does not count a user license; it fits metric core"
        );
        assert!(CountRule::Installations
            .check_metric(Metric::Device)
            .is_ok());
        assert!(CountRule::OracleProcessor
            .check_metric(Metric::Core)
            .is_err());
        for r in CountRule::ALL {
            assert_eq!(r.as_str().parse::<CountRule>().unwrap(), r);
        }
        let e = "per-core".parse::<CountRule>().unwrap_err();
        assert!(
            e.to_string()
                .contains("is not a count rule; use one of installations"),
            "{e}"
        );
    }

    #[test]
    fn bad_facts_are_refused() {
        let ok = Facts {
            sockets: Some(2),
            cores: Some(12),
            threads: Some(24),
            ..Facts::default()
        };
        assert!(ok.check("db01").is_ok());
        let bad = |f: Facts| f.check("db01").unwrap_err().to_string();
        assert!(bad(Facts {
            cores: Some(0),
            ..ok.clone()
        })
        .starts_with("cores \"0\" must be at least 1"));
        assert!(bad(Facts {
            sockets: Some(0),
            ..ok.clone()
        })
        .starts_with("sockets \"0\""));
        assert!(bad(Facts {
            threads: Some(8),
            ..ok.clone()
        })
        .contains("fewer than the 12 cores"));
        assert!(bad(Facts {
            cores: Some(13),
            ..ok.clone()
        })
        .contains("multiple of 2"));
        let v = Facts {
            is_virtual: true,
            physical_host: Some("DB01".into()),
            vcpus: Some(2),
            ..Facts::default()
        };
        assert!(bad(v.clone()).contains("is the virtual machine \"db01\" itself"));
        assert!(bad(Facts {
            physical_host: None,
            cores: Some(2),
            ..v
        })
        .contains("give its virtual cores as vcpus"));
        assert!(bad(Facts {
            vcpus: Some(2),
            ..ok.clone()
        })
        .contains("only for a virtual machine"));
        assert!(bad(Facts {
            core_factor: Some(Decimal::new(15, 1)),
            ..ok
        })
        .contains("at most 1"));
    }

    #[test]
    fn a_timeline_applies_entries_by_date_and_knowledge() {
        let mut t = HostTimeline::new("DB01");
        let inst = |version: &str| HostChange::Installed {
            vendor: "Microsoft".into(),
            product: "SQL Server".into(),
            edition: None,
            version: Some(version.into()),
        };
        let push = |t: &mut HostTimeline, seq: u64, on: Date, change: HostChange| {
            t.entries.push(HostEntry {
                seq,
                effective: on,
                voided_by: None,
                change,
            });
        };
        push(&mut t, 1, date(2025, 1, 1), inst("2019"));
        push(&mut t, 2, date(2025, 6, 1), inst("2022"));
        push(
            &mut t,
            3,
            date(2025, 9, 1),
            HostChange::Uninstalled {
                vendor: "microsoft".into(),
                product: "sql server".into(),
            },
        );
        assert_eq!(t.view(date(2024, 12, 31), 3), None);
        let v = |t: &HostTimeline, as_of: Date, known: u64| {
            t.view(as_of, known).map(|v| {
                v.software
                    .values()
                    .map(|i| i.version.clone().unwrap())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(v(&t, date(2025, 3, 1), 3), Some(vec!["2019".to_owned()]));
        assert_eq!(v(&t, date(2025, 7, 1), 3), Some(vec!["2022".to_owned()]));
        assert_eq!(v(&t, date(2025, 7, 1), 1), Some(vec!["2019".to_owned()]));
        assert_eq!(v(&t, date(2025, 10, 1), 3), Some(vec![]));
        assert_eq!(v(&t, date(2025, 10, 1), 2), Some(vec!["2022".to_owned()]));
        t.entries[1].voided_by = Some(4);
        assert_eq!(v(&t, date(2025, 7, 1), 4), Some(vec!["2019".to_owned()]));
        assert_eq!(v(&t, date(2025, 7, 1), 3), Some(vec!["2022".to_owned()]));
    }
}
