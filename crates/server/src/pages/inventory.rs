//! The inventory page (`/inventory`): the hosts on the chosen date as
//! known at the chosen moment, their hardware and software, and the
//! editions and versions in use — `entitle inventory` in the browser, in
//! the account's scope (an auditor sees the hosts that run their vendors'
//! software, with that software only); `/inventory.csv` for Excel.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use entitle_app::query::{self, Inventory, InventoryRequest};

use super::i18n::Lang;
use super::{csv_download, read, Chrome, Times, Visit};
use crate::state::Shared;

/// A product on a host, as shown.
#[derive(Debug)]
pub(crate) struct SoftwareLine {
    pub vendor: String,
    pub product: String,
    /// Edition and version, when recorded.
    pub variant: String,
    pub since: String,
}

/// A host, as shown.
#[derive(Debug)]
pub(crate) struct HostLine {
    pub host: String,
    pub facts: String,
    pub last_seen: String,
    pub software: Vec<SoftwareLine>,
}

/// An edition and version in use.
#[derive(Debug)]
pub(crate) struct UseLine {
    pub what: String,
    pub hosts: String,
}

#[derive(Template)]
#[template(path = "inventory.html")]
struct InventoryPage {
    c: Chrome,
    i: &'static super::i18n::InventoryTexts,
    heading: String,
    known: String,
    vendor: String,
    host: String,
    as_of: String,
    known_at: String,
    hosts: Vec<HostLine>,
    in_use: Vec<UseLine>,
    json_href: String,
    csv_href: String,
}

/// The inventory of the visit's view.
async fn inventory(shared: &Arc<Shared>, visit: &Visit) -> Result<(Times, Inventory), Response> {
    let scope = visit.scope();
    let params = visit.params.clone();
    read(shared, visit.lang, move |store| {
        let times = Times::of(store, &params)?;
        let inventory = query::inventory(
            store,
            &scope,
            &InventoryRequest {
                query: params.query(),
                host: params.host.clone(),
            },
        )?;
        Ok((times, inventory))
    })
    .await
}

fn host_line(lang: Lang, h: &query::HostInventory) -> HostLine {
    let facts = match (&h.summary, &h.facts_date) {
        (Some(s), Some(d)) => format!("{s} ({} {})", lang.inv().facts_as_of, lang.date_text(d)),
        (Some(s), None) => s.clone(),
        _ => lang.inv().no_facts.to_owned(),
    };
    HostLine {
        host: h.host.clone(),
        facts,
        last_seen: h
            .last_seen
            .as_deref()
            .map(|d| lang.date_text(d))
            .unwrap_or_default(),
        software: h
            .software
            .iter()
            .map(|s| SoftwareLine {
                vendor: s.vendor.clone(),
                product: s.product.clone(),
                variant: [s.edition.as_deref(), s.version.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
                since: lang.date_text(&s.since),
            })
            .collect(),
    }
}

/// `GET /inventory`
pub(crate) async fn page(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    let (times, inv) = match inventory(&shared, &visit).await {
        Ok(a) => a,
        Err(page) => return page,
    };
    let lang = visit.lang;
    let p = &visit.params;
    let filters = [("vendor", p.vendor.as_deref()), ("host", p.host.as_deref())];
    let q = p.times_query(&filters);
    let heading = lang.inventory_on(times.as_of);
    let page = InventoryPage {
        c: visit.chrome(heading.clone(), "/inventory", &times),
        i: lang.inv(),
        heading,
        known: lang.known_at_seq(inv.known_at_seq),
        vendor: p.vendor.clone().unwrap_or_default(),
        host: p.host.clone().unwrap_or_default(),
        as_of: p.as_of.clone().unwrap_or_default(),
        known_at: p.known_at.clone().unwrap_or_default(),
        hosts: inv.hosts.iter().map(|h| host_line(lang, h)).collect(),
        in_use: inv
            .in_use
            .iter()
            .map(|u| UseLine {
                what: [
                    Some(format!("{} / {}", u.vendor, u.product)),
                    u.edition.clone(),
                    u.version.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
                hosts: lang.hosts_count(u.hosts),
            })
            .collect(),
        json_href: format!("/api/v1/inventory{q}"),
        csv_href: format!("/inventory.csv{q}"),
    };
    visit.html(&page)
}

/// `GET /inventory.csv`: the rows of `inventory --format csv`.
pub(crate) async fn csv(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    match inventory(&shared, &visit).await {
        Ok((_, inv)) => csv_download(
            &format!("inventory-{}.csv", inv.as_of),
            Inventory::CSV_COLUMNS,
            &inv.csv_rows(),
        ),
        Err(page) => page,
    }
}
