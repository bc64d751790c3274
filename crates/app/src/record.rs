//! Recording events: purchase, extend, adjust, cancel, void, a usage count,
//! and documents — each with the documents that prove it in the same
//! atomic write.
//!
//! A request holds the raw text a user typed or a form posted; it is
//! parsed here, with the field named in every error, and judged by the
//! ledger against the records as they stand. A write is all or nothing:
//! documents stored for a write that is then refused are removed again.

use std::io::Read;
use std::path::PathBuf;

use entitle_archive::{Incoming, Owner, Searchable};
use entitle_core::ledger::{Context, Draft};
use entitle_core::record::{
    Adjusted, Cancelled, Event, Extended, Purchased, UsageRecorded, Voided,
};
use entitle_core::types::{parse_count, parse_money};
use entitle_core::{DocKind, Metric, Quantity};
use entitle_store::{Appended, Store};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::progress::{Progress, Stage, Unit};
use crate::when::{date, opt_date};

/// A new license: `purchased`.
#[derive(Debug, Clone, Default)]
pub struct Purchase {
    /// The license id; none (or empty) for a generated one (`L-0007`).
    pub id: Option<String>,
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// Edition, if any.
    pub edition: Option<String>,
    /// What it counts: user, device, core, processor, concurrent, instance.
    pub metric: String,
    /// How many: a whole number, or `unlimited`.
    pub qty: String,
    /// First day of the term (`YYYY-MM-DD`).
    pub start: String,
    /// Last day of the term; none for perpetual.
    pub end: Option<String>,
    /// Last day of maintenance / software assurance.
    pub maintenance_end: Option<String>,
    /// Price paid, a decimal number.
    pub cost: Option<String>,
    /// ISO 4217 currency of the cost.
    pub currency: Option<String>,
    /// Purchase order or invoice reference.
    pub po: Option<String>,
    /// Who sold it.
    pub reseller: Option<String>,
    /// The person responsible.
    pub owner: Option<String>,
    /// Days before the end by which it must be cancelled.
    pub notice_days: Option<u32>,
    /// Renews unless cancelled.
    pub auto_renew: bool,
    /// The period an automatic renewal adds, in months.
    pub renewal_months: Option<u32>,
    /// Free labels.
    pub tags: Vec<String>,
    /// How usage is counted from installations (`microsoft-core`, …);
    /// none for recorded counts only.
    pub count_rule: Option<String>,
}

/// A later term end: `extended`.
#[derive(Debug, Clone, Default)]
pub struct Extend {
    /// The license.
    pub license: String,
    /// The new last day of the term.
    pub until: String,
    /// A new quantity, if it changes with the extension.
    pub qty: Option<String>,
    /// Price paid for the extension.
    pub cost: Option<String>,
    /// Its currency.
    pub currency: Option<String>,
    /// A new renewal period, in months.
    pub renewal_months: Option<u32>,
}

/// A new quantity: `adjusted` (a true-up, seats added or removed).
#[derive(Debug, Clone, Default)]
pub struct Adjust {
    /// The license.
    pub license: String,
    /// The new quantity.
    pub qty: String,
    /// Price paid for the change.
    pub cost: Option<String>,
    /// Its currency.
    pub currency: Option<String>,
}

/// The license stops counting: `cancelled`.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    /// The license.
    pub license: String,
}

/// An earlier event no longer counts: `voided`.
#[derive(Debug, Clone, Default)]
pub struct Void {
    /// The event: `17` or `#17`.
    pub seq: String,
}

/// A consumption count: `usage_recorded`.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// What was counted.
    pub metric: String,
    /// How many were in use (0 or more).
    pub count: String,
    /// The date of the count.
    pub date: String,
    /// Where the count comes from.
    pub source: Option<String>,
}

/// One event to record.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "a request is built once per write; boxing would only burden callers"
)]
pub enum Write {
    /// A purchase.
    Purchase(Purchase),
    /// An extension.
    Extend(Extend),
    /// An adjustment.
    Adjust(Adjust),
    /// A cancellation.
    Cancel(Cancel),
    /// A void.
    Void(Void),
    /// A usage count.
    Usage(Usage),
}

/// What every write may carry besides its event.
#[derive(Debug, Clone, Default)]
pub struct Common {
    /// The business date it takes effect (`YYYY-MM-DD`); none for the
    /// type's default.
    pub effective: Option<String>,
    /// Why, where from (required for a void).
    pub note: Option<String>,
}

