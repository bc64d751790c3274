//! The licenses: a list on the chosen date (filter by vendor and status,
//! sort by a column, CSV for Excel) and a page per license with its terms
//! on that date, its documents, and its history as a table and as the
//! bitemporal chart. A license out of the account's scope gets the 404
//! page, word for word as an unknown id.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use entitle_app::query::{self, History, LicenseRow, State as LicenseState};
use entitle_core::position::vendor_matches;

use super::chart::{self, Mark};
use super::dashboard::{quantity, urlencode};
use super::forms::Choice;
use super::i18n::Lang;
use super::{csv_download, not_found, page_number, read, Chrome, PageParams, Paged, Times, Visit};
use crate::state::Shared;

/// A license in the list.
#[derive(Debug)]
pub(crate) struct ListRow {
    pub id: String,
    pub href: String,
    pub vendor: String,
    pub product: String,
    pub edition: String,
    pub metric: &'static str,
    pub quantity: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub start: String,
    pub end: String,
    pub cost: String,
    pub owner: String,
}

/// A column header that sorts.
#[derive(Debug)]
pub(crate) struct SortLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
    pub numeric: bool,
}

#[derive(Template)]
#[template(path = "licenses.html")]
struct LicensesPage {
    c: Chrome,
    heading: String,
    known: String,
    columns: Vec<SortLink>,
    /// The licenses on this page (the CSV has them all).
    rows: Paged<ListRow>,
    vendors: Vec<Choice>,
    statuses: Vec<Choice>,
    owners: Vec<Choice>,
    as_of: String,
    known_at: String,
    sort: String,
    json_href: String,
    csv_href: String,
}

/// Licenses per page of the list (the CSV has them all).
const LIST_PAGE: usize = 100;

/// The CSS class of a license status (expired and cancelled dim).
fn status_class(status: &str) -> &'static str {
    match status {
        "active" | "renewed-assumed" => "ls-active",
        "pending" => "ls-pending",
        _ => "ls-dim",
    }
}

const STATUSES: [&str; 5] = [
    "active",
    "renewed-assumed",
    "pending",
    "expired",
    "cancelled",
];

/// The sortable columns: key, whether numeric.
const SORTS: [(&str, bool); 7] = [
    ("id", false),
    ("vendor", false),
    ("product", false),
    ("quantity", true),
    ("status", false),
    ("start", false),
    ("end", false),
];

/// The licenses of a state, filtered and sorted as the parameters say.
fn select(state: &LicenseState, p: &PageParams) -> Vec<LicenseRow> {
    let mut rows: Vec<LicenseRow> = state
        .licenses
        .iter()
        .filter(|r| vendor_matches(p.vendor.as_deref(), &r.vendor))
        .filter(|r| p.status.as_deref().is_none_or(|s| s == r.status))
        .filter(|r| {
            p.owner
                .as_deref()
                .is_none_or(|o| same_owner(o, r.owner.as_deref().unwrap_or_default()))
        })
        .cloned()
        .collect();
    match p.sort.as_deref() {
        Some("vendor") => rows.sort_by_key(|r| r.vendor.to_lowercase()),
        Some("product") => rows.sort_by_key(|r| r.product.to_lowercase()),
        Some("quantity") => {
            rows.sort_by_key(|r| std::cmp::Reverse(r.quantity.count().unwrap_or(u64::MAX)))
        }
        Some("status") => rows.sort_by_key(|r| r.status),
        Some("start") => rows.sort_by(|a, b| a.start.cmp(&b.start)),
        Some("end") => rows.sort_by(|a, b| a.end.cmp(&b.end)),
        _ => {}
    }
    rows
}

/// Owners compare as people type them: case and surrounding spaces aside.
fn same_owner(wanted: &str, owner: &str) -> bool {
    wanted.trim().to_lowercase() == owner.trim().to_lowercase()
}

