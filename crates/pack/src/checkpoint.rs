//! The checkpoint: a small signed text file that pins a store's chain head.
//!
//! ```text
//! entitle-checkpoint v1
//! store <store id>
//! seq <N>
//! hash <64 lowercase hex>
//! time <YYYY-MM-DDTHH:MM:SSZ>
//! ```
//!
//! Exactly these five lines, in this order, each ended by a line feed, no
//! other whitespace. `seq` is the last event the chain covers (0 for an
//! empty chain) and `hash` is `hash(seq)` of the chain; `time` is when the
//! checkpoint was made (UTC, whole seconds).
//!
//! Version 2 (`entitle-checkpoint v2`) adds a sixth line, `sums <64
//! lowercase hex>`: the BLAKE3 of the pack's `BLAKE3SUMS`, which lists
//! every other file of the pack, so that the signature covers them all (a
//! v1 signature covers only the checkpoint). Each version is frozen: a
//! change is a new version line, and a reader refuses versions it does not
//! know.

use std::fmt;

use entitle_core::chain::{from_hex, to_hex, Hash32};
use jiff::Timestamp;

use crate::sig::validate_identity;

/// The first line of every checkpoint.
pub const CHECKPOINT_MAGIC: &str = "entitle-checkpoint";
/// The newest checkpoint format version, written when there is a `sums`
/// line (else `v1`); this crate reads both.
pub const CHECKPOINT_VERSION: &str = "v2";

/// A parsed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The store's id; also the signer identity in `allowed_signers`.
    pub store: String,
    /// The last event covered (0: empty chain).
    pub seq: u64,
    /// `hash(seq)`.
    pub hash: Hash32,
    /// When the checkpoint was made; rendered in whole seconds.
    pub time: Timestamp,
    /// The BLAKE3 of the pack's `BLAKE3SUMS` (version 2); none for a
    /// version 1 checkpoint.
    pub sums: Option<Hash32>,
}

/// Why a checkpoint could not be parsed or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The text does not start with `entitle-checkpoint`.
    #[error("not an entitle checkpoint: the first line must be `entitle-checkpoint v1` or `v2`")]
    NotACheckpoint,
    /// A checkpoint of a version this crate does not read.
    #[error(
        "checkpoint format `{0}` is not supported (this entitle reads v1 and v2); use a newer entitle"
    )]
    UnsupportedVersion(String),
    /// A line that is missing or wrong.
    #[error("checkpoint line {line}: {problem}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// The store id cannot be a signer identity.
    #[error("store id `{0}` cannot be written into a checkpoint: use 1 to 128 letters, digits and `.-_@+:`")]
    BadStoreId(String),
}

impl Checkpoint {
    /// Renders the checkpoint text (five lines, each ended by `\n`).
    /// Sub-second precision of `time` is dropped.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::BadStoreId`] for a store id that
    /// [`validate_identity`](crate::validate_identity) refuses.
    ///
    /// # Examples
    ///
    /// ```
    /// use entitle_pack::Checkpoint;
    /// let cp = Checkpoint {
    ///     store: "st-1".into(),
    ///     seq: 2,
    ///     hash: [0xab; 32],
    ///     time: "2025-03-01T12:00:00Z".parse().unwrap(),
    ///     sums: None,
    /// };
    /// let text = cp.render()?;
    /// assert!(text.starts_with("entitle-checkpoint v1\nstore st-1\nseq 2\nhash abab"));
    /// assert_eq!(Checkpoint::parse(&text)?, cp);
    /// # Ok::<(), entitle_pack::CheckpointError>(())
    /// ```
    pub fn render(&self) -> Result<String, CheckpointError> {
        if validate_identity(&self.store).is_err() {
            return Err(CheckpointError::BadStoreId(self.store.clone()));
        }
        let (version, sums) = match &self.sums {
            None => ("v1", String::new()),
            Some(h) => (CHECKPOINT_VERSION, format!("sums {}\n", to_hex(h))),
        };
        Ok(format!(
            "{CHECKPOINT_MAGIC} {version}\nstore {}\nseq {}\nhash {}\ntime {}\n{sums}",
            self.store,
            self.seq,
            to_hex(&self.hash),
            self.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ))
    }