impl Write {
    /// The event and its dates, parsed and checked on their own (the
    /// ledger judges the rest when it is recorded).
    ///
    /// # Errors
    ///
    /// For a value that cannot be what it claims, naming its field.
    pub fn draft(&self, common: &Common) -> Result<Draft> {
        let (event, effective) = match self {
            Write::Purchase(p) => (
                purchased(p)?,
                opt_date("effective", common.effective.as_deref())?,
            ),
            Write::Extend(x) => {
                let money = parse_money(x.cost.as_deref(), x.currency.as_deref())?;
                let event = Event::Extended(Extended {
                    id: license_id(&x.license)?,
                    until: date("until", &x.until)?,
                    qty: x.qty.as_deref().map(str::parse::<Quantity>).transpose()?,
                    cost: money.as_ref().map(|m| m.amount),
                    currency: money.map(|m| m.currency),
                    renewal_months: x.renewal_months,
                });
                (event, opt_date("effective", common.effective.as_deref())?)
            }
            Write::Adjust(x) => {
                let money = parse_money(x.cost.as_deref(), x.currency.as_deref())?;
                let event = Event::Adjusted(Adjusted {
                    id: license_id(&x.license)?,
                    qty: x.qty.parse::<Quantity>()?,
                    cost: money.as_ref().map(|m| m.amount),
                    currency: money.map(|m| m.currency),
                });
                (event, opt_date("effective", common.effective.as_deref())?)
            }
            Write::Cancel(x) => (
                Event::Cancelled(Cancelled {
                    id: license_id(&x.license)?,
                }),
                opt_date("effective", common.effective.as_deref())?,
            ),
            Write::Void(v) => (
                Event::Voided(Voided {
                    voids: parse_seq(&v.seq)?,
                }),
                opt_date("effective", common.effective.as_deref())?,
            ),
            Write::Usage(u) => (
                Event::UsageRecorded(UsageRecorded {
                    vendor: u.vendor.clone(),
                    product: u.product.clone(),
                    metric: u.metric.parse::<Metric>()?,
                    count: parse_count(&u.count)?,
                    source: u.source.clone(),
                }),
                Some(date("date", &u.date)?),
            ),
        };
        Ok(Draft {
            event,
            effective,
            note: common.note.clone(),
        })
    }

    /// The kind documents attached with this write get when none is
    /// given: a purchase or an extension comes with a contract, an
    /// adjustment with an order, a cancellation with a letter.
    #[must_use]
    pub fn default_document_kind(&self) -> DocKind {
        match self {
            Write::Purchase(_) | Write::Extend(_) => DocKind::Contract,
            Write::Adjust(_) => DocKind::Order,
            Write::Cancel(_) => DocKind::Correspondence,
            Write::Void(_) | Write::Usage(_) => DocKind::Other,
        }
    }
}

fn purchased(p: &Purchase) -> Result<Event> {
    let money = parse_money(p.cost.as_deref(), p.currency.as_deref())?;
    let id = match p.id.as_deref() {
        None => String::new(),
        Some(id) if id.trim().is_empty() => {
            return Err(Error::missing("id", "must not be empty")
                .hint("give a license id, or leave it out to get a generated one"))
        }
        Some(id) => id.to_owned(),
    };
    Ok(Event::Purchased(Purchased {
        id,
        vendor: p.vendor.clone(),
        product: p.product.clone(),
        edition: p.edition.clone(),
        metric: p.metric.parse::<Metric>()?,
        qty: p.qty.parse::<Quantity>()?,
        start: date("start", &p.start)?,
        end: opt_date("end", p.end.as_deref())?,
        maintenance_end: opt_date("maintenance_end", p.maintenance_end.as_deref())?,
        cost: money.as_ref().map(|m| m.amount),
        currency: money.map(|m| m.currency),
        po: p.po.clone(),
        reseller: p.reseller.clone(),
        owner: p.owner.clone(),
        notice_days: p.notice_days,
        auto_renew: p.auto_renew,
        renewal_months: p.renewal_months,
        tags: p.tags.clone(),
        count_rule: p
            .count_rule
            .as_deref()
            .map(str::parse::<entitle_core::CountRule>)
            .transpose()?,
    }))
}

/// A license id as given: trimmed, not empty.
fn license_id(id: &str) -> Result<String> {
    let t = id.trim();
    if t.is_empty() {
        return Err(Error::missing("license", "must not be empty"));
    }
    Ok(t.to_owned())
}

/// An event number: `17` or `#17`.
fn parse_seq(text: &str) -> Result<u64> {
    text.trim()
        .trim_start_matches('#')
        .parse()
        .map_err(|_| Error::invalid("seq", text, "is not an event number (e.g. 17 or #17)"))
}

