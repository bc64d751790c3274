//! Plain text and Markdown: decoding bytes of any common encoding to UTF-8.

use encoding_rs::{Encoding, WINDOWS_1252};

/// Decodes text bytes: a byte order mark (UTF-8, UTF-16 LE or BE) wins;
/// without one, valid UTF-8 is taken as UTF-8 and anything else as
/// Windows-1252 (a superset of Latin-1 in practice: what Western European
/// Windows programs write). A UTF-8 sequence cut off at the very end (the
/// caller may have read only the first part of a large file) is dropped.
pub(crate) fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return clean(text.into_owned());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => clean(text.to_owned()),
        // Valid up to a sequence cut off at the end: keep the valid part.
        Err(e) if e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4 => {
            clean(String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned())
        }
        Err(_) => {
            let (text, _had_errors) = WINDOWS_1252.decode_without_bom_handling(bytes);
            clean(text.into_owned())
        }
    }
}

/// Removes NUL and other control characters that carry no text (keeps tab,
/// line feed, carriage return and form feed).
pub(crate) fn clean(text: String) -> String {
    if text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'))
    {
        return text;
    }
    text.chars()
        .filter(|&c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'))
        .collect()
}

/// Whether the first bytes of a file look like text in one of the encodings
/// [`decode`] understands (used only when the file name says nothing).
pub(crate) fn looks_like_text(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    if Encoding::for_bom(head).is_some() {
        return true;
    }
    if head.contains(&0) {
        return false;
    }
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    control * 100 <= head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode("Kündigungsfrist".as_bytes()), "Kündigungsfrist");
        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend_from_slice("Kündigungsfrist".as_bytes());
        assert_eq!(decode(&with_bom), "Kündigungsfrist");
    }

    #[test]
    fn utf16_le_and_be_with_bom() {
        let text = "Lizenzen für Nutzungsrechte – 90 Tage";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
            be.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(decode(&le), text);
        assert_eq!(decode(&be), text);
    }

    #[test]
    fn windows_1252_fallback() {
        // "Kündigungsfrist – 5.900,00 €" in Windows-1252.
        let bytes = b"K\xfcndigungsfrist \x96 5.900,00 \x80";
        assert_eq!(decode(bytes), "Kündigungsfrist – 5.900,00 €");
    }

    #[test]
    fn utf8_cut_off_at_the_end_keeps_the_valid_part() {
        let bytes = "Grüße".as_bytes();
        // Cut inside the two-byte 'ß'.
        let cut = &bytes[..bytes.len() - 2];
        assert_eq!(decode(cut), "Grü");
    }

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(decode(b"a\0b\x01c\td\n"), "abc\td\n");
    }

    #[test]
    fn text_detection() {
        assert!(looks_like_text(b"Apache License\nVersion 2.0\n"));
        assert!(looks_like_text(&[0xFF, 0xFE, b'a', 0]));
        assert!(!looks_like_text(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0]));
        assert!(!looks_like_text(b""));
    }
}
