//! DOCX (Office Open XML) and ODT (OpenDocument Text): a zip archive of XML
//! parts, read with guards against zip bombs.

use std::io::{Cursor, Read};

use quick_xml::events::Event;
use quick_xml::Reader;
use zip::ZipArchive;

use crate::{ExtractError, TextOut};

/// Most entries an office document may have (real ones have tens).
pub const MAX_ZIP_ENTRIES: usize = 10_000;
/// Most bytes one XML part may unpack to.
pub const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;
/// Most bytes all the parts read from one document may unpack to together.
pub const MAX_TOTAL_BYTES: u64 = 128 * 1024 * 1024;
/// Highest compression ratio accepted for a part larger than
/// [`RATIO_CHECK_FROM`]: real XML compresses 5–30 to 1, zip bombs 1000 to 1.
pub const MAX_RATIO: u64 = 200;
/// Parts smaller than this unpacked are not checked for their ratio.
pub const RATIO_CHECK_FROM: u64 = 1024 * 1024;

const DOCX: &str = "DOCX document";
const ODT: &str = "ODT document";

/// Extracts the text of a DOCX document: the body, then footnotes,
/// endnotes, headers and footers.
pub(crate) fn extract_docx(bytes: &[u8], out: &mut TextOut) -> Result<(), ExtractError> {
    let mut zip = open(bytes, DOCX)?;
    let mut budget = MAX_TOTAL_BYTES;
    let body = read_part(&mut zip, "word/document.xml", DOCX, &mut budget)?.ok_or_else(|| {
        ExtractError::Malformed {
            format: DOCX,
            reason: "it has no word/document.xml".into(),
        }
    })?;
    docx_xml_to_text(&body, out)?;

    let mut others: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .filter(|name| {
            let Some(rest) = name.strip_prefix("word/") else {
                return false;
            };
            rest.ends_with(".xml")
                && ["footnotes", "endnotes", "header", "footer"]
                    .iter()
                    .any(|p| rest.starts_with(p))
        })
        .map(|name| name.into_owned())
        .collect();
    others.sort();
    for name in others {
        if out.is_full() {
            break;
        }
        if let Some(xml) = read_part(&mut zip, &name, DOCX, &mut budget)? {
            out.push_str("\n");
            docx_xml_to_text(&xml, out)?;
        }
    }
    Ok(())
}

/// Extracts the text of an ODT document (its `content.xml`).
pub(crate) fn extract_odt(bytes: &[u8], out: &mut TextOut) -> Result<(), ExtractError> {
    let mut zip = open(bytes, ODT)?;
    let mut budget = MAX_TOTAL_BYTES;
    let xml = read_part(&mut zip, "content.xml", ODT, &mut budget)?.ok_or_else(|| {
        ExtractError::Malformed {
            format: ODT,
            reason: "it has no content.xml".into(),
        }
    })?;
    odt_xml_to_text(&xml, out)
}

/// Opens the archive after checking its entry count in the end-of-central-
/// directory record, so a huge central directory is never loaded.
fn open<'a>(
    bytes: &'a [u8],
    format: &'static str,
) -> Result<ZipArchive<Cursor<&'a [u8]>>, ExtractError> {
    if let Some(entries) = declared_entries(bytes) {
        if entries > MAX_ZIP_ENTRIES {
            return Err(ExtractError::ZipBomb {
                reason: format!("it declares {entries} entries, more than {MAX_ZIP_ENTRIES}"),
            });
        }
    }
    let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| ExtractError::Malformed {
        format,
        reason: format!("not a readable zip archive ({e})"),
    })?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(ExtractError::ZipBomb {
            reason: format!("it has {} entries, more than {MAX_ZIP_ENTRIES}", zip.len()),
        });
    }
    Ok(zip)
}

/// The entry count of the end-of-central-directory record, if one is found
/// in the last 64 KiB (0xFFFF means "see the zip64 record": counted as such).
fn declared_entries(bytes: &[u8]) -> Option<usize> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let from = bytes.len().saturating_sub(65_535 + 22);
    let tail = &bytes[from..];
    let at = tail.windows(4).rposition(|w| w == EOCD)?;
    let record = tail.get(at..at + 22)?;
    Some(usize::from(u16::from_le_bytes([record[10], record[11]])))
}

