//! `entitle serve` as a real process on an ephemeral port, spoken to over
//! real HTTP: the first admin, sessions and CSRF, the authorization
//! matrix with an auditor who sees one vendor, throttling, tokens,
//! uploads, concurrent writers and a SIGTERM in the middle of them.

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::util::{bin, TestStore};

pub(crate) const PASSWORD: &str = "correct horse battery";

/// A running `entitle serve`.
pub(crate) struct Served {
    child: Child,
    pub(crate) url: String,
    pub(crate) setup: Option<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    pub(crate) fn start(store: &TestStore) -> Served {
        Served::start_with(store, |_| {})
    }

    /// [`Served::start`] with more flags or variables set by `more`.
    pub(crate) fn start_with(store: &TestStore, more: impl FnOnce(&mut Command)) -> Served {
        let mut command = Command::new(bin());
        command
            .arg("--store")
            .arg(&store.path)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("ENTITLE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        more(&mut command);
        let mut child = command.spawn().expect("start entitle serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("a first line").expect("utf-8");
        let url = first
            .rsplit(' ')
            .next()
            .expect("the url ends the first line")
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{first}");
        let mut setup = None;
        if store_is_new_to_accounts(store) {
            for line in lines.by_ref().take(5) {
                let line = line.expect("utf-8");
                if let Some(rest) = line.split("\"token\":\"").nth(1) {
                    setup = rest.split('"').next().map(str::to_owned);
                }
            }
        }
        // Keep reading so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Served { child, url, setup }
    }

    pub(crate) fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// SIGTERM, and the exit status.
    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let status = self.child.wait().expect("the server exits");
        std::mem::forget(self);
        status
    }
}

fn store_is_new_to_accounts(store: &TestStore) -> bool {
    !store.path.join("auth").join("accounts.json").exists()
}

/// A store with one license of each of two vendors, and a document of
/// each whose text only that vendor's contract has.
pub(crate) fn two_vendor_store() -> TestStore {
    two_vendor_store_in(TestStore::new())
}

/// [`two_vendor_store`] made in `s`.
fn two_vendor_store_in(s: TestStore) -> TestStore {
    for (vendor, id) in [("Acme", "L-0001"), ("Borg", "L-0002")] {
        s.ok(&[
            "purchase",
            "--id",
            id,
            "--vendor",
            vendor,
            "--product",
            "Anvil",
            "--metric",
            "user",
            "--qty",
            "10",
            "--start",
            "2024-01-01",
            "--end",
            "2030-12-31",
            "--cost",
            "1000",
            "--currency",
            "EUR",
            "--notice-days",
            "30",
        ]);
        s.ok(&[
            "usage",
            "record",
            "--vendor",
            vendor,
            "--product",
            "Anvil",
            "--metric",
            "user",
            "--count",
            "12",
            "--date",
            "2024-06-01",
        ]);
    }
    let dir = tempfile::tempdir().unwrap();
    let acme = dir.path().join("acme-contract.txt");
    std::fs::write(&acme, "Acme framework agreement: quarterly true-up").unwrap();
    let borg = dir.path().join("borg-contract.txt");
    std::fs::write(
        &borg,
        "Borg agreement: resistance is futile, assimilation clause",
    )
    .unwrap();
    s.ok(&[
        "attach",
        "L-0001",
        acme.to_str().unwrap(),
        "--kind",
        "contract",
    ]);
    s.ok(&[
        "attach",
        "L-0002",
        borg.to_str().unwrap(),
        "--kind",
        "contract",
    ]);
    s
}

fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A signed-in browser and its CSRF token.
pub(crate) struct Browser {
    pub(crate) http: Client,
    pub(crate) csrf: String,
}

pub(crate) fn sign_in(server: &Served, name: &str, password: &str) -> Browser {
    let http = client();
    let r = http
        .post(server.at("/api/v1/session"))
        .json(&json!({"name": name, "password": password}))
        .send()
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "sign-in of {name}: {}",
        r.text().unwrap()
    );
    let me: Value = r.json().unwrap();
    Browser {
        http,
        csrf: me["csrf_token"].as_str().unwrap().to_owned(),
    }
}

