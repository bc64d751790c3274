//! Text extraction from the documents entitle archives: plain text and
//! Markdown (any common encoding), HTML, PDF, DOCX, ODT and e-mail (`.eml`,
//! with its attachments one level deep).
//!
//! Documents come from outside and are hostile until proven otherwise:
//! parsers of PDF and friends are known to panic, overflow the stack, loop
//! or allocate without bound on crafted files. So the product never calls
//! [`extract`] in its own process. It calls [`extract_in_child`], which runs
//! the same executable with the hidden subcommand [`CHILD_SUBCOMMAND`] under
//! a wall-time and memory limit ([`Limits`]) and turns every way the child
//! can fail into an [`ExtractError`] whose message says why, in plain words
//! ("timed out after 20 s", "crashed (signal 11)", "not a PDF: …").
//!
//! Starting a process costs more than extracting a small text file, so
//! [`extract_batch_in_child`] gives one child many documents, each still
//! under its own limits: a document that hangs, crashes or runs out of
//! memory costs only its own text, never the others' in its batch.
//!
//! # Wiring the child into a binary
//!
//! The child's command line is `EXE __extract --media-type M --memory-bytes N
//! -- FILE` (built by [`child_args`]). The simplest wiring hands the arguments
//! to [`child_main_from_args`] before any other parsing:
//!
//! ```no_run
//! // First thing in the binary's `main`:
//! fn dispatch_child() {
//!     let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
//!     if args.get(1).is_some_and(|a| a == entitle_extract::CHILD_SUBCOMMAND) {
//!         std::process::exit(entitle_extract::child_main_from_args(&args[2..]));
//!     }
//!     // … the normal command line …
//! }
//! ```
//!
//! A hidden clap subcommand works as well: it must accept exactly
//! `--media-type <M>` (a string), `--memory-bytes <N>` (a `u64`), and one
//! positional `FILE` (a path, after `--`, which clap handles by itself),
//! call [`child_main`] with them and exit with its return value. Nothing may
//! be printed to stdout before it: stdout carries the text.
//!
//! # Limits
//!
//! Extracted text is cut at [`MAX_TEXT_BYTES`] (16 MiB, on a character
//! boundary): more is never useful for search. Plain text files are read only
//! up to that size; other formats are refused above [`MAX_DOCUMENT_BYTES`]
//! without being read. DOCX and ODT archives are checked against zip bombs
//! (see [`office`]).

#![deny(missing_docs)]

mod batch;
mod child;
mod eml;
mod error;
mod html;
pub mod office;
mod pdf;
mod text;

use std::io::Read;
use std::path::Path;
use std::time::Duration;

pub use batch::{batch_child_args, extract_batch_in_child};
pub use child::{child_args, child_main, child_main_from_args, extract_in_child, CHILD_SUBCOMMAND};
pub use error::ExtractError;

/// Most bytes of text returned for one document (16 MiB); the rest is cut.
pub const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

/// Largest PDF, DOCX, ODT or e-mail file that is parsed (256 MiB); larger
/// ones are refused without being read. (Plain text and Markdown are read up
/// to [`MAX_TEXT_BYTES`] whatever their size.)
pub const MAX_DOCUMENT_BYTES: u64 = 256 * 1024 * 1024;

/// Media type of PDF documents.
pub const PDF: &str = "application/pdf";
/// Media type of plain text.
pub const TEXT: &str = "text/plain";
/// Media type of Markdown.
pub const MARKDOWN: &str = "text/markdown";
/// Media type of HTML.
pub const HTML: &str = "text/html";
/// Media type of DOCX (Office Open XML word processing) documents.
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
/// Media type of ODT (OpenDocument text) documents.
pub const ODT: &str = "application/vnd.oasis.opendocument.text";
/// Media type of e-mail messages (`.eml`).
pub const EML: &str = "message/rfc822";
/// Media type of anything else (not extractable).
pub const OCTET_STREAM: &str = "application/octet-stream";

/// How many bytes of a file [`sniff`] wants to see (more is ignored).
pub const SNIFF_BYTES: usize = 4096;

/// Guess the media type from the file name and the first bytes (magic wins
/// over extension).
///
/// `head` should be the first [`SNIFF_BYTES`] bytes of the file (fewer if
/// the file is shorter). The result is one of the constants of this crate:
/// [`PDF`], [`TEXT`], [`MARKDOWN`], [`HTML`], [`DOCX`], [`ODT`], [`EML`] or
/// [`OCTET_STREAM`]. A file whose name says nothing known but whose bytes
/// look like text is [`TEXT`].
///
/// # Examples
///
/// ```
/// use entitle_extract::{sniff, PDF, TEXT, OCTET_STREAM};
/// assert_eq!(sniff("contract.pdf", b"%PDF-1.7\n"), PDF);
/// assert_eq!(sniff("contract.txt", b"%PDF-1.7\n"), PDF); // magic wins
/// assert_eq!(sniff("garbage.pdf", &[0x00, 0xff, 0x13]), PDF); // extension, then fails to extract
/// assert_eq!(sniff("LICENSE", b"Apache License\n"), TEXT);
/// assert_eq!(sniff("tool.exe", b"MZ\x90\x00\x03\x00"), OCTET_STREAM);
/// ```
#[must_use]
pub fn sniff(file_name: &str, head: &[u8]) -> &'static str {
    let head = &head[..head.len().min(SNIFF_BYTES)];
    if let Some(by_magic) = sniff_magic(head) {
        return by_magic;
    }
    let extension = Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "pdf" => PDF,
        "txt" | "text" | "log" => TEXT,
        "md" | "markdown" => MARKDOWN,
        "html" | "htm" | "xhtml" => HTML,
        "docx" => DOCX,
        "odt" => ODT,
        "eml" => EML,
        _ if text::looks_like_text(head) => TEXT,
        _ => OCTET_STREAM,
    }
}

