//! The spend page (`/spend`): what was paid per year, vendor and product,
//! per currency (never summed across currencies), as known at the chosen
//! moment and in the account's scope; a bar chart per currency of the
//! yearly totals; the rows as CSV for Excel (`spend --format csv`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use entitle_app::query::{self, Spend, SpendRequest};
use entitle_app::Error;

use super::i18n::Lang;
use super::{csv_download, page_number, read, Chrome, PageParams, Paged, Times, Visit};
use crate::state::Shared;

/// One row as shown.
#[derive(Debug)]
pub(crate) struct SpendLine {
    pub year: i16,
    pub vendor: String,
    pub product: String,
    pub amount: String,
    pub events: String,
}

/// A year's total in one currency.
#[derive(Debug)]
pub(crate) struct TotalLine {
    pub year: i16,
    pub amount: String,
}

/// One currency: its chart and its totals.
#[derive(Debug)]
pub(crate) struct CurrencyBlock {
    pub currency: String,
    pub chart: String,
    pub totals: Vec<TotalLine>,
}

#[derive(Template)]
#[template(path = "spend.html")]
struct SpendPage {
    c: Chrome,
    heading: String,
    known: String,
    years: Vec<(String, bool)>,
    vendor: String,
    as_of: String,
    known_at: String,
    currencies: Vec<CurrencyBlock>,
    /// The rows on this page (the CSV and the JSON have them all).
    rows: Paged<SpendLine>,
    json_href: String,
    csv_href: String,
}

/// Rows per page.
const PER_PAGE: usize = 100;

/// The year from the address, checked.
fn year(params: &PageParams) -> Result<Option<i16>, Error> {
    params
        .year
        .as_deref()
        .map(|raw| {
            raw.parse::<i16>()
                .ok()
                .filter(|y| (1900..=9999).contains(y))
                .ok_or_else(|| Error::invalid("year", raw, "is not a year like 2024"))
        })
        .transpose()
}

fn request(params: &PageParams, year: Option<i16>) -> SpendRequest {
    SpendRequest {
        year,
        vendor: params.vendor.clone(),
        known_at: params.known_at.clone(),
    }
}

/// A money amount as a number for the chart's scale (exactness is the
/// table's job).
fn approx(amount: &str) -> f64 {
    amount.parse().unwrap_or(0.0)
}

