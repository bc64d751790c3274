//! The renewals page (`/renewals`): the terms that end within a window
//! after the chosen date, with their notice periods and cancel-by dates,
//! as known at the chosen moment and in the account's scope; the same as
//! an `.ics` file (what `renewals --ics` writes) and as JSON; and the
//! account's personal calendar subscription, which Outlook or Google
//! Calendar keep up to date by themselves.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Form;
use entitle_app::query::{self, Renewals, RenewalsRequest};
use entitle_app::Error;
use entitle_auth::Error as AuthError;
use serde::Deserialize;

use super::dashboard::urlencode;
use super::i18n::Lang;
use super::{page_number, read, Chrome, Paged, Times, Visit};
use crate::api::accounts::{actor, calendar_url, change};
use crate::state::Shared;

/// Terms per page.
const PER_PAGE: usize = 100;

/// The window when none is asked for: the dashboard's 90 days.
const DEFAULT_WITHIN: u32 = 90;
/// The longest window a page shows: ten years.
const MAX_WITHIN: u32 = 3660;

/// One term ending in the window, as shown.
#[derive(Debug)]
pub(crate) struct RenewalRow {
    pub id: String,
    pub href: String,
    pub vendor: String,
    pub product: String,
    pub end: String,
    pub notice: String,
    pub cancel_by: String,
    pub auto_renew: &'static str,
    pub owner: String,
    pub status: &'static str,
    pub passed: bool,
    pub cost: String,
}

#[derive(Template)]
#[template(path = "renewals.html")]
struct RenewalsPage {
    c: Chrome,
    heading: String,
    known: String,
    within: u32,
    /// The terms on this page (a long window comes in pages; the JSON and
    /// the calendar file have them all).
    rows: Paged<RenewalRow>,
    json_href: String,
    ics_href: String,
    /// A subscription link just created: shown this once.
    calendar: Option<String>,
    /// The subscription was just stopped.
    calendar_stopped: bool,
}

/// The window of days from the address (`within`), checked.
fn within(visit: &Visit) -> Result<u32, Error> {
    let Some(raw) = visit.params.within.as_deref() else {
        return Ok(DEFAULT_WITHIN);
    };
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_WITHIN).contains(&n) => Ok(n),
        _ => Err(Error::invalid(
            "within",
            raw,
            format!("is not a number of days from 1 to {MAX_WITHIN}"),
        )),
    }
}

/// The renewals of the visit's view.
async fn renewals(shared: &Arc<Shared>, visit: &Visit) -> Result<(Times, Renewals), Response> {
    let days = within(visit).map_err(|e| super::error_page(visit.lang, &e))?;
    let scope = visit.scope();
    let params = visit.params.clone();
    read(shared, visit.lang, move |store| {
        let times = Times::of(store, &params)?;
        let renewals = query::renewals(
            store,
            &scope,
            &RenewalsRequest {
                as_of: params.as_of.clone(),
                within: days,
                known_at: params.known_at.clone(),
            },
        )?;
        Ok((times, renewals))
    })
    .await
}

fn row(lang: Lang, r: &query::Renewal, q: &str) -> RenewalRow {
    let t = lang.t();
    RenewalRow {
        id: r.id.clone(),
        href: format!("/licenses/{}{q}", urlencode(&r.id)),
        vendor: r.vendor.clone(),
        product: r.product.clone(),
        end: lang.date_text(&r.end),
        notice: r
            .notice_days
            .map(|d| lang.days(d))
            .unwrap_or_else(|| "–".to_owned()),
        cancel_by: lang.date_text(&r.cancel_by),
        auto_renew: if r.auto_renew { t.yes } else { t.no },
        owner: r.owner.clone().unwrap_or_default(),
        status: lang.deadline_status(r.status),
        passed: r.status == "deadline-passed",
        cost: match (&r.cost, &r.currency) {
            (Some(c), Some(cur)) => lang.money_text(c, cur),
            _ => String::new(),
        },
    }
}

/// The page, with what the calendar form just did.
async fn render(
    shared: &Arc<Shared>,
    visit: &Visit,
    calendar: Option<String>,
    calendar_stopped: bool,
) -> Response {
    let page = match page_number(visit.params.page.as_deref()) {
        Ok(n) => n,
        Err(e) => return super::error_page(visit.lang, &e),
    };
    let (times, renewals) = match self::renewals(shared, visit).await {
        Ok(a) => a,
        Err(page) => return page,
    };
    let lang = visit.lang;
    let q = visit.params.times_query(&[]);
    let within = renewals.within_days;
    let with_window = visit
        .params
        .times_query(&[("within", Some(&within.to_string()))]);
    let heading = lang.deadlines_until(renewals.until);
    let page = RenewalsPage {
        c: visit.chrome(heading.clone(), "/renewals", &times),
        heading,
        known: lang.known_at_seq(renewals.known_at_seq),
        within,
        rows: Paged::of(
            lang,
            &renewals.renewals,
            page,
            PER_PAGE,
            |n| {
                let n = n.to_string();
                format!(
                    "/renewals{}",
                    visit.params.times_query(&[
                        ("within", Some(&within.to_string())),
                        ("page", Some(n.as_str()).filter(|n| *n != "1")),
                    ])
                )
            },
            |r| row(lang, r, &q),
        ),
        json_href: format!("/api/v1/renewals{with_window}"),
        ics_href: format!("/renewals.ics{with_window}"),
        calendar,
        calendar_stopped,
    };
    visit.html(&page)
}

/// `GET /renewals`
pub(crate) async fn page(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    render(&shared, &visit, None, false).await
}

/// `GET /renewals.ics`: the window's deadlines as a calendar file, the
/// bytes `renewals --ics` writes.
pub(crate) async fn ics(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    let (_, renewals) = match self::renewals(&shared, &visit).await {
        Ok(a) => a,
        Err(page) => return page,
    };
    let answer = read(&shared, visit.lang, move |_| query::calendar(&renewals)).await;
    match answer {
        Ok(ics) => {
            let mut response = (
                [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
                ics,
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str("attachment; filename=\"renewals.ics\"") {
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Err(page) => page,
    }
}

/// What the calendar form posts: `create` a new link (any earlier one
/// stops working) or `stop` the subscription.
#[derive(Debug, Deserialize)]
pub(crate) struct CalendarForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
}

/// `POST /renewals/calendar`: the account's own subscription link, shown
/// once on the page it answers with.
pub(crate) async fn calendar(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    visit: Visit,
    Form(form): Form<CalendarForm>,
) -> Response {
    if !visit.form_ok(&headers, &form.csrf) {
        return crate::error::ApiError::CrossSite.into_response();
    }
    let by = actor(&visit.who);
    let user = visit.who.account.name.clone();
    let changed = change(&shared, move |auth| match form.action.as_str() {
        "stop" => match auth.revoke_calendar(&by, &user) {
            // Stopping what was never started leaves it stopped.
            Ok(()) | Err(AuthError::NoCalendar(_)) => Ok(None),
            Err(e) => Err(e),
        },
        _ => auth.rotate_calendar_secret(&by, &user).map(Some),
    })
    .await;
    match changed {
        Ok(Some(secret)) => {
            let url = calendar_url(&shared, &headers, &secret);
            render(&shared, &visit, Some(url), false).await
        }
        Ok(None) => render(&shared, &visit, None, true).await,
        Err(e) => e.into_response(),
    }
}
