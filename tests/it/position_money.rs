//! `position` with money (unit price, shortfall and unused cost, per
//! currency), stale usage counts and metric mismatches.

use serde_json::Value;

use crate::util::TestStore;

fn buy(
    s: &TestStore,
    vendor: &str,
    product: &str,
    metric: &str,
    qty: &str,
    end: Option<&str>,
    cost: Option<(&str, &str)>,
) {
    let mut args = vec![
        "purchase",
        "--vendor",
        vendor,
        "--product",
        product,
        "--metric",
        metric,
        "--qty",
        qty,
        "--start",
        "2024-01-01",
    ];
    if let Some(end) = end {
        args.extend(["--end", end]);
    }
    if let Some((amount, cur)) = cost {
        args.extend(["--cost", amount, "--currency", cur]);
    }
    s.ok(&args);
}

fn usage(s: &TestStore, vendor: &str, product: &str, metric: &str, count: &str, date: &str) {
    s.ok(&[
        "usage",
        "record",
        "--vendor",
        vendor,
        "--product",
        product,
        "--metric",
        metric,
        "--count",
        count,
        "--date",
        date,
    ]);
}

fn setup() -> TestStore {
    let s = TestStore::new();
    // 10 seats for a year, 1200 EUR: 120.00 per seat and year; 13 used.
    buy(
        &s,
        "Acme",
        "CAD",
        "user",
        "10",
        Some("2024-12-31"),
        Some(("1200.00", "EUR")),
    );
    usage(&s, "Acme", "CAD", "user", "13", "2024-06-01");
    // 20 seats for 2000.50 EUR: 100.025 per seat; 15 used, counted in March.
    buy(
        &s,
        "Contoso",
        "Office",
        "user",
        "20",
        Some("2024-12-31"),
        Some(("2000.50", "EUR")),
    );
    usage(&s, "Contoso", "Office", "user", "15", "2024-03-01");
    // Licensed per core, counted per instance: never compared.
    buy(&s, "Globex", "DB", "core", "8", None, Some(("8000", "USD")));
    usage(&s, "Globex", "DB", "instance", "4", "2024-06-01");
    // Two licenses in two currencies: no unit price.
    buy(
        &s,
        "Initech",
        "Tool",
        "device",
        "5",
        Some("2024-12-31"),
        Some(("500", "EUR")),
    );
    buy(
        &s,
        "Initech",
        "Tool",
        "device",
        "5",
        Some("2024-12-31"),
        Some(("600", "USD")),
    );
    usage(&s, "Initech", "Tool", "device", "12", "2024-06-01");
    // Three years paid at once, over-licensed: no annual price.
    buy(
        &s,
        "Umbrella",
        "Lab",
        "user",
        "10",
        Some("2026-12-31"),
        Some(("3000", "EUR")),
    );
    usage(&s, "Umbrella", "Lab", "user", "4", "2024-06-01");
    s
}

fn row<'a>(json: &'a Value, vendor: &str, metric: &str) -> &'a Value {
    json["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["vendor"] == vendor && r["metric"] == metric)
        .unwrap_or_else(|| panic!("no row {vendor}/{metric} in {json:#}"))
}

#[test]
fn money_stale_and_mismatch() {
    let s = setup();
    let json = s.json(&["position", "--as-of", "2024-06-30"]);
    assert_eq!(json["stale_after_days"], 90);

    let acme = row(&json, "Acme", "user");
    assert_eq!(acme["status"], "under");
    assert_eq!(acme["balance"], -3);
    assert_eq!(acme["unit_price"], "120.00");
    assert_eq!(acme["currency"], "EUR");
    assert_eq!(acme["price_per"], "year");
    assert_eq!(acme["shortfall_cost"], "360.00");
    assert_eq!(acme["unused_cost"], Value::Null);
    assert_eq!(acme["stale"], false);

    let contoso = row(&json, "Contoso", "user");
    assert_eq!(contoso["status"], "over");
    assert_eq!(contoso["unit_price"], "100.025");
    assert_eq!(contoso["unused_cost"], "500.125");
    assert_eq!(contoso["shortfall_cost"], Value::Null);
    assert_eq!(contoso["stale"], true, "counted 121 days before");

    let mismatch = row(&json, "Globex", "instance");
    assert_eq!(mismatch["status"], "metric-mismatch");
    assert_eq!(mismatch["balance"], Value::Null);
    assert_eq!(mismatch["licensed_metrics"], serde_json::json!(["core"]));
    assert_eq!(mismatch["unit_price"], Value::Null);
    let licensed = row(&json, "Globex", "core");
    assert_eq!(licensed["status"], "no-usage-data");
    assert_eq!(licensed["price_per"], "perpetual");
    assert_eq!(licensed["unit_price"], "1000.00");

    let mixed = row(&json, "Initech", "device");
    assert_eq!(mixed["status"], "under");
    assert_eq!(mixed["unit_price"], Value::Null);
    assert_eq!(mixed["shortfall_cost"], Value::Null);
    assert!(mixed["money_note"]
        .as_str()
        .unwrap()
        .contains("mixed currencies (EUR, USD)"));

    let multi = row(&json, "Umbrella", "user");
    assert_eq!(multi["status"], "over");
    assert_eq!(multi["price_per"], "term");
    assert_eq!(multi["unit_price"], "300.00");
    assert_eq!(multi["unused_cost"], Value::Null);
    assert!(multi["money_note"].as_str().unwrap().contains("13 months"));

    // A longer limit: nothing is stale.
    let json = s.json(&["position", "--as-of", "2024-06-30", "--stale-after", "200"]);
    assert_eq!(row(&json, "Contoso", "user")["stale"], false);
}

#[test]
fn table_shows_stale_marker_and_totals_in_80_columns() {
    let s = setup();
    let text = s.ok(&["position", "--as-of", "2024-06-30"]);
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(text.contains("15*"), "{text}");
    assert!(!text.contains('\x1b'), "no colour when not on a terminal");
    assert!(text.contains("* usage count older than 90 days on 2024-06-30: stale"));
    assert!(text.contains("metric-mismatch"));
    assert!(
        text.contains("estimated cost of the shortfall: 360.00 EUR"),
        "{text}"
    );
    assert!(
        text.contains("unused seats cost per year: 500.125 EUR"),
        "{text}"
    );
}

#[test]
fn true_up_is_priced_by_the_seats_it_bought() {
    let s = TestStore::new();
    buy(
        &s,
        "Acme",
        "CAD",
        "user",
        "10",
        Some("2024-12-31"),
        Some(("1000", "EUR")),
    );
    let id = "L-0001";
    s.ok(&[
        "adjust",
        id,
        "--qty",
        "12",
        "--cost",
        "300",
        "--currency",
        "EUR",
        "--effective",
        "2024-04-01",
    ]);
    usage(&s, "Acme", "CAD", "user", "14", "2024-06-01");
    let json = s.json(&["position", "--as-of", "2024-06-30"]);
    let r = row(&json, "Acme", "user");
    assert_eq!(r["unit_price"], "150.00", "300 EUR for 2 more seats");
    assert_eq!(r["shortfall_cost"], "300.00");
}
