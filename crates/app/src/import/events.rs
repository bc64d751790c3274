//! A JSON Lines file of events (`import events`): each line a record
//! without `v`, `seq`, `recorded_at` and `actor`, all recorded in one
//! write or none.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use entitle_core::ledger::{Context, Draft};
use entitle_store::Store;
use serde::{Deserialize, Serialize};

use super::{open_for_check, open_for_write, refused, BadRow, BadRows, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::progress::{Progress, Stage, Unit};

/// Where the events come from.
pub enum EventsFile<'a> {
    /// A file: read twice, first only parsed, so that a file with lines
    /// that are not events is refused before a store is opened (or
    /// created).
    Path(PathBuf),
    /// A stream (standard input, an upload), read once: parsed as it is
    /// recorded.
    Reader {
        /// Its name in messages.
        name: String,
        /// The lines.
        reader: &'a mut dyn BufRead,
    },
}

impl std::fmt::Debug for EventsFile<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventsFile::Path(p) => f.debug_tuple("Path").field(p).finish(),
            EventsFile::Reader { name, .. } => f
                .debug_struct("Reader")
                .field("name", name)
                .finish_non_exhaustive(),
        }
    }
}

/// What an events import recorded (or, in a dry run, would record). Its
/// JSON is `import events --json`: `{"first_seq","last_seq","events"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventsImported {
    /// The first event written (0 in a dry run).
    pub first_seq: u64,
    /// The last event written (0 in a dry run).
    pub last_seq: u64,
    /// How many events.
    pub events: u64,
    /// A dry run: the bad lines (nothing would be recorded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bad_rows: Vec<BadRow>,
    /// How many lines are bad.
    #[serde(skip)]
    pub bad_total: u64,
    /// The file as named.
    #[serde(skip)]
    pub file: String,
    /// Whether nothing was recorded on purpose.
    #[serde(skip)]
    pub dry_run: bool,
    /// What opening the store reported.
    #[serde(skip)]
    pub notices: Vec<String>,
}

impl EventsImported {
    /// The error a dry run with bad lines stands for.
    #[must_use]
    pub fn refusal(&self) -> Option<Error> {
        (self.bad_total > 0).then(|| refused(&self.file, &self.bad_rows, self.bad_total, "line"))
    }
}

/// The events of a file for a server to record: every line parsed first,
/// and a file with a line that is not an event refused as [`events`]
/// refuses it (nothing is sent). Each event is its line's text, with the
/// line's number.
///
/// # Errors
///
/// For a file that cannot be read, has bad lines (every one in the
/// error's details) or no events.
pub fn lines_to_send(file: EventsFile<'_>) -> Result<(String, Vec<(u64, String)>)> {
    let (name, reader): (String, Box<dyn BufRead + '_>) = match file {
        EventsFile::Path(p) => {
            let name = file_name(&p)?;
            let reader = open(&p, &name)?;
            (name, reader)
        }
        EventsFile::Reader { name, reader } => (name, Box::new(reader)),
    };
    let mut bad = BadRows::default();
    let mut lines = Vec::new();
    each_line(reader, &name, |line, text, parsed| match parsed {
        Ok(_) => lines.push((line, text.to_owned())),
        Err(e) => bad.push(line_bad(line, e)),
    })?;
    if !bad.is_empty() {
        return Err(refused(&name, &bad.listed, bad.total, "line"));
    }
    if lines.is_empty() {
        return Err(no_events(&name));
    }
    Ok((name, lines))
}

