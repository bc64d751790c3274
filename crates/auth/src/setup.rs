//! The first admin of a store without accounts: a one-time setup secret,
//! valid for an hour, that the server shows as a link on its own machine.
//! Only its hash is kept, in `setup.json`, removed once it is used.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::access::{action, Actor};
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::role::Role;
use crate::secret::{self, SecretHash};
use crate::{files, AuthDir};

const FILE: &str = "setup.json";

/// How long a setup secret is accepted.
pub const SETUP_VALID_FOR: SignedDuration = SignedDuration::from_hours(1);

const PREFIX: &str = "setup_";

#[derive(Serialize, Deserialize)]
struct SetupFile {
    format: u32,
    hash: SecretHash,
    expires_at: Timestamp,
}

impl AuthDir {
    /// Makes a setup secret that creates the first admin within
    /// [`SETUP_VALID_FOR`]; any earlier one stops working.
    ///
    /// # Errors
    ///
    /// When accounts exist already; or when the file cannot be written.
    pub fn create_setup_token(&mut self) -> Result<String> {
        if !self.is_empty() {
            return Err(Error::SetupNotNeeded);
        }
        let secret = secret::generate(PREFIX)?;
        let now = self.now();
        let file = SetupFile {
            format: files::FORMAT,
            hash: SecretHash::of(&secret),
            expires_at: now.saturating_add(SETUP_VALID_FOR).unwrap_or(now),
        };
        files::save(&self.dir, FILE, &file)?;
        let by = Actor::new("-", None);
        self.record(
            &by,
            action::SETUP_LINK,
            format!("valid until {}", file.expires_at),
        )?;
        Ok(secret)
    }

    /// Creates the first admin, `name` with `password`, with a setup
    /// secret from [`AuthDir::create_setup_token`]; the secret is used up.
    ///
    /// # Errors
    ///
    /// When accounts exist already; for a secret that is unknown, used or
    /// expired; for a bad name or password.
    pub fn consume_setup_token(
        &mut self,
        secret: &str,
        name: &str,
        password: &str,
        address: Option<&str>,
    ) -> Result<Account> {
        if !self.is_empty() {
            return Err(Error::SetupNotNeeded);
        }
        let Some(setup) = files::load::<SetupFile>(&self.dir, FILE)? else {
            return Err(Error::SetupRefused);
        };
        if setup.hash != SecretHash::of(secret) || self.now() > setup.expires_at {
            return Err(Error::SetupRefused);
        }
        let by = Actor::new(name.trim(), address.map(str::to_owned));
        let account = self.add_user(&by, name, Role::Admin, Vec::new(), password)?;
        files::remove(&self.dir, FILE)?;
        self.record(&by, action::SETUP, account.name.clone())?;
        Ok(account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fixture, PASSWORD};

    #[test]
    fn the_setup_secret_creates_the_first_admin_once() {
        let mut f = Fixture::new();
        let secret = f.auth.create_setup_token().unwrap();
        let text = std::fs::read_to_string(f.auth.path().join(FILE)).unwrap();
        assert!(!text.contains(&secret[PREFIX.len()..]));
        let ada = f
            .auth
            .consume_setup_token(&secret, "ada", PASSWORD, Some("127.0.0.1"))
            .unwrap();
        assert_eq!(ada.role, Role::Admin);
        assert!(!f.auth.path().join(FILE).exists(), "used up");
        let e = f
            .auth
            .consume_setup_token(&secret, "bob", PASSWORD, None)
            .unwrap_err();
        assert!(matches!(e, Error::SetupNotNeeded));
        assert!(matches!(
            f.auth.create_setup_token(),
            Err(Error::SetupNotNeeded)
        ));
        let last = f.auth.read_access_log().unwrap().pop().unwrap();
        assert_eq!(
            (last.action.as_str(), last.actor.as_str()),
            ("setup", "ada")
        );
    }

    #[test]
    fn a_wrong_or_expired_setup_secret_is_refused() {
        let mut f = Fixture::new();
        assert!(matches!(
            f.auth.consume_setup_token("setup_x", "ada", PASSWORD, None),
            Err(Error::SetupRefused)
        ));
        let old = f.auth.create_setup_token().unwrap();
        let secret = f.auth.create_setup_token().unwrap();
        assert!(matches!(
            f.auth.consume_setup_token(&old, "ada", PASSWORD, None),
            Err(Error::SetupRefused)
        ));
        f.advance(3601);
        let e = f
            .auth
            .consume_setup_token(&secret, "ada", PASSWORD, None)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the setup link is unknown, used or expired; start the server again for a new one"
        );
        assert!(f.auth.is_empty());
    }

    #[test]
    fn a_bad_password_keeps_the_setup_secret_for_another_try() {
        let mut f = Fixture::new();
        let secret = f.auth.create_setup_token().unwrap();
        assert!(f
            .auth
            .consume_setup_token(&secret, "ada", "short", None)
            .is_err());
        f.auth
            .consume_setup_token(&secret, "ada", PASSWORD, None)
            .unwrap();
    }
}