/// Where a document comes from.
pub enum Source<'a> {
    /// A file on this machine (a regular file; a symbolic link is
    /// followed to the file it names).
    Path(PathBuf),
    /// Bytes streamed from a reader (an upload), at most `limit` bytes,
    /// under the file name the client gave (kept as metadata only).
    Upload {
        /// The client's file name.
        filename: String,
        /// The bytes.
        reader: &'a mut dyn Read,
        /// The most bytes accepted.
        limit: Option<u64>,
    },
}

impl std::fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Path(p) => f.debug_tuple("Path").field(p).finish(),
            Source::Upload {
                filename, limit, ..
            } => f
                .debug_struct("Upload")
                .field("filename", filename)
                .field("limit", limit)
                .finish_non_exhaustive(),
        }
    }
}

/// Documents to attach with a write.
#[derive(Debug, Default)]
pub struct Documents<'a> {
    /// The documents.
    pub sources: Vec<Source<'a>>,
    /// Their kind; none for the write's default.
    pub kind: Option<String>,
}

/// What a write recorded: its first event's seq and, for an event about a
/// license, the license id (the generated one for a purchase). Its JSON is
/// `{"seq":N,"id":"L-0001"}`.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    /// The event's seq.
    pub seq: u64,
    /// The license it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The event's type (`purchased`).
    #[serde(skip)]
    pub event_type: &'static str,
    /// The documents attached with it.
    #[serde(skip)]
    pub attached: Vec<Attached>,
}

/// A document attached by a write. Field names are those of `attach
/// --json`.
#[derive(Debug, Clone, Serialize)]
pub struct Attached {
    /// BLAKE3 of its bytes, lowercase hex.
    pub hash: String,
    /// The name it was attached under.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type, as sniffed.
    pub media_type: &'static str,
    /// Whether this write stored it (false: the same bytes were archived
    /// already).
    pub new: bool,
    /// Whether its text is indexed.
    pub searchable: bool,
    /// Why its text could not be extracted.
    pub not_searchable_reason: Option<String>,
    /// Characters of text indexed.
    #[serde(skip)]
    pub characters: Option<usize>,
}

/// Records one event, with documents bound to its license in the same
/// atomic write.
///
/// # Errors
///
/// For a bad value (its field named), an event the ledger refuses, a
/// document that cannot be archived, or a store failure. Nothing is
/// recorded and no document is left behind.
pub fn record(
    store: &mut Store,
    ctx: &Context,
    write: &Write,
    common: &Common,
    documents: Documents<'_>,
    progress: &dyn Progress,
) -> Result<Recorded> {
    let mut draft = write.draft(common)?;
    let event_type = draft.event.type_name();
    if documents.sources.is_empty() {
        let appended = store.append([draft], ctx)?;
        return first(appended, event_type, Vec::new());
    }
    let kind = match &documents.kind {
        Some(k) => k.parse::<DocKind>()?,
        None => write.default_document_kind(),
    };
    if let Event::Purchased(p) = &mut draft.event {
        if p.id.trim().is_empty() {
            p.id = store.next_license_id()?;
        }
    }
    let Some(id) = draft.event.license_id().map(str::to_owned) else {
        return Err(Error::missing(
            "attach",
            "needs an event about a license (purchase, extend, adjust or cancel)",
        ));
    };
    let incoming = store_sources(store, documents.sources, progress)?;
    let mut drafts = entitle_archive::drafts(&incoming, &Owner::License(id), kind, None);
    drafts.insert(0, draft);
    let appended = match store.append(drafts, ctx) {
        Ok(a) => a,
        Err(e) => {
            discard_if_refused(store, &incoming, &e);
            return Err(e.into());
        }
    };
    crate::index::open(store, progress)?;
    let attached = attached(store, &incoming)?;
    first(appended, event_type, attached)
}

fn first(
    appended: Vec<Appended>,
    event_type: &'static str,
    attached: Vec<Attached>,
) -> Result<Recorded> {
    let Appended { seq, id } = appended
        .into_iter()
        .next()
        .ok_or_else(|| Error::new(crate::ErrorKind::Integrity, "nothing was recorded"))?;
    Ok(Recorded {
        seq,
        id,
        event_type,
        attached,
    })
}

/// What documents are bound to by [`attach`].
#[derive(Debug, Clone, Default)]
pub struct Attach {
    /// A license id (or none with `vendor`).
    pub license: Option<String>,
    /// A vendor, when the documents belong to the vendor rather than one
    /// license.
    pub vendor: Option<String>,
    /// contract, invoice, order, eula, terms, usage-report,
    /// correspondence or other.
    pub kind: String,
    /// Why, where from.
    pub note: Option<String>,
}

