//! The web pages: server-rendered HTML from askama templates compiled into
//! the binary, one embedded stylesheet, German and English. Every page
//! calls the same `entitle_app` use cases with the same [`Scope`] as the
//! JSON API, so a page shows nothing the API would not; an object outside
//! the scope gets the same 404 page as one that does not exist.
//!
//! Every view is a link: the business date (`as_of`), the moment of
//! knowledge (`known_at`), the language, filters and sort live in the
//! query string, and every table links to the same data as JSON (the API)
//! and as CSV.

mod admin;
mod audits;
mod chart;
mod dashboard;
mod documents;
pub(crate) mod forms;
pub(crate) mod i18n;
pub(crate) mod imports;
mod inventory;
mod licenses;
mod reminders;
mod renewals;
mod rules;
mod setup;
mod signin;
mod spend;
mod upload;
mod usage;

use std::sync::{Arc, LazyLock};

use askama::Template;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use entitle_app::{Error, ErrorKind, Scope, Store};
use jiff::civil::Date;
use serde::Deserialize;

use crate::error::ApiError;
use crate::principal::{cookie, Principal, Via};
use crate::state::Shared;
use i18n::{Known, Lang, Texts};

/// The stylesheet, embedded.
const CSS: &str = include_str!("../../assets/style.css");

/// The stylesheet's URL: its content hash in the name, so it can be
/// cached for a year and a new build is fetched at once.
static CSS_PATH: LazyLock<String> = LazyLock::new(|| {
    let hash = blake3::hash(CSS.as_bytes()).to_hex();
    format!("/assets/style.{}.css", &hash[..16])
});

/// The upload forms' script (drag-and-drop and progress), embedded.
const JS: &str = include_str!("../../assets/upload.js");

/// The script's URL, named by its content hash as the stylesheet's.
static JS_PATH: LazyLock<String> = LazyLock::new(|| {
    let hash = blake3::hash(JS.as_bytes()).to_hex();
    format!("/assets/upload.{}.js", &hash[..16])
});

/// The body limit of a form that uploads files: the API's upload limit,
/// and room for the form's other fields.
fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(
        usize::try_from(crate::api::UPLOAD_LIMIT).unwrap_or(usize::MAX) + (1 << 20),
    )
}

/// The pages' routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/", get(dashboard::page))
        .route("/position.csv", get(dashboard::csv))
        .route("/licenses", get(licenses::list))
        .route("/licenses.csv", get(licenses::csv))
        .route(
            "/licenses/new",
            get(forms::new_purchase).post(forms::record_purchase),
        )
        .route("/licenses/{id}", get(licenses::show))
        .route(
            "/licenses/{id}/attach",
            get(forms::new_attach)
                .post(forms::attach)
                .layer(upload_limit()),
        )
        .route(
            "/licenses/{id}/{action}",
            get(forms::new_change).post(forms::record_change),
        )
        .route("/usage/{vendor}/{product}/{metric}", get(usage::show))
        .route(
            "/usage/new",
            get(forms::new_usage).post(forms::record_usage),
        )
        .route("/documents", get(documents::list))
        .route(
            "/documents/new",
            get(forms::new_vendor_attach)
                .post(forms::vendor_attach)
                .layer(upload_limit()),
        )
        .route("/documents/{hash}", get(documents::show))
        .route("/documents/{hash}/view", get(documents::view))
        .route("/admin", get(admin::page))
        .route("/admin/users", axum::routing::post(admin::add_user))
        .route(
            "/admin/users/{name}",
            axum::routing::post(admin::change_user),
        )
        .route("/admin/tokens", axum::routing::post(admin::create_token))
        .route("/admin/backup", axum::routing::post(admin::backup))
        .route(
            "/admin/tokens/{id}/revoke",
            axum::routing::post(admin::revoke_token),
        )
        .route("/imports", get(imports::page))
        .route(
            "/imports/preview",
            axum::routing::post(imports::preview)
                .layer(axum::extract::DefaultBodyLimit::max(imports::SHEET_LIMIT)),
        )
        .route("/imports/commit", axum::routing::post(imports::commit))
        .route("/audits", get(audits::page))
        .route(
            "/audits/pack",
            axum::routing::post(audits::build).layer(axum::extract::DefaultBodyLimit::max(1 << 20)),
        )
        .route(
            "/audits/verify",
            axum::routing::post(audits::verify).layer(axum::extract::DefaultBodyLimit::max(
                usize::try_from(crate::api::UPLOAD_LIMIT).unwrap_or(usize::MAX) + (1 << 20),
            )),
        )
        .route("/renewals", get(renewals::page))
        .route("/inventory", get(inventory::page))
        .route("/inventory.csv", get(inventory::csv))
        .route("/reminders", get(reminders::page))
        .route("/renewals.ics", get(renewals::ics))
        .route(
            "/renewals/calendar",
            axum::routing::post(renewals::calendar),
        )
        .route("/spend", get(spend::page))
        .route("/spend.csv", get(spend::csv))
        .route("/sign-in", get(signin::form).post(signin::submit))
        .route("/sign-out", axum::routing::post(signin::sign_out))
        .route("/setup", get(setup::form).post(setup::submit))
        .route("/assets/{file}", get(asset))
}

