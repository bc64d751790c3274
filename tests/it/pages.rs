//! The web pages in a real Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `.ci/run`), driven over WebDriver by
//! fantoccini against `entitle serve` on an ephemeral port with the demo
//! store: signing in, the dashboard's numbers against the API's JSON for
//! the same as-of and known-at, the audit-letter case with its banner,
//! German formatting, and an auditor who sees one vendor only. Every page
//! is written as a screenshot at 1280 and 375 px wide under
//! `target/screenshots/` for a reviewer to look at.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::serve::{admin, Browser, Served, PASSWORD};
use crate::util::TestStore;

/// A chromedriver on a free port, stopped when dropped.
pub(crate) struct Driver {
    child: Child,
    url: String,
    profiles: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub(crate) fn start() -> Driver {
        // chromedriver picks its own free port and says which: a port
        // chosen here and freed again could be taken by another test's
        // process before chromedriver binds it.
        let mut child = Command::new("chromedriver")
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "chromedriver runs: install Debian's chromium and chromium-driver \
                 (apt-get install -y chromium chromium-driver; .ci/run does)",
            );
        let mut lines = BufReader::new(child.stdout.take().expect("its output")).lines();
        let port = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                line.split("started successfully on port ")
                    .nth(1)
                    .and_then(|rest| rest.trim_end_matches('.').parse::<u16>().ok())
            })
            .expect("chromedriver says the port it listens on");
        // The rest of its output, read so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profiles: tempfile::tempdir().expect("a temp dir"),
        }
    }

    /// A new headless Chromium with a fresh profile.
    pub(crate) async fn browser(&self, name: &str) -> Client {
        let profile = self.profiles.path().join(name);
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"args": [
                "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--lang=en-US", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]}),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

/// Where screenshots go: `<target dir>/screenshots/`.
pub(crate) fn screenshots_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // <target>/debug/deps/it-<hash>
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the target directory")
        .to_path_buf();
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshots directory");
    dir
}

/// Writes the current page, whole, at 1280 and 375 px wide.
pub(crate) async fn shoot(c: &Client, name: &str) {
    let dir = screenshots_dir();
    for width in [1280_u32, 375] {
        c.set_window_size(width, 900).await.unwrap();
        // The window's own frame on top of the page's height.
        let sizes = c
            .execute(
                "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]",
                vec![],
            )
            .await
            .unwrap();
        let height = sizes[0].as_u64().unwrap_or(900) + sizes[1].as_u64().unwrap_or(0);
        let height = u32::try_from(height.clamp(400, 8000)).unwrap_or(900);
        c.set_window_size(width, height).await.unwrap();
        let png = c.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}-{width}.png")), png).unwrap();
    }
    c.set_window_size(1280, 900).await.unwrap();
}

/// An element's text, a no-break space read as a space; waits up to 10 s
/// for the element (a form's answer may still be on its way).
pub(crate) async fn text(c: &Client, css: &str) -> String {
    let began = Instant::now();
    loop {
        let element = c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        match element.text().await {
            Ok(text) => return text.replace('\u{a0}', " "),
            // The page was replaced between finding and reading: again.
            Err(e) if began.elapsed() < Duration::from_secs(10) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{css}: {e}"),
        }
    }
}