/// Imports events: a file is parsed first (a file with a line that is not
/// an event opens no store), then every line recorded in one write,
/// judged by the ledger in order, or nothing. A dry run judges them
/// against the store if there is one (holding them in memory) and lists
/// the bad lines as data.
///
/// # Errors
///
/// For a file that cannot be read or has no events, bad lines (a real
/// run; every one in the error's details), or a store failure. Nothing is
/// recorded.
pub fn events(
    target: Target<'_>,
    ctx: &Context,
    file: EventsFile<'_>,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<EventsImported> {
    let mut target = target;
    let (name, path) = match &file {
        EventsFile::Path(p) => {
            let name = file_name(p)?;
            (name, Some(p.clone()))
        }
        EventsFile::Reader { name, .. } => (name.clone(), None),
    };
    let mut result = EventsImported {
        first_seq: 0,
        last_seq: 0,
        events: 0,
        bad_rows: Vec::new(),
        bad_total: 0,
        file: name.clone(),
        dry_run,
        notices: Vec::new(),
    };
    if let Some(path) = &path {
        let stage = Stage::new(progress, "reading", None, Unit::Events);
        let mut bad = BadRows::default();
        let mut count = 0u64;
        each_line(open(path, &name)?, &name, |line, _, parsed| {
            stage.advance(1);
            match parsed {
                Ok(_) => count += 1,
                Err(e) => bad.push(line_bad(line, e)),
            }
        })?;
        drop(stage);
        if !bad.is_empty() {
            if dry_run {
                result.bad_total = bad.total;
                result.bad_rows = bad.listed;
                return Ok(result);
            }
            return Err(refused(&name, &bad.listed, bad.total, "line"));
        }
        if count == 0 {
            return Err(no_events(&name));
        }
    }
    let mut reader: Box<dyn BufRead + '_> = match (file, &path) {
        (EventsFile::Reader { reader, .. }, _) => Box::new(reader),
        (EventsFile::Path(_), Some(p)) => open(p, &name)?,
        (EventsFile::Path(p), None) => open(&p, &name)?,
    };
    let mut slot = None;
    if dry_run {
        let store = open_for_check(&mut target, &mut slot, progress)?;
        return check(store, ctx, &mut reader, result, progress);
    }
    let store = open_for_write(&mut target, &mut slot, progress)?;
    result.notices = store.notices().to_vec();
    let stage = Stage::new(progress, "recording", None, Unit::Events);
    let blobs = store.blobs();
    let mut appender = store.appender(ctx);
    let mut bad = BadRows::default();
    let mut parse_errors = false;
    let mut failure = None;
    each_line(reader, &name, |line, _, parsed| {
        stage.advance(1);
        match parsed {
            // After a line that is not an event, later lines (which may
            // depend on it) are only parsed.
            Ok(d) if !parse_errors && failure.is_none() => match no_blob(Some(&blobs), &d) {
                Some(e) => bad.push(BadRow::from_error(line, &e)),
                None => match appender.push(d) {
                    Ok(Ok(_)) => {}
                    Ok(Err(r)) => bad.push(BadRow::from_error(line, &Error::from(r))),
                    Err(e) => failure = Some(e),
                },
            },
            Ok(_) => {}
            Err(e) => {
                parse_errors = true;
                bad.push(line_bad(line, e));
            }
        }
    })?;
    drop(stage);
    if let Some(e) = failure {
        return Err(e.into());
    }
    if !bad.is_empty() {
        appender.abort()?;
        return Err(refused(&name, &bad.listed, bad.total, "line"));
    }
    let committed = appender.commit()?;
    let Some((first, last)) = committed.seqs else {
        return Err(no_events(&name));
    };
    result.first_seq = first;
    result.last_seq = last;
    result.events = committed.count;
    Ok(result)
}

/// A dry run: every line judged in memory against the store (or an empty
/// one), nothing written.
fn check(
    store: Option<&mut Store>,
    ctx: &Context,
    reader: &mut Box<dyn BufRead + '_>,
    mut result: EventsImported,
    progress: &dyn Progress,
) -> Result<EventsImported> {
    let name = result.file.clone();
    let stage = Stage::new(progress, "checking", None, Unit::Events);
    let mut drafts = Vec::new();
    let mut lines = Vec::new();
    let mut bad = BadRows::default();
    each_line(reader, &name, |line, _, parsed| {
        stage.advance(1);
        match parsed {
            Ok(d) => {
                drafts.push(d);
                lines.push(line);
            }
            Err(e) => bad.push(line_bad(line, e)),
        }
    })?;
    drop(stage);
    if bad.is_empty() {
        if let Some(store) = &store {
            result.notices = store.notices().to_vec();
        }
        for (i, e) in judge(store, ctx, &drafts)? {
            bad.push(BadRow::from_error(lines[i], &e));
        }
    }
    if bad.is_empty() && drafts.is_empty() {
        return Err(no_events(&name));
    }
    result.events = drafts.len() as u64;
    result.bad_total = bad.total;
    result.bad_rows = bad.listed;
    Ok(result)
}

/// Every event of `drafts` the store (or an empty one) would refuse, by
/// its place in `drafts`, in order: a document the archive does not
/// hold, or what the ledger says.
fn judge(
    store: Option<&mut Store>,
    ctx: &Context,
    drafts: &[Draft],
) -> Result<Vec<(usize, Error)>> {
    let blobs = store.as_ref().map(|s| s.blobs());
    let mut found: Vec<(usize, Error)> = drafts
        .iter()
        .enumerate()
        .filter_map(|(i, d)| no_blob(blobs.as_ref(), d).map(|e| (i, e)))
        .collect();
    let rejected = match store {
        Some(store) => match store.check(drafts.to_vec(), ctx) {
            Ok(_) => Vec::new(),
            Err(entitle_store::AppendError::Rejected(list)) => list,
            Err(e) => return Err(e.into()),
        },
        None => {
            let mut batch = entitle_core::Batch::new(
                &entitle_core::ledger::Empty,
                entitle_core::Head::default(),
            );
            drafts
                .iter()
                .enumerate()
                .filter_map(|(i, d)| batch.propose(d.clone(), ctx).err().map(|r| (i, r)))
                .collect()
        }
    };
    found.extend(rejected.into_iter().map(|(i, r)| (i, Error::from(r))));
    found.sort_by_key(|(i, _)| *i);
    Ok(found)
}

