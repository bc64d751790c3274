//! Reminders by e-mail: what is due on a date (cancel-by and expiry
//! stages, shortfalls, metric mismatches, stale usage), one digest per
//! recipient, sent through SMTP once per item, stage and recipient, with
//! every accepted message kept in `<store>/remind/sent.jsonl`.
//!
//! **Which stage is due.** For an item with deadline D and stages (say
//! 90, 30, 7 and 0 days), the due stage on day T is the one with the
//! smallest lead L whose date D − L is on or before T, and only while T is
//! on or before D. It is sent unless the sent-log already holds it for
//! that recipient; a larger stage that was missed is superseded, never
//! sent late. So a first run 20 days before a deadline sends the 30-day
//! stage, then the 7-day one 7 days before, then the one on the day.
//!
//! Cancel-by items are the terms that renew automatically (deadline: the
//! last day to cancel, as `renewals` computes it); expiry items the terms
//! that do not (deadline: the term's last day). A product `under`, in
//! `metric-mismatch`, or with a stale count (as `position` reviews it) is
//! one item per usage count that shows it, sent once.
//!
//! **Sent once.** The sent-log is append-only, outside the license event
//! log. A line is appended and fsynced right after the SMTP server
//! accepted the message, naming the recipient, the message-id and every
//! item and stage in it. A crash before the server accepted the message
//! leaves nothing recorded: the next run sends it (it was not sent). A
//! crash after the server accepted it but before the line is on disk
//! leaves it unrecorded: the next run sends it again — one duplicate at
//! worst, never a reminder lost. A torn last line (a crash mid-append) is
//! read as not written.

mod digest;
mod log;
mod settings;
mod smtp;
mod view;

use std::collections::{BTreeMap, BTreeSet};

use entitle_core::position::PositionStatus;
use entitle_core::types::match_key;
use entitle_store::Store;
use jiff::civil::Date;
use jiff::{Span, Timestamp};
use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::query::terms_ending;
use crate::scope::Scope;
use crate::when;

pub use digest::Language;
pub use log::{read_log, SentItem, SentRecord};
pub use settings::{settings, RemindSettings, SmtpSettings};
pub use view::{overview, DueItem, Overview, SentItemView, SentView, MAX_SENT};

/// A remind request, as the user gave it.
#[derive(Debug, Clone, Default)]
pub struct RemindRequest {
    /// The day to remind for (`YYYY-MM-DD`); none for today.
    pub as_of: Option<String>,
    /// Work out what is due and show it; send nothing, record nothing.
    pub dry_run: bool,
    /// The SMTP password (from `$ENTITLE_SMTP_PASSWORD`); none to read
    /// `smtp.password_file`, if set.
    pub password: Option<String>,
}

/// What a run did. Its JSON is `remind --json`.
#[derive(Debug, Clone, Serialize)]
pub struct Remind {
    /// The day reminded for.
    pub as_of: String,
    /// Nothing was sent or recorded.
    pub dry_run: bool,
    /// One digest per recipient.
    pub messages: Vec<Digest>,
    /// Owners without an address, with what could not reach them.
    pub unaddressed: Vec<Unaddressed>,
    /// Items due today that the sent-log shows were sent already.
    pub already_sent: usize,
}

/// One e-mail.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    /// The address.
    pub to: String,
    /// `en` or `de`.
    pub language: Language,
    /// The subject line.
    pub subject: String,
    /// What it reminds of.
    pub items: Vec<Item>,
    /// The Message-ID (none in a dry run).
    pub message_id: Option<String>,
    /// The server accepted it and the sent-log holds it.
    pub sent: bool,
    /// Why it was not sent (the next run tries again).
    pub error: Option<String>,
    /// The plain-text body.
    #[serde(skip)]
    pub text: String,
    /// The HTML body.
    #[serde(skip)]
    pub html: String,
}

/// An owner whose name has no address in `remind.contacts`.
#[derive(Debug, Clone, Serialize)]
pub struct Unaddressed {
    /// The owner as recorded.
    pub owner: String,
    /// The items that did not reach them.
    pub items: Vec<Item>,
}

