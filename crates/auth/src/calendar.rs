//! Calendar subscription links in `calendars.json`: one per account, for
//! a calendar program to fetch the account's renewals without signing in.
//! Like a token, the secret is shown once when it is made and only its
//! hash is kept; making a new one replaces the old, which stops working.

use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::access::{action, Actor};
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::secret::{self, SecretHash};
use crate::{files, names, AuthDir};

const FILE: &str = "calendars.json";

/// How every calendar link secret begins.
pub const CALENDAR_PREFIX: &str = "cal_";

/// Stored as JSON in `calendars.json`: the field names are frozen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Stored {
    user: String,
    hash: SecretHash,
    created_at: Timestamp,
}

pub(crate) fn load(dir: &Path) -> Result<Vec<Stored>> {
    files::load_list(dir, FILE, "calendars")
}

impl AuthDir {
    /// Makes a new calendar link secret for `user`, replacing the one it
    /// had (which stops working). Returns the secret, shown this once.
    ///
    /// # Errors
    ///
    /// For an unknown or disabled account; or when the files cannot be
    /// written.
    pub fn rotate_calendar_secret(&mut self, by: &Actor, user: &str) -> Result<String> {
        let account = self.live_account(user)?;
        let secret = secret::generate(CALENDAR_PREFIX)?;
        let mut next: Vec<Stored> = self
            .calendars
            .iter()
            .filter(|c| !names::same(&c.user, &account.name))
            .cloned()
            .collect();
        next.push(Stored {
            user: account.name.clone(),
            hash: SecretHash::of(&secret),
            created_at: self.now(),
        });
        self.save_calendars(next)?;
        self.record(by, action::CALENDAR_CREATE, account.name)?;
        Ok(secret)
    }

    /// When `user`'s calendar link was made, if it has one.
    #[must_use]
    pub fn calendar_created(&self, user: &str) -> Option<Timestamp> {
        self.calendars
            .iter()
            .find(|c| names::same(&c.user, user.trim()))
            .map(|c| c.created_at)
    }

    /// Revokes `user`'s calendar link.
    ///
    /// # Errors
    ///
    /// For an account without one; or when the files cannot be written.
    pub fn revoke_calendar(&mut self, by: &Actor, user: &str) -> Result<()> {
        let user = user.trim();
        let Some(i) = self
            .calendars
            .iter()
            .position(|c| names::same(&c.user, user))
        else {
            return Err(Error::NoCalendar(user.to_owned()));
        };
        let mut next = self.calendars.clone();
        let removed = next.remove(i);
        self.save_calendars(next)?;
        self.record(by, action::CALENDAR_REVOKE, removed.user)
    }

    /// The account a calendar link secret belongs to; `None` for an
    /// unknown or revoked secret or a disabled account.
    #[must_use]
    pub fn calendar_user(&self, secret: &str) -> Option<Account> {
        let presented = SecretHash::of(secret);
        let mut found = None;
        for c in &self.calendars {
            if c.hash == presented {
                found = Some(&c.user);
            }
        }
        self.get(found?).filter(|a| !a.disabled)
    }

    fn save_calendars(&mut self, calendars: Vec<Stored>) -> Result<()> {
        files::save_list(&self.dir, FILE, "calendars", &calendars)?;
        self.calendars = calendars;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Role;
    use crate::testing::Fixture;

    #[test]
    fn a_calendar_link_finds_its_account_until_it_is_replaced() {
        let mut f = Fixture::new();
        let by = Fixture::by();
        f.user("eve", Role::Auditor);
        let first = f.auth.rotate_calendar_secret(&by, "EVE").unwrap();
        assert!(first.starts_with("cal_"));
        assert_eq!(f.reopen().calendar_user(&first).unwrap().name, "eve");
        let second = f.auth.rotate_calendar_secret(&by, "eve").unwrap();
        assert!(f.auth.calendar_user(&first).is_none());
        assert_eq!(f.auth.calendar_user(&second).unwrap().name, "eve");
        assert!(f.auth.calendar_created("eve").is_some());
        let text = std::fs::read_to_string(f.auth.path().join(FILE)).unwrap();
        assert!(!text.contains(&second[4..]));
    }

    #[test]
    fn a_revoked_link_or_a_disabled_account_answers_nothing() {
        let mut f = Fixture::new();
        let by = Fixture::by();
        f.user("root", Role::Admin);
        f.user("eve", Role::Viewer);
        let secret = f.auth.rotate_calendar_secret(&by, "eve").unwrap();
        f.auth.disable(&by, "eve").unwrap();
        assert!(f.auth.calendar_user(&secret).is_none());
        f.auth.enable(&by, "eve").unwrap();
        assert!(f.auth.calendar_user(&secret).is_some());
        f.auth.revoke_calendar(&by, "eve").unwrap();
        assert!(f.auth.calendar_user(&secret).is_none());
        let e = f.auth.revoke_calendar(&by, "eve").unwrap_err();
        assert_eq!(
            e.to_string(),
            "account \"eve\" has no calendar subscription"
        );
        let actions: Vec<_> = f
            .auth
            .read_access_log()
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .filter(|a| a.starts_with("calendar"))
            .collect();
        assert_eq!(actions, ["calendar-create", "calendar-revoke"]);
    }
}
