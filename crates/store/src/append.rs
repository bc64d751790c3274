//! The write path: drafts in, records appended, all or nothing, holding at
//! most one chunk of them (and [`HOLD_COUNTS`] usage counts) in memory
//! however many there are.
//!
//! An [`Appender`] validates each draft as it is pushed (against the ledger
//! as it stands plus the drafts before it) and keeps the resulting records
//! in memory. A write that stays below [`SPILL_EVERY`] records is written
//! at [`Appender::commit`] exactly as DESIGN.md describes: sealed intent →
//! one log append and fsync → derived state. A longer one *spills*: it
//! records an open intent, then every [`SPILL_EVERY`] records writes them
//! to the log (no fsync) and their derived state to sled, and keeps only
//! the current chunk in memory (after the first chunk, usage counts are
//! merged into the stored years of their series, [`HOLD_COUNTS`] at a
//! time; see `Batch::spill_chunk`). Its
//! commit seals the intent, writes the
//! last chunk and makes the whole write durable with one fsync. Until the
//! intent is sealed nothing of it counts: an abort or a crash cuts the log
//! back and rebuilds the derived state from the log.

use entitle_core::chain::{self, Chain, Hash32};
use entitle_core::ledger::{Batch, Context, Draft};
use entitle_core::progress::{Progress, Silent, Unit};
use entitle_core::{Record, Rejection};

use crate::error::StoreError;
use crate::head;
use crate::layout::{FormatInfo, Layout, INVENTORY_FORMAT};
use crate::log::LogFile;
use crate::projections::{Applied, Intent, Placed, Projections};
use crate::Appended;

/// Records held in memory before a write spills them to the log and the
/// derived state (about 8 MB of a usage import).
pub const SPILL_EVERY: usize = 16_384;

/// New usage counts a long write holds in memory across its chunks before
/// merging them into the stored years (see `Batch::spill_chunk`): about
/// 35 MB, so that a migration of a million counts in no date order merges
/// twice instead of once per chunk.
pub(crate) const HOLD_COUNTS: usize = 1 << 19;

/// How a long write is cut up (tests make chunks tiny).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chunking {
    /// Records per chunk.
    pub spill_every: usize,
    /// Usage counts held across chunks.
    pub hold_counts: usize,
}

impl Default for Chunking {
    fn default() -> Self {
        Chunking {
            spill_every: SPILL_EVERY,
            hold_counts: HOLD_COUNTS,
        }
    }
}

/// What a committed write recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    /// First and last seq written, `None` when nothing was pushed.
    pub seqs: Option<(u64, u64)>,
    /// How many records.
    pub count: u64,
}

/// One write in progress: push drafts, then [`commit`](Appender::commit)
/// or [`abort`](Appender::abort). Dropping it aborts.
#[derive(Debug)]
pub struct Appender<'s> {
    log: &'s mut LogFile,
    proj: &'s Projections,
    applied: &'s mut Applied,
    ctx: Context,
    chunking: Chunking,
    batch: Batch<'s, Projections>,
    chain: Chain,
    /// Lines of the current chunk.
    buf: Vec<u8>,
    placed: Vec<Placed>,
    /// Log length before the write.
    base: u64,
    /// The last seq before the write (the chain's seq says how far it got).
    base_seq: u64,
    /// The chain hash before the write.
    base_hash: Hash32,
    last_digest: Hash32,
    rejected: u64,
    spilled: bool,
    done: bool,
    /// The store's FORMAT, raised to [`INVENTORY_FORMAT`] before the first
    /// inventory record reaches the log (`None`: a dry run).
    format: Option<(&'s Layout, &'s mut FormatInfo)>,
    /// Whether a record pushed needs [`INVENTORY_FORMAT`].
    needs_inventory: bool,
}

impl<'s> Appender<'s> {
    pub(crate) fn new(
        log: &'s mut LogFile,
        proj: &'s Projections,
        applied: &'s mut Applied,
        ctx: &Context,
        chunking: Chunking,
    ) -> Self {
        Appender {
            base: log.len(),
            base_seq: applied.head.seq,
            base_hash: applied.head_hash,
            chain: Chain::resume(applied.head.seq, applied.head_hash),
            batch: Batch::new(proj, applied.head.clone()),
            last_digest: applied.head_digest,
            log,
            proj,
            applied,
            ctx: ctx.clone(),
            chunking,
            buf: Vec::new(),
            placed: Vec::new(),
            rejected: 0,
            spilled: false,
            done: false,
            format: None,
            needs_inventory: false,
        }
    }

    /// Lets the write raise the store's FORMAT when it records the first
    /// installation or count rule.
    pub(crate) fn raising_format(mut self, layout: &'s Layout, info: &'s mut FormatInfo) -> Self {
        self.format = Some((layout, info));
        self
    }

