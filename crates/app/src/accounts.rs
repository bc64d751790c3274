//! Accounts, API tokens and the access log of a store (`<store>/auth/`,
//! see `entitle-auth`): the use cases behind `entitle user …` and
//! `entitle token …`, and what the server's admin pages call.
//!
//! [`open`] takes the open [`Store`] — holding it proves that no other
//! process (a running server) changes the accounts at the same time — and
//! gives the [`AuthDir`] every use case here works on. A server opens it
//! once and keeps it: each change goes through the one copy in memory, so
//! that a disabled account or a revoked token is refused at once. Each
//! change names who acts ([`Actor`]), for the access log.

use serde::{Deserialize, Serialize};

pub use entitle_auth::{AccessEntry, Account, Actor, AuthDir, Role, TokenInfo, TokenState};

use crate::error::{Action, Error, ErrorKind, Result};
use crate::store::Store;
use crate::when;

/// Opens the auth directory of `store`, creating it when missing.
///
/// # Errors
///
/// When it cannot be created, or a file in it is damaged or of another
/// version of entitle.
pub fn open(store: &Store) -> Result<AuthDir> {
    AuthDir::open(&store.layout().auth()).map_err(|e| from_auth(e, "account"))
}

/// A new account, as typed.
#[derive(Debug, Clone, Default)]
pub struct AddUser {
    /// The name.
    pub name: String,
    /// `admin`, `editor`, `viewer` or `auditor`.
    pub role: String,
    /// For an auditor, the vendors it sees.
    pub vendors: Vec<String>,
    /// The password (at least 12 characters).
    pub password: String,
    /// The e-mail address reminders go to (checked), if any.
    pub email: Option<String>,
}

/// Adds an account.
///
/// # Errors
///
/// For a bad name, role, vendor or password, a name taken; or when the
/// auth directory cannot be written.
pub fn add_user(auth: &mut AuthDir, by: &Actor, req: &AddUser) -> Result<Account> {
    let role = role(&req.role)?;
    let email = req.email.as_deref().map(email).transpose()?;
    let account = auth
        .add_user(by, &req.name, role, req.vendors.clone(), &req.password)
        .map_err(|e| from_auth(e, "account"))?;
    match email {
        Some(e) => auth
            .set_email(by, &account.name, Some(e))
            .map_err(|e| from_auth(e, "account")),
        None => Ok(account),
    }
}

/// An e-mail address as typed, checked: `ada@example.com`.
///
/// # Errors
///
/// For anything that is not one address (field `email`).
pub fn email(text: &str) -> Result<String> {
    let t = text.trim();
    t.parse::<lettre::Address>()
        .map(|a| a.to_string())
        .map_err(|_| {
            Error::invalid(
                "email",
                text,
                "is not an e-mail address; give one address like ada@example.com",
            )
        })
}

/// Sets (or with none removes) the e-mail address of account `name`:
/// reminders of the licenses it owns go there when `[remind.contacts]`
/// does not name the owner.
///
/// # Errors
///
/// For an unknown account or an address that is not one.
pub fn set_email(
    auth: &mut AuthDir,
    by: &Actor,
    name: &str,
    address: Option<&str>,
) -> Result<Account> {
    let address = address.map(email).transpose()?;
    auth.set_email(by, name, address)
        .map_err(|e| from_auth(e, "account"))
}

/// Checks a new account's name, role and vendors (the password aside), so
/// that a front-end can refuse a bad request before it asks for a password.
///
/// # Errors
///
/// As [`add_user`], but for the password.
pub fn check_add_user(auth: &AuthDir, req: &AddUser) -> Result<()> {
    let role = role(&req.role)?;
    if let Some(e) = &req.email {
        email(e)?;
    }
    auth.check_new_user(&req.name, role, req.vendors.clone())
        .map_err(|e| from_auth(e, "account"))
}

/// Every account, in the order they were added.
#[must_use]
pub fn list(auth: &AuthDir) -> Vec<Account> {
    auth.list()
}

