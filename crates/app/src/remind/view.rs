//! What the server's reminders page and `GET /api/v1/reminders` show:
//! the dry run of a day (what is due and not yet sent) and the sent-log,
//! newest first — both cut to the reader's scope, recipients only for
//! those allowed to see personal data.

use entitle_store::Store;
use jiff::civil::Date;
use serde::Serialize;

use super::{log, plan, Item, RemindSettings};
use crate::error::Result;
use crate::scope::Scope;

/// The most sent records one answer holds.
pub const MAX_SENT: usize = 1000;

/// What is due and what was sent.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// The day the due items are worked out for.
    pub as_of: String,
    /// Due on that day and not sent yet: what a run would send.
    pub due: Vec<DueItem>,
    /// Sent records, newest first, at most `limit`.
    pub sent: Vec<SentView>,
    /// How many sent records the reader may see in all.
    pub sent_total: usize,
    /// Whether recipient addresses are shown (else they are `null`).
    pub recipients_shown: bool,
}

/// One due item and where it would go.
#[derive(Debug, Clone, Serialize)]
pub struct DueItem {
    /// The item.
    #[serde(flatten)]
    pub item: Item,
    /// The address it would go to (`null` when hidden, or when the owner
    /// has none: then `unaddressed` is true).
    pub to: Option<String>,
    /// No address for its owner: the run would report it, not send it.
    pub unaddressed: bool,
}

/// One sent message as a reader may see it.
#[derive(Debug, Clone, Serialize)]
pub struct SentView {
    /// When the mail server accepted it.
    pub sent_at: String,
    /// The day it reminded for.
    pub as_of: String,
    /// The recipient (`null` when hidden).
    pub to: Option<String>,
    /// Its Message-ID.
    pub message_id: String,
    /// The items of it the reader may see.
    pub items: Vec<SentItemView>,
}

/// An item and stage of a sent message.
#[derive(Debug, Clone, Serialize)]
pub struct SentItemView {
    /// The item's key.
    pub key: String,
    /// `cancel-by`, `expiry`, `under`, `metric-mismatch` or `stale`.
    pub kind: String,
    /// Days before the deadline.
    pub stage: u32,
    /// The license, for a license's items.
    pub license: Option<String>,
}

impl SentItemView {
    fn of(key: &str, stage: u32) -> SentItemView {
        let (kind, rest) = key.split_once(':').unwrap_or((key, ""));
        let license = match kind {
            "cancel-by" | "expiry" => rest.rsplit_once(':').map(|(id, _)| id.to_owned()),
            _ => None,
        };
        SentItemView {
            key: key.to_owned(),
            kind: kind.to_owned(),
            stage,
            license,
        }
    }

    /// The vendor of a product's item, as its key holds it (matched form).
    fn vendor(&self) -> Option<&str> {
        let (_, rest) = self.key.split_once(':')?;
        rest.split('/').next()
    }
}

/// The dry run of `as_of` and the last `limit` sent records, each item
/// checked against `scope` (a license's item by its license, a product's
/// by its vendor); a record with no item in scope is left out, and its
/// subject is not shown at all (it counts every item). Addresses only
/// with `show_recipients`.
///
/// # Errors
///
/// A sent-log that does not read, or a store failure.
pub fn overview(
    store: &Store,
    set: &RemindSettings,
    scope: &Scope,
    as_of: Date,
    show_recipients: bool,
    limit: usize,
) -> Result<Overview> {
    let run = plan(store, set, as_of)?;
    let sees = |item: &Item| -> Result<bool> {
        Ok(match &item.license {
            Some(id) => scope.sees_license(store, id)?,
            None => scope.sees_vendor(&item.vendor),
        })
    };
    let mut due = Vec::new();
    for m in &run.messages {
        for item in &m.items {
            if sees(item)? {
                due.push(DueItem {
                    item: item.clone(),
                    to: show_recipients.then(|| m.to.clone()),
                    unaddressed: false,
                });
            }
        }
    }
    for u in &run.unaddressed {
        for item in &u.items {
            if sees(item)? {
                due.push(DueItem {
                    item: item.clone(),
                    to: None,
                    unaddressed: true,
                });
            }
        }
    }
    due.sort_by(|a, b| {
        (a.item.date.as_deref(), &a.item.key).cmp(&(b.item.date.as_deref(), &b.item.key))
    });

    let mut sent = Vec::new();
    for r in log::read_log(store.layout().root())?.into_iter().rev() {
        let mut items = Vec::new();
        for i in &r.items {
            let view = SentItemView::of(&i.key, i.stage);
            let visible = match (&view.license, view.vendor()) {
                (Some(id), _) => scope.sees_license(store, id)?,
                (None, Some(vendor)) => scope.sees_vendor(vendor),
                (None, None) => scope.is_all(),
            };
            if visible {
                items.push(view);
            }
        }
        if items.is_empty() {
            continue;
        }
        sent.push(SentView {
            sent_at: r.sent_at,
            as_of: r.as_of,
            to: show_recipients.then_some(r.to),
            message_id: r.message_id,
            items,
        });
    }
    let sent_total = sent.len();
    sent.truncate(limit.min(MAX_SENT));
    Ok(Overview {
        as_of: as_of.to_string(),
        due,
        sent,
        sent_total,
        recipients_shown: show_recipients,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keys_kind_and_license_are_read_back() {
        let v = SentItemView::of("cancel-by:ACRO:2027-12-02", 90);
        assert_eq!(v.kind, "cancel-by");
        assert_eq!(v.license.as_deref(), Some("ACRO"));
        let v = SentItemView::of("under:adobe/acrobat pro/user:count-7", 0);
        assert_eq!(v.kind, "under");
        assert_eq!(v.license, None);
        assert_eq!(v.vendor(), Some("adobe"));
    }
}
