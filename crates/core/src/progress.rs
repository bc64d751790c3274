//! Progress of long work (imports, rebuild, reindex, verify, attaching
//! many files, audit packs), reported to an observer the caller passes:
//! the CLI draws a bar on a terminal, a server can show the same. Defined
//! here, beside the domain, so that every crate doing long work (the store,
//! the use cases) reports through the same trait.

/// What a count of progress counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unit {
    /// Events of the log.
    Events,
    /// Rows of a spreadsheet.
    Rows,
    /// Bytes of a file or the log.
    Bytes,
    /// Files or documents.
    Files,
}

/// Receives progress and notices. Every method has a default that does nothing, so an
/// observer implements only what it shows. Calls come from the thread that
/// does the work.
pub trait Progress {
    /// A stage begins: `label` says what is done (`checking rows`,
    /// `rebuilding`), `total` how many units there will be when known.
    fn start(&self, label: &str, total: Option<u64>, unit: Unit) {
        let _ = (label, total, unit);
    }

    /// `n` more units are done.
    fn advance(&self, n: u64) {
        let _ = n;
    }

    /// The stage is over (also after a failure).
    fn finish(&self) {}

    /// Something the user should know that is not the result: what
    /// recovery did on opening the store, an index that was rebuilt, a key
    /// that was created. The CLI prints it to stderr.
    fn notice(&self, text: &str) {
        let _ = text;
    }
}

/// Shows nothing: for callers that do not want progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}
