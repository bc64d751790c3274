//! Recording through forms: a purchase (`/licenses/new`), an extension,
//! adjustment, cancellation or void of one license
//! (`/licenses/{id}/extend` …) and a usage count (`/usage/new`).
//!
//! Each form is plain HTML that works without JavaScript. It carries the
//! session's CSRF token, the head it was drawn against (`expected_seq`)
//! and a fresh idempotency key. A submit is checked by the same
//! `entitle_app` rules as the CLI's; a refusal draws the form again with
//! what the user typed and the problem next to its field, in the page's
//! language, and writes nothing. A form on a license that someone else
//! changed since it was drawn is refused as stale. A second submit of the
//! same form (a double click, a reload) records nothing more and lands on
//! the first one's page. Only editors and admins see these forms; for
//! anyone else they do not exist (the 404 page).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use entitle_app::query::{self, LicenseRow};
use entitle_app::record::{self, Adjust, Cancel, Common, Extend, Purchase, Usage, Void, Write};
use entitle_app::{Error, ErrorKind, Scope, Store};
use entitle_core::document::DocKind;
use entitle_core::types::Metric;
use entitle_sheet::NumberStyle;

use super::dashboard::{quantity, urlencode};
use super::i18n::Lang;
use super::{not_found, read, Chrome, Times, Visit};
use crate::state::{Remembered, Shared, IDEMPOTENCY_FOR};

/// What a form records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Purchase,
    Extend,
    Adjust,
    Cancel,
    Void,
    Usage,
    Attach,
}

impl Action {
    /// The actions on one license, by their path segment.
    fn on_license(segment: &str) -> Option<Action> {
        match segment {
            "extend" => Some(Action::Extend),
            "adjust" => Some(Action::Adjust),
            "cancel" => Some(Action::Cancel),
            "void" => Some(Action::Void),
            "attach" => Some(Action::Attach),
            _ => None,
        }
    }

    /// Whether it asks the user to confirm (what cannot be taken back
    /// without another event).
    fn confirms(self) -> bool {
        matches!(self, Action::Cancel | Action::Void)
    }
}

/// One choice of a select.
#[derive(Debug)]
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One control of a form, with what was typed and what is wrong with it.
#[derive(Debug)]
pub(crate) struct Field {
    /// Its name in the form (and in the error's `field`).
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `date`, `number`, `select`, `checkbox` or `textarea`.
    pub kind: &'static str,
    /// `numeric` or `decimal` for a text field of numbers.
    pub inputmode: &'static str,
    pub value: String,
    pub required: bool,
    pub hint: String,
    pub error: Option<String>,
    pub options: Vec<Choice>,
    /// A datalist of known values (vendors), by id.
    pub list: &'static str,
}

impl Field {
    fn new(name: &'static str, label: &'static str, kind: &'static str) -> Field {
        Field {
            name,
            label,
            kind,
            inputmode: "",
            value: String::new(),
            required: false,
            hint: String::new(),
            error: None,
            options: Vec::new(),
            list: "",
        }
    }

    fn required(mut self) -> Field {
        self.required = true;
        self
    }

    fn hint(mut self, hint: impl Into<String>) -> Field {
        self.hint = hint.into();
        self
    }

