//! The free text of new events — names, notes, the actor — as it is kept:
//! Unicode NFC, trimmed, of bounded length, and free of characters that
//! change what a reader sees without being seen themselves (terminal
//! escapes, NUL, zero-width and bidirectional controls that make
//! "Micro\u{200b}soft" look like "Microsoft"). Applies to new input only: a
//! log written before these rules still rebuilds as it is.

use unicode_normalization::UnicodeNormalization;

use crate::error::InputError;

/// The longest name (vendor, product, edition, PO, reseller, owner, tag,
/// usage source, actor), in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;

/// What a field of free text may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line of at most [`MAX_NAME_CHARS`].
    Name,
    /// Lines (line feeds and tabs allowed; CR LF becomes LF) of at most
    /// [`MAX_NOTE_CHARS`].
    Note,
}

/// `value` as it is kept: NFC, every space character (no-break, thin,
/// ideographic …) an ordinary space, trimmed.
///
/// # Errors
///
/// When it holds a control character (for a note: other than line feed
/// and tab), an invisible formatting character, or is too long.
pub fn clean(field: &'static str, value: &str, kind: Kind) -> Result<String, InputError> {
    // Spaces that look like a space but are not one make look-alike names
    // ("Micro\u{a0}soft 365"); a name copied from a document often has them.
    let mut text: String = value
        .nfc()
        .map(|c| {
            if c.is_whitespace() && !c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    if kind == Kind::Note && text.contains('\r') {
        text = text.replace("\r\n", "\n");
    }
    let text = text.trim();
    let bad = |problem: String| InputError::BadText {
        field,
        value: value.to_owned(),
        problem,
    };
    for c in text.chars() {
        let allowed = kind == Kind::Note && matches!(c, '\n' | '\t');
        if c.is_control() && !allowed {
            return Err(bad(format!(
                "contains the control character U+{:04X}",
                u32::from(c)
            )));
        }
        if is_invisible(c) {
            return Err(bad(format!(
                "contains the invisible character U+{:04X}, which makes look-alike names",
                u32::from(c)
            )));
        }
    }
    let max = match kind {
        Kind::Name => MAX_NAME_CHARS,
        Kind::Note => MAX_NOTE_CHARS,
    };
    let chars = text.chars().count();
    if chars > max {
        return Err(InputError::TooLong {
            field,
            value: text.chars().take(40).collect::<String>() + "…",
            chars,
            max,
        });
    }
    Ok(text.to_owned())
}

/// [`clean`] for an optional field; an empty value stays as it is for the
/// caller's own rule.
///
/// # Errors
///
/// As [`clean`].
pub fn clean_opt(
    field: &'static str,
    value: &mut Option<String>,
    kind: Kind,
) -> Result<(), InputError> {
    if let Some(v) = value {
        *v = clean(field, v, kind)?;
    }
    Ok(())
}

/// Characters that are not seen but change what is seen or how it is
/// ordered: zero-width characters, bidirectional controls, the soft
/// hyphen, invisible separators and fillers, variation selectors and tags.
#[must_use]
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
            | '\u{E0100}'..='\u{E01EF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kept_composed_and_trimmed() {
        // "Müller" typed with a combining diaeresis is the same name as
        // the precomposed one
        assert_eq!(
            clean("vendor", " Mu\u{308}ller ", Kind::Name).unwrap(),
            "Müller"
        );
        assert_eq!(clean("vendor", "SAP SE", Kind::Name).unwrap(), "SAP SE");
    }

    #[test]
    fn spaces_that_only_look_like_spaces_become_spaces() {
        for space in [
            '\u{a0}', '\u{2002}', '\u{2009}', '\u{202f}', '\u{205f}', '\u{3000}',
        ] {
            assert_eq!(
                clean("vendor", &format!("Micro{space}soft{space}"), Kind::Name).unwrap(),
                "Micro soft",
                "U+{:04X}",
                u32::from(space)
            );
        }
        assert_eq!(
            clean("note", "a\u{a0}b\n\tc", Kind::Note).unwrap(),
            "a b\n\tc"
        );
    }

    #[test]
    fn escapes_and_look_alikes_are_refused_by_code_point() {
        let e = clean("vendor", "\u{1b}[2J\u{1b}[31mPWN", Kind::Name).unwrap_err();
        assert_eq!(e.field(), "vendor");
        assert!(e.problem().contains("U+001B"), "{e}");
        let e = clean("vendor", "Micro\u{200b}soft", Kind::Name).unwrap_err();
        assert!(e.problem().contains("U+200B"), "{e}");
        assert!(clean("vendor", "abc\u{202e}cod.exe", Kind::Name).is_err());
        assert!(clean("product", "a\0b", Kind::Name).is_err());
        assert!(clean("product", "two\nlines", Kind::Name).is_err());
    }

    #[test]
    fn notes_keep_their_lines_and_lengths_are_capped() {
        assert_eq!(
            clean("note", "first\r\nsecond\tcol", Kind::Note).unwrap(),
            "first\nsecond\tcol"
        );
        assert!(clean("note", "bell\u{7}", Kind::Note).is_err());
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        let e = clean("vendor", &long, Kind::Name).unwrap_err();
        assert!(
            e.problem().contains("is 201 characters long; at most 200"),
            "{e}"
        );
        assert!(clean("note", &long, Kind::Note).is_ok());
        // characters, not bytes: 200 umlauts are a name
        assert!(clean("vendor", &"ü".repeat(MAX_NAME_CHARS), Kind::Name).is_ok());
    }
}