/// Bars of yearly totals in one currency, drawn on the server; each bar
/// has a `<title>` with the exact figure, and the table below repeats it.
fn chart(lang: Lang, currency: &str, totals: &[(i16, String)]) -> String {
    const W: f64 = 760.0;
    const H: f64 = 220.0;
    const LEFT: f64 = 16.0;
    const TOP: f64 = 22.0;
    const BOTTOM: f64 = 26.0;
    let max = totals
        .iter()
        .map(|(_, a)| approx(a))
        .fold(0.0_f64, f64::max);
    if totals.is_empty() || max <= 0.0 {
        return String::new();
    }
    let slot = (W - 2.0 * LEFT) / totals.len() as f64;
    let bar = (slot * 0.6).min(64.0);
    let base = H - BOTTOM;
    let mut svg = format!(
        r#"<svg class="bars" viewBox="0 0 {W} {H}" role="img" aria-label="{}">"#,
        esc(&lang.spend_chart_label(currency))
    );
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{LEFT}" y1="{base}" x2="{}" y2="{base}"/>"#,
        W - LEFT
    );
    for (i, (year, amount)) in totals.iter().enumerate() {
        let h = (approx(amount) / max * (base - TOP)).max(1.0);
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let mid = x + bar / 2.0;
        let money = lang.money_text(amount, currency);
        let _ = write!(
            svg,
            r#"<g><title>{year}: {m}</title><rect class="bar" x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}"/><text class="figure" x="{mid:.1}" y="{fy:.1}">{m}</text><text class="label mid" x="{mid:.1}" y="{ly:.1}">{year}</text></g>"#,
            m = esc(&money),
            y = base - h,
            fy = base - h - 5.0,
            ly = base + 16.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /spend`
pub(crate) async fn page(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    let lang = visit.lang;
    let (chosen, page) = match year(&visit.params)
        .and_then(|y| Ok((y, page_number(visit.params.page.as_deref())?)))
    {
        Ok(a) => a,
        Err(e) => return super::error_page(lang, &e),
    };
    let scope = visit.scope();
    let params = visit.params.clone();
    // Every year (for the year filter's choices and the chart), filtered
    // to the chosen one below.
    let answer = read(&shared, lang, move |store| {
        let times = Times::of(store, &params)?;
        let spend = query::spend(store, &scope, &request(&params, None))?;
        Ok((times, spend))
    })
    .await;
    let (times, spend) = match answer {
        Ok(a) => a,
        Err(page) => return page,
    };
    let mut years: Vec<i16> = spend.totals.iter().map(|t| t.year).collect();
    years.sort_unstable();
    years.dedup();
    let shown = |y: i16| chosen.is_none_or(|c| c == y);
    let mut by_currency: BTreeMap<&str, Vec<(i16, String)>> = BTreeMap::new();
    for t in spend.totals.iter().filter(|t| shown(t.year)) {
        by_currency
            .entry(t.currency.as_str())
            .or_default()
            .push((t.year, t.amount.clone()));
    }
    let currencies = by_currency
        .into_iter()
        .map(|(currency, mut totals)| {
            totals.sort_by_key(|(y, _)| *y);
            CurrencyBlock {
                currency: currency.to_owned(),
                chart: chart(lang, currency, &totals),
                totals: totals
                    .iter()
                    .map(|(year, amount)| TotalLine {
                        year: *year,
                        amount: lang.money_text(amount, currency),
                    })
                    .collect(),
            }
        })
        .collect();
    let p = &visit.params;
    let filters = [("vendor", p.vendor.as_deref()), ("year", p.year.as_deref())];
    let q = p.times_query(&filters);
    let selected: Vec<&query::SpendRow> = spend.spend.iter().filter(|r| shown(r.year)).collect();
    let page_href = |n: usize| {
        let n = n.to_string();
        let mut pairs = filters.to_vec();
        pairs.push(("page", Some(n.as_str()).filter(|n| *n != "1")));
        format!("/spend{}", p.times_query(&pairs))
    };
    let rows = Paged::of(lang, &selected, page, PER_PAGE, page_href, |r| SpendLine {
        year: r.year,
        vendor: r.vendor.clone(),
        product: r.product.clone(),
        amount: lang.money_text(&r.amount, &r.currency),
        events: lang.number(i64::try_from(r.events).unwrap_or(i64::MAX)),
    });
    let heading = lang.spend_heading(chosen);
    let page = SpendPage {
        c: visit.chrome(heading.clone(), "/spend", &times),
        heading,
        known: lang.known_at_seq(spend.known_at_seq),
        years: years
            .iter()
            .map(|y| (y.to_string(), Some(*y) == chosen))
            .collect(),
        vendor: p.vendor.clone().unwrap_or_default(),
        as_of: p.as_of.clone().unwrap_or_default(),
        known_at: p.known_at.clone().unwrap_or_default(),
        currencies,
        rows,
        json_href: format!("/api/v1/spend{q}"),
        csv_href: format!("/spend.csv{q}"),
    };
    visit.html(&page)
}

/// `GET /spend.csv`: the rows of `spend --format csv`.
pub(crate) async fn csv(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    let chosen = match year(&visit.params) {
        Ok(y) => y,
        Err(e) => return super::error_page(visit.lang, &e),
    };
    let scope = visit.scope();
    let params = visit.params.clone();
    let answer = read(&shared, visit.lang, move |store| {
        query::spend(store, &scope, &request(&params, chosen))
    })
    .await;
    match answer {
        Ok(s) => csv_download("spend.csv", Spend::CSV_COLUMNS, &s.spend),
        Err(page) => page,
    }
}
