//! The dashboard (`/`): the position per vendor, product and metric with
//! its status, the money at risk per currency, the notice deadlines of the
//! next 90 days, stale usage counts and the chain's state — on the chosen
//! date as known at the chosen moment, in the account's scope.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use entitle_app::query::{self, Position, PositionRequest, RenewalsRequest};
use entitle_core::position::DEFAULT_STALE_AFTER_DAYS;
use jiff::Timestamp;

use super::forms::Choice;
use super::i18n::Lang;
use super::{csv_download, page_number, read, Chrome, Paged, Times, Visit};
use crate::state::Shared;

/// One row of the position as shown.
#[derive(Debug)]
pub(crate) struct PosRow {
    pub vendor: String,
    pub product: String,
    pub metric_key: String,
    pub metric: &'static str,
    pub entitled: String,
    pub used: String,
    pub stale: bool,
    pub balance: String,
    pub status_class: &'static str,
    pub status: &'static str,
    pub money: String,
    /// Shortfall cost or unused per year.
    pub money_kind: &'static str,
    pub licenses: Vec<(String, String)>,
    /// "and 12 more", leading to the vendor's licenses, when a row has
    /// more than [`ROW_LICENSES`].
    pub more: Option<(String, String)>,
    /// The product's counts over time, when it has any.
    pub usage_href: Option<String>,
}

/// The money at risk in one currency.
#[derive(Debug)]
pub(crate) struct MoneyRow {
    pub currency: String,
    pub shortfall: String,
    pub unused: String,
}

/// A notice deadline.
#[derive(Debug)]
pub(crate) struct DeadlineRow {
    pub id: String,
    pub href: String,
    pub vendor: String,
    pub product: String,
    pub end: String,
    pub cancel_by: String,
    pub auto_renew: &'static str,
    pub status: &'static str,
    pub passed: bool,
}

/// A stale usage count.
#[derive(Debug)]
pub(crate) struct StaleRow {
    pub vendor: String,
    pub product: String,
    pub counted: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    c: Chrome,
    heading: String,
    known: String,
    /// The position's rows on this page, with the status filter.
    rows: Paged<PosRow>,
    statuses: Vec<Choice>,
    status: String,
    vendor: String,
    as_of: String,
    known_at: String,
    money: Vec<MoneyRow>,
    unpriced: Option<String>,
    deadlines_heading: String,
    deadlines: Vec<DeadlineRow>,
    /// "All 240 deadlines on the renewals page" when more are due than
    /// the dashboard shows.
    all_deadlines: Option<(String, String)>,
    stale: Vec<StaleRow>,
    /// "and 30 more" stale counts.
    stale_more: Option<String>,
    /// The chain's state, and whether its last check failed.
    chain: (String, bool),
    /// The off-site copy's state when the server replicates, and whether
    /// it fails.
    replication: Option<(String, bool)>,
    json_href: String,
    csv_href: String,
    renewals_json_href: String,
}

/// The CSS class of a position status (the CLI's colours).
fn status_class(status: &str) -> &'static str {
    match status {
        "under" => "st-under",
        "over" => "st-over",
        "compliant" => "st-compliant",
        "metric-mismatch" => "st-mismatch",
        _ => "st-none",
    }
}

/// A quantity as the language writes it.
pub(crate) fn quantity(lang: Lang, q: entitle_core::Quantity) -> String {
    match q.count() {
        Some(n) => lang.number(i64::try_from(n).unwrap_or(i64::MAX)),
        None => lang.t().unlimited.to_owned(),
    }
}

/// The licenses a position row links to at most (a product bought many
/// times is summed up by its link to the vendor's licenses).
const ROW_LICENSES: usize = 5;

/// The position's rows per page of the dashboard (the CSV and the JSON
/// have them all): a store with thousands of products keeps a page that
/// loads at once.
const DASHBOARD_ROWS: usize = 50;

/// Notice deadlines and stale counts the dashboard lists at most.
const DASHBOARD_LIST: usize = 10;

/// The statuses a position row can have, in the filter's order.
const STATUSES: [&str; 5] = [
    "under",
    "over",
    "compliant",
    "metric-mismatch",
    "no-usage-data",
];

