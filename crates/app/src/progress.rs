//! Progress of long work (imports, rebuild, reindex, verify, attaching
//! many files, audit packs), reported to an observer the caller passes:
//! the CLI draws a bar on a terminal, a server can show the same.

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

/// Receives progress. Every method has a default that does nothing, so an
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
}

/// Shows nothing: for callers that do not want progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// Reports a stage and ends it however the work ends.
pub(crate) struct Stage<'a> {
    progress: &'a dyn Progress,
}

impl<'a> Stage<'a> {
    pub(crate) fn new(
        progress: &'a dyn Progress,
        label: &str,
        total: Option<u64>,
        unit: Unit,
    ) -> Self {
        progress.start(label, total, unit);
        Stage { progress }
    }

    pub(crate) fn advance(&self, n: u64) {
        self.progress.advance(n);
    }
}

impl Drop for Stage<'_> {
    fn drop(&mut self) {
        self.progress.finish();
    }
}

impl std::fmt::Debug for Stage<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stage")
    }
}
