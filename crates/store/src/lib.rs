//! entitle's store: the append-only event log with its hash chain (the
//! truth), and the sled projections derived from it.
//!
//! The write path: validate against the projections → record an intent in
//! sled and flush it → append the records to the log and fsync → write the
//! projections → report success. On open, a log tail beyond the projections
//! is either the remains of an interrupted write (rolled forward when
//! complete, cut off when torn) or bytes entitle did not write (reported,
//! never applied). A write of any length runs in bounded memory through an
//! [`Appender`], which spills long writes to disk in chunks behind an open
//! intent (see `append.rs`). See `ARCHITECTURE.md` at the repository root.
#![deny(missing_docs)]

mod append;
mod blobs;
#[doc(hidden)]
pub mod disk;
mod error;
mod head;
mod kept;
mod layout;
mod lock;
mod log;
mod projections;
mod usage_codec;
mod verify;

use std::io::Write;
use std::path::{Path, PathBuf};

use entitle_core::chain::{self, Chain, Hash32};
use entitle_core::ledger::{Batch, Context, Draft};
use entitle_core::position::PositionRow;
use entitle_core::timeline::{DocumentEntry, LicenseTimeline, LicenseView, UsageSeries};
use entitle_core::{Record, Rejection};
use jiff::civil::Date;
use jiff::Timestamp;

pub use append::{Appender, Committed, SPILL_EVERY};
pub use blobs::{BlobError, Blobs, StoredBlob};
pub use error::StoreError;
pub use layout::{FormatInfo, Layout, STORE_FORMAT};
pub use lock::{LockWait, SERVER_COMMAND};
pub use projections::{Applied, SeqEntry};
pub use verify::{Problem, VerifyReport};

use crate::error::IoContext;
use crate::lock::StoreLock;
use crate::log::LogFile;
use crate::projections::{Intent, Projections};

/// The parsers of the store's small text files, for the fuzz targets
/// (`fuzz/`): each must refuse any text with an error, never panic.
#[doc(hidden)]
pub mod fuzzing {
    /// Parses the text of a FORMAT file.
    ///
    /// # Errors
    ///
    /// When it is not one.
    pub fn format(text: &str) -> Result<crate::FormatInfo, crate::StoreError> {
        crate::layout::parse_format(&crate::Layout::new("fuzz"), text)
    }

    /// Parses the text of a head mark (`log/HEAD`).
    ///
    /// # Errors
    ///
    /// When it is not one.
    pub fn head_mark(text: &str) -> Result<(), String> {
        crate::head::parse(text).map(|_| ())
    }
}

/// What opening a store means: whether it must exist, may be created, or
/// is opened to be inspected. Every mode takes the store's lock, so a
/// store opened for reading can be written too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// The store must exist already (queries, and writes that only make
    /// sense on an existing store: extend, void, attach …).
    MustExist,
    /// The store is created when missing (a purchase, an import).
    CreateIfMissing,
    /// Open for `verify`: damage is recorded, not an error, and nothing is
    /// repaired but the remains of an interrupted write.
    Inspect,
}

/// `--known-at`: a moment of knowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownAt {
    /// Everything recorded.
    Now,
    /// Events up to this seq (`#N`).
    Seq(u64),
    /// Events recorded at or before this moment.
    Time(Timestamp),
}

/// A refused batch: each refused draft with its position (from 0).
#[derive(Debug)]
pub enum AppendError {
    /// Drafts that do not fit the ledger; nothing was written.
    Rejected(Refusals),
    /// The store failed; nothing was reported as recorded.
    Store(StoreError),
}

impl From<StoreError> for AppendError {
    fn from(e: StoreError) -> Self {
        AppendError::Store(e)
    }
}

/// What one appended record was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Its seq.
    pub seq: u64,
    /// The license it is about, if any (the generated id for a purchase).
    pub id: Option<String>,
}

/// What [`Store::accept_log_head`] accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedHead {
    /// The head `log/HEAD` named (seq, chain hash), if it was readable.
    pub before: Option<(u64, Hash32)>,
    /// The head of the log as accepted.
    pub after: (u64, Hash32),
    /// The file the acceptance was recorded in (`log/HEAD.accepted`).
    pub record: PathBuf,
}

/// A position with what it was computed from.
#[derive(Debug)]
pub struct PositionInputs {
    /// The rows.
    pub rows: Vec<PositionRow>,
    /// The licenses visible on the date.
    pub views: Vec<LicenseView>,
    /// Every license timeline.
    pub timelines: std::sync::Arc<[LicenseTimeline]>,
}

/// The views of the licenses visible on `as_of` as known at `known`.
fn views_on(timelines: &[LicenseTimeline], as_of: Date, known: u64) -> Vec<LicenseView> {
    let mut scratch = Vec::new();
    timelines
        .iter()
        .filter_map(|t| t.view_with(as_of, known, &mut scratch))
        .collect()
}

/// An open, locked store.
#[derive(Debug)]
pub struct Store {
    layout: Layout,
    info: FormatInfo,
    log: LogFile,
    proj: Projections,
    applied: Applied,
    notices: Vec<String>,
    damage: Option<String>,
    chunking: append::Chunking,
    kept: kept::KeptPositions,
    _lock: StoreLock,
}

