//! What can go wrong with the auth directory, each failure with the value
//! that was wrong and what to do about it.

use std::path::PathBuf;

use crate::role::Role;

/// A failure of the auth directory. Nothing was changed: every change is
/// all or nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file system failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file of the auth directory does not parse.
    #[error("{}: {message}; restore it from a backup", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A file was written by another version of entitle.
    #[error("{}: format {found} is not known to this entitle (it reads format {supported}); use the entitle that wrote it", path.display())]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// The format it says it has.
        found: u64,
        /// The format this version reads and writes.
        supported: u32,
    },
    /// The system's random number source failed.
    #[error("no random bytes from the operating system: {0}")]
    Random(String),
    /// Hashing a password failed (it never does with valid parameters).
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// An account or token name breaks the naming rule.
    #[error("{field} {value:?} {problem}")]
    InvalidName {
        /// `name` for an account, `token name` for a token.
        field: &'static str,
        /// The name as given.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A role name that is not one of the four.
    #[error("role {0:?} is unknown; use admin, editor, viewer or auditor")]
    UnknownRole(String),
    /// Vendors given for a role that sees every vendor.
    #[error("a {0} sees every vendor: vendors are only for an auditor; leave them out")]
    VendorsNotAllowed(Role),
    /// An auditor without vendors would see nothing.
    #[error("an auditor sees only the vendors on the account: name at least one vendor")]
    VendorsRequired,
    /// A vendor name that is empty or holds control characters.
    #[error("vendor {0:?} is empty or holds control characters")]
    InvalidVendor(String),
    /// A password shorter than the minimum.
    #[error("the password has {given} characters; it must have at least {min}")]
    PasswordTooShort {
        /// Its length in characters.
        given: usize,
        /// The minimum.
        min: usize,
    },
    /// A password longer than the maximum.
    #[error("the password has {given} characters; it may have at most {max}")]
    PasswordTooLong {
        /// Its length in characters.
        given: usize,
        /// The maximum.
        max: usize,
    },
    /// No account has this name.
    #[error("no account is named {0:?}; `user list` shows the accounts")]
    UnknownUser(String),
    /// An account with this name (ignoring case) exists.
    #[error("an account named {existing:?} exists already; names are unique ignoring case")]
    DuplicateUser {
        /// The name of the existing account.
        existing: String,
    },
    /// The change would leave no enabled admin.
    #[error("{0:?} is the last enabled admin: make another account admin first, or nobody could manage accounts")]
    LastAdmin(String),
    /// A token, calendar or change for an account that is disabled.
    #[error("account {0:?} is disabled; enable it first")]
    UserDisabled(String),
    /// No token has this id.
    #[error("no token has id {0:?}; `token list` shows the tokens")]
    UnknownToken(String),
    /// The token was revoked before.
    #[error("token {0} was revoked already")]
    TokenRevoked(String),
    /// An expiry date before today.
    #[error("expiry {given} is before today ({today}); choose today or a later date")]
    ExpiryPassed {
        /// The date given.
        given: jiff::civil::Date,
        /// Today in UTC.
        today: jiff::civil::Date,
    },
    /// The account has no calendar subscription to revoke.
    #[error("account {0:?} has no calendar subscription")]
    NoCalendar(String),
    /// First-admin setup asked for although accounts exist.
    #[error("accounts exist already: the setup link only creates the first admin; an admin adds further accounts")]
    SetupNotNeeded,
    /// The setup secret is unknown, used or expired.
    #[error("the setup link is unknown, used or expired; start the server again for a new one")]
    SetupRefused,
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O failure on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// A login was refused. The same answer whether the account is unknown,
/// disabled, or the password is wrong, so that it tells an attacker
/// nothing about which accounts exist.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// Unknown user, disabled user or wrong password.
    #[error("unknown user or wrong password")]
    Refused,
    /// The attempt could not be written to the access log, so it was not
    /// let in (a login that leaves no trace is refused).
    #[error("the login could not be logged: {0}")]
    Log(Error),
}
