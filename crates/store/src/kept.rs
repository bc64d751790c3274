//! What every position reads, kept in memory by a process that answers
//! many of them (the server): the license timelines and every usage
//! series, decoded.
//!
//! A position reads all of that whatever its date, and on a big store
//! reading it through sled is most of the position's cost (on the 1M-event
//! benchmark store about 60 of 75 ms). Kept, a new date costs only the
//! fold: each timeline's view on the date and a binary search per series.
//!
//! What is kept is the derived state at one seq, `head`, and is exact for
//! any question known at a seq up to it: a timeline's view and a series'
//! latest entry as known at `known` look only at events up to `known`,
//! and the log up to a seq never changes. So nothing is ever invalidated;
//! a question known at a later seq (a write moved "now") builds the set
//! again at the new head, once, while questions known at earlier seqs
//! keep using the old set.

use std::sync::{Arc, Mutex, PoisonError};

use entitle_core::timeline::{LicenseTimeline, UsageSeries};

use crate::error::StoreError;
use crate::projections::Projections;

/// The inputs of a position as derived at `head`.
#[derive(Debug)]
pub(crate) struct Kept {
    /// The seq the set was read at.
    pub head: u64,
    /// Every license timeline.
    pub timelines: Arc<[LicenseTimeline]>,
    /// Every usage series, whole (all its years).
    pub usage: Vec<UsageSeries>,
}

impl Kept {
    /// Reads the set from the derived state at `head`.
    fn read(proj: &Projections, head: u64) -> Result<Kept, StoreError> {
        let timelines: Vec<LicenseTimeline> = proj.licenses()?.collect::<Result<_, _>>()?;
        Ok(Kept {
            head,
            timelines: timelines.into(),
            usage: proj.usage_series()?,
        })
    }
}

/// The kept set of a store, when it keeps one.
#[derive(Debug, Default)]
pub(crate) struct KeptPositions {
    enabled: bool,
    current: Mutex<Option<Arc<Kept>>>,
    /// Held while the set is read, so that readers asking at once read
    /// it once.
    reading: Mutex<()>,
}

impl KeptPositions {
    /// Keeps the set from now on.
    pub(crate) fn enable(&mut self) {
        self.enabled = true;
    }

    /// Whether the set is kept.
    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// The set to answer a question known at `known` from, read at
    /// `head` when the kept one is older than `known`; `None` when the
    /// store keeps none. Call it with the store held for reading, so that
    /// `head` and the derived state stay put while the set is read.
    pub(crate) fn for_known(
        &self,
        proj: &Projections,
        known: u64,
        head: u64,
    ) -> Result<Option<Arc<Kept>>, StoreError> {
        if !self.enabled {
            return Ok(None);
        }
        let fresh_enough = || {
            self.current
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
                .filter(|kept| kept.head >= known)
                .map(Arc::clone)
        };
        if let Some(kept) = fresh_enough() {
            return Ok(Some(kept));
        }
        let _reading = self.reading.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(kept) = fresh_enough() {
            return Ok(Some(kept));
        }
        let kept = Arc::new(Kept::read(proj, head)?);
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&kept));
        Ok(Some(kept))
    }
}
