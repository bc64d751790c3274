//! Server-side sessions: a random id in a cookie (`HttpOnly`,
//! `SameSite=Strict`, `Secure` on TLS), kept in memory as its BLAKE3 hash
//! beside the account name and a CSRF token. A new id at every sign-in (no
//! fixation), an idle and an absolute expiry, and sign-out that ends it
//! here. Sessions end with the server; the account is read again on every
//! request, so a disabled account or a changed role takes effect at once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// The cookie's name (`__Host-` on TLS: the browser then insists on
/// `Secure`, `Path=/` and no `Domain`).
pub(crate) fn cookie_name(tls: bool) -> &'static str {
    if tls {
        "__Host-entitle_session"
    } else {
        "entitle_session"
    }
}

/// A session ends after this long without a request.
pub(crate) const IDLE: Duration = Duration::from_secs(30 * 60);
/// And after this long in any case.
pub(crate) const ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);

/// One signed-in browser.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// The account.
    pub user: String,
    /// What a state-changing request must carry (`X-CSRF-Token`).
    pub csrf: String,
    started: Instant,
    last_seen: Instant,
}

/// The live sessions, by the hash of their id.
#[derive(Debug)]
pub(crate) struct Sessions {
    live: Mutex<HashMap<[u8; 32], Session>>,
    idle: Duration,
    absolute: Duration,
}

/// 32 random bytes as 64 hex digits.
pub(crate) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system gives random bytes");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn key(id: &str) -> [u8; 32] {
    *blake3::hash(id.as_bytes()).as_bytes()
}

impl Sessions {
    /// No sessions, with the given expiries.
    pub(crate) fn new(idle: Duration, absolute: Duration) -> Self {
        Sessions {
            live: Mutex::new(HashMap::new()),
            idle,
            absolute,
        }
    }

    /// Starts a session for `user`; returns its id (for the cookie) and
    /// the session.
    pub(crate) fn start(&self, user: &str) -> (String, Session) {
        let id = random_secret();
        let now = Instant::now();
        let session = Session {
            user: user.to_owned(),
            csrf: random_secret(),
            started: now,
            last_seen: now,
        };
        self.live.lock().insert(key(&id), session.clone());
        (id, session)
    }

    /// The live session with this id, touched; an expired one is ended.
    pub(crate) fn get(&self, id: &str) -> Option<Session> {
        let mut live = self.live.lock();
        let k = key(id);
        let now = Instant::now();
        let session = live.get_mut(&k)?;
        if now.duration_since(session.last_seen) > self.idle
            || now.duration_since(session.started) > self.absolute
        {
            live.remove(&k);
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }

    /// Ends the session with this id.
    pub(crate) fn end(&self, id: &str) {
        self.live.lock().remove(&key(id));
    }

    /// Ends every session of an account (disabled, password changed).
    pub(crate) fn end_all_of(&self, user: &str) {
        self.live
            .lock()
            .retain(|_, s| !s.user.eq_ignore_ascii_case(user));
    }
}
