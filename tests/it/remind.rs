//! `entitle remind` against a real SMTP server (Python's aiosmtpd, started
//! by the test on a free loopback port, storing what it accepts): a year of
//! days, each stage on the date worked out by hand, once; nothing twice on
//! a second run; a refused message stays due; German and English digests
//! that parse as MIME; owners without an address; bad settings.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use entitle_app::remind::{self, RemindRequest};
use entitle_app::{config, Open};

use crate::util::TestStore;

/// The SMTP sink: a real server in a child process.
struct Sink {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sink {
    fn start(refuse: u32) -> Sink {
        Sink::start_with(&["--refuse", &refuse.to_string()])
    }

    /// A sink with more flags (`--auth`, `--starttls`); the user and
    /// password it accepts are `SINK_USER` and `SINK_PASSWORD` below.
    fn start_with(flags: &[&str]) -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(dir.path())
            .args(flags)
            .env("SINK_USER", SINK_USER)
            .env("SINK_PASSWORD", SINK_PASSWORD)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 is needed for the reminder tests (apt-get install python3)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(port) = line.trim().strip_prefix("PORT ") else {
            let status = child.wait().unwrap();
            panic!(
                "the SMTP sink did not start ({status}): install aiosmtpd with `pip install aiosmtpd` (.ci/run does)"
            );
        };
        Sink {
            port: port.parse().unwrap(),
            child,
            dir,
        }
    }

    /// The messages received, in order, as raw bytes.
    fn messages(&self) -> Vec<Vec<u8>> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }
}

const SINK_USER: &str = "entitle";
const SINK_PASSWORD: &str = "s3cret-Mail-Pass";

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn settings(port: u16) -> String {
    format!(
        r#"[remind]
fallback = "Ops@Example.com"
stale_after_days = 90

[remind.contacts]
"Jürgen Müller" = {{ email = "juergen@example.com", language = "de" }}
"Anna Schmidt" = "anna@example.com"

[smtp]
url = "smtp://127.0.0.1:{port}?tls=none"
from = "entitle <licenses@example.com>"
timeout_secs = 5
"#
    )
}

fn buy(s: &TestStore, args: &[&str]) {
    let mut all = vec!["purchase", "--metric", "user", "--qty", "10"];
    all.extend_from_slice(args);
    s.ok(&all);
}

/// The realistic store of the year: an auto-renewing license with 90
/// days' notice before a leap day, one with 30 days' notice ending at a
/// month's end (renewed by assumption, so a second deadline follows), one
/// that does not renew, one without an owner, and a shortfall whose count
/// then goes stale.
fn company(s: &TestStore, port: u16) {
    buy(
        s,
        &[
            "--vendor",
            "Adobe",
            "--product",
            "Acrobat Pro",
            "--start",
            "2027-03-02",
            "--end",
            "2028-03-01",
            "--notice-days",
            "90",
            "--auto-renew",
            "--owner",
            "Jürgen Müller",
            "--cost",
            "45600",
            "--currency",
            "EUR",
            "--id",
            "ACRO",
        ],
    );
    buy(
        s,
        &[
            "--vendor",
            "Microsoft",
            "--product",
            "Microsoft 365 E3",
            "--start",
            "2026-02-01",
            "--end",
            "2027-01-31",
            "--notice-days",
            "30",
            "--auto-renew",
            "--owner",
            "anna schmidt",
            "--cost",
            "12000",
            "--currency",
            "EUR",
            "--id",
            "M365",
        ],
    );
    buy(
        s,
        &[
            "--vendor",
            "Atlassian",
            "--product",
            "Jira",
            "--start",
            "2026-08-01",
            "--end",
            "2027-07-31",
            "--owner",
            "Anna Schmidt",
            "--id",
            "JIRA",
        ],
    );
    buy(
        s,
        &[
            "--vendor",
            "Zoom",
            "--product",
            "Zoom Workplace",
            "--start",
            "2026-04-01",
            "--end",
            "2027-03-31",
            "--id",
            "ZOOM",
        ],
    );
    s.ok(&[
        "usage",
        "record",
        "--vendor",
        "Adobe",
        "--product",
        "Acrobat Pro",
        "--metric",
        "user",
        "--count",
        "12",
        "--date",
        "2027-06-15",
    ]);
    std::fs::write(s.path.join("entitle.toml"), settings(port)).unwrap();
}