impl Store {
    /// Opens the store at `root`, locking it for `command` (named in the
    /// lock file so that a second process can say who holds it).
    ///
    /// # Errors
    ///
    /// When there is no store (with [`Open::MustExist`]), it is of another
    /// format, locked, or its log does not agree with what entitle wrote.
    pub fn open(root: &Path, access: Open, command: &str) -> Result<Store, StoreError> {
        Store::open_waiting(root, access, command, &LockWait::none())
    }

    /// Opens the store at `root` as [`Store::open`] does, waiting for
    /// another process that holds it as `wait` allows (never for the
    /// server).
    ///
    /// # Errors
    ///
    /// As [`Store::open`]; [`StoreError::Locked`] when the store is still
    /// held after the wait, or held by the server.
    pub fn open_waiting(
        root: &Path,
        access: Open,
        command: &str,
        wait: &LockWait<'_>,
    ) -> Result<Store, StoreError> {
        let layout = Layout::new(root);
        if layout::read_format(&layout)?.is_none() {
            match access {
                // Lock before creating, so that two first writes at once
                // create one store, not two halves of one.
                Open::CreateIfMissing => layout::prepare(&layout)?,
                _ if root.is_dir() && std::fs::read_dir(root).at(root)?.next().is_some() => {
                    return Err(StoreError::NotAStore(root.to_owned()))
                }
                _ => return Err(StoreError::NoStore(root.to_owned())),
            }
        }
        let lock = StoreLock::acquire(&layout, command, wait)?;
        // Read under the lock: another process may have created or
        // upgraded the store meanwhile.
        let info = match layout::read_format(&layout)? {
            Some(info) => info,
            None if access == Open::CreateIfMissing => layout::create(&layout)?,
            None => return Err(StoreError::NoStore(root.to_owned())),
        };
        let log_path = layout.log();
        if !log_path.exists() {
            return Err(StoreError::Damaged {
                path: log_path,
                what: "the log file is missing".into(),
            });
        }
        let log = LogFile::open(&log_path, false)?;
        let mut notices = Vec::new();
        let (proj, stale) = match Projections::open(&layout.db()) {
            Ok(p) => p,
            Err(e @ StoreError::Io { .. }) => return Err(e),
            Err(e) => {
                notices.push(format!(
                    "derived state did not open ({e}); rebuilt it from the log"
                ));
                let _ = std::fs::remove_dir_all(layout.db());
                Projections::open(&layout.db())?
            }
        };
        let mut store = Store {
            layout,
            info,
            log,
            proj,
            applied: Applied::default(),
            notices,
            damage: None,
            chunking: append::Chunking::default(),
            kept: kept::KeptPositions::default(),
            _lock: lock,
        };
        store.recover(stale, access)?;
        store.check_head_mark(access)?;
        Ok(store)
    }

    /// Finishes a store restored from a copy at `root`, whose
    /// `log/events.jsonl` (and `blobs/`) the caller has written and made
    /// durable and whose chain ends at `head` (`(seq, hash)`): writes the
    /// head mark, then — last — FORMAT with the original's `store_id`. The
    /// derived state is rebuilt by the next [`Store::open`].
    ///
    /// # Errors
    ///
    /// When the files cannot be written.
    pub fn finish_restore(
        root: &Path,
        store_id: &str,
        head: (u64, Hash32),
    ) -> Result<(), StoreError> {
        let layout = Layout::new(root);
        layout::sync_dir(&layout.log_dir())?;
        head::write(
            &head::path_for(&layout.log()),
            &head::Mark::settled(head.0, head.1),
        )?;
        layout::create_restored(&layout, store_id)?;
        layout::sync_dir(root)
    }

    fn damaged(&mut self, access: Open, what: String) -> Result<(), StoreError> {
        self.refuse(access, what, |path, what| StoreError::Damaged {
            path,
            what,
        })
    }

    /// As [`Store::damaged`], for a log that ends elsewhere than entitle
    /// last wrote it (which [`Store::accept_log_head`] can accept).
    fn ends_elsewhere(&mut self, access: Open, what: String) -> Result<(), StoreError> {
        self.refuse(access, what, |path, what| StoreError::HeadMismatch {
            path,
            what,
        })
    }

    /// Damage found on open: an error, or with [`Open::Inspect`] a finding
    /// for `verify` to report.
    fn refuse(
        &mut self,
        access: Open,
        what: String,
        error: fn(PathBuf, String) -> StoreError,
    ) -> Result<(), StoreError> {
        if access == Open::Inspect {
            self.damage = Some(what);
            Ok(())
        } else {
            Err(error(self.log.path().to_owned(), what))
        }
    }

