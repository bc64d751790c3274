//! Recording through the pages in a real Chromium: a purchase, an
//! adjustment, a cancellation, a void and a usage count by their forms;
//! a bad form shows its problems by the field in the page's language and
//! writes nothing; a double submit records once; a form on a license that
//! changed after it was drawn is refused; a viewer has no forms. And the
//! renewals and spend pages against the API, with the calendar
//! subscription made and stopped in the browser.

use std::time::Duration;

use fantoccini::{Client, Locator};
use reqwest::blocking::Client as Http;
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::json;

use crate::pages::{api, arrive, click, demo_store, runtime, shoot, sign_in, text, Driver};
use crate::serve::{admin, Browser, Served, PASSWORD};

/// Runs blocking HTTP off the browser's async task (a blocking client
/// must not run, nor be dropped, inside it).
fn off<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(work).join().expect("the blocking work"))
}

/// The last seq of the log, from the API.
fn head(admin: &Browser, server: &Served) -> u64 {
    api(admin, server, "/api/v1/position")["known_at_seq"]
        .as_u64()
        .unwrap()
}

/// Types `value` into the form field `name` (after clearing it).
async fn fill(c: &Client, name: &str, value: &str) {
    let input = c
        .find(Locator::Id(&format!("f-{name}")))
        .await
        .unwrap_or_else(|e| panic!("field {name}: {e}"));
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

/// Sets a date field (a date input takes typing in the browser's locale;
/// its value is ISO whatever the locale).
async fn date(c: &Client, name: &str, value: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![json!(format!("f-{name}")), json!(value)],
    )
    .await
    .unwrap();
}