/// `GET /assets/{file}`: the stylesheet and the script under their
/// hashed names.
async fn asset(Path(file): Path<String>) -> Response {
    let path = format!("/assets/{file}");
    let (media_type, body) = if path == *CSS_PATH {
        ("text/css; charset=utf-8", CSS)
    } else if path == *JS_PATH {
        ("text/javascript; charset=utf-8", JS)
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, media_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}

/// The query string every page understands. Unknown names are refused,
/// as the API refuses them, so a mistyped link does not silently show
/// another view.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageParams {
    /// The business date.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub as_of: Option<String>,
    /// The moment of knowledge.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub known_at: Option<String>,
    /// `de` or `en`.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub lang: Option<String>,
    /// A vendor filter.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub vendor: Option<String>,
    /// A status filter.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub status: Option<String>,
    /// An owner filter (who looks after a license).
    #[serde(default, deserialize_with = "blank_is_none")]
    pub owner: Option<String>,
    /// A product filter (the archive's search).
    #[serde(default, deserialize_with = "blank_is_none")]
    pub product: Option<String>,
    /// A document kind filter (the archive's search).
    #[serde(default, deserialize_with = "blank_is_none")]
    pub kind: Option<String>,
    /// A host filter (the inventory).
    #[serde(default, deserialize_with = "blank_is_none")]
    pub host: Option<String>,
    /// A license filter (the archive's search).
    #[serde(default, deserialize_with = "blank_is_none")]
    pub license: Option<String>,
    /// The page of a long result, from 1.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub page: Option<String>,
    /// A sort column.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub sort: Option<String>,
    /// Where to go after signing in.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub next: Option<String>,
    /// The renewals' window in days.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub within: Option<String>,
    /// The spend's year.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub year: Option<String>,
    /// The event a form just recorded (its seq), said once on the page
    /// the form leads to.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub recorded: Option<String>,
    /// A search of the archive.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub q: Option<String>,
}

/// The deepest page of a long list or result offered.
pub(crate) const MAX_PAGE: usize = 5_000;

/// The page of a long list asked for (`?page=`), from 1.
pub(crate) fn page_number(raw: Option<&str>) -> Result<usize, Error> {
    let Some(raw) = raw else {
        return Ok(1);
    };
    match raw.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        _ => Err(Error::invalid(
            "page",
            raw,
            format!("must be a whole number from 1 to {MAX_PAGE}"),
        )),
    }
}

/// Where one page of a long list stands: the pages before and after it
/// that exist (past the end, "previous" is the last page with items).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pager {
    /// The index of the page's first item (from 0).
    pub first: usize,
    pub previous: Option<usize>,
    pub next: Option<usize>,
}

impl Pager {
    /// Page `page` (from 1) of `total` items, `per_page` to a page.
    pub(crate) fn new(page: usize, per_page: usize, total: usize) -> Pager {
        let first = (page - 1) * per_page;
        let last_page = total.div_ceil(per_page).max(1);
        Pager {
            first,
            previous: (page > 1).then(|| (page - 1).min(last_page)),
            next: (first + per_page < total && page < MAX_PAGE).then_some(page + 1),
        }
    }

    /// The items of this page.
    pub(crate) fn window<'a, T>(&self, items: &'a [T], per_page: usize) -> &'a [T] {
        let first = self.first.min(items.len());
        &items[first..(first + per_page).min(items.len())]
    }
}