    fn mode(mut self, inputmode: &'static str) -> Field {
        self.inputmode = inputmode;
        self
    }
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    c: Chrome,
    heading: String,
    intro: String,
    /// The license's terms as they stand, for the actions on one.
    summary: Vec<(&'static str, String)>,
    action: String,
    expected_seq: u64,
    key: String,
    fields: Vec<Field>,
    /// Problems not about one field (a stale form), and the summary of
    /// the field errors, linked to them.
    problems: Vec<(String, String)>,
    submit: &'static str,
    danger: bool,
    /// A form with a file: sent as multipart.
    multipart: bool,
    back_href: String,
    vendors: Vec<String>,
}

/// A form as submitted: its fields by name (a checkbox is there only
/// when ticked).
type Submitted = HashMap<String, String>;

/// What a submit is refused for: problems by field, or a stale form.
enum Refusal {
    Fields(Vec<(String, String)>),
    Stale { head: u64 },
}

/// `GET /licenses/new`
pub(crate) async fn new_purchase(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    form(&shared, &visit, Action::Purchase, None, Drawn::fresh()).await
}

/// `POST /licenses/new`
pub(crate) async fn record_purchase(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    visit: Visit,
    Form(input): Form<Submitted>,
) -> Response {
    submit(&shared, &headers, &visit, Action::Purchase, None, input).await
}

/// `GET /usage/new`
pub(crate) async fn new_usage(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    form(&shared, &visit, Action::Usage, None, Drawn::fresh()).await
}

/// `POST /usage/new`
pub(crate) async fn record_usage(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    visit: Visit,
    Form(input): Form<Submitted>,
) -> Response {
    submit(&shared, &headers, &visit, Action::Usage, None, input).await
}

/// `GET /licenses/{id}/attach`
pub(crate) async fn new_attach(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    visit: Visit,
) -> Response {
    form(&shared, &visit, Action::Attach, Some(id), Drawn::fresh()).await
}

/// `GET /licenses/{id}/{action}`
pub(crate) async fn new_change(
    State(shared): State<Arc<Shared>>,
    Path((id, segment)): Path<(String, String)>,
    visit: Visit,
) -> Response {
    let Some(action) = Action::on_license(&segment) else {
        return not_found(visit.lang);
    };
    form(&shared, &visit, action, Some(id), Drawn::fresh()).await
}

/// `POST /licenses/{id}/{action}`
pub(crate) async fn record_change(
    State(shared): State<Arc<Shared>>,
    Path((id, segment)): Path<(String, String)>,
    headers: HeaderMap,
    visit: Visit,
    Form(input): Form<Submitted>,
) -> Response {
    let Some(action) = Action::on_license(&segment) else {
        return not_found(visit.lang);
    };
    submit(&shared, &headers, &visit, action, Some(id), input).await
}

/// How a form is drawn: empty, or again with what was submitted.
struct Drawn {
    input: Submitted,
    problems: Vec<(String, String)>,
    /// The head to check against (a stale form gets the new head, so that
    /// submitting again after reading the change goes through).
    expected_seq: Option<u64>,
    key: Option<String>,
    status: StatusCode,
}

impl Drawn {
    fn fresh() -> Drawn {
        Drawn {
            input: Submitted::new(),
            problems: Vec::new(),
            expected_seq: None,
            key: None,
            status: StatusCode::OK,
        }
    }
}

/// What a form needs from the store: the times, the license it changes
/// (in the account's scope), its events (for a void) and the vendors.
struct Context {
    times: Times,
    license: Option<(String, Option<LicenseRow>, Vec<query::HistoryEvent>)>,
    vendors: Vec<String>,
}

async fn load(
    shared: &Arc<Shared>,
    visit: &Visit,
    id: Option<String>,
) -> Result<Context, Response> {
    let scope = visit.scope();
    read(shared, visit.lang, move |store| {
        let times = Times::now(store)?;
        let state = query::state(store, &scope, &super::PageParams::default().query())?;
        let mut vendors: Vec<String> = state.licenses.iter().map(|r| r.vendor.clone()).collect();
        vendors.sort();
        vendors.dedup();
        let license = match id {
            None => None,
            Some(id) => {
                let history = query::history(store, &scope, &id)?;
                let row = state.licenses.into_iter().find(|r| r.id == history.id);
                Some((history.id, row, history.events))
            }
        };
        Ok(Context {
            times,
            license,
            vendors,
        })
    })
    .await
}

/// Draws a form (`drawn` says with what).
async fn form(
    shared: &Arc<Shared>,
    visit: &Visit,
    action: Action,
    id: Option<String>,
    drawn: Drawn,
) -> Response {
    let lang = visit.lang;
    if visit.who.must_edit().is_err() {
        return not_found(lang);
    }
    let cx = match load(shared, visit, id).await {
        Ok(cx) => cx,
        Err(page) => return page,
    };
    let f = lang.forms();
    let mut fields = fields(lang, action, cx.license.as_ref().map(|l| l.2.as_slice()));
    for field in &mut fields {
        if let Some(v) = drawn.input.get(field.name).filter(|_| field.kind != "file") {
            field.value = v.clone();
        } else if field.kind == "date" && field.name == "date" {
            field.value = entitle_app::when::today().to_string();
        }
        if field.kind == "select" {
            for o in &mut field.options {
                o.selected = o.value == field.value;
            }
        }
        field.error = drawn
            .problems
            .iter()
            .find(|(name, _)| name == field.name)
            .map(|(_, m)| m.clone());
    }
    let (path, heading, intro, summary, back_href) = match (&cx.license, action) {
        (Some((id, row, _)), _) => {
            let href = format!("/licenses/{}", urlencode(id));
            let heading = f.heading(action, id);
            let summary = row.as_ref().map(|r| summary(lang, r)).unwrap_or_default();
            (
                format!("{href}/{}", segment(action)),
                heading,
                f.intro(action).to_owned(),
                summary,
                href,
            )
        }
        (None, Action::Attach) => (
            "/documents/new".to_owned(),
            f.heading(action, ""),
            f.intro_vendor_attach.to_owned(),
            Vec::new(),
            "/documents".to_owned(),
        ),
        (None, Action::Usage) => (
            "/usage/new".to_owned(),
            f.heading(action, ""),
            f.intro(action).to_owned(),
            Vec::new(),
            "/".to_owned(),
        ),
        (None, _) => (
            "/licenses/new".to_owned(),
            f.heading(action, ""),
            f.intro(action).to_owned(),
            Vec::new(),
            "/licenses".to_owned(),
        ),
    };
    let page = RecordPage {
        c: visit.chrome(heading.clone(), &path, &cx.times),
        heading,
        intro,
        summary,
        action: path,
        expected_seq: drawn.expected_seq.unwrap_or(cx.times.head_seq),
        key: drawn.key.unwrap_or_else(new_key),
        problems: drawn
            .problems
            .iter()
            .map(|(field, message)| {
                let label = fields
                    .iter()
                    .find(|x| x.name == field)
                    .map_or("", |x| x.label);
                let text = if label.is_empty() {
                    message.clone()
                } else {
                    format!("{label}: {message}")
                };
                (field.clone(), text)
            })
            .collect(),
        fields,
        submit: f.submit(action),
        danger: action.confirms(),
        multipart: action == Action::Attach,
        back_href,
        vendors: cx.vendors,
    };
    visit.html_with(drawn.status, &page)
}

/// The path segment of an action on a license.
fn segment(action: Action) -> &'static str {
    match action {
        Action::Extend => "extend",
        Action::Adjust => "adjust",
        Action::Cancel => "cancel",
        Action::Void => "void",
        Action::Attach => "attach",
        Action::Purchase | Action::Usage => "",
    }
}