/// What [`attach`] recorded. Its JSON is `attach --json`.
#[derive(Debug, Clone, Serialize)]
pub struct AttachResult {
    /// The `document_attached` events, one per document.
    pub seqs: Vec<u64>,
    /// The documents.
    pub documents: Vec<Attached>,
    /// What they were bound to, in words (`L-0003`, `vendor Nordlicht`).
    #[serde(skip)]
    pub to: String,
}

/// Archives documents and binds them to a license or a vendor, one
/// `document_attached` event each, in one atomic write; then indexes their
/// text.
///
/// # Errors
///
/// For a bad kind or owner, a document that cannot be archived, a license
/// the ledger does not know, or a store failure. Nothing is recorded and
/// no document is left behind.
pub fn attach(
    store: &mut Store,
    ctx: &Context,
    req: &Attach,
    sources: Vec<Source<'_>>,
    progress: &dyn Progress,
) -> Result<AttachResult> {
    let (kind, owner) = target(req, sources.len())?;
    let incoming = store_sources(store, sources, progress)?;
    bind(
        store,
        ctx,
        kind,
        owner,
        req.note.as_deref(),
        &incoming,
        progress,
    )
}

/// A document archived by [`archive_upload`], not yet bound to anything.
#[derive(Debug)]
pub struct Archived(Incoming);

/// Archives an upload as it streams in (hashing while it is written; at
/// most `limit` bytes), without binding it: needs the store only for
/// reading, so a server streams uploads while other requests go on, then
/// binds them with [`attach_archived`].
///
/// # Errors
///
/// For a bad file name, an empty or too large upload, a reader that
/// fails (a client gone mid-upload: nothing is kept), or a store failure.
pub fn archive_upload(
    store: &Store,
    filename: &str,
    reader: &mut dyn Read,
    limit: Option<u64>,
) -> Result<Archived> {
    entitle_core::document::check_filename(filename)?;
    Ok(Archived(entitle_archive::store_upload(
        store, reader, filename, limit,
    )?))
}

/// Removes documents archived by [`archive_upload`] that are not to be
/// bound after all (a request refused after its upload), unless they were
/// in the archive before.
pub fn discard_archived(store: &Store, archived: Vec<Archived>) {
    let incoming: Vec<Incoming> = archived.into_iter().map(|a| a.0).collect();
    entitle_archive::discard_new(store, &incoming);
}

/// Binds documents archived by [`archive_upload`] as [`attach`] does.
///
/// # Errors
///
/// As [`attach`]; a refused write removes the documents it archived.
pub fn attach_archived(
    store: &mut Store,
    ctx: &Context,
    req: &Attach,
    archived: Vec<Archived>,
    progress: &dyn Progress,
) -> Result<AttachResult> {
    let (kind, owner) = target(req, archived.len())?;
    let incoming: Vec<Incoming> = archived.into_iter().map(|a| a.0).collect();
    bind(
        store,
        ctx,
        kind,
        owner,
        req.note.as_deref(),
        &incoming,
        progress,
    )
}

/// What `req` binds documents to, in words (`L-0003`, `vendor
/// Nordlicht`), its kind and owner checked: for a front-end that sends
/// the documents to be attached elsewhere (a server), to say so as
/// [`attach`] does.
///
/// # Errors
///
/// For a bad kind, license id or vendor.
pub fn attach_target(req: &Attach) -> Result<String> {
    let (_, owner) = target(req, 1)?;
    Ok(owner_words(owner))
}

fn owner_words(owner: Owner) -> String {
    match owner {
        Owner::License(id) => id,
        Owner::Vendor(v) => format!("vendor {v}"),
    }
}

/// The kind and owner of `count` documents to attach, checked before any
/// is archived.
fn target(req: &Attach, count: usize) -> Result<(DocKind, Owner)> {
    let kind = req.kind.parse::<DocKind>()?;
    let owner = owner(req)?;
    if count == 0 {
        return Err(Error::missing(
            "file",
            "must be given: name the documents to attach",
        ));
    }
    Ok((kind, owner))
}

/// What the documents are bound to.
fn owner(req: &Attach) -> Result<Owner> {
    Ok(match (&req.vendor, &req.license) {
        (Some(v), _) if v.trim().is_empty() => {
            return Err(Error::missing("vendor", "must not be empty"))
        }
        (Some(v), _) => Owner::Vendor(v.trim().to_owned()),
        (None, Some(id)) => Owner::License(license_id(id)?),
        (None, None) => return Err(Error::missing("license", "must be given (or a vendor)")),
    })
}