async fn value(c: &Client, name: &str) -> String {
    c.find(Locator::Id(&format!("f-{name}")))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn submit(c: &Client) {
    click(c, "#record-submit").await;
}

/// A signed-in HTTP client that follows no redirects (to see them).
fn session(server: &Served, name: &str) -> Http {
    let http = Http::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let r = http
        .post(server.at("/api/v1/session"))
        .json(&json!({"name": name, "password": PASSWORD}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "sign-in of {name}");
    http
}

/// The hidden fields of the form a page draws.
fn hidden(html: &str) -> Vec<(String, String)> {
    ["csrf", "expected_seq", "key"]
        .iter()
        .map(|name| {
            let marker = format!("name=\"{name}\" value=\"");
            let v = html
                .split(&marker)
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("the form has no {name}"));
            ((*name).to_owned(), v.to_owned())
        })
        .collect()
}

#[test]
fn a_purchase_by_the_form_is_recorded_once_and_a_bad_form_writes_nothing() {
    let store = demo_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    admin.add_user(&server, "viewer", "viewer", &[]);
    let driver = Driver::start();
    let before = head(&admin, &server);
    let recorded = runtime().block_on(async {
        let c = driver.browser("editor").await;
        sign_in(&c, &server, "admin", false).await;
        c.goto(&server.at("/licenses")).await.unwrap();
        click(&c, "#new-purchase").await;
        arrive(&c, "/licenses/new").await;
        shoot(&c, "purchase-form").await;

        // Missing start, a negative quantity: the problems by their
        // fields, what was typed kept, nothing written.
        fill(&c, "vendor", "Adobe").await;
        fill(&c, "product", "Acrobat Pro").await;
        fill(&c, "qty", "-5").await;
        submit(&c).await;
        assert_eq!(text(&c, "#e-start").await, "Fill this in.");
        assert!(
            text(&c, "#e-qty").await.contains("whole number"),
            "both problems at once: {}",
            text(&c, "#e-qty").await
        );
        assert_eq!(value(&c, "vendor").await, "Adobe");
        assert_eq!(value(&c, "qty").await, "-5");
        assert!(text(&c, "#form-problems")
            .await
            .contains("Nothing was recorded"));
        shoot(&c, "purchase-form-errors").await;
        date(&c, "start", "2024-07-01").await;
        submit(&c).await;
        assert!(
            text(&c, "#e-qty").await.contains("whole number"),
            "{}",
            text(&c, "#e-qty").await
        );
        assert_eq!(value(&c, "start").await, "2024-07-01");
        assert_eq!(
            off(|| head(&admin, &server)),
            before,
            "a refused form writes nothing"
        );

        // Corrected: recorded, and the page of the new license says so.
        fill(&c, "qty", "25").await;
        fill(&c, "cost", "1,234.50").await;
        fill(&c, "currency", "eur").await;
        date(&c, "end", "2025-06-30").await;
        submit(&c).await;
        let notice = text(&c, "#recorded").await;
        let url = c.current_url().await.unwrap();
        assert!(url.path().starts_with("/licenses/L-"), "{url}");
        assert_eq!(notice, format!("Recorded as event #{}.", before + 1));
        assert!(text(&c, "h1").await.contains("Adobe / Acrobat Pro"));
        text(&c, &format!("#history tr[data-seq=\"{}\"]", before + 1)).await;
        let id = url.path().trim_start_matches("/licenses/").to_owned();
        c.close().await.unwrap();
        id
    });
    assert_eq!(head(&admin, &server), before + 1);
    let state = api(&admin, &server, "/api/v1/state");
    let license = state["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == recorded.as_str())
        .expect("the new license in the state");
    assert_eq!(license["vendor"], "Adobe");
    assert_eq!(license["quantity"], 25);
    assert_eq!(license["cost"], "1234.50");
    assert_eq!(license["currency"], "EUR");
    let history = api(
        &admin,
        &server,
        &format!("/api/v1/licenses/{recorded}/history"),
    );
    assert_eq!(history["events"][0]["actor"], "admin");

    // A double submit: the same drawn form posted twice records once and
    // both answers lead to the same page.
    let http = session(&server, "admin");
    let form = http
        .get(server.at("/usage/new"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let mut body = hidden(&form);
    for (k, v) in [
        ("vendor", "Adobe"),
        ("product", "Acrobat Pro"),
        ("metric", "user"),
        ("count", "22"),
        ("date", "2024-08-01"),
    ] {
        body.push((k.to_owned(), v.to_owned()));
    }
    let at = head(&admin, &server);
    let first = http
        .post(server.at("/usage/new"))
        .form(&body)
        .send()
        .unwrap();
    let second = http
        .post(server.at("/usage/new"))
        .form(&body)
        .send()
        .unwrap();
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(first.headers()["location"], second.headers()["location"]);
    assert_eq!(
        first.headers()["location"],
        format!("/?recorded={}", at + 1).as_str()
    );
    assert_eq!(head(&admin, &server), at + 1, "recorded once");

    // Without the session's CSRF token: refused, nothing written.
    let mut forged = body.clone();
    forged[0].1 = "not-the-token".to_owned();
    forged[2].1 = "another-key".to_owned();
    let r = http
        .post(server.at("/usage/new"))
        .form(&forged)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(head(&admin, &server), at + 1);

    // A viewer has no forms: the 404 page, and a post writes nothing.
    let viewer = session(&server, "viewer");
    let page = viewer.get(server.at("/licenses/new")).send().unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let page = viewer
        .get(server.at("/licenses"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!page.contains("/licenses/new"), "no link to a form");
    let r = viewer
        .post(server.at("/usage/new"))
        .form(&body)
        .send()
        .unwrap();
    assert_ne!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(head(&admin, &server), at + 1);
}

#[test]
fn a_stale_form_is_refused_and_cancel_and_void_ask_to_confirm_in_german() {
    let store = demo_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let driver = Driver::start();
    runtime().block_on(async {
        let c = driver.browser("editor-de").await;
        sign_in(&c, &server, "admin", false).await;
        c.goto(&server.at("/licenses/L-0001?lang=de"))
            .await
            .unwrap();
        click(&c, "#do-adjust").await;
        arrive(&c, "/licenses/L-0001/adjust").await;
        assert_eq!(text(&c, "h1").await, "Menge von L-0001 ändern");

        // Someone else adjusts the license while the form is open.
        let (status, answer) = off(|| {
            let r = admin
                .http
                .post(server.at("/api/v1/events"))
                .header("X-CSRF-Token", &admin.csrf)
                .json(&json!({"type": "adjusted", "id": "L-0001", "qty": 210}))
                .send()
                .unwrap();
            (r.status(), r.text().unwrap())
        });
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let after_other = off(|| head(&admin, &server));
        fill(&c, "qty", "225").await;
        // An amount as German writes it.
        fill(&c, "cost", "4.300,50").await;
        fill(&c, "currency", "EUR").await;
        submit(&c).await;
        let problem = text(&c, "#form-problems").await;
        assert!(problem.contains("wurde geändert"), "{problem}");
        assert_eq!(
            off(|| head(&admin, &server)),
            after_other,
            "a stale form writes nothing"
        );
        assert_eq!(value(&c, "qty").await, "225", "what was typed is kept");
        // Having seen the change, the same form goes through.
        submit(&c).await;
        assert_eq!(
            text(&c, "#recorded").await,
            format!("Erfasst als Ereignis #{}.", after_other + 1)
        );

        // A cancellation asks to confirm.
        click(&c, "#do-cancel").await;
        arrive(&c, "/licenses/L-0001/cancel").await;
        submit(&c).await;
        assert_eq!(
            text(&c, "#e-confirm").await,
            "Bitte bestätigen Sie mit dem Häkchen."
        );
        assert_eq!(off(|| head(&admin, &server)), after_other + 1);
        shoot(&c, "cancel-form-de").await;
        click(&c, "#f-confirm").await;
        submit(&c).await;
        let cancelled = after_other + 2;
        assert_eq!(
            text(&c, "#recorded").await,
            format!("Erfasst als Ereignis #{cancelled}.")
        );

        // The cancellation was a mistake: void it, with a reason.
        click(&c, "#do-void").await;
        arrive(&c, "/licenses/L-0001/void").await;
        c.find(Locator::Css(&format!(
            "#f-seq option[value=\"{cancelled}\"]"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
        click(&c, "#f-confirm").await;
        submit(&c).await;
        assert_eq!(text(&c, "#e-note").await, "Bitte ausfüllen.");
        fill(&c, "note", "Kündigung versehentlich erfasst").await;
        submit(&c).await;
        text(&c, "#recorded").await;
        let row = text(&c, &format!("#history tr[data-seq=\"{cancelled}\"]")).await;
        assert!(row.contains(&format!("#{}", cancelled + 1)), "{row}");
        // A void's own event is not offered for voiding.
        c.goto(&server.at("/licenses/L-0001/void")).await.unwrap();
        let offered = c
            .find_all(Locator::Css("#f-seq option"))
            .await
            .unwrap()
            .len();
        assert!(offered >= 2);
        assert!(c
            .find(Locator::Css(&format!(
                "#f-seq option[value=\"{cancelled}\"]"
            )))
            .await
            .is_err());
        c.close().await.unwrap();
    });
    let state = api(&admin, &server, "/api/v1/state");
    let l1 = state["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "L-0001")
        .unwrap()
        .clone();
    assert_ne!(l1["status"], "cancelled", "the void undid the cancellation");
    assert_eq!(l1["quantity"], 225);
    let history = api(&admin, &server, "/api/v1/licenses/L-0001/history");
    let adjusted = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["type"] == "adjusted")
        .unwrap()
        .clone();
    assert_eq!(adjusted["record"]["cost"], "4300.50", "{adjusted}");
}

/// A decimal amount as the German pages write money: `1.234,56 €`.
fn german_money(amount: &str, currency: &str) -> String {
    let (whole, cents) = amount.split_once('.').unwrap_or((amount, "00"));
    let digits: Vec<char> = whole.chars().collect();
    let mut grouped = String::new();
    for (i, ch) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(*ch);
    }
    let symbol = match currency {
        "EUR" => "€",
        "USD" => "$",
        other => other,
    };
    format!("{grouped},{cents} {symbol}")
}

#[test]
fn renewals_and_spend_match_the_api_and_the_calendar_link_is_made_and_stopped_in_the_browser() {
    let store = demo_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let q = "?as_of=2024-06-30&within=365";
    let renewals = api(&admin, &server, &format!("/api/v1/renewals{q}"));
    let want: Vec<String> = renewals["renewals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!want.is_empty(), "{renewals}");
    let ics = admin.get(&server, &format!("/renewals.ics{q}"));
    assert_eq!(
        ics.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let ics = ics.text().unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    for id in &want {
        assert!(ics.contains(id.as_str()), "{id} in the calendar file");
    }
    let spend = api(&admin, &server, "/api/v1/spend");
    let driver = Driver::start();
    runtime().block_on(async {
        let c = driver.browser("renewals").await;
        sign_in(&c, &server, "admin", false).await;
        c.goto(&server.at(&format!("/renewals{q}"))).await.unwrap();
        let mut shown = Vec::new();
        for tr in c
            .find_all(Locator::Css("#renewals tbody tr[data-id]"))
            .await
            .unwrap()
        {
            shown.push(tr.attr("data-id").await.unwrap().unwrap());
        }
        assert_eq!(shown, want);
        shoot(&c, "renewals").await;

        // The personal subscription: shown once, answered without a
        // session, dead once stopped.
        click(&c, "button[value=create]").await;
        text(&c, "#calendar-new").await;
        let url = c
            .find(Locator::Id("calendar-url"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap();
        assert!(url.contains("/calendar/") && url.ends_with(".ics"), "{url}");
        let (status, feed) = off(|| {
            let r = reqwest::blocking::get(&url).unwrap();
            (r.status(), r.text().unwrap())
        });
        assert_eq!(status, StatusCode::OK);
        assert!(feed.contains("BEGIN:VEVENT"), "{feed}");
        click(&c, "button[value=stop]").await;
        text(&c, "#calendar-stopped").await;
        assert_eq!(
            off(|| reqwest::blocking::get(&url).unwrap().status()),
            StatusCode::NOT_FOUND
        );

        // Spend in German: every year's total as the API gives it, as
        // German writes money.
        c.goto(&server.at("/spend?lang=de")).await.unwrap();
        for total in spend["totals"].as_array().unwrap() {
            let currency = total["currency"].as_str().unwrap();
            let year = total["year"].as_i64().unwrap();
            let cell = text(
                &c,
                &format!("section[data-currency=\"{currency}\"] tr[data-year=\"{year}\"] td.num"),
            )
            .await;
            assert_eq!(
                cell,
                german_money(total["amount"].as_str().unwrap(), currency),
                "{currency} {year}"
            );
        }
        shoot(&c, "spend-de").await;
        c.close().await.unwrap();
    });
}

#[test]
fn a_pdf_uploaded_by_the_file_input_is_found_highlighted_and_its_page_shows_the_b3sum_hash() {
    let store = demo_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let pdf =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/documents/apache-2.0.pdf");
    let b3sum = std::process::Command::new("b3sum")
        .arg("--no-names")
        .arg(&pdf)
        .output()
        .expect("b3sum runs (cargo install b3sum; .ci/run does)");
    let expected = String::from_utf8(b3sum.stdout).unwrap().trim().to_owned();
    assert_eq!(expected.len(), 64);
    let empty = store.path.join("empty.pdf");
    std::fs::write(&empty, b"").unwrap();
    let driver = Driver::start();
    let before = head(&admin, &server);
    runtime().block_on(async {
        let c = driver.browser("upload").await;
        sign_in(&c, &server, "admin", false).await;
        c.goto(&server.at("/licenses/L-0002")).await.unwrap();
        click(&c, "#do-attach").await;
        arrive(&c, "/licenses/L-0002/attach").await;

        // An empty file: refused by the field, nothing written.
        c.find(Locator::Id("f-file"))
            .await
            .unwrap()
            .send_keys(empty.to_str().unwrap())
            .await
            .unwrap();
        submit(&c).await;
        assert!(
            text(&c, "#e-file").await.contains("empty"),
            "{}",
            text(&c, "#e-file").await
        );
        assert_eq!(off(|| head(&admin, &server)), before);

        c.find(Locator::Id("f-file"))
            .await
            .unwrap()
            .send_keys(pdf.to_str().unwrap())
            .await
            .unwrap();
        fill(&c, "note", "the license text, for the record").await;
        shoot(&c, "attach-form").await;
        submit(&c).await;
        assert_eq!(
            text(&c, "#recorded").await,
            format!("Recorded as event #{}.", before + 1)
        );
        assert_eq!(
            c.current_url().await.unwrap().path(),
            format!("/documents/{expected}")
        );
        assert_eq!(
            text(&c, "#hash").await,
            expected,
            "the page shows b3sum's hash"
        );
        shoot(&c, "document").await;

        // The archive's search finds a phrase of it, the phrase marked.
        c.goto(&server.at("/documents")).await.unwrap();
        fill_id(&c, "q", "\"Grant of Copyright License\"").await;
        click(&c, "form.search button").await;
        let hit = text(&c, "#hits ol.hits li").await;
        assert!(hit.contains("apache-2.0.pdf"), "{hit}");
        let marked = text(&c, "#hits ol.hits li mark").await;
        assert!(marked.eq_ignore_ascii_case("Grant"), "{marked}");
        shoot(&c, "search").await;
        c.close().await.unwrap();
    });
    assert_eq!(
        head(&admin, &server),
        before + 1,
        "one document_attached event"
    );
    // The bytes served are the bytes uploaded.
    let served = admin
        .get(&server, &format!("/api/v1/documents/{expected}/content"))
        .bytes()
        .unwrap();
    assert_eq!(served.as_ref(), std::fs::read(&pdf).unwrap().as_slice());
    // Its page shows the text extracted from it, escaped, never rendered.
    let page = admin
        .get(&server, &format!("/documents/{expected}"))
        .text()
        .unwrap();
    let extracted = &page[page.find("id=\"extracted\"").expect("the extracted text")..];
    assert!(
        extracted.contains("Grant of Copyright License"),
        "{extracted}"
    );
    let view = admin.get(&server, &format!("/documents/{expected}/view"));
    assert_eq!(view.headers()["content-type"], "application/pdf");
    assert_eq!(view.headers()["x-content-type-options"], "nosniff");
}

/// Types into the input with this id.
async fn fill_id(c: &Client, id: &str, value: &str) {
    let input = c.find(Locator::Id(id)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

/// A signed-in client's multipart post of a page's form (its CSRF token
/// read from the page first).
fn post_form(
    http: &Http,
    server: &Served,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, Vec<u8>)>,
) -> reqwest::blocking::Response {
    let html = http.get(server.at(page)).send().unwrap().text().unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form with a CSRF token")
        .to_owned();
    let mut form = reqwest::blocking::multipart::Form::new().text("csrf", csrf);
    for (k, v) in fields {
        form = form.text((*k).to_owned(), (*v).to_owned());
    }
    if let Some((name, filename, bytes)) = file {
        form = form.part(
            name.to_owned(),
            reqwest::blocking::multipart::Part::bytes(bytes).file_name(filename.to_owned()),
        );
    }
    http.post(server.at(action)).multipart(form).send().unwrap()
}

#[test]
fn a_pack_built_on_the_audits_page_passes_audit_verify_and_a_tampered_upload_is_shown_failed() {
    let store = demo_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    admin.add_user(&server, "auditor", "auditor", &["Oracle"]);
    admin.add_user(&server, "viewer", "viewer", &[]);
    let http = session(&server, "admin");
    let page = http
        .get(server.at("/audits"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let fingerprint = page
        .split("id=\"fingerprint\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");

    // Built by the form, downloaded as a zip that the CLI verifies
    // against the fingerprint the page showed.
    let built = post_form(
        &http,
        &server,
        "/audits",
        "/audits/pack",
        &[
            ("vendor", "Microsoft"),
            ("as_of", "2024-06-30"),
            ("known_at", "2024-09-02"),
        ],
        None,
    );
    assert_eq!(built.status(), StatusCode::OK);
    assert_eq!(built.headers()["content-type"], "application/zip");
    let disposition = built.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("audit-pack-Microsoft-2024-06-30.zip"),
        "{disposition}"
    );
    let zip = built.bytes().unwrap().to_vec();
    let path = store.path.with_extension("pack.zip");
    std::fs::write(&path, &zip).unwrap();
    let verify = store.ok(&[
        "audit",
        "verify",
        path.to_str().unwrap(),
        "--signer",
        &fingerprint,
    ]);
    assert!(verify.contains("verified"), "{verify}");

    // A bad form: the problem by its field, no download.
    let refused = post_form(
        &http,
        &server,
        "/audits",
        "/audits/pack",
        &[("vendor", "Microsoft"), ("as_of", "2024-02-30")],
        None,
    );
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().unwrap();
    assert!(
        html.contains("id=\"build-problem\"") && html.contains("2024-02-30"),
        "{html}"
    );

    // An auditor builds packs of their vendor only: another vendor is the
    // 404 page; a viewer has no build form at all.
    let auditor = session(&server, "auditor");
    let theirs = post_form(
        &auditor,
        &server,
        "/audits",
        "/audits/pack",
        &[("vendor", "Oracle")],
        None,
    );
    assert_eq!(theirs.status(), StatusCode::OK);
    let other = post_form(
        &auditor,
        &server,
        "/audits",
        "/audits/pack",
        &[("vendor", "Microsoft")],
        None,
    );
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let nobody = post_form(
        &auditor,
        &server,
        "/audits",
        "/audits/pack",
        &[("vendor", "Nobody GmbH")],
        None,
    );
    assert_eq!(
        other.text().unwrap(),
        nobody.text().unwrap(),
        "no existence oracle"
    );
    let viewer = session(&server, "viewer");
    let page = viewer
        .get(server.at("/audits"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!page.contains("/audits/pack"), "no build form for a viewer");

    // In the browser: the pack verifies with every check passed; one
    // changed byte in it is shown as failed.
    let mut tampered = zip.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x20;
    let bad = store.path.with_extension("tampered.zip");
    std::fs::write(&bad, &tampered).unwrap();
    let driver = Driver::start();
    runtime().block_on(async {
        let c = driver.browser("audits").await;
        sign_in(&c, &server, "admin", false).await;
        c.goto(&server.at("/audits")).await.unwrap();
        fill_id(&c, "v-signer", &fingerprint).await;
        c.find(Locator::Id("v-pack"))
            .await
            .unwrap()
            .send_keys(path.to_str().unwrap())
            .await
            .unwrap();
        click(&c, "#verify-pack").await;
        let verdict = text(&c, "#verified").await;
        assert!(verdict.contains(": verified"), "{verdict}");
        assert!(verdict.contains(&fingerprint), "{verdict}");
        let failed = c
            .find_all(Locator::Css("#checks tr[data-passed=\"false\"]"))
            .await
            .unwrap()
            .len();
        assert_eq!(failed, 0);
        shoot(&c, "audits-verified").await;
        // A fresh page: the answer below cannot be the one above.
        c.goto(&server.at("/audits")).await.unwrap();
        c.find(Locator::Id("v-pack"))
            .await
            .unwrap()
            .send_keys(bad.to_str().unwrap())
            .await
            .unwrap();
        click(&c, "#verify-pack").await;
        let shown = text(&c, "#verified, #verify-problem").await;
        assert!(
            shown.contains("FAILED") || shown.contains("zip") || shown.contains("pack"),
            "{shown}"
        );
        assert!(!shown.contains(": verified"), "{shown}");
        shoot(&c, "audits-tampered").await;
        c.close().await.unwrap();
    });
}

#[test]
fn the_admin_page_adds_an_auditor_makes_and_revokes_a_token_and_disables_an_account() {
    let store = demo_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    admin.add_user(&server, "viewer", "viewer", &[]);
    let viewer = session(&server, "viewer");
    let page = viewer.get(server.at("/admin")).send().unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND, "only admins have it");
    let dashboard = viewer.get(server.at("/")).send().unwrap().text().unwrap();
    assert!(
        !dashboard.contains("href=\"/admin\""),
        "no link for a viewer"
    );

    let driver = Driver::start();
    let secret = runtime().block_on(async {
        let c = driver.browser("admin-page").await;
        sign_in(&c, &server, "admin", false).await;
        click(&c, "nav a[href=\"/admin\"]").await;
        arrive(&c, "/admin").await;

        // An auditor for Oracle; first with passwords that differ.
        fill_id(&c, "name", "erika.prüfer").await;
        c.find(Locator::Css("#role option[value=auditor]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        fill_id(&c, "vendors", "Oracle").await;
        fill_id(&c, "password", PASSWORD).await;
        fill_id(&c, "repeat", "something else entirely").await;
        click(&c, "#add-account-button").await;
        assert!(text(&c, "#admin-problem").await.contains("differ"));
        assert_eq!(
            c.find(Locator::Id("name"))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some("erika.prüfer"),
            "the name is kept"
        );
        fill_id(&c, "password", PASSWORD).await;
        fill_id(&c, "repeat", PASSWORD).await;
        click(&c, "#add-account-button").await;
        assert_eq!(text(&c, "#admin-done").await, "Account erika.prüfer added.");

        // A token for the auditor, shown once.
        c.find(Locator::Css("#token_user option[value=\"erika.prüfer\"]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        fill_id(&c, "token_name", "audit 2026").await;
        click(&c, "#create-token-button").await;
        let secret = c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Id("token-secret"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap();
        shoot(&c, "admin").await;
        c.close().await.unwrap();
        secret
    });
    let bearer = |secret: &str| {
        reqwest::blocking::Client::new()
            .get(server.at("/api/v1/position"))
            .bearer_auth(secret)
            .send()
            .unwrap()
    };
    let seen: serde_json::Value = bearer(&secret).json().unwrap();
    let vendors: Vec<&str> = seen["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["vendor"].as_str().unwrap())
        .collect();
    assert!(
        !vendors.is_empty() && vendors.iter().all(|v| *v == "Oracle"),
        "{vendors:?}"
    );
    let auditor = session(&server, "erika.prüfer");
    assert_eq!(
        auditor
            .get(server.at("/api/v1/position"))
            .send()
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // Revoked and disabled by the page's buttons: refused at once.
    let http = session(&server, "admin");
    let html = http
        .get(server.at("/admin"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let revoke = html
        .split("action=\"/admin/tokens/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let r = http
        .post(server.at(&format!("/admin/tokens/{revoke}")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(bearer(&secret).status(), StatusCode::UNAUTHORIZED);
    let r = http
        .post(server.at("/admin/users/erika.pr%C3%BCfer"))
        .form(&[("csrf", csrf.as_str()), ("action", "disable")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().unwrap().contains("Account erika.prüfer changed."));
    assert_eq!(
        auditor
            .get(server.at("/api/v1/position"))
            .send()
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED,
        "a disabled account's session ends at once"
    );
    // A forged post (no token) changes nothing.
    let r = http
        .post(server.at("/admin/users/viewer"))
        .form(&[("action", "disable")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        viewer
            .get(server.at("/api/v1/position"))
            .send()
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // Everything above is in the access log on the page.
    let log = http
        .get(server.at("/admin"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let log = log.split("id=\"access-log\"").nth(1).unwrap();
    assert!(log.contains("erika.prüfer"), "{log}");
}

#[test]
fn a_german_windows_1252_usage_export_is_previewed_with_its_bad_line_then_recorded_by_one_click() {
    let store = demo_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let good =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/usage-de-1252.csv");
    let mut bytes = std::fs::read(&good).unwrap();
    // One more row, in Windows-1252 ("für" as 0xFC), with no count.
    bytes.extend_from_slice(b"Oracle;Datenbank f\xfcr Lager;user;viele;2024-06-30\r\n");
    let bad = store.path.with_extension("inventur.csv");
    std::fs::write(&bad, &bytes).unwrap();
    let before = head(&admin, &server);
    let driver = Driver::start();
    runtime().block_on(async {
        let c = driver.browser("imports").await;
        sign_in(&c, &server, "admin", false).await;
        c.goto(&server.at("/imports?lang=de")).await.unwrap();
        fill_id(&c, "u-source", "SCCM").await;
        c.find(Locator::Id("u-file"))
            .await
            .unwrap()
            .send_keys(bad.to_str().unwrap())
            .await
            .unwrap();
        click(&c, "#preview-usage").await;
        let bad_row = text(&c, "#bad-rows tr[data-line=\"5\"]").await;
        assert!(bad_row.contains("viele"), "{bad_row}");
        assert!(text(&c, "#preview-bad")
            .await
            .contains("Es kann nichts erfasst werden"));
        assert!(
            c.find(Locator::Id("commit-import")).await.is_err(),
            "no commit with bad rows"
        );
        assert_eq!(
            off(|| head(&admin, &server)),
            before,
            "a preview writes nothing"
        );
        shoot(&c, "import-preview-bad-de").await;

        // Corrected: every row good, then one click records them.
        c.find(Locator::Id("u-file"))
            .await
            .unwrap()
            .send_keys(good.to_str().unwrap())
            .await
            .unwrap();
        click(&c, "#preview-usage").await;
        assert!(text(&c, "#preview-ok")
            .await
            .contains("3 Zeilen würden erfasst"));
        assert_eq!(off(|| head(&admin, &server)), before);
        click(&c, "#commit-import").await;
        assert_eq!(
            text(&c, "#recorded").await,
            format!("Erfasst als Ereignis #{}.", before + 1)
        );
        c.close().await.unwrap();
    });
    assert_eq!(head(&admin, &server), before + 3);
    let history = api(&admin, &server, "/api/v1/position?as_of=2024-06-30");
    let text = history.to_string();
    assert!(text.contains("Lohn und Gehalt für Büro"), "{text}");
}

#[test]
fn the_usage_page_charts_the_apis_counts_against_the_entitled_quantity_as_known_then() {
    let store = demo_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let path = "/usage/Microsoft/Microsoft%20365%20E3/user";
    let now = api(&admin, &server, &format!("/api/v1{path}"));
    let then = api(
        &admin,
        &server,
        &format!("/api/v1{path}?known_at=2024-09-02"),
    );
    let seqs = |v: &serde_json::Value| -> Vec<u64> {
        v["points"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .map(|p| p["seq"].as_u64().unwrap())
            .collect()
    };
    assert!(
        seqs(&then).len() < seqs(&now).len(),
        "the recount came later"
    );
    let driver = Driver::start();
    runtime().block_on(async {
        let c = driver.browser("usage").await;
        sign_in(&c, &server, "admin", false).await;
        // The dashboard's used figure leads here.
        c.goto(&server.at("/?as_of=2024-06-30&known_at=2024-09-02"))
            .await
            .unwrap();
        click(&c, "#position tr[data-vendor=\"Microsoft\"] td.used a").await;
        arrive(&c, path).await;
        let mut shown = Vec::new();
        for tr in c.find_all(Locator::Css("#counts tbody tr")).await.unwrap() {
            shown.push(
                tr.attr("data-seq")
                    .await
                    .unwrap()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap(),
            );
        }
        assert_eq!(shown, seqs(&then), "as known on 2024-09-02");
        let dots = c
            .find_all(Locator::Css("svg.steps circle"))
            .await
            .unwrap()
            .len();
        assert_eq!(dots, shown.len());
        assert!(c
            .find(Locator::Css("svg.steps path.entitled"))
            .await
            .is_ok());
        shoot(&c, "usage-then").await;
        c.goto(&server.at(path)).await.unwrap();
        let rows = c
            .find_all(Locator::Css("#counts tbody tr"))
            .await
            .unwrap()
            .len();
        assert_eq!(rows, seqs(&now).len());
        shoot(&c, "usage").await;
        // Another vendor's product is the 404 page for an auditor.
        c.close().await.unwrap();
    });
    admin.add_user(&server, "auditor", "auditor", &["Oracle"]);
    let auditor = session(&server, "auditor");
    let theirs = auditor.get(server.at(path)).send().unwrap();
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let nothing = auditor
        .get(server.at("/usage/Nobody/Nothing/user"))
        .send()
        .unwrap();
    assert_eq!(theirs.text().unwrap(), nothing.text().unwrap());
}

/// The archive's search page: filters by vendor, kind and license, pages
/// of 20 hits with the way back and forth, and a page number that is not
/// one named as such.
#[test]
fn the_archive_search_filters_by_kind_and_license_and_pages_through_its_hits() {
    let store = crate::serve::two_vendor_store();
    let dir = tempfile::tempdir().unwrap();
    let files = |prefix: &str, n: usize| -> Vec<String> {
        (1..=n)
            .map(|i| {
                let path = dir.path().join(format!("{prefix}-{i:02}.txt"));
                std::fs::write(&path, format!("{prefix} {i}: annual maintenance fee")).unwrap();
                path.to_str().unwrap().to_owned()
            })
            .collect()
    };
    let mut attach = vec!["attach", "L-0001", "--kind", "invoice"];
    let acme = files("acme-invoice", 14);
    attach.extend(acme.iter().map(String::as_str));
    store.ok(&attach);
    let mut attach = vec!["attach", "L-0002", "--kind", "order"];
    let borg = files("borg-order", 11);
    attach.extend(borg.iter().map(String::as_str));
    store.ok(&attach);
    store.ok(&[
        "purchase",
        "--id",
        "L-0003",
        "--vendor",
        "Acme",
        "--product",
        "Hammer",
        "--metric",
        "user",
        "--qty",
        "5",
        "--start",
        "2024-01-01",
        "--end",
        "2030-12-31",
        "--owner",
        "Petra Klein",
    ]);
    let server = Served::start(&store);
    let admin = admin(&server);
    let page = |path: &str| {
        let r = admin.get(&server, path);
        (r.status(), r.text().unwrap())
    };
    let hits = |html: &str| html.matches("<li>\n      <p class=\"hit-title\">").count();

    let (status, first) = page("/documents?q=maintenance");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hits(&first), 20, "{first}");
    assert!(first.contains("Hits 1–20 of 25"), "{first}");
    assert!(first.contains("rel=\"next\""));
    assert!(!first.contains("rel=\"prev\""));
    let (_, second) = page("/documents?q=maintenance&page=2");
    assert_eq!(hits(&second), 5);
    assert!(second.contains("Hits 21–25 of 25"), "{second}");
    assert!(second.contains("rel=\"prev\"") && !second.contains("rel=\"next\""));
    // The two pages together hold every hit once.
    let names = |html: &str| -> Vec<String> {
        html.split("<p class=\"hit-title\"><a href=\"/documents/")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_owned())
            .collect()
    };
    let mut all = names(&first);
    all.extend(names(&second));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 25);

    // Filters: a kind, a license, a vendor; each narrows the hits and the
    // next page keeps it.
    let (_, orders) = page("/documents?q=maintenance&kind=order");
    assert!(orders.contains("11 documents found"), "{orders}");
    assert!(!orders.contains("acme-invoice"));
    assert!(!orders.contains("rel=\"next\""));
    let (_, acme_only) = page("/documents?q=maintenance&license=L-0001");
    assert!(acme_only.contains("14 documents found"), "{acme_only}");
    assert!(!acme_only.contains("borg-order"));
    let (_, by_vendor) = page("/documents?q=maintenance&vendor=borg");
    assert!(by_vendor.contains("11 documents found"), "{by_vendor}");
    assert!(
        by_vendor.contains("<option value=\"Borg\" selected>"),
        "{by_vendor}"
    );

    // A page number that is not one is named; past the end leads back.
    let (status, bad) = page("/documents?q=maintenance&page=zwei");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert!(bad.contains("page") && bad.contains("zwei"), "{bad}");
    let (status, past) = page("/documents?q=maintenance&page=9");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hits(&past), 0);
    assert!(past.contains("rel=\"prev\""), "{past}");
    assert!(
        past.contains("page=2#hits\" rel=\"prev\""),
        "past the end, back to the last page: {past}"
    );

    // The license list filters by owner, as typed in any case.
    let (_, owned) = page("/licenses?owner=petra%20klein");
    assert!(owned.contains("data-id=\"L-0003\""), "{owned}");
    assert!(!owned.contains("data-id=\"L-0001\""), "{owned}");
    assert!(
        owned.contains("<option value=\"Petra Klein\" selected>"),
        "{owned}"
    );
    let csv = admin
        .get(&server, "/licenses.csv?owner=Petra%20Klein")
        .text()
        .unwrap();
    assert_eq!(csv.lines().count(), 2, "a header and L-0003: {csv}");
}

/// A long license list comes 100 to a page (the CSV has them all), and a
/// position row of a product bought many times links five licenses and
/// "and N more" to the vendor's list.
#[test]
fn a_long_license_list_comes_in_pages_and_a_row_sums_up_its_many_licenses() {
    let store = crate::serve::two_vendor_store();
    let lines: String = (1..=130)
        .map(|i| {
            format!(
                "{{\"type\":\"purchased\",\"effective\":\"2024-01-01\",\"id\":\"M-{i:04}\",\"vendor\":\"Many\",\"product\":\"Seat\",\"metric\":\"user\",\"qty\":1,\"start\":\"2024-01-01\",\"end\":\"2030-12-31\"}}\n"
            )
        })
        .collect();
    let file = store.path.join("many.jsonl");
    std::fs::write(&file, lines).unwrap();
    store.ok(&["import", "events", file.to_str().unwrap()]);
    let server = Served::start(&store);
    let admin = admin(&server);
    let page = |path: &str| admin.get(&server, path).text().unwrap();
    let ids = |html: &str| html.matches("<tr data-id=").count();

    let first = page("/licenses");
    assert_eq!(ids(&first), 100);
    assert!(first.contains("Licenses 1–100 of 132"), "{first}");
    assert!(first.contains("rel=\"next\"") && !first.contains("rel=\"prev\""));
    let second = page("/licenses?page=2");
    assert_eq!(ids(&second), 32);
    assert!(second.contains("Licenses 101–132 of 132"));
    assert!(second.contains("data-id=\"M-0130\""));
    // Filters and the next page go together; a short list has no pages.
    let acme = page("/licenses?vendor=Acme");
    assert_eq!(ids(&acme), 1);
    assert!(!acme.contains("Licenses 1–") && !acme.contains("rel=\"next\""));
    let csv = admin.get(&server, "/licenses.csv").text().unwrap();
    assert_eq!(csv.lines().count(), 133, "the CSV has every license");

    let dashboard = page("/?as_of=2025-01-01");
    let row = &dashboard[dashboard.find("data-vendor=\"Many\"").expect("Many's row")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert_eq!(row.matches("href=\"/licenses/M-").count(), 5, "{row}");
    let more = &row[row.rfind("<a href=\"").unwrap()..];
    assert!(more.contains("vendor=Many"), "{more}");
    assert!(more.contains("class=\"more\">and 125 more</a>"), "{more}");
}

/// A store with many products keeps its dashboard, renewals and spend
/// pages short: the position comes 50 rows to a page with a status filter,
/// the dashboard lists ten deadlines with a link to all of them, and the
/// renewals and spend tables come 100 rows to a page.
#[test]
fn many_products_page_the_dashboard_renewals_and_spend_with_filters() {
    let store = crate::serve::two_vendor_store();
    let lines: String = (1..=130)
        .map(|i| {
            format!(
                "{{\"type\":\"purchased\",\"effective\":\"2024-01-01\",\"id\":\"P-{i:04}\",\"vendor\":\"Many\",\"product\":\"Tool {i:03}\",\"metric\":\"user\",\"qty\":1,\"start\":\"2024-01-01\",\"end\":\"2025-02-{d:02}\",\"cost\":\"100\",\"currency\":\"EUR\"}}\n",
                d = i % 28 + 1
            )
        })
        .collect();
    let file = store.path.join("many.jsonl");
    std::fs::write(&file, lines).unwrap();
    store.ok(&["import", "events", file.to_str().unwrap()]);
    let server = Served::start(&store);
    let admin = admin(&server);
    let page = |path: &str| {
        let r = admin.get(&server, path);
        assert_eq!(r.status(), 200, "{path}");
        r.text().unwrap()
    };
    let rows = |html: &str| html.matches("<tr data-vendor=").count();

    let first = page("/?as_of=2025-01-15");
    assert_eq!(rows(&first), 50);
    let total = 130 + 2; // and the two vendors' own products
    assert!(first.contains(&format!("Rows 1–50 of {total}")), "{first}");
    let next = first
        .split("rel=\"next\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|href| href.split('"').next())
        .unwrap()
        .replace("&#38;", "&");
    assert_eq!(next, "/?as_of=2025-01-15&page=2");
    let third = page("/?as_of=2025-01-15&page=3");
    assert_eq!(rows(&third), total - 100);
    assert!(third.contains("data-product=\"Tool 130\""));
    // The status filter counts and narrows; the time form keeps it.
    assert!(first.contains(">no usage data (130)</option>"), "{first}");
    let no_usage = page("/?as_of=2025-01-15&status=no-usage-data");
    assert!(rows(&no_usage) == 50 && no_usage.contains("name=\"status\" value=\"no-usage-data\""));
    let under = page("/?as_of=2025-01-15&status=under");
    assert!(!under.contains("data-product=\"Tool "), "no Tool is under");
    // Ten deadlines, then a link to every one on the renewals page.
    let deadlines = &first[first.find("id=\"deadlines\"").unwrap()..];
    let deadlines = &deadlines[..deadlines.find("</table>").unwrap()];
    assert_eq!(deadlines.matches("href=\"/licenses/").count(), 10);
    assert!(
        first.contains("id=\"all-deadlines\">All 130 deadlines on the renewals page</a>"),
        "{first}"
    );

    let renewals = page("/renewals?as_of=2025-01-15");
    assert_eq!(renewals.matches("<tr data-id=").count(), 100);
    assert!(renewals.contains("Rows 1–100 of 130"), "{renewals}");
    let renewals2 = page("/renewals?as_of=2025-01-15&page=2");
    assert_eq!(renewals2.matches("<tr data-id=").count(), 30);
    assert!(renewals2.contains("rel=\"prev\"") && !renewals2.contains("rel=\"next\""));

    let spend = page("/spend");
    assert_eq!(spend.matches("<tr><td>2024</td>").count(), 100);
    assert!(spend.contains("Rows 1–100 of "));
    let csv = admin.get(&server, "/spend.csv").text().unwrap();
    assert!(csv.lines().count() > 131, "the CSV has every row");
    let bad = admin.get(&server, "/spend?page=0");
    assert_eq!(bad.status(), 400);
    // (The language switch is kept in a cookie: German last.)
    let german = page("/?as_of=2025-01-15&lang=de");
    assert!(german.contains("Zeilen 1–50 von 132"), "{german}");
    assert!(german.contains("Alle 130 Fristen unter Verlängerungen"));
}

/// A document for a vendor rather than one license (a framework
/// agreement) is uploaded on the documents page's own form; a form
/// without a vendor writes nothing, and only editors see the form.
#[test]
fn a_vendors_document_is_attached_from_the_documents_page() {
    let store = crate::serve::two_vendor_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    admin.add_user(&server, "viewer", "viewer", &[]);
    let http = session(&server, "admin");
    let list = http
        .get(server.at("/documents"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(list.contains("href=\"/documents/new\""), "{list}");
    let before = head(&admin, &server);
    let agreement = b"Rahmenvertrag Acme: alle Anvil-Lizenzen zu Sonderkonditionen".to_vec();

    let missing = post_form(
        &http,
        &server,
        "/documents/new",
        "/documents/new",
        &[("kind", "contract")],
        Some(("file", "rahmenvertrag.txt", agreement.clone())),
    );
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = missing.text().unwrap();
    assert!(
        html.contains("Enter the vendor the documents belong to."),
        "{html}"
    );
    assert_eq!(head(&admin, &server), before, "nothing was recorded");

    let done = post_form(
        &http,
        &server,
        "/documents/new",
        "/documents/new",
        &[
            ("vendor", "Acme"),
            ("kind", "contract"),
            ("note", "signed 2024"),
        ],
        Some(("file", "rahmenvertrag.txt", agreement.clone())),
    );
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let hash = blake3::hash(&agreement).to_hex().to_string();
    assert_eq!(
        done.headers()["location"],
        format!("/documents/{hash}?recorded={}", before + 1).as_str()
    );
    let doc: serde_json::Value = admin
        .get(&server, &format!("/api/v1/documents/{hash}"))
        .json()
        .unwrap();
    let text = doc.to_string();
    assert!(text.contains("\"Acme\""), "bound to the vendor: {text}");
    assert!(!text.contains("L-0001"), "not to a license: {text}");
    let filtered = http
        .get(server.at("/documents?vendor=Acme"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(filtered.contains(&hash[..12]), "{filtered}");

    let viewer = session(&server, "viewer");
    let r = viewer.get(server.at("/documents/new")).send().unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let list = viewer
        .get(server.at("/documents"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!list.contains("/documents/new"));
}

/// The purchase form records a count rule (usage counted from the
/// inventory of installations), and one that cannot count the metric is
/// refused by its field, nothing written.
#[test]
fn the_purchase_form_records_a_count_rule_and_refuses_one_that_does_not_fit() {
    let store = crate::serve::two_vendor_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let http = session(&server, "admin");
    let post = |fields: &[(&str, &str)]| {
        let form = http
            .get(server.at("/licenses/new"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(form.contains("<option value=\"microsoft-core\">Windows Server per core"));
        let mut body = hidden(&form);
        for (k, v) in fields {
            body.push(((*k).to_owned(), (*v).to_owned()));
        }
        http.post(server.at("/licenses/new"))
            .form(&body)
            .send()
            .unwrap()
    };
    let purchase = |rule: &'static str, metric: &'static str, id: &'static str| {
        [
            ("vendor", "Microsoft"),
            ("product", "Windows Server Datacenter"),
            ("metric", metric),
            ("qty", "16"),
            ("start", "2024-01-01"),
            ("count_rule", rule),
            ("id", id),
        ]
    };
    let before = head(&admin, &server);
    let refused = post(&purchase("microsoft-core", "user", "WS-1"));
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().unwrap();
    assert!(html.contains("id=\"e-count_rule\""), "{html}");
    assert!(
        html.contains("<option value=\"microsoft-core\" selected>"),
        "kept: {html}"
    );
    assert_eq!(head(&admin, &server), before, "nothing was recorded");

    let done = post(&purchase("microsoft-core", "core", "WS-2"));
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let log = admin.get(&server, "/api/v1/export").text().unwrap();
    let line = log.lines().last().unwrap();
    // (The export's record is the log line as a JSON string.)
    assert!(line.contains(r#"\"id\":\"WS-2\""#), "{line}");
    assert!(
        line.contains(r#"\"count_rule\":\"microsoft-core\""#),
        "{line}"
    );
}

/// A German form says the ledger's refusals in German, with German
/// dates, by the field they concern, and records nothing.
#[test]
fn a_german_form_words_the_ledgers_refusals_in_german() {
    let store = crate::serve::two_vendor_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let http = session(&server, "admin");
    let before = head(&admin, &server);
    let refused = |path: &str, fields: &[(&str, &str)]| {
        let form = http
            .get(server.at(&format!("{path}?lang=de")))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let mut body = hidden(&form);
        for (k, v) in fields {
            body.push(((*k).to_owned(), (*v).to_owned()));
        }
        let r = http.post(server.at(path)).form(&body).send().unwrap();
        assert_ne!(r.status(), StatusCode::SEE_OTHER, "{path} was recorded");
        r.text().unwrap()
    };
    let extend = refused("/licenses/L-0001/extend", &[("until", "2024-06-01")]);
    assert!(
        extend.contains("01.06.2024 liegt nicht nach dem bisherigen Ende 31.12.2030 von L-0001; eine Verlängerung schiebt das Ende nach hinten."),
        "{extend}"
    );
    let purchase = refused(
        "/licenses/new",
        &[
            ("vendor", "Acme"),
            ("product", "Anvil"),
            ("metric", "user"),
            ("qty", "5"),
            ("start", "2024-01-01"),
            ("id", "L-0002"),
        ],
    );
    assert!(
        purchase.contains("Die ID „L-0002“ ist schon durch #"),
        "{purchase}"
    );
    assert!(!purchase.contains("is already used"), "{purchase}");
    assert_eq!(head(&admin, &server), before, "nothing was recorded");
}

/// Several files dropped on the attach form (a drop as the browser makes
/// it, with a DataTransfer of files) are uploaded with a progress bar by
/// the page's script and bound in one write; the plain file input takes
/// several files too, without the script.
#[test]
fn files_dropped_on_the_attach_form_upload_with_progress_and_bind_in_one_write() {
    let store = demo_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let driver = Driver::start();
    let before = head(&admin, &server);
    runtime().block_on(async {
        let c = driver.browser("drop").await;
        sign_in(&c, &server, "admin", false).await;
        c.goto(&server.at("/licenses/L-0002/attach")).await.unwrap();
        // The script shows the drop zone (hidden without it).
        let zone = text(&c, ".drop-zone").await;
        assert_eq!(zone, "Or drop files here");
        c.execute(
            r#"
            const zone = document.querySelector(".drop-zone");
            const files = new DataTransfer();
            files.items.add(new File(["Wartungsvertrag für die Fräse, Laufzeit 36 Monate"],
                "wartung-fraese.txt", {type: "text/plain"}));
            files.items.add(new File(["Maintenance schedule, quarterly visits"],
                "maintenance-schedule.txt", {type: "text/plain"}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: files, bubbles: true}));
            "#,
            vec![],
        )
        .await
        .unwrap();
        let listed = text(&c, "ul.drop-files").await;
        assert!(
            listed.contains("wartung-fraese.txt") && listed.contains("maintenance-schedule.txt"),
            "{listed}"
        );
        shoot(&c, "attach-dropped").await;
        submit(&c).await;
        arrive(&c, "/licenses/L-0002").await;
        assert_eq!(
            text(&c, "#recorded").await,
            format!("Recorded as events #{}–#{}.", before + 1, before + 2)
        );
        c.close().await.unwrap();
    });
    assert_eq!(head(&admin, &server), before + 2);
    let hits: serde_json::Value = admin
        .get(&server, "/api/v1/search?q=Fr%C3%A4se%20OR%20quarterly")
        .json()
        .unwrap();
    assert_eq!(hits["total"], 2, "{hits}");

    // Without the script: the plain input posts several files at once.
    let http = session(&server, "admin");
    let page = "/licenses/L-0002/attach";
    let html = http.get(server.at(page)).send().unwrap().text().unwrap();
    assert!(html.contains("type=\"file\" id=\"f-file\" name=\"file\" multiple"));
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let part = |name: &str, text: &str| {
        reqwest::blocking::multipart::Part::bytes(text.as_bytes().to_vec())
            .file_name(name.to_owned())
    };
    let form = reqwest::blocking::multipart::Form::new()
        .text("csrf", csrf)
        .text("kind", "invoice")
        .part("file", part("invoice-1.txt", "Rechnung 1"))
        .part("file", part("invoice-2.txt", "Rechnung 2"))
        .part("file", part("empty.txt", ""));
    let r = http.post(server.at(page)).multipart(form).send().unwrap();
    // One of them is empty: nothing of the three is kept.
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().unwrap().contains("empty"));
    assert_eq!(head(&admin, &server), before + 2);
}

/// The admin page sets, changes and removes an account's e-mail address
/// (where its reminders go) and gives one to a new account; an address
/// that is not one is refused in the page's language and changes nothing.
#[test]
fn the_admin_page_sets_and_removes_an_accounts_email_and_refuses_a_bad_one() {
    let store = crate::serve::two_vendor_store();
    let server = Served::start(&store);
    admin(&server).add_user(&server, "vic", "viewer", &[]);
    let http = session(&server, "admin");
    let csrf = || {
        hidden_csrf(
            &http
                .get(server.at("/admin?lang=de"))
                .send()
                .unwrap()
                .text()
                .unwrap(),
        )
    };
    let email_of = |name: &str| -> serde_json::Value {
        let users: serde_json::Value = http
            .get(server.at("/api/v1/users"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {users}"))
            .get("email")
            .cloned()
            .unwrap_or(serde_json::Value::Null)
    };
    let save = |email: &str| {
        http.post(server.at("/admin/users/vic?lang=de"))
            .form(&[
                ("csrf", csrf().as_str()),
                ("action", "save"),
                ("role", "viewer"),
                ("vendors", ""),
                ("email", email),
            ])
            .send()
            .unwrap()
    };

    let r = save("vera@example.com");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().unwrap().contains("value=\"vera@example.com\""));
    assert_eq!(email_of("vic"), "vera@example.com");

    let r = save("vera at example");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().unwrap();
    assert!(
        page.contains("„vera at example“ ist keine E-Mail-Adresse"),
        "{page}"
    );
    assert_eq!(email_of("vic"), "vera@example.com", "nothing changed");

    assert_eq!(save("").status(), StatusCode::OK);
    assert!(email_of("vic").is_null(), "an empty field removes it");

    // A new account with its address; a bad one keeps what was typed.
    let add = |email: &str| {
        http.post(server.at("/admin/users?lang=de"))
            .form(&[
                ("csrf", csrf().as_str()),
                ("name", "olga"),
                ("role", "editor"),
                ("vendors", ""),
                ("email", email),
                ("password", PASSWORD),
                ("repeat", PASSWORD),
            ])
            .send()
            .unwrap()
    };
    let r = add("olga@");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().unwrap();
    assert!(page.contains("href=\"#email\""), "{page}");
    assert!(page.contains("value=\"olga\""), "the name is kept");
    assert!(page.contains("value=\"olga@\""), "the address is kept");
    let r = add("olga@example.com");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(email_of("olga"), "olga@example.com");
    let log: serde_json::Value = http
        .get(server.at("/api/v1/access-log"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        log.to_string().matches("user-email").count() >= 3,
        "each change is in the access log: {log}"
    );
}

fn hidden_csrf(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a csrf field")
        .to_owned()
}

/// The admin page's backup form copies the store as `entitle backup`
/// does (the copy verifies), says so in the page's language, says a
/// second run found nothing new, and names a destination it cannot write.
#[test]
fn the_admin_page_backs_the_store_up_and_names_a_destination_it_cannot_write() {
    let store = crate::serve::two_vendor_store();
    let server = Served::start(&store);
    let _admin = admin(&server);
    let http = session(&server, "admin");
    let copy = store.path.with_extension("copy");
    let back_up = |dest: &str, lang: &str| {
        let csrf = hidden_csrf(
            &http
                .get(server.at("/admin"))
                .send()
                .unwrap()
                .text()
                .unwrap(),
        );
        let r = http
            .post(server.at(&format!("/admin/backup?lang={lang}")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("backup_dest", dest),
                ("backup_retain", ""),
                ("backup_lock_mode", "compliance"),
            ])
            .send()
            .unwrap();
        (r.status(), r.text().unwrap())
    };
    let (status, page) = back_up(copy.to_str().unwrap(), "de");
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Gesichert nach"), "{page}");
    let verified = store.ok(&["backup", "verify", copy.to_str().unwrap()]);
    assert!(verified.contains("intact"), "{verified}");
    let (status, page) = back_up(copy.to_str().unwrap(), "en");
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("was up to date"), "{page}");

    // A file where a directory should be: named, by the field, kept as typed.
    let file = store.path.with_extension("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let (status, page) = back_up(file.to_str().unwrap(), "en");
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("The backup failed"), "{page}");
    assert!(page.contains("href=\"#backup_dest\""), "{page}");
    assert!(
        page.contains(&format!("value=\"{}\"", file.display())),
        "{page}"
    );
    let (status, _) = back_up("", "en");
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
