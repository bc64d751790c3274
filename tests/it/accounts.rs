//! `entitle user …` and `entitle token …`: accounts, API tokens and the
//! access log in `<store>/auth/`, driven through the binary.

use std::io::Write;
use std::process::{Output, Stdio};

use crate::util::TestStore;

const PASSWORD: &str = "correct horse battery";

/// Runs `args` with `stdin` as standard input.
fn with_stdin(store: &TestStore, args: &[&str], stdin: &str) -> Output {
    let mut child = store
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run entitle");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn add(store: &TestStore, args: &[&str]) -> Output {
    let mut all = vec!["user", "add"];
    all.extend_from_slice(args);
    all.push("--password-stdin");
    with_stdin(store, &all, &format!("{PASSWORD}\n"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn accounts_are_added_listed_and_changed() {
    let s = TestStore::new();
    let out = add(&s, &["ada", "--role", "admin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "added ada (admin)\n");
    let out = add(
        &s,
        &[
            "kpmg",
            "--role",
            "auditor",
            "--vendor",
            "Microsoft",
            "--vendor",
            "Oracle",
        ],
    );
    assert_eq!(stdout(&out), "added kpmg (auditor: Microsoft, Oracle)\n");
    let list = s.json(&["user", "list"]);
    assert_eq!(list[0]["name"], "ada");
    assert_eq!(list[1]["role"], "auditor");
    assert_eq!(
        list[1]["vendors"],
        serde_json::json!(["Microsoft", "Oracle"])
    );
    assert_eq!(list[1]["disabled"], false);
    assert!(list[0].get("password").is_none(), "no hash in the listing");
    assert_eq!(
        s.ok(&["user", "role", "kpmg", "--role", "viewer"]),
        "kpmg is now viewer\n"
    );
    assert_eq!(s.ok(&["user", "disable", "KPMG"]), "disabled kpmg\n");
    assert_eq!(s.json(&["user", "list"])[1]["disabled"], true);
    assert_eq!(s.ok(&["user", "enable", "kpmg"]), "enabled kpmg\n");
    let out = with_stdin(
        &s,
        &["user", "passwd", "kpmg", "--password-stdin"],
        "another long password\r\n",
    );
    assert_eq!(stdout(&out), "password of kpmg changed\n");
    let table = s.ok(&["user", "list"]);
    assert!(
        table.starts_with("NAME  ROLE    VENDORS  STATUS   EMAIL  CREATED\n"),
        "{table}"
    );
    assert!(s.log().is_empty(), "accounts are never events: {}", s.log());
}

#[test]
fn an_account_has_an_optional_checked_email_address_shown_in_the_list() {
    let s = TestStore::new();
    let out = add(
        &s,
        &["ada", "--role", "admin", "--email", " Ada@Example.com "],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.json(&["user", "list"])[0]["email"], "Ada@Example.com");
    // A bad address is refused before the password is asked, naming it.
    let out = add(
        &s,
        &["bob", "--role", "viewer", "--email", "bob at example"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("email") && err.contains("bob at example"),
        "{err}"
    );
    assert_eq!(s.json(&["user", "list"]).as_array().unwrap().len(), 1);
    add(&s, &["bob", "--role", "viewer"]);
    assert!(s.json(&["user", "list"])[1].get("email").is_none());
    assert_eq!(
        s.ok(&["user", "email", "BOB", "bob@example.com"]),
        "bob is reminded at bob@example.com\n"
    );
    let err = s.fails(2, &["user", "email", "bob", "not-an-address"]);
    assert!(err.contains("not-an-address"), "{err}");
    let err = s.fails(2, &["user", "email", "nobody", "x@example.com"]);
    assert!(err.contains("nobody"), "{err}");
    let table = s.ok(&["user", "list"]);
    assert!(table.contains("bob@example.com"), "{table}");
    assert_eq!(
        s.ok(&["user", "email", "bob", "--clear"]),
        "bob has no e-mail address now\n"
    );
    assert!(s.json(&["user", "list"])[1].get("email").is_none());
    let log = s.ok(&["user", "log"]);
    assert!(log.contains("user-email"), "{log}");
    assert!(s.log().is_empty(), "accounts are never events");
}

#[test]
fn the_auth_directory_is_private_and_holds_no_password_or_secret() {
    let s = TestStore::new();
    add(&s, &["ada", "--role", "admin"]);
    let secret = s.ok(&["token", "create", "--user", "ada", "--name", "ci"]);
    let secret = secret.trim();
    let dir = s.path.join("auth");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        for entry in std::fs::read_dir(&dir).unwrap() {
            assert_eq!(mode(&entry.unwrap().path()), 0o600);
        }
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains(PASSWORD));
        assert!(!text.contains(&secret[4..]));
    }
}

#[test]
fn a_password_is_never_taken_from_the_command_line() {
    let s = TestStore::new();
    let err = s.fails(
        2,
        &[
            "user",
            "add",
            "ada",
            "--role",
            "admin",
            "--password",
            PASSWORD,
        ],
    );
    assert!(err.contains("unexpected argument '--password'"), "{err}");
    // No terminal and no --password-stdin: refused, not read from a pipe.
    let out = with_stdin(&s, &["user", "add", "ada", "--role", "admin"], PASSWORD);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: no terminal to ask for the password on: pass --password-stdin and give it as the first line of standard input\n"
    );
    let out = with_stdin(
        &s,
        &["user", "add", "ada", "--role", "admin", "--password-stdin"],
        "",
    );
    assert!(stderr(&out).contains("standard input holds no password line"));
    assert!(s.json(&["user", "list"]).as_array().unwrap().is_empty());
}

#[test]
fn bad_requests_name_the_flag_and_are_refused_before_the_password() {
    let s = TestStore::new();
    add(&s, &["ada", "--role", "admin"]);
    for (args, message) in [
        (
            &["user", "add", "bob", "--role", "owner"][..],
            "error: --role owner is unknown; use admin, editor, viewer or auditor\n",
        ),
        (
            &["user", "add", "bob", "--role", "auditor"][..],
            "error: --vendor is required for an auditor; name each vendor the auditor may see with --vendor\n",
        ),
        (
            &["user", "add", "ADA", "--role", "viewer"][..],
            "error: an account named \"ada\" exists already; names are unique ignoring case; choose another\n",
        ),
        (
            &["user", "add", "bob", "--role", "viewer", "--vendor", "Acme"][..],
            "error: a viewer sees every vendor: vendors are only for an auditor; leave out --vendor\n",
        ),
        (
            &["user", "disable", "ada"][..],
            "error: \"ada\" is the last enabled admin; make another account admin first, or nobody could manage accounts\n",
        ),
        (
            &["user", "passwd", "nobody"][..],
            "error: no account is named \"nobody\"; `entitle user list` shows the accounts\n",
        ),
    ] {
        // Standard input is no terminal: a request that got as far as
        // the password would fail on that instead.
        let out = with_stdin(&s, args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&out), message, "{args:?}");
    }
    let out = with_stdin(
        &s,
        &["user", "add", "bob", "--role", "viewer", "--password-stdin"],
        "short\n",
    );
    assert_eq!(
        stderr(&out),
        "error: the password has 5 characters; it must have at least 12\n"
    );
    assert_eq!(s.json(&["user", "list"]).as_array().unwrap().len(), 1);
}

#[test]
fn a_token_secret_is_shown_once_and_never_listed() {
    let s = TestStore::new();
    add(&s, &["ci", "--role", "editor"]);
    let out = s.run(&[
        "token",
        "create",
        "--user",
        "ci",
        "--name",
        "nightly import",
        "--expires",
        "2999-12-31",
    ]);
    assert!(out.status.success());
    let secret = stdout(&out);
    let secret = secret.trim_end();
    assert!(secret.starts_with("ent_") && secret.len() == 68, "{secret}");
    assert_eq!(
        stderr(&out),
        "created T-0001 for ci (\"nightly import\"), last day 2999-12-31 (UTC)\n\
         this secret is shown once: store it now (entitle keeps only its hash)\n"
    );
    let created = s.json(&["token", "create", "--user", "ci", "--name", "second"]);
    assert_eq!(created["id"], "T-0002");
    assert!(created["secret"].as_str().unwrap().starts_with("ent_"));
    let list = s.json(&["token", "list"]);
    assert_eq!(list[0]["state"], "active");
    assert_eq!(list[0]["expires"], "2999-12-31");
    let listed = s.ok(&["token", "list"]);
    assert!(!listed.contains(&secret[4..]) && listed.contains("nightly import"));
    assert_eq!(
        s.ok(&["token", "revoke", "T-0001"]),
        "revoked T-0001 for ci (\"nightly import\")\n"
    );
    assert_eq!(s.json(&["token", "list"])[0]["state"], "revoked");
    let err = s.fails(2, &["token", "revoke", "T-0001"]);
    assert_eq!(err, "error: token T-0001 was revoked already\n");
    let err = s.fails(2, &["token", "revoke", "T-0042"]);
    assert_eq!(
        err,
        "error: no token has id \"T-0042\"; `entitle token list` shows the tokens\n"
    );
}

#[test]
fn bad_token_requests_name_the_flag() {
    let s = TestStore::new();
    add(&s, &["ci", "--role", "editor"]);
    let err = s.fails(2, &["token", "create", "--user", "ghost", "--name", "x"]);
    assert_eq!(
        err,
        "error: no account is named \"ghost\"; `entitle user list` shows the accounts\n"
    );
    for (expires, problem) in [
        ("2024-02-30", "error: --expires 2024-02-30 "),
        ("2000-01-01", "is before today"),
    ] {
        let args = [
            "token",
            "create",
            "--user",
            "ci",
            "--name",
            "x",
            "--expires",
            expires,
        ];
        let err = s.fails(2, &args);
        assert!(err.contains(problem), "{err}");
    }
    let err = s.fails(2, &["token", "create", "--user", "ci", "--name", " "]);
    assert_eq!(err, "error: --name \" \" is empty\n");
    assert!(s.json(&["token", "list"]).as_array().unwrap().is_empty());
}

#[test]
fn the_access_log_names_the_local_actor_and_every_change() {
    let s = TestStore::new();
    add(&s, &["ada", "--role", "admin"]);
    s.ok(&["token", "create", "--user", "ada", "--name", "x"]);
    s.ok(&["token", "revoke", "T-0001"]);
    s.fails(2, &["user", "disable", "ada"]);
    let log = s.json(&["user", "log"]);
    let seen: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                e["actor"].as_str().unwrap(),
                e["address"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["detail"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            "tester local cli user-add ada admin",
            "tester local cli token-create T-0001 for ada \"x\" no expiry",
            "tester local cli token-revoke T-0001 for ada",
        ],
        "a refused change is not logged as made"
    );
    let table = s.ok(&["user", "log"]);
    assert!(table.starts_with("AT "), "{table}");
    assert!(table.contains("token-create"));
}

#[test]
fn account_commands_need_an_existing_store_except_the_first_add() {
    let s = TestStore::new();
    let err = s.fails(2, &["user", "list"]);
    assert!(err.starts_with("error: "), "{err}");
    assert!(!s.path.exists(), "a listing creates no store");
    let out = add(&s, &["ada", "--role", "admin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(s.path.join("auth").is_dir());
}

#[test]
fn accounts_and_tokens_stay_out_of_the_log_the_export_and_audit_packs() {
    let s = TestStore::new();
    s.ok(&crate::util::purchase("Acme", "5", &[]));
    add(&s, &["zelda-the-admin", "--role", "admin"]);
    let secret = s.ok(&[
        "token",
        "create",
        "--user",
        "zelda-the-admin",
        "--name",
        "ci",
    ]);
    let pack = s.path.with_file_name("pack");
    s.ok(&[
        "audit-pack",
        "--vendor",
        "Acme",
        "--out",
        pack.to_str().unwrap(),
    ]);
    let mut texts = vec![s.log(), s.ok(&["export"])];
    let mut dirs = vec![pack];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                texts.push(String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned());
            }
        }
    }
    assert!(texts.len() > 3, "the pack has files");
    for text in texts {
        assert!(!text.contains("zelda-the-admin"));
        assert!(!text.contains("argon2") && !text.contains(&secret.trim()[4..]));
    }
}

/// Runs `entitle ARGS` on a pseudo-terminal (through util-linux `script`)
/// and answers each prompt of `answers` with its line once it is shown;
/// returns everything the terminal showed. `None` without `script`.
fn on_terminal(store: &TestStore, args: &[&str], answers: &[(&str, &str)]) -> Option<String> {
    use std::io::Read;
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: util-linux `script` is not installed");
        return None;
    }
    let mut line = format!(
        "{} --store {}",
        crate::util::bin().display(),
        store.path.display()
    );
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    let mut child = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("ENTITLE_ACTOR", "tester")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run script");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut shown = Vec::new();
    let mut byte = [0u8; 1];
    for (prompt, answer) in answers {
        while !String::from_utf8_lossy(&shown).ends_with(prompt) {
            assert_eq!(
                stdout.read(&mut byte).unwrap(),
                1,
                "ended before {prompt:?}"
            );
            shown.push(byte[0]);
        }
        // The prompt is printed just before echo is switched off: give the
        // program time to switch it, as a person typing would.
        std::thread::sleep(std::time::Duration::from_millis(500));
        stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
    }
    stdout.read_to_end(&mut shown).unwrap();
    drop(stdin);
    child.wait().unwrap();
    Some(String::from_utf8_lossy(&shown).replace('\r', ""))
}

#[test]
fn on_a_terminal_the_password_is_asked_twice_without_echo() {
    let s = TestStore::new();
    let first = "password (at least 12 characters): ";
    let again = "the same password again: ";
    let answers = [(first, PASSWORD), (again, PASSWORD)];
    let Some(shown) = on_terminal(&s, &["user", "add", "ada", "--role", "admin"], &answers) else {
        return;
    };
    assert_eq!(shown, format!("{first}\n{again}\nadded ada (admin)\n"));
    assert!(!shown.contains(PASSWORD), "echoed: {shown}");
    let answers = [
        (first, "one long password"),
        (again, "another long password"),
    ];
    let shown = on_terminal(&s, &["user", "passwd", "ada"], &answers).unwrap();
    assert!(
        shown.ends_with("error: the two passwords differ; nothing was changed\n"),
        "{shown}"
    );
    let log = s.json(&["user", "log"]);
    assert_eq!(
        log.as_array().unwrap().len(),
        1,
        "no password change logged"
    );
}
