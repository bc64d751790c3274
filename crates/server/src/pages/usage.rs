//! One product's usage over time (`/usage/{vendor}/{product}/{metric}`):
//! the counts as known at the view's moment against the entitled
//! quantity on each count's date, as a step chart and a table with the
//! sources; the dashboard's "used" figures link here.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use entitle_app::query::{self, UsageHistory, UsageRequest};

use super::chart::{self, Step};
use super::dashboard::quantity;
use super::{read, Chrome, Times, Visit};
use crate::state::Shared;

/// One count as shown.
#[derive(Debug)]
pub(crate) struct CountRow {
    pub seq: u64,
    pub date: String,
    pub count: String,
    pub entitled: String,
    pub over: bool,
    pub source: String,
}

#[derive(Template)]
#[template(path = "usage.html")]
struct UsagePage {
    c: Chrome,
    heading: String,
    chart: String,
    rows: Vec<CountRow>,
    shown: String,
    json_href: String,
}

/// `GET /usage/{vendor}/{product}/{metric}`
pub(crate) async fn show(
    State(shared): State<Arc<Shared>>,
    Path((vendor, product, metric)): Path<(String, String, String)>,
    visit: Visit,
) -> Response {
    let lang = visit.lang;
    let scope = visit.scope();
    let params = visit.params.clone();
    let req = UsageRequest {
        vendor,
        product,
        metric,
        known_at: params.known_at.clone(),
    };
    let answer = read(&shared, lang, move |store| {
        let history = query::usage_history(store, &scope, &req)?;
        let times = Times::of(store, &params)?;
        Ok((history, times))
    })
    .await;
    let (history, times): (UsageHistory, Times) = match answer {
        Ok(a) => a,
        Err(page) => return page,
    };
    let t = lang.t();
    let metric = lang.metric(history.metric.as_str());
    let steps: Vec<Step> = history
        .points
        .iter()
        .filter_map(|p| {
            Some(Step {
                date: p.date.parse().ok()?,
                count: p.count,
                entitled: p.entitled.count(),
                title: format!(
                    "{}: {} {metric} ({}: {})",
                    lang.date_text(&p.date),
                    lang.number(i64::try_from(p.count).unwrap_or(i64::MAX)),
                    t.entitled,
                    quantity(lang, p.entitled)
                ),
            })
        })
        .collect();
    let rows = history
        .points
        .iter()
        .rev()
        .map(|p| CountRow {
            seq: p.seq,
            date: lang.date_text(&p.date),
            count: lang.number(i64::try_from(p.count).unwrap_or(i64::MAX)),
            entitled: quantity(lang, p.entitled),
            over: p.entitled.count().is_some_and(|e| p.count > e),
            source: p.source.clone().unwrap_or_default(),
        })
        .collect();
    let heading = format!("{} / {} · {metric}", history.vendor, history.product);
    let page = UsagePage {
        c: visit.chrome(heading.clone(), "/", &times),
        heading,
        chart: chart::steps(lang, &steps),
        rows,
        shown: lang.counts_shown(history.points.len(), history.total),
        json_href: format!(
            "/api/v1/usage/{}/{}/{}{}",
            super::dashboard::urlencode(&history.vendor),
            super::dashboard::urlencode(&history.product),
            history.metric.as_str(),
            visit
                .params
                .known_at
                .as_deref()
                .map_or_else(String::new, |k| format!(
                    "?{}",
                    serde_urlencoded::to_string([("known_at", k)]).unwrap_or_default()
                ))
        ),
    };
    visit.html(&page)
}
