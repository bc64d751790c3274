//! Sign-in throttling per account and per address: after a few failures
//! within a window, further attempts are refused with 429 and
//! `Retry-After` until the window has passed. An unknown account is
//! counted like a known one, so the answers tell nothing apart.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Failures allowed per key within [`WINDOW`].
pub(crate) const ALLOWED: u32 = 5;
/// How long failures are remembered.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    first: Instant,
}

/// Failed sign-ins by key (`user:<name>`, `addr:<ip>`).
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
}

impl Throttle {
    /// Seconds to wait when any of `keys` has used up its attempts.
    pub(crate) fn refused(&self, keys: &[String]) -> Option<u64> {
        let mut map = self.failures.lock();
        let now = Instant::now();
        map.retain(|_, f| now.duration_since(f.first) < WINDOW);
        keys.iter()
            .filter_map(|k| map.get(k))
            .filter(|f| f.count >= ALLOWED)
            .map(|f| (WINDOW - now.duration_since(f.first)).as_secs().max(1))
            .max()
    }

    /// Counts a failure against every key.
    pub(crate) fn failed(&self, keys: &[String]) {
        let mut map = self.failures.lock();
        let now = Instant::now();
        for k in keys {
            let f = map.entry(k.clone()).or_insert(Failures {
                count: 0,
                first: now,
            });
            f.count += 1;
        }
    }

    /// A success forgets the account's failures (not the address's).
    pub(crate) fn succeeded(&self, account_key: &str) {
        self.failures.lock().remove(account_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attempt_after_the_allowed_failures_is_refused_with_a_wait() {
        let t = Throttle::default();
        let keys = vec!["user:anna".to_owned(), "addr:127.0.0.1".to_owned()];
        for _ in 0..ALLOWED {
            assert_eq!(t.refused(&keys), None);
            t.failed(&keys);
        }
        let wait = t.refused(&keys).expect("refused");
        assert!(wait > 0 && wait <= WINDOW.as_secs());
        t.succeeded("user:anna");
        // The address is still over its limit.
        assert!(t.refused(&keys).is_some());
        assert_eq!(t.refused(&["user:anna".to_owned()]), None);
    }
}
