//! The auth directory of format 1, as this crate first wrote it, checked in
//! (`tests/format-1/`) and read by every later version: the accounts, their
//! passwords, the tokens and the calendar link must all still answer.

use std::path::Path;
use std::sync::Arc;

use entitle_auth::{AuthDir, LoginError, Role, TokenState};

/// The secrets that were shown when the fixture was made.
const LIVE_TOKEN: &str = "ent_e6d4ab5709094c4598f53db96a23d99d5bfc6598b01d9b488fb85a4267739eaa";
const REVOKED_TOKEN: &str = "ent_88a07bf153a222b0be04101c242469132c5219a78be61ba25c40305a313b961f";
const CALENDAR: &str = "cal_e9536fa43e1aae64c2fb90ccd913e6d5e1059b94cc0467dde5fe980acb5756ab";

/// A copy of the fixture (opening narrows modes and may write), at `now`.
fn open_copy(now: &str) -> (tempfile::TempDir, AuthDir) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("auth");
    std::fs::create_dir(&dir).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/format-1");
    for entry in std::fs::read_dir(fixture).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let now: jiff::Timestamp = now.parse().unwrap();
    let auth = AuthDir::open(&dir)
        .unwrap()
        .with_clock(Arc::new(move || now));
    (tmp, auth)
}

#[test]
fn format_1_accounts_and_passwords_still_answer() {
    let (_tmp, auth) = open_copy("2027-01-01T00:00:00Z");
    let accounts = auth.list();
    let summary: Vec<_> = accounts
        .iter()
        .map(|a| (a.name.as_str(), a.role, a.vendors.clone(), a.disabled))
        .collect();
    assert_eq!(
        summary,
        [
            ("ada", Role::Admin, vec![], false),
            ("kpmg", Role::Auditor, vec!["Microsoft".to_owned()], false),
            ("bob", Role::Viewer, vec![], true),
        ]
    );
    assert_eq!(accounts[0].created_at.to_string(), "2026-12-01T09:00:00Z");
    assert_eq!(
        auth.verify_login("ada", "correct horse battery", None)
            .unwrap()
            .name,
        "ada"
    );
    assert!(matches!(
        auth.verify_login("bob", "bob's long password", None),
        Err(LoginError::Refused)
    ));
}

#[test]
fn format_1_tokens_and_calendar_links_still_answer() {
    let (_tmp, auth) = open_copy("2027-01-01T00:00:00Z");
    let (account, token) = auth.authenticate_token(LIVE_TOKEN).unwrap();
    assert_eq!(
        (account.name.as_str(), token.id.as_str()),
        ("ada", "T-0001")
    );
    assert!(auth.authenticate_token(REVOKED_TOKEN).is_none());
    let states: Vec<_> = auth
        .list_tokens()
        .iter()
        .map(|t| auth.token_state(t))
        .collect();
    assert_eq!(states, [TokenState::Active, TokenState::Revoked]);
    assert_eq!(auth.calendar_user(CALENDAR).unwrap().name, "kpmg");
    let (_tmp, later) = open_copy("2031-01-01T00:00:00Z");
    assert!(later.authenticate_token(LIVE_TOKEN).is_none(), "expired");
}

#[test]
fn format_1_access_log_reads_back() {
    let (_tmp, auth) = open_copy("2027-01-01T00:00:00Z");
    let log = auth.read_access_log().unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user-add",
            "user-add",
            "user-add",
            "user-disable",
            "token-create",
            "token-create",
            "token-revoke",
            "calendar-create",
            "login-failed",
        ]
    );
    assert_eq!(log[8].address.as_deref(), Some("192.0.2.7"));
    assert_eq!(log[0].address.as_deref(), Some("local cli"));
}