/// One row of the position as the dashboard shows it.
fn row(
    lang: Lang,
    r: &query::ProductRow,
    link: &dyn Fn(&str) -> String,
    vendor_licenses: &dyn Fn(&str) -> String,
    q: &str,
) -> PosRow {
    let t = lang.t();
    let (money, money_kind) = match (&r.shortfall, &r.unused, &r.currency) {
        (Some(c), _, Some(cur)) => (lang.money(*c, cur), t.shortfall_cost),
        (None, Some(c), Some(cur)) => (lang.money(*c, cur), t.unused_cost),
        _ => (String::new(), ""),
    };
    PosRow {
        vendor: r.vendor.clone(),
        product: r.product.clone(),
        metric_key: r.metric.to_string(),
        metric: lang.metric(r.metric.as_str()),
        entitled: quantity(lang, r.entitled),
        used: r.used.map_or_else(
            || "–".to_owned(),
            |u| lang.number(i64::try_from(u).unwrap_or(i64::MAX)),
        ),
        stale: r.stale,
        balance: r.balance.map_or_else(|| "–".to_owned(), |b| lang.signed(b)),
        status_class: status_class(r.status),
        status: lang.position_status(r.status),
        money,
        money_kind,
        licenses: r
            .licenses
            .iter()
            .take(ROW_LICENSES)
            .map(|id| (id.clone(), link(id)))
            .collect(),
        more: (r.licenses.len() > ROW_LICENSES).then(|| {
            (
                lang.and_more(r.licenses.len() - ROW_LICENSES),
                vendor_licenses(&r.vendor),
            )
        }),
        usage_href: r.used.map(|_| {
            format!(
                "/usage/{}/{}/{}{q}",
                urlencode(&r.vendor),
                urlencode(&r.product),
                r.metric.as_str()
            )
        }),
    }
}

/// The chain's state: the server's last check of it, or the head alone
/// before the first check finished. The text, and whether it failed.
fn chain_state(lang: Lang, shared: &Shared, times: &Times) -> (String, bool) {
    let short = &times.head_hash[..12];
    let Some(checked) = shared.checked.get() else {
        return (lang.chain(times.head_seq, short), false);
    };
    let v = &checked.verification;
    let ago = lang.ago(Timestamp::now().as_second() - checked.at.as_second());
    if v.intact {
        let checked_head = v.head.get(..12).unwrap_or(&v.head);
        let newer = times.head_seq.saturating_sub(v.events);
        (
            lang.chain_verified(v.events, checked_head, &ago, newer),
            false,
        )
    } else {
        (lang.chain_broken(v.first_bad_seq, &ago), true)
    }
}

/// The off-site copy's state (`[backup] replicate_to`), if the server
/// replicates: the text, and whether it fails. The destination and the
/// error for admins only, as `GET /api/v1/replication` answers.
fn replication_state(lang: Lang, shared: &Shared, admin: bool) -> Option<(String, bool)> {
    let status = shared.replicator.status(admin);
    if !status.enabled {
        return None;
    }
    let text = if status.failing {
        lang.replication_failing(status.failures, status.last_error.as_deref())
    } else {
        match (status.replicated_seq, &status.replicated_at) {
            (Some(seq), Some(at)) => {
                let ago = at
                    .parse::<Timestamp>()
                    .map_or(0, |at| Timestamp::now().as_second() - at.as_second());
                lang.replicated(seq, status.head_seq, &lang.ago(ago), status.lag_seconds)
            }
            _ => lang.replication_first(),
        }
    };
    let text = match &status.dest {
        Some(dest) => lang.replication_to(dest, &text),
        None => text,
    };
    Some((text, status.failing))
}