fn date(s: &str) -> jiff::civil::Date {
    s.parse().unwrap()
}

#[test]
fn a_year_of_days_sends_each_stage_once_on_its_day() {
    let sink = Sink::start(0);
    let s = TestStore::new();
    company(&s, sink.port);
    // The usage count's seq: the key of the shortfall and stale items.
    let count_seq = s.log_lines().len();

    // Worked out by hand (2028 is a leap year; 2027 is not):
    // ACRO cancel-by 2028-03-01 − 90 = 2027-12-02 (Dec 1 is 91 days before
    //   1 March: Mar 1 → Feb 1 is 29, → Jan 1 31, → Dec 1 31); its stages
    //   2027-09-03 (90), 2027-11-02 (30), 2027-11-25 (7), 2027-12-02 (0).
    // M365 cancel-by 2027-01-31 − 30 = 2027-01-01. The first run,
    //   2026-12-10, is 22 days before: the 30-day stage (due since
    //   2026-12-02; the 90-day one is superseded), then 2026-12-25 (7) and
    //   2027-01-01 (0). Not cancelled, it renews by assumption to
    //   2028-01-31: cancel-by 2028-01-01, stages 2027-10-03 (90: Oct 3 →
    //   Jan 1 is 29 + 30 + 31 days), 2027-12-02 (30), 2027-12-25 (7).
    // JIRA does not renew: expiry 2027-07-31, stages 2027-05-02 (90),
    //   2027-07-01 (30), 2027-07-24 (7), 2027-07-31 (0).
    // ZOOM has no owner (the fallback): expiry 2027-03-31, stages
    //   2026-12-31 (90: Mar 31 → Feb 28 is 31, → Jan 28 31, → Dec 31 28),
    //   2027-03-01 (30), 2027-03-24 (7), 2027-03-31 (0).
    // Acrobat: 12 used of 10 from the count of 2027-06-15 (under), stale
    //   when more than 90 days old: 2027-09-14.
    let a = "anna@example.com";
    let j = "juergen@example.com";
    // (The fallback is written in capitals: a second run must still find it sent.)
    let o = "Ops@Example.com";
    let under = format!("under:adobe/acrobat pro/user:count-{count_seq}");
    let stale = format!("stale:adobe/acrobat pro/user:count-{count_seq}");
    let expected: BTreeSet<(String, String, String, u32)> = [
        ("2026-12-10", a, "cancel-by:M365:2027-01-01", 30),
        ("2026-12-25", a, "cancel-by:M365:2027-01-01", 7),
        ("2027-01-01", a, "cancel-by:M365:2027-01-01", 0),
        ("2026-12-31", o, "expiry:ZOOM:2027-03-31", 90),
        ("2027-03-01", o, "expiry:ZOOM:2027-03-31", 30),
        ("2027-03-24", o, "expiry:ZOOM:2027-03-31", 7),
        ("2027-03-31", o, "expiry:ZOOM:2027-03-31", 0),
        ("2027-05-02", a, "expiry:JIRA:2027-07-31", 90),
        ("2027-07-01", a, "expiry:JIRA:2027-07-31", 30),
        ("2027-07-24", a, "expiry:JIRA:2027-07-31", 7),
        ("2027-07-31", a, "expiry:JIRA:2027-07-31", 0),
        ("2027-06-15", j, &under, 0),
        ("2027-09-14", j, &stale, 0),
        ("2027-09-03", j, "cancel-by:ACRO:2027-12-02", 90),
        ("2027-11-02", j, "cancel-by:ACRO:2027-12-02", 30),
        ("2027-11-25", j, "cancel-by:ACRO:2027-12-02", 7),
        ("2027-12-02", j, "cancel-by:ACRO:2027-12-02", 0),
        ("2027-10-03", a, "cancel-by:M365:2028-01-01", 90),
        ("2027-12-02", a, "cancel-by:M365:2028-01-01", 30),
        ("2027-12-25", a, "cancel-by:M365:2028-01-01", 7),
    ]
    .into_iter()
    .map(|(d, to, key, stage)| (d.to_owned(), to.to_owned(), key.to_owned(), stage))
    .collect();

    // Every day in process (the honest test of the rule, and fast), each
    // run exactly as `entitle remind --as-of D` makes it.
    let store = entitle_app::store::open(&s.path, Open::MustExist, "test").unwrap();
    let cfg = config::load(&s.path, None).unwrap();
    let set = remind::settings(&cfg).unwrap();
    let mut sent = BTreeSet::new();
    let mut messages = 0;
    let mut day = date("2026-12-10");
    while day <= date("2027-12-31") {
        let req = RemindRequest {
            as_of: Some(day.to_string()),
            ..RemindRequest::default()
        };
        let r = remind::remind(&store, &set, &req).unwrap();
        assert!(r.unaddressed.is_empty(), "{day}: {:?}", r.unaddressed);
        for m in &r.messages {
            assert!(m.sent, "{day}: {m:?}");
            messages += 1;
            for i in &m.items {
                let new = sent.insert((day.to_string(), m.to.clone(), i.key.clone(), i.stage));
                assert!(new, "{day}: sent twice: {i:?}");
            }
        }
        // The same day again: nothing.
        let again = remind::remind(&store, &set, &req).unwrap();
        assert!(again.messages.is_empty(), "{day}: {:?}", again.messages);
        day = day.tomorrow().unwrap();
    }
    let missing: Vec<_> = expected.difference(&sent).collect();
    let extra: Vec<_> = sent.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
    drop(store);

    // What the server received: one valid MIME message per digest, each
    // in the sent-log with its Message-ID.
    let received = sink.messages();
    assert_eq!(received.len(), messages);
    let log = s.json(&["remind", "log"]);
    let records = log["sent"].as_array().unwrap();
    assert_eq!(records.len(), messages);
    let mut german = 0;
    let mut english = 0;
    for raw in &received {
        let m = mail_parser::MessageParser::default()
            .parse(raw)
            .expect("valid MIME");
        let id = m.message_id().expect("a Message-ID");
        let record = records
            .iter()
            .find(|r| r["message_id"].as_str().unwrap().trim_matches(['<', '>']) == id)
            .unwrap_or_else(|| panic!("{id} is not in the sent-log"));
        let to = m.to().unwrap().first().unwrap().address().unwrap();
        assert_eq!(record["to"], to);
        let text = m.body_text(0).expect("a plain-text part");
        let html = m.body_html(0).expect("an HTML part");
        assert!(html.contains("<ol>"), "{html}");
        let subject = m.subject().unwrap();
        if to == j {
            german += 1;
            assert!(subject.contains("Erinnerung"), "{subject}");
            if record["as_of"] == "2027-11-25" {
                assert!(
                    text.contains(
                        "Kündigen bis 02.12.2027 (in 7 Tagen): Adobe Acrobat Pro, Lizenz ACRO"
                    ),
                    "{text}"
                );
                assert!(
                    text.contains("sonst verlängert sie sich um 12 Monate für 45.600,00 EUR."),
                    "{text}"
                );
                assert!(html.contains("Kündigen bis 02.12.2027"), "{html}");
            }
        } else {
            english += 1;
            assert!(subject.starts_with("entitle: 1 reminder"), "{subject}");
            if record["as_of"] == "2026-12-10" {
                assert!(
                    text.contains("Cancel by 2027-01-01 (in 22 days): Microsoft Microsoft 365 E3, license M365"),
                    "{text}"
                );
                assert!(
                    text.contains("or it renews for 12 months at 12,000.00 EUR."),
                    "{text}"
                );
                assert!(text.contains("See it: entitle history M365"), "{text}");
            }
        }
    }
    assert!(
        german >= 6 && english >= 12,
        "{german} German, {english} English"
    );
}

