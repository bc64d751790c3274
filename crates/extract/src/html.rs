//! HTML: the visible text, without scripts, styles or markup.

use crate::text;
use crate::ExtractError;

/// Lines are not re-wrapped below this width, so sentences stay whole.
const WIDTH: usize = 10_000;

/// Extracts the text of an HTML document (bytes decoded as [`text::decode`]
/// does; a `<meta charset>` other than UTF-8 or Windows-1252 is not honoured).
pub(crate) fn extract(bytes: &[u8]) -> Result<String, ExtractError> {
    let source = text::decode(bytes);
    let rendered = html2text::config::plain_no_decorate()
        .allow_width_overflow()
        .no_table_borders()
        .string_from_read(source.as_bytes(), WIDTH)
        .map_err(|e| ExtractError::Malformed {
            format: "HTML document",
            reason: e.to_string(),
        })?;
    Ok(text::clean(rendered))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_script_and_style() {
        let html = br#"<!DOCTYPE html><html><head><title>T</title>
            <style>.x { color: red }</style><script>var secret = "hidden-token";</script></head>
            <body><h1>Subscription terms</h1><p>The <b>notice period</b> is 90&nbsp;days &amp; more.</p>
            <table><tr><td>auto-renewal</td><td>yes</td></tr></table></body></html>"#;
        let text = extract(html).unwrap();
        assert!(text.contains("Subscription terms"), "{text}");
        assert!(
            text.contains("The notice period is 90\u{a0}days & more."),
            "{text}"
        );
        assert!(text.contains("auto-renewal"), "{text}");
        assert!(!text.contains("hidden-token"), "{text}");
        assert!(!text.contains("color"), "{text}");
    }

    #[test]
    fn windows_1252_html() {
        let text = extract(b"<p>K\xfcndigungsfrist</p>").unwrap();
        assert!(text.contains("Kündigungsfrist"), "{text}");
    }

    #[test]
    fn deeply_nested_html_does_not_fail() {
        let html = "<div>".repeat(5_000) + "deep text" + &"</div>".repeat(5_000);
        // html2text bounds its own depth; the point is: no crash, no error.
        let _ = extract(html.as_bytes());
    }
}
