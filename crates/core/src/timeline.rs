//! The bitemporal model: per-license timelines and per-product usage series.
//!
//! Each entry keeps its seq (transaction time), its effective date (valid
//! time) and the seq of the void that cancelled it, if any. A query for
//! business date `D` as known at seq `T` counts an entry when
//! `seq <= T` and it was not voided by a void with seq `<= T`, then applies
//! the counted entries with `effective <= D` in `(effective, seq)` order.
//! These structures are what the store persists (postcard) as projections,
//! so a query costs one decode per license, never a replay of the log.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::record::Purchased;
use crate::types::{Metric, Money, ProductKey, Quantity};

/// Whether an entry written at `seq`, voided at `voided_by`, counts for a
/// query known at seq `known`.
#[must_use]
pub fn counts(seq: u64, voided_by: Option<u64>, known: u64) -> bool {
    seq <= known && voided_by.is_none_or(|v| v > known)
}

/// A license's attributes as purchased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// Vendor as typed.
    pub vendor: String,
    /// Product as typed.
    pub product: String,
    /// Edition.
    pub edition: Option<String>,
    /// What it counts.
    pub metric: Metric,
    /// How many.
    pub quantity: Quantity,
    /// First day.
    #[serde(with = "crate::compact::date")]
    pub start: Date,
    /// Last day, inclusive.
    #[serde(with = "crate::compact::opt_date")]
    pub end: Option<Date>,
    /// Last day of maintenance.
    #[serde(with = "crate::compact::opt_date")]
    pub maintenance_end: Option<Date>,
    /// What the purchase cost.
    pub cost: Option<Money>,
    /// Purchase order / invoice.
    pub po: Option<String>,
    /// Reseller.
    pub reseller: Option<String>,
    /// Responsible person.
    pub owner: Option<String>,
    /// Notice period in days.
    pub notice_days: Option<u32>,
    /// Renews unless cancelled.
    pub auto_renew: bool,
    /// Months an automatic renewal adds.
    pub renewal_months: Option<u32>,
    /// Labels.
    pub tags: Vec<String>,
    /// How usage is counted from installations.
    pub count_rule: Option<crate::inventory::CountRule>,
}

impl From<&Purchased> for Terms {
    fn from(p: &Purchased) -> Self {
        Terms {
            vendor: p.vendor.trim().to_owned(),
            product: p.product.trim().to_owned(),
            edition: p.edition.clone(),
            metric: p.metric,
            quantity: p.qty,
            start: p.start,
            end: p.end,
            maintenance_end: p.maintenance_end,
            cost: money(p.cost, p.currency.as_deref()),
            po: p.po.clone(),
            reseller: p.reseller.clone(),
            owner: p.owner.clone(),
            notice_days: p.notice_days,
            auto_renew: p.auto_renew,
            renewal_months: p.renewal_months,
            tags: p.tags.clone(),
            count_rule: p.count_rule,
        }
    }
}

/// Joins a record's `cost` and `currency` fields.
#[must_use]
pub fn money(cost: Option<rust_decimal::Decimal>, currency: Option<&str>) -> Option<Money> {
    match (cost, currency) {
        (Some(amount), Some(currency)) => Some(Money {
            amount,
            currency: currency.to_owned(),
        }),
        _ => None,
    }
}

/// What one event did to a license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// The purchase.
    Purchased(Box<Terms>),
    /// The term end moved; quantity or renewal period may change with it.
    Extended {
        /// New end.
        #[serde(with = "crate::compact::date")]
        until: Date,
        /// New quantity.
        quantity: Option<Quantity>,
        /// What the extension cost.
        cost: Option<Money>,
        /// New renewal period.
        renewal_months: Option<u32>,
    },
    /// The quantity changed.
    Adjusted {
        /// New quantity.
        quantity: Quantity,
        /// What the change cost.
        cost: Option<Money>,
    },
    /// The license stops counting.
    Cancelled,
    /// A document belongs to the license.
    Document {
        /// BLAKE3 hex of the document.
        hash: String,
        /// File name.
        filename: String,
        /// Document kind.
        kind: String,
    },
}

