//! Progress of long work (imports, rebuild, reindex, verify, attaching
//! many files, audit packs), reported to an observer the caller passes:
//! the CLI draws a bar on a terminal, a server can show the same.

pub use entitle_core::progress::{Progress, Silent, Unit};

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