    /// Raises FORMAT before the log holds a record older builds cannot
    /// read, so that they ask to be upgraded rather than fail on it.
    fn raise_format(&mut self) -> Result<(), StoreError> {
        if !self.needs_inventory {
            return Ok(());
        }
        if let Some((layout, info)) = self.format.as_mut() {
            if info.version < INVENTORY_FORMAT {
                crate::layout::upgrade(layout, info, INVENTORY_FORMAT)?;
            }
        }
        Ok(())
    }

    /// Validates a draft and adds it to the write. The inner `Err` is a
    /// draft that does not fit (the write goes on, so that every refused
    /// draft can be reported, but can then only be aborted); the outer one
    /// a store failure (the write is then aborted when dropped).
    ///
    /// # Errors
    ///
    /// When spilling to the log or the derived state fails.
    pub fn push(&mut self, draft: Draft) -> Result<Result<Appended, Rejection>, StoreError> {
        let record = match self.batch.propose(draft, &self.ctx) {
            Ok(record) => record,
            Err(rejection) => {
                self.rejected += 1;
                return Ok(Err(rejection));
            }
        };
        self.needs_inventory |= record.event.needs_inventory_format();
        let bytes = record.to_bytes();
        let (digest, _) = self.chain.push_record(&bytes);
        let offset = self.log.len() + self.buf.len() as u64;
        self.placed
            .push(Placed::new(record.seq, offset, bytes.len(), digest));
        self.buf.extend_from_slice(&bytes);
        self.buf.push(b'\n');
        self.last_digest = digest;
        let appended = Appended {
            seq: record.seq,
            id: record.event.license_id().map(str::to_owned),
        };
        if self.batch.len() >= self.chunking.spill_every {
            self.spill()?;
        }
        Ok(Ok(appended))
    }

    /// Who records the drafts pushed from now on, and when: a group commit
    /// joins writes of several people into one durable write.
    pub fn set_context(&mut self, ctx: &Context) {
        self.ctx = ctx.clone();
    }

    /// How many drafts were refused so far.
    #[must_use]
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// Writes the current chunk to the log (unless a draft was refused:
    /// the write can then only be aborted) and to the derived state.
    fn spill(&mut self) -> Result<(), StoreError> {
        if !self.spilled {
            self.mark(head::Pending::Open)?;
            self.proj.set_intent(&Intent {
                offset_before: self.base,
                offset_after: 0,
                from_seq: self.base_seq + 1,
                to_seq: 0,
                head_hash: chain::GENESIS,
                open: true,
                spilled: true,
            })?;
            self.spilled = true;
        }
        if self.rejected == 0 {
            self.raise_format()?;
            self.log.write(&self.buf)?;
        }
        let changes = self.batch.spill_chunk(self.chunking.hold_counts);
        self.proj.write(&changes, &self.placed, None)?;
        self.proj.relieve()?;
        self.buf.clear();
        self.placed.clear();
        Ok(())
    }

    /// Makes the write durable and returns what it recorded.
    ///
    /// # Errors
    ///
    /// [`StoreError::Refused`] when a draft was refused (nothing is then
    /// recorded), or a store failure.
    pub fn commit(mut self) -> Result<Committed, StoreError> {
        if self.rejected > 0 {
            self.rollback()?;
            return Err(StoreError::Refused(self.rejected));
        }
        let (first, last) = (self.base_seq + 1, self.chain.seq());
        if last < first {
            self.done = true;
            return Ok(Committed {
                seqs: None,
                count: 0,
            });
        }
        let changes = self.batch.spill();
        // Until the log is durable nothing is recorded: a failure on the
        // way cuts back whatever reached the log, so that this process (a
        // server goes on writing) and the next open agree with the mark.
        if let Err(e) = self.make_durable(first, last) {
            let _ = self.rollback();
            return Err(e);
        }
        self.done = true;
        // Best effort: the log is durable, so the write is recorded; a mark
        // still naming it as pending is settled by the next open.
        let _ = head::write(
            &head::path_for(self.log.path()),
            &head::Mark::settled(last, *self.chain.head()),
        );
        let applied = Applied {
            offset: self.log.len(),
            head_hash: *self.chain.head(),
            head_digest: self.last_digest,
            head: changes.head.clone(),
        };
        self.proj.write(&changes, &self.placed, Some(&applied))?;
        self.proj.flush()?;
        *self.applied = applied;
        Ok(Committed {
            seqs: Some((first, last)),
            count: last - self.base_seq,
        })
    }

    /// Records the intent and the pending mark, writes the last chunk and
    /// makes the log durable.
    fn make_durable(&mut self, first: u64, last: u64) -> Result<(), StoreError> {
        self.proj.set_intent(&Intent {
            offset_before: self.base,
            offset_after: self.log.len() + self.buf.len() as u64,
            from_seq: first,
            to_seq: last,
            head_hash: *self.chain.head(),
            open: false,
            spilled: self.spilled,
        })?;
        self.raise_format()?;
        self.mark(head::Pending::At(last, *self.chain.head()))?;
        self.log.write(&self.buf)?;
        self.log.sync()
    }

