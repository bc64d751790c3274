//! What `usage import` and `import licenses` share: a spreadsheet read in
//! two streaming passes, written all or nothing, in bounded memory.
//!
//! Pass one reads every row and checks it; any bad row fails the whole file
//! (every one listed as `FILE:LINE: …`) before the store is even opened.
//! Pass two reads the file again and pushes each row's draft into one
//! store write ([`Appender`]), which spills to disk in chunks and becomes
//! durable with one fsync at the end. Neither pass holds the rows, so a
//! file of a million rows takes the memory of a few thousand. A row the
//! ledger refuses in pass two, or a file that changed between the passes
//! (its BLAKE3 is taken before and checked again before the commit),
//! records nothing.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;

use anyhow::{anyhow, bail, Context as _, Result};
use entitle_core::ledger::Draft;
use entitle_core::Metric;
use entitle_sheet::{NumberStyle, Problems, ReadOptions, Row, Schema, SheetReader, ValueError};
use entitle_store::{AppendError, Appended, Appender, Committed, Store};

/// At most this many bad rows are listed; the count says the rest.
pub const MAX_LISTED: usize = 50;

/// Turns one row into a draft, recording what is wrong with it in the
/// problems (and returning `None` when it cannot become a draft).
pub type ToDraft<'f> = dyn FnMut(&Row, NumberStyle, &mut Problems) -> Option<Draft> + 'f;

/// A spreadsheet to import.
pub struct SheetImport<'a> {
    file: &'a Path,
    name: String,
    schema: Schema,
    options: ReadOptions,
    hash: String,
}

impl<'a> SheetImport<'a> {
    /// Checks that `file` is a readable file and takes its BLAKE3.
    pub fn new(file: &'a Path, schema: Schema, options: ReadOptions) -> Result<Self> {
        let name = file.display().to_string();
        if file.is_dir() {
            bail!("{name} is a directory; give a CSV file");
        }
        let hash = file_hash(file).with_context(|| format!("cannot read {name}"))?;
        Ok(SheetImport {
            file,
            name,
            schema,
            options,
            hash,
        })
    }

    /// The file as the user named it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file name without its directory.
    pub fn file_name(&self) -> String {
        self.file
            .file_name()
            .map_or_else(|| self.name.clone(), |n| n.to_string_lossy().into_owned())
    }

    /// BLAKE3 of the file's bytes, lowercase hex.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// `blake3:<hash>`: what an import writes into each event's note, so
    /// that importing the same bytes again can be recognised.
    pub fn marker(&self) -> String {
        format!("blake3:{}", self.hash)
    }

    /// Pass one: reads and checks every row; any problem fails the whole
    /// file, listing every bad row. `each` sees every good draft with its
    /// line. Returns the row count (a file without rows is an error).
    pub fn check(&self, to_draft: &mut ToDraft, mut each: impl FnMut(Draft, u64)) -> Result<u64> {
        let mut problems = Problems::new(MAX_LISTED);
        let mut rows = 0u64;
        self.rows(to_draft, &mut problems, |draft, line| {
            rows += 1;
            each(draft, line);
            Ok(())
        })?;
        if !problems.is_empty() {
            let total = problems.total();
            bail!(
                "{problems}\n{total} bad row{} in {}; nothing was recorded",
                plural(total),
                self.name
            );
        }
        if rows == 0 {
            bail!(
                "{} has a header but no rows; nothing was recorded",
                self.name
            );
        }
        Ok(rows)
    }

