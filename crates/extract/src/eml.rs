//! E-mail (`.eml`, RFC 5322 with MIME): headers, body, and the text of its
//! attachments one level deep.

use std::panic::{catch_unwind, AssertUnwindSafe};

use mail_parser::{Address, MessageParser, MimeHeaders};

use crate::{extract_into, sniff, ExtractError, TextOut};

/// Extracts Subject, From, To and Date, the text bodies (HTML bodies as
/// text), then for each attachment its name and, where its type is
/// supported, its text. At `depth` 0 attachments are extracted; an attached
/// e-mail is read without its own attachments. An attachment whose text
/// cannot be extracted (or whose extractor panics) is listed with the
/// reason and does not fail the message.
pub(crate) fn extract(bytes: &[u8], depth: u8, out: &mut TextOut) -> Result<(), ExtractError> {
    let message = MessageParser::default()
        .parse(bytes)
        .filter(|m| {
            m.subject().is_some() || m.from().is_some() || m.to().is_some() || m.date().is_some()
        })
        .ok_or_else(|| ExtractError::Malformed {
            format: "MIME e-mail message",
            reason: "it has none of the headers From, To, Subject or Date".into(),
        })?;

    if let Some(subject) = message.subject() {
        out.push_line(&format!("Subject: {subject}"));
    }
    if let Some(from) = message.from() {
        out.push_line(&format!("From: {}", addresses(from)));
    }
    if let Some(to) = message.to() {
        out.push_line(&format!("To: {}", addresses(to)));
    }
    if let Some(date) = message.date() {
        out.push_line(&format!("Date: {}", date.to_rfc3339()));
    }
    out.push_str("\n");

    // body_text renders an HTML-only body as text.
    let mut i = 0;
    while let Some(body) = message.body_text(i) {
        out.push_line(body.trim_end());
        i += 1;
    }

    for attachment in message.attachments() {
        if out.is_full() {
            break;
        }
        let name = attachment.attachment_name().unwrap_or("unnamed").to_owned();
        out.push_str("\n");
        out.push_line(&format!("Attachment: {name}"));
        if depth > 0 {
            continue;
        }
        if let Some(nested) = attachment.message() {
            let mut inner = TextOut::new(out.remaining());
            match extract(nested.raw_message(), depth + 1, &mut inner) {
                Ok(()) => out.push_line(&inner.into_string()),
                Err(e) => out.push_line(&format!("(not searchable: {e})")),
            }
            continue;
        }
        let declared = attachment
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
                None => ct.ctype().to_ascii_lowercase(),
            })
            .unwrap_or_default();
        let contents = attachment.contents();
        let media_type = if crate::is_supported(&declared) && !declared.starts_with("message/") {
            // A declared type is trusted only if the bytes do not say otherwise.
            match sniff(&name, contents) {
                crate::OCTET_STREAM => declared.as_str(),
                sniffed if crate::is_supported(sniffed) => sniffed,
                _ => declared.as_str(),
            }
        } else {
            sniff(&name, contents)
        };
        if !crate::is_supported(media_type) || media_type == crate::EML {
            out.push_line(&format!(
                "(not searchable: unsupported media type {media_type})"
            ));
            continue;
        }
        let mut inner = TextOut::new(out.remaining());
        let result = catch_unwind(AssertUnwindSafe(|| {
            extract_into(contents, media_type, &mut inner)
        }));
        match result {
            Ok(Ok(())) => out.push_line(&inner.into_string()),
            Ok(Err(e)) => out.push_line(&format!("(not searchable: {e})")),
            Err(panic) => out.push_line(&format!(
                "(not searchable: the extractor failed unexpectedly: {})",
                crate::child::panic_message(panic.as_ref())
            )),
        }
    }
    Ok(())
}

fn addresses(address: &Address<'_>) -> String {
    let list: Vec<String> = address
        .clone()
        .into_list()
        .into_iter()
        .map(|a| match (a.name(), a.address()) {
            (Some(name), Some(addr)) => format!("{name} <{addr}>"),
            (Some(name), None) => name.to_owned(),
            (None, Some(addr)) => addr.to_owned(),
            (None, None) => String::new(),
        })
        .collect();
    list.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> Result<String, ExtractError> {
        let mut out = TextOut::new(crate::MAX_TEXT_BYTES);
        extract(bytes, 0, &mut out)?;
        Ok(out.into_string())
    }

    const MAIL: &str = "From: Nordlicht Orders <orders@nordlicht.invalid>\r
To: e.mustermann@muster.invalid\r
Subject: =?utf-8?q?Auftragsbest=C3=A4tigung?= NL-1\r
Date: Thu, 28 Mar 2024 10:15:00 +0100\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary=\"b1\"\r
\r
--b1\r
Content-Type: text/plain; charset=utf-8\r
\r
Please note the notice period of 90 days.\r
--b1\r
Content-Type: text/plain; charset=windows-1252\r
Content-Disposition: attachment; filename=\"terms.txt\"\r
Content-Transfer-Encoding: base64\r
\r
S/xuZGlndW5nc2ZyaXN0IHZvbiA5MCBUYWdlbg==\r
--b1\r
Content-Type: application/pdf\r
Content-Disposition: attachment; filename=\"broken.pdf\"\r
Content-Transfer-Encoding: base64\r
\r
JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+Pgpl\r
--b1\r
Content-Type: application/octet-stream\r
Content-Disposition: attachment; filename=\"tool.exe\"\r
Content-Transfer-Encoding: base64\r
\r
TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAA\r
--b1--\r
";

    #[test]
    fn headers_body_and_attachments() {
        let text = text(MAIL.as_bytes()).unwrap();
        assert!(text.contains("Subject: Auftragsbestätigung NL-1"), "{text}");
        assert!(
            text.contains("From: Nordlicht Orders <orders@nordlicht.invalid>"),
            "{text}"
        );
        assert!(text.contains("Date: 2024-03-28T10:15:00+01:00"), "{text}");
        assert!(
            text.contains("Please note the notice period of 90 days."),
            "{text}"
        );
        assert!(text.contains("Attachment: terms.txt"), "{text}");
        // The mail parser decodes the declared charset of a text part.
        assert!(text.contains("Kündigungsfrist von 90 Tagen"), "{text}");
    }

    #[test]
    fn a_broken_attachment_is_reported_not_fatal() {
        let text = text(MAIL.as_bytes()).unwrap();
        assert!(
            text.contains("Attachment: broken.pdf\n(not searchable: not a PDF"),
            "{text}"
        );
        assert!(
            text.contains("Attachment: tool.exe\n(not searchable: unsupported media type application/octet-stream)"),
            "{text}"
        );
    }

    #[test]
    fn garbage_is_not_an_email() {
        let err = text(&[0xff, 0x00, 0x13, 0x37]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a MIME e-mail message: it has none of the headers From, To, Subject or Date"
        );
    }
}
