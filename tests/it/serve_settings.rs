//! `entitle serve`'s settings: HTTPS in-process from the `[server]`
//! section of `<store>/entitle.toml`, flags beating the file, and every
//! bad setting refused before anything listens, naming the file, line
//! and key.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Stdio};

use reqwest::StatusCode;

use crate::util::{write, TestStore};

/// A self-signed certificate for 127.0.0.1 and localhost, written next
/// to the store (the key owner-only); returns the certificate's PEM.
fn certificate(dir: &Path) -> String {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("a self-signed certificate");
    let pem = cert.cert.pem();
    write(&dir.join("cert.pem"), &pem);
    let key = dir.join("key.pem");
    write(&key, &cert.signing_key.serialize_pem());
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    pem
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `entitle serve` with `args`; returns it, its URL and the
/// setup token it printed.
fn serve(store: &TestStore, args: &[&str]) -> (Running, String, String) {
    let mut all = vec!["serve"];
    all.extend_from_slice(args);
    let mut child = store
        .command(&all)
        .env("ENTITLE_LOG", "warn")
        .env_remove("ENTITLE_LISTEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start entitle serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a first line").expect("utf-8");
    let url = first.rsplit(' ').next().unwrap().to_owned();
    let mut setup = String::new();
    for line in lines.by_ref().take(5) {
        let line = line.expect("utf-8");
        // The browser link: `{url}/setup?token=…`.
        if let Some(rest) = line.split("/setup?token=").nth(1) {
            setup = rest.trim().to_owned();
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (Running(child), url, setup)
}

fn store_with_a_license() -> TestStore {
    let store = TestStore::new();
    store.ok(&crate::util::purchase("Acme", "10", &[]));
    store
}

#[test]
fn the_settings_file_turns_on_https_with_hsts_and_a_host_only_secure_cookie() {
    let store = store_with_a_license();
    let pem = certificate(&store.path);
    // Relative paths are taken from the file's folder.
    write(
        &store.path.join("entitle.toml"),
        "# entitle serve's settings\n[server]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n",
    );
    let (_server, url, setup) = serve(&store, &[]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let client = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let anonymous = client.get(format!("{url}/api/v1/position")).send().unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let hsts = anonymous.headers()["strict-transport-security"]
        .to_str()
        .unwrap();
    assert!(hsts.contains("max-age="), "{hsts}");

    // The first admin through the setup token; the session cookie is
    // the __Host- kind, which a browser only keeps when Secure.
    assert!(!setup.is_empty(), "a new store prints a setup token");
    let created = client
        .post(format!("{url}/api/v1/setup"))
        .json(&serde_json::json!({"token": setup, "name": "admin", "password": "correct horse battery"}))
        .send()
        .unwrap();
    assert!(created.status().is_success(), "{}", created.status());
    let signed_in = client
        .post(format!("{url}/api/v1/session"))
        .json(&serde_json::json!({"name": "admin", "password": "correct horse battery"}))
        .send()
        .unwrap();
    assert!(signed_in.status().is_success(), "{}", signed_in.status());
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-entitle_session="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );

    // Plain HTTP to the same port is not answered as HTTP.
    let plain = reqwest::blocking::get(url.replace("https://", "http://") + "/api/v1/position");
    assert!(plain.map_or(true, |r| r.status() != StatusCode::UNAUTHORIZED));
}

#[test]
fn a_flag_beats_the_file_and_https_can_be_given_on_the_command_line() {
    let store = store_with_a_license();
    certificate(&store.path);
    // The file's listen would fail to parse: the flag is used instead,
    // and the file's value is never looked at.
    write(
        &store.path.join("entitle.toml"),
        "[server]\nlisten = \"not an address\"\n",
    );
    let cert = store.path.join("cert.pem");
    let key = store.path.join("key.pem");
    let (_server, url, _) = serve(
        &store,
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(url.starts_with("https://"), "{url}");
}

#[test]
fn bad_settings_are_refused_before_anything_listens() {
    let store = store_with_a_license();
    let settings = store.path.join("entitle.toml");

    write(
        &settings,
        "[server]\nlisten = \"127.0.0.1:0\"\nlistn = \"0.0.0.0:80\"\n",
    );
    let err = store.fails(2, &["serve"]);
    assert!(
        err.contains("entitle.toml line 3")
            && err.contains("server.listn")
            && err.contains("unknown field"),
        "{err}"
    );

    write(&settings, "[server]\nlisten = \"localhost:http\"\n");
    let err = store.fails(2, &["serve"]);
    assert!(
        err.contains("server.listen \"localhost:http\" is not an address like 127.0.0.1:8080"),
        "{err}"
    );

    write(&settings, "[server]\nlisten = \"0.0.0.0:0\"\n");
    let err = store.fails(2, &["serve"]);
    assert!(
        err.contains("entitle.toml: server.listen \"0.0.0.0:0\" is reachable from other machines")
            && err.contains("tls_cert")
            && !err.contains("--listen"),
        "{err}"
    );

    certificate(&store.path);
    let key = store.path.join("key.pem");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    write(
        &settings,
        "[server]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n",
    );
    let err = store.fails(2, &["serve"]);
    assert!(
        err.contains("others may read it") && err.contains("chmod 600"),
        "{err}"
    );

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    write(&store.path.join("cert.pem"), "not a certificate\n");
    let err = store.fails(2, &["serve"]);
    assert!(
        err.contains("tls-cert") && err.contains("holds no certificate"),
        "{err}"
    );

    write(&settings, "[server]\ntls_cert = \"cert.pem\"\n");
    let err = store.fails(2, &["serve"]);
    assert!(err.contains("only one of tls_cert and tls_key"), "{err}");

    let err = store.fails(2, &["--config", "/nonexistent/entitle.toml", "serve"]);
    assert!(
        err.contains("/nonexistent/entitle.toml") && err.contains("cannot be read"),
        "{err}"
    );
}
