//! Continuous replication from `entitle serve` (`--replicate-to`, `[backup]
//! replicate_to`): the real server writing through its API, copying to a
//! directory and to a real S3 server (SeaweedFS, `s3_server.rs`), its
//! status polled until the copy holds the head; then the copy checked
//! with `backup verify` and restored, answering as the original. A burst
//! of writes makes few runs; an unreachable destination shows its error
//! while writes go on; bad settings are refused before anything listens.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::s3_server::{free_ports, server, SECRET_KEY};
use crate::serve::{admin, event, sign_in, two_vendor_store, Browser, Served, PASSWORD};
use crate::util::{write, TestStore};

/// The longest a test waits for the copy to catch up.
const CATCH_UP: Duration = Duration::from_secs(60);

fn status(admin: &Browser, server: &Served) -> Value {
    let r = admin.get(server, "/api/v1/replication");
    assert_eq!(r.status(), StatusCode::OK);
    r.json().unwrap()
}

/// Polls the status until `done` holds (bounded), and returns it.
fn wait_for(admin: &Browser, server: &Served, done: impl Fn(&Value) -> bool) -> Value {
    let began = Instant::now();
    loop {
        let now = status(admin, server);
        if done(&now) {
            return now;
        }
        assert!(
            began.elapsed() < CATCH_UP,
            "the replication status did not get there in {CATCH_UP:?}: {now}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn caught_up(s: &Value) -> bool {
    s["replicated_seq"] == s["head_seq"] && !s["running"].as_bool().unwrap_or(true)
}

fn manifests(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("manifests")).map_or(0, Iterator::count)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    )
}