/// Records the `document_attached` events for archived documents and
/// indexes their text.
fn bind(
    store: &mut Store,
    ctx: &Context,
    kind: DocKind,
    owner: Owner,
    note: Option<&str>,
    incoming: &[Incoming],
    progress: &dyn Progress,
) -> Result<AttachResult> {
    let drafts = entitle_archive::drafts(incoming, &owner, kind, note);
    let appended = match store.append(drafts, ctx) {
        Ok(a) => a,
        Err(e) => {
            discard_if_refused(store, incoming, &e);
            return Err(e.into());
        }
    };
    crate::index::open(store, progress)?;
    Ok(AttachResult {
        seqs: appended.iter().map(|a| a.seq).collect(),
        documents: attached(store, incoming)?,
        to: owner_words(owner),
    })
}

/// Removes the documents a refused write archived. After a store failure
/// they stay: the events may have reached the log all the same (cutting it
/// back can fail too), and a document nothing names is harmless where one
/// an event names but the archive lacks fails `verify` for good.
fn discard_if_refused(
    store: &Store,
    incoming: &[entitle_archive::Incoming],
    e: &entitle_store::AppendError,
) {
    if matches!(e, entitle_store::AppendError::Rejected(_)) {
        entitle_archive::discard_new(store, incoming);
    }
}

/// Checks that every path names a regular file with bytes in it, without
/// opening any: call it before opening the store, so that a FIFO or a
/// device named by mistake is refused by name and never holds the store
/// while it is read. A symbolic link is followed to the file it names.
///
/// # Errors
///
/// For the first path that is missing, a directory, not a regular file, or
/// empty (field `file`).
pub fn check_files(paths: &[std::path::PathBuf]) -> Result<()> {
    for path in paths {
        entitle_store::Blobs::check_file(path)?;
    }
    Ok(())
}

/// Stores every source by content, all or nothing.
fn store_sources(
    store: &Store,
    sources: Vec<Source<'_>>,
    progress: &dyn Progress,
) -> Result<Vec<Incoming>> {
    let stage = Stage::new(
        progress,
        "archiving documents",
        Some(sources.len() as u64),
        Unit::Files,
    );
    let mut out: Vec<Incoming> = Vec::with_capacity(sources.len());
    // Files named by path are stored a group at a time, their fsyncs
    // together; an upload is stored as it streams in.
    let mut paths: Vec<std::path::PathBuf> = Vec::new();
    let flush = |paths: &mut Vec<std::path::PathBuf>, out: &mut Vec<Incoming>| -> Result<()> {
        if paths.is_empty() {
            return Ok(());
        }
        let stored = entitle_archive::store_files(store, paths)?;
        stage.advance(stored.len() as u64);
        out.extend(stored);
        paths.clear();
        Ok(())
    };
    for source in sources {
        let stored: Result<()> = match source {
            Source::Path(path) => {
                paths.push(path);
                if paths.len() >= FILES_PER_GROUP {
                    flush(&mut paths, &mut out)
                } else {
                    Ok(())
                }
            }
            Source::Upload {
                filename,
                reader,
                limit,
            } => flush(&mut paths, &mut out).and_then(|()| {
                entitle_core::document::check_filename(&filename)?;
                let i = entitle_archive::store_upload(store, reader, &filename, limit)?;
                out.push(i);
                stage.advance(1);
                Ok(())
            }),
        };
        if let Err(e) = stored {
            entitle_archive::discard_new(store, &out);
            return Err(e);
        }
    }
    if let Err(e) = flush(&mut paths, &mut out) {
        entitle_archive::discard_new(store, &out);
        return Err(e);
    }
    Ok(out)
}

/// Files stored with their fsyncs together (see [`store_sources`]).
const FILES_PER_GROUP: usize = 256;

/// The attached documents with whether their text is searchable.
fn attached(store: &Store, incoming: &[Incoming]) -> Result<Vec<Attached>> {
    let mut out = Vec::with_capacity(incoming.len());
    for i in incoming {
        let searchable = entitle_archive::searchable(store, &i.blob.hash)?;
        out.push(Attached {
            hash: i.blob.hash.clone(),
            filename: i.filename.clone(),
            size: i.blob.size,
            media_type: i.media_type,
            new: i.blob.new,
            searchable: matches!(searchable, Some(Searchable::Yes(_))),
            characters: match searchable {
                Some(Searchable::Yes(n)) => Some(n),
                _ => None,
            },
            not_searchable_reason: match searchable {
                Some(Searchable::No(why)) => Some(why),
                _ => None,
            },
        });
    }
    Ok(out)
}