/// `GET /`
pub(crate) async fn page(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    let lang = visit.lang;
    let scope = visit.scope();
    let params = visit.params.clone();
    let answers = Arc::clone(&shared);
    let answer = read(&shared, lang, move |store| {
        let times = Times::of(store, &params)?;
        let page = page_number(params.page.as_deref())?;
        let position = answers.answers.position(
            store,
            &scope,
            &PositionRequest {
                query: params.query(),
                stale_after: DEFAULT_STALE_AFTER_DAYS,
            },
        )?;
        let renewals = query::renewals(
            store,
            &scope,
            &RenewalsRequest {
                as_of: params.as_of.clone(),
                within: 90,
                known_at: params.known_at.clone(),
            },
        )?;
        Ok((times, page, position, renewals))
    })
    .await;
    let (times, page, position, renewals) = match answer {
        Ok(a) => a,
        Err(page) => return page,
    };
    let t = lang.t();
    let q = visit.params.times_query(&[]);
    let link = |id: &str| format!("/licenses/{}{q}", urlencode(id));
    let vendor_licenses = |vendor: &str| {
        format!(
            "/licenses{}",
            visit.params.times_query(&[("vendor", Some(vendor))])
        )
    };
    let totals = position.money_totals();
    let mut currencies: Vec<&String> = totals
        .shortfall
        .keys()
        .chain(totals.unused.keys())
        .collect();
    currencies.sort();
    currencies.dedup();
    let money = currencies
        .into_iter()
        .map(|cur| MoneyRow {
            currency: cur.clone(),
            shortfall: totals
                .shortfall
                .get(cur)
                .map(|d| lang.money(*d, cur))
                .unwrap_or_default(),
            unused: totals
                .unused
                .get(cur)
                .map(|d| lang.money(*d, cur))
                .unwrap_or_default(),
        })
        .collect();
    let deadlines = renewals
        .renewals
        .iter()
        .take(DASHBOARD_LIST)
        .map(|r| DeadlineRow {
            id: r.id.clone(),
            href: link(&r.id),
            vendor: r.vendor.clone(),
            product: r.product.clone(),
            end: lang.date_text(&r.end),
            cancel_by: lang.date_text(&r.cancel_by),
            auto_renew: if r.auto_renew { t.yes } else { t.no },
            status: lang.deadline_status(r.status),
            passed: r.status == "deadline-passed",
        })
        .collect();
    let all_deadlines = (renewals.renewals.len() > DASHBOARD_LIST).then(|| {
        (
            lang.all_deadlines(renewals.renewals.len()),
            format!("/renewals{q}"),
        )
    });
    let stale_count = position.products.iter().filter(|r| r.stale).count();
    let stale = position
        .products
        .iter()
        .filter(|r| r.stale)
        .take(DASHBOARD_LIST)
        .map(|r| StaleRow {
            vendor: r.vendor.clone(),
            product: r.product.clone(),
            counted: lang.counted_on(
                r.used_date.as_deref().unwrap_or_default(),
                r.used_source.as_deref(),
            ),
        })
        .collect();
    let p = &visit.params;
    let wanted = p.status.as_deref();
    let statuses = STATUSES
        .iter()
        .map(|s| Choice {
            value: (*s).to_owned(),
            label: lang.with_count(
                lang.position_status(s),
                position.products.iter().filter(|r| r.status == *s).count(),
            ),
            selected: wanted == Some(*s),
        })
        .collect();
    let shown: Vec<&query::ProductRow> = position
        .products
        .iter()
        .filter(|r| wanted.is_none_or(|w| r.status == w))
        .collect();
    let page_href = |n: usize| {
        let n = n.to_string();
        format!(
            "/{}",
            p.times_query(&[
                ("vendor", p.vendor.as_deref()),
                ("status", wanted),
                ("page", Some(n.as_str()).filter(|n| *n != "1")),
            ])
        )
    };
    let rows = Paged::of(lang, &shown, page, DASHBOARD_ROWS, page_href, |r| {
        row(lang, r, &link, &vendor_licenses, &q)
    });
    let heading = lang.position_on(times.as_of);
    let page = Dashboard {
        c: visit.chrome(heading.clone(), "/", &times),
        heading,
        known: lang.known_at_seq(position.known_at_seq),
        rows,
        statuses,
        status: wanted.unwrap_or_default().to_owned(),
        vendor: p.vendor.clone().unwrap_or_default(),
        as_of: p.as_of.clone().unwrap_or_default(),
        known_at: p.known_at.clone().unwrap_or_default(),
        money,
        unpriced: (totals.unpriced > 0).then(|| lang.unpriced(totals.unpriced)),
        deadlines_heading: lang.deadlines_until(renewals.until),
        deadlines,
        all_deadlines,
        stale,
        stale_more: (stale_count > DASHBOARD_LIST)
            .then(|| lang.and_more(stale_count - DASHBOARD_LIST)),
        chain: chain_state(lang, &shared, &times),
        replication: replication_state(lang, &shared, visit.who.must_admin().is_ok()),
        json_href: format!("/api/v1/position{q}"),
        csv_href: format!("/position.csv{q}"),
        renewals_json_href: format!("/api/v1/renewals{q}"),
    };
    visit.html(&page)
}

/// `GET /position.csv`: the position's rows, as `position --format csv`.
pub(crate) async fn csv(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    let scope = visit.scope();
    let params = visit.params.clone();
    let answers = Arc::clone(&shared);
    let answer = read(&shared, visit.lang, move |store| {
        answers.answers.position(
            store,
            &scope,
            &PositionRequest {
                query: params.query(),
                stale_after: DEFAULT_STALE_AFTER_DAYS,
            },
        )
    })
    .await;
    match answer {
        Ok(p) => csv_download(
            &format!("position-{}.csv", p.as_of),
            Position::CSV_COLUMNS,
            &p.products,
        ),
        Err(page) => page,
    }
}

/// A path segment, percent-encoded.
pub(crate) fn urlencode(segment: &str) -> String {
    let mut out = String::new();
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