/// The account named `name` (ignoring case).
///
/// # Errors
///
/// For an unknown account.
pub fn get(auth: &AuthDir, name: &str) -> Result<Account> {
    auth.get(name).ok_or_else(|| {
        from_auth(
            entitle_auth::Error::UnknownUser(name.trim().to_owned()),
            "account",
        )
    })
}

/// Sets the password of account `name`.
///
/// # Errors
///
/// For an unknown account or a bad password.
pub fn set_password(auth: &mut AuthDir, by: &Actor, name: &str, password: &str) -> Result<Account> {
    auth.set_password(by, name, password)
        .map_err(|e| from_auth(e, "account"))
}

/// Disables account `name`.
///
/// # Errors
///
/// For an unknown account or the last enabled admin.
pub fn disable(auth: &mut AuthDir, by: &Actor, name: &str) -> Result<Account> {
    auth.disable(by, name).map_err(|e| from_auth(e, "account"))
}

/// Enables account `name` again.
///
/// # Errors
///
/// For an unknown account.
pub fn enable(auth: &mut AuthDir, by: &Actor, name: &str) -> Result<Account> {
    auth.enable(by, name).map_err(|e| from_auth(e, "account"))
}

/// A new role for an account, as typed.
#[derive(Debug, Clone, Default)]
pub struct SetRole {
    /// The account.
    pub name: String,
    /// `admin`, `editor`, `viewer` or `auditor`.
    pub role: String,
    /// For an auditor, the vendors it sees.
    pub vendors: Vec<String>,
}

/// Gives an account another role.
///
/// # Errors
///
/// For an unknown account, a bad role or vendor, or the demotion of the
/// last enabled admin.
pub fn set_role(auth: &mut AuthDir, by: &Actor, req: &SetRole) -> Result<Account> {
    let role = role(&req.role)?;
    auth.set_role(by, &req.name, role, req.vendors.clone())
        .map_err(|e| from_auth(e, "account"))
}

/// The access log, oldest first.
///
/// # Errors
///
/// When it cannot be read or is damaged.
pub fn access_log(auth: &AuthDir) -> Result<Vec<AccessEntry>> {
    auth.read_access_log().map_err(|e| from_auth(e, "account"))
}

/// A new API token, as typed.
#[derive(Debug, Clone, Default)]
pub struct CreateToken {
    /// The account it acts for.
    pub user: String,
    /// What it is for.
    pub name: String,
    /// Its last day (`YYYY-MM-DD`, UTC), if it expires.
    pub expires: Option<String>,
}

/// A token as a listing shows it: what is stored, and whether it is
/// accepted today.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenView {
    /// The token.
    #[serde(flatten)]
    pub token: TokenInfo,
    /// `active`, `expired` or `revoked`.
    pub state: TokenState,
}

/// A token just created, with its secret: the only time it is shown.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenCreated {
    /// The secret to send as `Authorization: Bearer <secret>`.
    pub secret: String,
    /// The token.
    #[serde(flatten)]
    pub token: TokenView,
}

/// Creates an API token.
///
/// # Errors
///
/// For an unknown or disabled account, a bad name, a bad or past expiry.
pub fn create_token(auth: &mut AuthDir, by: &Actor, req: &CreateToken) -> Result<TokenCreated> {
    let expires = when::opt_date("expires", req.expires.as_deref())?;
    let (secret, token) = auth
        .create_token(by, &req.user, &req.name, expires)
        .map_err(|e| from_auth(e, "user"))?;
    Ok(TokenCreated {
        secret,
        token: view(auth, token),
    })
}

/// Every API token, oldest first, with today's state.
#[must_use]
pub fn list_tokens(auth: &AuthDir) -> Vec<TokenView> {
    auth.list_tokens()
        .into_iter()
        .map(|t| view(auth, t))
        .collect()
}