    /// Accepts the log as it is — after restoring it from an older copy on
    /// purpose — as the truth: cuts a torn last line, rebuilds the derived
    /// state from it (every line must be a record in sequence), makes
    /// `log/HEAD` name its end, and appends a line saying so to
    /// `log/HEAD.accepted`, which is never rewritten. Open the store with
    /// [`Open::Inspect`] to call it on a store that does not open
    /// otherwise.
    ///
    /// # Errors
    ///
    /// When a line of the log is not a record in sequence, or the files
    /// cannot be written.
    pub fn accept_log_head(
        &mut self,
        progress: &dyn entitle_core::progress::Progress,
    ) -> Result<AcceptedHead, StoreError> {
        let path = head::path_for(self.log.path());
        let before = match head::read(&path)? {
            Some(Ok(mark)) => Some(match mark.pending {
                head::Pending::At(seq, hash) if seq > mark.committed.0 => (seq, hash),
                _ => mark.committed,
            }),
            _ => None,
        };
        let complete = self.log.complete_len()?;
        if complete < self.log.len() {
            self.log.truncate(complete)?;
        }
        self.rebuild_observed(progress)?;
        let after = (self.applied.head.seq, self.applied.head_hash);
        let record = path.with_file_name("HEAD.accepted");
        let named = before.map_or_else(
            || "no head (log/HEAD was missing or damaged)".to_owned(),
            |(seq, hash)| format!("#{seq} {}", chain::to_hex(&hash)),
        );
        let line = format!(
            "{} accepted the log ending at #{} {} in place of {named}\n",
            Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or(Timestamp::UNIX_EPOCH),
            after.0,
            chain::to_hex(&after.1),
        );
        let mut file = disk::open_append(&record, true).at(&record)?;
        disk::append(&mut file, &record, line.as_bytes()).at(&record)?;
        disk::sync(&file, &record).at(&record)?;
        layout::sync_dir(self.layout.log_dir().as_path())?;
        head::write(&path, &head::Mark::settled(after.0, after.1))?;
        self.damage = None;
        Ok(AcceptedHead {
            before,
            after,
            record,
        })
    }

    fn recover(&mut self, stale: bool, access: Open) -> Result<(), StoreError> {
        let applied = if stale { None } else { self.proj.applied()? };
        let Some(applied) = applied else {
            let complete = self.log.complete_len()?;
            if complete < self.log.len() {
                let torn = self.log.len() - complete;
                self.log.truncate(complete)?;
                self.notices.push(format!(
                    "cut off a torn last line ({torn} bytes) left by an interrupted write; it was never reported as recorded"
                ));
            }
            self.cut_unfinished_write()?;
            let n = self.rebuild_projections()?;
            if n > 0 {
                self.notices.push(format!(
                    "derived state was missing or outdated; rebuilt it from {n} events"
                ));
            }
            return Ok(());
        };
        self.applied = applied;
        let len = self.log.len();
        let offset = self.applied.offset;
        let intent = self.proj.intent()?;
        if len == offset {
            match intent {
                // The write never reached the log, but wrote derived state.
                Some(intent) if intent.spilled => {
                    self.rebuild_projections()?;
                    self.notices.push(format!(
                        "rebuilt derived state an interrupted write (from event #{}) had begun to update; nothing of it was recorded",
                        intent.from_seq
                    ));
                }
                Some(_) => self.proj.clear_intent()?, // the write never reached the log
                None => {}
            }
            return self.check_last_record(access);
        }
        if len < offset {
            let seq = self.applied.head.seq;
            let what = format!("it is {} bytes shorter than the {offset} bytes holding events #1..#{seq}: events were removed or cut", offset - len);
            // Cut at an event's end (an older copy): a log that ends
            // elsewhere; anything else (a line deleted inside it) is damage.
            return if self.ends_at_an_event()? {
                self.ends_elsewhere(access, what)
            } else {
                self.damaged(access, what)
            };
        }
        match intent {
            Some(intent) if intent.offset_before == offset => self.finish_interrupted(&intent),
            // The derived state is older than the log (db/ restored from an
            // older copy): the head mark says entitle wrote further, so bring
            // it up to date; the mark is checked against the result.
            _ if self.mark_is_past(self.applied.head.seq)? => {
                let from = self.applied.head.seq;
                self.applied = append::replay(&self.log, &self.proj, &self.applied, self.chunking)?;
                self.proj.clear_intent()?;
                self.proj.flush()?;
                self.notices.push(format!(
                    "derived state ended at event #{from}, older than the log (restored from an older copy?); brought it up to date to #{}",
                    self.applied.head.seq
                ));
                Ok(())
            }
            _ => {
                let seq = self.applied.head.seq;
                self.damaged(
                    access,
                    format!(
                        "it has {} bytes after event #{seq} that entitle did not write (event #{} onwards was appended by something else)",
                        len - offset,
                        seq + 1
                    ),
                )
            }
        }
    }

    fn check_last_record(&mut self, access: Open) -> Result<(), StoreError> {
        let seq = self.applied.head.seq;
        if seq == 0 {
            return Ok(());
        }
        let Some(entry) = self.proj.seq_entry(seq)? else {
            return Err(StoreError::Derived {
                path: self.layout.db(),
                what: format!("event #{seq} is missing"),
            });
        };
        let bytes = self.log.read_at(entry.offset, entry.len)?;
        if chain::digest(&bytes) != self.applied.head_digest {
            return self.damaged(
                access,
                format!("the last record (#{seq}) was changed after it was written"),
            );
        }
        Ok(())
    }