/// The first admin through the setup token, signed in.
pub(crate) fn admin(server: &Served) -> Browser {
    let token = server
        .setup
        .clone()
        .expect("a setup token on a store without accounts");
    let r = client()
        .post(server.at("/api/v1/setup"))
        .json(&json!({"token": token, "name": "admin", "password": PASSWORD}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().unwrap());
    sign_in(server, "admin", PASSWORD)
}

impl Browser {
    pub(crate) fn get(&self, server: &Served, path: &str) -> Response {
        self.http.get(server.at(path)).send().unwrap()
    }

    pub(crate) fn post(&self, server: &Served, path: &str, body: &Value) -> Response {
        self.http
            .post(server.at(path))
            .header("X-CSRF-Token", &self.csrf)
            .json(body)
            .send()
            .unwrap()
    }

    pub(crate) fn add_user(&self, server: &Served, name: &str, role: &str, vendors: &[&str]) {
        let r = self.post(
            server,
            "/api/v1/users",
            &json!({"name": name, "role": role, "vendors": vendors, "password": PASSWORD}),
        );
        assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().unwrap());
    }

    pub(crate) fn token(&self, server: &Served, user: &str) -> String {
        let r = self.post(
            server,
            "/api/v1/tokens",
            &json!({"user": user, "name": "test"}),
        );
        assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().unwrap());
        r.json::<Value>().unwrap()["secret"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

pub(crate) fn bearer(server: &Served, token: &str, path: &str) -> Response {
    client()
        .get(server.at(path))
        .bearer_auth(token)
        .send()
        .unwrap()
}

pub(crate) fn event(vendor: &str, count: u64) -> Value {
    json!({"type": "usage_recorded", "vendor": vendor, "product": "Anvil", "metric": "user",
           "count": count, "effective": "2024-07-01"})
}

#[test]
fn the_first_admin_signs_in_and_a_write_needs_the_sites_csrf_token() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    // Nothing without signing in.
    let anon = client().get(server.at("/api/v1/position")).send().unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let error: Value = anon.json().unwrap();
    assert_eq!(error["error"]["kind"], "unauthenticated");

    let admin = admin(&server);
    // The setup token works once.
    let again = client()
        .post(server.at("/api/v1/setup"))
        .json(&json!({"token": server.setup.clone().unwrap(), "name": "eve", "password": PASSWORD}))
        .send()
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);

    let position: Value = admin
        .get(&server, "/api/v1/position?as_of=2024-06-30")
        .json()
        .unwrap();
    assert_eq!(position["products"].as_array().unwrap().len(), 2);
    let r = admin.get(&server, "/api/v1/position?as_of=2024-02-30");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().unwrap()["error"]["field"], "as_of");
    let r = admin.get(&server, "/api/v1/position?asof=2024-06-30");
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "an unknown parameter is an error"
    );

    // A write without the CSRF token, or from another site, is refused.
    let no_token = admin
        .http
        .post(server.at("/api/v1/events"))
        .json(&event("Acme", 5))
        .send()
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    let cross = admin
        .http
        .post(server.at("/api/v1/events"))
        .header("X-CSRF-Token", &admin.csrf)
        .header("Origin", "https://evil.example")
        .header("Sec-Fetch-Site", "cross-site")
        .json(&event("Acme", 5))
        .send()
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let before = store.log().lines().count();
    assert_eq!(before, store.log().lines().count(), "nothing was recorded");
    let ok = admin.post(&server, "/api/v1/events", &event("Acme", 5));
    assert_eq!(ok.status(), StatusCode::CREATED);
    let recorded: Value = ok.json().unwrap();
    assert_eq!(recorded["events"], 1);
    assert!(
        store.log().contains("\"actor\":\"admin\""),
        "the signed-in user is the actor"
    );

    // Security headers on every answer.
    let r = admin.get(&server, "/api/v1/state");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for part in [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");

    // Signing out ends the session on the server.
    let cookie_jar_client = &admin.http;
    let out = cookie_jar_client
        .delete(server.at("/api/v1/session"))
        .header("X-CSRF-Token", &admin.csrf)
        .send()
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        admin.get(&server, "/api/v1/state").status(),
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn a_session_id_is_new_at_every_sign_in_and_a_made_up_one_is_refused() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let _admin = admin(&server);
    let cookie = |r: &Response| {
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    };
    let sign = || {
        Client::new()
            .post(server.at("/api/v1/session"))
            .json(&json!({"name": "admin", "password": PASSWORD}))
            .send()
            .unwrap()
    };
    let (a, b) = (sign(), sign());
    let set = a.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    assert_ne!(cookie(&a), cookie(&b));
    let forged = Client::new()
        .get(server.at("/api/v1/state"))
        .header(
            "Cookie",
            "entitle_session=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        )
        .send()
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let real = Client::new()
        .get(server.at("/api/v1/state"))
        .header("Cookie", cookie(&a))
        .send()
        .unwrap();
    assert_eq!(real.status(), StatusCode::OK);
}

#[test]
fn an_auditor_sees_one_vendor_and_nothing_of_the_other() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    admin.add_user(&server, "anna", "auditor", &["Acme"]);
    admin.add_user(&server, "ed", "editor", &[]);
    admin.add_user(&server, "vic", "viewer", &[]);
    let auditor = admin.token(&server, "anna");
    let viewer = admin.token(&server, "vic");
    let editor = admin.token(&server, "ed");

    let docs: Value = admin.get(&server, "/api/v1/documents").json().unwrap();
    let hash_of = |vendor: &str| {
        docs["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d.to_string().contains(vendor))
            .map(|d| d["hash"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("a document of {vendor} in {docs}"))
    };
    let (acme_doc, borg_doc) = (hash_of("acme-contract"), hash_of("borg-contract"));

    // Every role reads; the auditor's answers hold only Acme.
    for path in [
        "/api/v1/position?as_of=2024-06-30",
        "/api/v1/state?as_of=2024-06-30",
        "/api/v1/spend",
        "/api/v1/renewals?as_of=2030-11-01&within=90",
        "/api/v1/documents",
    ] {
        for token in [&auditor, &viewer, &editor] {
            assert_eq!(
                bearer(&server, token, path).status(),
                StatusCode::OK,
                "{path}"
            );
        }
        let text = bearer(&server, &auditor, path).text().unwrap();
        assert!(
            !text.contains("Borg") && !text.contains("L-0002"),
            "{path} leaks: {text}"
        );
        assert!(
            admin.get(&server, path).text().unwrap().contains("Borg"),
            "{path}"
        );
    }
    // B's objects are 404, exactly like objects that do not exist.
    let missing = bearer(&server, &auditor, "/api/v1/licenses/L-9999/history");
    let (status, unknown) = (missing.status(), missing.text().unwrap());
    let theirs = bearer(&server, &auditor, "/api/v1/licenses/L-0002/history");
    assert_eq!(theirs.status(), status);
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        theirs.text().unwrap().replace("L-0002", "L-9999"),
        unknown,
        "the answer for another vendor's license reads like one for no license"
    );
    assert_eq!(
        bearer(&server, &auditor, "/api/v1/licenses/L-0001/history").status(),
        StatusCode::OK
    );
    for path in [
        format!("/api/v1/documents/{borg_doc}"),
        format!("/api/v1/documents/{borg_doc}/content"),
        format!("/api/v1/documents/{borg_doc}/text"),
    ] {
        let r = bearer(&server, &auditor, &path);
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!r.text().unwrap().contains("Borg"));
    }
    assert_eq!(
        bearer(
            &server,
            &auditor,
            &format!("/api/v1/documents/{acme_doc}/content")
        )
        .status(),
        StatusCode::OK
    );
    let text: Value = bearer(
        &server,
        &auditor,
        &format!("/api/v1/documents/{acme_doc}/text"),
    )
    .json()
    .unwrap();
    assert_eq!(
        text["text"], "Acme framework agreement: quarterly true-up",
        "{text}"
    );
    // A word only Borg's contract holds finds nothing for the auditor.
    let hits: Value = bearer(&server, &auditor, "/api/v1/search?q=assimilation")
        .json()
        .unwrap();
    assert_eq!(hits["hits"].as_array().unwrap().len(), 0, "{hits}");
    assert!(!hits.to_string().contains("Borg"));
    let hits: Value = bearer(&server, &viewer, "/api/v1/search?q=assimilation")
        .json()
        .unwrap();
    assert_eq!(hits["hits"].as_array().unwrap().len(), 1, "{hits}");
    // The whole chain is not theirs to export.
    assert_eq!(
        bearer(&server, &auditor, "/api/v1/export").status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bearer(&server, &viewer, "/api/v1/export").status(),
        StatusCode::OK
    );
    // The reminders (every vendor's follow-up, with recipients) are not
    // an auditor's; the other roles read them, recipients hidden from a
    // viewer.
    assert_eq!(
        bearer(&server, &auditor, "/api/v1/reminders").status(),
        StatusCode::FORBIDDEN
    );
    for token in [&viewer, &editor] {
        let r = bearer(&server, token, "/api/v1/reminders");
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().unwrap();
        assert_eq!(v["recipients_shown"], token == &editor, "{v}");
    }
    // Counts and the chain head are everyone's.
    let v: Value = bearer(&server, &auditor, "/api/v1/verify").json().unwrap();
    assert_eq!(v["intact"], true);

    // Only editors and admins write; only admins manage accounts.
    let write = |token: &str| {
        client()
            .post(server.at("/api/v1/events"))
            .bearer_auth(token)
            .json(&event("Acme", 7))
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(write(&auditor), StatusCode::FORBIDDEN);
    assert_eq!(write(&viewer), StatusCode::FORBIDDEN);
    assert_eq!(write(&editor), StatusCode::CREATED);
    for token in [&auditor, &viewer, &editor] {
        assert_eq!(
            bearer(&server, token, "/api/v1/users").status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            bearer(&server, token, "/api/v1/access-log").status(),
            StatusCode::FORBIDDEN
        );
    }
    let log: Value = admin.get(&server, "/api/v1/access-log").json().unwrap();
    assert!(log.to_string().contains("token-create"), "{log}");
    assert!(!log.to_string().contains(PASSWORD));
}

#[test]
fn the_sixth_wrong_password_is_throttled_and_an_unknown_user_answers_the_same() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let _admin = admin(&server);
    let try_sign_in = |name: &str, password: &str| {
        client()
            .post(server.at("/api/v1/session"))
            .json(&json!({"name": name, "password": password}))
            .send()
            .unwrap()
    };
    let unknown = try_sign_in("nobody", "wrong password!");
    let wrong = try_sign_in("admin", "wrong password!");
    assert_eq!(unknown.status(), wrong.status());
    assert_eq!(unknown.text().unwrap(), wrong.text().unwrap());
    // Five failures from this address so far after three more.
    for _ in 0..3 {
        assert_eq!(
            try_sign_in("admin", "wrong password!").status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let throttled = try_sign_in("admin", PASSWORD);
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0);
}

#[test]
fn a_revoked_token_and_a_disabled_users_session_stop_at_once() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    admin.add_user(&server, "vic", "viewer", &[]);
    let token = admin.token(&server, "vic");
    assert_eq!(
        bearer(&server, &token, "/api/v1/state").status(),
        StatusCode::OK
    );
    let tokens: Value = admin.get(&server, "/api/v1/tokens").json().unwrap();
    let id = tokens[0]["id"].as_str().unwrap().to_owned();
    let r = admin
        .http
        .delete(server.at(&format!("/api/v1/tokens/{id}")))
        .header("X-CSRF-Token", &admin.csrf)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        bearer(&server, &token, "/api/v1/state").status(),
        StatusCode::UNAUTHORIZED
    );

    let vic = sign_in(&server, "vic", PASSWORD);
    assert_eq!(vic.get(&server, "/api/v1/state").status(), StatusCode::OK);
    let r = admin
        .http
        .patch(server.at("/api/v1/users/vic"))
        .header("X-CSRF-Token", &admin.csrf)
        .json(&json!({"disabled": true}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().unwrap());
    assert_eq!(
        vic.get(&server, "/api/v1/state").status(),
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn uploads_are_stored_whole_or_not_at_all() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let blobs = || walk(&store.path.join("blobs"));
    let before = blobs();
    let form = reqwest::blocking::multipart::Form::new().part(
        "file",
        reqwest::blocking::multipart::Part::bytes(b"Invoice 2024-17: 10 seats".to_vec())
            .file_name("invoice-17.txt"),
    );
    let r = admin
        .http
        .post(server.at("/api/v1/documents?license=L-0001&kind=invoice"))
        .header("X-CSRF-Token", &admin.csrf)
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().unwrap());
    let done: Value = r.json().unwrap();
    let hash = done["documents"][0]["hash"].as_str().unwrap().to_owned();
    let got = admin.get(&server, &format!("/api/v1/documents/{hash}/content"));
    assert_eq!(got.headers()["x-content-type-options"], "nosniff");
    assert!(got.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(got.bytes().unwrap().as_ref(), b"Invoice 2024-17: 10 seats");
    assert_eq!(blobs().len(), before.len() + 1);

    // Larger than a JSON body may be: an upload has its own limit.
    let big = vec![b'x'; 70 << 20];
    let form = reqwest::blocking::multipart::Form::new().part(
        "file",
        reqwest::blocking::multipart::Part::bytes(big).file_name("scan.txt"),
    );
    let r = admin
        .http
        .post(server.at("/api/v1/documents?license=L-0001&kind=other"))
        .header("X-CSRF-Token", &admin.csrf)
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().unwrap());
    let before = blobs();

    // No file, two files, an unknown license: refused, nothing kept.
    let empty = reqwest::blocking::multipart::Form::new().text("note", "x");
    let r = admin
        .http
        .post(server.at("/api/v1/documents?license=L-0001"))
        .header("X-CSRF-Token", &admin.csrf)
        .multipart(empty)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let part =
        || reqwest::blocking::multipart::Part::bytes(b"other bytes".to_vec()).file_name("o.txt");
    let two = reqwest::blocking::multipart::Form::new()
        .part("file", part())
        .part("file", part());
    let r = admin
        .http
        .post(server.at("/api/v1/documents?license=L-0001"))
        .header("X-CSRF-Token", &admin.csrf)
        .multipart(two)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = admin
        .http
        .post(server.at("/api/v1/documents?license=L-0404"))
        .header("X-CSRF-Token", &admin.csrf)
        .multipart(reqwest::blocking::multipart::Form::new().part("file", part()))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // A client that leaves mid-upload leaves nothing behind.
    let token = admin.token(&server, "admin");
    let address = server.url.trim_start_matches("http://").to_owned();
    let mut tcp = std::net::TcpStream::connect(&address).unwrap();
    let head = format!(
        "POST /api/v1/documents?license=L-0001 HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 100000\r\n\r\n\
         --XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.txt\"\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).unwrap();
    tcp.write_all(&[b'a'; 5000]).unwrap();
    drop(tcp);
    std::thread::sleep(Duration::from_millis(500));
    let after = blobs();
    assert_eq!(
        after.len(),
        before.len(),
        "nothing of the cut upload is kept: {after:?}"
    );
}

/// A multipart upload of `size` bytes of one repeated byte, streamed (never
/// held in memory), by the admin's session.
fn upload_stream(admin: &Browser, server: &Served, size: u64) -> reqwest::blocking::Response {
    let body = std::io::Read::take(std::io::repeat(b'x'), size);
    let form = reqwest::blocking::multipart::Form::new().part(
        "file",
        reqwest::blocking::multipart::Part::reader_with_length(body, size).file_name("big.bin"),
    );
    admin
        .http
        .post(server.at("/api/v1/documents?license=L-0001&kind=other"))
        .header("X-CSRF-Token", &admin.csrf)
        .timeout(Duration::from_secs(600))
        .multipart(form)
        .send()
        .unwrap()
}

/// A file one byte over the upload limit (1 GiB) is refused with 413, and
/// nothing of it stays on the disk.
#[test]
fn an_upload_over_one_gib_is_413_and_leaves_nothing() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let blobs = || walk(&store.path.join("blobs"));
    let before = blobs();
    let at = head_seq(&admin, &server);
    let r = upload_stream(&admin, &server, (1 << 30) + 1);
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let error: Value = r.json().unwrap();
    assert_eq!(error["error"]["kind"], "too_large", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1073741824 bytes"),
        "{error}"
    );
    assert_eq!(blobs(), before, "nothing of it is kept");
    assert_eq!(head_seq(&admin, &server), at, "nothing was recorded");
}

