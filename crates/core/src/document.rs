//! The rules for documents, once for every way a document comes in (an
//! attach, an upload, an `import events` line): what kinds there are, what
//! a BLAKE3 hash looks like, and which file names are kept.

use std::fmt;
use std::str::FromStr;

use crate::error::InputError;

/// What a document is. In the log: its lowercase name (`usage-report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocKind {
    /// A contract or framework agreement.
    Contract,
    /// An invoice.
    Invoice,
    /// An order or order confirmation.
    Order,
    /// An end-user license agreement.
    Eula,
    /// Terms and conditions.
    Terms,
    /// A usage or inventory report.
    UsageReport,
    /// Letters and e-mail.
    Correspondence,
    /// Anything else.
    Other,
}

impl DocKind {
    /// Every kind, in the order they are listed to users.
    pub const ALL: [DocKind; 8] = [
        DocKind::Contract,
        DocKind::Invoice,
        DocKind::Order,
        DocKind::Eula,
        DocKind::Terms,
        DocKind::UsageReport,
        DocKind::Correspondence,
        DocKind::Other,
    ];

    /// The name in the log and on the command line.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            DocKind::Contract => "contract",
            DocKind::Invoice => "invoice",
            DocKind::Order => "order",
            DocKind::Eula => "eula",
            DocKind::Terms => "terms",
            DocKind::UsageReport => "usage-report",
            DocKind::Correspondence => "correspondence",
            DocKind::Other => "other",
        }
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocKind {
    type Err = InputError;

    /// A kind's name, ignoring case and surrounding spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        DocKind::ALL
            .into_iter()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| InputError::UnknownKind(s.to_owned()))
    }
}

/// A BLAKE3 hash as the log and `b3sum` write it: 64 lowercase hex digits.
/// Holding one means it was checked, so it is safe in a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocHash(String);

impl DocHash {
    /// The 64 hex digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hash of `bytes`.
    #[must_use]
    pub fn of(bytes: &[u8]) -> Self {
        DocHash(blake3::hash(bytes).to_hex().to_string())
    }
}

impl fmt::Display for DocHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DocHash {
    type Err = InputError;

    /// Exactly 64 lowercase hex digits (`b3sum`'s form).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if is_hash(s) {
            Ok(DocHash(s.to_owned()))
        } else {
            Err(InputError::BadHash(s.to_owned()))
        }
    }
}

/// Whether `s` is 64 lowercase hex digits.
#[must_use]
pub fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The longest file name kept with a document, in bytes.
pub const MAX_FILENAME_BYTES: usize = 255;

/// Checks the file name a document is attached under: a name, not a path
/// (no `/` or `\`, not `.` or `..`), not empty, no control characters, at
/// most [`MAX_FILENAME_BYTES`].
///
/// # Errors
///
/// Naming what is wrong with it.
pub fn check_filename(name: &str) -> Result<(), InputError> {
    let bad = |why: &'static str| InputError::BadFilename {
        value: name.to_owned(),
        why,
    };
    if name.trim().is_empty() {
        return Err(bad("is empty"));
    }
    if name == "." || name == ".." {
        return Err(bad("is not a file name"));
    }
    if name.contains(['/', '\\']) {
        return Err(bad("is a path; give the file's name only"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("contains a control character"));
    }
    if name.chars().any(crate::text::is_invisible) {
        return Err(bad(
            "contains an invisible character (zero-width or a direction control)",
        ));
    }
    if name.len() > MAX_FILENAME_BYTES {
        return Err(bad("is longer than 255 bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_named() {
        for k in DocKind::ALL {
            assert_eq!(k.as_str().parse::<DocKind>().unwrap(), k);
        }
        assert_eq!(
            " Usage-Report ".parse::<DocKind>().unwrap(),
            DocKind::UsageReport
        );
        let e = "receipt".parse::<DocKind>().unwrap_err();
        assert_eq!(e.field(), "kind");
        assert_eq!(e.value().as_deref(), Some("receipt"));
    }

    #[test]
    fn a_hash_is_64_lowercase_hex_digits() {
        let h = DocHash::of(b"x");
        assert_eq!(h.as_str().parse::<DocHash>().unwrap(), h);
        for bad in [
            "a",
            "",
            &h.as_str().to_uppercase(),
            &format!("{}/", &h.as_str()[..63]),
            "../../etc/passwd",
        ] {
            assert_eq!(
                bad.parse::<DocHash>().unwrap_err(),
                InputError::BadHash(bad.to_owned())
            );
        }
    }

    #[test]
    fn file_names_are_names_not_paths() {
        check_filename("Rahmenvertrag 2024.pdf").unwrap();
        check_filename("Kündigung.txt").unwrap();
        for bad in [
            "",
            " ",
            ".",
            "..",
            "../../x",
            "/abs",
            "a\\b",
            "a\0b",
            "a\nb",
            &"x".repeat(256),
        ] {
            let e = check_filename(bad).unwrap_err();
            assert_eq!(e.field(), "filename", "{bad:?}");
        }
    }
}
