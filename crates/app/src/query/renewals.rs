//! Terms ending in (as-of, as-of + within], each with its last day to
//! cancel, and the iCalendar file of those deadlines.
//!
//! `cancel_by` = end − notice days, in calendar days (leap days and year
//! ends count as the days they are). A license without a notice period has
//! `notice_days: null` and `cancel_by` = end; the calendar then gets only
//! its end date.

use entitle_core::{LicenseView, Status};
use entitle_ical::{AllDayEvent, Calendar};
use entitle_store::Store;
use jiff::civil::Date;
use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::scope::Scope;
use crate::when;

/// A renewals question.
#[derive(Debug, Clone, Default)]
pub struct RenewalsRequest {
    /// The business date; none for today.
    pub as_of: Option<String>,
    /// Days after the date in which a term end is shown.
    pub within: u32,
    /// `#N`, an RFC 3339 time, or a date; none for everything recorded.
    pub known_at: Option<String>,
}

/// The renewals. Its JSON is `renewals --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Renewals {
    /// The business date.
    pub as_of: String,
    /// The window in days.
    pub within_days: u32,
    /// The seq the answer is known at.
    pub known_at_seq: u64,
    /// The terms ending in the window, by cancel-by date.
    pub renewals: Vec<Renewal>,
    /// The last day of the window.
    #[serde(skip, default)]
    pub until: Date,
    /// The store's id (for calendar UIDs).
    #[serde(skip, default)]
    pub store_id: String,
    /// When the answer's last event was recorded (the calendar's stamp).
    #[serde(skip, default)]
    pub stamp: Timestamp,
}

/// One term ending in the window (stable field names).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Renewal {
    /// License id.
    pub id: String,
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// The term's last day.
    pub end: String,
    /// The notice period.
    pub notice_days: Option<u32>,
    /// The last day to cancel.
    pub cancel_by: String,
    /// Renews unless cancelled.
    pub auto_renew: bool,
    /// The person responsible.
    pub owner: Option<String>,
    /// open, deadline-passed or renewed-assumed.
    #[serde(deserialize_with = "crate::wire::static_str")]
    pub status: crate::wire::Static,
    /// Cost of the next term: the latest cost recorded.
    pub cost: Option<String>,
    /// Its currency.
    pub currency: Option<String>,
    /// The highest seq that touched this license (the calendar SEQUENCE).
    pub last_seq: u64,
}

/// The terms that end in the window, with their cancel-by dates, of the
/// licenses of the vendors in `scope` (and so the calendar built from
/// them, [`calendar`]).
///
/// # Errors
///
impl Renewals {
    /// Restores the window's last day after the renewals were read back
    /// from their JSON (the calendar's store id and stamp are not in it:
    /// a calendar is made where the store is).
    ///
    /// # Errors
    ///
    /// A date that is not one.
    pub fn restore(&mut self) -> Result<()> {
        let as_of: Date = self
            .as_of
            .parse()
            .map_err(|_| Error::invalid("as_of", self.as_of.clone(), "is not a date"))?;
        self.until = as_of
            .checked_add(Span::new().days(i64::from(self.within_days)))
            .map_err(|e| {
                Error::invalid(
                    "within",
                    self.within_days.to_string(),
                    format!("is too long: {e}"),
                )
            })?;
        Ok(())
    }
}

/// For a malformed date or moment, a window past the calendar's end, or a
/// store failure.
pub fn renewals(store: &Store, scope: &Scope, req: &RenewalsRequest) -> Result<Renewals> {
    let as_of = when::as_of(req.as_of.as_deref())?;
    let known = store.known_seq(when::known_at(req.known_at.as_deref())?)?;
    let until = as_of
        .checked_add(Span::new().days(i64::from(req.within)))
        .map_err(|e| {
            Error::invalid(
                "within",
                req.within.to_string(),
                format!("is too long: {e}"),
            )
        })?;
    let list = terms_ending(store, scope, as_of, known, |end| {
        end > as_of && end <= until
    })?;
    let stamp = if known == 0 {
        Timestamp::UNIX_EPOCH
    } else {
        store.record(known)?.recorded_at
    };
    Ok(Renewals {
        as_of: as_of.to_string(),
        within_days: req.within,
        known_at_seq: known,
        renewals: list,
        until,
        store_id: store.info().store_id.clone(),
        stamp,
    })
}