/// A disk that fills up during an upload answers 507 with what to do; the
/// partial file is removed, nothing is recorded, the store stays whole,
/// and once there is room the next upload works. (A small tmpfs is the
/// full disk: mounting one needs root, as CI runs.)
#[test]
fn a_full_disk_during_an_upload_is_507_and_the_store_stays_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("small");
    std::fs::create_dir(&mount).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=12m", "tmpfs"])
        .arg(&mount)
        .status()
        .is_ok_and(|s| s.success());
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if !mounted {
        assert!(!root, "root could not mount a tmpfs at {}", mount.display());
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount.clone());
    let store = two_vendor_store_in(TestStore::at(mount.join("store")));
    {
        let server = Served::start(&store);
        let admin = admin(&server);
        let blobs = || walk(&store.path.join("blobs"));
        let before = blobs();
        let at = head_seq(&admin, &server);
        let r = upload_stream(&admin, &server, 32 << 20);
        assert_eq!(r.status(), StatusCode::INSUFFICIENT_STORAGE);
        let error: Value = r.json().unwrap();
        assert_eq!(error["error"]["kind"], "io", "{error}");
        assert!(
            error["error"]["hint"]
                .as_str()
                .is_some_and(|h| h.contains("the disk is full")),
            "{error}"
        );
        assert_eq!(blobs(), before, "the partial file is removed");
        assert_eq!(head_seq(&admin, &server), at, "nothing was recorded");
        let r = upload_stream(&admin, &server, 1 << 20);
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "room again: {}",
            r.text().unwrap()
        );
        let verified: Value = admin.get(&server, "/api/v1/verify").json().unwrap();
        assert_eq!(verified["intact"], true, "{verified}");
    }
    store.ok(&["verify"]);
}

