//! Random secrets (API tokens, calendar links, the setup link) and how
//! they are kept: only their BLAKE3 hash is stored, and a presented secret
//! is compared with a stored hash in constant time.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// Random bytes in every secret: 256 bits, beyond guessing.
const SECRET_BYTES: usize = 32;

/// A new secret: `prefix` then 64 lowercase hex digits of fresh random
/// bytes from the operating system.
pub(crate) fn generate(prefix: &str) -> Result<String, Error> {
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

/// The BLAKE3 hash of a secret: all that is kept of it. Kept parsed in
/// memory, written as lowercase hex. Two hashes compare in constant time
/// (`blake3::Hash`'s equality), whatever byte they differ in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretHash(blake3::Hash);

impl SecretHash {
    /// The hash of `secret` (a new one, or one presented to be checked).
    pub(crate) fn of(secret: &str) -> Self {
        SecretHash(blake3::hash(secret.as_bytes()))
    }
}

impl Serialize for SecretHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.to_hex().as_str())
    }
}

impl<'de> Deserialize<'de> for SecretHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let hex = String::deserialize(deserializer)?;
        blake3::Hash::from_hex(&hex)
            .map(SecretHash)
            .map_err(|_| de::Error::custom(format!("hash {hex:?} is not 64 hex digits")))
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
        let stored = SecretHash::of(&s);
        assert_eq!(SecretHash::of(&s), stored);
        assert_ne!(SecretHash::of(&s[..s.len() - 1]), stored);
    }

    #[test]
    fn a_hash_is_stored_as_hex_and_a_bad_one_is_refused() {
        let json = serde_json::to_string(&SecretHash::of("x")).unwrap();
        assert_eq!(json, format!("\"{}\"", blake3::hash(b"x").to_hex()));
        assert_eq!(
            serde_json::from_str::<SecretHash>(&json).unwrap(),
            SecretHash::of("x")
        );
        let e = serde_json::from_str::<SecretHash>("\"abc\"").unwrap_err();
        assert!(
            e.to_string().contains("hash \"abc\" is not 64 hex digits"),
            "{e}"
        );
    }
}
