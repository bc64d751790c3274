//! Accounts in `accounts.json`: a name, a role, an auditor's vendors, a
//! password hash, whether it is disabled. Sign-in, and the rule that the
//! last enabled admin can be neither disabled nor demoted.

use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::access::{action, Actor};
use crate::error::{Error, LoginError, Result};
use crate::role::Role;
use crate::{files, names, password, AuthDir};

const FILE: &str = "accounts.json";

/// An account as everyone may see it (no password hash).
///
/// Stored as JSON in `accounts.json`: the field names are frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The name, as first given (unique ignoring case).
    pub name: String,
    /// What the account may do.
    pub role: Role,
    /// For an auditor, the vendors it sees (never empty); for the other
    /// roles, empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vendors: Vec<String>,
    /// A disabled account cannot sign in and its tokens and calendar link
    /// answer nothing.
    pub disabled: bool,
    /// The e-mail address reminders go to when the account's name is a
    /// license's owner (checked by the caller). Files written before it
    /// existed read as none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// When it was added.
    pub created_at: Timestamp,
    /// When it last changed (role, vendors, password, disabled).
    pub changed_at: Timestamp,
}

impl Account {
    /// Whether the account may see what concerns `vendor`: every role but
    /// an auditor sees every vendor; an auditor only those on its account,
    /// compared as vendors are everywhere in entitle (trimmed, ignoring
    /// case).
    #[must_use]
    pub fn sees_vendor(&self, vendor: &str) -> bool {
        self.role != Role::Auditor
            || self
                .vendors
                .iter()
                .any(|v| names::same(v.trim(), vendor.trim()))
    }

    /// Whether it is an admin that can sign in.
    fn is_live_admin(&self) -> bool {
        self.role == Role::Admin && !self.disabled
    }
}

/// An account with its password hash, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Stored {
    #[serde(flatten)]
    pub(crate) account: Account,
    /// The Argon2id PHC string.
    password: String,
}

pub(crate) fn load(dir: &Path) -> Result<Vec<Stored>> {
    files::load_list(dir, FILE, "accounts")
}

/// The vendors for `role`: each name checked, duplicates (ignoring case)
/// dropped; required for an auditor, refused for the other roles.
fn scope(role: Role, vendors: Vec<String>) -> Result<Vec<String>> {
    let mut checked: Vec<String> = Vec::with_capacity(vendors.len());
    for raw in vendors {
        let vendor = names::check("vendor", &raw).map_err(|_| Error::InvalidVendor(raw))?;
        if !checked.iter().any(|v| names::same(v, &vendor)) {
            checked.push(vendor);
        }
    }
    match (role, checked.is_empty()) {
        (Role::Auditor, true) => Err(Error::VendorsRequired),
        (Role::Auditor, false) | (_, true) => Ok(checked),
        (other, false) => Err(Error::VendorsNotAllowed(other)),
    }
}

impl AuthDir {
    /// Every account, in the order they were added.
    #[must_use]
    pub fn list(&self) -> Vec<Account> {
        self.accounts.iter().map(|s| s.account.clone()).collect()
    }