/// One thing a digest reminds of.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Item {
    /// What makes it one item: kind, license or product, deadline or
    /// count.
    pub key: String,
    /// `cancel-by`, `expiry`, `under`, `metric-mismatch` or `stale`.
    pub kind: &'static str,
    /// Days before the deadline (0 for the day itself and for the
    /// position's items).
    pub stage: u32,
    /// The license (none for a product's items).
    pub license: Option<String>,
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// The deadline (cancel-by or end), or the count's date.
    pub date: Option<String>,
    /// Days from the run's date to the deadline.
    pub days_left: Option<i64>,
    /// The term's end (cancel-by items).
    pub end: Option<String>,
    /// The notice period (cancel-by items).
    pub notice_days: Option<u32>,
    /// The length of the term it renews for, in months (cancel-by items;
    /// 12 unless the license says otherwise).
    pub renewal_months: Option<u32>,
    /// The next term's cost and currency (`45600.00 EUR`).
    pub cost: Option<String>,
    /// Its currency.
    pub currency: Option<String>,
    /// The metric (a product's items).
    pub metric: Option<String>,
    /// Entitled and used (a product's items).
    pub entitled: Option<String>,
    /// The latest count.
    pub used: Option<u64>,
    /// The licenses' owners (who it goes to).
    #[serde(skip)]
    pub owners: Vec<String>,
}

/// Works out what is due on the date, and unless it is a dry run sends
/// one digest per recipient and records each accepted one.
///
/// # Errors
///
/// A malformed date, bad settings (named by file and key), no `[smtp]`
/// settings for a real run, a sent-log that does not read, or a store
/// failure. A message the server refused is not an error of the run: it
/// is in [`Digest::error`] and stays due.
pub fn remind(store: &Store, set: &RemindSettings, req: &RemindRequest) -> Result<Remind> {
    let as_of = when::as_of(req.as_of.as_deref())?;
    let mut run = plan(store, set, as_of)?;
    if !req.dry_run {
        send(
            store.layout().root(),
            set,
            &mut run,
            req.password.as_deref(),
        )?;
    }
    Ok(run)
}

/// What is due on `as_of` and not yet sent, as a dry run: the digests
/// worked out, nothing sent or recorded. [`remind`] is this and
/// [`send`]; the server calls them apart so that it holds the store only
/// while it reads, never while the mail server answers.
///
/// # Errors
///
/// A sent-log that does not read, or a store failure.
pub fn plan(store: &Store, set: &RemindSettings, as_of: Date) -> Result<Remind> {
    let items = due(store, set, as_of)?;
    let root = store.layout().root().to_path_buf();
    let sent = log::sent_keys(&root)?;

    let mut by_to: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    let mut unaddressed: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    let mut already_sent = 0;
    for item in items {
        let mut to = BTreeSet::new();
        if item.owners.is_empty() {
            match &set.fallback {
                Some(addr) => {
                    to.insert(addr.clone());
                }
                None => {
                    unaddressed
                        .entry("(no owner, and no remind.fallback)".into())
                        .or_default()
                        .push(item.clone());
                }
            }
        }
        for owner in &item.owners {
            match set.contact(owner) {
                Some((addr, _)) => {
                    to.insert(addr.to_owned());
                }
                None => unaddressed
                    .entry(owner.clone())
                    .or_default()
                    .push(item.clone()),
            }
        }
        for addr in to {
            if sent.contains(&(item.key.clone(), item.stage, addr.to_ascii_lowercase())) {
                already_sent += 1;
            } else {
                by_to.entry(addr).or_default().push(item.clone());
            }
        }
    }

    let mut messages = Vec::new();
    for (to, items) in by_to {
        let language = set.language_of(&to);
        let (subject, text, html) = digest::render(set, language, as_of, &items);
        messages.push(Digest {
            to,
            language,
            subject,
            items,
            message_id: None,
            sent: false,
            error: None,
            text,
            html,
        });
    }

    Ok(Remind {
        as_of: as_of.to_string(),
        dry_run: true,
        messages,
        unaddressed: unaddressed
            .into_iter()
            .map(|(owner, items)| Unaddressed { owner, items })
            .collect(),
        already_sent,
    })
}