/// The seq the records stand at.
fn head_seq(admin: &Browser, server: &Served) -> u64 {
    admin
        .get(server, "/api/v1/position")
        .json::<Value>()
        .unwrap()["known_at_seq"]
        .as_u64()
        .unwrap()
}

/// Every file under a directory.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn eight_clients_writing_at_once_record_every_acknowledged_event_once() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    admin.add_user(&server, "ed", "editor", &[]);
    let token = admin.token(&server, "ed");
    let before = store.log().lines().count();
    let seqs: Vec<u64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|w| {
                let (url, token) = (server.at("/api/v1/events"), token.clone());
                scope.spawn(move || {
                    let http = client();
                    (0..200)
                        .map(|i| {
                            let r = http
                                .post(&url)
                                .bearer_auth(&token)
                                .json(&event("Acme", 1000 + w * 1000 + i))
                                .send()
                                .unwrap();
                            assert_eq!(r.status(), StatusCode::CREATED);
                            r.json::<Value>().unwrap()["first_seq"].as_u64().unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let mut unique = seqs.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 1600);
    drop(server);
    assert_eq!(store.log().lines().count(), before + 1600);
    store.ok(&["verify"]);
}

/// The server keeps its last positions for the next identical question:
/// a write must show at once, an earlier moment must still answer as it
/// did, and eight readers asking one new question at once all get it.
#[test]
fn a_kept_position_never_hides_a_write_and_an_earlier_moment_answers_as_before() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let acme_used = |path: &str| -> (u64, u64) {
        let p: Value = admin.get(&server, path).json().unwrap();
        let row = p["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["vendor"] == "Acme")
            .unwrap_or_else(|| panic!("an Acme row in {p}"))
            .clone();
        (
            row["used"].as_u64().unwrap(),
            p["known_at_seq"].as_u64().unwrap(),
        )
    };
    let (used, seq) = acme_used("/api/v1/position?as_of=2024-12-31");
    assert_eq!(used, 12);
    assert_eq!(acme_used("/api/v1/position?as_of=2024-12-31"), (12, seq));

    let r = admin.post(&server, "/api/v1/events", &event("Acme", 7));
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().unwrap());
    assert_eq!(
        acme_used("/api/v1/position?as_of=2024-12-31"),
        (7, seq + 1),
        "the position after a write shows it"
    );
    assert_eq!(
        acme_used(&format!(
            "/api/v1/position?as_of=2024-12-31&known_at=%23{seq}"
        )),
        (12, seq),
        "as known before the write, as before"
    );
    // The dashboard asks the same kept question and shows the same count.
    let page = admin.get(&server, "/?as_of=2024-12-31").text().unwrap();
    assert!(
        page.contains(">7<"),
        "the dashboard shows the new count: {page}"
    );

    let answers: Vec<Value> = std::thread::scope(|scope| {
        let readers: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    admin
                        .get(&server, "/api/v1/position?as_of=2025-03-31")
                        .json::<Value>()
                        .unwrap()
                })
            })
            .collect();
        readers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert!(answers
        .iter()
        .all(|a| a == &answers[0] && a["as_of"] == "2025-03-31"));
}

#[test]
fn sigterm_while_clients_write_loses_no_acknowledged_write() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let token = admin.token(&server, "admin");
    let url = server.at("/api/v1/events");
    let acknowledged: Vec<u64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let (url, token) = (url.clone(), token.clone());
                scope.spawn(move || {
                    let http = client();
                    let mut acked = Vec::new();
                    for i in 0..10_000u64 {
                        let Ok(r) = http
                            .post(&url)
                            .bearer_auth(&token)
                            .json(&event("Acme", 50_000 + w * 10_000 + i))
                            .send()
                        else {
                            break;
                        };
                        if r.status() != StatusCode::CREATED {
                            break;
                        }
                        let Ok(v) = r.json::<Value>() else { break };
                        acked.push(v["first_seq"].as_u64().unwrap());
                    }
                    acked
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(800));
        let status = server.terminate();
        assert!(
            status.success(),
            "the server exits 0 after SIGTERM: {status:?}"
        );
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(
        !acknowledged.is_empty(),
        "writes were acknowledged before the signal"
    );
    store.ok(&["verify"]);
    let log = store.log();
    let seqs: std::collections::HashSet<u64> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    for seq in acknowledged {
        assert!(seqs.contains(&seq), "acknowledged #{seq} is in the log");
    }
}

#[test]
fn a_local_command_on_a_served_store_names_the_server_at_once() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let began = std::time::Instant::now();
    let err = store.fails(2, &["state"]);
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "it does not wait"
    );
    assert!(err.contains("entitle serve"), "{err}");
    assert!(err.contains(&server.url), "{err}");
}

#[test]
fn a_nightly_usage_import_runs_through_a_token_with_a_dry_run_first() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    admin.add_user(&server, "ci", "editor", &[]);
    let token = admin.token(&server, "ci");
    let post = |query: &str, body: &str| {
        client()
            .post(server.at(&format!("/api/v1/imports/usage?{query}")))
            .bearer_auth(&token)
            .body(body.to_owned())
            .send()
            .unwrap()
    };
    let good = "vendor,product,metric,count,date\nAcme,Anvil,user,9,2024-11-30\n";
    let bad = "vendor,product,metric,count,date\nAcme,,user,9,2024-13-30\n";
    let before = store.log().lines().count();
    let r = post("filename=bad.csv&dry_run=true", bad);
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = r.json().unwrap();
    assert_eq!(
        answer["file"], "bad.csv",
        "the client's name, not a server path"
    );
    let fields: Vec<&str> = answer["bad_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["product", "date"]);
    let r = post("filename=usage-2024-11.csv&dry_run=true", good);
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        store.log().lines().count(),
        before,
        "dry runs record nothing"
    );
    let r = post("filename=usage-2024-11.csv", good);
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().unwrap());
    assert_eq!(store.log().lines().count(), before + 1);
    assert!(
        store.log().contains("usage-2024-11.csv"),
        "the note names the file"
    );
    // The same file again is refused as imported before.
    assert_eq!(
        post("filename=usage-2024-11.csv", good).status(),
        StatusCode::CONFLICT
    );
    let r = post("filename=../etc/passwd", good);
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

fn post_bearer(server: &Served, token: &str, path: &str) -> reqwest::blocking::RequestBuilder {
    client().post(server.at(path)).bearer_auth(token)
}