/// A fresh idempotency key for a drawn form.
fn new_key() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // Without randomness the form still works; a double submit is
        // then caught by the stale check alone.
        return String::new();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The license's terms as the form shows them above itself.
fn summary(lang: Lang, r: &LicenseRow) -> Vec<(&'static str, String)> {
    let t = lang.t();
    let mut out = vec![
        (t.vendor, r.vendor.clone()),
        (t.product, r.product.clone()),
        (
            t.quantity,
            format!(
                "{} {}",
                quantity(lang, r.quantity),
                lang.metric(r.metric.as_str())
            ),
        ),
        (t.start, lang.date_text(&r.start)),
        (
            t.end,
            r.end
                .as_deref()
                .map_or_else(|| t.perpetual.to_owned(), |e| lang.date_text(e)),
        ),
        (t.status, lang.license_status(r.status).to_owned()),
    ];
    if let (Some(c), Some(cur)) = (&r.cost, &r.currency) {
        out.push((t.cost, lang.money_text(c, cur)));
    }
    out
}

/// The controls of each form.
fn fields(lang: Lang, action: Action, events: Option<&[query::HistoryEvent]>) -> Vec<Field> {
    let t = lang.t();
    let f = lang.forms();
    let metric = || {
        let mut m = Field::new("metric", t.metric, "select").required();
        m.options = Metric::ALL
            .iter()
            .map(|m| Choice {
                value: m.as_str().to_owned(),
                label: lang.metric(m.as_str()).to_owned(),
                selected: false,
            })
            .collect();
        m
    };
    let money = || {
        [
            Field::new("cost", t.cost, "text")
                .mode("decimal")
                .hint(f.cost_hint),
            Field::new("currency", t.currency, "text").hint(f.currency_hint),
        ]
    };
    let effective = |hint: &'static str| Field::new("effective", t.effective, "date").hint(hint);
    let note = |required: bool| {
        let n = Field::new("note", t.note, "textarea").hint(f.note_hint);
        if required {
            n.required()
        } else {
            n
        }
    };
    let confirm = |text: &'static str| Field::new("confirm", text, "checkbox").required();
    let mut out = Vec::new();
    match action {
        Action::Purchase => {
            let mut vendor = Field::new("vendor", t.vendor, "text").required();
            vendor.list = "vendors";
            out.push(vendor);
            out.push(Field::new("product", t.product, "text").required());
            out.push(Field::new("edition", t.edition, "text"));
            out.push(metric());
            out.push(
                Field::new("qty", t.quantity, "text")
                    .required()
                    .mode("numeric")
                    .hint(f.qty_hint),
            );
            out.push(Field::new("start", t.start, "date").required());
            out.push(Field::new("end", t.end, "date").hint(f.end_hint));
            out.push(Field::new("maintenance_end", t.maintenance_end, "date"));
            out.extend(money());
            out.push(
                Field::new("notice_days", t.notice_days, "text")
                    .mode("numeric")
                    .hint(f.notice_hint),
            );
            out.push(Field::new("auto_renew", t.auto_renew, "checkbox"));
            out.push(
                Field::new("renewal_months", f.renewal_months, "text")
                    .mode("numeric")
                    .hint(f.renewal_hint),
            );
            out.push(Field::new("po", t.po, "text"));
            out.push(Field::new("reseller", t.reseller, "text"));
            out.push(Field::new("owner", t.owner, "text"));
            out.push(Field::new("tags", t.tags, "text").hint(f.tags_hint));
            let mut rule = Field::new("count_rule", f.count_rule, "select").hint(f.count_rule_hint);
            rule.options = std::iter::once(("", f.count_rule_none))
                .chain(
                    entitle_core::CountRule::ALL
                        .iter()
                        .map(|r| (r.as_str(), lang.count_rule(*r))),
                )
                .map(|(value, label)| Choice {
                    value: value.to_owned(),
                    label: label.to_owned(),
                    selected: false,
                })
                .collect();
            out.push(rule);
            out.push(Field::new("id", t.license, "text").hint(f.id_hint));
            out.push(effective(f.effective_hint));
            out.push(note(false));
        }
        Action::Extend => {
            out.push(Field::new("until", f.until, "date").required());
            out.push(
                Field::new("qty", f.new_quantity, "text")
                    .mode("numeric")
                    .hint(f.keep_hint),
            );
            out.extend(money());
            out.push(
                Field::new("renewal_months", f.renewal_months, "text")
                    .mode("numeric")
                    .hint(f.renewal_hint),
            );
            out.push(effective(f.effective_hint));
            out.push(note(false));
        }
        Action::Adjust => {
            out.push(
                Field::new("qty", f.new_quantity, "text")
                    .required()
                    .mode("numeric")
                    .hint(f.qty_hint),
            );
            out.extend(money());
            out.push(effective(f.effective_hint));
            out.push(note(false));
        }
        Action::Cancel => {
            out.push(effective(f.cancel_effective_hint));
            out.push(note(false));
            out.push(confirm(f.confirm_cancel));
        }
        Action::Void => {
            let mut seq = Field::new("seq", f.void_which, "select").required();
            seq.options.push(Choice {
                value: String::new(),
                label: f.choose.to_owned(),
                selected: false,
            });
            for e in events.unwrap_or_default() {
                if e.voided_by.is_some() || e.event_type == "voided" {
                    continue;
                }
                seq.options.push(Choice {
                    value: e.seq.to_string(),
                    label: format!(
                        "#{} {} – {} – {}",
                        e.seq,
                        lang.event(e.event_type),
                        lang.date_text(&e.effective),
                        e.summary
                    ),
                    selected: false,
                });
            }
            out.push(seq);
            out.push(note(true).hint(f.void_note_hint));
            out.push(confirm(f.confirm_void));
        }
        Action::Attach => {
            if events.is_none() {
                // Not one license's: the vendor's (a framework agreement,
                // the vendor's terms).
                let mut vendor = Field::new("vendor", t.vendor, "text")
                    .required()
                    .hint(f.vendor_document_hint);
                vendor.list = "vendors";
                out.push(vendor);
            }
            out.push(
                Field::new("file", f.file, "file")
                    .required()
                    .hint(f.file_hint),
            );
            let mut kind = Field::new("kind", t.kind, "select").required();
            kind.options = DocKind::ALL
                .iter()
                .map(|k| Choice {
                    value: k.as_str().to_owned(),
                    label: k.as_str().to_owned(),
                    selected: false,
                })
                .collect();
            kind.value = DocKind::Contract.as_str().to_owned();
            out.push(kind);
            out.push(note(false));
        }
        Action::Usage => {
            let mut vendor = Field::new("vendor", t.vendor, "text").required();
            vendor.list = "vendors";
            out.push(vendor);
            out.push(Field::new("product", t.product, "text").required());
            out.push(metric());
            out.push(
                Field::new("count", f.count, "text")
                    .required()
                    .mode("numeric")
                    .hint(f.count_hint),
            );
            out.push(Field::new("date", f.counted_on, "date").required());
            out.push(Field::new("source", f.source, "text").hint(f.source_hint));
            out.push(note(false));
        }
    }
    out
}