fn list_row(lang: Lang, r: &LicenseRow, q: &str) -> ListRow {
    ListRow {
        id: r.id.clone(),
        href: format!("/licenses/{}{q}", urlencode(&r.id)),
        vendor: r.vendor.clone(),
        product: r.product.clone(),
        edition: r.edition.clone().unwrap_or_default(),
        metric: lang.metric(r.metric.as_str()),
        quantity: quantity(lang, r.quantity),
        status: lang.license_status(r.status),
        status_class: status_class(r.status),
        start: lang.date_text(&r.start),
        end: r
            .end
            .as_deref()
            .map_or_else(|| lang.t().perpetual.to_owned(), |e| lang.date_text(e)),
        cost: match (&r.cost, &r.currency) {
            (Some(c), Some(cur)) => lang.money_text(c, cur),
            _ => String::new(),
        },
        owner: r.owner.clone().unwrap_or_default(),
    }
}

/// `GET /licenses`
pub(crate) async fn list(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    let lang = visit.lang;
    let t = lang.t();
    let scope = visit.scope();
    let params = visit.params.clone();
    let answer = read(&shared, lang, move |store| {
        let times = Times::of(store, &params)?;
        let page = page_number(params.page.as_deref())?;
        let all = PageParams {
            vendor: None,
            ..params.clone()
        };
        let state = query::state(store, &scope, &all.query())?;
        Ok((times, page, state))
    })
    .await;
    let (times, page, state) = match answer {
        Ok(a) => a,
        Err(page) => return page,
    };
    let p = &visit.params;
    let q = p.times_query(&[]);
    let mut vendors: Vec<String> = state.licenses.iter().map(|r| r.vendor.clone()).collect();
    vendors.sort_by_key(|v| v.to_lowercase());
    vendors.dedup();
    let vendors = vendors
        .into_iter()
        .map(|v| Choice {
            selected: p
                .vendor
                .as_deref()
                .is_some_and(|s| vendor_matches(Some(s), &v)),
            label: v.clone(),
            value: v,
        })
        .collect();
    let mut owners: Vec<String> = state
        .licenses
        .iter()
        .filter_map(|r| r.owner.clone())
        .filter(|o| !o.trim().is_empty())
        .collect();
    owners.sort_by_key(|o| o.trim().to_lowercase());
    owners.dedup_by(|a, b| same_owner(a, b));
    let owners = owners
        .into_iter()
        .map(|o| Choice {
            selected: p.owner.as_deref().is_some_and(|s| same_owner(s, &o)),
            label: o.clone(),
            value: o,
        })
        .collect();
    let statuses = STATUSES
        .iter()
        .map(|s| Choice {
            value: (*s).to_owned(),
            label: lang.license_status(s).to_owned(),
            selected: p.status.as_deref() == Some(*s),
        })
        .collect();
    let labels = [
        t.license, t.vendor, t.product, t.quantity, t.status, t.start, t.end,
    ];
    let columns = SORTS
        .iter()
        .zip(labels)
        .map(|((key, numeric), label)| SortLink {
            label,
            href: format!(
                "/licenses{}",
                p.times_query(&[
                    ("vendor", p.vendor.as_deref()),
                    ("status", p.status.as_deref()),
                    ("owner", p.owner.as_deref()),
                    ("sort", Some(*key)),
                ])
            ),
            current: p.sort.as_deref().unwrap_or("id") == *key,
            numeric: *numeric,
        })
        .collect();
    let selected = select(&state, p);
    let filters = [
        ("vendor", p.vendor.as_deref()),
        ("status", p.status.as_deref()),
        ("owner", p.owner.as_deref()),
        ("sort", p.sort.as_deref()),
    ];
    let page_href = |n: usize| {
        let n = n.to_string();
        let mut pairs = filters.to_vec();
        pairs.push(("page", Some(n.as_str()).filter(|n| *n != "1")));
        format!("/licenses{}", p.times_query(&pairs))
    };
    let rows = Paged::named(
        &selected,
        page,
        LIST_PAGE,
        page_href,
        |r| list_row(lang, r, &q),
        |a, b, n| lang.licenses_shown(a, b, n),
    );
    let heading = lang.licenses_on(times.as_of);
    let page = LicensesPage {
        c: visit.chrome(heading.clone(), "/licenses", &times),
        heading,
        known: lang.known_at_seq(state.known_at_seq),
        columns,
        rows,
        vendors,
        statuses,
        owners,
        as_of: p.as_of.clone().unwrap_or_default(),
        known_at: p.known_at.clone().unwrap_or_default(),
        sort: p.sort.clone().unwrap_or_default(),
        json_href: format!(
            "/api/v1/state{}",
            p.times_query(&[("vendor", p.vendor.as_deref())])
        ),
        csv_href: format!("/licenses.csv{}", p.times_query(&filters)),
    };
    visit.html(&page)
}