#[test]
fn an_audit_pack_is_built_through_the_api_and_verifies_with_the_cli_and_the_route() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    admin.add_user(&server, "anna", "auditor", &["Acme"]);
    admin.add_user(&server, "ed", "editor", &[]);
    admin.add_user(&server, "vic", "viewer", &[]);
    let (auditor, editor, viewer) = (
        admin.token(&server, "anna"),
        admin.token(&server, "ed"),
        admin.token(&server, "vic"),
    );
    let pack = |token: &str, vendor: &str| {
        post_bearer(&server, token, "/api/v1/audit-packs")
            .json(&json!({"vendor": vendor, "as_of": "2024-06-30"}))
            .send()
            .unwrap()
    };

    let r = pack(&editor, "Acme");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let disposition = r.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let built: Value =
        serde_json::from_str(r.headers()["x-entitle-pack"].to_str().unwrap()).unwrap();
    assert_eq!(built["vendor"], "Acme");
    let zip = r.bytes().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.zip");
    std::fs::write(&path, &zip).unwrap();
    let out = store.ok(&["audit", "verify", path.to_str().unwrap()]);
    assert!(out.starts_with("verified: "), "{out}");

    let r = post_bearer(
        &server,
        &viewer,
        "/api/v1/audit-packs/verify?filename=acme.zip",
    )
    .body(zip.to_vec())
    .send()
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().unwrap();
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(
        report["pack"], "acme.zip",
        "the client's name, not a server path"
    );

    // A damaged pack is reported, not refused.
    let mut bad = zip.to_vec();
    let at = bad.len() / 2;
    bad[at] ^= 0x55;
    let r = post_bearer(&server, &viewer, "/api/v1/audit-packs/verify")
        .body(bad)
        .send()
        .unwrap();
    if r.status() == StatusCode::OK {
        assert_eq!(r.json::<Value>().unwrap()["verified"], false);
    } else {
        let status = r.status();
        assert!(status.is_client_error(), "{status}: {}", r.text().unwrap());
    }

    // The auditor builds Acme's pack; Borg's answers as an unknown vendor.
    assert_eq!(pack(&auditor, "Acme").status(), StatusCode::OK);
    let borg = pack(&auditor, "Borg");
    let unknown = pack(&auditor, "Nobody");
    assert_eq!(borg.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let (borg, unknown) = (borg.text().unwrap(), unknown.text().unwrap());
    assert!(
        !borg.contains("Borg") || borg.replace("Borg", "Nobody") == unknown,
        "{borg}"
    );
    assert!(!borg.contains("L-0002"), "{borg}");
    // A viewer reads but does not sign packs.
    assert_eq!(pack(&viewer, "Acme").status(), StatusCode::FORBIDDEN);
    // Bad input names its field.
    let r = pack(&editor, "");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = post_bearer(&server, &editor, "/api/v1/audit-packs")
        .json(&json!({"vendor": "Acme", "as_of": "2024-02-30"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().unwrap()["error"]["field"], "as_of");
}

/// `entitle --server URL` with a token, from no store at all.
fn through(server_url: &str, token: &str, args: &[&str]) -> std::process::Output {
    through_in(std::path::Path::new("."), server_url, token, args)
}

pub(crate) fn through_in(
    dir: &std::path::Path,
    server_url: &str,
    token: &str,
    args: &[&str],
) -> std::process::Output {
    Command::new(bin())
        .current_dir(dir)
        .args(["--server", server_url])
        .args(args)
        .env("ENTITLE_TOKEN", token)
        .env("ENTITLE_ACTOR", "tester")
        .env_remove("ENTITLE_STORE")
        .env_remove("ENTITLE_SERVER")
        .output()
        .expect("run entitle")
}

fn shown(out: &std::process::Output) -> (Option<i32>, String, String) {
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_through_the_server_prints_what_the_local_cli_prints_on_the_demo_store() {
    let local = TestStore::new();
    local.ok(&["demo"]);
    let served = TestStore::new();
    served.ok(&["demo"]);
    let server = Served::start(&served);
    let admin = admin(&server);
    admin.add_user(&server, "tester", "editor", &[]);
    admin.add_user(&server, "anna", "auditor", &["Adobe"]);
    let token = admin.token(&server, "tester");
    let auditor = admin.token(&server, "anna");
    let dir = tempfile::tempdir().unwrap();
    let usage = dir.path().join("usage-2024-11.csv");
    std::fs::write(
        &usage,
        "vendor,product,metric,count,date\nMicrosoft,Microsoft 365 E3,user,190,2024-11-30\n",
    )
    .unwrap();
    let bad_usage = dir.path().join("bad.csv");
    std::fs::write(
        &bad_usage,
        "vendor,product,metric,count,date\nMicrosoft,,user,9,2024-13-30\n",
    )
    .unwrap();
    let licenses = dir.path().join("licenses.csv");
    std::fs::write(
        &licenses,
        "vendor,product,metric,qty,start,end\nAcme,Anvil,user,5,2024-01-01,2024-12-31\n",
    )
    .unwrap();
    // Named as a nightly job in their directory names them: the server
    // knows a file by its name only.
    let (usage, bad_usage, licenses) = ("usage-2024-11.csv", "bad.csv", "licenses.csv");
    let commands: Vec<Vec<&str>> = vec![
        vec!["position", "--as-of", "2024-06-30"],
        vec!["position", "--as-of", "2024-06-30", "--json"],
        vec!["position", "--format", "csv", "--known-at", "#5"],
        vec!["state", "--as-of", "2024-06-30"],
        vec!["state", "--json", "--vendor", "Microsoft"],
        vec!["state", "--format", "csv"],
        vec!["history", "L-0001"],
        vec!["history", "L-0001", "--json"],
        vec!["history", "L-0001", "--format", "csv"],
        vec!["history", "L-9999"],
        vec!["position", "--as-of", "2024-02-30"],
        vec!["spend"],
        vec!["renewals", "--as-of", "2024-10-01", "--within", "120"],
        vec![
            "renewals",
            "--as-of",
            "2024-10-01",
            "--within",
            "365",
            "--json",
        ],
        vec!["renewals", "--as-of", "2024-10-01", "--format", "csv"],
        vec!["spend", "--year", "2024", "--json"],
        vec!["spend", "--vendor", "Microsoft", "--format", "csv"],
        vec!["usage", "import", usage, "--dry-run"],
        vec!["usage", "import", bad_usage, "--dry-run"],
        vec!["usage", "import", bad_usage],
        vec!["usage", "import", usage],
        vec!["usage", "import", usage],
        vec!["import", "licenses", licenses, "--dry-run"],
        vec!["import", "licenses", licenses, "--json"],
        vec![
            "purchase",
            "--vendor",
            "Acme",
            "--product",
            "Rocket",
            "--metric",
            "device",
            "--qty",
            "3",
            "--start",
            "2024-02-01",
            "--end",
            "2025-01-31",
            "--cost",
            "300",
            "--currency",
            "EUR",
        ],
        vec!["extend", "L-0001", "--until", "2026-12-31", "--json"],
        vec![
            "adjust",
            "L-0001",
            "--qty",
            "250",
            "--effective",
            "2024-07-01",
        ],
        vec!["cancel", "L-0002", "--effective", "2024-12-31"],
        vec![
            "usage",
            "record",
            "--vendor",
            "Acme",
            "--product",
            "Rocket",
            "--metric",
            "device",
            "--count",
            "2",
            "--date",
            "2024-06-01",
        ],
        vec!["void", "1", "--note", "typo"],
        vec!["extend", "L-0001", "--until", "2020-01-01"],
        vec!["position"],
        vec!["state"],
        vec!["spend"],
    ];
    let docs = local.json(&["doc", "list"]);
    let hash = docs["documents"][0]["hash"].as_str().unwrap().to_owned();
    let unknown = "0".repeat(64);
    let mut commands = commands;
    commands.push(vec!["doc", "get", &hash]);
    commands.push(vec!["doc", "get", &hash, "--out", "copy.bin", "--force"]);
    commands.push(vec!["doc", "get", &hash, "--out", "copy.bin"]);
    commands.push(vec!["doc", "get", &unknown]);
    for args in &commands {
        let here = shown(
            &local
                .command(args)
                .current_dir(dir.path())
                .output()
                .unwrap(),
        );
        let there = shown(&through_in(dir.path(), &server.url, &token, args));
        assert_eq!(
            here, there,
            "entitle {args:?}: local, then through --server"
        );
    }

    // The accounts, as an admin lists them through the server and (once it
    // has stopped) on the store.
    let admin_token = admin.token(&server, "admin");
    let users = shown(&through(&server.url, &admin_token, &["user", "list"]));
    let users_json = shown(&through(
        &server.url,
        &admin_token,
        &["user", "list", "--json"],
    ));
    let (code, _, err) = shown(&through(&server.url, &token, &["user", "list"]));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("your role may not manage accounts and tokens"),
        "{err}"
    );

    // An auditor's license outside the scope: the same words as an unknown one locally.
    let out = shown(&through(&server.url, &auditor, &["history", "L-0001"]));
    assert_eq!(
        out,
        shown(&local.run(&["history", "L-9999"]))
            .0
            .map(|_| out.clone())
            .unwrap_or_default()
    );
    assert_eq!(out.0, Some(2));
    assert!(out.2.contains("unknown license id \"L-0001\""), "{}", out.2);
    assert!(out.2.contains("`entitle state`"), "{}", out.2);

    // A pack through the server verifies with the CLI.
    let pack = dir.path().join("acme.zip");
    let pack = pack.to_str().unwrap();
    let out = through(
        &server.url,
        &token,
        &[
            "audit-pack",
            "--vendor",
            "Microsoft",
            "--as-of",
            "2024-06-30",
            "--out",
            pack,
        ],
    );
    assert!(out.status.success(), "{:?}", shown(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("wrote {pack} (")));
    local.ok(&["audit", "verify", pack]);

    // Bad tokens, a server that is gone, commands that need the store's machine.
    let (code, _, err) = shown(&through(&server.url, "not-a-token", &["state"]));
    assert_eq!(code, Some(2));
    assert!(err.contains("ENTITLE_TOKEN"), "{err}");
    let (code, _, err) = shown(&through(&server.url, "", &["state"]));
    assert_eq!(code, Some(2));
    assert!(err.contains("ENTITLE_TOKEN"), "{err}");
    let (code, _, err) = shown(&through(&server.url, &token, &["rebuild"]));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("runs only on the machine that holds the store"),
        "{err}"
    );
    // The chain's head and export hold the times of recording, which the
    // two stores do not share: compare with the served store itself once
    // the server has stopped.
    let verified = shown(&through(&server.url, &token, &["verify"]));
    let exported = shown(&through(&server.url, &token, &["export"]));
    let url = server.url.clone();
    drop(server);
    assert_eq!(verified, shown(&served.run(&["verify"])), "verify");
    assert_eq!(exported, shown(&served.run(&["export"])), "export");
    assert_eq!(users, shown(&served.run(&["user", "list"])), "user list");
    assert_eq!(
        users_json,
        shown(&served.run(&["user", "list", "--json"])),
        "user list --json"
    );
    let (code, _, err) = shown(&through(&url, &token, &["state"]));
    assert_eq!(code, Some(2));
    assert!(
        err.contains(&format!("cannot reach the entitle server at {url}")),
        "{err}"
    );
}

#[test]
fn a_local_command_on_a_served_store_says_how_to_run_it_through_the_server() {
    let store = two_vendor_store();
    let _server = Served::start(&store);
    let err = store.fails(2, &["state"]);
    assert!(
        err.contains("--server URL") && err.contains("ENTITLE_TOKEN"),
        "{err}"
    );
}

/// Runs `command` with `input` on its standard input.
fn fed(mut command: Command, input: &str) -> std::process::Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run entitle");
    // A command that refuses before it reads may have closed its input.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes());
    child.wait_with_output().expect("entitle ends")
}