/// Sends the digests of a [`plan`] through SMTP and records each one the
/// server accepted in the sent-log of the store at `root`; a refused one
/// keeps its error in [`Digest::error`] and stays due.
///
/// # Errors
///
/// No `[smtp]` settings while something is due, a password that cannot
/// be read, or a sent-log that cannot be written.
pub fn send(
    root: &std::path::Path,
    set: &RemindSettings,
    run: &mut Remind,
    password: Option<&str>,
) -> Result<()> {
    run.dry_run = false;
    if run.messages.is_empty() {
        return Ok(());
    }
    let as_of: Date = run
        .as_of
        .parse()
        .map_err(|_| Error::new(ErrorKind::Integrity, format!("bad run date {}", run.as_of)))?;
    let smtp = set.smtp.as_ref().ok_or_else(|| {
        Error::missing("config", "no [smtp] settings: reminders are due but cannot be sent")
            .hint("add an [smtp] section with url and from to the settings file (README: \"Reminders by e-mail\"), or run `entitle remind --dry-run`")
    })?;
    let mailer = smtp::Mailer::new(smtp, password)?;
    for m in &mut run.messages {
        let id = message_id(smtp, m, as_of);
        match mailer.send(m, &id) {
            Ok(()) => {
                log::append(
                    root,
                    &SentRecord {
                        sent_at: Timestamp::now().to_string(),
                        as_of: as_of.to_string(),
                        to: m.to.clone(),
                        message_id: id.clone(),
                        subject: m.subject.clone(),
                        items: m
                            .items
                            .iter()
                            .map(|i| SentItem {
                                key: i.key.clone(),
                                stage: i.stage,
                            })
                            .collect(),
                    },
                )?;
                m.message_id = Some(id);
                m.sent = true;
            }
            Err(e) => m.error = Some(e),
        }
    }
    Ok(())
}

/// A Message-ID unique per run, recipient and items:
/// `<as-of.hash@domain-of-from>`.
fn message_id(smtp: &SmtpSettings, m: &Digest, as_of: Date) -> String {
    let mut h = blake3::Hasher::new();
    h.update(Timestamp::now().to_string().as_bytes());
    h.update(m.to.as_bytes());
    for i in &m.items {
        h.update(i.key.as_bytes());
        h.update(&i.stage.to_le_bytes());
    }
    let hex = h.finalize().to_hex();
    format!("<{as_of}.{}@{}>", &hex[..24], smtp.from.email.domain())
}

/// The stage due on `today` for a deadline, if any (see the module docs).
#[must_use]
pub fn due_stage(stages: &[u32], deadline: Date, today: Date) -> Option<u32> {
    if today > deadline {
        return None;
    }
    let left = (deadline - today).get_days();
    let mut sorted = stages.to_vec();
    sorted.sort_unstable();
    sorted
        .into_iter()
        .find(|lead| i64::from(*lead) >= i64::from(left))
}