/// One event in a license's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Transaction-time position.
    pub seq: u64,
    /// Valid-time date.
    #[serde(with = "crate::compact::date")]
    pub effective: Date,
    /// Seq of the void that cancelled it.
    pub voided_by: Option<u64>,
    /// What it did.
    pub change: Change,
}

/// Everything that ever happened to one license, in seq order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseTimeline {
    /// License id.
    pub id: String,
    /// Entries in seq order; the first is always the purchase.
    pub entries: Vec<Entry>,
}

/// The status of a license on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Before its term start.
    Pending,
    /// Within its term: counts as entitled.
    Active,
    /// Its end passed without a cancellation while set to renew
    /// automatically: assumed renewed (counts as entitled) until an `extend`
    /// or `cancel` confirms it.
    RenewedAssumed,
    /// After its term end.
    Expired,
    /// Cancelled on or before the date.
    Cancelled,
}

impl Status {
    /// The name shown and written in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Active => "active",
            Status::RenewedAssumed => "renewed-assumed",
            Status::Expired => "expired",
            Status::Cancelled => "cancelled",
        }
    }

    /// Whether the license counts as entitled.
    #[must_use]
    pub const fn is_entitled(self) -> bool {
        matches!(self, Status::Active | Status::RenewedAssumed)
    }
}

/// A document bound to a license, as seen at a moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRef {
    /// BLAKE3 hex.
    pub hash: String,
    /// File name.
    pub filename: String,
    /// Kind.
    pub kind: String,
    /// The attaching event.
    pub seq: u64,
}

/// The latest cost paid for a license as of a date, with the quantity it
/// bought and the period it paid for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidCost {
    /// What was paid.
    pub money: Money,
    /// What it bought: the purchase's or extension's quantity, or for a
    /// true-up (`adjust` with a cost) the increase.
    pub quantity: Quantity,
    /// The period paid for: first day and last day (`None`: perpetual).
    pub period: (Date, Option<Date>),
}

/// A license as it stood on a date, as known at a seq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseView {
    /// License id.
    pub id: String,
    /// Attributes with every counted change up to the date applied.
    pub terms: Terms,
    /// The term end as written, before any assumed renewal.
    pub recorded_end: Option<Date>,
    /// Status on the date.
    pub status: Status,
    /// Date of the cancellation, if cancelled by then.
    pub cancelled_on: Option<Date>,
    /// Seq of the purchase.
    pub purchased_seq: u64,
    /// Effective date of the purchase.
    pub purchased_on: Date,
    /// The latest cost paid (purchase, extension or true-up) with the
    /// quantity it bought, for unit prices.
    pub last_cost: Option<(Money, Quantity)>,
    /// The latest cost paid with what it bought and the period it paid
    /// for, for the position's unit prices.
    pub paid: Option<PaidCost>,
    /// Documents attached by then.
    pub documents: Vec<DocumentRef>,
}

impl LicenseTimeline {
    /// Starts a timeline with its purchase.
    #[must_use]
    pub fn new(id: String, seq: u64, effective: Date, terms: Terms) -> Self {
        LicenseTimeline {
            id,
            entries: vec![Entry {
                seq,
                effective,
                voided_by: None,
                change: Change::Purchased(Box::new(terms)),
            }],
        }
    }

    /// The purchase entry.
    #[must_use]
    pub fn purchase(&self) -> Option<(&Entry, &Terms)> {
        let first = self.entries.first()?;
        match &first.change {
            Change::Purchased(t) => Some((first, t)),
            _ => None,
        }
    }

    /// The license on `as_of`, as known at seq `known`; `None` when it did
    /// not exist then (not yet purchased in either time, or its purchase
    /// voided).
    #[must_use]
    pub fn view(&self, as_of: Date, known: u64) -> Option<LicenseView> {
        self.view_with(as_of, known, &mut Vec::new())
    }