/// `entitle --server URL` with a token and `input` on standard input.
fn through_fed(
    dir: &std::path::Path,
    server_url: &str,
    token: &str,
    args: &[&str],
    input: &str,
) -> std::process::Output {
    let mut c = Command::new(bin());
    c.current_dir(dir)
        .args(["--server", server_url])
        .args(args)
        .env("ENTITLE_TOKEN", token)
        .env("ENTITLE_ACTOR", "tester")
        .env_remove("ENTITLE_STORE")
        .env_remove("ENTITLE_SERVER");
    fed(c, input)
}

#[test]
fn accounts_tokens_archive_and_imports_through_the_server_print_what_the_local_cli_prints() {
    // Two stores recorded alike: one served, one used locally.
    let served = two_vendor_store();
    let local = two_vendor_store();
    let server = Served::start(&served);
    let browser = admin(&server);
    browser.add_user(&server, "tester", "editor", &[]);
    let admin_token = browser.token(&server, "admin");
    let editor = browser.token(&server, "tester");
    // The same accounts and tokens locally, so that ids agree.
    let password = format!("{PASSWORD}\n");
    for (name, role) in [("admin", "admin"), ("tester", "editor")] {
        let out = fed(
            local.command(&["user", "add", name, "--role", role, "--password-stdin"]),
            &password,
        );
        assert!(out.status.success(), "{:?}", shown(&out));
    }
    local.ok(&["token", "create", "--user", "tester", "--name", "test"]);
    local.ok(&["token", "create", "--user", "admin", "--name", "test"]);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("events.jsonl"),
        "{\"type\":\"usage_recorded\",\"vendor\":\"Acme\",\"product\":\"Anvil\",\"metric\":\"user\",\"count\":9,\"effective\":\"2024-08-01\"}\n\n\
         {\"type\":\"usage_recorded\",\"vendor\":\"Borg\",\"product\":\"Anvil\",\"metric\":\"user\",\"count\":8,\"effective\":\"2024-08-01\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.jsonl"),
        "{\"type\":\"usage_recorded\",\"vendor\":\"Acme\"}\nnot json\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rejected.jsonl"),
        "{\"type\":\"cancelled\",\"id\":\"L-9999\",\"effective\":\"2024-12-31\"}\n\n\
         {\"type\":\"cancelled\",\"id\":\"L-0001\",\"effective\":\"2024-12-31\"}\n\
         {\"type\":\"cancelled\",\"id\":\"L-9998\",\"effective\":\"2024-12-31\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ghost.jsonl"),
        format!(
            "{{\"type\":\"document_attached\",\"hash\":\"{}\",\"filename\":\"ghost.txt\",\"size\":3,\"media_type\":\"text/plain\",\"kind\":\"contract\",\"id\":\"L-0001\"}}\n",
            "ab".repeat(32)
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("invoice.txt"),
        "Acme invoice: anvils, quarterly true-up",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("letter.txt"),
        "Borg letter: we are the Borg",
    )
    .unwrap();
    let hash = local.json(&["doc", "list"])["documents"][0]["hash"]
        .as_str()
        .unwrap()
        .to_owned();

    // (arguments, standard input, the token's account is admin)
    let commands: Vec<(Vec<&str>, &str, bool)> = vec![
        (
            vec!["user", "add", "bob", "--role", "viewer", "--password-stdin"],
            &password,
            true,
        ),
        (
            vec!["user", "add", "BOB", "--role", "viewer", "--password-stdin"],
            &password,
            true,
        ),
        (
            vec!["user", "passwd", "nobody", "--password-stdin"],
            &password,
            true,
        ),
        (vec!["user", "disable", "nobody"], "", true),
        (
            vec!["user", "add", "zed", "--role", "owner", "--password-stdin"],
            &password,
            true,
        ),
        (
            vec![
                "user", "role", "bob", "--role", "auditor", "--vendor", "Acme",
            ],
            "",
            true,
        ),
        (vec!["user", "role", "bob", "--role", "editor"], "", true),
        (vec!["user", "disable", "bob"], "", true),
        (vec!["user", "enable", "bob"], "", true),
        (
            vec!["user", "passwd", "bob", "--password-stdin"],
            &password,
            true,
        ),
        (
            vec!["token", "create", "--user", "bob", "--name", "ci"],
            "",
            true,
        ),
        (vec!["token", "revoke", "T-0003"], "", true),
        (vec!["token", "revoke", "T-0003", "--json"], "", true),
        (vec!["doc", "list"], "", false),
        (vec!["doc", "list", "--json"], "", false),
        (
            vec!["doc", "list", "--vendor", "borg", "--format", "csv"],
            "",
            false,
        ),
        (vec!["search", "agreement"], "", false),
        (vec!["search", "agreement", "--json"], "", false),
        (
            vec!["search", "futile", "--vendor", "Borg", "--format", "csv"],
            "",
            false,
        ),
        (vec!["search", "nothing-like-this"], "", false),
        (
            vec!["import", "events", "events.jsonl", "--dry-run"],
            "",
            false,
        ),
        (
            vec!["import", "events", "events.jsonl", "--dry-run", "--json"],
            "",
            false,
        ),
        (
            vec!["import", "events", "rejected.jsonl", "--dry-run"],
            "",
            false,
        ),
        (
            vec!["import", "events", "ghost.jsonl", "--dry-run"],
            "",
            false,
        ),
        (vec!["import", "events", "events.jsonl"], "", false),
        (
            vec!["import", "events", "events.jsonl", "--json"],
            "",
            false,
        ),
        (vec!["import", "events", "bad.jsonl"], "", false),
        // A document the archive does not hold would break the chain's
        // verification for good: refused on both sides.
        (vec!["import", "events", "ghost.jsonl"], "", false),
        (
            vec!["attach", "L-0001", "invoice.txt", "--kind", "invoice"],
            "",
            false,
        ),
        (
            vec!["attach", "--vendor", "Borg", "letter.txt", "--json"],
            "",
            false,
        ),
        (vec!["attach", "L-0002", "invoice.txt"], "", false),
        (vec!["doc", "list"], "", false),
        (vec!["search", "anvils"], "", false),
        // The letter is bound to its vendor only.
        (vec!["search", "Borg"], "", false),
    ];
    for (args, input, as_admin) in &commands {
        let token = if *as_admin { &admin_token } else { &editor };
        let mut here = local.command(args);
        here.current_dir(dir.path());
        let here = shown(&fed(here, input));
        let there = shown(&through_fed(dir.path(), &server.url, token, args, input));
        if args[..2] == ["token", "create"] {
            // A new secret each: one line, and the same words around it.
            assert!(
                there.1.starts_with("ent_") && there.1.lines().count() == 1,
                "{there:?}"
            );
            assert_eq!(here.2, there.2, "entitle {args:?}: stderr");
            continue;
        }
        assert_eq!(
            here.1, there.1,
            "entitle {args:?}: stdout, local then through --server"
        );
        assert_eq!(
            here.0, there.0,
            "entitle {args:?}: exit, local then through --server ({there:?})"
        );
        if (here.0 == Some(0) || args.contains(&"owner") || args.contains(&"--dry-run"))
            && !args.contains(&"--json")
            && args[0] != "token"
        {
            assert_eq!(here.2, there.2, "entitle {args:?}: stderr");
        }
    }
    // A new token's secret differs; what it is, and what is said of it, not.
    let here = local.run(&["token", "create", "--user", "bob", "--name", "ci", "--json"]);
    let there = through(
        &server.url,
        &admin_token,
        &["token", "create", "--user", "bob", "--name", "ci", "--json"],
    );
    let (here, there): (Value, Value) = (
        serde_json::from_slice(&here.stdout).unwrap(),
        serde_json::from_slice(&there.stdout).unwrap(),
    );
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&here), keys(&there));
    for field in ["id", "user", "name", "expires", "revoked_at", "state"] {
        assert_eq!(here[field], there[field], "{field}");
    }
    assert!(there["secret"].as_str().unwrap().starts_with("ent_"));
    let short = &hash[..8];
    let reads: Vec<Vec<&str>> = vec![
        vec!["user", "list"],
        vec!["user", "log"],
        vec!["user", "log", "--json"],
        vec!["token", "list"],
        vec!["token", "list", "--json"],
        vec!["doc", "show", &hash],
        vec!["doc", "show", short, "--json"],
        vec!["search", "true-up", "--license", "L-0001"],
        vec!["verify"],
    ];
    let remote: Vec<_> = reads
        .iter()
        .map(|args| shown(&through(&server.url, &admin_token, args)))
        .collect();
    drop(server);
    for (args, there) in reads.iter().zip(remote) {
        let here = shown(&served.run(args));
        assert_eq!(here.0, Some(0), "entitle {args:?}: {here:?}");
        assert_eq!(
            here, there,
            "entitle {args:?}: on the store, then through --server"
        );
    }
}