/// Reads one part, or `None` if the archive has no such entry.
fn read_part(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
    format: &'static str,
    budget: &mut u64,
) -> Result<Option<String>, ExtractError> {
    let entry = match zip.by_name(name) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => {
            return Err(ExtractError::Malformed {
                format,
                reason: format!("its entry {name} cannot be read ({e})"),
            })
        }
    };
    let declared = entry.size();
    let compressed = entry.compressed_size().max(1);
    let limit = MAX_PART_BYTES.min(*budget);
    if declared > limit {
        return Err(ExtractError::ZipBomb {
            reason: format!(
                "{name} would unpack to {declared} bytes, more than the limit of {limit}"
            ),
        });
    }
    if declared >= RATIO_CHECK_FROM && declared / compressed > MAX_RATIO {
        return Err(ExtractError::ZipBomb {
            reason: format!(
                "{name} is compressed {}:1, more than {MAX_RATIO}:1",
                declared / compressed
            ),
        });
    }
    // The declared size may lie: read at most one byte past what is allowed.
    let mut data = Vec::with_capacity(usize::try_from(declared.min(limit)).unwrap_or(0));
    entry
        .take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|e| ExtractError::Malformed {
            format,
            reason: format!("its entry {name} cannot be unpacked ({e})"),
        })?;
    let actual = data.len() as u64;
    if actual > limit {
        return Err(ExtractError::ZipBomb {
            reason: format!("{name} unpacks to more than the limit of {limit} bytes"),
        });
    }
    if actual >= RATIO_CHECK_FROM && actual / compressed > MAX_RATIO {
        return Err(ExtractError::ZipBomb {
            reason: format!(
                "{name} is compressed {}:1, more than {MAX_RATIO}:1",
                actual / compressed
            ),
        });
    }
    *budget -= actual;
    Ok(Some(String::from_utf8_lossy(&data).into_owned()))
}

fn xml_error(format: &'static str, e: &quick_xml::Error) -> ExtractError {
    ExtractError::Malformed {
        format,
        reason: format!("its XML is broken ({e})"),
    }
}

/// Resolves `&name;` (predefined or character reference); unknown entities
/// are dropped (never expanded: no entity bombs).
fn push_ref(name: &str, out: &mut TextOut) {
    if let Ok(text) = quick_xml::escape::unescape(&format!("&{name};")) {
        out.push_str(&text);
    }
}

