//! The reminders page (`/reminders`): what a run of `entitle remind`
//! would send on the chosen date and has not sent yet, and the sent-log,
//! newest first — the same as `GET /api/v1/reminders`, with the same
//! rules: no auditor (the 404 page, and no link in the navigation),
//! recipients shown to admins and editors only, every item checked
//! against the account's scope.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use entitle_app::remind::Overview;

use super::dashboard::urlencode;
use super::i18n::{Lang, RemindTexts};
use super::licenses::moment;
use super::{not_found, read, Chrome, Times, Visit};
use crate::api::reminders::{may_see, overview_for, DEFAULT_LIMIT};
use crate::state::Shared;

/// One due item, as shown.
#[derive(Debug)]
pub(crate) struct DueRow {
    pub kind: &'static str,
    pub stage: String,
    pub date: String,
    pub license: Option<(String, String)>,
    pub what: String,
    pub to: String,
    pub unaddressed: bool,
}

/// One item of a sent message, as shown.
#[derive(Debug)]
pub(crate) struct SentItemRow {
    pub kind: &'static str,
    pub stage: String,
    pub license: Option<(String, String)>,
}

/// One sent message, as shown.
#[derive(Debug)]
pub(crate) struct SentRow {
    pub sent_at: String,
    pub for_day: String,
    pub to: String,
    pub message_id: String,
    pub items: Vec<SentItemRow>,
}

#[derive(Template)]
#[template(path = "reminders.html")]
struct RemindersPage {
    c: Chrome,
    r: &'static RemindTexts,
    heading: String,
    schedule: String,
    last_run: Option<String>,
    due: Vec<DueRow>,
    sent: Vec<SentRow>,
    sent_shown: Option<String>,
    json_href: String,
}

fn license_link(id: &str, q: &str) -> (String, String) {
    (id.to_owned(), format!("/licenses/{}{q}", urlencode(id)))
}

fn rows(lang: Lang, o: &Overview, q: &str) -> (Vec<DueRow>, Vec<SentRow>) {
    let r = lang.r();
    let due = o
        .due
        .iter()
        .map(|d| DueRow {
            kind: lang.reminder_kind(d.item.kind),
            stage: lang.stage(d.item.stage),
            date: d
                .item
                .date
                .as_deref()
                .map(|x| lang.date_text(x))
                .unwrap_or_default(),
            license: d.item.license.as_deref().map(|id| license_link(id, q)),
            what: format!("{} {}", d.item.vendor, d.item.product),
            to: match (&d.to, d.unaddressed) {
                (_, true) => r.no_address.to_owned(),
                (Some(to), false) => to.clone(),
                (None, false) => r.hidden.to_owned(),
            },
            unaddressed: d.unaddressed,
        })
        .collect();
    let sent = o
        .sent
        .iter()
        .map(|s| SentRow {
            sent_at: moment(lang, &s.sent_at),
            for_day: lang.date_text(&s.as_of),
            to: s.to.clone().unwrap_or_else(|| r.hidden.to_owned()),
            message_id: s.message_id.clone(),
            items: s
                .items
                .iter()
                .map(|i| SentItemRow {
                    kind: lang.reminder_kind(&i.kind),
                    stage: lang.stage(i.stage),
                    license: i.license.as_deref().map(|id| license_link(id, q)),
                })
                .collect(),
        })
        .collect();
    (due, sent)
}

/// `GET /reminders`
pub(crate) async fn page(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    let lang = visit.lang;
    if !may_see(&visit.who.account) {
        return not_found(lang);
    }
    let work = match overview_for(
        &shared,
        &visit.who,
        visit.params.as_of.as_deref(),
        DEFAULT_LIMIT,
    ) {
        Ok(w) => w,
        Err(e) => return super::error_page(lang, &e),
    };
    let params = visit.params.clone();
    let answer = read(&shared, lang, move |store| {
        let times = Times::of(store, &params)?;
        Ok((times, work(store)?))
    })
    .await;
    let (times, overview) = match answer {
        Ok(a) => a,
        Err(page) => return page,
    };
    let r = lang.r();
    let q = visit.params.times_query(&[]);
    let (due, sent) = rows(lang, &overview, &q);
    let schedule = match shared.reminders.settings.daily_at {
        Some(at) => lang.daily_at(&at.strftime("%H:%M").to_string()),
        None => r.schedule_off.to_owned(),
    };
    let last_run = shared.last_run.lock().clone().map(|l| {
        lang.last_run(
            &moment(lang, &l.finished_at),
            l.sent,
            l.failed,
            l.unaddressed,
        ) + &l.error.map(|e| format!(" {e}")).unwrap_or_default()
    });
    let sent_shown = (overview.sent_total > overview.sent.len())
        .then(|| lang.messages_shown(overview.sent.len(), overview.sent_total));
    let heading = r.nav.to_owned();
    let as_of_q = visit
        .params
        .as_of
        .as_deref()
        .map(|a| format!("?as_of={}", urlencode(a)))
        .unwrap_or_default();
    let page = RemindersPage {
        c: visit.chrome(heading.clone(), "/reminders", &times),
        r,
        heading,
        schedule,
        last_run,
        due,
        sent,
        sent_shown,
        json_href: format!("/api/v1/reminders{as_of_q}"),
    };
    visit.html(&page)
}
