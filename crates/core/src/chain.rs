//! The hash chain, exactly as `DESIGN.md` fixes it.
//!
//! ```text
//! digest(seq) = BLAKE3(record)
//! hash(0)     = 32 zero bytes
//! hash(seq)   = BLAKE3(hash(seq-1) ‖ digest(seq))
//! ```
//!
//! This is a contract with auditors and independent verifiers: it must never
//! change. Hex is lowercase, as `b3sum` prints it.

/// A 32-byte BLAKE3 value: a record digest or a chain hash.
pub type Hash32 = [u8; 32];

/// `hash(0)`: the chain hash before the first event.
pub const GENESIS: Hash32 = [0; 32];

/// The digest of one stored record: BLAKE3 over its exact bytes (without the
/// line feed that ends it in the log).
#[must_use]
pub fn digest(record: &[u8]) -> Hash32 {
    *blake3::hash(record).as_bytes()
}

/// The chain hash of an event from the previous chain hash and its digest.
#[must_use]
pub fn link(previous: &Hash32, digest: &Hash32) -> Hash32 {
    // One 64-byte input hashed at once: the same value as a hasher fed
    // both halves, without setting up a hasher per event (verify links a
    // million of them on one thread).
    let mut both = [0u8; 64];
    both[..32].copy_from_slice(previous);
    both[32..].copy_from_slice(digest);
    *blake3::hash(&both).as_bytes()
}

/// Lowercase hex, as `b3sum` prints it.
#[must_use]
pub fn to_hex(value: &Hash32) -> String {
    blake3::Hash::from_bytes(*value).to_hex().to_string()
}

/// Parses 64 lowercase or uppercase hex digits; `None` for anything else.
#[must_use]
pub fn from_hex(text: &str) -> Option<Hash32> {
    if text.len() != 64 {
        return None;
    }
    blake3::Hash::from_hex(text).ok().map(|h| *h.as_bytes())
}

/// Follows the chain over record digests in seq order, from [`GENESIS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chain {
    seq: u64,
    head: Hash32,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// The empty chain: seq 0, head [`GENESIS`].
    #[must_use]
    pub const fn new() -> Self {
        Self {
            seq: 0,
            head: GENESIS,
        }
    }

    /// Resumes a chain at a known seq and head (a checkpoint).
    #[must_use]
    pub const fn resume(seq: u64, head: Hash32) -> Self {
        Self { seq, head }
    }

    /// Appends one record's digest; returns the new head.
    pub fn push_digest(&mut self, digest: &Hash32) -> Hash32 {
        self.seq += 1;
        self.head = link(&self.head, digest);
        self.head
    }

    /// Appends one record; returns its digest and the new head.
    pub fn push_record(&mut self, record: &[u8]) -> (Hash32, Hash32) {
        let d = digest(record);
        (d, self.push_digest(&d))
    }

    /// The seq of the last event in the chain (0 when empty).
    #[must_use]
    pub const fn seq(&self) -> u64 {
        self.seq
    }

    /// `hash(seq)`.
    #[must_use]
    pub const fn head(&self) -> &Hash32 {
        &self.head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_is_blake3_of_concatenation() {
        let prev = [7u8; 32];
        let d = digest(b"{}");
        let mut both = Vec::new();
        both.extend_from_slice(&prev);
        both.extend_from_slice(&d);
        assert_eq!(link(&prev, &d), *blake3::hash(&both).as_bytes());
    }

    #[test]
    fn hex_round_trips_and_is_lowercase() {
        let d = digest(b"abc");
        let hex = to_hex(&d);
        assert_eq!(hex, hex.to_lowercase());
        assert_eq!(
            hex,
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
        assert_eq!(from_hex(&hex), Some(d));
        assert_eq!(from_hex("abc"), None);
    }
}
