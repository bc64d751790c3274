//! The contract archive in the browser: the documents in the account's
//! scope with a full-text search (`/documents?q=…`, hits only among the
//! documents the account may see, the matched words marked), and a page
//! per document (`/documents/{hash}`) with its BLAKE3 hash — the one
//! `b3sum` prints — the events that bound it, and the file itself: a
//! download always; a PDF opened in a new tab and an image shown inline,
//! both served with `nosniff` and under their own media type only.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use entitle_app::archive::{self, DocListRequest, SearchRequest, TextStatus};
use entitle_app::{Error, Silent};
use entitle_core::document::DocKind;
use entitle_core::position::vendor_matches;

use super::dashboard::urlencode;
use super::forms::Choice;
use super::i18n::Lang;
use super::{not_found, page_number, read, Chrome, Pager, Times, Visit};
use crate::api::documents::{full_hash, stream};
use crate::state::Shared;

/// Media types shown by the browser itself: PDF in a tab, these images
/// inline. Anything else (SVG, HTML, office files) is only downloaded.
const VIEWABLE: [&str; 5] = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
];

/// A piece of a snippet: text, marked or not.
#[derive(Debug)]
pub(crate) struct Piece {
    pub text: String,
    pub marked: bool,
}

/// One search hit as shown.
#[derive(Debug)]
pub(crate) struct HitRow {
    pub href: String,
    pub filename: String,
    pub kind: String,
    pub vendors: String,
    pub licenses: Vec<(String, String)>,
    pub snippet: Vec<Piece>,
}

/// One document of the list.
#[derive(Debug)]
pub(crate) struct DocItem {
    pub href: String,
    pub filename: String,
    pub kind: String,
    pub size: String,
    pub vendors: String,
    pub licenses: Vec<(String, String)>,
    pub short: String,
    pub searchable: bool,
}

#[derive(Template)]
#[template(path = "documents.html")]
struct DocumentsPage {
    c: Chrome,
    heading: String,
    q: String,
    product: String,
    vendors: Vec<Choice>,
    licenses: Vec<Choice>,
    kinds: Vec<Choice>,
    /// With a query: how many documents match, and the best hits.
    found: Option<String>,
    /// Which of them this page shows ("Hits 21–40 of 57").
    shown: Option<String>,
    previous_href: Option<String>,
    next_href: Option<String>,
    hits: Vec<HitRow>,
    documents: Vec<DocItem>,
    json_href: String,
}

/// An event that bound the document, as shown.
#[derive(Debug)]
pub(crate) struct BindingRow {
    pub seq: u64,
    pub effective: String,
    pub filename: String,
    pub kind: String,
    pub owner: String,
    pub owner_href: String,
    pub voided_by: Option<u64>,
}

#[derive(Template)]
#[template(path = "document.html")]
struct DocumentPage {
    c: Chrome,
    heading: String,
    hash: String,
    size: String,
    media_type: String,
    text: String,
    /// The extracted text (at most [`SHOWN_CHARS`] of it), and a note
    /// when it was cut.
    extracted: Option<String>,
    extracted_cut: Option<String>,
    bindings: Vec<BindingRow>,
    download_href: String,
    /// A PDF: a link that opens it in a new tab.
    open_href: Option<String>,
    /// An image: shown inline.
    image_src: Option<String>,
    json_href: String,
}

/// The most characters of a document's text its page shows (the page
/// stays small; the download has everything).
const SHOWN_CHARS: usize = 50_000;

/// A size as the language writes it: bytes, KB or MB.
fn size(lang: Lang, bytes: u64) -> String {
    const K: u64 = 1024;
    if bytes < K {
        return format!(
            "{} B",
            lang.number(i64::try_from(bytes).unwrap_or(i64::MAX))
        );
    }
    let (value, unit) = if bytes < K * K {
        (bytes as f64 / K as f64, "KB")
    } else {
        (bytes as f64 / (K * K) as f64, "MB")
    };
    let text = format!("{value:.1}");
    match lang {
        Lang::De => format!("{} {unit}", text.replace('.', ",")),
        Lang::En => format!("{text} {unit}"),
    }
}

fn license_links(ids: &[String], q: &str) -> Vec<(String, String)> {
    ids.iter()
        .map(|id| (id.clone(), format!("/licenses/{}{q}", urlencode(id))))
        .collect()
}

/// A snippet's text cut at its highlights.
fn pieces(fragment: &str, highlights: &[std::ops::Range<usize>]) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut at = 0;
    for r in highlights {
        let (Some(before), Some(marked)) = (fragment.get(at..r.start), fragment.get(r.clone()))
        else {
            break;
        };
        if !before.is_empty() {
            out.push(Piece {
                text: before.to_owned(),
                marked: false,
            });
        }
        out.push(Piece {
            text: marked.to_owned(),
            marked: true,
        });
        at = r.end;
    }
    if let Some(rest) = fragment.get(at..) {
        if !rest.is_empty() {
            out.push(Piece {
                text: rest.to_owned(),
                marked: false,
            });
        }
    }
    out
}

/// Hits per result page.
const PER_PAGE: usize = 20;