    /// [`LicenseTimeline::view`] with a scratch list for the entries it
    /// applies, for callers that view many licenses one after the other
    /// (a position views every license): one allocation for all of them.
    #[must_use]
    pub fn view_with<'a>(
        &'a self,
        as_of: Date,
        known: u64,
        applied: &mut Vec<&'a Entry>,
    ) -> Option<LicenseView> {
        let (purchase, terms) = self.purchase()?;
        if !counts(purchase.seq, purchase.voided_by, known) || purchase.effective > as_of {
            return None;
        }
        applied.clear();
        applied.extend(
            self.entries[1..]
                .iter()
                .filter(|e| counts(e.seq, e.voided_by, known) && e.effective <= as_of),
        );
        // Entries are kept in seq order, which is nearly always date order.
        if !applied.is_sorted_by_key(|e| (e.effective, e.seq)) {
            applied.sort_by_key(|e| (e.effective, e.seq));
        }

        let mut terms = terms.clone();
        let mut cancelled_on = None;
        let mut last_cost = terms.cost.clone().map(|c| (c, terms.quantity));
        let mut paid = terms.cost.clone().map(|money| PaidCost {
            money,
            quantity: terms.quantity,
            period: (terms.start, terms.end),
        });
        // The period the latest extension paid for: from the day after the
        // previous end (or the extension's date) to its new end.
        let mut period = (terms.start, terms.end);
        let mut documents = Vec::new();
        for entry in applied.drain(..) {
            match &entry.change {
                Change::Purchased(_) => {}
                Change::Extended {
                    until,
                    quantity,
                    cost,
                    renewal_months,
                } => {
                    let from = terms
                        .end
                        .and_then(|d| d.tomorrow().ok())
                        .unwrap_or(entry.effective);
                    terms.end = Some(*until);
                    period = (from, terms.end);
                    if let Some(q) = quantity {
                        terms.quantity = *q;
                    }
                    if let Some(m) = renewal_months {
                        terms.renewal_months = Some(*m);
                    }
                    if let Some(c) = cost {
                        last_cost = Some((c.clone(), terms.quantity));
                        paid = Some(PaidCost {
                            money: c.clone(),
                            quantity: terms.quantity,
                            period,
                        });
                    }
                }
                Change::Adjusted { quantity, cost } => {
                    // A true-up buys the increase, on the basis of the
                    // period it falls in.
                    let bought = match (terms.quantity, *quantity) {
                        (Quantity::Count(old), Quantity::Count(new)) if new > old => {
                            Quantity::Count(new - old)
                        }
                        (_, new) => new,
                    };
                    terms.quantity = *quantity;
                    if let Some(c) = cost {
                        last_cost = Some((c.clone(), terms.quantity));
                        paid = Some(PaidCost {
                            money: c.clone(),
                            quantity: bought,
                            period,
                        });
                    }
                }
                Change::Cancelled => {
                    cancelled_on.get_or_insert(entry.effective);
                }
                Change::Document {
                    hash,
                    filename,
                    kind,
                } => documents.push(DocumentRef {
                    hash: hash.clone(),
                    filename: filename.clone(),
                    kind: kind.clone(),
                    seq: entry.seq,
                }),
            }
        }
        let recorded_end = terms.end;
        let status = if cancelled_on.is_some() {
            Status::Cancelled
        } else if as_of < terms.start {
            Status::Pending
        } else {
            match terms.end {
                None => Status::Active,
                Some(end) if as_of <= end => Status::Active,
                Some(end) => match assumed_renewal_end(&terms, end, as_of) {
                    Some(renewed) => {
                        terms.end = Some(renewed);
                        Status::RenewedAssumed
                    }
                    None => Status::Expired,
                },
            }
        };
        Some(LicenseView {
            id: self.id.clone(),
            terms,
            recorded_end,
            status,
            cancelled_on,
            purchased_seq: purchase.seq,
            purchased_on: purchase.effective,
            last_cost,
            paid,
            documents,
        })
    }

    /// Seq of a counted cancellation, with its effective date, as known at
    /// `known` (regardless of business date).
    #[must_use]
    pub fn cancellation(&self, known: u64) -> Option<(u64, Date)> {
        self.entries
            .iter()
            .find(|e| matches!(e.change, Change::Cancelled) && counts(e.seq, e.voided_by, known))
            .map(|e| (e.seq, e.effective))
    }

    /// Finds the entry written at `seq`.
    pub fn entry_mut(&mut self, seq: u64) -> Option<&mut Entry> {
        self.entries
            .binary_search_by_key(&seq, |e| e.seq)
            .ok()
            .map(|i| &mut self.entries[i])
    }
}