/// WordprocessingML: text lives in `w:t`; paragraphs end with `</w:p>`.
fn docx_xml_to_text(xml: &str, out: &mut TextOut) -> Result<(), ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut in_text = false;
    loop {
        if out.is_full() {
            return Ok(());
        }
        match reader.read_event().map_err(|e| xml_error(DOCX, &e))? {
            Event::Start(e) if e.local_name().as_ref() == "t" => in_text = true,
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => out.push_str("\n"),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "tab" => out.push_str("\t"),
                "br" | "cr" => out.push_str("\n"),
                "p" => out.push_str("\n"),
                _ => {}
            },
            Event::Text(t) if in_text => out.push_str(&t.xml10_content()),
            Event::CData(t) if in_text => out.push_str(&t),
            Event::GeneralRef(r) if in_text => push_ref(&r, out),
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// OpenDocument: text anywhere inside `office:body`; `text:p` and `text:h`
/// end lines; `text:s` stands for spaces.
fn odt_xml_to_text(xml: &str, out: &mut TextOut) -> Result<(), ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut in_body = false;
    loop {
        if out.is_full() {
            return Ok(());
        }
        match reader.read_event().map_err(|e| xml_error(ODT, &e))? {
            Event::Start(e) if e.local_name().as_ref() == "body" => in_body = true,
            Event::End(e) => match e.local_name().as_ref() {
                "body" => in_body = false,
                "p" | "h" if in_body => out.push_str("\n"),
                _ => {}
            },
            Event::Empty(e) if in_body => match e.local_name().as_ref() {
                "s" => {
                    let count = e
                        .attributes()
                        .filter_map(Result::ok)
                        .find(|a| a.key.local_name().as_ref() == "c")
                        .and_then(|a| a.value.parse::<usize>().ok())
                        .unwrap_or(1)
                        .min(1000);
                    out.push_str(&" ".repeat(count));
                }
                "tab" => out.push_str("\t"),
                "line-break" | "p" | "h" => out.push_str("\n"),
                _ => {}
            },
            Event::Text(t) if in_body => out.push_str(&t.xml10_content()),
            Event::CData(t) if in_body => out.push_str(&t),
            Event::GeneralRef(r) if in_body => push_ref(&r, out),
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn text(
        f: fn(&[u8], &mut TextOut) -> Result<(), ExtractError>,
        bytes: &[u8],
    ) -> Result<String, ExtractError> {
        let mut out = TextOut::new(crate::MAX_TEXT_BYTES);
        f(bytes, &mut out)?;
        Ok(out.into_string())
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            zip.start_file(*name, SimpleFileOptions::default()).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    const DOCX_XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>Rahmenvertrag über </w:t></w:r><w:r><w:t>Softwarelizenzen</w:t></w:r></w:p>
<w:p><w:r><w:t>Kündigungsfrist</w:t><w:tab/><w:t xml:space="preserve">90 Tage &amp; mehr</w:t></w:r>
<w:r><w:instrText>PAGE \* MERGEFORMAT</w:instrText></w:r></w:p>
</w:body></w:document>"#;

    #[test]
    fn docx_text_from_paragraphs_and_runs() {
        let bytes = zip_of(&[("word/document.xml", DOCX_XML.as_bytes())]);
        let text = text(extract_docx, &bytes).unwrap();
        assert_eq!(
            text,
            "Rahmenvertrag über Softwarelizenzen\nKündigungsfrist\t90 Tage & mehr\n"
        );
    }

    #[test]
    fn odt_text_with_spaces_and_headings() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">
<office:automatic-styles><style:style xmlns:style="s">NOT TEXT</style:style></office:automatic-styles>
<office:body><office:text><text:h>GNU GENERAL PUBLIC LICENSE</text:h><text:p>Version 3,<text:s text:c="3"/>29 June 2007</text:p></office:text></office:body>
</office:document-content>"#;
        let bytes = zip_of(&[
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", xml.as_bytes()),
        ]);
        let text = text(extract_odt, &bytes).unwrap();
        assert_eq!(
            text,
            "GNU GENERAL PUBLIC LICENSE\nVersion 3,   29 June 2007\n"
        );
    }

    #[test]
    fn docx_without_body_is_named() {
        let bytes = zip_of(&[("word/styles.xml", b"<x/>")]);
        let err = text(extract_docx, &bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a DOCX document: it has no word/document.xml"
        );
    }

    #[test]
    fn garbage_is_not_a_zip() {
        let err = text(extract_docx, b"this is not a zip file at all").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("not a DOCX document: not a readable zip archive"),
            "{err}"
        );
    }

    #[test]
    fn broken_xml_is_reported() {
        let bytes = zip_of(&[(
            "word/document.xml",
            b"<w:document><w:body><w:p><w:t>a</w:x>",
        )]);
        let err = text(extract_docx, &bytes).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("not a DOCX document: its XML is broken"),
            "{err}"
        );
    }

    /// A DOCX whose body is 1 GiB of zeros compressed to about 1 MiB.
    #[test]
    fn zip_bomb_in_docx_is_refused() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        zip.start_file("word/document.xml", options).unwrap();
        let zeros = vec![b' '; 1024 * 1024];
        for _ in 0..1024 {
            zip.write_all(&zeros).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        assert!(bytes.len() < 4 * 1024 * 1024, "{}", bytes.len());
        let err = text(extract_docx, &bytes).unwrap_err();
        assert!(matches!(err, ExtractError::ZipBomb { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("refused as a likely zip bomb: word/document.xml"),
            "{err}"
        );
    }

    /// A high ratio below the size limit: 32 MiB of spaces in ~32 KiB.
    #[test]
    fn absurd_compression_ratio_is_refused() {
        let spaces = vec![b' '; 32 * 1024 * 1024];
        let bytes = zip_of(&[("word/document.xml", &spaces)]);
        let err = text(extract_docx, &bytes).unwrap_err();
        assert!(err.to_string().contains("more than 200:1"), "{err}");
    }

    #[test]
    fn too_many_entries_are_refused() {
        let names: Vec<String> = (0..MAX_ZIP_ENTRIES + 1).map(|i| format!("f{i}")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        let bytes = zip_of(&entries);
        let err = text(extract_odt, &bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "refused as a likely zip bomb: it declares 10001 entries, more than 10000"
        );
    }

    #[test]
    fn entity_references_are_not_expanded() {
        let xml = r#"<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>
<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>x&b;y&#228;</w:t></w:r></w:p></w:body></w:document>"#;
        let bytes = zip_of(&[("word/document.xml", xml.as_bytes())]);
        assert_eq!(text(extract_docx, &bytes).unwrap(), "xyä\n");
    }
}
