//! entitle's accounts, kept beside the store in `<store>/auth/` and never
//! in the event log or an audit pack: who may sign in (Argon2id password
//! hashes), with which [`Role`] and, for an auditor, which vendors; API
//! tokens and calendar subscription links (only their BLAKE3 hashes are
//! kept); the one-time link that creates the first admin; and an
//! append-only access log of every sign-in and every change.
//!
//! The directory is owned by one process at a time — the one that holds the
//! store's lock — which keeps its contents in memory and rewrites a file
//! atomically on each change. A server shares one [`AuthDir`] between its
//! requests behind a read-write lock: sign-in ([`AuthDir::verify_login`],
//! which spends one Argon2id verification), token and calendar look-ups
//! and [`AuthDir::log_access`] take `&self` and may run at the same time
//! (each access-log line is one append-mode write); changes take
//! `&mut self`. No HTTP, no printing: the server and the CLI
//! are front-ends of this crate.
//!
//! ```
//! use entitle_auth::{Actor, AuthDir, Role};
//!
//! # fn main() -> entitle_auth::Result<()> {
//! let tmp = tempfile::tempdir().unwrap();
//! let mut auth = AuthDir::open(&tmp.path().join("auth"))?;
//! let by = Actor::local_cli("ops");
//! auth.add_user(&by, "Ada", Role::Admin, Vec::new(), "correct horse battery")?;
//! let (secret, token) = auth.create_token(&by, "ada", "nightly import", None)?;
//! let (account, _) = auth.authenticate_token(&secret).expect("a live token");
//! assert_eq!((account.name.as_str(), token.id.as_str()), ("Ada", "T-0001"));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod access;
mod accounts;
mod calendar;
mod error;
mod files;
mod names;
mod password;
mod role;
mod secret;
mod setup;
mod tokens;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;

pub use access::{action, AccessEntry, Actor};
pub use accounts::Account;
pub use calendar::CALENDAR_PREFIX;
pub use error::{Error, LoginError, Result};
pub use names::MAX_NAME_CHARS;
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
pub use role::Role;
pub use setup::SETUP_VALID_FOR;
pub use tokens::{TokenInfo, TokenState, TOKEN_PREFIX};

/// Where the current time comes from (the system clock, or a test's).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The auth directory of a store, open and read into memory.
pub struct AuthDir {
    dir: PathBuf,
    accounts: Vec<accounts::Stored>,
    tokens: Vec<tokens::Stored>,
    calendars: Vec<calendar::Stored>,
    clock: Clock,
}

impl fmt::Debug for AuthDir {
    /// Names and counts only: never a hash.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthDir")
            .field("dir", &self.dir)
            .field("accounts", &self.accounts.len())
            .field("tokens", &self.tokens.len())
            .field("calendars", &self.calendars.len())
            .finish_non_exhaustive()
    }
}

impl AuthDir {
    /// Opens the auth directory at `dir` (for a store, `<store>/auth`),
    /// creating it readable by the owner only when missing.
    ///
    /// # Errors
    ///
    /// When the directory cannot be created or a file in it cannot be
    /// read, does not parse, or has a format this version does not know.
    pub fn open(dir: &Path) -> Result<AuthDir> {
        files::private_dir(dir)?;
        Ok(AuthDir {
            dir: dir.to_owned(),
            accounts: accounts::load(dir)?,
            tokens: tokens::load(dir)?,
            calendars: calendar::load(dir)?,
            clock: Arc::new(Timestamp::now),
        })
    }

    /// Uses `clock` for the current time from now on (for tests, and for
    /// a caller that keeps one clock for everything it does).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Now, to the second.
    fn now(&self) -> Timestamp {
        let t = (self.clock)();
        Timestamp::from_second(t.as_second()).unwrap_or(t)
    }

    /// Today in UTC (the day a token's expiry date is compared with).
    fn today(&self) -> jiff::civil::Date {
        self.now().to_zoned(jiff::tz::TimeZone::UTC).date()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_auth_dir_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<AuthDir>();
    }

    #[test]
    fn debug_output_shows_counts_never_hashes() {
        let mut f = testing::Fixture::new();
        f.user("ada", Role::Admin);
        let text = format!("{:?}", f.auth);
        assert!(
            text.contains("accounts: 1") && !text.contains("argon2"),
            "{text}"
        );
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A directory with a clock the test moves.

    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    use jiff::Timestamp;

    use super::*;

    /// The passwords tests use.
    pub const PASSWORD: &str = "correct horse battery";

    pub struct Fixture {
        pub auth: AuthDir,
        pub seconds: Arc<AtomicI64>,
        pub tmp: tempfile::TempDir,
    }

    impl Fixture {
        /// An empty auth directory at 2026-03-01T12:00:00Z.
        pub fn new() -> Fixture {
            let tmp = tempfile::tempdir().unwrap();
            let seconds = Arc::new(AtomicI64::new(
                "2026-03-01T12:00:00Z"
                    .parse::<Timestamp>()
                    .unwrap()
                    .as_second(),
            ));
            let auth = Fixture::open_at(&tmp, &seconds);
            Fixture { auth, seconds, tmp }
        }

        fn open_at(tmp: &tempfile::TempDir, seconds: &Arc<AtomicI64>) -> AuthDir {
            let s = Arc::clone(seconds);
            AuthDir::open(&tmp.path().join("auth"))
                .unwrap()
                .with_clock(Arc::new(move || {
                    Timestamp::from_second(s.load(Ordering::SeqCst)).unwrap()
                }))
        }

        /// The directory opened afresh from disk.
        pub fn reopen(&self) -> AuthDir {
            Fixture::open_at(&self.tmp, &self.seconds)
        }

        pub fn advance(&self, seconds: i64) {
            self.seconds.fetch_add(seconds, Ordering::SeqCst);
        }

        pub fn by() -> Actor {
            Actor::local_cli("root")
        }

        /// Adds an account of `role` (auditors for vendor Acme).
        pub fn user(&mut self, name: &str, role: Role) -> Account {
            let vendors = if role == Role::Auditor {
                vec!["Acme".to_owned()]
            } else {
                Vec::new()
            };
            self.auth
                .add_user(&Fixture::by(), name, role, vendors, PASSWORD)
                .unwrap()
        }
    }
}