    /// With no derived state to hold an intent (`db/` lost in the crash),
    /// the head mark stands in for it: complete lines after the committed
    /// head that the pending write never finished (a long write still
    /// open, or fewer events than it named) were never reported as
    /// recorded, so they are cut off. Anything else past the mark is left
    /// for [`Store::check_head_mark`] to report.
    fn cut_unfinished_write(&mut self) -> Result<(), StoreError> {
        let Some(Ok(mark)) = head::read(&head::path_for(self.log.path()))? else {
            return Ok(());
        };
        if mark.pending == head::Pending::None {
            return Ok(());
        }
        let (c_seq, c_hash) = mark.committed;
        let mut chain = Chain::new();
        let mut cut = (c_seq == 0 && c_hash == *chain.head()).then_some(0);
        for line in self.log.lines_from(0)? {
            let line = line?;
            chain.push_record(&line.bytes);
            if chain.seq() == c_seq {
                if *chain.head() != c_hash {
                    return Ok(());
                }
                cut = Some(line.offset + line.bytes.len() as u64 + 1);
            }
        }
        let end = (chain.seq(), *chain.head());
        let unfinished = match mark.pending {
            // Fewer events than the write named: it never finished. As
            // many with another head, or more, are not its remains.
            head::Pending::At(p_seq, _) => end.0 < p_seq,
            head::Pending::Open => true,
            head::Pending::None => false,
        };
        let Some(cut) = cut else { return Ok(()) };
        if end.0 <= c_seq || !unfinished {
            return Ok(());
        }
        let bytes = self.log.len() - cut;
        self.log.truncate(cut)?;
        self.notices.push(format!(
            "cut off {bytes} bytes of an interrupted write (events #{}..#{}) that log/HEAD names as unfinished; it was never reported as recorded",
            c_seq + 1,
            end.0
        ));
        Ok(())
    }

    /// Whether the log ends exactly where one of the events the derived
    /// state knows ended: the last line is that event, at its offset.
    fn ends_at_an_event(&mut self) -> Result<bool, StoreError> {
        let len = self.log.len();
        if len == 0 {
            return Ok(true);
        }
        if self.log.complete_len()? != len {
            return Ok(false);
        }
        let window = len.min(1 << 20);
        let bytes = self
            .log
            .read_at(len - window, u32::try_from(window).unwrap_or(u32::MAX))?;
        let body = &bytes[..bytes.len() - 1];
        let line = match body.iter().rposition(|&b| b == b'\n') {
            Some(i) => &body[i + 1..],
            None if window == len => body,
            None => return Ok(false),
        };
        let Ok(record) = Record::from_bytes(line) else {
            return Ok(false);
        };
        Ok(self.proj.seq_entry(record.seq)?.is_some_and(|e| {
            e.len as usize == line.len() && e.offset + u64::from(e.len) + 1 == len
        }))
    }

    /// Whether `log/HEAD` says entitle wrote the log beyond `seq`.
    fn mark_is_past(&self, seq: u64) -> Result<bool, StoreError> {
        Ok(match head::read(&head::path_for(self.log.path()))? {
            Some(Ok(mark)) => mark.committed.0 > seq,
            _ => false,
        })
    }

    /// Checks that the log ends where `log/HEAD` says the last write left
    /// it (a log cut short or extended while `db/` was deleted rebuilds
    /// without complaint otherwise), and upgrades a format-1 store, which
    /// has no mark yet, to format 2.
    fn check_head_mark(&mut self, access: Open) -> Result<(), StoreError> {
        if self.damage.is_some() {
            return Ok(());
        }
        let path = head::path_for(self.log.path());
        let (seq, hash) = (self.applied.head.seq, self.applied.head_hash);
        match head::read(&path)? {
            Some(Ok(mark)) => {
                if let Some(what) = head::mismatch(&mark, seq, &hash) {
                    return self.ends_elsewhere(access, what);
                }
                // A write that reached the log but not its closing mark
                // (or was completed on open): the log ends where it said.
                if mark.committed != (seq, hash) && access != Open::Inspect {
                    head::write(&path, &head::Mark::settled(seq, hash))?;
                }
            }
            Some(Err(what)) => {
                return self.ends_elsewhere(
                    access,
                    format!("its head mark {} is damaged ({what})", path.display()),
                )
            }
            None if self.info.version >= 2 && seq > 0 => {
                return self.ends_elsewhere(
                    access,
                    format!(
                        "its head mark {} is missing (it names the event the log must end at)",
                        path.display()
                    ),
                )
            }
            None => {}
        }
        if self.info.version < layout::HEAD_FORMAT && access != Open::Inspect {
            head::write(&path, &head::Mark::settled(seq, hash))?;
            layout::upgrade(&self.layout, &mut self.info, layout::HEAD_FORMAT)?;
            self.notices.push(format!(
                "upgraded the store to format {}: it now keeps its chain head in log/HEAD (older entitle builds will ask to be upgraded)",
                layout::HEAD_FORMAT
            ));
        }
        Ok(())
    }