/// For an auto-renewing license whose recorded `end` lies before `as_of`:
/// the end of the renewal period that contains `as_of`, adding
/// `renewal_months` (12 when not given) to the end as often as needed.
/// `None` when the license does not renew automatically.
#[must_use]
pub fn assumed_renewal_end(terms: &Terms, end: Date, as_of: Date) -> Option<Date> {
    if !terms.auto_renew {
        return None;
    }
    let months = i64::from(terms.renewal_months.unwrap_or(12));
    // Each period runs from the day after the previous end. Periods are
    // added to the original end with month arithmetic from the term start,
    // so a term ending on the last day of a month keeps doing so.
    let mut periods: i64 = 1;
    loop {
        let next = add_months_to_end(end, months * periods)?;
        if as_of <= next {
            return Some(next);
        }
        periods += 1;
        if periods > 10_000 {
            return None;
        }
    }
}

/// `end` moved by `months` calendar months. The day after `end` is the next
/// period's first day; the period's last day is the day before that first
/// day moved by the months (so 2024-01-01..2024-12-31 renews to
/// 2025-12-31, and a term ending 2024-02-29 renews to 2025-02-28).
fn add_months_to_end(end: Date, months: i64) -> Option<Date> {
    let next_first = end.tomorrow().ok()?;
    let span = jiff::Span::new().try_months(months).ok()?;
    next_first.checked_add(span).ok()?.yesterday().ok()
}

/// One usage count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageEntry {
    /// Transaction-time position.
    pub seq: u64,
    /// The date of the count.
    #[serde(with = "crate::compact::date")]
    pub effective: Date,
    /// Seq of the void that cancelled it.
    pub voided_by: Option<u64>,
    /// How many were in use.
    pub count: u64,
    /// Where it came from: an index into the series' `sources` (a million
    /// counts from a handful of sources are not a million strings).
    pub source: Option<u32>,
}

/// The calendar year a usage count is dated in: the store keeps each
/// product's counts a year per value, so that a write rewrites only the
/// years it adds to and a position reads only the years it needs.
///
/// (Months were tried: a history of a few counts a month per product then
/// makes a hundred tiny values per product, and sled's cost per value made
/// imports twice as slow and its files twice as large.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Year(u32);

impl Year {
    /// The year `date` falls in.
    #[must_use]
    pub fn of(date: Date) -> Year {
        // Years are -9999..=9999: the offset keeps the number positive and
        // in the order of the years.
        Year(u32::try_from(i32::from(date.year()) + 10_000).unwrap_or(0))
    }

    /// The year as a number that sorts like the years.
    #[must_use]
    pub const fn number(self) -> u32 {
        self.0
    }

    /// The year with that number.
    #[must_use]
    pub const fn from_number(n: u32) -> Year {
        Year(n)
    }
}

/// Every usage count of one vendor/product/metric, sorted by
/// `(effective, seq)`; or, as the store keeps and a batch changes it, the
/// counts of one [`Year`] of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageSeries {
    /// What is counted.
    pub key: ProductKey,
    /// Vendor as first typed (in the year, for a year of a series).
    pub vendor: String,
    /// Product as first typed (in the year, for a year of a series).
    pub product: String,
    /// Counts, sorted by `(effective, seq)`.
    pub entries: Vec<UsageEntry>,
    /// The distinct sources the counts name.
    pub sources: Vec<String>,
    /// The highest seq inserted.
    pub last_seq: u64,
}

impl UsageSeries {
    /// Inserts a count in `(effective, seq)` order. A count whose seq is
    /// not after the series' last one was applied before and is skipped, so
    /// replaying the log tail after a crash is harmless.
    pub fn insert(&mut self, entry: UsageEntry) {
        if entry.seq <= self.last_seq {
            return;
        }
        self.last_seq = entry.seq;
        let at = self
            .entries
            .partition_point(|e| (e.effective, e.seq) <= (entry.effective, entry.seq));
        self.entries.insert(at, entry);
    }

    /// The index of a source name, added when new.
    pub fn intern(&mut self, source: Option<&str>) -> Option<u32> {
        let source = source?;
        let i = match self.sources.iter().position(|s| s == source) {
            Some(i) => i,
            None => {
                self.sources.push(source.to_owned());
                self.sources.len() - 1
            }
        };
        u32::try_from(i).ok()
    }

