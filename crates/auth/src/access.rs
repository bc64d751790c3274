//! The access log, `access.jsonl`: one JSON object a line, appended and
//! fsynced, never rewritten. Every sign-in (let in or refused) and every
//! change to accounts, tokens and calendar links is in it, with who did it
//! and from where. No password and no secret is ever written to it.

use std::fs;
use std::io;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::{files, AuthDir};

const FILE: &str = "access.jsonl";

/// The actions this crate logs. A front-end may log others of its own
/// (`logout`, `session-expired`) with [`AuthDir::log_access`].
pub mod action {
    /// A sign-in that was let in.
    pub const LOGIN: &str = "login";
    /// A sign-in that was refused.
    pub const LOGIN_FAILED: &str = "login-failed";
    /// An account was added.
    pub const USER_ADD: &str = "user-add";
    /// An account's password was set.
    pub const USER_PASSWD: &str = "user-passwd";
    /// An account was disabled.
    pub const USER_DISABLE: &str = "user-disable";
    /// An account was enabled again.
    pub const USER_ENABLE: &str = "user-enable";
    /// An account's role or vendors changed.
    pub const USER_ROLE: &str = "user-role";
    /// An account's e-mail address was set or removed.
    pub const USER_EMAIL: &str = "user-email";
    /// An API token was created.
    pub const TOKEN_CREATE: &str = "token-create";
    /// An API token was revoked.
    pub const TOKEN_REVOKE: &str = "token-revoke";
    /// A calendar subscription link was made (replacing any before).
    pub const CALENDAR_CREATE: &str = "calendar-create";
    /// A calendar subscription link was revoked.
    pub const CALENDAR_REVOKE: &str = "calendar-revoke";
    /// A first-admin setup link was made.
    pub const SETUP_LINK: &str = "setup-link";
    /// The first admin was created through the setup link.
    pub const SETUP: &str = "setup";
}

/// Who makes a change, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account name, or the OS user for the local command line.
    pub name: String,
    /// The client's address, or `local cli` for the command line.
    pub address: Option<String>,
}

impl Actor {
    /// Someone signed in from `address`.
    #[must_use]
    pub fn new(name: impl Into<String>, address: Option<String>) -> Self {
        Actor {
            name: name.into(),
            address,
        }
    }

    /// The person running the command line on the store's machine.
    #[must_use]
    pub fn local_cli(name: impl Into<String>) -> Self {
        Actor::new(name, Some("local cli".to_owned()))
    }
}

/// One line of the access log.
///
/// Stored as JSON in `access.jsonl`: the field names are frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    /// When.
    pub at: Timestamp,
    /// Who (`-` when nobody is signed in).
    pub actor: String,
    /// What ([`action`]).
    pub action: String,
    /// From where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// What exactly: the account, token or role concerned.
    pub detail: String,
}

impl AuthDir {
    /// Appends `entry` to the access log and makes it durable.
    ///
    /// # Errors
    ///
    /// When the log cannot be written.
    pub fn log_access(&self, entry: &AccessEntry) -> Result<()> {
        let path = self.dir.join(FILE);
        let line = serde_json::to_string(entry).map_err(|e| Error::Corrupt {
            path: path.clone(),
            message: format!("cannot be written: {e}"),
        })?;
        files::append_line(&path, &line)
    }

    /// The whole access log, oldest first. A last line cut short by a
    /// crash in the middle of an append is left out.
    ///
    /// # Errors
    ///
    /// When the log cannot be read, or a line before the last does not
    /// parse.
    pub fn read_access_log(&self) -> Result<Vec<AccessEntry>> {
        let path = self.dir.join(FILE);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(path, e)),
        };
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        complete
            .lines()
            .enumerate()
            .map(|(i, line)| {
                serde_json::from_str(line).map_err(|e| Error::Corrupt {
                    path: path.clone(),
                    message: format!("line {}: {e}", i + 1),
                })
            })
            .collect()
    }

    /// Logs `action` on `detail` by `by`, now.
    pub(crate) fn record(&self, by: &Actor, action: &str, detail: String) -> Result<()> {
        self.log_access(&AccessEntry {
            at: self.now(),
            actor: by.name.clone(),
            action: action.to_owned(),
            address: by.address.clone(),
            detail,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn entries_come_back_in_order() {
        let f = Fixture::new();
        let by = Actor::new("ada", Some("192.0.2.7".into()));
        f.auth.record(&by, action::LOGIN, "ada".into()).unwrap();
        f.auth
            .log_access(&AccessEntry {
                at: f.auth.now(),
                actor: "-".into(),
                action: "logout".into(),
                address: None,
                detail: String::new(),
            })
            .unwrap();
        let log = f.auth.read_access_log().unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].actor, "ada");
        assert_eq!(log[0].address.as_deref(), Some("192.0.2.7"));
        assert_eq!(log[0].at.to_string(), "2026-03-01T12:00:00Z");
        assert_eq!(log[1].action, "logout");
    }

    #[test]
    fn concurrent_appends_keep_every_line_whole() {
        let f = Fixture::new();
        let auth = std::sync::Arc::new(f.auth);
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let auth = std::sync::Arc::clone(&auth);
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let by = Actor::new(format!("t{t}"), None);
                        auth.record(&by, action::LOGIN, format!("{i:>200}"))
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let log = auth.read_access_log().unwrap();
        assert_eq!(log.len(), 400);
        for t in 0..8 {
            assert_eq!(
                log.iter().filter(|e| e.actor == format!("t{t}")).count(),
                50
            );
        }
    }

    #[test]
    fn a_torn_last_line_is_left_out_and_a_bad_line_before_it_is_corruption() {
        let f = Fixture::new();
        f.auth
            .record(&Fixture::by(), action::LOGIN, "x".into())
            .unwrap();
        let path = f.auth.path().join(FILE);
        let mut text = fs::read_to_string(&path).unwrap();
        text.push_str("{\"at\":\"2026");
        fs::write(&path, &text).unwrap();
        assert_eq!(f.auth.read_access_log().unwrap().len(), 1);
        text.push('\n');
        fs::write(&path, &text).unwrap();
        let e = f.auth.read_access_log().unwrap_err();
        assert!(e.to_string().contains("access.jsonl: line 2: "), "{e}");
    }
}
