//! API tokens in `tokens.json`: a name, the account it acts for, an
//! optional last day; revocable. The secret is shown once, when the token
//! is created; only its BLAKE3 hash is kept.

use std::path::Path;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::access::{action, Actor};
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::secret::{self, SecretHash};
use crate::{files, names, AuthDir};

const FILE: &str = "tokens.json";

/// How every API token secret begins (so that a leaked one is easy to
/// find in logs and repositories).
pub const TOKEN_PREFIX: &str = "ent_";

/// A token as everyone may see it (no hash, no secret).
///
/// Stored as JSON in `tokens.json`: the field names are frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// `T-0001`, `T-0002`, … in the order they were created.
    pub id: String,
    /// The account it acts for.
    pub user: String,
    /// What it is for (`nightly usage import`).
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// The last day (UTC) it is accepted, if it expires.
    pub expires: Option<Date>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// Whether a token is accepted today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenState {
    /// Accepted (if its account is enabled).
    Active,
    /// Past its last day.
    Expired,
    /// Revoked.
    Revoked,
}

impl TokenState {
    /// `active`, `expired` or `revoked`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenState::Active => "active",
            TokenState::Expired => "expired",
            TokenState::Revoked => "revoked",
        }
    }
}

impl TokenInfo {
    /// Whether it is accepted on `today` (UTC).
    #[must_use]
    pub fn state(&self, today: Date) -> TokenState {
        if self.revoked_at.is_some() {
            TokenState::Revoked
        } else if self.expires.is_some_and(|last| last < today) {
            TokenState::Expired
        } else {
            TokenState::Active
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Stored {
    #[serde(flatten)]
    info: TokenInfo,
    hash: SecretHash,
}

pub(crate) fn load(dir: &Path) -> Result<Vec<Stored>> {
    files::load_list(dir, FILE, "tokens")
}

impl AuthDir {
    /// Creates a token that acts for `user` with the user's role and
    /// scope, accepted through `expires` (UTC) if given. Returns the
    /// secret — shown this once, never stored — and the token.
    ///
    /// # Errors
    ///
    /// For an unknown or disabled account, a bad name, an expiry before
    /// today; or when the files cannot be written.
    pub fn create_token(
        &mut self,
        by: &Actor,
        user: &str,
        name: &str,
        expires: Option<Date>,
    ) -> Result<(String, TokenInfo)> {
        let account = self.live_account(user)?;
        let name = names::check("token name", name)?;
        let today = self.today();
        if let Some(given) = expires.filter(|d| *d < today) {
            return Err(Error::ExpiryPassed { given, today });
        }
        let secret = secret::generate(TOKEN_PREFIX)?;
        let info = TokenInfo {
            id: format!("T-{:04}", self.tokens.len() + 1),
            user: account.name,
            name,
            created_at: self.now(),
            expires,
            revoked_at: None,
        };
        let mut next = self.tokens.clone();
        next.push(Stored {
            info: info.clone(),
            hash: SecretHash::of(&secret),
        });
        self.save_tokens(next)?;
        let until = expires.map_or_else(|| "no expiry".to_owned(), |d| format!("expires {d}"));
        self.record(
            by,
            action::TOKEN_CREATE,
            format!("{} for {} {:?} {until}", info.id, info.user, info.name),
        )?;
        Ok((secret, info))
    }

    /// Every token, revoked and expired ones too, oldest first.
    #[must_use]
    pub fn list_tokens(&self) -> Vec<TokenInfo> {
        self.tokens.iter().map(|s| s.info.clone()).collect()
    }

    /// Today's state of each token (UTC), for a listing.
    #[must_use]
    pub fn token_state(&self, token: &TokenInfo) -> TokenState {
        token.state(self.today())
    }

    /// Revokes a token: from now on it is refused.
    ///
    /// # Errors
    ///
    /// For an unknown id, or a token revoked before.
    pub fn revoke_token(&mut self, by: &Actor, id: &str) -> Result<TokenInfo> {
        let wanted = id.trim();
        let i = self
            .tokens
            .iter()
            .position(|s| s.info.id.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| Error::UnknownToken(wanted.to_owned()))?;
        if self.tokens[i].info.revoked_at.is_some() {
            return Err(Error::TokenRevoked(self.tokens[i].info.id.clone()));
        }
        let mut next = self.tokens.clone();
        next[i].info.revoked_at = Some(self.now());
        let info = next[i].info.clone();
        self.save_tokens(next)?;
        self.record(
            by,
            action::TOKEN_REVOKE,
            format!("{} for {}", info.id, info.user),
        )?;
        Ok(info)
    }

    /// The account and token a presented secret stands for; `None` for a
    /// secret that is unknown, revoked, past its last day, or whose
    /// account is disabled or gone. Every stored hash is compared, each in
    /// constant time.
    #[must_use]
    pub fn authenticate_token(&self, secret: &str) -> Option<(Account, TokenInfo)> {
        let presented = SecretHash::of(secret);
        let mut found = None;
        for stored in &self.tokens {
            if stored.hash == presented {
                found = Some(&stored.info);
            }
        }
        let info = found?;
        if info.state(self.today()) != TokenState::Active {
            return None;
        }
        let account = self.get(&info.user).filter(|a| !a.disabled)?;
        Some((account, info.clone()))
    }

    /// The enabled account named `user`.
    pub(crate) fn live_account(&self, user: &str) -> Result<Account> {
        let account = self
            .get(user)
            .ok_or_else(|| Error::UnknownUser(user.trim().to_owned()))?;
        if account.disabled {
            return Err(Error::UserDisabled(account.name));
        }
        Ok(account)
    }

    fn save_tokens(&mut self, tokens: Vec<Stored>) -> Result<()> {
        files::save_list(&self.dir, FILE, "tokens", &tokens)?;
        self.tokens = tokens;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Role;
    use crate::testing::Fixture;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn a_token_authenticates_as_its_account_and_only_its_hash_is_stored() {
        let mut f = Fixture::new();
        f.user("Ada", Role::Editor);
        let (secret, info) = f
            .auth
            .create_token(&Fixture::by(), "ada", " nightly import ", None)
            .unwrap();
        assert!(secret.starts_with("ent_"));
        assert_eq!((info.id.as_str(), info.user.as_str()), ("T-0001", "Ada"));
        assert_eq!(info.name, "nightly import");
        let (account, seen) = f.reopen().authenticate_token(&secret).unwrap();
        assert_eq!((account.name, seen), ("Ada".to_owned(), info));
        let text = std::fs::read_to_string(f.auth.path().join(FILE)).unwrap();
        assert!(!text.contains(&secret[4..]));
        let log = std::fs::read_to_string(f.auth.path().join("access.jsonl")).unwrap();
        assert!(!log.contains(&secret[4..]));
        assert!(f.auth.authenticate_token("ent_0000").is_none());
        assert!(f.auth.authenticate_token("").is_none());
    }

    #[test]
    fn a_revoked_token_is_refused_at_once_and_ids_go_on() {
        let mut f = Fixture::new();
        let by = Fixture::by();
        f.user("ada", Role::Admin);
        let (first, _) = f.auth.create_token(&by, "ada", "a", None).unwrap();
        let (second, t2) = f.auth.create_token(&by, "ada", "b", None).unwrap();
        assert_eq!(t2.id, "T-0002");
        let revoked = f.auth.revoke_token(&by, "t-0001").unwrap();
        assert_eq!(
            revoked.revoked_at.unwrap().to_string(),
            "2026-03-01T12:00:00Z"
        );
        assert!(f.auth.authenticate_token(&first).is_none());
        assert!(f.auth.authenticate_token(&second).is_some());
        assert_eq!(f.auth.token_state(&revoked), TokenState::Revoked);
        let e = f.auth.revoke_token(&by, "T-0001").unwrap_err();
        assert_eq!(e.to_string(), "token T-0001 was revoked already");
        let e = f.auth.revoke_token(&by, "T-0009").unwrap_err();
        assert!(matches!(e, Error::UnknownToken(id) if id == "T-0009"));
        assert!(f.reopen().authenticate_token(&first).is_none(), "durable");
    }

    #[test]
    fn a_token_is_accepted_through_its_last_day_only() {
        let mut f = Fixture::new();
        f.user("ada", Role::Viewer);
        let (secret, info) = f
            .auth
            .create_token(&Fixture::by(), "ada", "a", Some(date("2026-03-02")))
            .unwrap();
        assert!(f.auth.authenticate_token(&secret).is_some());
        f.advance(36 * 3600 - 1); // 2026-03-02T23:59:59Z
        assert!(f.auth.authenticate_token(&secret).is_some());
        f.advance(1);
        assert!(f.auth.authenticate_token(&secret).is_none());
        assert_eq!(f.auth.token_state(&info), TokenState::Expired);
    }

    #[test]
    fn an_expiry_before_today_is_refused() {
        let mut f = Fixture::new();
        f.user("ada", Role::Viewer);
        let e = f
            .auth
            .create_token(&Fixture::by(), "ada", "a", Some(date("2026-02-28")))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "expiry 2026-02-28 is before today (2026-03-01); choose today or a later date"
        );
        assert!(f.auth.list_tokens().is_empty());
    }

    #[test]
    fn a_disabled_accounts_tokens_answer_nothing_until_it_is_enabled() {
        let mut f = Fixture::new();
        let by = Fixture::by();
        f.user("root", Role::Admin);
        f.user("ada", Role::Editor);
        let (secret, _) = f.auth.create_token(&by, "ada", "a", None).unwrap();
        f.auth.disable(&by, "ada").unwrap();
        assert!(f.auth.authenticate_token(&secret).is_none());
        let e = f.auth.create_token(&by, "ada", "b", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "account \"ada\" is disabled; enable it first"
        );
        f.auth.enable(&by, "ada").unwrap();
        assert!(f.auth.authenticate_token(&secret).is_some());
    }

    #[test]
    fn a_token_for_an_unknown_account_is_refused() {
        let mut f = Fixture::new();
        let e = f
            .auth
            .create_token(&Fixture::by(), "ghost", "a", None)
            .unwrap_err();
        assert!(matches!(e, Error::UnknownUser(n) if n == "ghost"));
    }
}
