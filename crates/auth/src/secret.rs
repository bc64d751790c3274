//! Random secrets (API tokens, calendar links, the setup link) and how
//! they are kept: only their BLAKE3 hash is stored, and a presented secret
//! is compared with a stored hash in constant time.

use crate::error::{Error, Result};

/// Random bytes in every secret: 256 bits, beyond guessing.
const SECRET_BYTES: usize = 32;

/// A new secret: `prefix` then 64 lowercase hex digits of fresh random
/// bytes from the operating system.
pub(crate) fn generate(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
    let mut secret = String::with_capacity(prefix.len() + 2 * SECRET_BYTES);
    secret.push_str(prefix);
    for b in bytes {
        secret.push(char::from(HEX[usize::from(b >> 4)]));
        secret.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    Ok(secret)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The hash of a secret as it is stored (lowercase hex).
pub(crate) fn stored_hash(secret: &str) -> String {
    blake3::hash(secret.as_bytes()).to_hex().to_string()
}

/// A presented secret, hashed once to be compared with stored hashes.
#[derive(Debug)]
pub(crate) struct Presented(blake3::Hash);

impl Presented {
    pub(crate) fn new(secret: &str) -> Self {
        Presented(blake3::hash(secret.as_bytes()))
    }

    /// Whether `stored` (hex) is this secret's hash. The comparison of the
    /// two hashes takes the same time wherever they differ
    /// (`blake3::Hash`'s equality is constant-time).
    pub(crate) fn matches(&self, stored: &str) -> bool {
        blake3::Hash::from_hex(stored).is_ok_and(|h| h == self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_random_hex() {
        let a = generate("ent_").unwrap();
        let b = generate("ent_").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 64);
        assert!(a[4..]
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn only_the_secret_itself_matches_its_hash() {
        let s = generate("cal_").unwrap();
        let stored = stored_hash(&s);
        assert!(!stored.contains(&s[4..]));
        assert!(Presented::new(&s).matches(&stored));
        assert!(!Presented::new(&s[..s.len() - 1]).matches(&stored));
        assert!(!Presented::new(&s).matches("not hex"));
    }
}