#[test]
fn an_account_and_a_token_made_through_the_server_work_and_a_revoked_token_stops_at_once() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let browser = admin(&server);
    let admin_token = browser.token(&server, "admin");
    let here = std::path::Path::new(".");
    let password = format!("{PASSWORD}\n");

    // An account added through --server signs in.
    let out = through_fed(
        here,
        &server.url,
        &admin_token,
        &[
            "user",
            "add",
            "carol",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        &password,
    );
    assert_eq!(shown(&out).1, "added carol (viewer)\n", "{:?}", shown(&out));
    sign_in(&server, "carol", PASSWORD);

    // A token made through --server works, and its revocation through
    // --server stops it at once.
    let out = through(
        &server.url,
        &admin_token,
        &["token", "create", "--user", "carol", "--name", "laptop"],
    );
    let (code, secret, err) = shown(&out);
    assert_eq!(code, Some(0), "{err}");
    let secret = secret.trim().to_owned();
    assert!(secret.starts_with("ent_"), "{secret}");
    assert!(
        err.contains("created T-0002 for carol (\"laptop\")"),
        "{err}"
    );
    let (code, _, err) = shown(&through(&server.url, &secret, &["doc", "list"]));
    assert_eq!(code, Some(0), "{err}");
    let (code, listed, err) = shown(&through(&server.url, &secret, &["token", "list"]));
    assert_eq!(code, Some(0), "{err}");
    // A viewer sees only their own token.
    assert!(
        listed.contains("T-0002") && !listed.contains("T-0001"),
        "{listed}"
    );

    // A viewer may not add accounts: said before any password is read.
    let out = through_fed(
        here,
        &server.url,
        &secret,
        &["user", "add", "dave", "--role", "admin", "--password-stdin"],
        &password,
    );
    let (code, stdout, err) = shown(&out);
    assert_eq!((code, stdout.as_str()), (Some(2), ""), "{err}");
    assert!(
        err.contains("your role may not manage accounts and tokens"),
        "{err}"
    );
    let (code, users, _) = shown(&through(&server.url, &admin_token, &["user", "list"]));
    assert_eq!(code, Some(0));
    assert!(!users.contains("dave"), "{users}");
    // Nor another account's role.
    let (code, _, err) = shown(&through(
        &server.url,
        &secret,
        &["user", "role", "carol", "--role", "admin"],
    ));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("may not"), "{err}");

    let (code, revoked, err) = shown(&through(
        &server.url,
        &admin_token,
        &["token", "revoke", "T-0002"],
    ));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(revoked, "revoked T-0002 for carol (\"laptop\")\n");
    let (code, _, err) = shown(&through(&server.url, &secret, &["doc", "list"]));
    assert_eq!(code, Some(2));
    assert!(err.contains("refused the token in ENTITLE_TOKEN"), "{err}");

    // What would not be the local command's one write is refused before
    // anything is sent.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "first").unwrap();
    std::fs::write(dir.path().join("b.txt"), "second").unwrap();
    std::fs::write(
        dir.path().join("rejected.jsonl"),
        "{\"type\":\"cancelled\",\"id\":\"L-9999\",\"effective\":\"2024-12-31\"}\n\n\
         {\"type\":\"cancelled\",\"id\":\"L-9998\",\"effective\":\"2024-12-31\"}\n",
    )
    .unwrap();
    let before = shown(&through(&server.url, &admin_token, &["verify"]));
    // Events the records refuse are named by their lines, as locally.
    let (code, _, err) = shown(&through_in(
        dir.path(),
        &server.url,
        &admin_token,
        &["import", "events", "rejected.jsonl"],
    ));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("\n  rejected.jsonl:1: ")
            && err.contains("\n  rejected.jsonl:3: ")
            && err.contains("L-9998"),
        "{err}"
    );
    let args = ["attach", "L-0001", "a.txt", "b.txt"];
    let (code, stdout, err) = shown(&through_in(dir.path(), &server.url, &admin_token, &args));
    assert_eq!((code, stdout.as_str()), (Some(2), ""), "{err}");
    assert!(err.contains("one file per command"), "{err}");
    assert_eq!(
        before,
        shown(&through(&server.url, &admin_token, &["verify"]))
    );

    // A disabled account's token is refused too, an enabled one's again.
    let (code, _, err) = shown(&through(
        &server.url,
        &admin_token,
        &["token", "create", "--user", "carol", "--name", "second"],
    ));
    assert_eq!(code, Some(0), "{err}");
    let second = shown(&through(
        &server.url,
        &admin_token,
        &["token", "create", "--user", "carol", "--name", "third"],
    ))
    .1
    .trim()
    .to_owned();
    through(&server.url, &admin_token, &["user", "disable", "carol"]);
    assert_eq!(
        shown(&through(&server.url, &second, &["doc", "list"])).0,
        Some(2)
    );
    through(&server.url, &admin_token, &["user", "enable", "carol"]);
    assert_eq!(
        shown(&through(&server.url, &second, &["doc", "list"])).0,
        Some(0)
    );
}

