//! Passwords: Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane),
//! stored as PHC strings that carry their own parameters and salt.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{Error, Result};

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The most characters a password may have (a bound on the work a login
/// can ask for, far beyond any passphrase).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Memory cost in KiB (OWASP: 19 MiB).
const MEMORY_KIB: u32 = 19_456;
/// Passes over the memory (OWASP: 2).
const PASSES: u32 = 2;
/// Lanes (OWASP: 1).
const LANES: u32 = 1;

/// The hash of a random password that was thrown away, made with the same
/// parameters, to verify against when the account is unknown or disabled:
/// the refusal then costs as long as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$UESVala+IzYwbhlo3bc2gg$pt7AvZxUS/b+g0MRmndaE/8l16W4BueXCgLLw+sBOqA";

fn hasher() -> Result<Argon2<'static>> {
    let params =
        Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(|e| Error::Hashing(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks a new password against the length rules.
pub(crate) fn check(password: &str) -> Result<()> {
    let given = password.chars().count();
    if given < MIN_PASSWORD_CHARS {
        return Err(Error::PasswordTooShort {
            given,
            min: MIN_PASSWORD_CHARS,
        });
    }
    if given > MAX_PASSWORD_CHARS {
        return Err(Error::PasswordTooLong {
            given,
            max: MAX_PASSWORD_CHARS,
        });
    }
    Ok(())
}

/// The PHC string of `password` with a fresh random salt.
pub(crate) fn hash(password: &str) -> Result<String> {
    check(password)?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Hashing(e.to_string()))?;
    let phc = hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| Error::Hashing(e.to_string()))?;
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored` (an unreadable
/// stored hash matches nothing).
pub(crate) fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let Ok(argon) = hasher() else {
        return false;
    };
    argon.verify_password(password.as_bytes(), &parsed).is_ok()
}

/// Spends the time of one verification and matches nothing.
pub(crate) fn verify_dummy(password: &str) {
    let _ = verify(password, DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_with_owasp_parameters_and_verifies() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterY", &phc));
        assert_ne!(phc, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let real = hash("correct horse battery").unwrap();
        let params = |phc: &str| phc.split('$').nth(3).map(str::to_owned);
        assert_eq!(params(DUMMY_HASH), params(&real));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn length_rules_count_characters() {
        assert_eq!(
            check("short").unwrap_err().to_string(),
            "the password has 5 characters; it must have at least 12"
        );
        check("ääääääääääää").unwrap();
        assert!(matches!(
            check(&"x".repeat(1025)),
            Err(Error::PasswordTooLong {
                given: 1025,
                max: 1024
            })
        ));
    }
}