/// `GET /licenses.csv`: the list as shown (filtered and sorted), with the
/// columns of `state --format csv`.
pub(crate) async fn csv(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    let scope = visit.scope();
    let params = visit.params.clone();
    let all = PageParams {
        vendor: None,
        ..params.clone()
    };
    match read(&shared, visit.lang, move |store| {
        query::state(store, &scope, &all.query())
    })
    .await
    {
        Ok(state) => csv_download(
            &format!("licenses-{}.csv", state.as_of),
            LicenseState::CSV_COLUMNS,
            &select(&state, &params),
        ),
        Err(page) => page,
    }
}

/// A document of a license as shown.
#[derive(Debug)]
pub(crate) struct DocRow {
    pub filename: String,
    pub kind: String,
    pub hash: String,
    pub short: String,
    pub href: String,
    pub seq: u64,
}

/// An event of the history as shown.
#[derive(Debug)]
pub(crate) struct EventRow {
    pub seq: u64,
    pub event: &'static str,
    pub effective: String,
    pub recorded: String,
    pub actor: String,
    pub summary: String,
    pub note: String,
    /// The void that undoes it, as known at the view's moment.
    pub voided_by: Option<u64>,
    /// A void recorded after the view's moment: the event still counted then.
    pub voided_later_by: Option<u64>,
    pub later: bool,
}

/// A term of a license: label and value.
#[derive(Debug)]
pub(crate) struct Term {
    pub label: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "license.html")]
struct LicensePage {
    c: Chrome,
    heading: String,
    status: Option<(&'static str, &'static str)>,
    terms: Vec<Term>,
    documents: Vec<DocRow>,
    events: Vec<EventRow>,
    chart: String,
    json_href: String,
    state_json_href: String,
    base_href: String,
}

/// A moment as the language writes it, in UTC.
pub(crate) fn moment(lang: Lang, at: &str) -> String {
    match at.parse::<jiff::Timestamp>() {
        Ok(ts) => {
            let z = ts.to_zoned(jiff::tz::TimeZone::UTC);
            format!(
                "{} {:02}:{:02} UTC",
                lang.date(z.date()),
                z.hour(),
                z.minute()
            )
        }
        Err(_) => at.to_owned(),
    }
}

fn terms(lang: Lang, r: &LicenseRow) -> Vec<Term> {
    let t = lang.t();
    let mut out = vec![
        Term {
            label: t.vendor,
            value: r.vendor.clone(),
        },
        Term {
            label: t.product,
            value: r.product.clone(),
        },
    ];
    if let Some(e) = &r.edition {
        out.push(Term {
            label: t.edition,
            value: e.clone(),
        });
    }
    out.push(Term {
        label: t.metric,
        value: lang.metric(r.metric.as_str()).to_owned(),
    });
    out.push(Term {
        label: t.quantity,
        value: quantity(lang, r.quantity),
    });
    out.push(Term {
        label: t.start,
        value: lang.date_text(&r.start),
    });
    out.push(Term {
        label: t.end,
        value: r
            .end
            .as_deref()
            .map_or_else(|| t.perpetual.to_owned(), |e| lang.date_text(e)),
    });
    let optional = [
        (
            t.maintenance_end,
            r.maintenance_end.as_deref().map(|d| lang.date_text(d)),
        ),
        (
            t.notice_days,
            r.notice_days.map(|n| lang.number(i64::from(n))),
        ),
        (
            t.auto_renew,
            Some(if r.auto_renew { t.yes } else { t.no }.to_owned()),
        ),
        (
            t.cost,
            match (&r.cost, &r.currency) {
                (Some(c), Some(cur)) => Some(lang.money_text(c, cur)),
                _ => None,
            },
        ),
        (t.po, r.po.clone()),
        (t.reseller, r.reseller.clone()),
        (t.owner, r.owner.clone()),
        (t.tags, (!r.tags.is_empty()).then(|| r.tags.join(", "))),
    ];
    out.extend(
        optional
            .into_iter()
            .filter_map(|(label, v)| v.map(|value| Term { label, value })),
    );
    out
}