fn run_remind(s: &TestStore, as_of: &str) -> std::process::Output {
    s.command(&["remind", "--as-of", as_of, "--json"])
        .output()
        .unwrap()
}

#[test]
fn a_server_that_refuses_once_loses_nothing_and_a_rerun_sends_nothing() {
    let sink = Sink::start(1);
    let s = TestStore::new();
    company(&s, sink.port);
    // 2027-12-02: ACRO's day-of stage to Jürgen and M365's 30-day one to
    // Anna. The first message is refused (451): exit 2, it stays due.
    let out = run_remind(&s, "2027-12-02");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("was not sent") && err.contains("451"), "{err}");
    assert_eq!(sink.messages().len(), 1);
    let first: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let refused = first["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["sent"] == false)
        .unwrap()["to"]
        .clone();
    assert_eq!(
        s.json(&["remind", "log"])["sent"].as_array().unwrap().len(),
        1,
        "only what the server accepted is recorded"
    );
    // The next run sends what was refused, and only that.
    let v = s.json(&["remind", "--as-of", "2027-12-02"]);
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1, "{v:#}");
    assert_eq!(msgs[0]["to"], refused);
    assert_eq!(msgs[0]["sent"], true);
    assert_eq!(sink.messages().len(), 2);
    // And a third run the same day sends nothing.
    let out = s.ok(&["remind", "--as-of", "2027-12-02"]);
    assert!(out.contains("sent 0 message(s)"), "{out}");
    assert_eq!(sink.messages().len(), 2);
    let log = s.ok(&["remind", "log"]);
    assert!(log.contains("0d  cancel-by:ACRO:2027-12-02"), "{log}");
    assert!(log.contains("30d  cancel-by:M365:2028-01-01"), "{log}");
}