/// Runs entitle with `more` (S3 variables) and requires success.
fn ok_with(s: &TestStore, args: &[&str], more: impl FnOnce(&mut Command)) -> String {
    let mut c = s.command(args);
    more(&mut c);
    let out = c.output().unwrap();
    assert!(out.status.success(), "entitle {args:?}: {}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// The copy verifies alone, and a store restored from it answers the
/// queries as the original (the server stopped, so the CLI may open it).
fn restores_as_the_original(s: &TestStore, dest: &str, env: impl Fn(&mut Command)) {
    let said = ok_with(s, &["backup", "verify", dest], &env);
    assert!(said.starts_with("intact:"), "{said}");
    let restored = s.path.with_file_name("restored");
    ok_with(s, &["restore", dest, restored.to_str().unwrap()], &env);
    let other = TestStore::at(restored);
    for q in [
        vec!["position", "--as-of", "2024-06-30"],
        vec!["state", "--as-of", "2024-06-30"],
        vec!["doc", "list"],
    ] {
        assert_eq!(s.json(&q), other.json(&q), "{q:?}");
    }
    assert_eq!(
        std::fs::read(s.log_path()).unwrap(),
        std::fs::read(other.log_path()).unwrap()
    );
}

/// The dashboard's replication line.
fn dashboard_line(who: &Browser, server: &Served, lang: &str) -> String {
    let page = who.get(server, &format!("/?lang={lang}")).text().unwrap();
    let at = page
        .find("id=\"replication\"")
        .expect("the replication line");
    let line = &page[at..];
    line[line.find('>').unwrap() + 1..line.find("</p>").unwrap()].to_owned()
}

#[test]
fn a_directory_copy_follows_the_writes_and_a_burst_makes_few_runs() {
    let store = two_vendor_store();
    let copy = store.path.with_file_name("offsite");
    let dest = copy.to_str().unwrap().to_owned();
    let served = Served::start_with(&store, |c| {
        c.args(["--replicate-to", &dest, "--replicate-delay", "1s"]);
    });
    let admin = admin(&served);
    // The start-up run catches up with what was written before.
    let first = wait_for(&admin, &served, caught_up);
    assert_eq!(first["enabled"], true, "{first}");
    assert_eq!(first["dest"], dest.as_str(), "{first}");
    assert_eq!(first["delay_ms"], 1000, "{first}");
    assert_eq!(first["lag_events"], 0, "{first}");
    assert_eq!(manifests(&copy), 1);

    // Twenty writes in a burst: copied within the delay, in few runs.
    let began = Instant::now();
    for n in 0..20 {
        let r = admin.post(&served, "/api/v1/events", &event("Acme", 20 + n));
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let burst = began.elapsed();
    let behind = status(&admin, &served);
    assert!(
        behind["head_seq"].as_u64().unwrap() >= first["head_seq"].as_u64().unwrap() + 20,
        "{behind}"
    );
    let done = wait_for(&admin, &served, caught_up);
    assert_eq!(done["head"], done["replicated_head"], "{done}");
    assert_eq!(done["lag_seconds"], 0, "{done}");
    assert_eq!(done["failing"], false, "{done}");
    let runs = manifests(&copy) - 1;
    assert!(
        (1..=3).contains(&runs),
        "20 writes in {burst:?} made {runs} copies, not one or a few"
    );

    // The line on the dashboard, in both languages; a viewer sees the
    // state but not where the copy goes.
    let seq = done["replicated_seq"].as_u64().unwrap();
    let en = dashboard_line(&admin, &served, "en");
    assert!(
        en.starts_with(&format!("Off-site copy up to date: to event #{seq} ("))
            && en.ends_with(&format!(" — to {dest}")),
        "{en}"
    );
    let de = dashboard_line(&admin, &served, "de");
    assert!(
        de.starts_with(&format!("Kopie außer Haus aktuell: bis Ereignis #{seq} (")),
        "{de}"
    );
    admin.add_user(&served, "vera", "viewer", &[]);
    let viewer = sign_in(&served, "vera", PASSWORD);
    let seen = status(&viewer, &served);
    assert_eq!(seen["replicated_seq"], seq, "{seen}");
    assert!(seen.get("dest").is_none(), "{seen}");
    assert!(!dashboard_line(&viewer, &served, "en").contains(&dest));

    assert!(served.terminate().success());
    restores_as_the_original(&store, &dest, |_| {});
}

#[test]
fn an_s3_copy_follows_the_writes_and_restores_as_the_original() {
    let weed = server();
    weed.create_bucket("replica", false);
    let store = two_vendor_store();
    let dest = "s3://replica/acme";
    let served = Served::start_with(&store, |c| {
        weed.env(c, SECRET_KEY);
        c.args(["--replicate-to", dest, "--replicate-delay", "1s"]);
    });
    let admin = admin(&served);
    wait_for(&admin, &served, caught_up);
    for n in 0..5 {
        let r = admin.post(&served, "/api/v1/events", &event("Borg", 30 + n));
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let done = wait_for(&admin, &served, |s| {
        caught_up(s) && s["head_seq"].as_u64() >= Some(11)
    });
    assert_eq!(done["dest"], dest, "{done}");
    let listed = weed.list("replica");
    let copies = listed
        .keys()
        .filter(|k| k.starts_with("acme/manifests/"))
        .count();
    assert!((2..=4).contains(&copies), "{listed:?}");
    assert!(served.terminate().success());
    restores_as_the_original(&store, dest, |c| {
        weed.env(c, SECRET_KEY);
    });
}

#[test]
fn an_unreachable_destination_shows_its_error_and_writes_go_on() {
    let store = two_vendor_store();
    // A port nothing listens on (bound, then freed).
    let port = free_ports(1)[0];
    let served = Served::start_with(&store, |c| {
        server().env(c, SECRET_KEY);
        c.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"));
        c.args([
            "--replicate-to",
            "s3://nowhere/acme",
            "--replicate-delay",
            "1s",
        ]);
    });
    let admin = admin(&served);
    let failing = wait_for(&admin, &served, |s| s["failing"] == true);
    let error = failing["last_error"].as_str().unwrap();
    assert!(
        error.contains("s3://nowhere/acme") && error.contains("tried 4 times"),
        "{failing}"
    );
    assert!(!error.contains(SECRET_KEY), "{error}");
    assert!(failing["next_try_at"].is_string(), "{failing}");
    assert_eq!(failing["replicated_seq"], Value::Null, "{failing}");

    // Writes are acknowledged as ever, and counted as not copied.
    let began = Instant::now();
    let r = admin.post(&served, "/api/v1/events", &event("Acme", 99));
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
    let now = status(&admin, &served);
    assert_eq!(now["lag_events"], now["head_seq"], "{now}");
    let page = admin.get(&served, "/").text().unwrap();
    assert!(
        page.contains(
            "id=\"replication\" class=\"error-summary\" role=\"alert\">The off-site copy FAILS ("
        ),
        "{page}"
    );
    admin.add_user(&served, "vera", "viewer", &[]);
    let seen = status(&sign_in(&served, "vera", PASSWORD), &served);
    assert_eq!(seen["failing"], true, "{seen}");
    assert!(seen.get("last_error").is_none(), "{seen}");

    // SIGTERM with a copy failing (perhaps in flight): a clean, bounded stop.
    let began = Instant::now();
    assert!(served.terminate().success());
    assert!(
        began.elapsed() < Duration::from_secs(12),
        "{:?}",
        began.elapsed()
    );
}

#[test]
fn bad_replication_settings_are_refused_naming_the_file_line_and_key() {
    let store = TestStore::new();
    store.ok(&crate::util::purchase("Acme", "10", &[]));
    let settings = store.path.join("entitle.toml");
    write(
        &settings,
        "[backup]\nreplicate_to = \"/tmp/offsite\"\nreplicate_delay = \"ten seconds\"\n",
    );
    let err = store.fails(2, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(
        err.contains("entitle.toml line 3: backup.replicate_delay \"ten seconds\" is not a delay like \"10s\""),
        "{err}"
    );
    write(
        &settings,
        "# off-site\n[backup]\nreplicate_to = \"ftp://backup.example.com/entitle\"\n",
    );
    let err = store.fails(2, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(
        err.contains("entitle.toml line 3: backup.replicate_to \"ftp://backup.example.com/entitle\" has the scheme ftp://"),
        "{err}"
    );
    write(&settings, "[backup]\nreplicate_every = \"10s\"\n");
    let err = store.fails(2, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(
        err.contains("entitle.toml line 2") && err.contains("backup.replicate_every"),
        "{err}"
    );
    std::fs::remove_file(&settings).unwrap();
    let err = store.fails(
        2,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--replicate-to",
            "/x",
            "--replicate-delay",
            "0s",
        ],
    );
    assert!(err.contains("replicate-delay"), "{err}");
}

/// A backup started through the API (and the admin page) uses the
/// `[backup]` settings of the file `serve` was given with `--config`, not
/// only the store's own `entitle.toml`: here the S3 endpoint is known from
/// that file alone.
#[test]
fn a_backup_through_the_api_uses_the_settings_file_serve_was_given() {
    let weed = server();
    weed.create_bucket("viaconfig", false);
    let store = two_vendor_store();
    let settings = tempfile::tempdir().unwrap();
    let file = settings.path().join("elsewhere.toml");
    write(
        &file,
        &format!(
            "[backup]\nendpoint = \"{}\"\nregion = \"us-east-1\"\n",
            weed.endpoint
        ),
    );
    let served = Served::start_with(&store, |c| {
        weed.env(c, SECRET_KEY);
        c.env_remove("AWS_ENDPOINT_URL").env_remove("AWS_REGION");
        c.arg("--config").arg(&file);
    });
    let admin = admin(&served);
    let r = admin.post(
        &served,
        "/api/v1/backups",
        &serde_json::json!({"dest": "s3://viaconfig/acme"}),
    );
    let status = r.status();
    let body: Value = r.json().unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed = weed.list("viaconfig");
    assert!(
        listed.keys().any(|k| k.starts_with("acme/manifests/")),
        "{listed:?}"
    );
    assert!(served.terminate().success());
}
