//! Installations and count rules: the records, the store format they
//! raise, bad input refused, and the position deriving `used` from the
//! hosts' facts as of several dates and moments (worked out by hand).

use serde_json::Value;

use crate::util::TestStore;

fn row<'a>(pos: &'a Value, product: &str) -> &'a Value {
    pos["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["product"] == product)
        .unwrap_or_else(|| panic!("no row for {product}: {pos}"))
}

/// What the rule made of each host of a position row.
fn derivations(row: &Value) -> Vec<&str> {
    row["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["derivation"].as_str().unwrap())
        .collect()
}

fn format_line(s: &TestStore) -> String {
    std::fs::read_to_string(s.path.join("FORMAT"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("format: "))
        .unwrap()
        .to_owned()
}

fn windows(s: &TestStore, qty: &str) {
    s.ok(&[
        "purchase",
        "--id",
        "WS",
        "--vendor",
        "Microsoft",
        "--product",
        "Windows Server",
        "--metric",
        "core",
        "--qty",
        qty,
        "--start",
        "2025-01-01",
        "--count-rule",
        "microsoft-core",
    ]);
}

/// A store without inventory stays format 2 (older builds read it); the
/// first count rule raises it to 3, and a build that knows only 2 would
/// then ask to be upgraded.
#[test]
fn the_first_inventory_record_raises_the_store_format() {
    let s = TestStore::new();
    s.ok(&crate::util::purchase("Adobe", "5", &[]));
    assert_eq!(format_line(&s), "format: 2");
    windows(&s, "16");
    assert_eq!(format_line(&s), "format: 3");
    assert!(
        s.log().contains(r#""count_rule":"microsoft-core""#),
        "{}",
        s.log()
    );
    // A format this build does not know is refused with "upgrade".
    let format = s.path.join("FORMAT");
    let text = std::fs::read_to_string(&format).unwrap();
    std::fs::write(&format, text.replace("format: 3", "format: 4")).unwrap();
    let err = s.fails(2, &["state"]);
    assert!(err.contains("upgrade"), "{err}");
}

#[test]
fn a_rule_on_a_metric_it_does_not_fit_and_unknown_rules_are_refused() {
    let s = TestStore::new();
    let err = s.fails(
        2,
        &crate::util::purchase("Microsoft", "5", &["--count-rule", "microsoft-core"]),
    );
    assert!(
        err.contains("does not count a user license; it fits metric core"),
        "{err}"
    );
    let err = s.fails(
        2,
        &crate::util::purchase("Microsoft", "5", &["--count-rule", "per-core"]),
    );
    assert!(err.contains("is not a count rule"), "{err}");
    assert_eq!(s.log(), "", "nothing written");
}

#[test]
fn bad_host_facts_are_refused_naming_the_line_and_nothing_is_written() {
    let s = TestStore::new();
    let file = s.path.with_file_name("bad.jsonl");
    let lines = [
        r#"{"type":"host_observed","effective":"2025-01-01","host":"ok01","sockets":1,"cores":4,"threads":8}"#,
        r#"{"type":"host_observed","effective":"2025-01-01","host":"db01","sockets":2,"cores":0}"#,
        r#"{"type":"host_observed","effective":"2025-01-01","host":"db02","sockets":1,"cores":8,"threads":4}"#,
        r#"{"type":"host_observed","effective":"2025-01-01","host":"vm01","virtual":true,"physical_host":"VM01","vcpus":2}"#,
        r#"{"type":"hosts_seen","effective":"2025-01-01","vendor":"Oracle","hosts":["db01","DB01"]}"#,
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let err = s.fails(2, &["import", "events", file.to_str().unwrap()]);
    assert!(err.contains("bad.jsonl:2:"), "{err}");
    assert!(err.contains("must be at least 1"), "{err}");
    assert!(err.contains("bad.jsonl:3:"), "{err}");
    assert!(err.contains("fewer than the 8 cores"), "{err}");
    assert!(err.contains("bad.jsonl:4:"), "{err}");
    assert!(
        err.contains("is the virtual machine \"vm01\" itself"),
        "{err}"
    );
    assert!(err.contains("bad.jsonl:5:"), "{err}");
    assert!(err.contains("listed twice"), "{err}");
    assert!(!err.contains("bad.jsonl:1:"), "{err}");
    // A negative count is not a count at all.
    std::fs::write(
        &file,
        r#"{"type":"host_observed","effective":"2025-01-01","host":"db03","sockets":-1}"#,
    )
    .unwrap();
    let err = s.fails(2, &["import", "events", file.to_str().unwrap()]);
    assert!(
        err.contains("bad.jsonl:1: host_observed: invalid value: integer `-1`"),
        "{err}"
    );
    assert_eq!(s.log(), "", "nothing written");
}

/// An inventory that changes over time, under `microsoft-core`:
///
/// * 2025-02-01 (seq 2..4): db01, 2 × 6 cores → 2 × 8 = 16; app01,
///   1 × 4 cores → 8 → 16 (minimum per server). Used 32.
/// * 2025-06-01 (seq 5..6): db01 replaced by 2 × 12 cores = 24. Used 40.
/// * 2025-09-01 (seq 7): Windows Server removed from app01. Used 24.
/// * seq 8 voids seq 5 (the hardware change was entered for the wrong
///   host): known at 8, 2025-07-01 is back to 16 + 16 = 32.
#[test]
fn position_derives_used_from_installations_as_of_dates_and_seqs() {
    let s = TestStore::new();
    windows(&s, "32"); // seq 1
    s.import(&[
        r#"{"type":"installed","effective":"2025-02-01","host":"db01","vendor":"Microsoft","product":"Windows Server","edition":"Datacenter","version":"2022"}"#,
        r#"{"type":"host_observed","effective":"2025-02-01","host":"db01","os":"Windows Server","os_version":"2022","sockets":2,"cores":12,"threads":24,"cpu":"Intel Xeon Silver 4310"}"#,
        r#"{"type":"installed","effective":"2025-02-01","host":"APP01","vendor":"microsoft","product":"windows server","version":"2019"}"#,
    ]); // seq 2..4
    s.import(&[
        r#"{"type":"host_observed","effective":"2025-06-01","host":"DB01","os":"Windows Server","os_version":"2022","sockets":2,"cores":24,"threads":48}"#,
        r#"{"type":"host_observed","effective":"2025-06-01","host":"app01","sockets":1,"cores":4,"threads":8}"#,
    ]); // seq 5..6
    s.import(&[
        r#"{"type":"uninstalled","effective":"2025-09-01","host":"app01","vendor":"Microsoft","product":"Windows Server"}"#,
    ]); // seq 7

    // app01 had no facts before 2025-06-01: counted as 0, and said so.
    let pos = s.json(&["position", "--as-of", "2025-03-01"]);
    let ws = row(&pos, "Windows Server");
    assert_eq!(ws["used"], 16, "{ws}");
    assert_eq!(ws["used_from"], "inventory");
    assert_eq!(ws["count_rule"], "microsoft-core");
    assert_eq!(ws["used_date"], "2025-02-01");
    assert_eq!(ws["used_source"], "inventory (microsoft-core)");
    let hosts = ws["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 2);
    assert_eq!(hosts[0]["host"], "APP01", "named as first recorded");
    assert_eq!(hosts[0]["incomplete"], true);
    assert_eq!(
        hosts[1]["derivation"],
        "db01: 2 × 6 cores → 2 × 8 (minimum 8 per processor) = 16"
    );
    assert_eq!(
        hosts[1]["facts"],
        "physical, 2 × 6 cores, 24 threads, Intel Xeon Silver 4310, Windows Server 2022"
    );

    let pos = s.json(&["position", "--as-of", "2025-07-01"]);
    let ws = row(&pos, "Windows Server");
    assert_eq!(ws["used"], 40, "24 + 16: {ws}");
    assert_eq!(ws["status"], "under");
    assert_eq!(ws["balance"], -8);
    assert_eq!(
        derivations(ws),
        [
            "APP01: 1 × 4 cores → 1 × 8 (minimum 8 per processor) = 8 → 16 (minimum 16 per server)",
            "db01: 2 × 12 cores = 24",
        ]
    );
    // Known before the hardware change was recorded: still 2 × 6.
    let pos = s.json(&["position", "--as-of", "2025-07-01", "--known-at", "#4"]);
    assert_eq!(row(&pos, "Windows Server")["used"], 16);

    let pos = s.json(&["position", "--as-of", "2025-10-01"]);
    let ws = row(&pos, "Windows Server");
    assert_eq!(ws["used"], 24, "app01 removed: {ws}");
    assert_eq!(ws["status"], "over");
    assert_eq!(ws["hosts"].as_array().unwrap().len(), 1);

    s.ok(&["void", "5", "--note", "entered for the wrong host"]); // seq 8
    let pos = s.json(&["position", "--as-of", "2025-07-01"]);
    assert_eq!(
        row(&pos, "Windows Server")["used"],
        32,
        "16 + 16 after the void"
    );
    let pos = s.json(&["position", "--as-of", "2025-07-01", "--known-at", "#7"]);
    assert_eq!(
        row(&pos, "Windows Server")["used"],
        40,
        "known before the void"
    );

    // The table shows where the number came from and the derivation.
    let table = s.ok(&["position", "--as-of", "2025-07-01"]);
    assert!(
        table.contains("db01: 2 × 6 cores → 2 × 8 (minimum 8 per processor) = 16"),
        "{table}"
    );

    // And the log still verifies, rebuilt from scratch.
    s.ok(&["rebuild"]);
    s.ok(&["verify"]);
    let pos = s.json(&["position", "--as-of", "2025-07-01"]);
    assert_eq!(row(&pos, "Windows Server")["used"], 32);
}

/// A recorded count more recent than the inventory wins, and the
/// inventory's figure is shown beside it; the reverse too.
#[test]
fn the_more_recent_observation_is_used_and_the_other_shown() {
    let s = TestStore::new();
    s.ok(&[
        "purchase",
        "--vendor",
        "Oracle",
        "--product",
        "Database Enterprise Edition",
        "--metric",
        "processor",
        "--qty",
        "8",
        "--start",
        "2025-01-01",
        "--count-rule",
        "oracle-processor",
    ]);
    s.import(&[
        r#"{"type":"installed","effective":"2025-03-01","host":"ora01","vendor":"Oracle","product":"Database Enterprise Edition","version":"19c"}"#,
        r#"{"type":"host_observed","effective":"2025-03-01","host":"ora01","os":"Oracle Linux","sockets":2,"cores":16,"threads":32,"cpu":"Intel Xeon Gold 6244"}"#,
        r#"{"type":"usage_recorded","effective":"2025-02-01","vendor":"Oracle","product":"Database Enterprise Edition","metric":"processor","count":6,"source":"LMS script"}"#,
        r#"{"type":"usage_recorded","effective":"2025-05-01","vendor":"Oracle","product":"Database Enterprise Edition","metric":"processor","count":10,"source":"LMS script"}"#,
    ]);
    let pos = s.json(&["position", "--as-of", "2025-04-01"]);
    let r = row(&pos, "Database Enterprise Edition");
    assert_eq!(r["used"], 8, "2 × 8 cores × 0.5: {r}");
    assert_eq!(r["used_from"], "inventory");
    assert_eq!(r["other_used"], 6);
    assert_eq!(r["other_used_source"], "LMS script");
    assert_eq!(
        r["hosts"][0]["derivation"],
        "ora01: 2 × 8 cores × 0.5 (x86) = 8"
    );
    let pos = s.json(&["position", "--as-of", "2025-06-01"]);
    let r = row(&pos, "Database Enterprise Edition");
    assert_eq!(r["used"], 10, "{r}");
    assert_eq!(r["used_from"], "count");
    assert_eq!(r["other_used"], 8);
    assert_eq!(r["other_used_source"], "inventory (oracle-processor)");
    assert_eq!(r["status"], "under");
}

/// Products without a rule keep their recorded counts, and their JSON has
/// none of the inventory fields.
#[test]
fn products_without_a_rule_are_untouched() {
    let s = TestStore::new();
    s.ok(&crate::util::purchase("Adobe", "5", &[]));
    windows(&s, "16");
    s.import(&[
        r#"{"type":"usage_recorded","effective":"2025-02-01","vendor":"Adobe","product":"Acrobat Pro","metric":"user","count":3}"#,
    ]);
    let pos = s.json(&["position", "--as-of", "2025-03-01"]);
    let r = row(&pos, "Acrobat Pro");
    assert_eq!(r["used"], 3);
    assert!(r.get("used_from").is_none(), "{r}");
    assert!(r.get("hosts").is_none(), "{r}");
    // A rule whose product runs nowhere known: the row says it counts
    // from recorded counts.
    assert_eq!(row(&pos, "Windows Server")["used_from"], "count");
}

fn csv(s: &TestStore, name: &str, text: &str) -> String {
    let file = s.path.with_file_name(name);
    std::fs::write(&file, text).unwrap();
    file.to_str().unwrap().to_owned()
}

fn types(s: &TestStore) -> Vec<String> {
    s.log_lines()
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// A German export (semicolons, German headers), then a nightly snapshot
/// in English that drops a product: only the changes are recorded, plus
/// one sighting per vendor; the same file again is refused.
#[test]
fn csv_import_records_changes_and_a_sighting_per_vendor() {
    let s = TestStore::new();
    let de = csv(
        &s,
        "inventar.csv",
        "Rechner;Hersteller;Produkt;Version;Betriebssystem;Sockel;Kerne;threads;Prozessor\n\
         db01;Microsoft;Windows Server;2022;Windows Server;2;12;24;Intel Xeon Silver 4310\n\
         db01;Microsoft;SQL Server;2019;Windows Server;2;12;24;Intel Xeon Silver 4310\n\
         ora01;Oracle;Database Enterprise Edition;19c;Oracle Linux;2;16;32;Intel Xeon Gold 6244\n",
    );
    let out = s.ok(&["inventory", "import", &de, "--date", "2025-06-01"]);
    assert!(
        out.contains(
            "3 installation(s) new or changed, 0 removed, facts of 2 host(s), 2 sighting(s)"
        ),
        "{out}"
    );
    assert_eq!(
        types(&s),
        [
            "installed",
            "installed",
            "host_observed",
            "installed",
            "host_observed",
            "hosts_seen",
            "hosts_seen"
        ]
    );
    let err = s.fails(2, &["inventory", "import", &de, "--date", "2025-06-01"]);
    assert!(err.contains("already imported"), "{err}");

    let en = csv(
        &s,
        "nightly.csv",
        "host,vendor,product,version,os,sockets,cores,threads,cpu\n\
         DB01,Microsoft,Windows Server,2022,Windows Server,2,12,24,Intel Xeon Silver 4310\n\
         ora01,Oracle,Database Enterprise Edition,19c,Oracle Linux,2,16,32,Intel Xeon Gold 6244\n",
    );
    let done = s.json(&[
        "inventory",
        "import",
        &en,
        "--date",
        "2025-07-01",
        "--snapshot",
    ]);
    assert_eq!(done["installed"], 0, "{done}");
    assert_eq!(
        done["uninstalled"], 1,
        "SQL Server removed from db01: {done}"
    );
    assert_eq!(done["facts"], 0);
    assert_eq!(done["sightings"], 2);
    let lines = s.log_lines();
    let removed: Value = serde_json::from_str(&lines[7]).unwrap();
    assert_eq!(removed["type"], "uninstalled");
    assert_eq!(removed["product"], "SQL Server");
    let seen: Value = serde_json::from_str(&lines[8]).unwrap();
    assert_eq!(seen["type"], "hosts_seen");
    assert_eq!(seen["vendor"], "Microsoft");
    assert_eq!(seen["hosts"], serde_json::json!(["DB01"]));
}

/// One bad row among many good ones: named by FILE:LINE, nothing written
/// (not even the store).
#[test]
fn csv_import_with_a_bad_row_records_nothing() {
    let s = TestStore::new();
    let mut text = String::from("host,vendor,product,sockets,cores,threads\n");
    for i in 0..2000 {
        text.push_str(&format!("h{i},Microsoft,Windows Server,1,8,16\n"));
    }
    text.push_str("bad01,Microsoft,Windows Server,2,0,16\n");
    text.push_str("H5,Microsoft,SQL Server,2,8,16\n");
    let file = csv(&s, "big.csv", &text);
    let err = s.fails(2, &["inventory", "import", &file]);
    assert!(err.contains("big.csv:2002"), "{err}");
    assert!(err.contains("must be at least 1"), "{err}");
    assert!(err.contains("big.csv:2003"), "{err}");
    assert!(err.contains("other facts than on line 7"), "{err}");
    assert!(!s.path.join("FORMAT").exists(), "no store was created");
}

/// One vendor's audit pack discloses its installations, the facts of the
/// hosts they run on and its sightings, and nothing that names another
/// vendor's software on the same host; the pack re-derives the store's
/// inventory-derived position and verifies.
#[test]
fn an_audit_pack_discloses_one_vendors_installations_only() {
    let s = TestStore::new();
    s.ok(&[
        "purchase",
        "--vendor",
        "Oracle",
        "--product",
        "Database Enterprise Edition",
        "--metric",
        "processor",
        "--qty",
        "8",
        "--start",
        "2025-01-01",
        "--count-rule",
        "oracle-processor",
    ]);
    windows(&s, "16");
    let file = csv(
        &s,
        "mixed.csv",
        "host,vendor,product,version,os,sockets,cores,threads,cpu\n\
         ora01,Oracle,Database Enterprise Edition,19c,Linux,2,16,32,Intel Xeon Gold 6244\n\
         ora01,Microsoft,Windows Server,2022,Linux,2,16,32,Intel Xeon Gold 6244\n",
    );
    s.ok(&["inventory", "import", &file, "--date", "2025-06-01"]);
    let out = s.path.with_file_name("pack-oracle");
    s.ok(&[
        "audit-pack",
        "--vendor",
        "oracle",
        "--as-of",
        "2025-06-30",
        "--out",
        out.to_str().unwrap(),
    ]);
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let disclosed: Vec<Value> = events
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|e| {
            e.get("record")
                .and_then(Value::as_str)
                .map(|r| serde_json::from_str(r).unwrap())
        })
        .collect();
    let kinds: Vec<&str> = disclosed
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["purchased", "installed", "host_observed", "hosts_seen"],
        "{events}"
    );
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).to_lowercase();
            assert!(
                !text.contains("microsoft"),
                "{} names Microsoft",
                path.display()
            );
            assert!(
                !text.contains("windows"),
                "{} names Windows",
                path.display()
            );
        }
    }
    let verified = s.ok(&["audit", "verify", out.to_str().unwrap()]);
    assert!(
        verified.contains("re-derived from the disclosed events"),
        "{verified}"
    );
}

/// `inventory import` and `inventory` through `--server`: the import is
/// recorded by the server under the token's account, a dry run with a bad
/// row is refused naming it, and the query answers as the local one.
#[test]
fn inventory_import_and_query_work_through_the_server() {
    use crate::serve::{admin, through_in, Served};
    let s = TestStore::new();
    s.ok(&crate::util::purchase("Adobe", "5", &[]));
    let server = Served::start(&s);
    let admin = admin(&server);
    admin.add_user(&server, "ed", "editor", &[]);
    let token = admin.token(&server, "ed");
    let dir = s.path.parent().unwrap();
    let bad = csv(
        &s,
        "bad.csv",
        "host,vendor,product,sockets,cores\ndb01,Microsoft,SQL Server,2,0\n",
    );
    let out = through_in(
        dir,
        &server.url,
        &token,
        &["inventory", "import", &bad, "--dry-run"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.csv:2") && err.contains("must be at least 1"),
        "{err}"
    );
    let good = csv(
        &s,
        "good.csv",
        "host,vendor,product,version,sockets,cores,threads\ndb01,Microsoft,SQL Server,2019,2,12,24\n",
    );
    let out = through_in(
        dir,
        &server.url,
        &token,
        &[
            "inventory",
            "import",
            &good,
            "--date",
            "2025-06-01",
            "--snapshot",
        ],
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("recorded from"), "{said}");
    let out = through_in(
        dir,
        &server.url,
        &token,
        &["inventory", "--as-of", "2025-06-30", "--json"],
    );
    let remote: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(remote["hosts"][0]["host"], "db01", "{remote}");
    assert_eq!(remote["hosts"][0]["software"][0]["version"], "2019");
    // An inventory's parameter sent to another import is named, with what
    // to do.
    let wrong = reqwest::blocking::Client::new()
        .post(format!(
            "{}/api/v1/imports/usage?filename=u.csv&snapshot=true",
            server.url
        ))
        .bearer_auth(&token)
        .body("vendor,product,metric,count,date\n")
        .send()
        .unwrap();
    assert_eq!(wrong.status(), reqwest::StatusCode::BAD_REQUEST);
    let e: Value = wrong.json().unwrap();
    assert_eq!(e["error"]["field"], "snapshot", "{e}");
    assert_eq!(
        e["error"]["hint"], "leave it out, or send the file to /api/v1/imports/inventory",
        "{e}"
    );
    drop(server);
    assert!(
        s.log().contains(r#""actor":"ed""#),
        "recorded as the token's account"
    );
    assert_eq!(s.json(&["inventory", "--as-of", "2025-06-30"]), remote);
}

/// A host's facts recorded before the vendor's software on it (events
/// imported in that order, as the demo has them) are still disclosed in
/// the vendor's pack, so that the pack re-derives the inventory-derived
/// position; a host without the vendor's software keeps its facts out.
#[test]
fn a_pack_discloses_facts_recorded_before_the_installation() {
    let s = TestStore::new();
    s.import(&[
        r#"{"type":"purchased","id":"WLS","vendor":"Oracle","product":"WebLogic Server","metric":"processor","qty":2,"start":"2025-01-01","count_rule":"oracle-processor"}"#,
        r#"{"type":"host_observed","effective":"2025-07-01","host":"wls01","sockets":2,"cores":8,"threads":16,"cpu":"Intel Xeon Gold 6234"}"#,
        r#"{"type":"host_observed","effective":"2025-07-01","host":"dc01","sockets":1,"cores":4,"threads":8}"#,
        r#"{"type":"installed","effective":"2025-07-01","host":"dc01","vendor":"Microsoft","product":"Windows Server"}"#,
        r#"{"type":"installed","effective":"2025-07-01","host":"wls01","vendor":"Oracle","product":"WebLogic Server"}"#,
    ]);
    let pos = s.json(&["position", "--as-of", "2025-07-15", "--vendor", "Oracle"]);
    assert_eq!(
        row(&pos, "WebLogic Server")["used"],
        4,
        "2 × 4 cores × 0.5: {pos}"
    );
    let out = s.path.with_file_name("pack");
    s.ok(&[
        "audit-pack",
        "--vendor",
        "Oracle",
        "--as-of",
        "2025-07-15",
        "--out",
        out.to_str().unwrap(),
    ]);
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let disclosed: Vec<String> = events
        .lines()
        .filter_map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["record"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(disclosed.len(), 3, "{events}");
    assert!(disclosed[1].contains(r#""host":"wls01""#), "{events}");
    assert!(!events.contains("dc01"), "{events}");
    let verified = s.ok(&["audit", "verify", out.to_str().unwrap()]);
    assert!(
        verified.contains("re-derived from the disclosed events"),
        "{verified}"
    );
}

/// Two imports a month apart (the second a snapshot that drops SQL Server
/// from db01): `entitle inventory` shows the hosts, their facts and their
/// software as of each date and as known before the second import, per
/// host and vendor, as a table, JSON and CSV; the editions and versions in
/// use are counted per product.
#[test]
fn the_inventory_shows_hosts_facts_and_software_as_of_dates_and_moments() {
    let s = TestStore::new();
    let june = csv(
        &s,
        "june.csv",
        "host,vendor,product,edition,version,os,sockets,cores,threads,cpu\n\
         db01,Microsoft,Windows Server,Datacenter,2022,Windows Server 2022,2,12,24,Intel Xeon Silver 4310\n\
         db01,Microsoft,SQL Server,Enterprise,2019,Windows Server 2022,2,12,24,Intel Xeon Silver 4310\n\
         app01,Microsoft,Windows Server,Standard,2019,Windows Server 2019,1,8,16,Intel Xeon E-2288G\n\
         ora01,Oracle,Database Enterprise Edition,,19c,Oracle Linux,2,16,32,Intel Xeon Gold 6244\n",
    );
    s.ok(&["inventory", "import", &june, "--date", "2025-06-01"]);
    let before_july = s.log_lines().len();
    let july = csv(
        &s,
        "july.csv",
        "host,vendor,product,edition,version,os,sockets,cores,threads,cpu\n\
         db01,Microsoft,Windows Server,Datacenter,2022,Windows Server 2022,2,12,24,Intel Xeon Silver 4310\n\
         app01,Microsoft,Windows Server,Standard,2019,Windows Server 2019,1,8,16,Intel Xeon E-2288G\n\
         ora01,Oracle,Database Enterprise Edition,,19c,Oracle Linux,2,16,32,Intel Xeon Gold 6244\n",
    );
    s.ok(&[
        "inventory",
        "import",
        &july,
        "--date",
        "2025-07-01",
        "--snapshot",
    ]);

    let software = |inv: &Value, host: &str| -> Vec<String> {
        inv["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["host"] == host)
            .unwrap_or_else(|| panic!("no {host} in {inv}"))["software"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["product"].as_str().unwrap().to_owned())
            .collect()
    };
    let now = s.json(&["inventory", "--as-of", "2025-07-15"]);
    assert_eq!(software(&now, "db01"), ["Windows Server"], "{now}");
    assert_eq!(now["hosts"].as_array().unwrap().len(), 3);
    let db01 = &now["hosts"][1];
    assert_eq!(db01["host"], "db01");
    assert_eq!(db01["facts"]["cores"], 12);
    assert_eq!(db01["facts_date"], "2025-06-01");
    assert_eq!(db01["last_seen"], "2025-07-01");
    assert!(db01["summary"]
        .as_str()
        .unwrap()
        .starts_with("physical, 2 × 6 cores"));
    // Editions and versions in use: Windows Server in two variants.
    let in_use: Vec<String> = now["in_use"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            format!(
                "{} {} {} {}",
                u["product"], u["edition"], u["version"], u["hosts"]
            )
        })
        .collect();
    assert!(
        in_use.contains(&r#""Windows Server" "Datacenter" "2022" 1"#.to_owned()),
        "{in_use:?}"
    );
    assert!(
        in_use.contains(&r#""Windows Server" "Standard" "2019" 1"#.to_owned()),
        "{in_use:?}"
    );

    // As of June 15, and as of July 15 as known before the July import:
    // SQL Server still on db01.
    let june15 = s.json(&["inventory", "--as-of", "2025-06-15"]);
    assert_eq!(software(&june15, "db01"), ["SQL Server", "Windows Server"]);
    let known = format!("#{before_july}");
    let then = s.json(&["inventory", "--as-of", "2025-07-15", "--known-at", &known]);
    assert_eq!(software(&then, "db01"), ["SQL Server", "Windows Server"]);
    // Before the first import: nothing.
    let may = s.json(&["inventory", "--as-of", "2025-05-01"]);
    assert_eq!(may["hosts"], serde_json::json!([]));

    // One vendor, one host (any case); an unknown host is named.
    let oracle = s.json(&["inventory", "--as-of", "2025-07-15", "--vendor", "oracle"]);
    assert_eq!(oracle["hosts"].as_array().unwrap().len(), 1, "{oracle}");
    assert_eq!(oracle["hosts"][0]["host"], "ora01");
    let one = s.json(&["inventory", "--as-of", "2025-07-15", "--host", "DB01"]);
    assert_eq!(one["hosts"].as_array().unwrap().len(), 1);
    let err = s.fails(2, &["inventory", "--host", "db99"]);
    assert!(
        err.contains("db99") && err.contains("has nothing recorded"),
        "{err}"
    );

    let table = s.ok(&["inventory", "--as-of", "2025-07-15"]);
    assert!(table.contains("inventory as of 2025-07-15"), "{table}");
    assert!(
        table.contains("db01: physical, 2 × 6 cores, 24 threads"),
        "{table}"
    );
    assert!(
        table.contains("Microsoft / Windows Server Datacenter 2022: 1 host"),
        "{table}"
    );
    // What changed on db01, on both time axes.
    let history = s.json(&["history", "--host", "DB01"]);
    assert_eq!(history["host"], "db01");
    let kinds: Vec<String> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["type"].as_str().unwrap(),
                e["effective"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "installed 2025-06-01",
            "installed 2025-06-01",
            "host_observed 2025-06-01",
            "hosts_seen 2025-06-01",
            "uninstalled 2025-07-01",
            "hosts_seen 2025-07-01",
        ],
        "{history}"
    );
    let table = s.ok(&["history", "--host", "db01"]);
    assert!(table.starts_with("history of host db01"), "{table}");
    // (Cut to the width of a terminal that is not one: 80 columns.)
    assert!(
        table.contains("uninstalled    Microsoft / SQL Server re"),
        "{table}"
    );
    let err = s.fails(2, &["history", "--host", "db99"]);
    assert!(err.contains("unknown host \"db99\""), "{err}");
    let err = s.fails(2, &["history"]);
    assert!(err.contains("--host"), "{err}");

    let csv_out = s.ok(&["inventory", "--as-of", "2025-07-15", "--format", "csv"]);
    // (With a byte-order mark, for Excel.)
    let mut lines = csv_out.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next().unwrap(),
        "host,vendor,product,edition,version,since,seq,os,os_version,virtual,physical_host,sockets,cores,threads,vcpus,cpu"
    );
    assert_eq!(lines.count(), 3, "{csv_out}");
    assert!(
        csv_out.contains("ora01,Oracle,Database Enterprise Edition,,19c,2025-06-01,"),
        "{csv_out}"
    );
}

/// Through the server: the same inventory as the local command (and
/// `--server` prints it), and an auditor for Oracle sees the host running
/// Oracle with its facts and only Oracle's software; a Microsoft-only host
/// asked for by name is 404 like one that does not exist.
#[test]
fn the_servers_inventory_is_the_cli_s_and_an_auditor_sees_one_vendors_hosts() {
    use crate::serve::{admin, bearer, Served};
    let s = TestStore::new();
    let file = csv(
        &s,
        "hosts.csv",
        "host,vendor,product,version,sockets,cores,threads\n\
         db01,Microsoft,SQL Server,2019,2,12,24\n\
         db01,Oracle,Database Enterprise Edition,19c,2,12,24\n\
         app01,Microsoft,Windows Server,2022,1,8,16\n",
    );
    s.ok(&["inventory", "import", &file, "--date", "2025-06-01"]);
    let local = s.json(&["inventory", "--as-of", "2025-06-30"]);
    let server = Served::start(&s);
    let admin = admin(&server);
    admin.add_user(&server, "olga", "auditor", &["Oracle"]);
    let olga = admin.token(&server, "olga");
    let whole: Value = admin
        .get(&server, "/api/v1/inventory?as_of=2025-06-30")
        .json()
        .unwrap();
    assert_eq!(whole, local, "the server answers as the local command");

    let theirs: Value = bearer(&server, &olga, "/api/v1/inventory?as_of=2025-06-30")
        .json()
        .unwrap();
    let text = theirs.to_string();
    assert_eq!(theirs["hosts"].as_array().unwrap().len(), 1, "{text}");
    assert_eq!(theirs["hosts"][0]["host"], "db01");
    assert_eq!(theirs["hosts"][0]["facts"]["cores"], 12, "facts disclosed");
    assert!(
        !text.contains("Microsoft") && !text.contains("SQL Server") && !text.contains("app01"),
        "leaks: {text}"
    );
    let hidden = bearer(&server, &olga, "/api/v1/inventory?host=app01");
    let missing = bearer(&server, &olga, "/api/v1/inventory?host=nohost");
    assert_eq!(hidden.status(), reqwest::StatusCode::NOT_FOUND);
    assert_eq!(missing.status(), reqwest::StatusCode::NOT_FOUND);
    assert_eq!(
        hidden.text().unwrap().replace("app01", "nohost"),
        missing.text().unwrap(),
        "a host out of scope reads like one that does not exist"
    );

    // The page: the same hosts; the auditor's shows db01 with Oracle's
    // software only; the CSV has a row per host and product.
    let page = admin
        .get(&server, "/inventory?as_of=2025-06-30")
        .text()
        .unwrap();
    assert!(page.contains("<h1>Inventory on 2025-06-30</h1>"), "{page}");
    assert_eq!(page.matches("<tr data-host=").count(), 2, "{page}");
    assert!(page.contains("Microsoft / SQL Server 2019"), "{page}");
    assert!(page.contains("physical, 2 × 6 cores, 24 threads"), "{page}");
    assert!(
        page.contains(
            "<td>Oracle / Database Enterprise Edition 19c</td><td class=\"num\">1 host</td>"
        ),
        "{page}"
    );
    let theirs = bearer(&server, &olga, "/inventory?as_of=2025-06-30")
        .text()
        .unwrap();
    assert_eq!(theirs.matches("<tr data-host=").count(), 1, "{theirs}");
    assert!(
        !theirs.contains("Microsoft") && !theirs.contains("app01"),
        "leaks: {theirs}"
    );
    let csv_text = admin
        .get(&server, "/inventory.csv?as_of=2025-06-30")
        .text()
        .unwrap();
    assert_eq!(csv_text.lines().count(), 4, "{csv_text}");
    let german = admin
        .get(&server, "/inventory?as_of=2025-06-30&lang=de")
        .text()
        .unwrap();
    assert!(
        german.contains("<h1>Inventar am 30.06.2025</h1>"),
        "{german}"
    );

    // A host's history: Oracle's records and the facts, nothing of
    // Microsoft's; a Microsoft-only host is unknown.
    let history: Value = bearer(&server, &olga, "/api/v1/hosts/db01/history")
        .json()
        .unwrap();
    let text = history.to_string();
    assert!(
        text.contains("Database Enterprise Edition") && text.contains("host_observed"),
        "{text}"
    );
    assert!(
        !text.contains("Microsoft") && !text.contains("SQL Server"),
        "leaks: {text}"
    );
    let hidden = bearer(&server, &olga, "/api/v1/hosts/app01/history");
    let missing = bearer(&server, &olga, "/api/v1/hosts/nohost/history");
    assert_eq!(hidden.status(), reqwest::StatusCode::NOT_FOUND);
    assert_eq!(
        hidden.text().unwrap().replace("app01", "nohost"),
        missing.text().unwrap()
    );
    let all: Value = admin
        .get(&server, "/api/v1/hosts/db01/history")
        .json()
        .unwrap();
    // Everyone else: both vendors' installations, the facts, both
    // sightings.
    assert_eq!(all["events"].as_array().unwrap().len(), 5, "{all}");
}

fn osquery_fixture(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/osquery")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

fn license(s: &TestStore, vendor: &str, product: &str, metric: &str, rule: &str) {
    s.ok(&[
        "purchase",
        "--vendor",
        vendor,
        "--product",
        product,
        "--metric",
        metric,
        "--qty",
        "64",
        "--start",
        "2025-01-01",
        "--count-rule",
        rule,
    ]);
}

/// The licenses the osquery fixtures run: SQL Server and Windows Server
/// under core rules, Oracle Database per processor.
fn osquery_licenses(s: &TestStore) {
    license(s, "Microsoft", "SQL Server", "core", "sql-server-core");
    license(s, "Microsoft", "Windows Server", "core", "microsoft-core");
    license(s, "Oracle", "Database", "processor", "oracle-processor");
}

/// One host's `osqueryi --json` results: the operating system and SQL
/// Server become installations of the licensed products, the setup
/// program, Management Studio and 7-Zip are skipped and named; the
/// position derives from the facts; the same file again is refused.
#[test]
fn an_osquery_document_of_one_host_is_imported_and_counted() {
    let s = TestStore::new();
    osquery_licenses(&s);
    let file = osquery_fixture("db01.json");
    let done = s.json(&["inventory", "import", &file, "--date", "2025-06-01"]);
    assert_eq!(done["hosts"], 1, "{done}");
    assert_eq!(done["installed"], 2, "{done}");
    assert_eq!(done["facts"], 1, "{done}");
    assert_eq!(done["skipped"], 3, "{done}");
    assert_eq!(
        done["unmatched"],
        serde_json::json!([
            "7-Zip 23.01 (x64 edition)",
            "Microsoft SQL Server 2019 Setup (English)",
            "SQL Server Management Studio"
        ])
    );
    let inv = s.json(&["inventory", "--as-of", "2025-06-30"]);
    let host = &inv["hosts"][0];
    assert_eq!(host["host"], "db01", "{inv}");
    let software: Vec<(String, String, String)> = host["software"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["product"].as_str().unwrap().to_owned(),
                i["edition"].as_str().unwrap_or("-").to_owned(),
                i["version"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        software,
        [
            ("SQL Server".into(), "-".into(), "2019".into()),
            ("Windows Server".into(), "Datacenter".into(), "2022".into()),
        ]
    );
    let pos = s.json(&["position", "--as-of", "2025-06-30"]);
    let ws = row(&pos, "Windows Server");
    assert_eq!(ws["used_from"], "inventory", "{ws}");
    assert_eq!(
        ws["hosts"][0]["derivation"],
        "db01: 2 × 6 cores → 2 × 8 (minimum 8 per processor) = 16"
    );
    assert_eq!(row(&pos, "SQL Server")["used"], 12);
    assert_eq!(
        ws["hosts"][0]["facts"],
        "physical, 2 × 6 cores, 24 threads, Intel(R) Xeon(R) Silver 4310 CPU @ 2.10GHz, Microsoft Windows Server 2022 Datacenter 10.0.20348"
    );
    let err = s.fails(2, &["inventory", "import", &file, "--date", "2025-06-01"]);
    assert!(err.contains("already imported"), "{err}");
}

/// osqueryd's results log of three hosts (snapshot and differential
/// lines, a query of another table among them): a VMware guest counts its
/// vCPUs, the Oracle package maps by its vendor; then a nightly snapshot
/// without SQL Server on db01 records it removed.
#[test]
fn an_osqueryd_results_log_is_imported_per_host_and_a_snapshot_removes() {
    let s = TestStore::new();
    osquery_licenses(&s);
    let file = osquery_fixture("fleet.log");
    let out = s.ok(&["inventory", "import", &file, "--date", "2025-06-01"]);
    assert!(
        out.contains("5 installation(s) new or changed, 0 removed, facts of 3 host(s), 2 sighting(s); 5 program(s) matched no licensed product"),
        "{out}"
    );
    let pos = s.json(&["position", "--as-of", "2025-06-30"]);
    let sql = row(&pos, "SQL Server");
    assert_eq!(
        derivations(sql),
        [
            "app02: VM, 2 vCPUs → 4 (minimum 4 per VM)",
            "db01: 2 × 6 cores = 12"
        ],
        "{sql}"
    );
    assert_eq!(sql["used"], 16);
    let ora = row(&pos, "Database");
    assert_eq!(ora["used"], 8, "16 cores × 0.5: {ora}");
    let inv = s.json(&[
        "inventory",
        "--as-of",
        "2025-06-30",
        "--host",
        "ora01.example.com",
    ]);
    let db = &inv["hosts"][0]["software"][0];
    assert_eq!(db["edition"], "ee", "{inv}");
    assert_eq!(db["version"], "19c", "{inv}");
    assert_eq!(
        inv["hosts"][0]["facts"]["os"], "Oracle Linux Server",
        "{inv}"
    );

    let nightly = s.path.with_file_name("nightly.log");
    let text = std::fs::read_to_string(&file).unwrap();
    let without_sql: Vec<String> = text
        .lines()
        .filter(|l| l.contains(r#""hostIdentifier":"db01""#))
        .map(|l| {
            l.replace(
                r#"{"name":"Microsoft SQL Server 2019 (64-bit)","version":"15.0.2000.5","publisher":"Microsoft Corporation"},"#,
                "",
            )
            .replace("1748743200", "1748829600")
        })
        .collect();
    std::fs::write(&nightly, without_sql.join("\n")).unwrap();
    let done = s.json(&[
        "inventory",
        "import",
        nightly.to_str().unwrap(),
        "--date",
        "2025-06-02",
        "--snapshot",
    ]);
    assert_eq!(done["hosts"], 1, "{done}");
    assert_eq!(done["uninstalled"], 1, "{done}");
    assert_eq!(done["installed"], 0, "{done}");
    let pos = s.json(&["position", "--as-of", "2025-06-30"]);
    assert_eq!(row(&pos, "SQL Server")["used"], 4, "app02 alone");
    let pos = s.json(&["position", "--as-of", "2025-06-01"]);
    assert_eq!(row(&pos, "SQL Server")["used"], 16, "as of the day before");
}

/// Bad osquery files: each bad entry named by its JSON path (a document)
/// or line (a results log), a missing system_info said plainly, nothing
/// written, no store created.
#[test]
fn bad_osquery_files_are_refused_naming_each_entry() {
    let s = TestStore::new();
    let doc = s.path.with_file_name("bad.json");
    let db01 = std::fs::read_to_string(osquery_fixture("db01.json")).unwrap();
    std::fs::write(
        &doc,
        db01.replace(
            r#""cpu_physical_cores": "12""#,
            r#""cpu_physical_cores": "-12""#,
        ),
    )
    .unwrap();
    let err = s.fails(2, &["inventory", "import", doc.to_str().unwrap()]);
    assert!(
        err.contains("bad.json:system_info[0].cpu_physical_cores: cpu_physical_cores \"-12\" is not a whole number of at least 1"),
        "{err}"
    );
    std::fs::write(
        &doc,
        db01.replace(
            r#""cpu_logical_cores": "24""#,
            r#""cpu_logical_cores": "8""#,
        ),
    )
    .unwrap();
    let err = s.fails(2, &["inventory", "import", doc.to_str().unwrap()]);
    assert!(
        err.contains("bad.json:system_info[0].cpu_logical_cores:")
            && err.contains("fewer than the 12 cores"),
        "{err}"
    );
    let no_info = s.path.with_file_name("noinfo.json");
    std::fs::write(
        &no_info,
        r#"{"programs":[{"name":"Microsoft SQL Server 2019 (64-bit)","version":"15.0.2000.5","publisher":"Microsoft Corporation"}]}"#,
    )
    .unwrap();
    let err = s.fails(2, &["inventory", "import", no_info.to_str().unwrap()]);
    assert!(err.contains("noinfo.json:system_info: "), "{err}");
    assert!(err.contains("has no system_info"), "{err}");

    let log = s.path.with_file_name("bad.log");
    let fleet = std::fs::read_to_string(osquery_fixture("fleet.log")).unwrap();
    let mut lines: Vec<&str> = fleet.lines().collect();
    lines.insert(
        1,
        "{\"name\":\"pack_inventory_programs\",\"hostIdentifier\":",
    );
    lines.push(r#"{"name":"pack_inventory_programs","hostIdentifier":"web01","columns":{"name":"Microsoft SQL Server 2019 (64-bit)","publisher":"Microsoft Corporation"},"action":"added"}"#);
    lines.push(r#"{"name":"pack_inventory_system_info","hostIdentifier":"web02","columns":{"hostname":"web02","cpu_physical_cores":"0","cpu_logical_cores":"8"},"action":"added"}"#);
    std::fs::write(&log, lines.join("\n")).unwrap();
    let err = s.fails(
        2,
        &["inventory", "import", log.to_str().unwrap(), "--snapshot"],
    );
    assert!(err.contains("3 bad rows in"), "{err}");
    assert!(err.contains("bad.log:2: not a JSON object"), "{err}");
    assert!(
        err.contains("bad.log:12: ") && err.contains("has no system_info for host \"web01\""),
        "{err}"
    );
    assert!(
        err.contains("bad.log:13: columns.cpu_physical_cores: ")
            && err.contains("must be at least 1"),
        "{err}"
    );
    assert!(!s.path.join("FORMAT").exists(), "no store was created");
}

/// osquery's JSON through the server: `--server` sends the file as the
/// CSV goes, `POST /api/v1/imports/inventory` reads a results log as the
/// body (a dry run against the store's licenses), and a file without
/// system_info is refused naming it.
#[test]
fn osquery_json_is_imported_through_the_server() {
    use crate::serve::{admin, through_in, Served};
    let s = TestStore::new();
    osquery_licenses(&s);
    let server = Served::start(&s);
    let admin = admin(&server);
    admin.add_user(&server, "ed", "editor", &[]);
    let token = admin.token(&server, "ed");
    let dir = s.path.parent().unwrap();
    let file = osquery_fixture("db01.json");
    let out = through_in(
        dir,
        &server.url,
        &token,
        &[
            "inventory",
            "import",
            &file,
            "--date",
            "2025-06-01",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(done["installed"], 2, "{done}");
    assert_eq!(done["skipped"], 3, "{done}");

    let post = |query: &str, body: Vec<u8>| {
        reqwest::blocking::Client::new()
            .post(format!("{}/api/v1/imports/inventory?{query}", server.url))
            .bearer_auth(&token)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .unwrap()
    };
    let fleet = std::fs::read(osquery_fixture("fleet.log")).unwrap();
    let answer = post("filename=fleet.log&date=2025-06-01&dry_run=true", fleet);
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    let would: Value = answer.json().unwrap();
    assert_eq!(would["file"], "fleet.log", "{would}");
    assert_eq!(would["hosts"], 3, "{would}");
    assert_eq!(
        would["installed"], 3,
        "db01's are recorded already: {would}"
    );
    assert_eq!(would["facts"], 2, "{would}");
    assert_eq!(would["dry_run"], true);

    let refused = post(
        "filename=programs.json",
        br#"{"programs":[{"name":"Microsoft SQL Server 2019 (64-bit)","publisher":"Microsoft Corporation"}]}"#.to_vec(),
    );
    assert_eq!(refused.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = refused.json().unwrap();
    assert!(
        e.to_string()
            .contains("programs.json:system_info: the file has no system_info"),
        "{e}"
    );
    drop(server);
    assert!(s.log().contains(r#""actor":"ed""#));
}