/// One page of a long table, ready for the template: its rows, which of
/// how many they are ("Rows 1–50 of 3,201", only when there are more
/// pages) and the links to the pages around it.
#[derive(Debug)]
pub(crate) struct Paged<T> {
    pub rows: Vec<T>,
    /// How many items all pages have.
    pub total: usize,
    pub shown: Option<String>,
    pub previous_href: Option<String>,
    pub next_href: Option<String>,
}

impl<T> Paged<T> {
    /// Page `page` of `items`, `per_page` to a page, each shown by `row`;
    /// `href` links to a page by its number; "Rows 1–50 of 3,201" in the
    /// page's language.
    pub(crate) fn of<S>(
        lang: Lang,
        items: &[S],
        page: usize,
        per_page: usize,
        href: impl Fn(usize) -> String,
        row: impl FnMut(&S) -> T,
    ) -> Paged<T> {
        Paged::named(items, page, per_page, href, row, |a, b, n| {
            lang.rows_shown(a, b, n)
        })
    }

    /// As [`Paged::of`], with which items of how many the page shows
    /// said by `shown` ("Licenses 1–100 of 132").
    pub(crate) fn named<S>(
        items: &[S],
        page: usize,
        per_page: usize,
        href: impl Fn(usize) -> String,
        row: impl FnMut(&S) -> T,
        shown: impl FnOnce(usize, usize, usize) -> String,
    ) -> Paged<T> {
        let pager = Pager::new(page, per_page, items.len());
        let rows: Vec<T> = pager.window(items, per_page).iter().map(row).collect();
        let shown = (items.len() > per_page && !rows.is_empty())
            .then(|| shown(pager.first + 1, pager.first + rows.len(), items.len()));
        Paged {
            rows,
            total: items.len(),
            shown,
            previous_href: pager.previous.map(&href),
            next_href: pager.next.map(&href),
        }
    }
}

/// An empty form field is no value (an emptied "known at" means now).
fn blank_is_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v: Option<String> = Option::deserialize(d)?;
    Ok(v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()))
}

impl PageParams {
    /// The times and the vendor as a use case takes them.
    pub(crate) fn query(&self) -> entitle_app::query::Query {
        entitle_app::query::Query {
            as_of: self.as_of.clone(),
            known_at: self.known_at.clone(),
            vendor: self.vendor.clone(),
        }
    }

    /// The query string with the times (and the given extras), for links
    /// that keep the view: `?as_of=2024-06-30&known_at=2024-09-02`.
    pub(crate) fn times_query(&self, extra: &[(&str, Option<&str>)]) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(v) = &self.as_of {
            pairs.push(("as_of", v));
        }
        if let Some(v) = &self.known_at {
            pairs.push(("known_at", v));
        }
        for &(k, v) in extra {
            if let Some(v) = v {
                pairs.push((k, v));
            }
        }
        if pairs.is_empty() {
            return String::new();
        }
        format!(
            "?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }
}

/// A signed-in person's visit to a page: who, in which language, with
/// which parameters. Not signed in: a redirect to the sign-in page that
/// comes back here afterwards.
#[derive(Debug)]
pub(crate) struct Visit {
    pub who: Principal,
    pub lang: Lang,
    pub params: PageParams,
    /// Whether the language was switched by `?lang=` (then remembered in
    /// a cookie).
    pub switched: bool,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
}

/// The language of a request: `?lang=`, else the `lang` cookie, else
/// `Accept-Language`.
pub(crate) fn language(headers: &HeaderMap, asked: Option<&str>) -> Lang {
    asked
        .and_then(Lang::parse)
        .or_else(|| cookie(headers, "lang").and_then(Lang::parse))
        .unwrap_or_else(|| {
            Lang::from_accept(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default(),
            )
        })
}

impl FromRequestParts<Arc<Shared>> for Visit {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default().to_owned();
        let here = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let parsed: Result<PageParams, _> = serde_urlencoded::from_str(&query);
        let lang = language(
            &parts.headers,
            parsed.as_ref().ok().and_then(|p| p.lang.as_deref()),
        );
        // A page's form carries the CSRF token in a hidden field, not in
        // the API's header: each form's handler checks it (`Visit::form_ok`).
        let who = match Principal::resolve(parts, shared) {
            Ok((who, _)) => who,
            Err(_) => {
                let next =
                    serde_urlencoded::to_string([("next", here.as_str())]).unwrap_or_default();
                return Err(Redirect::to(&format!("/sign-in?{next}")).into_response());
            }
        };
        let params = match parsed {
            Ok(p) => p,
            Err(e) => {
                let e = Error::invalid("query", query, e.to_string());
                return Err(error_page(lang, &e));
            }
        };
        let csrf = match &who.via {
            Via::Session(id) => shared.sessions.get(id).map(|s| s.csrf).unwrap_or_default(),
            Via::Token(_) => String::new(),
        };
        Ok(Visit {
            who,
            lang,
            switched: params.lang.is_some(),
            params,
            csrf,
        })
    }
}