/// A recipient the mail server refuses for good (550): that message is
/// not sent and not recorded, the error names the address and the
/// server's answer, the other recipient's message goes out; the refused
/// one stays due for the next run.
#[test]
fn a_refused_recipient_is_named_and_stays_due_while_the_others_go_out() {
    let sink = Sink::start_with(&["--reject-rcpt", "anna@example.com"]);
    let s = TestStore::new();
    company(&s, sink.port);
    let out = run_remind(&s, "2027-12-02");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("anna@example.com") && err.contains("550"),
        "{err}"
    );
    assert_eq!(sink.messages().len(), 1, "Jürgen's message went out");
    let log = s.json(&["remind", "log"]);
    let sent = log["sent"].as_array().unwrap();
    assert_eq!(sent.len(), 1, "{log}");
    assert_eq!(sent[0]["to"], "juergen@example.com", "{log}");
    let again = run_remind(&s, "2027-12-02");
    assert_eq!(again.status.code(), Some(2), "still due, still refused");
    assert_eq!(sink.messages().len(), 1);
}

/// No mail server at the address: a clear error naming it, nothing
/// recorded, everything still due.
#[test]
fn an_unreachable_mail_server_is_named_and_nothing_is_recorded() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let s = TestStore::new();
    company(&s, port);
    let out = run_remind(&s, "2027-12-02");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(s.json(&["remind", "log"])["sent"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn a_dry_run_shows_and_sends_nothing() {
    let sink = Sink::start(0);
    let s = TestStore::new();
    company(&s, sink.port);
    let out = s.ok(&["remind", "--dry-run", "--as-of", "2027-11-25"]);
    // Jürgen: ACRO's 7-day stage, the shortfall and the stale count;
    // Anna: the assumed renewal's 90-day stage.
    assert!(out.contains("would send 2 message(s)"), "{out}");
    assert!(out.contains("to juergen@example.com [de]"), "{out}");
    assert!(out.contains("cancel-by"), "{out}");
    assert!(sink.messages().is_empty());
    assert!(!s.path.join("remind/sent.jsonl").exists());
}

#[test]
fn an_owner_without_an_address_is_reported_with_exit_1() {
    let sink = Sink::start(0);
    let s = TestStore::new();
    company(&s, sink.port);
    buy(
        &s,
        &[
            "--vendor",
            "Slack",
            "--product",
            "Slack Pro",
            "--start",
            "2027-01-01",
            "--end",
            "2027-12-31",
            "--owner",
            "Max Mustermann",
            "--id",
            "SLACK",
        ],
    );
    let err = s.fails(1, &["remind", "--as-of", "2027-12-25"]);
    assert!(err.contains("reach nobody"), "{err}");
    assert!(
        err.contains("Max Mustermann: expiry:SLACK:2027-12-31"),
        "{err}"
    );
    // The others were still sent (Anna's and Jürgen's).
    assert_eq!(sink.messages().len(), 2, "{err}");
}

#[test]
fn bad_settings_are_named_by_file_and_key() {
    let s = TestStore::new();
    company(&s, 25);
    let file = s.path.join("entitle.toml");
    for (text, needle) in [
        (
            "[remind]\nfallback = \"not an address\"\n",
            "remind.fallback \"not an address\" is not an e-mail address",
        ),
        ("[remind]\nlanguage = \"fr\"\n", "remind.language \"fr\" is not en or de"),
        ("[remind]\nstages = [90, \"x\"]\n", "remind.stages"),
        (
            "[remind.contacts]\n\"Anna\" = \"anna@\"\n",
            "remind.contacts.\"Anna\" \"anna@\" is not an e-mail address",
        ),
        (
            "[smtp]\nurl = \"http://mail.example.com\"\nfrom = \"a@example.com\"\n",
            "smtp.url \"http://mail.example.com\" is not an smtp://",
        ),
        (
            "[smtp]\nurl = \"smtp://u:secret@mail.example.com\"\nfrom = \"a@example.com\"\n",
            "without a user or password",
        ),
        ("[smtp]\nurl = \"smtps://mail.example.com\"\n", "smtp.from"),
        ("[smtp]\nurl = \"smtps://mail.example.com\"\nfrom = \"a@example.com\"\nuser = \"x\"\npasword = \"y\"\n", "smtp.pasword"),
    ] {
        std::fs::write(&file, text).unwrap();
        let err = s.fails(2, &["remind", "--dry-run", "--as-of", "2027-11-25"]);
        assert!(err.contains("entitle.toml"), "{text}: {err}");
        assert!(err.contains(needle), "{text}: {err}");
    }
    // A user without a password says where the password goes, and the
    // password is never echoed.
    std::fs::write(
        &file,
        "[remind.contacts]\n\"Anna Schmidt\" = \"anna@example.com\"\n\"Jürgen Müller\" = \"j@example.com\"\n\
         [smtp]\nurl = \"smtps://127.0.0.1:1\"\nfrom = \"a@example.com\"\nuser = \"x\"\n",
    )
    .unwrap();
    let err = s.fails(2, &["remind", "--as-of", "2027-11-25"]);
    assert!(err.contains("ENTITLE_SMTP_PASSWORD"), "{err}");
}

#[test]
fn a_store_held_by_the_server_fails_at_once_naming_it() {
    let s = TestStore::new();
    company(&s, 25);
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(s.path.join("LOCK"))
        .unwrap();
    f.lock().unwrap();
    f.set_len(0).unwrap();
    std::io::Write::write_all(
        &mut f,
        format!(
            "pid {} running `entitle serve --listen 127.0.0.1:8080` since 2026-12-02T09:14:03Z",
            std::process::id()
        )
        .as_bytes(),
    )
    .unwrap();
    let err = s.fails(2, &["--wait", "600", "remind", "--dry-run"]);
    assert!(err.contains("held by the entitle server"), "{err}");
}

/// Today, as the binary and the server take it (local time).
fn today() -> jiff::civil::Date {
    jiff::Zoned::now().date()
}

/// A store with one license whose term ends in 10 days and does not
/// renew: its 30-day expiry stage is due today, to Anna; and one owned by
/// "Ben", whom no contact names.
fn due_today(s: &TestStore, port: u16, extra_remind: &str, extra_smtp: &str) {
    let start = (today() - remind::days(300)).to_string();
    let end = (today() + remind::days(10)).to_string();
    for (id, owner, vendor) in [("SOON", "Anna Schmidt", "Acme"), ("BENS", "Ben", "Borg")] {
        buy(
            s,
            &[
                "--vendor",
                vendor,
                "--product",
                "Tool",
                "--start",
                &start,
                "--end",
                &end,
                "--owner",
                owner,
                "--id",
                id,
            ],
        );
    }
    let text = settings(port)
        .replace("[remind]\n", &format!("[remind]\n{extra_remind}"))
        .replace(
            "timeout_secs = 5\n",
            &format!("timeout_secs = 5\n{extra_smtp}"),
        );
    std::fs::write(s.path.join("entitle.toml"), text).unwrap();
}

/// Waits up to 60 s for `n` messages in the sink.
fn wait_for(sink: &Sink, n: usize) -> Vec<Vec<u8>> {
    let began = std::time::Instant::now();
    loop {
        let m = sink.messages();
        if m.len() >= n || began.elapsed() > std::time::Duration::from_secs(60) {
            return m;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn the_server_sends_at_startup_once_its_daily_time_has_passed_and_shows_what_was_sent() {
    use crate::serve::{admin, bearer, Served};
    use reqwest::StatusCode;
    let sink = Sink::start(0);
    let s = TestStore::new();
    // 00:00 has passed today: the server runs at once when it starts.
    due_today(&s, sink.port, "daily_at = \"00:00\"\n", "");
    let server = Served::start(&s);
    let got = wait_for(&sink, 1);
    assert_eq!(got.len(), 1, "the startup run sent Anna's reminder");
    let text = String::from_utf8_lossy(&got[0]);
    assert!(text.contains("anna@example.com"), "{text}");
    assert!(text.contains("SOON"), "{text}");
    // The store is the server's: the CLI says so at once.
    let err = s.fails(2, &["remind", "--dry-run"]);
    assert!(err.contains("entitle serve"), "{err}");

    // The API: what was sent and what is still due (Ben: no address).
    let admin = admin(&server);
    admin.add_user(&server, "vic", "viewer", &[]);
    admin.add_user(&server, "anna-audit", "auditor", &["Acme"]);
    let viewer = admin.token(&server, "vic");
    let auditor = admin.token(&server, "anna-audit");
    let v: serde_json::Value = admin.get(&server, "/api/v1/reminders").json().unwrap();
    let sent = v["sent"].as_array().unwrap();
    assert_eq!(sent.len(), 1, "{v:#}");
    assert_eq!(sent[0]["to"], "anna@example.com");
    assert_eq!(sent[0]["items"][0]["license"], "SOON");
    assert_eq!(sent[0]["items"][0]["stage"], 30);
    let message_id = sent[0]["message_id"].as_str().unwrap().to_owned();
    assert!(
        text.contains(&message_id),
        "the sink holds the recorded Message-ID"
    );
    let due = v["due"].as_array().unwrap();
    assert_eq!(due.len(), 1, "{v:#}");
    assert_eq!(due[0]["license"], "BENS");
    assert_eq!(due[0]["unaddressed"], true);

    // Ben's account gets an address: his item is due to it.
    admin.add_user(&server, "ben", "viewer", &[]);
    let r = admin
        .http
        .patch(server.at("/api/v1/users/ben"))
        .header("X-CSRF-Token", &admin.csrf)
        .json(&serde_json::json!({"email": "not an address"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = admin
        .http
        .patch(server.at("/api/v1/users/ben"))
        .header("X-CSRF-Token", &admin.csrf)
        .json(&serde_json::json!({"email": "ben@example.com"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().unwrap());
    let v: serde_json::Value = admin.get(&server, "/api/v1/reminders").json().unwrap();
    assert_eq!(v["due"][0]["to"], "ben@example.com", "{v:#}");
    assert_eq!(v["due"][0]["unaddressed"], false, "{v:#}");

    // A viewer sees what was sent, not to whom; an auditor nothing.
    let r = bearer(&server, &viewer, "/api/v1/reminders");
    assert_eq!(r.status(), StatusCode::OK);
    let as_viewer = r.text().unwrap();
    assert!(
        !as_viewer.contains("anna@example.com") && !as_viewer.contains("ben@example.com"),
        "{as_viewer}"
    );
    assert!(as_viewer.contains(&message_id), "{as_viewer}");
    assert_eq!(
        bearer(&server, &auditor, "/api/v1/reminders").status(),
        StatusCode::FORBIDDEN
    );
    // The page, in both languages.
    let page = admin.get(&server, "/reminders?lang=en").text().unwrap();
    assert!(page.contains("Due and not sent yet"), "{page}");
    assert!(page.contains("anna@example.com") && page.contains(&html_escaped(&message_id)));
    assert!(page.contains("every day at 00:00"), "{page}");
    assert!(
        page.contains("href=\"/reminders"),
        "linked from the navigation"
    );
    let page = admin.get(&server, "/reminders?lang=de").text().unwrap();
    assert!(page.contains("Fällig und noch nicht gesendet"), "{page}");
    assert!(page.contains("Erinnerungen"), "{page}");
    let page = bearer(&server, &viewer, "/reminders").text().unwrap();
    assert!(page.contains(&html_escaped(&message_id)), "{page}");
    assert!(
        !page.contains("anna@example.com") && !page.contains("ben@example.com"),
        "{page}"
    );
    let r = bearer(&server, &auditor, "/reminders");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let page = bearer(&server, &auditor, "/").text().unwrap();
    assert!(
        !page.contains("href=\"/reminders"),
        "no link for an auditor"
    );

    // Stopped, the CLI's run of the same day sends only Ben's now: the
    // server's run is in the same sent-log.
    drop(server);
    let v = s.json(&["remind"]);
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1, "{v:#}");
    assert_eq!(msgs[0]["to"], "ben@example.com");
    assert_eq!(sink.messages().len(), 2);
}

/// A Message-ID without its angle brackets, as any HTML escaping
/// leaves it.
#[test]
fn the_server_sends_when_its_daily_time_comes_and_not_before() {
    use crate::serve::Served;
    let sink = Sink::start(0);
    let s = TestStore::new();
    // The next whole minute at least 40 s ahead (local time, as the
    // server takes it).
    let now = jiff::Zoned::now();
    let at = now
        .checked_add(jiff::SignedDuration::from_secs(100))
        .unwrap()
        .datetime()
        .time();
    let at = jiff::civil::Time::new(at.hour(), at.minute(), 0, 0).unwrap();
    if at < now.time() {
        // Past midnight: the run would be tomorrow's. Nothing to wait for.
        return;
    }
    let daily = format!("daily_at = \"{}\"\n", at.strftime("%H:%M"));
    due_today(&s, sink.port, &daily, "");
    let _server = Served::start(&s);
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(sink.messages().is_empty(), "nothing before {at}");
    let began = std::time::Instant::now();
    loop {
        if !sink.messages().is_empty() {
            break;
        }
        assert!(
            began.elapsed() < std::time::Duration::from_secs(150),
            "nothing was sent at {at}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(jiff::Zoned::now().time() >= at, "not before {at}");
    assert_eq!(wait_for(&sink, 1).len(), 1);
}

fn html_escaped(s: &str) -> String {
    s.trim_matches(['<', '>']).to_owned()
}

#[test]
fn a_daily_time_that_is_not_one_or_without_smtp_stops_the_server_naming_the_key() {
    let s = TestStore::new();
    due_today(&s, 25, "daily_at = \"7 Uhr\"\n", "");
    let err = s.fails(2, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(
        err.contains("entitle.toml")
            && err.contains("remind.daily_at \"7 Uhr\" is not a time of day"),
        "{err}"
    );
    std::fs::write(
        s.path.join("entitle.toml"),
        "[remind]\ndaily_at = \"07:00\"\n",
    )
    .unwrap();
    let err = s.fails(2, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(
        err.contains("remind.daily_at") && err.contains("[smtp]"),
        "{err}"
    );
}

#[test]
fn a_server_that_requires_auth_takes_the_right_password_only_and_never_shows_it() {
    let sink = Sink::start_with(&["--auth"]);
    let s = TestStore::new();
    due_today(&s, sink.port, "", &format!("user = \"{SINK_USER}\"\n"));
    // Ben has no address: a contact for him, so only sending decides.
    let file = s.path.join("entitle.toml");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "[remind.contacts]\n",
        "[remind.contacts]\n\"Ben\" = \"ben@example.com\"\n",
    );
    std::fs::write(&file, text).unwrap();
    let wrong = "wrong-Horse-42";
    let out = s
        .command(&["remind"])
        .env("ENTITLE_SMTP_PASSWORD", wrong)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let shown = format!("{err}{}", String::from_utf8_lossy(&out.stdout));
    assert!(err.contains("was not sent"), "{err}");
    assert!(
        err.contains("535") || err.to_lowercase().contains("auth"),
        "{err}"
    );
    assert!(
        !shown.contains(wrong),
        "the password is never shown: {shown}"
    );
    assert!(sink.messages().is_empty());
    assert!(
        sink.dir.path().join("auth-failures").exists(),
        "AUTH was tried"
    );
    assert!(
        !s.path.join("remind/sent.jsonl").exists(),
        "nothing recorded"
    );
    // The right password: both sent, recorded.
    let out = s
        .command(&["remind", "--json"])
        .env("ENTITLE_SMTP_PASSWORD", SINK_PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(SINK_PASSWORD));
    assert_eq!(sink.messages().len(), 2);
    assert_eq!(
        s.json(&["remind", "log"])["sent"].as_array().unwrap().len(),
        2
    );
    // From a file readable by its owner only, as well.
    let secret = s.path.join("smtp-password");
    std::fs::write(&secret, format!("{SINK_PASSWORD}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "timeout_secs = 5\n",
        "timeout_secs = 5\npassword_file = \"smtp-password\"\n",
    );
    std::fs::write(&file, text).unwrap();
    let tomorrow = (today() + remind::days(1)).to_string();
    let out = s.ok(&["remind", "--as-of", &tomorrow]);
    assert!(
        out.contains("sent 0 message(s)"),
        "nothing new is due: {out}"
    );
}

#[test]
fn starttls_with_a_self_signed_ca_needs_smtp_ca_file_and_then_delivers() {
    let sink = Sink::start_with(&["--starttls"]);
    let s = TestStore::new();
    due_today(&s, sink.port, "", "");
    let file = s.path.join("entitle.toml");
    let plain = std::fs::read_to_string(&file).unwrap();
    // STARTTLS is required (no ?tls=none); the certificate's CA is unknown.
    let starttls = plain.replace("?tls=none", "");
    let with_contacts = starttls.replace(
        "[remind.contacts]\n",
        "[remind.contacts]\n\"Ben\" = \"ben@example.com\"\n",
    );
    std::fs::write(&file, &with_contacts).unwrap();
    let err = s.fails(2, &["remind"]);
    assert!(err.contains("was not sent"), "{err}");
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert!(sink.messages().is_empty());
    assert!(!s.path.join("remind/sent.jsonl").exists());
    // A file that is no certificate is named by key and path.
    let bogus = s.path.join("bogus.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    std::fs::write(&file, with_ca_file(&with_contacts, &bogus)).unwrap();
    let err = s.fails(2, &["remind", "--dry-run"]);
    assert!(
        err.contains("smtp.ca_file") && err.contains("bogus.pem"),
        "{err}"
    );
    // With the test's CA trusted: delivered over TLS, recorded.
    let ca = sink.dir.path().join("ca.pem");
    std::fs::write(&file, with_ca_file(&with_contacts, &ca)).unwrap();
    let out = s.ok(&["remind"]);
    assert!(out.contains("sent 2 message(s)"), "{out}");
    assert_eq!(sink.messages().len(), 2);
}

/// `smtps://` speaks TLS from the first byte (port 465 in real life): a
/// server whose certificate the store does not trust is refused and
/// nothing is recorded; with its CA in `ca_file` both digests arrive.
#[test]
fn smtps_with_implicit_tls_delivers_once_its_ca_is_trusted() {
    let sink = Sink::start_with(&["--smtps"]);
    let s = TestStore::new();
    due_today(&s, sink.port, "", "");
    let file = s.path.join("entitle.toml");
    let plain = std::fs::read_to_string(&file).unwrap();
    let smtps = plain
        .replace("smtp://127.0.0.1", "smtps://127.0.0.1")
        .replace("?tls=none", "")
        .replace(
            "[remind.contacts]\n",
            "[remind.contacts]\n\"Ben\" = \"ben@example.com\"\n",
        );
    assert!(smtps.contains("url = \"smtps://127.0.0.1:"), "{smtps}");
    std::fs::write(&file, &smtps).unwrap();
    let err = s.fails(2, &["remind"]);
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert!(sink.messages().is_empty());
    assert!(!s.path.join("remind/sent.jsonl").exists());

    let ca = sink.dir.path().join("ca.pem");
    std::fs::write(&file, with_ca_file(&smtps, &ca)).unwrap();
    let out = s.ok(&["remind"]);
    assert!(out.contains("sent 2 message(s)"), "{out}");
    assert_eq!(sink.messages().len(), 2);
    assert!(s.path.join("remind/sent.jsonl").exists());
}

/// The settings `text` with `[smtp] ca_file` naming `ca`.
fn with_ca_file(text: &str, ca: &Path) -> String {
    text.replace(
        "timeout_secs = 5\n",
        &format!(
            "timeout_secs = 5\nca_file = {:?}\n",
            ca.display().to_string()
        ),
    )
}