pub(crate) async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Waits until a form's submission has led to `path`.
pub(crate) async fn arrive(c: &Client, path: &str) {
    let began = Instant::now();
    while c.current_url().await.unwrap().path() != path {
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "never arrived at {path}: at {}",
            c.current_url().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn sign_in(c: &Client, server: &Served, name: &str, shot: bool) {
    c.goto(&server.at("/")).await.unwrap();
    let url = c.current_url().await.unwrap();
    assert_eq!(url.path(), "/sign-in", "not signed in: the sign-in page");
    assert_eq!(url.query(), Some("next=%2F"));
    if shot {
        shoot(c, "sign-in").await;
    }
    for (field, value) in [("name", name), ("password", PASSWORD)] {
        let input = c.find(Locator::Id(field)).await.unwrap();
        input.send_keys(value).await.unwrap();
    }
    click(c, "form.stack button").await;
    // Signed in: back where the visit began.
    arrive(c, "/").await;
}

/// The position table as the page shows it: (vendor, product, metric) →
/// (entitled, used, balance).
pub(crate) async fn position_rows(c: &Client) -> Vec<(String, [String; 3])> {
    let mut rows = Vec::new();
    for tr in c
        .find_all(Locator::Css("#position tbody tr[data-vendor]"))
        .await
        .unwrap()
    {
        let key = format!(
            "{}|{}|{}",
            tr.attr("data-vendor").await.unwrap().unwrap(),
            tr.attr("data-product").await.unwrap().unwrap(),
            tr.attr("data-metric").await.unwrap().unwrap()
        );
        let mut cells = Vec::new();
        for class in ["entitled", "used", "balance"] {
            cells.push(
                tr.find(Locator::Css(&format!("td.{class}")))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap(),
            );
        }
        rows.push((key, [cells[0].clone(), cells[1].clone(), cells[2].clone()]));
    }
    rows
}

/// The same rows from the API's JSON, written as the English page writes
/// them (the demo's numbers are below 1,000: no grouping).
fn api_rows(position: &Value) -> Vec<(String, [String; 3])> {
    position["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let key = format!(
                "{}|{}|{}",
                p["vendor"].as_str().unwrap(),
                p["product"].as_str().unwrap(),
                p["metric"].as_str().unwrap()
            );
            let entitled = match &p["entitled"] {
                Value::Number(n) => n.to_string(),
                other => other.as_str().unwrap_or_default().to_owned(),
            };
            let stale = if p["stale"] == true { "*" } else { "" };
            let used = p["used"]
                .as_u64()
                .map_or_else(|| "–".to_owned(), |u| format!("{u}{stale}"));
            let balance = p["balance"].as_i64().map_or_else(
                || "–".to_owned(),
                |b| match b {
                    b if b > 0 => format!("+{b}"),
                    b if b < 0 => format!("−{}", -b),
                    _ => "0".to_owned(),
                },
            );
            (key, [entitled, used, balance])
        })
        .collect()
}