    /// The source name of an entry.
    #[must_use]
    pub fn source_of(&self, entry: &UsageEntry) -> Option<&str> {
        entry
            .source
            .and_then(|i| self.sources.get(i as usize))
            .map(String::as_str)
    }

    /// The latest counted usage dated on or before `as_of` as known at
    /// `known` (ties on the date go to the higher seq).
    #[must_use]
    pub fn latest(&self, as_of: Date, known: u64) -> Option<&UsageEntry> {
        let end = self.entries.partition_point(|e| e.effective <= as_of);
        self.entries[..end]
            .iter()
            .rev()
            .find(|e| counts(e.seq, e.voided_by, known))
    }

    /// Adds the counts of `more` (in the order they were written), with
    /// their sources; counts already in the series are skipped.
    pub fn absorb(&mut self, more: &UsageSeries) {
        for e in &more.entries {
            let source = self.intern(more.source_of(e));
            self.insert(UsageEntry {
                source,
                ..e.clone()
            });
        }
    }

    /// Finds the entry written at `seq`.
    pub fn entry_mut(&mut self, seq: u64) -> Option<&mut UsageEntry> {
        self.entries.iter_mut().find(|e| e.seq == seq)
    }

    /// Appends the counts of a later year of the same series (with their
    /// sources), so that years read in order make the whole series.
    pub fn extend_with(&mut self, later: &UsageSeries) {
        for e in &later.entries {
            let source = self.intern(later.source_of(e));
            self.entries.push(UsageEntry {
                source,
                ..e.clone()
            });
        }
        self.last_seq = self.last_seq.max(later.last_seq);
    }
}

/// One binding of a document to a license or a vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The `document_attached` event.
    pub seq: u64,
    /// Its effective date.
    #[serde(with = "crate::compact::date")]
    pub effective: Date,
    /// The file name it was attached under.
    pub filename: String,
    /// Its kind (contract, invoice, …).
    pub kind: String,
    /// The license it belongs to.
    pub license: Option<String>,
    /// The vendor it belongs to, when attached to a vendor.
    pub vendor: Option<String>,
    /// The void that cancelled the binding.
    pub voided_by: Option<u64>,
}

/// A document in the archive and every event that bound it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentEntry {
    /// BLAKE3 hex of its bytes.
    pub hash: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type as sniffed when first attached.
    pub media_type: String,
    /// Bindings in seq order.
    pub attachments: Vec<Attachment>,
}

impl DocumentEntry {
    /// The bindings that count as known at seq `known`.
    pub fn counted(&self, known: u64) -> impl Iterator<Item = &Attachment> {
        self.attachments
            .iter()
            .filter(move |a| counts(a.seq, a.voided_by, known))
    }
}

/// What kind of event a seq holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// `purchased`
    Purchased,
    /// `extended`
    Extended,
    /// `adjusted`
    Adjusted,
    /// `cancelled`
    Cancelled,
    /// `usage_recorded`
    UsageRecorded,
    /// `voided`
    Voided,
    /// `document_attached`
    DocumentAttached,
    /// `host_observed`
    HostObserved,
    /// `installed`
    Installed,
    /// `uninstalled`
    Uninstalled,
    /// `hosts_seen`
    HostsSeen,
}

/// What an event touched, so that a void can find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// Nothing derived (a document attached to a vendor).
    Nothing,
    /// A license timeline.
    License(String),
    /// A year of a usage series.
    Usage(ProductKey, Year),
    /// Another event (a void's target).
    Event(u64),
    /// A document binding (and the license timeline, when bound to one).
    Document {
        /// The document's hash.
        hash: String,
        /// The license it was bound to.
        license: Option<String>,
    },
    /// Host timelines, by folded host name.
    Hosts(Vec<String>),
}