fn marks(lang: Lang, h: &History) -> Vec<Mark> {
    h.events
        .iter()
        .filter_map(|e| {
            Some(Mark {
                seq: e.seq,
                effective: e.effective.parse().ok()?,
                recorded: e.recorded_at.parse().ok()?,
                voided_by: e.voided_by,
                is_void: e.event_type == "voided",
                title: format!(
                    "#{} {} — {}: {}, {}: {} — {}",
                    e.seq,
                    lang.event(e.event_type),
                    lang.t().effective,
                    lang.date_text(&e.effective),
                    lang.t().recorded,
                    moment(lang, &e.recorded_at),
                    e.summary
                ),
            })
        })
        .collect()
}

/// `GET /licenses/{id}`
pub(crate) async fn show(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    visit: Visit,
) -> Response {
    let lang = visit.lang;
    let scope = visit.scope();
    let params = visit.params.clone();
    let wanted = id.clone();
    let answer = read(&shared, lang, move |store| {
        // The history first: it answers "not found" for an unknown id and
        // for one out of scope alike, before anything else is read.
        let history = query::history(store, &scope, &wanted)?;
        let times = Times::of(store, &params)?;
        let all = PageParams {
            vendor: None,
            ..params.clone()
        };
        let row = query::state(store, &scope, &all.query())?
            .licenses
            .into_iter()
            .find(|r| r.id == history.id);
        Ok((history, times, row))
    })
    .await;
    let (history, times, row) = match answer {
        Ok(a) => a,
        Err(page) => return page,
    };
    if history.events.is_empty() {
        return not_found(lang);
    }
    let q = visit.params.times_query(&[]);
    let documents = row
        .as_ref()
        .map(|r| {
            r.documents
                .iter()
                .map(|d| DocRow {
                    filename: d.filename.clone(),
                    kind: d.kind.clone(),
                    short: d.hash.chars().take(12).collect(),
                    href: format!("/documents/{}", d.hash),
                    hash: d.hash.clone(),
                    seq: d.seq,
                })
                .collect()
        })
        .unwrap_or_default();
    let events = history
        .events
        .iter()
        .map(|e| EventRow {
            seq: e.seq,
            event: lang.event(e.event_type),
            effective: lang.date_text(&e.effective),
            recorded: moment(lang, &e.recorded_at),
            actor: e.actor.clone(),
            summary: e.summary.clone(),
            note: e.note.clone().unwrap_or_default(),
            voided_by: e.voided_by.filter(|&v| v <= times.known_seq),
            voided_later_by: e.voided_by.filter(|&v| v > times.known_seq),
            later: e.seq > times.known_seq,
        })
        .collect();
    let known = (times.known_seq < times.head_seq).then_some(times.known_seq);
    let heading = match &row {
        Some(r) => format!("{} · {} / {}", history.id, r.vendor, r.product),
        None => history.id.clone(),
    };
    let page = LicensePage {
        c: visit.chrome(
            heading.clone(),
            &format!("/licenses/{}", urlencode(&history.id)),
            &times,
        ),
        status: row
            .as_ref()
            .map(|r| (lang.license_status(r.status), status_class(r.status))),
        terms: row.as_ref().map(|r| terms(lang, r)).unwrap_or_default(),
        heading,
        documents,
        events,
        chart: chart::svg(lang, &marks(lang, &history), times.as_of, known),
        json_href: format!("/api/v1/licenses/{}/history", urlencode(&history.id)),
        state_json_href: format!("/api/v1/state{q}"),
        base_href: format!("/licenses/{}", urlencode(&history.id)),
    };
    visit.html(&page)
}