fn sniff_magic(head: &[u8]) -> Option<&'static str> {
    // A PDF header may follow some junk; readers accept it within 1 KiB.
    if find(&head[..head.len().min(1024)], b"%PDF-").is_some() {
        return Some(PDF);
    }
    if head.starts_with(b"PK\x03\x04") {
        // ODF stores an uncompressed "mimetype" entry first.
        if find(head, b"mimetypeapplication/vnd.oasis.opendocument.text").is_some() {
            return Some(ODT);
        }
        if find(head, b"word/").is_some() {
            return Some(DOCX);
        }
        // Some other zip: let the extension decide (a DOCX may list its
        // word/ entries after the first 4 KiB).
        return None;
    }
    let start = head
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(head)
        .trim_ascii_start();
    let lower: Vec<u8> = start.iter().take(32).map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") {
        return Some(HTML);
    }
    // Headers only a mail transport or client writes at the top of a message.
    const MAIL_STARTS: [&[u8]; 6] = [
        b"return-path:",
        b"received:",
        b"delivered-to:",
        b"mime-version:",
        b"message-id:",
        b"x-mozilla-status:",
    ];
    if MAIL_STARTS.iter().any(|m| lower.starts_with(m)) {
        return Some(EML);
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The media type without parameters, lower-case (`Text/HTML; charset=x` →
/// `text/html`).
fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether [`extract`] handles this media type (parameters such as
/// `; charset=…` are ignored).
#[must_use]
pub fn is_supported(media_type: &str) -> bool {
    matches!(
        essence(media_type).as_str(),
        TEXT | MARKDOWN
            | "text/x-markdown"
            | HTML
            | "application/xhtml+xml"
            | PDF
            | DOCX
            | ODT
            | EML
    )
}

/// In-process extraction (may be slow or panic-prone on hostile input; the
/// product calls it only inside the child).
///
/// Returns the text, cut at [`MAX_TEXT_BYTES`].
///
/// # Errors
///
/// [`ExtractError::Unsupported`] for a media type [`is_supported`] rejects;
/// [`ExtractError::Malformed`] when the bytes are not a readable document of
/// that type; [`ExtractError::ZipBomb`] for a DOCX or ODT that would unpack
/// to too much.
///
/// # Examples
///
/// ```
/// let text = entitle_extract::extract(b"<p>notice period</p>", "text/html").unwrap();
/// assert_eq!(text.trim(), "notice period");
/// ```
pub fn extract(bytes: &[u8], media_type: &str) -> Result<String, ExtractError> {
    let mut out = TextOut::new(MAX_TEXT_BYTES);
    extract_into(bytes, media_type, &mut out)?;
    Ok(out.into_string())
}

/// Reads a file with the size rules of this crate and extracts its text,
/// in process (see [`extract`]).
///
/// # Errors
///
/// As [`extract`], plus [`ExtractError::Read`] if the file cannot be read
/// and [`ExtractError::TooLarge`] for a non-text file over
/// [`MAX_DOCUMENT_BYTES`] (refused before it is read).
pub fn extract_file(path: &Path, media_type: &str) -> Result<String, ExtractError> {
    let essence = essence(media_type);
    if !is_supported(&essence) {
        return Err(ExtractError::Unsupported {
            media_type: media_type.to_owned(),
        });
    }
    let read_err = |source| ExtractError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let size = file.metadata().map_err(read_err)?.len();
    let is_plain = matches!(essence.as_str(), TEXT | MARKDOWN | "text/x-markdown");
    let limit = if is_plain {
        MAX_TEXT_BYTES as u64
    } else if size > MAX_DOCUMENT_BYTES {
        return Err(ExtractError::TooLarge {
            format: format_name(&essence),
            size,
            limit: MAX_DOCUMENT_BYTES,
        });
    } else {
        MAX_DOCUMENT_BYTES
    };
    let mut bytes = Vec::with_capacity(usize::try_from(size.min(limit)).unwrap_or(0));
    file.take(limit).read_to_end(&mut bytes).map_err(read_err)?;
    extract(&bytes, &essence)
}

fn format_name(essence: &str) -> &'static str {
    match essence {
        PDF => "PDF",
        DOCX => "DOCX documents",
        ODT => "ODT documents",
        EML => "e-mail messages",
        HTML | "application/xhtml+xml" => "HTML documents",
        _ => "text",
    }
}

pub(crate) fn extract_into(
    bytes: &[u8],
    media_type: &str,
    out: &mut TextOut,
) -> Result<(), ExtractError> {
    match essence(media_type).as_str() {
        TEXT | MARKDOWN | "text/x-markdown" => out.push_str(&text::decode(bytes)),
        HTML | "application/xhtml+xml" => out.push_str(&html::extract(bytes)?),
        PDF => out.push_str(&pdf::extract(bytes)?),
        DOCX => office::extract_docx(bytes, out)?,
        ODT => office::extract_odt(bytes, out)?,
        EML => eml::extract(bytes, 0, out)?,
        _ => {
            return Err(ExtractError::Unsupported {
                media_type: media_type.to_owned(),
            })
        }
    }
    Ok(())
}

/// Text being collected, cut at a byte limit on a character boundary.
#[derive(Debug)]
pub(crate) struct TextOut {
    text: String,
    limit: usize,
}

impl TextOut {
    pub(crate) fn new(limit: usize) -> Self {
        TextOut {
            text: String::new(),
            limit,
        }
    }

    pub(crate) fn push_str(&mut self, s: &str) {
        let room = self.remaining();
        if s.len() <= room {
            self.text.push_str(s);
        } else {
            let mut cut = room;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            self.text.push_str(&s[..cut]);
            self.limit = self.text.len(); // full
        }
    }

    pub(crate) fn push_line(&mut self, s: &str) {
        self.push_str(s);
        self.push_str("\n");
    }

    pub(crate) fn remaining(&self) -> usize {
        self.limit.saturating_sub(self.text.len())
    }

    pub(crate) fn is_full(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn into_string(self) -> String {
        self.text
    }
}

/// Limits for one extraction child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time after which the child is killed.
    pub wall_time: Duration,
    /// Address-space limit of the child (`RLIMIT_AS`), in bytes.
    pub memory_bytes: u64,
}

impl Default for Limits {
    /// 20 seconds and 1 GiB: ample for real contracts (the demo PDFs take
    /// milliseconds and a few MiB), small enough that a hostile file cannot
    /// stall an attach or starve the machine.
    fn default() -> Self {
        Limits {
            wall_time: Duration::from_secs(20),
            memory_bytes: 1024 * 1024 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_by_magic_and_extension() {
        assert_eq!(sniff("a.pdf", b"%PDF-1.4"), PDF);
        assert_eq!(sniff("a.bin", b"junk\n%PDF-1.4"), PDF);
        assert_eq!(sniff("a.docx", b"PK\x03\x04rest"), DOCX);
        assert_eq!(sniff("a.zip", b"PK\x03\x04....word/document.xml"), DOCX);
        assert_eq!(
            sniff(
                "a",
                b"PK\x03\x04.........mimetypeapplication/vnd.oasis.opendocument.text"
            ),
            ODT
        );
        assert_eq!(sniff("a.odt", b"PK\x03\x04"), ODT);
        assert_eq!(sniff("a.zip", b"PK\x03\x04"), OCTET_STREAM);
        assert_eq!(
            sniff("page.txt", b"\xEF\xBB\xBF <!DOCTYPE html><html>"),
            HTML
        );
        assert_eq!(sniff("page.HTM", b"<p>hi</p>"), HTML);
        assert_eq!(sniff("x.md", b"# Title"), MARKDOWN);
        assert_eq!(sniff("mail", b"Return-Path: <a@b>\r\nReceived: x"), EML);
        assert_eq!(sniff("order.eml", b"From: a@b\r\n"), EML);
        assert_eq!(sniff("notes", b"\xff\xfeh\x00i\x00"), TEXT);
        assert_eq!(
            sniff("image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            OCTET_STREAM
        );
        assert_eq!(sniff("empty", b""), OCTET_STREAM);
    }

    #[test]
    fn media_type_parameters_are_ignored() {
        assert!(is_supported("Text/Plain; charset=ISO-8859-1"));
        assert!(!is_supported("image/png"));
        assert_eq!(extract(b"abc", "text/plain; charset=utf-8").unwrap(), "abc");
    }

    #[test]
    fn unsupported_media_type() {
        let err = extract(b"\x89PNG", "image/png").unwrap_err();
        assert_eq!(err.to_string(), "unsupported media type image/png");
    }

    #[test]
    fn text_is_cut_on_a_char_boundary() {
        let mut out = TextOut::new(5);
        out.push_str("abcä"); // 5 bytes
        assert!(out.is_full());
        out.push_str("more");
        assert_eq!(out.into_string(), "abcä");
        let mut out = TextOut::new(4);
        out.push_str("abcä");
        assert_eq!(out.into_string(), "abc");
    }

    #[test]
    fn large_text_is_capped() {
        let big = "x".repeat(MAX_TEXT_BYTES + 10);
        assert_eq!(extract(big.as_bytes(), TEXT).unwrap().len(), MAX_TEXT_BYTES);
    }
}