/// The terms entitled on `as_of` whose end `in_window` accepts, with
/// their cancel-by dates and statuses, by cancel-by date (what
/// [`renewals`] lists; the reminders ask for the terms ending on or after
/// the date, the day of the end included).
pub(crate) fn terms_ending(
    store: &Store,
    scope: &Scope,
    as_of: Date,
    known: u64,
    in_window: impl Fn(Date) -> bool,
) -> Result<Vec<Renewal>> {
    let mut list = Vec::new();
    for v in store.licenses_at(as_of, known)? {
        if !v.status.is_entitled() || !scope.sees_vendor(&v.terms.vendor) {
            continue;
        }
        let Some(end) = v.terms.end else { continue };
        if !in_window(end) {
            continue;
        }
        list.push(renewal(store, &v, end, as_of, known)?);
    }
    list.sort_by(|x, y| (&x.cancel_by, &x.id).cmp(&(&y.cancel_by, &y.id)));
    Ok(list)
}

fn renewal(store: &Store, v: &LicenseView, end: Date, as_of: Date, known: u64) -> Result<Renewal> {
    let notice = v.terms.notice_days.unwrap_or(0);
    let cancel_by = end
        .checked_sub(Span::new().days(i64::from(notice)))
        .map_err(|e| {
            Error::new(
                ErrorKind::BadInput,
                format!("license {}: end {end} minus {notice} days: {e}", v.id),
            )
        })?;
    let status = if v.status == Status::RenewedAssumed {
        "renewed-assumed"
    } else if cancel_by < as_of {
        "deadline-passed"
    } else {
        "open"
    };
    // Every event known at `known` that touched the license, and every void
    // of one: the SEQUENCE grows whenever the license changed.
    let last_seq = store.timeline(&v.id)?.map_or(v.purchased_seq, |t| {
        t.entries
            .iter()
            .filter(|e| e.seq <= known)
            .flat_map(|e| {
                let void = e.voided_by.filter(|s| *s <= known);
                std::iter::once(e.seq).chain(void)
            })
            .max()
            .unwrap_or(v.purchased_seq)
    });
    Ok(Renewal {
        id: v.id.clone(),
        vendor: v.terms.vendor.clone(),
        product: v.terms.product.clone(),
        end: end.to_string(),
        notice_days: v.terms.notice_days,
        cancel_by: cancel_by.to_string(),
        auto_renew: v.terms.auto_renew,
        owner: v.terms.owner.clone(),
        status,
        cost: v.last_cost.as_ref().map(|(m, _)| m.amount.to_string()),
        currency: v.last_cost.as_ref().map(|(m, _)| m.currency.clone()),
        last_seq,
    })
}

/// The renewals as an RFC 5545 calendar: one all-day event per cancel-by
/// date and per end date, each with reminders 30 and 7 days before, UIDs
/// stable per store and license, SEQUENCE growing with the license's
/// history.
///
/// # Errors
///
/// When the calendar cannot be written (a date out of its range).
pub fn calendar(r: &Renewals) -> Result<String> {
    let mut events = Vec::new();
    for r2 in &r.renewals {
        let sequence = u32::try_from(r2.last_seq).unwrap_or(u32::MAX);
        let what = format!("{} {} ({})", r2.vendor, r2.product, r2.id);
        let owner = r2
            .owner
            .as_deref()
            .map(|o| format!("\nOwner: {o}"))
            .unwrap_or_default();
        let renews = if r2.auto_renew {
            "It renews automatically unless cancelled."
        } else {
            "It does not renew automatically."
        };
        if let (Some(days), Ok(date)) = (r2.notice_days, r2.cancel_by.parse::<Date>()) {
            events.push(AllDayEvent {
                uid: format!("{}-{}-cancel-by@entitle", r.store_id, r2.id),
                sequence,
                date,
                summary: format!("Last day to cancel: {what}"),
                description: format!(
                    "The term ends on {}; the notice period is {days} days. {renews}{owner}",
                    r2.end
                ),
                alarms_days_before: vec![30, 7],
            });
        }
        if let Ok(date) = r2.end.parse::<Date>() {
            events.push(AllDayEvent {
                uid: format!("{}-{}-end@entitle", r.store_id, r2.id),
                sequence,
                date,
                summary: format!("Term ends: {what}"),
                description: format!("Last day of the term. {renews}{owner}"),
                alarms_days_before: vec![30, 7],
            });
        }
    }
    Calendar {
        prodid: format!("-//entitle//entitle {}//EN", env!("CARGO_PKG_VERSION")),
        name: "entitle renewals".into(),
        events,
    }
    .to_ics(r.stamp)
    .map_err(|e| {
        Error::new(
            ErrorKind::BadInput,
            format!("cannot build the calendar: {e}"),
        )
    })
}