    /// Names in `log/HEAD` where the log will end, before touching it.
    fn mark(&self, pending: head::Pending) -> Result<(), StoreError> {
        head::write(
            &head::path_for(self.log.path()),
            &head::Mark {
                committed: (self.base_seq, self.base_hash),
                pending,
            },
        )
    }

    /// Records nothing: cuts off what was spilled and rebuilds the derived
    /// state it touched.
    ///
    /// # Errors
    ///
    /// When the log cannot be cut back or the derived state rebuilt (the
    /// open intent then makes the next open finish the job).
    pub fn abort(mut self) -> Result<(), StoreError> {
        self.rollback()
    }

    fn rollback(&mut self) -> Result<(), StoreError> {
        if self.done {
            return Ok(());
        }
        self.done = true;
        if self.log.len() > self.base {
            self.log.truncate(self.base)?;
        }
        if self.spilled {
            *self.applied = rebuild(self.log, self.proj, self.chunking, &Silent)?;
        }
        Ok(())
    }
}

impl Drop for Appender<'_> {
    fn drop(&mut self) {
        // Best effort: if this fails, the open intent left in the derived
        // state makes the next open cut the log back and rebuild.
        let _ = self.rollback();
    }
}

/// Drops the derived state and replays the whole log into it.
pub(crate) fn rebuild(
    log: &LogFile,
    proj: &Projections,
    chunking: Chunking,
    progress: &dyn Progress,
) -> Result<Applied, StoreError> {
    proj.clear()?;
    progress.start("rebuilding derived state", Some(log.len()), Unit::Bytes);
    let result = replay_observed(log, proj, &Applied::default(), chunking, progress);
    progress.finish();
    result
}

/// Applies the log after `from` (which the derived state covers) to the
/// derived state, a chunk at a time; `applied` moves only at the end, so a
/// crash part-way leaves the same work to do on the next open.
pub(crate) fn replay(
    log: &LogFile,
    proj: &Projections,
    from: &Applied,
    chunking: Chunking,
) -> Result<Applied, StoreError> {
    replay_observed(log, proj, from, chunking, &Silent)
}

/// [`replay`], reporting the log bytes applied to `progress`.
fn replay_observed(
    log: &LogFile,
    proj: &Projections,
    from: &Applied,
    chunking: Chunking,
    progress: &dyn Progress,
) -> Result<Applied, StoreError> {
    let derived = |e: Rejection| StoreError::Derived {
        path: proj.path().to_owned(),
        what: e.to_string(),
    };
    let damaged = |what: String| StoreError::Damaged {
        path: log.path().to_owned(),
        what,
    };
    let mut chain = Chain::resume(from.head.seq, from.head_hash);
    let mut batch = Batch::new(proj, from.head.clone());
    let mut placed = Vec::new();
    let mut last_digest = from.head_digest;
    for line in log.lines_from(from.offset)? {
        let line = line?;
        let expected = chain.seq() + 1;
        let record = Record::from_bytes(&line.bytes)
            .map_err(|e| damaged(format!("line {expected}: {e}")))?;
        if record.seq != expected {
            return Err(damaged(format!(
                "line {expected} holds event #{} (expected #{expected})",
                record.seq
            )));
        }
        let (digest, _) = chain.push_record(&line.bytes);
        batch.apply(&record).map_err(derived)?;
        placed.push(Placed::new(
            record.seq,
            line.offset,
            line.bytes.len(),
            digest,
        ));
        last_digest = digest;
        if batch.len() >= chunking.spill_every {
            progress.advance(placed.iter().map(|p| u64::from(p.len) + 1).sum());
            proj.write(&batch.spill_chunk(chunking.hold_counts), &placed, None)?;
            proj.relieve()?;
            placed.clear();
        }
    }
    let changes = batch.finish();
    let applied = Applied {
        offset: log.len(),
        head_hash: *chain.head(),
        head_digest: last_digest,
        head: changes.head.clone(),
    };
    proj.write(&changes, &placed, Some(&applied))?;
    proj.flush()?;
    Ok(applied)
}

/// Whether the log after `from` is exactly the write `intent` describes:
/// whole records in sequence whose chain ends at the intended head.
pub(crate) fn matches_intent(
    log: &LogFile,
    from: &Applied,
    intent: &Intent,
) -> Result<bool, StoreError> {
    if intent.open || log.len() != intent.offset_after {
        return Ok(false);
    }
    let mut chain = Chain::resume(from.head.seq, from.head_hash);
    for line in log.lines_from(from.offset)? {
        let line = line?;
        match Record::from_bytes(&line.bytes) {
            Ok(r) if line.complete && r.seq == chain.seq() + 1 => {
                chain.push_record(&line.bytes);
            }
            _ => return Ok(false),
        }
    }
    Ok(chain.seq() == intent.to_seq && *chain.head() == intent.head_hash)
}
