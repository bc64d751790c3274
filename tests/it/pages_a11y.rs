//! An automated accessibility check of every page: axe-core (the npm
//! package `.ci/run` puts under `<target>/axe/`) runs inside Chromium on
//! each page, in English and German, signed in as an admin (who sees
//! every control); no serious or critical WCAG 2.1 A/AA violation may
//! remain.

use std::path::PathBuf;

use fantoccini::Client;
use serde_json::Value;

use crate::pages::{demo_store, runtime, screenshots_dir, sign_in, Driver};
use crate::serve::{admin, Served};

/// axe-core's script: `ENTITLE_AXE`, else `<target>/axe/package/axe.min.js`.
fn axe_script() -> String {
    let path = std::env::var_os("ENTITLE_AXE").map_or_else(
        || {
            screenshots_dir()
                .parent()
                .expect("the target directory")
                .join("axe/package/axe.min.js")
        },
        PathBuf::from,
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is needed for the accessibility check: {}: {e}; install it with \
             `mkdir -p target/axe && cd target/axe && npm pack axe-core@4.14.1 && tar xzf axe-core-4.14.1.tgz` \
             (.ci/run does), or set ENTITLE_AXE to an axe.min.js",
            path.display()
        )
    })
}

/// The serious and critical violations on the current page, as lines.
async fn violations(c: &Client, axe: &str) -> Vec<String> {
    c.execute(axe, vec![]).await.expect("axe-core loads");
    let result = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))
                .catch(e => done([{id: 'axe-failed', impact: 'critical', help: String(e), nodes: []}]));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    result
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v: Value| {
            format!(
                "{} ({}): {} at {}",
                v["id"], v["impact"], v["help"], v["nodes"]
            )
        })
        .collect()
}

#[test]
fn no_page_has_a_serious_or_critical_accessibility_violation() {
    let axe = axe_script();
    let store = demo_store();
    let server = Served::start(&store);
    let _admin = admin(&server);
    let driver = Driver::start();
    let pages = [
        "/",
        "/?as_of=2024-06-30&known_at=2024-09-02",
        "/licenses",
        "/licenses/L-0001",
        "/licenses/L-0001?as_of=2024-06-30&known_at=2024-09-02",
        "/licenses/new",
        "/licenses/L-0001/extend",
        "/licenses/L-0001/adjust",
        "/licenses/L-0001/cancel",
        "/licenses/L-0001/void",
        "/usage/new",
        "/renewals?within=365",
        "/reminders",
        "/spend",
        "/documents",
        "/documents?q=Lizenzen",
        "/documents/new",
        "/inventory?as_of=2026-07-31",
        "/licenses/L-0001/attach",
        "/audits",
        "/admin",
        "/imports",
        "/usage/Microsoft/Microsoft%20365%20E3/user",
        "/licenses/L-9999",
    ];
    let mut found = Vec::new();
    runtime().block_on(async {
        let c = driver.browser("a11y").await;
        sign_in(&c, &server, "admin", false).await;
        for lang in ["en", "de"] {
            for page in pages {
                let sep = if page.contains('?') { '&' } else { '?' };
                let url = format!("{page}{sep}lang={lang}");
                c.goto(&server.at(&url)).await.unwrap();
                for v in violations(&c, &axe).await {
                    found.push(format!("{url}: {v}"));
                }
            }
        }
        // A form with its errors shown.
        c.goto(&server.at("/licenses/new")).await.unwrap();
        c.execute("document.querySelector('form.record').submit();", vec![])
            .await
            .unwrap();
        crate::pages::text(&c, "#form-problems").await;
        for v in violations(&c, &axe).await {
            found.push(format!("/licenses/new (refused): {v}"));
        }
        // Signed out: the sign-in page.
        c.delete_all_cookies().await.unwrap();
        c.goto(&server.at("/sign-in")).await.unwrap();
        for v in violations(&c, &axe).await {
            found.push(format!("/sign-in: {v}"));
        }
        c.close().await.unwrap();
    });
    assert!(
        found.is_empty(),
        "accessibility violations:\n{}",
        found.join("\n")
    );
}
