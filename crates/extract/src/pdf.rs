//! PDF, with `pdf-extract` (chosen by measurement: see the crate README).

use crate::text;
use crate::ExtractError;

const PDF: &str = "PDF";

/// Extracts the text of every page. Typographic ligatures (U+FB00–FB06,
/// which TeX and groff output is full of) become their letters, so "ﬁle" is
/// found by "file".
pub(crate) fn extract(bytes: &[u8]) -> Result<String, ExtractError> {
    // Readers accept the header within the first KiB; so do we.
    if !bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        return Err(ExtractError::Malformed {
            format: PDF,
            reason: "it does not start with %PDF-".into(),
        });
    }
    let raw = pdf_extract::extract_text_from_mem(bytes).map_err(|e| {
        let reason = match e {
            pdf_extract::OutputError::PdfError(e) => e.to_string(),
            other => other.to_string(),
        };
        ExtractError::Malformed {
            format: PDF,
            reason,
        }
    })?;
    Ok(text::clean(expand_ligatures(&raw)))
}

fn expand_ligatures(text: &str) -> String {
    if !text.chars().any(|c| ('\u{FB00}'..='\u{FB06}').contains(&c)) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ligatures_become_letters() {
        assert_eq!(expand_ligatures("ﬁle ﬂow oﬃce ﬀ"), "file flow office ff");
    }

    #[test]
    fn garbage_is_not_a_pdf() {
        let err = extract(b"\x00\x01garbage").unwrap_err();
        assert_eq!(err.to_string(), "not a PDF: it does not start with %PDF-");
    }

    #[test]
    fn header_only_is_not_a_pdf() {
        let err = extract(b"%PDF-1.7\n%%EOF\n").unwrap_err();
        assert!(err.to_string().starts_with("not a PDF: "), "{err}");
    }
}