    /// The account named `name` (ignoring case).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<Account> {
        self.position(name)
            .map(|i| self.accounts[i].account.clone())
    }

    /// Whether there is no account at all (a fresh store needs its first
    /// admin).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    fn position(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.accounts
            .iter()
            .position(|s| names::same(&s.account.name, name))
    }

    fn position_of(&self, name: &str) -> Result<usize> {
        self.position(name)
            .ok_or_else(|| Error::UnknownUser(name.trim().to_owned()))
    }

    /// Adds an account. The password is hashed with Argon2id; `vendors`
    /// are required for an auditor and refused for every other role.
    ///
    /// # Errors
    ///
    /// For a bad name, a name taken (ignoring case), a password too short
    /// or too long, vendors that do not fit the role; or when the files
    /// cannot be written.
    pub fn add_user(
        &mut self,
        by: &Actor,
        name: &str,
        role: Role,
        vendors: Vec<String>,
        password: &str,
    ) -> Result<Account> {
        let (name, vendors) = self.new_account(name, role, vendors)?;
        let now = self.now();
        let stored = Stored {
            account: Account {
                name,
                role,
                vendors,
                disabled: false,
                email: None,
                created_at: now,
                changed_at: now,
            },
            password: password::hash(password)?,
        };
        let account = stored.account.clone();
        let mut next = self.accounts.clone();
        next.push(stored);
        self.save_accounts(next)?;
        self.record(by, action::USER_ADD, describe(&account))?;
        Ok(account)
    }

    /// Checks everything about a new account but its password, so that a
    /// front-end can refuse a bad request before it asks for one.
    ///
    /// # Errors
    ///
    /// As [`AuthDir::add_user`] for the name, the role and the vendors.
    pub fn check_new_user(&self, name: &str, role: Role, vendors: Vec<String>) -> Result<()> {
        self.new_account(name, role, vendors).map(drop)
    }

    /// The checked name and vendors of a new account.
    fn new_account(
        &self,
        name: &str,
        role: Role,
        vendors: Vec<String>,
    ) -> Result<(String, Vec<String>)> {
        let name = names::check("name", name)?;
        if let Some(i) = self.position(&name) {
            return Err(Error::DuplicateUser {
                existing: self.accounts[i].account.name.clone(),
            });
        }
        Ok((name, scope(role, vendors)?))
    }

    /// Sets a new password.
    ///
    /// # Errors
    ///
    /// For an unknown account, a password too short or too long; or when
    /// the files cannot be written.
    pub fn set_password(&mut self, by: &Actor, name: &str, password: &str) -> Result<Account> {
        let hash = password::hash(password)?;
        let account = self.change(name, |stored| stored.password = hash)?;
        self.record(by, action::USER_PASSWD, account.name.clone())?;
        Ok(account)
    }

    /// Disables an account: it can no longer sign in, and its tokens and
    /// calendar link answer nothing (they come back if it is enabled).
    ///
    /// # Errors
    ///
    /// For an unknown account, or the last enabled admin.
    pub fn disable(&mut self, by: &Actor, name: &str) -> Result<Account> {
        self.set_disabled(by, name, true)
    }

    /// Enables a disabled account again.
    ///
    /// # Errors
    ///
    /// For an unknown account.
    pub fn enable(&mut self, by: &Actor, name: &str) -> Result<Account> {
        self.set_disabled(by, name, false)
    }

    fn set_disabled(&mut self, by: &Actor, name: &str, disabled: bool) -> Result<Account> {
        let account = self.change(name, |stored| stored.account.disabled = disabled)?;
        let act = if disabled {
            action::USER_DISABLE
        } else {
            action::USER_ENABLE
        };
        self.record(by, act, account.name.clone())?;
        Ok(account)
    }

    /// Gives an account another role (and, for an auditor, its vendors).
    ///
    /// # Errors
    ///
    /// For an unknown account, vendors that do not fit the role, or the
    /// demotion of the last enabled admin.
    pub fn set_role(
        &mut self,
        by: &Actor,
        name: &str,
        role: Role,
        vendors: Vec<String>,
    ) -> Result<Account> {
        let vendors = scope(role, vendors)?;
        let account = self.change(name, |stored| {
            stored.account.role = role;
            stored.account.vendors = vendors;
        })?;
        self.record(by, action::USER_ROLE, describe(&account))?;
        Ok(account)
    }

    /// Sets (or, with none, removes) an account's e-mail address; the
    /// caller has checked it.
    ///
    /// # Errors
    ///
    /// For an unknown account, or when the files cannot be written.
    pub fn set_email(&mut self, by: &Actor, name: &str, email: Option<String>) -> Result<Account> {
        let account = self.change(name, |stored| stored.account.email = email)?;
        self.record(by, action::USER_EMAIL, account.name.clone())?;
        Ok(account)
    }

    /// Changes one account with `edit`, refuses a result without an
    /// enabled admin (when there was one before), and saves.
    fn change(&mut self, name: &str, edit: impl FnOnce(&mut Stored)) -> Result<Account> {
        let i = self.position_of(name)?;
        let mut next = self.accounts.clone();
        edit(&mut next[i]);
        next[i].account.changed_at = self.now();
        let had_admin = self.accounts.iter().any(|s| s.account.is_live_admin());
        if had_admin && !next.iter().any(|s| s.account.is_live_admin()) {
            return Err(Error::LastAdmin(self.accounts[i].account.name.clone()));
        }
        let account = next[i].account.clone();
        self.save_accounts(next)?;
        Ok(account)
    }

    fn save_accounts(&mut self, accounts: Vec<Stored>) -> Result<()> {
        files::save_list(&self.dir, FILE, "accounts", &accounts)?;
        self.accounts = accounts;
        Ok(())
    }

    /// Checks a sign-in and logs it (let in or refused, with `address`).
    /// An unknown or disabled account costs the same time as a wrong
    /// password — a password is verified either way — and gets the same
    /// refusal.
    ///
    /// # Errors
    ///
    /// [`LoginError::Refused`] for an unknown or disabled account or a
    /// wrong password; [`LoginError::Log`] when the attempt cannot be
    /// logged (then nobody is let in).
    pub fn verify_login(
        &self,
        name: &str,
        password: &str,
        address: Option<&str>,
    ) -> Result<Account, LoginError> {
        let found = self.position(name).map(|i| &self.accounts[i]);
        let accepted = match found {
            Some(stored) if !stored.account.disabled => {
                password::verify(password, &stored.password).then(|| stored.account.clone())
            }
            _ => {
                password::verify_dummy(password);
                None
            }
        };
        // The name as typed, made safe to log: it may be anything.
        let tried: String = name
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(names::MAX_NAME_CHARS)
            .collect();
        let by = Actor::new(tried.clone(), address.map(str::to_owned));
        let (act, detail) = match &accepted {
            Some(a) => (action::LOGIN, a.name.clone()),
            None => (action::LOGIN_FAILED, tried),
        };
        self.record(&by, act, detail).map_err(LoginError::Log)?;
        accepted.ok_or(LoginError::Refused)
    }
}