    /// Rolls an interrupted write forward when all of it reached the log,
    /// or cuts it off when it did not.
    fn finish_interrupted(&mut self, intent: &Intent) -> Result<(), StoreError> {
        let events = if intent.open {
            format!("events #{} onwards", intent.from_seq)
        } else if intent.from_seq == intent.to_seq {
            format!("event #{}", intent.from_seq)
        } else {
            format!("events #{}..#{}", intent.from_seq, intent.to_seq)
        };
        if append::matches_intent(&self.log, &self.applied, intent)? {
            self.applied = append::replay(&self.log, &self.proj, &self.applied, self.chunking)?;
            self.notices
                .push(format!("completed an interrupted write of {events}"));
            return Ok(());
        }
        let offset = self.applied.offset;
        let cut = self.log.len() - offset;
        self.log.truncate(offset)?;
        if intent.spilled {
            self.rebuild_projections()?;
        } else {
            self.proj.clear_intent()?;
            self.proj.flush()?;
        }
        self.notices.push(format!(
            "cut off {cut} bytes of an interrupted write ({events}); it was never reported as recorded"
        ));
        Ok(())
    }

    /// Rebuilds every projection from the log; returns the event count.
    fn rebuild_projections(&mut self) -> Result<u64, StoreError> {
        self.rebuild_observed(&entitle_core::progress::Silent)
    }

    /// Drops all derived state and rebuilds it from the log.
    ///
    /// # Errors
    ///
    /// When the log cannot be read or a line is not a record in sequence.
    pub fn rebuild(&mut self) -> Result<u64, StoreError> {
        self.rebuild_projections()
    }

    /// [`Store::rebuild`], reporting the log bytes applied to `progress`.
    ///
    /// # Errors
    ///
    /// As [`Store::rebuild`].
    pub fn rebuild_observed(
        &mut self,
        progress: &dyn entitle_core::progress::Progress,
    ) -> Result<u64, StoreError> {
        self.applied = append::rebuild(&self.log, &self.proj, self.chunking, progress)?;
        Ok(self.applied.head.seq)
    }

    /// What recovery did on open (torn lines cut, interrupted writes
    /// completed, derived state rebuilt), for the user to see on stderr.
    #[must_use]
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// The store's layout.
    #[must_use]
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The store's id and format.
    #[must_use]
    pub fn info(&self) -> &FormatInfo {
        &self.info
    }

    /// The head of the log as applied.
    #[must_use]
    pub fn applied(&self) -> &Applied {
        &self.applied
    }

    /// Validates and appends drafts as one atomic, durable write.
    ///
    /// # Errors
    ///
    /// [`AppendError::Rejected`] with every refused draft (nothing written),
    /// or a store failure.
    pub fn append(
        &mut self,
        drafts: impl IntoIterator<Item = Draft>,
        ctx: &Context,
    ) -> Result<Vec<Appended>, AppendError> {
        let mut appender = self.appender(ctx);
        let (appended, rejected) = push_all(&mut appender, drafts)?;
        if !rejected.is_empty() {
            appender.abort()?;
            return Err(AppendError::Rejected(rejected));
        }
        appender.commit()?;
        Ok(appended)
    }

    /// Makes several independent writes durable with one fsync (group
    /// commit, as a server does for concurrent requests): each write is
    /// all or nothing on its own, judged after the writes before it, and
    /// gets its own answer. When any of them is refused, the group is
    /// dropped and every write is made on its own instead, so that a
    /// refused one never takes the others with it.
    ///
    /// A group should stay well below [`SPILL_EVERY`] records.
    ///
    /// # Errors
    ///
    /// A store failure, for the whole group (nothing of it is recorded).
    pub fn append_group(
        &mut self,
        writes: Vec<(Vec<Draft>, Context)>,
    ) -> Result<Vec<Result<Vec<Appended>, AppendError>>, StoreError> {
        if writes.len() <= 1 {
            return Ok(writes
                .into_iter()
                .map(|(drafts, ctx)| self.append(drafts, &ctx))
                .collect());
        }
        let mut answers = Vec::with_capacity(writes.len());
        let mut refused = false;
        {
            let mut appender = self.appender(&writes[0].1);
            for (drafts, ctx) in &writes {
                appender.set_context(ctx);
                let (appended, rejected) = push_all(&mut appender, drafts.iter().cloned())?;
                refused |= !rejected.is_empty();
                answers.push(appended);
            }
            if refused {
                appender.abort()?;
            } else {
                appender.commit()?;
            }
        }
        if !refused {
            return Ok(answers.into_iter().map(Ok).collect());
        }
        Ok(writes
            .into_iter()
            .map(|(drafts, ctx)| self.append(drafts, &ctx))
            .collect())
    }

    /// Validates drafts exactly as [`Store::append`] would and returns what
    /// they would become, writing nothing (a dry run; the drafts are held
    /// in memory).
    ///
    /// # Errors
    ///
    /// [`AppendError::Rejected`] with every refused draft, or a store
    /// failure.
    pub fn check(
        &mut self,
        drafts: impl IntoIterator<Item = Draft>,
        ctx: &Context,
    ) -> Result<Vec<Appended>, AppendError> {
        let mut appender = Appender::new(
            &mut self.log,
            &self.proj,
            &mut self.applied,
            ctx,
            // Never spills, so it never writes.
            append::Chunking {
                spill_every: usize::MAX,
                ..append::Chunking::default()
            },
        );
        let (appended, rejected) = push_all(&mut appender, drafts)?;
        appender.abort()?;
        if rejected.is_empty() {
            Ok(appended)
        } else {
            Err(AppendError::Rejected(rejected))
        }
    }