/// `GET /documents` and `GET /documents?q=…&vendor=&product=&kind=&license=&page=`
pub(crate) async fn list(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    let lang = visit.lang;
    let scope = visit.scope();
    let params = visit.params.clone();
    let answer = read(&shared, lang, move |store| {
        let times = Times::now(store)?;
        let page = page_number(params.page.as_deref())?;
        let documents = archive::doc_list(store, &scope, &DocListRequest::default(), &Silent)?;
        let found = match params.q.as_deref() {
            Some(q) => Some(archive::search(
                store,
                &scope,
                &SearchRequest {
                    query: q.to_owned(),
                    vendor: params.vendor.clone(),
                    product: params.product.clone(),
                    kind: params.kind.clone(),
                    license: params.license.clone(),
                    limit: Some(PER_PAGE.to_string()),
                    offset: Some(((page - 1) * PER_PAGE).to_string()),
                },
                &Silent,
            )?),
            None => None,
        };
        Ok((times, page, documents, found))
    })
    .await;
    let (times, page, documents, found) = match answer {
        Ok(a) => a,
        Err(page) => return page,
    };
    let p = &visit.params;
    let q = p.times_query(&[]);
    let t = lang.t();
    let hits: Vec<HitRow> = found
        .as_ref()
        .map(|f| {
            f.hits
                .iter()
                .map(|h| HitRow {
                    href: format!("/documents/{}", h.hash),
                    filename: h.filename.clone(),
                    kind: h.kind.clone(),
                    vendors: h.vendors.join(", "),
                    licenses: license_links(&h.license_ids, &q),
                    snippet: pieces(&h.passage.fragment, &h.passage.highlights),
                })
                .collect()
        })
        .unwrap_or_default();
    // The choices offered are those of the documents the account sees.
    let mut vendors: Vec<&str> = documents
        .documents
        .iter()
        .flat_map(|d| d.vendors.iter().map(String::as_str))
        .collect();
    vendors.sort_by_key(|v| v.to_lowercase());
    vendors.dedup_by_key(|v| v.to_lowercase());
    let mut licenses: Vec<&str> = documents
        .documents
        .iter()
        .flat_map(|d| d.license_ids.iter().map(String::as_str))
        .collect();
    licenses.sort_unstable();
    licenses.dedup();
    let choices = |values: Vec<&str>, chosen: Option<&str>| -> Vec<Choice> {
        values
            .into_iter()
            .map(|v| Choice {
                selected: chosen.is_some_and(|c| vendor_matches(Some(c), v)),
                value: v.to_owned(),
                label: v.to_owned(),
            })
            .collect()
    };
    let kinds = DocKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().to_owned(),
            label: k.as_str().to_owned(),
            selected: p.kind.as_deref() == Some(k.as_str()),
        })
        .collect();
    // A page link keeps the query and its filters.
    let page_href = |n: usize| {
        let n = n.to_string();
        format!(
            "/documents{}#hits",
            p.times_query(&[
                ("q", p.q.as_deref()),
                ("vendor", p.vendor.as_deref()),
                ("product", p.product.as_deref()),
                ("kind", p.kind.as_deref()),
                ("license", p.license.as_deref()),
                ("page", Some(n.as_str()).filter(|n| *n != "1")),
            ])
        )
    };
    let pager = found.as_ref().map(|f| Pager::new(page, PER_PAGE, f.total));
    let shown = found
        .as_ref()
        .zip(pager)
        .filter(|_| !hits.is_empty())
        .map(|(f, pager)| lang.hits_shown(pager.first + 1, pager.first + hits.len(), f.total));
    let previous_href = pager.and_then(|p| p.previous).map(page_href);
    let next_href = pager.and_then(|p| p.next).map(page_href);
    let filtered = |d: &&archive::DocRow| {
        p.vendor
            .as_deref()
            .is_none_or(|v| d.vendors.iter().any(|dv| vendor_matches(Some(v), dv)))
            && p.license
                .as_deref()
                .is_none_or(|l| d.license_ids.iter().any(|id| id.eq_ignore_ascii_case(l)))
            && p.kind.as_deref().is_none_or(|k| d.kind == k)
    };
    let page = DocumentsPage {
        heading: t.nav_documents.to_owned(),
        c: visit.chrome(t.nav_documents.to_owned(), "/documents", &times),
        q: p.q.clone().unwrap_or_default(),
        product: p.product.clone().unwrap_or_default(),
        vendors: choices(vendors, p.vendor.as_deref()),
        licenses: choices(licenses, p.license.as_deref()),
        kinds,
        found: found.as_ref().map(|f| lang.documents_found(f.total)),
        shown,
        previous_href,
        next_href,
        hits,
        documents: documents
            .documents
            .iter()
            .filter(filtered)
            .map(|d| DocItem {
                href: format!("/documents/{}", d.hash),
                filename: d.filename.clone(),
                kind: d.kind.clone(),
                size: size(lang, d.size),
                vendors: d.vendors.join(", "),
                licenses: license_links(&d.license_ids, &q),
                short: d.hash.chars().take(12).collect(),
                searchable: d.searchable,
            })
            .collect(),
        json_href: match p.q.as_deref() {
            Some(query) => format!(
                "/api/v1/search?{}",
                serde_urlencoded::to_string(
                    [
                        ("q", Some(query)),
                        ("vendor", p.vendor.as_deref()),
                        ("product", p.product.as_deref()),
                        ("kind", p.kind.as_deref()),
                        ("license", p.license.as_deref()),
                        ("limit", Some(&PER_PAGE.to_string()[..])),
                        ("offset", Some(&((page - 1) * PER_PAGE).to_string()[..])),
                    ]
                    .iter()
                    .filter_map(|(k, v)| v.map(|v| (*k, v)))
                    .collect::<Vec<_>>()
                )
                .unwrap_or_default()
            ),
            None => "/api/v1/documents".to_owned(),
        },
    };
    visit.html(&page)
}

