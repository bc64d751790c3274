//! The last positions answered, kept for the next identical question.
//!
//! A position is a pure function of the log up to the seq it is known at,
//! the business date, the vendor filter, the stale limit and the reader's
//! scope — and the log up to a seq never changes. So an answer keyed by
//! those, with `as_of` and `known_at` resolved first ("today" to a date,
//! "now" to the head's seq), is right for as long as it is kept, and needs
//! no invalidation: a write moves "now" to a new seq, which is a new key.
//! Several requests asking the same new question at once compute it once
//! (the others wait for that answer instead of queueing their own).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use entitle_app::query::{self, Position, PositionRequest};
use entitle_app::{Error, Scope, Store};
use jiff::civil::Date;
use parking_lot::Mutex;

/// Answers kept at most: a position of a big store is a few hundred KiB.
const KEPT: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    as_of: Date,
    known_seq: u64,
    vendor: Option<String>,
    stale_after: u32,
    scope: Scope,
}

/// An answer, and its JSON once a request wanted it.
#[derive(Debug)]
struct Kept {
    position: Position,
    json: OnceLock<Bytes>,
}

/// An answer being computed (empty until then), or the computation
/// failed (`None`: the error went to the request that computed it).
type Slot = Arc<OnceLock<Option<Arc<Kept>>>>;

/// The kept answers, oldest first in `order`.
#[derive(Debug, Default)]
pub(crate) struct Answers {
    kept: Mutex<(HashMap<Key, Slot>, VecDeque<Key>)>,
}

impl Answers {
    /// The position for `req` in `scope`, from the kept answers or
    /// computed (and kept). Call it with the store held for reading, as
    /// every query is.
    pub(crate) fn position(
        &self,
        store: &Store,
        scope: &Scope,
        req: &PositionRequest,
    ) -> Result<Position, Error> {
        Ok(self.kept(store, scope, req)?.position.clone())
    }

    /// The same answer as its JSON (`position --json`), serialised once.
    pub(crate) fn position_json(
        &self,
        store: &Store,
        scope: &Scope,
        req: &PositionRequest,
    ) -> Result<Bytes, Error> {
        let kept = self.kept(store, scope, req)?;
        Ok(kept
            .json
            .get_or_init(|| {
                Bytes::from(serde_json::to_vec(&kept.position).expect("a position serialises"))
            })
            .clone())
    }

    fn kept(
        &self,
        store: &Store,
        scope: &Scope,
        req: &PositionRequest,
    ) -> Result<Arc<Kept>, Error> {
        let (as_of, known_seq) = req.query.resolve(store)?;
        let key = Key {
            as_of,
            known_seq,
            vendor: req.query.vendor.clone(),
            stale_after: req.stale_after,
            scope: scope.clone(),
        };
        let slot = self.slot(key);
        let mut failed = None;
        let answer = slot.get_or_init(|| match query::position(store, scope, req) {
            Ok(position) => Some(Arc::new(Kept {
                position,
                json: OnceLock::new(),
            })),
            Err(e) => {
                failed = Some(e);
                None
            }
        });
        match (answer, failed) {
            (Some(kept), _) => Ok(Arc::clone(kept)),
            (None, Some(e)) => Err(e),
            // Another request's computation failed: ask again for the error.
            (None, None) => Ok(Arc::new(Kept {
                position: query::position(store, scope, req)?,
                json: OnceLock::new(),
            })),
        }
    }

    fn slot(&self, key: Key) -> Slot {
        let mut kept = self.kept.lock();
        let (map, order) = &mut *kept;
        if let Some(slot) = map.get(&key) {
            return Arc::clone(slot);
        }
        if order.len() >= KEPT {
            if let Some(oldest) = order.pop_front() {
                map.remove(&oldest);
            }
        }
        let slot = Slot::default();
        map.insert(key.clone(), Arc::clone(&slot));
        order.push_back(key);
        slot
    }
}