/// Revokes the API token `id` (`T-0001`).
///
/// # Errors
///
/// For an unknown id or a token revoked before.
pub fn revoke_token(auth: &mut AuthDir, by: &Actor, id: &str) -> Result<TokenView> {
    let token = auth
        .revoke_token(by, id)
        .map_err(|e| from_auth(e, "user"))?;
    Ok(view(auth, token))
}

fn view(auth: &AuthDir, token: TokenInfo) -> TokenView {
    TokenView {
        state: auth.token_state(&token),
        token,
    }
}

/// A role as typed (for a front-end that sends it elsewhere, checked
/// before it asks for a password).
///
/// # Errors
///
/// For a role that is not admin, editor, viewer or auditor.
pub fn role(text: &str) -> Result<Role> {
    text.parse().map_err(|_| {
        Error::invalid("role", text, "is unknown").hint("use admin, editor, viewer or auditor")
    })
}

/// An error of the auth directory as a use case's error (for a front-end
/// that calls [`AuthDir`] itself, as the server does for sign-in and
/// calendar links); `account` is the field that names the account in the
/// request (`account` where it is the subject, `user` where a token acts
/// for it).
#[must_use]
pub fn from_auth(err: entitle_auth::Error, account: &str) -> Error {
    use entitle_auth::Error as E;
    let text = err.to_string();
    match err {
        E::Io { path, source } => Error::io(&path, source),
        E::Corrupt { .. } | E::UnsupportedFormat { .. } => Error::new(ErrorKind::Integrity, text),
        E::InvalidName {
            field,
            value,
            problem,
        } => Error::invalid(
            if field == "name" { account } else { "name" },
            value,
            problem,
        ),
        E::UnknownRole(value) => {
            Error::invalid("role", value, "is unknown").hint("use admin, editor, viewer or auditor")
        }
        E::VendorsNotAllowed(role) => Error::new(
            ErrorKind::BadInput,
            format!("a {role} sees every vendor: vendors are only for an auditor"),
        )
        .at("vendor")
        .hint("leave out {field}"),
        E::VendorsRequired => Error::missing("vendor", "is required for an auditor")
            .hint("name each vendor the auditor may see with {field}"),
        E::InvalidVendor(value) => {
            Error::invalid("vendor", value, "is empty or holds control characters")
        }
        E::PasswordTooShort { .. } | E::PasswordTooLong { .. } => {
            Error::new(ErrorKind::BadInput, text).at("password")
        }
        E::UnknownUser(name) => Error::not_found(format!("no account is named {name:?}"))
            .at(account)
            .hint_to(Action::ListAccounts, "{action} shows the accounts"),
        E::DuplicateUser { existing } => Error::new(
            ErrorKind::Conflict,
            format!("an account named {existing:?} exists already"),
        )
        .at(account)
        .hint("names are unique ignoring case; choose another"),
        E::LastAdmin(name) => Error::new(
            ErrorKind::Conflict,
            format!("{name:?} is the last enabled admin"),
        )
        .at(account)
        .hint("make another account admin first, or nobody could manage accounts"),
        E::UserDisabled(name) => {
            Error::new(ErrorKind::Conflict, format!("account {name:?} is disabled"))
                .at(account)
                .hint("enable it first")
        }
        E::UnknownToken(id) => Error::not_found(format!("no token has id {id:?}"))
            .at("token")
            .hint_to(Action::ListTokens, "{action} shows the tokens"),
        E::TokenRevoked(_) => Error::new(ErrorKind::Conflict, text).at("token"),
        E::ExpiryPassed { given, today } => Error::invalid(
            "expires",
            given.to_string(),
            format!("is before today ({today})"),
        )
        .hint("choose today or a later date"),
        E::NoCalendar(_) => Error::not_found(text).at(account),
        E::SetupNotNeeded => Error::new(ErrorKind::Conflict, text),
        E::SetupRefused => Error::new(ErrorKind::BadInput, text),
        _ => Error::new(ErrorKind::Io, text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Open;

    const PASSWORD: &str = "correct horse battery";

    fn store() -> (tempfile::TempDir, Store, AuthDir) {
        let tmp = tempfile::tempdir().unwrap();
        let store =
            crate::store::open(&tmp.path().join("s"), Open::CreateIfMissing, "test").unwrap();
        let auth = open(&store).unwrap();
        (tmp, store, auth)
    }

    fn add(auth: &mut AuthDir, name: &str, role: &str, vendors: &[&str]) -> Result<Account> {
        add_user(
            auth,
            &Actor::local_cli("root"),
            &AddUser {
                name: name.into(),
                role: role.into(),
                vendors: vendors.iter().map(|v| (*v).to_owned()).collect(),
                password: PASSWORD.into(),
                email: None,
            },
        )
    }

    #[test]
    fn accounts_live_in_the_stores_auth_directory() {
        let (_tmp, store, mut auth) = store();
        add(&mut auth, "ada", "Admin", &[]).unwrap();
        assert!(store.layout().root().join("auth/accounts.json").exists());
        assert_eq!(list(&auth)[0].role, Role::Admin);
        let json = serde_json::to_value(&list(&auth)[0]).unwrap();
        assert_eq!(json["role"], "admin");
        assert!(json.get("password").is_none());
    }

    #[test]
    fn errors_name_their_field() {
        let (_tmp, _store, mut auth) = store();
        let e = add(&mut auth, "ada", "owner", &[]).unwrap_err();
        assert_eq!(
            (e.kind(), e.field(), e.to_string().as_str()),
            (
                ErrorKind::BadInput,
                Some("role"),
                "role owner is unknown; use admin, editor, viewer or auditor"
            )
        );
        let e = add(&mut auth, "eve", "auditor", &[]).unwrap_err();
        assert_eq!(e.field(), Some("vendor"));
        assert_eq!(
            e.to_string(),
            "vendor is required for an auditor; name each vendor the auditor may see with vendor"
        );
        add(&mut auth, "ada", "admin", &[]).unwrap();
        let e = add(&mut auth, "ADA", "viewer", &[]).unwrap_err();
        assert_eq!(
            (e.kind(), e.field()),
            (ErrorKind::Conflict, Some("account"))
        );
        let e = disable(&mut auth, &Actor::local_cli("root"), "ada").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert!(
            e.to_string()
                .starts_with("\"ada\" is the last enabled admin"),
            "{e}"
        );
        let e = disable(&mut auth, &Actor::local_cli("root"), "bob").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.action(), Some(Action::ListAccounts));
    }

    #[test]
    fn a_token_is_created_listed_and_revoked() {
        let (_tmp, _store, mut auth) = store();
        let by = Actor::local_cli("root");
        add(&mut auth, "ada", "editor", &[]).unwrap();
        let req = CreateToken {
            user: "ada".into(),
            name: "nightly".into(),
            expires: Some("2999-12-31".into()),
        };
        let created = create_token(&mut auth, &by, &req).unwrap();
        let json = serde_json::to_value(&created).unwrap();
        assert_eq!(json["id"], "T-0001");
        assert_eq!(json["state"], "active");
        assert_eq!(json["expires"], "2999-12-31");
        assert!(json["secret"].as_str().unwrap().starts_with("ent_"));
        let revoked = revoke_token(&mut auth, &by, "T-0001").unwrap();
        assert_eq!(revoked.state, TokenState::Revoked);
        assert_eq!(list_tokens(&auth)[0].state, TokenState::Revoked);
        let bad = CreateToken {
            expires: Some("2024-02-30".into()),
            ..req
        };
        let e = create_token(&mut auth, &by, &bad).unwrap_err();
        assert_eq!(e.field(), Some("expires"));
        let e = revoke_token(&mut auth, &by, "T-0009").unwrap_err();
        assert_eq!((e.kind(), e.field()), (ErrorKind::NotFound, Some("token")));
        let log = access_log(&auth).unwrap();
        assert_eq!(
            log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["user-add", "token-create", "token-revoke"]
        );
    }
}