/// Every item due on `as_of` (sent or not), with its stage.
fn due(store: &Store, set: &RemindSettings, as_of: Date) -> Result<Vec<Item>> {
    let known = store.known_seq(when::known_at(None)?)?;
    let licenses = store.licenses_at(as_of, known)?;
    let months: BTreeMap<&str, u32> = licenses
        .iter()
        .map(|v| (v.id.as_str(), v.terms.renewal_months.unwrap_or(12)))
        .collect();
    let mut items = Vec::new();
    for r in terms_ending(store, &Scope::All, as_of, known, |end| end >= as_of)? {
        let (kind, deadline) = if r.auto_renew {
            ("cancel-by", &r.cancel_by)
        } else {
            ("expiry", &r.end)
        };
        let deadline: Date = deadline.parse().map_err(|_| {
            Error::new(
                ErrorKind::Integrity,
                format!("license {}: bad date {deadline}", r.id),
            )
        })?;
        let Some(stage) = due_stage(&set.stages, deadline, as_of) else {
            continue;
        };
        items.push(Item {
            key: format!("{kind}:{}:{deadline}", r.id),
            kind,
            stage,
            license: Some(r.id.clone()),
            vendor: r.vendor.clone(),
            product: r.product.clone(),
            date: Some(deadline.to_string()),
            days_left: Some((deadline - as_of).get_days().into()),
            end: Some(r.end.clone()),
            notice_days: r.notice_days,
            renewal_months: r
                .auto_renew
                .then(|| months.get(r.id.as_str()).copied())
                .flatten(),
            cost: r.cost.clone(),
            currency: r.currency.clone(),
            metric: None,
            entitled: None,
            used: None,
            owners: r.owner.clone().into_iter().collect(),
        });
    }

    let owners: BTreeMap<&str, &str> = licenses
        .iter()
        .filter_map(|v| v.terms.owner.as_deref().map(|o| (v.id.as_str(), o)))
        .collect();
    let rows = crate::query::reviewed(store, &Scope::All, as_of, known, None, set.stale_after)?;
    for rr in &rows {
        let row = &rr.row;
        let Some(count) = &row.used else { continue };
        let mut kinds = Vec::new();
        match row.status {
            PositionStatus::Under => kinds.push("under"),
            PositionStatus::MetricMismatch => kinds.push("metric-mismatch"),
            _ => {}
        }
        if rr.stale {
            kinds.push("stale");
        }
        let mut row_owners: Vec<String> = Vec::new();
        for id in &row.licenses {
            if let Some(o) = owners.get(id.as_str()) {
                if !row_owners.iter().any(|x| match_key(x) == match_key(o)) {
                    row_owners.push((*o).to_owned());
                }
            }
        }
        for kind in kinds {
            items.push(Item {
                key: format!(
                    "{kind}:{}/{}/{}:count-{}",
                    match_key(&row.vendor),
                    match_key(&row.product),
                    row.metric.as_str(),
                    count.seq
                ),
                kind,
                stage: 0,
                license: None,
                vendor: row.vendor.clone(),
                product: row.product.clone(),
                date: Some(count.date.to_string()),
                days_left: None,
                end: None,
                notice_days: None,
                renewal_months: None,
                cost: None,
                currency: None,
                metric: Some(row.metric.as_str().to_owned()),
                entitled: Some(row.entitled.to_string()),
                used: Some(count.count),
                owners: row_owners.clone(),
            });
        }
    }
    Ok(items)
}

/// The span of `days` days (for tests and callers stepping dates).
#[must_use]
pub fn days(days: i64) -> Span {
    Span::new().days(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn the_issues_dates_worked_by_hand() {
        // 90 days' notice before 2028-03-01 (2028 is a leap year: February
        // has 29 days): 1 March − 90 days = 2 December 2027.
        let cancel_by = d("2028-03-01") - days(90);
        assert_eq!(cancel_by, d("2027-12-02"));
        let stages = [90, 30, 7, 0];
        // The stages fall on 2027-09-03, 2027-11-02, 2027-11-25, 2027-12-02.
        assert_eq!(due_stage(&stages, cancel_by, d("2027-09-02")), None);
        assert_eq!(due_stage(&stages, cancel_by, d("2027-09-03")), Some(90));
        assert_eq!(due_stage(&stages, cancel_by, d("2027-11-01")), Some(90));
        assert_eq!(due_stage(&stages, cancel_by, d("2027-11-02")), Some(30));
        assert_eq!(due_stage(&stages, cancel_by, d("2027-11-24")), Some(30));
        assert_eq!(due_stage(&stages, cancel_by, d("2027-11-25")), Some(7));
        assert_eq!(due_stage(&stages, cancel_by, d("2027-12-01")), Some(7));
        assert_eq!(due_stage(&stages, cancel_by, d("2027-12-02")), Some(0));
        assert_eq!(due_stage(&stages, cancel_by, d("2027-12-03")), None);
        // A first run 20 days before: the 30-day stage, not the 90-day one.
        assert_eq!(due_stage(&stages, cancel_by, d("2027-11-12")), Some(30));
    }

    #[test]
    fn without_a_day_of_stage_the_last_days_belong_to_the_smallest() {
        let stages = [30, 7];
        assert_eq!(
            due_stage(&stages, d("2027-03-31"), d("2027-03-31")),
            Some(7)
        );
        assert_eq!(due_stage(&stages, d("2027-03-31"), d("2027-02-28")), None);
        assert_eq!(
            due_stage(&stages, d("2027-03-31"), d("2027-03-01")),
            Some(30)
        );
    }
}
