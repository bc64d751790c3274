//! The four roles and what each may see.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// What an account may do.
///
/// Stored by name in `accounts.json`: the names are frozen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including accounts and tokens.
    Admin,
    /// Records events, attaches documents, imports, builds packs.
    Editor,
    /// Reads everything, changes nothing.
    Viewer,
    /// Reads only what concerns the vendors on the account.
    Auditor,
}

impl Role {
    /// Every role, in order of power.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Editor, Role::Viewer, Role::Auditor];

    /// Whether it records events, attaches documents, imports and builds
    /// packs (admin, editor).
    #[must_use]
    pub const fn may_write(self) -> bool {
        matches!(self, Role::Admin | Role::Editor)
    }

    /// Whether it manages accounts, tokens of others and reads the access
    /// log (admin).
    #[must_use]
    pub const fn may_manage_accounts(self) -> bool {
        matches!(self, Role::Admin)
    }

    /// The role's name (`admin`, …).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
            Role::Auditor => "auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;

    /// A role by name, ignoring case and surrounding spaces.
    fn from_str(s: &str) -> Result<Self, Error> {
        let wanted = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| Error::UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_by_name_ignoring_case() {
        assert_eq!(" Admin ".parse::<Role>().unwrap(), Role::Admin);
        assert_eq!("auditor".parse::<Role>().unwrap(), Role::Auditor);
        for r in Role::ALL {
            assert_eq!(r.to_string().parse::<Role>().unwrap(), r);
        }
    }

    #[test]
    fn an_unknown_role_lists_the_allowed_ones() {
        let e = "owner".parse::<Role>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "role \"owner\" is unknown; use admin, editor, viewer or auditor"
        );
    }

    #[test]
    fn only_admins_and_editors_write_and_only_admins_manage_accounts() {
        let writers: Vec<_> = Role::ALL.into_iter().filter(|r| r.may_write()).collect();
        assert_eq!(writers, [Role::Admin, Role::Editor]);
        let managers: Vec<_> = Role::ALL
            .into_iter()
            .filter(|r| r.may_manage_accounts())
            .collect();
        assert_eq!(managers, [Role::Admin]);
    }

    #[test]
    fn roles_are_stored_lowercase() {
        assert_eq!(serde_json::to_string(&Role::Viewer).unwrap(), "\"viewer\"");
    }
}