    /// Pass two: reads the file again and records every row in one write,
    /// or nothing. `on_appended` sees each record as it is placed.
    pub fn write(
        &self,
        mut appender: Appender<'_>,
        to_draft: &mut ToDraft,
        mut on_appended: impl FnMut(&Appended),
    ) -> Result<Committed> {
        let mut problems = Problems::new(MAX_LISTED);
        let mut refused = Vec::new();
        self.rows(to_draft, &mut problems, |draft, line| {
            match appender.push(draft)? {
                Ok(appended) => on_appended(&appended),
                Err(r) if refused.len() < MAX_LISTED => {
                    refused.push(format!("{}:{line}: {r}", self.name));
                }
                Err(_) => {}
            }
            Ok(())
        })?;
        if let Some(first) = problems.errors().first() {
            // Pass one accepted every row: the file changed since.
            bail!(
                "{} changed while it was being imported ({first}); nothing was recorded; import it again once it is written completely",
                self.name
            );
        }
        let total = appender.rejected();
        if total > 0 {
            appender.abort()?;
            let mut text = refused.join("\n");
            if total > MAX_LISTED as u64 {
                text.push_str(&format!("\n… and {} more", total - MAX_LISTED as u64));
            }
            bail!(
                "{text}\n{total} bad row{} in {}; nothing was recorded",
                plural(total),
                self.name
            );
        }
        let now = file_hash(self.file).with_context(|| format!("cannot read {}", self.name))?;
        if now != self.hash {
            appender.abort()?;
            bail!(
                "{} changed while it was being imported; nothing was recorded; import it again once it is written completely",
                self.name
            );
        }
        Ok(appender.commit()?)
    }

    /// Reads every row, passing good drafts to `each` and recording bad
    /// rows in `problems`; a problem that ends the file (I/O, encoding,
    /// header) is an error.
    fn rows(
        &self,
        to_draft: &mut ToDraft,
        problems: &mut Problems,
        mut each: impl FnMut(Draft, u64) -> Result<()>,
    ) -> Result<()> {
        let reader = SheetReader::open(self.file, &self.schema, &self.options)
            .map_err(|e| anyhow!("{e}"))?;
        let style = reader.number_style();
        for row in reader {
            let row = match row {
                Ok(row) => row,
                Err(e) if e.is_row_error() => {
                    problems.push(e);
                    continue;
                }
                Err(e) => bail!("{e}; nothing was recorded"),
            };
            if let Some(draft) = to_draft(&row, style, problems) {
                if problems.is_empty() {
                    each(draft, row.line())?;
                }
            }
        }
        Ok(())
    }
}

/// Turns drafts the store refused into `FILE:LINE: …` lines.
pub fn refused(e: AppendError, name: &str, lines: &[u64]) -> anyhow::Error {
    match e {
        AppendError::Store(e) => e.into(),
        AppendError::Rejected(list) => {
            let total = list.len();
            let text: Vec<String> = list
                .into_iter()
                .take(MAX_LISTED)
                .map(|(i, r)| format!("{name}:{}: {r}", lines[i]))
                .collect();
            anyhow!(
                "{}\n{total} bad row{} in {name}; nothing was recorded",
                text.join("\n"),
                plural(total as u64)
            )
        }
    }
}

/// Refuses a second import of the same bytes: scans the log for the
/// file's marker (in the notes of the events the first import wrote).
pub fn refuse_if_imported(store: &Store, sheet: &SheetImport, again: bool) -> Result<()> {
    if again {
        return Ok(());
    }
    let marker = sheet.marker();
    let finder = memchr::memmem::Finder::new(marker.as_bytes());
    let mut found: Option<u64> = None;
    store.export(&mut io::sink(), u64::MAX, &mut |seq, bytes| {
        if found.is_none() && finder.find(bytes).is_some() {
            found = Some(seq);
        }
        false
    })?;
    if let Some(seq) = found {
        bail!(
            "{} was already imported (event #{seq} carries its hash {marker}); nothing was recorded; pass --again to import it once more",
            sheet.name()
        );
    }
    Ok(())
}

/// BLAKE3 of a file's bytes, lowercase hex, read in bounded memory.
fn file_hash(path: &Path) -> io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(BufReader::with_capacity(1 << 16, File::open(path)?))?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// A metric cell.
pub fn parse_metric(text: &str) -> Result<Metric, ValueError> {
    text.trim().parse::<Metric>().map_err(|_| {
        ValueError::new(format!(
            "unknown metric `{text}`; use user, device, core, processor, concurrent or instance"
        ))
    })
}

/// "s" unless one.
pub fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