/// `GET /documents/{hash}`
pub(crate) async fn show(
    State(shared): State<Arc<Shared>>,
    Path(hash): Path<String>,
    visit: Visit,
) -> Response {
    let lang = visit.lang;
    let Ok(hash) = full_hash(&hash) else {
        return not_found(lang);
    };
    let scope = visit.scope();
    let answer = read(&shared, lang, move |store| {
        let (shown, text) = archive::doc_show_with_text(store, &scope, &hash, &Silent)?;
        let times = Times::now(store)?;
        Ok((shown, text, times))
    })
    .await;
    let (shown, extracted, times) = match answer {
        Ok(a) => a,
        Err(page) => return page,
    };
    let t = lang.t();
    let q = visit.params.times_query(&[]);
    let heading = shown
        .events
        .first()
        .map_or_else(|| shown.hash[..12].to_owned(), |b| b.filename.clone());
    let (extracted, extracted_cut) = match extracted.text {
        Some(text) => {
            let total = text.chars().count();
            if total > SHOWN_CHARS {
                (
                    Some(text.chars().take(SHOWN_CHARS).collect()),
                    Some(lang.text_cut(SHOWN_CHARS, total)),
                )
            } else {
                (Some(text), None)
            }
        }
        None => (None, None),
    };
    let content = format!("/api/v1/documents/{}/content", shown.hash);
    let view = format!("/documents/{}/view", shown.hash);
    let media = shown.media_type.as_str();
    let page = DocumentPage {
        c: visit.chrome(heading.clone(), "/documents", &times),
        heading,
        hash: shown.hash.clone(),
        size: size(lang, shown.size),
        media_type: shown.media_type.clone(),
        text: match &shown.text {
            TextStatus::Searchable { characters } => {
                lang.searchable(i64::try_from(*characters).unwrap_or(i64::MAX))
            }
            TextStatus::NotSearchable { reason } => format!("{}: {reason}", t.not_searchable),
        },
        extracted,
        extracted_cut,
        bindings: shown
            .events
            .iter()
            .map(|b| {
                let (owner, owner_href) = match (&b.license_id, &b.vendor) {
                    (Some(id), _) => (id.clone(), format!("/licenses/{}{q}", urlencode(id))),
                    (None, Some(v)) => (v.clone(), String::new()),
                    (None, None) => (String::new(), String::new()),
                };
                BindingRow {
                    seq: b.seq,
                    effective: lang.date_text(&b.effective),
                    filename: b.filename.clone(),
                    kind: b.kind.clone(),
                    owner,
                    owner_href,
                    voided_by: b.voided_by,
                }
            })
            .collect(),
        download_href: content,
        open_href: (media == "application/pdf").then(|| view.clone()),
        image_src: (media != "application/pdf" && VIEWABLE.contains(&media)).then_some(view),
        json_href: format!("/api/v1/documents/{}", shown.hash),
    };
    visit.html(&page)
}

/// `GET /documents/{hash}/view`: a PDF or an image under its own media
/// type, inline, with `nosniff` (scope-checked like every read). Every
/// other kind answers 404 here; it is only downloaded.
pub(crate) async fn view(
    State(shared): State<Arc<Shared>>,
    Path(hash): Path<String>,
    visit: Visit,
) -> Response {
    let lang = visit.lang;
    let Ok(hash) = full_hash(&hash) else {
        return not_found(lang);
    };
    let scope = visit.scope();
    let asked = (scope.clone(), hash.clone());
    let answer = read(&shared, lang, move |store| {
        let shown = archive::doc_show(store, &asked.0, &asked.1, &Silent)?;
        if !VIEWABLE.contains(&shown.media_type.as_str()) {
            return Err(Error::not_found("not viewable"));
        }
        Ok((shown.media_type, shown.size))
    })
    .await;
    let (media_type, size) = match answer {
        Ok(a) => a,
        Err(page) => return page,
    };
    // Streamed as the download is, never held whole in memory.
    let mut response = Response::new(stream(&shared, scope, hash));
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&media_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    // The file itself, nothing of the app: no script, no frame around it;
    // `object-src 'self'` lets the browser's own PDF viewer show it.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src 'self'; object-src 'self'; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'",
        ),
    );
    response.into_response()
}