/// What the derived state remembers of each seq.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMeta {
    /// The seq.
    pub seq: u64,
    /// Transaction time.
    #[serde(with = "crate::compact::timestamp")]
    pub recorded_at: Timestamp,
    /// Its type.
    pub kind: EventKind,
    /// What it touched.
    pub target: Target,
    /// The void that cancelled it.
    pub voided_by: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn terms(start: &str, end: Option<&str>) -> Terms {
        Terms {
            vendor: "Acme".into(),
            product: "CAD".into(),
            edition: None,
            metric: Metric::User,
            quantity: Quantity::Count(10),
            start: d(start),
            end: end.map(d),
            maintenance_end: None,
            cost: None,
            po: None,
            reseller: None,
            owner: None,
            notice_days: None,
            auto_renew: false,
            renewal_months: None,
            tags: vec![],
            count_rule: None,
        }
    }

    #[test]
    fn status_follows_the_term_with_inclusive_end() {
        let t = LicenseTimeline::new(
            "L-1".into(),
            1,
            d("2024-01-01"),
            terms("2024-01-01", Some("2024-12-31")),
        );
        assert!(t.view(d("2023-12-31"), 1).is_none());
        assert_eq!(t.view(d("2024-01-01"), 1).unwrap().status, Status::Active);
        assert_eq!(t.view(d("2024-12-31"), 1).unwrap().status, Status::Active);
        assert_eq!(t.view(d("2025-01-01"), 1).unwrap().status, Status::Expired);
        assert!(t.view(d("2024-06-01"), 0).is_none());
    }

    #[test]
    fn pending_before_start() {
        let t = LicenseTimeline::new("L-1".into(), 1, d("2024-01-01"), terms("2024-03-01", None));
        assert_eq!(t.view(d("2024-02-01"), 1).unwrap().status, Status::Pending);
        assert_eq!(t.view(d("2030-02-01"), 1).unwrap().status, Status::Active);
    }

    #[test]
    fn renewal_periods_keep_month_ends() {
        let mut t = terms("2023-03-01", Some("2024-02-29"));
        t.auto_renew = true;
        assert_eq!(
            assumed_renewal_end(&t, d("2024-02-29"), d("2024-03-01")),
            Some(d("2025-02-28"))
        );
        t.renewal_months = Some(1);
        assert_eq!(
            assumed_renewal_end(&t, d("2024-01-31"), d("2024-02-15")),
            Some(d("2024-02-29"))
        );
        assert_eq!(
            assumed_renewal_end(&t, d("2024-12-31"), d("2025-03-05")),
            Some(d("2025-03-31"))
        );
    }

    #[test]
    fn latest_usage_breaks_date_ties_by_seq() {
        let mut s = UsageSeries {
            key: ProductKey::new("a", "b", Metric::User),
            vendor: "a".into(),
            product: "b".into(),
            entries: vec![],
            sources: vec![],
            last_seq: 0,
        };
        for (seq, date, count) in [
            (3, "2024-01-10", 4),
            (5, "2024-01-10", 7),
            (9, "2024-02-01", 1),
        ] {
            s.insert(UsageEntry {
                seq,
                effective: d(date),
                voided_by: None,
                count,
                source: None,
            });
        }
        assert_eq!(s.latest(d("2024-01-31"), 100).unwrap().count, 7);
        assert_eq!(s.latest(d("2024-01-31"), 4).unwrap().count, 4);
        assert_eq!(s.latest(d("2024-03-01"), 100).unwrap().count, 1);
        assert!(s.latest(d("2024-01-09"), 100).is_none());
    }

    #[test]
    fn timeline_round_trips_through_serde() {
        let mut t = LicenseTimeline::new(
            "L-1".into(),
            1,
            d("2024-01-01"),
            terms("2024-01-01", Some("2024-12-31")),
        );
        t.entries.push(Entry {
            seq: 2,
            effective: d("2024-02-01"),
            voided_by: Some(3),
            change: Change::Adjusted {
                quantity: Quantity::Unlimited,
                cost: Some(Money {
                    amount: "12.50".parse().unwrap(),
                    currency: "EUR".into(),
                }),
            },
        });
        let bytes = postcard_round_trip(&t);
        assert_eq!(bytes, t);
    }

    fn postcard_round_trip(t: &LicenseTimeline) -> LicenseTimeline {
        // core does not depend on postcard; serde_json stands in for the
        // human-readable path here, and the store tests cover postcard.
        serde_json::from_str(&serde_json::to_string(t).unwrap()).unwrap()
    }
}