/// A link in the header.
#[derive(Debug)]
pub(crate) struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// What the layout of every page shows: the header with the navigation,
/// the two times, the language switch and the account; the time-travel
/// banner; the print header.
#[derive(Debug)]
pub(crate) struct Chrome {
    pub lang: &'static str,
    pub t: &'static Texts,
    /// The forms' words.
    pub f: &'static i18n::FormTexts,
    pub title: String,
    pub css: &'static str,
    /// The upload forms' script.
    pub js: &'static str,
    pub nav: Vec<NavItem>,
    pub user: String,
    pub csrf: String,
    /// The form's values (as typed).
    pub as_of: String,
    pub known_at: String,
    /// The other language: its link and name.
    pub switch_href: String,
    pub switch_label: &'static str,
    pub switch_lang: &'static str,
    /// The time-travel banner, when the view is not "today, as known now".
    pub banner: Option<String>,
    /// The same page, today and as known now.
    pub now_href: String,
    /// The print header: the view and the chain head.
    pub print_line: String,
    /// The page's own path (for the form's action).
    pub path: String,
    /// Whether the account may record (and so sees the forms' links).
    pub can_edit: bool,
    /// What a form just recorded, said once.
    pub recorded: Option<String>,
    /// The known-at picker's choices: `#N` and its label.
    pub recent: Vec<(String, String)>,
}

/// Where a view stands in time, worked out against the store.
#[derive(Debug, Clone)]
pub(crate) struct Times {
    pub as_of: Date,
    pub known_seq: u64,
    pub head_seq: u64,
    pub head_hash: String,
    /// The latest events, newest first, for the known-at picker.
    pub recent: Vec<Recent>,
}

/// An event offered by the known-at picker: its seq and time (which every
/// role may see), its type and license (shown only to an account that
/// sees everything).
#[derive(Debug, Clone)]
pub(crate) struct Recent {
    pub seq: u64,
    pub recorded_at: jiff::Timestamp,
    pub event: &'static str,
    pub license: Option<String>,
}

/// How many recent events the known-at picker offers.
const PICKER_EVENTS: u64 = 30;

impl Times {
    /// Today, as known now (the pages that do not travel in time).
    pub(crate) fn now(store: &Store) -> Result<Times, Error> {
        Times::of(store, &PageParams::default())
    }

    /// The view's date and seq, and the log's head.
    pub(crate) fn of(store: &Store, params: &PageParams) -> Result<Times, Error> {
        let (as_of, known_seq) = params.query().resolve(store)?;
        let applied = store.applied();
        let head_seq = applied.head.seq;
        let recent = (head_seq.saturating_sub(PICKER_EVENTS - 1).max(1)..=head_seq)
            .rev()
            .filter_map(|seq| store.record(seq).ok())
            .map(|r| Recent {
                seq: r.seq,
                recorded_at: r.recorded_at,
                event: r.event.type_name(),
                license: r.event.license_id().map(str::to_owned),
            })
            .collect();
        Ok(Times {
            as_of,
            known_seq,
            head_seq,
            head_hash: entitle_core::chain::to_hex(&applied.head_hash),
            recent,
        })
    }
}

impl Visit {
    /// Whether a posted form comes from a page of this server drawn for
    /// this session: its hidden `csrf` field is the session's token
    /// (compared through their hashes) and the browser says the post is
    /// same-site. Every page handler that changes state asks this first.
    pub(crate) fn form_ok(&self, headers: &HeaderMap, token: &str) -> bool {
        !self.csrf.is_empty()
            && blake3::hash(token.as_bytes()) == blake3::hash(self.csrf.as_bytes())
            && crate::principal::same_site(headers)
    }