/// A dry run of events a front-end received (the server's `POST
/// /api/v1/events?dry_run=true`): judged against the store in memory as
/// [`events`] judges a file's lines, nothing written. Its `line`s are the
/// events' places in `drafts`, from 1.
///
/// # Errors
///
/// When the store fails.
pub fn check_events(store: &mut Store, ctx: &Context, drafts: &[Draft]) -> Result<EventsImported> {
    let mut bad = BadRows::default();
    for (i, e) in judge(Some(store), ctx, drafts)? {
        bad.push(BadRow::from_error(i as u64 + 1, &e));
    }
    Ok(EventsImported {
        first_seq: 0,
        last_seq: 0,
        events: drafts.len() as u64,
        bad_rows: bad.listed,
        bad_total: bad.total,
        file: String::new(),
        dry_run: true,
        notices: Vec::new(),
    })
}

/// Refuses events that attach a document whose bytes the store's archive
/// does not hold, as [`events`] refuses such a line (the store would fail
/// `verify` for good): for a front-end that records events itself (the
/// server's `POST /api/v1/events`).
///
/// # Errors
///
/// For the first such event, naming its hash.
pub fn check_documents(store: &Store, drafts: &[Draft]) -> Result<()> {
    let blobs = store.blobs();
    match drafts.iter().find_map(|d| no_blob(Some(&blobs), d)) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// A `document_attached` line whose document is not in the archive: the
/// store would fail `verify` for good (a void does not bring the bytes
/// back). A malformed hash is left to the ledger, which names it.
fn no_blob(blobs: Option<&entitle_store::Blobs>, draft: &entitle_core::Draft) -> Option<Error> {
    let entitle_core::Event::DocumentAttached(a) = &draft.event else {
        return None;
    };
    let hash = a.hash.parse::<entitle_core::document::DocHash>().ok()?;
    if blobs.is_some_and(|b| b.contains(hash.as_str())) {
        return None;
    }
    Some(
        Error::invalid(
            "hash",
            hash.as_str(),
            "names no document in this store's archive: an event can only attach a document whose bytes the archive holds",
        )
        .hint("attach the file itself, which archives its bytes and records the event"),
    )
}

/// A file's name in messages; a directory is refused.
fn file_name(p: &Path) -> Result<String> {
    let name = p.display().to_string();
    if p.is_dir() {
        return Err(Error::invalid(
            "file",
            &name,
            "is a directory; give a JSON Lines file",
        ));
    }
    Ok(name)
}

fn no_events(name: &str) -> Error {
    Error::new(
        ErrorKind::BadInput,
        format!("{name} has no events; nothing was recorded"),
    )
    .at("file")
}

fn line_bad(line: u64, message: String) -> BadRow {
    BadRow {
        line,
        field: None,
        value: None,
        message,
    }
}

fn open(path: &Path, name: &str) -> Result<Box<dyn BufRead>> {
    let f = File::open(path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorKind::NotFound
        } else {
            ErrorKind::Io
        };
        Error::new(kind, format!("cannot read {name}: {e}")).at("file")
    })?;
    Ok(Box::new(BufReader::with_capacity(1 << 20, f)))
}

/// Calls `each` with every non-blank line's number, its text and its
/// parse.
fn each_line(
    reader: impl BufRead,
    name: &str,
    mut each: impl FnMut(u64, &str, std::result::Result<Draft, String>),
) -> Result<()> {
    for (i, line) in reader.split(b'\n').enumerate() {
        let bytes = line.map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot read {name}: {e}")).at("file")
        })?;
        let (text, parsed) = match std::str::from_utf8(&bytes) {
            Ok(text) => {
                let text = text.trim_end_matches('\r');
                if text.trim().is_empty() {
                    continue;
                }
                (text, Draft::from_json_line(text))
            }
            Err(_) => ("", Err("not UTF-8".to_owned())),
        };
        each(i as u64 + 1, text, parsed);
    }
    Ok(())
}