pub(crate) fn api(admin: &Browser, server: &Served, path: &str) -> Value {
    let r = admin.get(server, path);
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().unwrap()
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub(crate) fn demo_store() -> TestStore {
    let s = TestStore::new();
    s.ok(&["demo"]);
    s
}

#[test]
fn the_dashboard_shows_the_apis_position_and_travels_in_time_in_english_and_german() {
    let store = demo_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let then_q = "?as_of=2024-06-30&known_at=2024-09-02";
    let then = api(&admin, &server, &format!("/api/v1/position{then_q}"));
    let now = api(&admin, &server, "/api/v1/position?as_of=2024-06-30");
    let today = api(&admin, &server, "/api/v1/position");
    let state = api(&admin, &server, "/api/v1/state");
    let history = api(&admin, &server, "/api/v1/licenses/L-0001/history");
    let hidden = now["known_at_seq"].as_u64().unwrap() - then["known_at_seq"].as_u64().unwrap();
    // The CLI's audit-letter case (`entitle position --as-of 2024-06-30
    // --known-at 2024-09-02`): 195 users counted then, 214 now.
    let microsoft = |p: &Value| {
        p["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["vendor"] == "Microsoft")
            .unwrap()["used"]
            .as_u64()
            .unwrap()
    };
    assert_eq!((microsoft(&then), microsoft(&now)), (195, 214));
    // A CSV for Excel beside every table, as `--format csv` writes it.
    let csv = admin.get(&server, &format!("/position.csv{then_q}"));
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().unwrap();
    assert!(
        csv.starts_with("\u{feff}vendor,product,metric,entitled,used"),
        "{csv}"
    );
    assert!(
        csv.contains("Microsoft,Microsoft 365 E3,user,200,195,5,over"),
        "{csv}"
    );
    let licenses_csv = admin
        .get(&server, "/licenses.csv?vendor=Oracle")
        .text()
        .unwrap();
    assert_eq!(licenses_csv.lines().count(), 3, "{licenses_csv}");

    // The page keeps the strict CSP; its one stylesheet is cached for a
    // year under its content hash.
    let page = admin.get(&server, "/");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
        "{csp}"
    );
    let html = page.text().unwrap();
    assert!(
        !html.contains("<script") && !html.contains(" style="),
        "nothing inline"
    );
    let css = html
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a stylesheet link");
    let sheet = admin.get(&server, css);
    assert_eq!(
        sheet.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(sheet.headers()["content-type"], "text/css; charset=utf-8");

    let driver = Driver::start();
    runtime().block_on(async {
        let c = driver.browser("admin").await;
        sign_in(&c, &server, "admin", true).await;

        // Today, as known now: no banner, the API's numbers.
        assert!(c.find(Locator::Id("time-banner")).await.is_err());
        assert_eq!(position_rows(&c).await, api_rows(&today));
        // The chain's line: the head before the server's first check has
        // finished, what the check found after it.
        let chain = text(&c, "#chain").await;
        assert!(
            chain.contains("52 events in the chain, head")
                || chain.starts_with("Verified: 52 events, head"),
            "{chain}"
        );
        shoot(&c, "dashboard").await;
        // The known-at picker offers the latest event first, with its
        // type and license for an account that sees everything.
        let latest = c
            .find(Locator::Css("#known-events option"))
            .await
            .unwrap();
        assert_eq!(latest.attr("value").await.unwrap().as_deref(), Some("#52"));
        let label = latest.attr("label").await.unwrap().unwrap();
        assert!(label.contains(" UTC · "), "{label}");

        // The audit letter's view: the numbers as known then, and a banner
        // that says so in words, with one link back to now.
        c.goto(&server.at(&format!("/{then_q}"))).await.unwrap();
        assert_eq!(position_rows(&c).await, api_rows(&then));
        let banner = text(&c, "#time-banner").await;
        assert!(
            banner.starts_with(&format!(
                "Showing 2024-06-30, as recorded on 2024-09-02 — {hidden} later events not shown."
            )),
            "{banner}"
        );
        assert_eq!(text(&c, "h1").await, "Position on 2024-06-30");
        let money = text(&c, "#money").await;
        assert!(money.contains("€95,000.00") && money.contains("€1,860.00"), "{money}");
        shoot(&c, "dashboard-audit-letter").await;

        // The same date as known now: the recount shows, the banner changes.
        c.goto(&server.at("/?as_of=2024-06-30")).await.unwrap();
        assert_eq!(position_rows(&c).await, api_rows(&now));
        assert_eq!(
            text(&c, "#time-banner").await,
            "Showing 2024-06-30, with everything recorded up to now. Back to today, as known now"
        );
        c.find(Locator::LinkText("Back to today, as known now"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert!(c.find(Locator::Id("time-banner")).await.is_err());
        assert_eq!(position_rows(&c).await, api_rows(&today));

        // The header's form changes the view: known at event #20.
        let known = c.find(Locator::Id("known_at")).await.unwrap();
        known.send_keys("#20").await.unwrap();
        click(&c, "form.times button").await;
        let began = Instant::now();
        while c.current_url().await.unwrap().query() != Some("as_of=&known_at=%2320") {
            assert!(began.elapsed() < Duration::from_secs(10), "the form did not lead to #20");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(text(&c, "#time-banner")
            .await
            .starts_with("Showing today, as recorded up to event #20 — "));

        // German: words, dates and money as German writes them.
        c.goto(&server.at(&format!("/{then_q}"))).await.unwrap();
        click(&c, "a.lang").await;
        assert_eq!(
            c.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap(),
            Some("de".into())
        );
        assert_eq!(text(&c, "h1").await, "Lizenzbilanz zum 30.06.2024");
        let banner = text(&c, "#time-banner").await;
        assert!(
            banner.starts_with(&format!(
                "Ansicht zum 30.06.2024, Stand der Aufzeichnungen am 02.09.2024 — {hidden} spätere Ereignisse sind nicht berücksichtigt."
            )),
            "{banner}"
        );
        let money = text(&c, "#money").await;
        assert!(money.contains("95.000,00 €") && money.contains("1.860,00 €"), "{money}");
        let position = text(&c, "#position").await;
        assert!(
            position.contains("Überlizenzierung") && position.contains("Unterlizenzierung"),
            "{position}"
        );
        shoot(&c, "dashboard-de").await;
        // The choice is remembered.
        c.goto(&server.at("/licenses")).await.unwrap();
        assert_eq!(text(&c, "nav a[aria-current]").await, "Lizenzen");
        shoot(&c, "licenses-de").await;
        click(&c, "a.lang").await;

        // The license list: the API's licenses, a filter, a sort.
        c.goto(&server.at("/licenses")).await.unwrap();
        let rows = c.find_all(Locator::Css("#licenses tbody tr[data-id]")).await.unwrap();
        assert_eq!(rows.len(), state["licenses"].as_array().unwrap().len());
        shoot(&c, "licenses").await;

        // The inventory: the demo's four hosts in July 2026.
        c.goto(&server.at("/inventory?as_of=2026-07-31")).await.unwrap();
        assert_eq!(text(&c, "h1").await, "Inventory on 2026-07-31");
        let hosts = c.find_all(Locator::Css("#hosts tbody tr[data-host]")).await.unwrap();
        assert_eq!(hosts.len(), 4);
        shoot(&c, "inventory").await;
        c.goto(&server.at("/licenses?vendor=microsoft&sort=end")).await.unwrap();
        let rows = c.find_all(Locator::Css("#licenses tbody tr[data-id]")).await.unwrap();
        // The server licenses are perpetual (no end: first), then
        // Microsoft 365.
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].attr("data-id").await.unwrap(), Some("L-0001".into()));

        // A license on the audit letter's day: terms then, history with the
        // void, and the chart with a mark per event.
        c.goto(&server.at(&format!("/licenses/L-0001{then_q}"))).await.unwrap();
        let events = history["events"].as_array().unwrap();
        let marks = c.find_all(Locator::Css("svg.chart g.mark")).await.unwrap();
        assert_eq!(marks.len(), events.len());
        let voided = c.find_all(Locator::Css("svg.chart g.mark.voided")).await.unwrap();
        assert_eq!(voided.len(), 1);
        let row20 = c.find(Locator::Css("#history tr[data-seq='20']")).await.unwrap();
        // As recorded on 2 September the void #21 was still to come: the
        // event counted then, and its row says the void came later.
        let row20_text = row20.text().await.unwrap();
        assert!(row20_text.contains("voided later, by #21"), "{row20_text}");
        let class = row20.attr("class").await.unwrap().unwrap_or_default();
        assert!(!class.contains("voided"), "{class}");
        // As known now, it is voided.
        c.goto(&server.at("/licenses/L-0001?as_of=2024-06-30")).await.unwrap();
        let row20 = c.find(Locator::Css("#history tr[data-seq='20']")).await.unwrap();
        assert!(row20.text().await.unwrap().contains("(voided by #21)"));
        let class = row20.attr("class").await.unwrap().unwrap_or_default();
        assert!(class.contains("voided"), "{class}");
        c.goto(&server.at(&format!("/licenses/L-0001{then_q}"))).await.unwrap();
        let terms = text(&c, "dl.terms").await;
        assert!(terms.contains("Quantity") && terms.contains("200"), "{terms}");
        shoot(&c, "license").await;

        // Nothing here: the 404 page.
        c.goto(&server.at("/licenses/L-9999")).await.unwrap();
        assert_eq!(text(&c, "h1").await, "Page not found");
        shoot(&c, "not-found").await;
        // A bad date: the error page names the field.
        c.goto(&server.at("/?as_of=2024-02-30")).await.unwrap();
        assert!(text(&c, "#error").await.starts_with("as_of:"));
        shoot(&c, "error").await;

        // Sign out: back to the sign-in page, and the pages are closed.
        c.goto(&server.at("/")).await.unwrap();
        click(&c, "form.inline button").await;
        arrive(&c, "/sign-in").await;
        c.goto(&server.at("/licenses")).await.unwrap();
        assert_eq!(c.current_url().await.unwrap().path(), "/sign-in");
        c.close().await.unwrap();
    });
}

#[test]
fn an_auditor_sees_one_vendor_and_the_404_page_for_another_vendors_license() {
    let store = demo_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    admin.add_user(&server, "auditor", "auditor", &["Oracle"]);
    let head = api(&admin, &server, "/api/v1/position")["known_at_seq"]
        .as_u64()
        .unwrap();
    let driver = Driver::start();
    runtime().block_on(async {
        let c = driver.browser("auditor").await;
        sign_in(&c, &server, "auditor", false).await;
        let rows = position_rows(&c).await;
        assert!(!rows.is_empty());
        assert!(
            rows.iter().all(|(k, _)| k.starts_with("Oracle|")),
            "{rows:?}"
        );
        let money = c
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!money.contains("Microsoft"), "{money}");
        c.goto(&server.at("/licenses")).await.unwrap();
        let ids: Vec<String> = {
            let mut ids = Vec::new();
            for r in c
                .find_all(Locator::Css("#licenses tbody tr[data-id]"))
                .await
                .unwrap()
            {
                ids.push(r.attr("data-id").await.unwrap().unwrap());
            }
            ids
        };
        assert_eq!(ids, ["L-0004", "L-0009"]);
        shoot(&c, "licenses-auditor").await;
        // The known-at picker offers the latest events by number and
        // time: no type or license of what the auditor may not see.
        let mut offered = Vec::new();
        for o in c
            .find_all(Locator::Css("#known-events option"))
            .await
            .unwrap()
        {
            offered.push((
                o.attr("value").await.unwrap().unwrap(),
                o.attr("label").await.unwrap().unwrap(),
            ));
        }
        assert_eq!(offered.len(), 30, "{offered:?}");
        assert_eq!(offered[0].0, format!("#{head}"));
        assert!(
            offered.iter().all(|(_, label)| label.ends_with(" UTC")),
            "{offered:?}"
        );
        // Another vendor's license answers exactly as one that does not
        // exist.
        c.goto(&server.at("/licenses/L-0001")).await.unwrap();
        let theirs = c.source().await.unwrap();
        c.goto(&server.at("/licenses/L-9999")).await.unwrap();
        let nothing = c.source().await.unwrap();
        assert!(theirs.contains("Page not found"), "{theirs}");
        assert_eq!(theirs, nothing);
        c.goto(&server.at("/licenses/L-0004")).await.unwrap();
        assert!(text(&c, "h1").await.starts_with("L-0004"));
        // The reminders (every vendor's, with recipients) are not an
        // auditor's: no link, and the page answers as one that is not.
        let nav = text(&c, "nav").await;
        assert!(
            !nav.contains("Reminders") && !nav.contains("Erinnerungen"),
            "{nav}"
        );
        c.goto(&server.at("/reminders")).await.unwrap();
        assert!(c.source().await.unwrap().contains("Page not found"));
        c.close().await.unwrap();
    });
}

#[test]
fn the_printed_setup_link_creates_the_first_admin_in_the_browser_once() {
    let store = demo_store();
    let server = Served::start(&store);
    let token = server
        .setup
        .clone()
        .expect("a setup link on a store without accounts");
    let link = server.at(&format!("/setup?token={token}"));
    let driver = Driver::start();
    runtime().block_on(async {
        let c = driver.browser("setup").await;
        c.goto(&link).await.unwrap();
        assert_eq!(text(&c, "h1").await, "Create the first admin");
        shoot(&c, "setup").await;

        // Two different passwords: the message beside the repeat, the name kept.
        let fill = |name: &'static str, password: &'static str, repeat: &'static str| {
            let c = c.clone();
            async move {
                for (field, value) in [("name", name), ("password", password), ("repeat", repeat)] {
                    let input = c.find(Locator::Id(field)).await.unwrap();
                    input.clear().await.unwrap();
                    input.send_keys(value).await.unwrap();
                }
                click(&c, "form.stack button").await;
            }
        };
        fill("ada", PASSWORD, "correct horse battery staple").await;
        assert_eq!(
            text(&c, "#repeat-error").await,
            "The two passwords differ. Enter the same password twice."
        );
        let kept = c
            .find(Locator::Id("name"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(kept.as_deref(), Some("ada"));
        shoot(&c, "setup-error").await;
        // Too short for the rule (the browser's minlength is removed to
        // reach the server's own check).
        c.execute(
            "document.getElementById('password').removeAttribute('minlength')",
            vec![],
        )
        .await
        .unwrap();
        fill("ada", "short", "short").await;
        assert_eq!(
            text(&c, "#password-error").await,
            "The password has 5 characters. Choose one of at least 12."
        );
        assert!(store.path.join("auth").read_dir().is_ok_and(|d| d
            .filter_map(Result::ok)
            .all(|e| e.file_name() != "accounts.json")));

        // Right: the admin exists and is signed in on the position.
        fill("ada", PASSWORD, PASSWORD).await;
        arrive(&c, "/").await;
        assert!(text(&c, ".account").await.contains("ada"));
        let accounts = std::fs::read_to_string(store.path.join("auth/accounts.json")).unwrap();
        assert!(
            accounts.contains("\"ada\"") && accounts.contains("admin"),
            "{accounts}"
        );

        // The link works once: opened again, it says accounts exist.
        let other = driver.browser("setup-again").await;
        other.goto(&link).await.unwrap();
        assert!(text(&other, "#setup-error")
            .await
            .contains("has accounts already"));
        assert!(
            other.find(Locator::Id("password")).await.is_err(),
            "no form any more"
        );
        other.close().await.unwrap();
        c.close().await.unwrap();
    });
}