    /// Parses checkpoint text strictly (see the module docs).
    ///
    /// # Errors
    ///
    /// [`CheckpointError::NotACheckpoint`], [`CheckpointError::UnsupportedVersion`],
    /// or [`CheckpointError::Line`] naming the line and what it should hold.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let mut lines = text.split('\n');
        let first = lines.next().unwrap_or("");
        let Some(version) = first.strip_prefix(CHECKPOINT_MAGIC) else {
            return Err(CheckpointError::NotACheckpoint);
        };
        let Some(version) = version.strip_prefix(' ') else {
            return Err(CheckpointError::NotACheckpoint);
        };
        let v2 = match version {
            "v1" => false,
            "v2" => true,
            other => return Err(CheckpointError::UnsupportedVersion(other.to_owned())),
        };
        let mut field = |line: usize, name: &str| -> Result<String, CheckpointError> {
            let err = |problem: String| CheckpointError::Line { line, problem };
            match lines.next() {
                None | Some("") => Err(err(format!("missing; expected `{name} …`"))),
                Some(text) => text
                    .strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix(' '))
                    .map(str::to_owned)
                    .ok_or_else(|| err(format!("expected `{name} …`, found `{}`", shorten(text)))),
            }
        };
        let store = field(2, "store")?;
        let seq_text = field(3, "seq")?;
        let hash_text = field(4, "hash")?;
        let time_text = field(5, "time")?;
        let line_err = |line: usize, problem: String| CheckpointError::Line { line, problem };
        if validate_identity(&store).is_err() {
            return Err(line_err(
                2,
                format!("`{}` is not a valid store id", shorten(&store)),
            ));
        }
        let seq = parse_decimal(&seq_text).ok_or_else(|| {
            line_err(3, format!("`{}` is not a whole number", shorten(&seq_text)))
        })?;
        let hash = (hash_text.bytes().all(|b| !b.is_ascii_uppercase()))
            .then(|| from_hex(&hash_text))
            .flatten()
            .ok_or_else(|| {
                line_err(
                    4,
                    format!("`{}` is not 64 lowercase hex digits", shorten(&hash_text)),
                )
            })?;
        let time = parse_time(&time_text).ok_or_else(|| {
            line_err(
                5,
                format!(
                    "`{}` is not a UTC time like 2025-03-01T12:00:00Z",
                    shorten(&time_text)
                ),
            )
        })?;
        let sums = if v2 {
            let text = field(6, "sums")?;
            let hash = (text.bytes().all(|b| !b.is_ascii_uppercase()))
                .then(|| from_hex(&text))
                .flatten()
                .ok_or_else(|| {
                    line_err(
                        6,
                        format!("`{}` is not 64 lowercase hex digits", shorten(&text)),
                    )
                })?;
            Some(hash)
        } else {
            None
        };
        let (last, name) = if v2 { (6, "sums") } else { (5, "time") };
        match lines.next() {
            Some("") if lines.next().is_none() => {}
            None => {
                return Err(line_err(
                    last,
                    "the line is not ended by a line feed (truncated file?)".into(),
                ))
            }
            Some(_) => {
                return Err(line_err(
                    last + 1,
                    format!("unexpected text after the `{name}` line"),
                ))
            }
        }
        Ok(Self {
            store,
            seq,
            hash,
            time,
            sums,
        })
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "store {} seq {} hash {} time {}",
            self.store,
            self.seq,
            to_hex(&self.hash),
            self.time.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    }
}

fn parse_decimal(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

fn parse_time(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let shape = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z';
    if !shape {
        return None;
    }
    text.parse::<Timestamp>().ok()
}

fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.escape_debug().to_string()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{}…", head.escape_debug())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            store: "st-01".into(),
            seq: 42,
            hash: [0x5a; 32],
            time: "2025-06-30T08:15:00Z".parse().unwrap(),
            sums: None,
        }
    }

    #[test]
    fn round_trip() {
        let text = sample().render().unwrap();
        assert_eq!(
            text,
            format!(
                "entitle-checkpoint v1\nstore st-01\nseq 42\nhash {}\ntime 2025-06-30T08:15:00Z\n",
                "5a".repeat(32)
            )
        );
        assert_eq!(Checkpoint::parse(&text).unwrap(), sample());
    }

    #[test]
    fn version_2_carries_the_sums_hash() {
        let mut cp = sample();
        cp.sums = Some([0x11; 32]);
        let text = cp.render().unwrap();
        assert!(text.starts_with("entitle-checkpoint v2\n"), "{text}");
        assert!(text.ends_with(&format!(
            "time 2025-06-30T08:15:00Z\nsums {}\n",
            "11".repeat(32)
        )));
        assert_eq!(Checkpoint::parse(&text).unwrap(), cp);
        assert_eq!(
            Checkpoint::parse(&format!("{text}more\n"))
                .unwrap_err()
                .to_string(),
            "checkpoint line 7: unexpected text after the `sums` line"
        );
    }

    #[test]
    fn subseconds_are_dropped() {
        let mut cp = sample();
        cp.time = "2025-06-30T08:15:00.123456Z".parse().unwrap();
        assert!(cp.render().unwrap().contains("time 2025-06-30T08:15:00Z\n"));
    }

    #[test]
    fn errors() {
        let good = sample().render().unwrap();
        let cases: Vec<(String, &str)> = vec![
            ("hello\n".into(), "not an entitle checkpoint: the first line must be `entitle-checkpoint v1` or `v2`"),
            (good.replace("v1", "v3"), "checkpoint format `v3` is not supported (this entitle reads v1 and v2); use a newer entitle"),
            (good.replace("v1", "v2"), "checkpoint line 6: missing; expected `sums …`"),
            (good.replace("seq 42", "seq 042"), "checkpoint line 3: `042` is not a whole number"),
            (good.replace("seq 42", "sequence 42"), "checkpoint line 3: expected `seq …`, found `sequence 42`"),
            (good.replace(&"5a".repeat(32), &"5A".repeat(32)), "checkpoint line 4: `5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A` is not 64 lowercase hex digits"),
            (good.replace("08:15:00Z", "08:15:00+02:00"), "checkpoint line 5: `2025-06-30T08:15:00+02:00` is not a UTC time like 2025-03-01T12:00:00Z"),
            (good.trim_end().to_owned(), "checkpoint line 5: the line is not ended by a line feed (truncated file?)"),
            (format!("{good}extra\n"), "checkpoint line 6: unexpected text after the `time` line"),
            ("entitle-checkpoint v1\nstore st-01\n".into(), "checkpoint line 3: missing; expected `seq …`"),
            (good.replace("store st-01", "store a b"), "checkpoint line 2: `a b` is not a valid store id"),
        ];
        for (text, want) in cases {
            assert_eq!(Checkpoint::parse(&text).unwrap_err().to_string(), want);
        }
    }
}