/// Handles a submit: checks, records once, and answers with the page of
/// what was recorded, or the form again.
async fn submit(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    visit: &Visit,
    action: Action,
    id: Option<String>,
    input: Submitted,
) -> Response {
    let lang = visit.lang;
    let given = |name: &str| input.get(name).map(String::as_str).unwrap_or_default();
    if !visit.form_ok(headers, given("csrf")) {
        return crate::error::ApiError::CrossSite.into_response();
    }
    if visit.who.must_edit().is_err() {
        return not_found(lang);
    }
    let key = given("key").trim().to_owned();
    let expected: Option<u64> = given("expected_seq").trim().parse().ok();
    let again = |problems: Vec<(String, String)>, expected_seq: Option<u64>, status| Drawn {
        input: input.clone(),
        problems,
        expected_seq,
        key: Some(key.clone()),
        status,
    };
    let write = match to_write(lang, action, id.as_deref(), &input) {
        Ok(w) => w,
        Err(problems) => {
            let drawn = again(problems, expected, StatusCode::UNPROCESSABLE_ENTITY);
            return form(shared, visit, action, id, drawn).await;
        }
    };
    let common = Common {
        effective: opt(given("effective")),
        note: opt(given("note")),
    };
    let draft = match write.draft(&common) {
        Ok(d) => d,
        Err(e) => {
            let drawn = again(
                vec![problem(lang, action, &e)],
                expected,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
            return form(shared, visit, action, id, drawn).await;
        }
    };
    let slot = (visit.who.account.name.clone(), format!("form:{key}"));
    if !key.is_empty() {
        if let Some(location) = earlier(shared, &slot).await {
            return Redirect::to(&location).into_response();
        }
    }
    let ctx = crate::api::writes::context(&visit.who);
    let scope = visit.scope();
    let license = id.clone();
    let answer = shared
        .writer
        .alone(move |store| {
            if let (Some(id), Some(expected)) = (&license, expected) {
                let last = last_change(store, &scope, id)?;
                if last > expected {
                    return Ok(Err(Refusal::Stale {
                        head: store.applied().head.seq,
                    }));
                }
            }
            match store.append(vec![draft], &ctx) {
                Ok(appended) => Ok(Ok(appended)),
                Err(e) => {
                    let e = Error::from(e);
                    if matches!(
                        e.kind(),
                        ErrorKind::BadInput | ErrorKind::Conflict | ErrorKind::NotFound
                    ) {
                        Ok(Err(Refusal::Fields(vec![problem(lang, action, &e)])))
                    } else {
                        Err(e)
                    }
                }
            }
        })
        .await;
    let appended = match answer {
        Ok(Ok(appended)) => appended,
        Ok(Err(refusal)) => {
            forget(shared, &slot);
            let drawn = match refusal {
                Refusal::Stale { head } => again(
                    vec![(String::new(), lang.forms().stale(head))],
                    Some(head),
                    StatusCode::CONFLICT,
                ),
                Refusal::Fields(problems) => {
                    again(problems, expected, StatusCode::UNPROCESSABLE_ENTITY)
                }
            };
            return form(shared, visit, action, id, drawn).await;
        }
        Err(e) => {
            forget(shared, &slot);
            return super::error_page(lang, &e);
        }
    };
    let seq = appended.first().map_or(0, |a| a.seq);
    let location = match (action, appended.first().and_then(|a| a.id.clone()).or(id)) {
        (Action::Usage, _) | (_, None) => format!("/?recorded={seq}"),
        (_, Some(id)) => format!("/licenses/{}?recorded={seq}", urlencode(&id)),
    };
    if !key.is_empty() {
        remember(shared, slot, &location);
    }
    Redirect::to(&location).into_response()
}

/// The last event that touched a license (in the scope).
fn last_change(store: &Store, scope: &Scope, id: &str) -> Result<u64, Error> {
    let history = query::history(store, scope, id)?;
    Ok(history.events.iter().map(|e| e.seq).max().unwrap_or(0))
}

/// A form's field for an error's field (the ledger names a license
/// action's license `license`, which is the page itself).
fn field_of(action: Action, field: &str) -> String {
    match (action, field) {
        (Action::Extend | Action::Adjust | Action::Cancel, "license") => String::new(),
        _ => field.to_owned(),
    }
}

/// Where an earlier submit of the same form went: at once if it is done,
/// after it finishes if it still runs (a double click).
async fn earlier(shared: &Shared, slot: &(String, String)) -> Option<String> {
    let started = Instant::now();
    loop {
        {
            let mut remembered = shared.remembered.lock();
            remembered.retain(|_, r| r.at.elapsed() < IDEMPOTENCY_FOR);
            match remembered.get(slot) {
                None => {
                    remembered.insert(
                        slot.clone(),
                        Remembered {
                            at: Instant::now(),
                            status: 0,
                            body: Vec::new(),
                        },
                    );
                    return None;
                }
                Some(r) if r.status != 0 => {
                    return Some(String::from_utf8_lossy(&r.body).into_owned())
                }
                Some(_) => {}
            }
        }
        if started.elapsed() > Duration::from_secs(30) {
            // The first never finished: let this one try.
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn remember(shared: &Shared, slot: (String, String), location: &str) {
    shared.remembered.lock().insert(
        slot,
        Remembered {
            at: Instant::now(),
            status: StatusCode::SEE_OTHER.as_u16(),
            body: location.as_bytes().to_vec(),
        },
    );
}

fn forget(shared: &Shared, slot: &(String, String)) {
    shared.remembered.lock().remove(slot);
}

/// A trimmed value, none when empty.
fn opt(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// The write a form asks for, or every missing or malformed field.
fn to_write(
    lang: Lang,
    action: Action,
    id: Option<&str>,
    input: &Submitted,
) -> Result<Write, Vec<(String, String)>> {
    let f = lang.forms();
    let given = |name: &str| {
        input
            .get(name)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    let mut problems = Vec::new();
    for field in fields(lang, action, None) {
        if field.required && field.kind != "select" && given(field.name).is_empty() {
            let message = if field.kind == "checkbox" {
                f.confirm_missing
            } else {
                f.required
            };
            problems.push((field.name.to_owned(), message.to_owned()));
        }
    }
    if action == Action::Void && given("seq").is_empty() {
        problems.push(("seq".to_owned(), f.choose_event.to_owned()));
    }
    let days = |name: &str, problems: &mut Vec<(String, String)>| -> Option<u32> {
        let text = given(name);
        if text.is_empty() {
            return None;
        }
        match text.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push((name.to_owned(), f.whole_number.to_owned()));
                None
            }
        }
    };
    // An amount as the page's language writes it (`1.234,56` / `1,234.56`),
    // read by the spreadsheet import's own parser.
    let style = match lang {
        Lang::De => NumberStyle::DecimalComma,
        Lang::En => NumberStyle::DecimalPoint,
    };
    let cost = match opt(&given("cost")) {
        None => None,
        Some(text) => match entitle_sheet::parse_money(&text, style) {
            Ok(amount) => Some(amount.to_string()),
            Err(_) => {
                problems.push(("cost".to_owned(), f.bad_money.to_owned()));
                None
            }
        },
    };
    let notice_days = days("notice_days", &mut problems);
    let renewal_months = days("renewal_months", &mut problems);
    // A quantity or count the ledger would refuse is named with the other
    // problems, not only after they are mended.
    let quantity_refused = match action {
        Action::Usage => {
            let text = given("count");
            !text.is_empty() && entitle_core::types::parse_count(&text).is_err()
        }
        _ => {
            let text = given("qty");
            !text.is_empty() && text.parse::<entitle_core::Quantity>().is_err()
        }
    };
    if quantity_refused {
        let field = if action == Action::Usage {
            "count"
        } else {
            "qty"
        };
        problems.push((field.to_owned(), f.bad_quantity.to_owned()));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let currency = opt(&given("currency")).map(|c| c.to_uppercase());
    let license = id.unwrap_or_default().to_owned();
    Ok(match action {
        Action::Purchase => Write::Purchase(Purchase {
            id: opt(&given("id")),
            vendor: given("vendor"),
            product: given("product"),
            edition: opt(&given("edition")),
            metric: given("metric"),
            qty: given("qty"),
            start: given("start"),
            end: opt(&given("end")),
            maintenance_end: opt(&given("maintenance_end")),
            cost,
            currency,
            po: opt(&given("po")),
            reseller: opt(&given("reseller")),
            owner: opt(&given("owner")),
            notice_days,
            auto_renew: !given("auto_renew").is_empty(),
            renewal_months,
            tags: given("tags")
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            count_rule: opt(&given("count_rule")),
        }),
        Action::Extend => Write::Extend(Extend {
            license,
            until: given("until"),
            qty: opt(&given("qty")),
            cost,
            currency,
            renewal_months,
        }),
        Action::Adjust => Write::Adjust(Adjust {
            license,
            qty: given("qty"),
            cost,
            currency,
        }),
        Action::Cancel => Write::Cancel(Cancel { license }),
        Action::Void => Write::Void(Void { seq: given("seq") }),
        // A document is bound by `attach`, not by a write.
        Action::Attach => return Err(Vec::new()),
        Action::Usage => Write::Usage(Usage {
            vendor: given("vendor"),
            product: given("product"),
            metric: given("metric"),
            count: given("count"),
            date: given("date"),
            source: opt(&given("source")),
        }),
    })
}

/// A refusal of the rules, by its field, in the page's language where
/// the language knows the problem; the rule's own words otherwise.
fn problem(lang: Lang, action: Action, e: &Error) -> (String, String) {
    let field = field_of(action, e.field().unwrap_or_default());
    let f = lang.forms();
    let own = e.render(&entitle_app::PlainNames);
    let message = match field.as_str() {
        "start" | "end" | "maintenance_end" | "until" | "effective" | "date"
            if e.value().is_some() && !own.contains("before") && !own.contains("after") =>
        {
            f.bad_date.to_owned()
        }
        "qty" | "count" if e.value().is_some() => f.bad_quantity.to_owned(),
        "cost" | "currency" => f.bad_money.to_owned(),
        _ => match (lang, e.rule()) {
            (Lang::De, Some(rule)) => super::rules::german(rule).unwrap_or(own),
            _ => own,
        },
    };
    (field, message)
}

/// `GET /documents/new`: documents for a vendor rather than one license.
pub(crate) async fn new_vendor_attach(State(shared): State<Arc<Shared>>, visit: Visit) -> Response {
    form(&shared, &visit, Action::Attach, None, Drawn::fresh()).await
}

/// `POST /licenses/{id}/attach`: the file streamed into the archive while
/// hashed (the form's hidden CSRF field comes before it and is checked
/// first), then bound to the license in one write; the document's page
/// answers. An empty file, one over the limit, or a client that leaves
/// keeps nothing.
pub(crate) async fn attach(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    visit: Visit,
    multipart: Multipart,
) -> Response {
    if visit.who.must_edit().is_err() {
        return not_found(visit.lang);
    }
    let scope = visit.scope();
    let wanted = id.clone();
    let seen = read(&shared, visit.lang, move |store| {
        query::history(store, &scope, &wanted).map(|h| h.id)
    })
    .await;
    match seen {
        Ok(id) => attach_to(shared, Some(id), headers, visit, multipart).await,
        Err(page) => page,
    }
}

/// `POST /documents/new`: as [`attach`], the documents bound to the vendor
/// the form names.
pub(crate) async fn vendor_attach(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    visit: Visit,
    multipart: Multipart,
) -> Response {
    if visit.who.must_edit().is_err() {
        return not_found(visit.lang);
    }
    attach_to(shared, None, headers, visit, multipart).await
}

/// The upload of the attach forms: to license `id`, or without one to the
/// vendor in the form's `vendor` field.
async fn attach_to(
    shared: Arc<Shared>,
    id: Option<String>,
    headers: HeaderMap,
    visit: Visit,
    mut multipart: Multipart,
) -> Response {
    let lang = visit.lang;
    let f = lang.forms();
    let mut input = Submitted::new();
    let mut archived: Vec<record::Archived> = Vec::new();
    let mut problems: Vec<(String, String)> = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                let message = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    f.file_too_large
                } else {
                    f.upload_broke
                };
                problems.push(("file".to_owned(), message.to_owned()));
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            if let Ok(text) = field.text().await {
                input.insert(name, text.chars().take(4000).collect());
            }
            continue;
        }
        let token = input.get("csrf").map(String::as_str).unwrap_or_default();
        if !visit.form_ok(&headers, token) {
            return crate::error::ApiError::CrossSite.into_response();
        }
        let slot = (
            visit.who.account.name.clone(),
            format!(
                "form:{}",
                input.get("key").map(String::as_str).unwrap_or_default()
            ),
        );
        // Claimed once, at the first file (a second claim of the same
        // key would wait for this very request's answer).
        if !slot.1.ends_with(':') && !input.contains_key("slot") {
            if let Some(location) = earlier(&shared, &slot).await {
                return Redirect::to(&location).into_response();
            }
            input.insert("slot".to_owned(), slot.1.clone());
        }
        if field.file_name().is_none_or(str::is_empty) {
            // A file input left empty: said below when no file came.
            continue;
        }
        match crate::api::documents::archive_field(&shared, field).await {
            Ok(a) => archived.push(a),
            Err(e) => {
                let message = match e {
                    crate::error::ApiError::TooLarge(_) => f.file_too_large.to_owned(),
                    crate::error::ApiError::App(e) if e.message().contains("empty") => {
                        f.file_empty.to_owned()
                    }
                    crate::error::ApiError::App(e) if e.is_disk_full() => f.disk_full.to_owned(),
                    crate::error::ApiError::App(e) => e.render(&entitle_app::PlainNames),
                    _ => f.upload_broke.to_owned(),
                };
                problems.push(("file".to_owned(), message));
            }
        }
    }
    let token = input.get("csrf").map(String::as_str).unwrap_or_default();
    if !visit.form_ok(&headers, token) {
        discard(&shared, archived).await;
        return crate::error::ApiError::CrossSite.into_response();
    }
    let slot = input
        .get("slot")
        .map(|s| (visit.who.account.name.clone(), s.clone()));
    if archived.is_empty() && problems.is_empty() {
        problems.push(("file".to_owned(), f.choose_file.to_owned()));
    }
    let vendor = input
        .get("vendor")
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    if id.is_none() && vendor.is_none() {
        problems.insert(0, ("vendor".to_owned(), f.choose_vendor.to_owned()));
    }
    let again = |problems: Vec<(String, String)>| Drawn {
        input: input.clone(),
        problems,
        expected_seq: None,
        key: input.get("key").cloned(),
        status: StatusCode::UNPROCESSABLE_ENTITY,
    };
    if !problems.is_empty() {
        discard(&shared, archived).await;
        if let Some(slot) = &slot {
            forget(&shared, slot);
        }
        return form(&shared, &visit, Action::Attach, id, again(problems)).await;
    }
    let documents = archived;
    let req = record::Attach {
        license: id.clone(),
        vendor: if id.is_none() { vendor.clone() } else { None },
        kind: input
            .get("kind")
            .cloned()
            .unwrap_or_else(|| DocKind::Contract.as_str().to_owned()),
        note: opt(input.get("note").map(String::as_str).unwrap_or_default()),
    };
    let ctx = crate::api::writes::context(&visit.who);
    let done = shared
        .writer
        .alone(move |store| {
            record::attach_archived(store, &ctx, &req, documents, &entitle_app::Silent)
        })
        .await;
    match done {
        Ok(result) => {
            let seq = result.seqs.first().copied().unwrap_or(0);
            let last = result.seqs.last().copied().unwrap_or(seq);
            // One file: its page; several: the license's, or the vendor's
            // documents, which list them.
            let recorded = if last > seq {
                format!("{seq}-{last}")
            } else {
                seq.to_string()
            };
            let location = match (result.documents.as_slice(), &id) {
                ([d], _) => format!("/documents/{}?recorded={seq}", d.hash),
                (_, Some(id)) => format!("/licenses/{}?recorded={recorded}", urlencode(id)),
                (_, None) => format!(
                    "/documents?vendor={}&recorded={recorded}",
                    urlencode(vendor.as_deref().unwrap_or_default())
                ),
            };
            if let Some(slot) = slot {
                remember(&shared, slot, &location);
            }
            Redirect::to(&location).into_response()
        }
        Err(e) => {
            if let Some(slot) = &slot {
                forget(&shared, slot);
            }
            let problem = problem(lang, Action::Attach, &e);
            form(&shared, &visit, Action::Attach, id, again(vec![problem])).await
        }
    }
}

/// Removes uploads that are not to be bound after all.
async fn discard(shared: &Arc<Shared>, archived: Vec<record::Archived>) {
    if archived.is_empty() {
        return;
    }
    let store = Arc::clone(&shared.store);
    let _ = tokio::task::spawn_blocking(move || record::discard_archived(&store.read(), archived))
        .await;
}