    /// Starts a write of any length in bounded memory: push drafts one by
    /// one, then commit (all of them) or abort (none).
    pub fn appender(&mut self, ctx: &Context) -> Appender<'_> {
        Appender::new(
            &mut self.log,
            &self.proj,
            &mut self.applied,
            ctx,
            self.chunking,
        )
        .raising_format(&self.layout, &mut self.info)
    }

    /// Records per chunk of a long write (tests use tiny chunks to
    /// exercise spilling).
    #[doc(hidden)]
    pub fn set_spill_every(&mut self, records: usize) {
        self.chunking.spill_every = records.max(1);
    }

    /// Usage counts a long write holds in memory across its chunks before
    /// merging them into the stored years (tests use few, to merge often).
    #[doc(hidden)]
    pub fn set_hold_counts(&mut self, counts: usize) {
        self.chunking.hold_counts = counts;
    }

    /// Resolves `--known-at` to a seq.
    ///
    /// # Errors
    ///
    /// For a seq beyond the log.
    pub fn known_seq(&self, known: KnownAt) -> Result<u64, StoreError> {
        let last = self.applied.head.seq;
        match known {
            KnownAt::Now => Ok(last),
            KnownAt::Seq(n) if n <= last => Ok(n),
            KnownAt::Seq(n) => Err(StoreError::Query {
                field: "known_at",
                value: format!("#{n}"),
                problem: format!("is beyond the log, which ends at #{last}"),
                missing: false,
            }),
            KnownAt::Time(t) => self.proj.seq_known_at(t, last),
        }
    }

    /// Every license visible on `as_of` as known at seq `known`.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn licenses_at(&self, as_of: Date, known: u64) -> Result<Vec<LicenseView>, StoreError> {
        let mut out = Vec::new();
        for t in self.proj.licenses()? {
            if let Some(v) = t?.view(as_of, known) {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Every host on `as_of` as known at seq `known` of which anything is
    /// counted by then, by folded name.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn hosts_at(
        &self,
        as_of: Date,
        known: u64,
    ) -> Result<std::collections::BTreeMap<String, entitle_core::inventory::HostView>, StoreError>
    {
        let mut out = std::collections::BTreeMap::new();
        for t in self.proj.hosts()? {
            if let Some(v) = t?.view(as_of, known) {
                out.insert(v.key.clone(), v);
            }
        }
        Ok(out)
    }

    /// Every host's timeline.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn host_timelines(&self) -> Result<Vec<entitle_core::inventory::HostTimeline>, StoreError> {
        self.proj.hosts()?.collect()
    }

    /// One host's timeline, by name in any case.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn host_timeline(
        &self,
        name: &str,
    ) -> Result<Option<entitle_core::inventory::HostTimeline>, StoreError> {
        self.proj.host(&entitle_core::types::match_key(name))
    }

    /// Every usage series.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn usage_series(&self) -> Result<Vec<UsageSeries>, StoreError> {
        self.proj.usage_series()
    }

    /// The position on `as_of` as known at seq `known`.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn position(&self, as_of: Date, known: u64) -> Result<Vec<PositionRow>, StoreError> {
        if self.kept.enabled() {
            return Ok(self.position_with_timelines(as_of, known)?.rows);
        }
        let (views, usage) = self.beside_usage(as_of, known, || self.licenses_at(as_of, known))?;
        Ok(entitle_core::position::position(
            &views, &usage, as_of, known,
        ))
    }

    /// Runs `licenses` while another thread reads the latest usage counts:
    /// the two halves of a position read different trees, and on two cores
    /// the position then costs the slower of them, not their sum.
    fn beside_usage<T>(
        &self,
        as_of: Date,
        known: u64,
        licenses: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<(T, Vec<UsageSeries>), StoreError> {
        std::thread::scope(|scope| {
            let usage = scope.spawn(|| self.proj.usage_latest(as_of, known));
            let licenses = licenses();
            let usage = usage
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Ok((licenses?, usage?))
        })
    }

    /// The position together with the timelines it was computed from, for
    /// callers that also price it (one decode of every timeline, not two).
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn position_with_timelines(
        &self,
        as_of: Date,
        known: u64,
    ) -> Result<PositionInputs, StoreError> {
        if let Some(kept) = self
            .kept
            .for_known(&self.proj, known, self.applied.head.seq)?
        {
            let views = views_on(&kept.timelines, as_of, known);
            return Ok(PositionInputs {
                rows: entitle_core::position::position(&views, &kept.usage, as_of, known),
                views,
                timelines: std::sync::Arc::clone(&kept.timelines),
            });
        }
        let ((timelines, views), usage) = self.beside_usage(as_of, known, || {
            let timelines = self.timelines()?;
            let views = views_on(&timelines, as_of, known);
            Ok((timelines, views))
        })?;
        let rows = entitle_core::position::position(&views, &usage, as_of, known);
        Ok(PositionInputs {
            rows,
            views,
            timelines: timelines.into(),
        })
    }

    /// Keeps what every position reads decoded in memory from now on, for
    /// a process that answers many positions (the server): a position on
    /// a new date then costs only its fold, not reading every timeline and
    /// usage year through sled. Exact for every date and moment (see
    /// `kept.rs`); costs the memory of the decoded timelines and usage
    /// series (the server holding the 1M-event benchmark store is 170 MB
    /// resident with them).
    pub fn keep_positions_in_memory(&mut self) {
        self.kept.enable();
    }

    /// Every license timeline (for history and reports).
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn timelines(&self) -> Result<Vec<LicenseTimeline>, StoreError> {
        self.proj.licenses()?.collect()
    }

    /// One license's timeline.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn timeline(&self, id: &str) -> Result<Option<LicenseTimeline>, StoreError> {
        self.proj.license(id)
    }

    /// What the derived state knows of a seq.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn seq_entry(&self, seq: u64) -> Result<Option<SeqEntry>, StoreError> {
        self.proj.seq_entry(seq)
    }

    /// The record at `seq`, read from the log.
    ///
    /// # Errors
    ///
    /// When there is no such seq or the log cannot be read.
    pub fn record(&self, seq: u64) -> Result<Record, StoreError> {
        let entry = self.proj.seq_entry(seq)?.ok_or_else(|| StoreError::Query {
            field: "seq",
            value: format!("#{seq}"),
            problem: "is not an event of this store".into(),
            missing: true,
        })?;
        let bytes = self.log.read_at(entry.offset, entry.len)?;
        Record::from_bytes(&bytes).map_err(|e| StoreError::Damaged {
            path: self.log.path().to_owned(),
            what: format!("event #{seq}: {e}"),
        })
    }

    /// Streams the chain as JSON Lines in the export format of `DESIGN.md`:
    /// `{"seq":…,"digest":…,"hash":…,"record":…}`, up to seq `upto`.
    /// `disclose` decides per record whether its text is included (a
    /// redacted line keeps seq, digest and hash).
    ///
    /// # Errors
    ///
    /// When the log cannot be read or the output cannot be written.
    pub fn export(
        &self,
        out: &mut dyn Write,
        upto: u64,
        disclose: &mut dyn FnMut(u64, &[u8]) -> bool,
    ) -> Result<Hash32, StoreError> {
        #[derive(serde::Serialize)]
        struct Line<'a> {
            seq: u64,
            digest: String,
            hash: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            record: Option<&'a str>,
        }
        let mut chain = Chain::new();
        let out_err = |e: std::io::Error| StoreError::Io {
            path: PathBuf::from("<output>"),
            source: e,
        };
        for line in self.log.lines_from(0)? {
            let line = line?;
            if chain.seq() >= upto || line.offset >= self.applied.offset {
                break;
            }
            let (digest, hash) = chain.push_record(&line.bytes);
            let text = std::str::from_utf8(&line.bytes).map_err(|_| StoreError::Damaged {
                path: self.log.path().to_owned(),
                what: format!("event #{} is not UTF-8", chain.seq()),
            })?;
            let shown = disclose(chain.seq(), &line.bytes);
            let row = Line {
                seq: chain.seq(),
                digest: chain::to_hex(&digest),
                hash: chain::to_hex(&hash),
                record: shown.then_some(text),
            };
            serde_json::to_writer(&mut *out, &row).map_err(|e| out_err(e.into()))?;
            out.write_all(b"\n").map_err(out_err)?;
        }
        Ok(*chain.head())
    }

    /// Re-reads the whole log, recomputes the chain and holds it against
    /// the digests recorded when each event was written.
    ///
    /// # Errors
    ///
    /// When the log cannot be read at all.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        self.verify_observed(&entitle_core::progress::Silent)
    }

    /// [`Store::verify`], reporting the log bytes read and the documents
    /// re-hashed to `progress`.
    ///
    /// # Errors
    ///
    /// As [`Store::verify`].
    pub fn verify_observed(
        &self,
        progress: &dyn entitle_core::progress::Progress,
    ) -> Result<VerifyReport, StoreError> {
        use entitle_core::progress::Unit;
        progress.start("verifying the log", Some(self.log.len()), Unit::Bytes);
        let report = verify::verify(self, progress);
        progress.finish();
        let mut report = report?;
        let documents = self.documents()?;
        progress.start(
            "re-hashing documents",
            Some(documents.len() as u64),
            Unit::Files,
        );
        let checked = self.verify_documents(documents, &mut report.problems, progress);
        progress.finish();
        report.documents = checked?;
        Ok(report)
    }

    /// Re-hashes every archived document; each missing or altered one is a
    /// problem naming its hash and file name. Returns how many were checked.
    fn verify_documents(
        &self,
        documents: Vec<DocumentEntry>,
        problems: &mut Vec<Problem>,
        progress: &dyn entitle_core::progress::Progress,
    ) -> Result<u64, StoreError> {
        let blobs = self.blobs();
        let mut n = 0;
        for doc in documents {
            n += 1;
            progress.advance(1);
            let name = doc
                .attachments
                .first()
                .map_or_else(String::new, |a| format!(" ({})", a.filename));
            match blobs.rehash(&doc.hash)? {
                Some(h) if h == doc.hash => {}
                Some(h) => problems.push(Problem {
                    seq: None,
                    what: format!(
                        "document {}{name} was altered: its bytes now hash to {h}",
                        doc.hash
                    ),
                }),
                None => problems.push(Problem {
                    seq: None,
                    what: format!(
                        "document {}{name} is missing from {}",
                        doc.hash,
                        self.layout.blobs().display()
                    ),
                }),
            }
        }
        Ok(n)
    }

    /// The blob store of this store.
    #[must_use]
    pub fn blobs(&self) -> Blobs {
        Blobs::new(self.layout.blobs())
    }

    /// The id the next purchase without `--id` would get.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn next_license_id(&self) -> Result<String, StoreError> {
        Batch::new(&self.proj, self.applied.head.clone())
            .next_id()
            .map_err(|e| StoreError::Derived {
                path: self.layout.db(),
                what: e.to_string(),
            })
    }

    /// A document by its full hash.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn document(&self, hash: &str) -> Result<Option<DocumentEntry>, StoreError> {
        self.proj.document(hash)
    }

    /// Every document in the archive, in hash order.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn documents(&self) -> Result<Vec<DocumentEntry>, StoreError> {
        self.proj.documents("")
    }

    /// The document whose hash is or starts with `prefix` (at least 8 hex
    /// characters).
    ///
    /// # Errors
    ///
    /// When the prefix is too short, not hex, matches nothing, or matches
    /// several documents (they are listed).
    pub fn resolve_document(&self, prefix: &str) -> Result<DocumentEntry, StoreError> {
        self.resolve_document_among(prefix, &mut |_| Ok(true))
    }

    /// The document whose hash is or starts with `prefix`, among the
    /// documents `visible` admits: one it refuses is not there — it is
    /// neither found nor counted as a second match — so the answers
    /// (unknown, ambiguous) are those of a store that never held it.
    ///
    /// # Errors
    ///
    /// As [`Store::resolve_document`], and when `visible` fails.
    pub fn resolve_document_among(
        &self,
        prefix: &str,
        visible: &mut dyn FnMut(&DocumentEntry) -> Result<bool, StoreError>,
    ) -> Result<DocumentEntry, StoreError> {
        let p = prefix.trim().to_ascii_lowercase();
        if p.len() < 8 || p.len() > 64 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Query {
                field: "hash",
                value: prefix.to_owned(),
                problem: "is not a document hash: give at least 8 hex characters of it (the document list shows them)".into(),
                missing: false,
            });
        }
        let mut found = Vec::new();
        for doc in self.proj.documents(&p)? {
            if visible(&doc)? {
                found.push(doc);
            }
        }
        match found.len() {
            0 => Err(StoreError::Query {
                field: "hash",
                value: p.clone(),
                problem: format!("matches no document: no document has a hash starting with {p} (the document list shows the archive)"),
                missing: true,
            }),
            1 => Ok(found.remove(0)),
            n => Err(StoreError::Query {
                field: "hash",
                value: p.clone(),
                problem: format!(
                    "is ambiguous: {n} documents start with it ({}); give more characters",
                    found
                        .iter()
                        .map(|d| d.hash.as_str())
                        .take(5)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                missing: false,
            }),
        }
    }

    /// The first event that carries an import of the file with this BLAKE3
    /// (hex) in its note (`import <file> blake3:<hash>`), if any.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn imported(&self, hash: &str) -> Result<Option<u64>, StoreError> {
        self.proj.imported(hash)
    }

    /// Hashes of documents bound or unbound by events after `seq` (for
    /// catching up the full-text index).
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn documents_touched_after(&self, seq: u64) -> Result<Vec<String>, StoreError> {
        self.proj.documents_touched_after(seq)
    }

    /// A document's extracted text, or why it could not be extracted;
    /// `None` when extraction has not run.
    ///
    /// # Errors
    ///
    /// When the derived state cannot be read.
    pub fn text(&self, hash: &str) -> Result<Option<Result<String, String>>, StoreError> {
        self.proj.text(hash)
    }

    /// Keeps a document's extracted text (derived state keyed by content).
    ///
    /// # Errors
    ///
    /// When the derived state cannot be written.
    pub fn put_text(&self, hash: &str, text: &Result<String, String>) -> Result<(), StoreError> {
        self.proj.put_text(hash, text)?;
        self.proj.flush()
    }

    /// Keeps many documents' extracted texts, flushed once (a flush is an
    /// fsync: one per document made a large attach wait on the disk).
    ///
    /// # Errors
    ///
    /// When the derived state cannot be written.
    pub fn put_texts(&self, texts: &[(String, Result<String, String>)]) -> Result<(), StoreError> {
        for (hash, text) in texts {
            self.proj.put_text(hash, text)?;
        }
        self.proj.flush()
    }

    /// Bytes used on disk by the log and by the derived state.
    #[must_use]
    pub fn sizes(&self) -> (u64, u64) {
        (self.log.len(), self.proj.size_on_disk())
    }
}

/// Each refused draft with its position (from 0).
type Refusals = Vec<(usize, Rejection)>;

/// Pushes every draft; returns what was placed and what was refused.
fn push_all(
    appender: &mut Appender<'_>,
    drafts: impl IntoIterator<Item = Draft>,
) -> Result<(Vec<Appended>, Refusals), StoreError> {
    let mut appended = Vec::new();
    let mut rejected = Vec::new();
    for (i, draft) in drafts.into_iter().enumerate() {
        match appender.push(draft)? {
            Ok(a) => appended.push(a),
            Err(r) => rejected.push((i, r)),
        }
    }
    Ok((appended, rejected))
}