    /// The scope the account may see.
    pub(crate) fn scope(&self) -> Scope {
        self.who.scope()
    }

    /// The layout's content for a page titled `title` at `path` (one of
    /// the navigation's, or none).
    pub(crate) fn chrome(&self, title: String, path: &str, times: &Times) -> Chrome {
        let lang = self.lang;
        let t = lang.t();
        let p = &self.params;
        let today = entitle_app::when::today();
        let as_of_shown = (times.as_of != today).then_some(times.as_of);
        let known = p.known_at.as_deref().and_then(|k| {
            if times.known_seq >= times.head_seq {
                return None;
            }
            let k = k.trim();
            Some(if let Some(n) = k.strip_prefix('#') {
                Known::Seq(n.parse().unwrap_or(times.known_seq))
            } else if let Ok(d) = k.parse::<Date>() {
                Known::Date(d)
            } else {
                Known::Time(k.to_owned())
            })
        });
        let hidden = times.head_seq.saturating_sub(times.known_seq);
        let banner = (as_of_shown.is_some() || known.is_some())
            .then(|| lang.banner(as_of_shown, known.as_ref(), hidden));
        let other = lang.other();
        let mut extras = [
            ("vendor", p.vendor.as_deref()),
            ("status", p.status.as_deref()),
            ("sort", p.sort.as_deref()),
            ("within", p.within.as_deref()),
            ("year", p.year.as_deref()),
            ("lang", Some(other.code())),
        ];
        let switch_href = format!("{path}{}", p.times_query(&extras));
        extras[5].1 = None;
        let keep = PageParams {
            as_of: None,
            known_at: None,
            ..p.clone()
        };
        let now_href = format!("{path}{}", keep.times_query(&extras));
        let nav = [
            ("/", t.nav_dashboard),
            ("/licenses", t.nav_licenses),
            ("/documents", t.nav_documents),
            ("/renewals", t.nav_renewals),
            ("/spend", t.nav_spend),
            ("/inventory", lang.inv().nav),
            ("/audits", t.nav_audits),
        ]
        .into_iter()
        .chain(
            crate::api::reminders::may_see(&self.who.account)
                .then_some(("/reminders", lang.r().nav)),
        )
        .chain(
            self.who
                .must_edit()
                .is_ok()
                .then_some(("/imports", t.nav_imports)),
        )
        .chain(
            self.who
                .must_admin()
                .is_ok()
                .then_some(("/admin", t.nav_admin)),
        )
        .map(|(href, label)| NavItem {
            href: format!("{href}{}", p.times_query(&[])),
            label,
            current: href == path || (href != "/" && path.starts_with(href)),
        })
        .collect();
        let print_line = format!(
            "{} · {} · {}",
            lang.position_on(times.as_of),
            lang.known_at_seq(times.known_seq),
            lang.chain(times.head_seq, &times.head_hash[..12])
        );
        Chrome {
            lang: lang.code(),
            t,
            f: lang.forms(),
            title,
            css: CSS_PATH.as_str(),
            js: JS_PATH.as_str(),
            nav,
            user: self.who.account.name.clone(),
            csrf: self.csrf.clone(),
            as_of: p.as_of.clone().unwrap_or_default(),
            known_at: p.known_at.clone().unwrap_or_default(),
            switch_href,
            switch_label: t.switch_language,
            switch_lang: other.code(),
            banner,
            now_href,
            print_line,
            path: path.to_owned(),
            can_edit: self.who.must_edit().is_ok(),
            recent: {
                let all = self.scope().is_all();
                times
                    .recent
                    .iter()
                    .map(|r| {
                        let z = r.recorded_at.to_zoned(jiff::tz::TimeZone::UTC);
                        let when = format!(
                            "{} {:02}:{:02} UTC",
                            lang.date(z.date()),
                            z.hour(),
                            z.minute()
                        );
                        let label = match (all, &r.license) {
                            (true, Some(id)) => format!("{when} · {} · {id}", lang.event(r.event)),
                            (true, None) => format!("{when} · {}", lang.event(r.event)),
                            (false, _) => when,
                        };
                        (format!("#{}", r.seq), label)
                    })
                    .collect()
            },
            recorded: p.recorded.as_deref().and_then(|r| match r.split_once('-') {
                Some((first, last)) => Some(
                    lang.forms()
                        .recorded_range(first.parse().ok()?, last.parse().ok()?),
                ),
                None => Some(lang.forms().recorded(r.parse().ok()?)),
            }),
        }
    }