#[test]
fn a_password_or_a_new_secret_is_never_sent_over_plain_http_to_another_machine() {
    // TEST-NET-1: nothing answers there, so a command that tried to
    // connect would wait for its connect timeout, not fail at once.
    let far = "http://192.0.2.1:9";
    let here = std::path::Path::new(".");
    let password = format!("{PASSWORD}\n");
    for args in [
        vec!["user", "add", "eve", "--role", "viewer", "--password-stdin"],
        vec!["user", "passwd", "eve", "--password-stdin"],
        vec!["token", "create", "--user", "eve", "--name", "x"],
    ] {
        let started = std::time::Instant::now();
        let out = through_fed(here, far, "ent_whatever", &args, &password);
        let (code, stdout, err) = shown(&out);
        assert_eq!((code, stdout.as_str()), (Some(2), ""), "{args:?}: {err}");
        assert!(
            err.contains(&format!("--server {far}")) && err.contains("https://"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("cannot reach"), "{args:?}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{args:?} waited {:?}: it tried to connect",
            started.elapsed()
        );
    }
}

/// The dashboard says when the chain was last verified and what held;
/// after the log is altered behind the server's back, the next check
/// (here asked through the API) shows it broken, naming the event.
#[test]
fn the_dashboard_says_when_the_chain_was_verified_and_shows_a_broken_one() {
    let store = two_vendor_store();
    let server = Served::start(&store);
    let admin = admin(&server);
    let chain = |path: &str| -> String {
        let page = admin.get(&server, path).text().unwrap();
        let at = page.find("id=\"chain\"").expect("the chain's line");
        let line = &page[at..];
        line[line.find('>').unwrap() + 1..line.find("</p>").unwrap()].to_owned()
    };
    // The server checks on its own as it starts.
    let mut shown = chain("/");
    for _ in 0..100 {
        if shown.starts_with("Verified") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        shown = chain("/");
    }
    let head: Value = admin.get(&server, "/api/v1/verify").json().unwrap();
    let short = &head["head"].as_str().unwrap()[..12];
    assert_eq!(
        shown,
        format!("Verified: 6 events, head {short}…, checked just now")
    );
    assert_eq!(
        chain("/?lang=de"),
        format!("Geprüft: 6 Ereignisse, Kopf {short}…, gerade eben")
    );
    let r = admin.post(&server, "/api/v1/events", &event("Acme", 7));
    assert_eq!(r.status(), StatusCode::CREATED);
    // (the language switch is remembered: back to English)
    let shown = chain("/?lang=en");
    assert!(
        shown.ends_with("; 1 newer event not checked yet"),
        "{shown}"
    );

    // One digit of event #2 (Acme's count of 12) changed in the file.
    let log = store.log();
    let line = log.lines().nth(1).unwrap();
    assert!(line.contains("\"count\":12"), "{line}");
    let altered = log.replacen(line, &line.replacen("\"count\":12", "\"count\":19", 1), 1);
    std::fs::write(store.log_path(), altered).unwrap();
    let v: Value = admin.get(&server, "/api/v1/verify").json().unwrap();
    assert_eq!(v["intact"], false, "{v}");
    assert_eq!(v["first_bad_seq"], 2, "{v}");
    let page = admin.get(&server, "/").text().unwrap();
    assert!(
        page.contains("class=\"error-summary\" role=\"alert\">The chain does NOT hold: the first bad event is #2 (checked just now)."),
        "{page}"
    );
}