/// An account for the access log: `name role [vendors]`.
fn describe(account: &Account) -> String {
    let mut text = format!("{} {}", account.name, account.role);
    if !account.vendors.is_empty() {
        text.push_str(" vendors=");
        text.push_str(&account.vendors.join(","));
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::testing::{Fixture, PASSWORD};

    #[test]
    fn an_account_is_kept_and_read_back() {
        let mut f = Fixture::new();
        let ada = f.user("  Ada ", Role::Admin);
        assert_eq!(ada.name, "Ada");
        assert_eq!(ada.created_at.to_string(), "2026-03-01T12:00:00Z");
        let aud = f.user("Eve", Role::Auditor);
        assert_eq!(aud.vendors, ["Acme"]);
        let reopened = f.reopen();
        assert_eq!(reopened.list(), [ada.clone(), aud]);
        assert_eq!(reopened.get("ADA"), Some(ada));
        assert_eq!(reopened.get("nobody"), None);
    }

    #[test]
    fn an_email_is_kept_and_a_file_from_before_emails_reads_as_none() {
        let mut f = Fixture::new();
        f.user("ada", Role::Admin);
        let by = Fixture::by();
        let ada = f
            .auth
            .set_email(&by, "ADA", Some("ada@example.com".into()))
            .unwrap();
        assert_eq!(ada.email.as_deref(), Some("ada@example.com"));
        assert_eq!(
            f.reopen().get("ada").unwrap().email.as_deref(),
            Some("ada@example.com")
        );
        // An account as files before the e-mail field held it.
        let old = r#"{"name":"bob","role":"viewer","disabled":false,"created_at":"2026-03-01T12:00:00Z","changed_at":"2026-03-01T12:00:00Z"}"#;
        let bob: Account = serde_json::from_str(old).unwrap();
        assert_eq!(bob.email, None);
        assert!(!serde_json::to_string(&bob).unwrap().contains("email"));
        f.auth.set_email(&by, "ada", None).unwrap();
        assert_eq!(f.reopen().get("ada").unwrap().email, None);
    }

    #[test]
    fn the_stored_file_has_a_format_and_no_plain_password() {
        let mut f = Fixture::new();
        f.user("ada", Role::Admin);
        let text = std::fs::read_to_string(f.auth.path().join(FILE)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["format"], 1);
        assert!(json["accounts"][0]["password"]
            .as_str()
            .unwrap()
            .starts_with("$argon2id$"));
        assert!(!text.contains(PASSWORD));
    }

    #[test]
    fn an_auditor_sees_only_its_vendors_and_everyone_else_all() {
        let mut f = Fixture::new();
        let eve = f.user("eve", Role::Auditor);
        assert!(eve.sees_vendor("Acme") && eve.sees_vendor(" ACME "));
        assert!(!eve.sees_vendor("Globex") && !eve.sees_vendor(""));
        let bob = f.user("bob", Role::Viewer);
        assert!(bob.sees_vendor("Globex"));
    }

    #[test]
    fn names_are_unique_ignoring_case() {
        let mut f = Fixture::new();
        f.user("Ada", Role::Admin);
        let e = f
            .auth
            .add_user(&Fixture::by(), "ADA", Role::Viewer, vec![], PASSWORD)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "an account named \"Ada\" exists already; names are unique ignoring case"
        );
    }

    #[test]
    fn vendors_are_for_auditors_only_and_auditors_need_them() {
        let mut f = Fixture::new();
        let by = Fixture::by();
        let e = f
            .auth
            .add_user(&by, "a", Role::Auditor, vec![], PASSWORD)
            .unwrap_err();
        assert!(matches!(e, Error::VendorsRequired));
        let e = f
            .auth
            .add_user(&by, "a", Role::Viewer, vec!["Acme".into()], PASSWORD)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "a viewer sees every vendor: vendors are only for an auditor; leave them out"
        );
        let e = f
            .auth
            .add_user(&by, "a", Role::Auditor, vec![" ".into()], PASSWORD)
            .unwrap_err();
        assert!(matches!(e, Error::InvalidVendor(v) if v == " "));
        let a = f
            .auth
            .add_user(
                &by,
                "a",
                Role::Auditor,
                vec![" Acme ".into(), "ACME".into(), "Globex".into()],
                PASSWORD,
            )
            .unwrap();
        assert_eq!(a.vendors, ["Acme", "Globex"]);
        assert!(f.auth.list().len() == 1, "refused accounts were not added");
    }

    #[test]
    fn a_new_account_is_checked_before_a_password_is_asked_for() {
        let mut f = Fixture::new();
        f.user("ada", Role::Admin);
        assert!(f.auth.check_new_user("bob", Role::Viewer, vec![]).is_ok());
        assert!(matches!(
            f.auth.check_new_user("Ada", Role::Viewer, vec![]),
            Err(Error::DuplicateUser { .. })
        ));
        assert!(matches!(
            f.auth.check_new_user("bob", Role::Auditor, vec![]),
            Err(Error::VendorsRequired)
        ));
        assert_eq!(f.auth.list().len(), 1);
    }

    #[test]
    fn a_short_password_is_refused_with_the_minimum() {
        let mut f = Fixture::new();
        let e = f
            .auth
            .add_user(&Fixture::by(), "ada", Role::Admin, vec![], "short")
            .unwrap_err();
        assert!(e.to_string().contains("at least 12"), "{e}");
        assert!(f.auth.is_empty());
    }

    #[test]
    fn login_checks_the_password_and_a_new_one_replaces_it() {
        let mut f = Fixture::new();
        f.user("ada", Role::Editor);
        assert_eq!(
            f.auth.verify_login("ADA", PASSWORD, None).unwrap().name,
            "ada"
        );
        f.advance(60);
        let changed = f
            .auth
            .set_password(&Fixture::by(), "ada", "another long passphrase")
            .unwrap();
        assert_eq!(changed.changed_at.to_string(), "2026-03-01T12:01:00Z");
        assert!(f.auth.verify_login("ada", PASSWORD, None).is_err());
        f.auth
            .verify_login("ada", "another long passphrase", None)
            .unwrap();
    }

    #[test]
    fn unknown_user_disabled_user_and_wrong_password_get_the_same_refusal() {
        let mut f = Fixture::new();
        f.user("ada", Role::Admin);
        f.user("bob", Role::Viewer);
        f.auth.disable(&Fixture::by(), "bob").unwrap();
        let mut times = Vec::new();
        for (name, pw) in [
            ("ada", "wrong password!"),
            ("nobody", PASSWORD),
            ("bob", PASSWORD),
        ] {
            let start = Instant::now();
            let e = f
                .auth
                .verify_login(name, pw, Some("192.0.2.1"))
                .unwrap_err();
            times.push(start.elapsed());
            assert!(matches!(e, LoginError::Refused));
            assert_eq!(e.to_string(), "unknown user or wrong password");
        }
        // Each refusal ran one Argon2id verification (tens of milliseconds
        // at 19 MiB): none took a fast path of microseconds.
        for t in &times {
            assert!(t.as_millis() >= 5, "refusals took {times:?}");
        }
    }

    #[test]
    fn every_attempt_is_logged_with_its_address_and_never_the_password() {
        let mut f = Fixture::new();
        f.user("ada", Role::Admin);
        f.auth
            .verify_login("ada", PASSWORD, Some("192.0.2.1"))
            .unwrap();
        f.auth
            .verify_login("mallory\n", "guess guess guess", Some("198.51.100.9"))
            .unwrap_err();
        let log = f.auth.read_access_log().unwrap();
        let last: Vec<_> = log[1..]
            .iter()
            .map(|e| (e.action.as_str(), e.actor.as_str(), e.address.as_deref()))
            .collect();
        assert_eq!(
            last,
            [
                ("login", "ada", Some("192.0.2.1")),
                ("login-failed", "mallory", Some("198.51.100.9"))
            ]
        );
        let text = std::fs::read_to_string(f.auth.path().join("access.jsonl")).unwrap();
        assert!(!text.contains(PASSWORD) && !text.contains("guess"));
    }

    #[test]
    fn the_last_enabled_admin_can_be_neither_disabled_nor_demoted() {
        let mut f = Fixture::new();
        let by = Fixture::by();
        f.user("ada", Role::Admin);
        f.user("bob", Role::Admin);
        f.auth.disable(&by, "bob").unwrap();
        let e = f.auth.disable(&by, "ada").unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"ada\" is the last enabled admin: make another account admin first, or nobody could manage accounts"
        );
        let e = f
            .auth
            .set_role(&by, "ada", Role::Viewer, vec![])
            .unwrap_err();
        assert!(matches!(e, Error::LastAdmin(n) if n == "ada"));
        assert!(
            f.auth.get("ada").unwrap().is_live_admin(),
            "nothing changed"
        );
        f.auth.enable(&by, "bob").unwrap();
        f.auth.set_role(&by, "ada", Role::Viewer, vec![]).unwrap();
        assert_eq!(f.reopen().get("ada").unwrap().role, Role::Viewer);
    }

    #[test]
    fn a_role_change_takes_the_vendors_of_the_new_role() {
        let mut f = Fixture::new();
        let by = Fixture::by();
        f.user("ada", Role::Admin);
        f.user("eve", Role::Auditor);
        let e = f
            .auth
            .set_role(&by, "eve", Role::Editor, vec!["Acme".into()]);
        assert!(matches!(e, Err(Error::VendorsNotAllowed(Role::Editor))));
        let eve = f.auth.set_role(&by, "eve", Role::Editor, vec![]).unwrap();
        assert!(eve.vendors.is_empty());
        let e = f
            .auth
            .set_role(&by, "nobody", Role::Editor, vec![])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "no account is named \"nobody\"; `user list` shows the accounts"
        );
    }

    #[test]
    fn every_change_is_in_the_access_log_with_who_did_it() {
        let mut f = Fixture::new();
        let by = Actor::local_cli("root");
        f.user("ada", Role::Admin);
        f.user("eve", Role::Auditor);
        f.auth
            .set_password(&by, "eve", "a new long password")
            .unwrap();
        f.auth
            .set_role(&by, "eve", Role::Auditor, vec!["Globex".into()])
            .unwrap();
        f.auth.disable(&by, "eve").unwrap();
        f.auth.enable(&by, "eve").unwrap();
        let log = f.auth.read_access_log().unwrap();
        let seen: Vec<_> = log
            .iter()
            .map(|e| format!("{} {} {}", e.actor, e.action, e.detail))
            .collect();
        assert_eq!(
            seen,
            [
                "root user-add ada admin",
                "root user-add eve auditor vendors=Acme",
                "root user-passwd eve",
                "root user-role eve auditor vendors=Globex",
                "root user-disable eve",
                "root user-enable eve",
            ]
        );
        assert!(log
            .iter()
            .all(|e| e.address.as_deref() == Some("local cli")));
    }
}