    /// A rendered page, with the language cookie when it was switched.
    pub(crate) fn html(&self, page: &impl Template) -> Response {
        self.html_with(StatusCode::OK, page)
    }

    /// A rendered page answering with `status` (a refused form's 422).
    pub(crate) fn html_with(&self, status: StatusCode, page: &impl Template) -> Response {
        let mut response = html(status, page);
        if self.switched {
            remember_language(&mut response, self.lang);
        }
        response
    }
}

/// Remembers the chosen language for a year.
fn remember_language(response: &mut Response, lang: Lang) {
    let cookie = format!(
        "lang={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A template as an HTML response.
pub(crate) fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page could not be rendered");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The page of a path that is not there, or not for this account: it says
/// nothing about what exists.
#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFound {
    lang: &'static str,
    t: &'static Texts,
    css: &'static str,
}

/// The 404 page in the request's language.
pub(crate) fn not_found(lang: Lang) -> Response {
    html(
        StatusCode::NOT_FOUND,
        &NotFound {
            lang: lang.code(),
            t: lang.t(),
            css: CSS_PATH.as_str(),
        },
    )
}

/// The page of a view that cannot be shown: a bad date or moment in the
/// address, named by its field.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    lang: &'static str,
    t: &'static Texts,
    css: &'static str,
    field: String,
    message: String,
}

/// A use case's refusal as a page (a missing object as the 404 page).
pub(crate) fn error_page(lang: Lang, e: &Error) -> Response {
    let status = match e.kind() {
        ErrorKind::NotFound | ErrorKind::Forbidden => return not_found(lang),
        ErrorKind::BadInput => StatusCode::BAD_REQUEST,
        ErrorKind::Locked => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status.is_server_error() {
        tracing::error!(error = %e.message(), "a page failed");
    }
    let german = match (lang, e.rule()) {
        (Lang::De, Some(rule)) => rules::german(rule),
        _ => None,
    };
    let message = match (german, e.value()) {
        (Some(text), _) => text,
        (None, Some(v)) => format!("{v:?} {}", e.message()),
        (None, None) => e.message().to_owned(),
    };
    html(
        status,
        &ErrorPage {
            lang: lang.code(),
            t: lang.t(),
            css: CSS_PATH.as_str(),
            field: e.field().unwrap_or_default().to_owned(),
            message,
        },
    )
}

/// Any path nobody serves: JSON under `/api/`, the 404 page elsewhere.
pub(crate) async fn fallback(parts: Parts) -> Response {
    if parts.uri.path().starts_with("/api/") {
        return ApiError::NotFound.into_response();
    }
    let asked = parts
        .uri
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "lang").map(|(_, v)| v));
    not_found(language(&parts.headers, asked.as_deref()))
}

/// Runs a page's store work on a blocking thread; a refusal becomes the
/// error page (or the 404 page) in the visitor's language.
pub(crate) async fn read<T: Send + 'static>(
    shared: &Arc<Shared>,
    lang: Lang,
    work: impl FnOnce(&Store) -> Result<T, Error> + Send + 'static,
) -> Result<T, Response> {
    let store = Arc::clone(&shared.store);
    match tokio::task::spawn_blocking(move || work(&store.read())).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(error_page(lang, &e)),
        Err(e) => Err(error_page(
            lang,
            &Error::new(ErrorKind::Integrity, format!("the query failed: {e}")),
        )),
    }
}

/// Rows as a CSV download for Excel (the CLI's `--format csv` bytes).
pub(crate) fn csv_download<T: serde::Serialize>(
    name: &str,
    columns: &[&str],
    rows: &[T],
) -> Response {
    let mut body = Vec::new();
    if let Err(e) = entitle_app::sheet_out::write_rows(&mut body, columns, rows) {
        tracing::error!(error = %e, "a CSV could not be written");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut response = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
