//! The rule for names a person gives (accounts, tokens, vendors on an
//! account): trimmed, not empty, at most 64 characters, no control
//! characters.

use crate::error::{Error, Result};

/// The most characters a name may have.
pub const MAX_NAME_CHARS: usize = 64;

/// `raw` trimmed, checked against the rule; `field` names it in errors.
pub(crate) fn check(field: &'static str, raw: &str) -> Result<String> {
    let name = raw.trim();
    let problem = if name.is_empty() {
        "is empty"
    } else if name.chars().count() > MAX_NAME_CHARS {
        "is longer than 64 characters"
    } else if name.chars().any(char::is_control) {
        "holds a control character"
    } else {
        return Ok(name.to_owned());
    };
    Err(Error::InvalidName {
        field,
        value: raw.to_owned(),
        problem,
    })
}

/// Whether two names are the same ignoring case.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a == b || a.to_lowercase() == b.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(check("name", "  Ada Lovelace ").unwrap(), "Ada Lovelace");
        assert_eq!(check("name", &"é".repeat(64)).unwrap().chars().count(), 64);
        for (raw, problem) in [
            ("   ", "is empty"),
            (&"x".repeat(65), "is longer than 64 characters"),
            ("a\u{7}b", "holds a control character"),
        ] {
            let e = check("name", raw).unwrap_err();
            assert_eq!(e.to_string(), format!("name {raw:?} {problem}"));
        }
    }

    #[test]
    fn sameness_ignores_case_beyond_ascii() {
        assert!(same("ÄRGER", "ärger"));
        assert!(!same("ada", "adam"));
    }
}
