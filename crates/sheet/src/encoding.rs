//! Encoding detection (one streaming pass over the raw bytes) and the
//! streaming decoder that turns the file into UTF-8 with `\n` line ends.

use std::io::{self, Read};

use encoding_rs::{Decoder, DecoderResult, Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};

use crate::error::ErrorKind;

const CHUNK: usize = 64 * 1024;

/// The text encoding a file was read in.
///
/// How it is decided, in one streaming pass over the raw bytes before
/// parsing: a UTF-16 or UTF-8 byte order mark decides. Without one, a file
/// that is valid UTF-8 throughout is UTF-8 (plain ASCII included); a file
/// with any byte sequence that is not UTF-8 is Windows-1252 — unless it also
/// holds valid multi-byte UTF-8 (mixed encodings), or a byte Windows-1252
/// leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D), or a NUL byte (binary, or
/// UTF-16 without a byte order mark): those are errors naming the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextEncoding {
    /// UTF-8 without a byte order mark (includes plain ASCII).
    Utf8,
    /// UTF-8 with a byte order mark (what Excel writes as "CSV UTF-8").
    Utf8Bom,
    /// Windows-1252 (what Excel on a Western European Windows writes as "CSV").
    Windows1252,
    /// UTF-16 little-endian, with a byte order mark (Excel's "Unicode text").
    Utf16Le,
    /// UTF-16 big-endian, with a byte order mark.
    Utf16Be,
}

impl TextEncoding {
    /// A short name: `UTF-8`, `UTF-8 with BOM`, `Windows-1252`, `UTF-16LE`, `UTF-16BE`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf8Bom => "UTF-8 with BOM",
            Self::Windows1252 => "Windows-1252",
            Self::Utf16Le => "UTF-16LE",
            Self::Utf16Be => "UTF-16BE",
        }
    }

    fn bom_len(self) -> usize {
        match self {
            Self::Utf8 | Self::Windows1252 => 0,
            Self::Utf8Bom => 3,
            Self::Utf16Le | Self::Utf16Be => 2,
        }
    }

    fn decoder(self) -> Option<Decoder> {
        let enc: &'static Encoding = match self {
            Self::Utf8 | Self::Utf8Bom => return None,
            Self::Windows1252 => WINDOWS_1252,
            Self::Utf16Le => UTF_16LE,
            Self::Utf16Be => UTF_16BE,
        };
        Some(enc.new_decoder_without_bom_handling())
    }
}

/// Bytes that Windows-1252 leaves undefined (encoding_rs maps them to C1
/// controls; in a spreadsheet they mean the file is in another encoding).
fn undefined_in_1252(b: u8) -> bool {
    matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D)
}

/// The line ends in `bytes` as [`TextReader`] counts them (`\r\n`, `\r` or
/// `\n`), given whether the byte before `bytes` was a `\r` (then a leading
/// `\n` ends no further line). A `\r` at the very end counts: what follows
/// it is on the next line.
fn count_line_ends(bytes: &[u8], after_cr: bool) -> u64 {
    let mut prev_cr = after_cr;
    let mut n = 0;
    for &b in bytes {
        n += u64::from(b == b'\r' || (b == b'\n' && !prev_cr));
        prev_cr = b == b'\r';
    }
    n
}

/// Reads the whole file once (bounded memory) and decides its encoding.
///
/// The rule: a UTF-16 or UTF-8 byte order mark decides. Without one, a file
/// that is valid UTF-8 throughout is UTF-8; a file with any byte sequence that
/// is not UTF-8 is Windows-1252, unless it also holds valid multi-byte UTF-8
/// (mixed encodings: an error) or a byte Windows-1252 leaves undefined (an
/// error). A NUL byte outside UTF-16 is an error (binary, or UTF-16 without a
/// byte order mark).
pub(crate) fn detect<R: Read>(mut r: R) -> Result<TextEncoding, (Option<u64>, ErrorKind)> {
    let io = |e| (None, ErrorKind::Io(e));
    let mut buf = vec![0u8; CHUNK];
    let mut len = read_full(&mut r, &mut buf).map_err(io)?;
    let head = &buf[..len];
    if head.starts_with(&[0xFF, 0xFE]) {
        return Ok(TextEncoding::Utf16Le);
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Ok(TextEncoding::Utf16Be);
    }
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let mut start = if bom { 3 } else { 0 };

    let mut line: u64 = 1;
    // Whether the chunk follows a `\r` (its leading `\n` ends no line).
    let mut after_cr = false;
    let mut first_utf8: Option<(u64, char)> = None;
    let mut first_invalid: Option<(u64, u8)> = None;
    let mut first_undefined: Option<(u64, u8)> = None;
    loop {
        let chunk = &buf[start..len];
        let at_eof = len < buf.len();
        let line_at = |p: usize| line + count_line_ends(&chunk[..p], after_cr);
        if let Some(p) = chunk.iter().position(|&b| b == 0) {
            return Err((Some(line_at(p)), ErrorKind::NotText));
        }
        if first_undefined.is_none() {
            if let Some(p) = chunk.iter().position(|&b| undefined_in_1252(b)) {
                first_undefined = Some((line_at(p), chunk[p]));
            }
        }
        // Validate UTF-8, noting the first multi-byte character and the first
        // invalid byte.
        let mut pos = 0;
        let mut keep = 0;
        while pos < chunk.len() {
            match std::str::from_utf8(&chunk[pos..]) {
                Ok(s) => {
                    if first_utf8.is_none() {
                        note_utf8(s, pos, line_at, &mut first_utf8);
                    }
                    pos = chunk.len();
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    if first_utf8.is_none() {
                        let s = std::str::from_utf8(&chunk[pos..pos + valid]).unwrap_or_default();
                        note_utf8(s, pos, line_at, &mut first_utf8);
                    }
                    pos += valid;
                    match e.error_len() {
                        Some(n) => {
                            if first_invalid.is_none() {
                                first_invalid = Some((line_at(pos), chunk[pos]));
                            }
                            pos += n;
                        }
                        None if at_eof => {
                            if first_invalid.is_none() {
                                first_invalid = Some((line_at(pos), chunk[pos]));
                            }
                            pos = chunk.len();
                        }
                        None => {
                            // A character split across chunks: keep its bytes.
                            keep = chunk.len() - pos;
                            pos = chunk.len();
                        }
                    }
                }
            }
            if first_utf8.is_some() && first_invalid.is_some() {
                break;
            }
        }
        if let (Some((utf8_line, utf8_char)), Some((bad_line, byte))) = (first_utf8, first_invalid)
        {
            return Err((
                Some(bad_line),
                ErrorKind::MixedEncoding {
                    utf8_line,
                    utf8_char,
                    byte,
                },
            ));
        }
        let done = &chunk[..chunk.len() - keep];
        line += count_line_ends(done, after_cr);
        if let Some(&last) = done.last() {
            after_cr = last == b'\r';
        }
        if at_eof {
            break;
        }
        // Move the kept bytes to the front and refill.
        let tail = len - keep;
        buf.copy_within(tail..len, 0);
        start = 0;
        let n = read_full(&mut r, &mut buf[keep..]).map_err(io)?;
        len = keep + n;
        if n == 0 && keep == 0 {
            break;
        }
        if n == 0 {
            // A truncated character at the very end.
            if first_invalid.is_none() {
                first_invalid = Some((line, buf[0]));
            }
            break;
        }
    }
    match (bom, first_invalid) {
        (_, None) if bom => Ok(TextEncoding::Utf8Bom),
        (_, None) => Ok(TextEncoding::Utf8),
        (true, Some((l, byte))) => Err((Some(l), ErrorKind::InvalidUtf8 { byte })),
        (false, Some(_)) => match first_undefined {
            Some((l, byte)) => Err((Some(l), ErrorKind::Undecodable { byte })),
            None => Ok(TextEncoding::Windows1252),
        },
    }
}

/// Notes the first non-ASCII character of `s`, which starts at offset `at`
/// of the chunk; `line_at` gives the line of an offset.
fn note_utf8(s: &str, at: usize, line_at: impl Fn(usize) -> u64, first: &mut Option<(u64, char)>) {
    if first.is_some() || s.is_ascii() {
        return;
    }
    let (i, c) = s
        .char_indices()
        .find(|(_, c)| !c.is_ascii())
        .unwrap_or((0, '?'));
    *first = Some((line_at(at + i), c));
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The payload of the `io::Error` a [`TextReader`] returns for bad UTF-16.
#[derive(Debug)]
pub(crate) struct BadUtf16;

impl std::fmt::Display for BadUtf16 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid UTF-16")
    }
}

impl std::error::Error for BadUtf16 {}

/// Streams a file as UTF-8 with every line end (`\r\n`, `\r`, `\n`) turned
/// into `\n`, and a final `\n` added if the file lacks one. Memory: two
/// fixed 64 KiB buffers.
///
/// Normalising line ends keeps the CSV parser's line count equal to the
/// physical line numbers people see in an editor.
pub(crate) struct TextReader<R> {
    inner: R,
    decoder: Option<Decoder>,
    raw: Vec<u8>,
    raw_start: usize,
    raw_end: usize,
    raw_eof: bool,
    text: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    pending_cr: bool,
    last_newline: bool,
    any: bool,
    done: bool,
    /// Bad UTF-16 was met: an error once the text before it is handed out.
    malformed: bool,
    /// Bytes handed out so far.
    emitted: u64,
}

impl<R: Read> TextReader<R> {
    /// `inner` must be positioned at the start of the file.
    pub(crate) fn new(mut inner: R, encoding: TextEncoding) -> io::Result<Self> {
        let mut bom = [0u8; 3];
        let n = encoding.bom_len();
        inner.read_exact(&mut bom[..n])?;
        Ok(Self {
            inner,
            decoder: encoding.decoder(),
            raw: vec![0; CHUNK],
            raw_start: 0,
            raw_end: 0,
            raw_eof: false,
            text: Vec::with_capacity(CHUNK * 3 + 16),
            out: Vec::with_capacity(CHUNK * 3 + 16),
            out_pos: 0,
            pending_cr: false,
            last_newline: false,
            any: false,
            done: false,
            malformed: false,
            emitted: 0,
        })
    }

    /// How many bytes of text have been read from it.
    pub(crate) fn emitted(&self) -> u64 {
        self.emitted
    }

    /// Produces the next chunk of normalised output into `self.out`.
    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        while self.out.is_empty() && !self.done {
            if self.malformed {
                return Err(io::Error::new(io::ErrorKind::InvalidData, BadUtf16));
            }
            if self.raw_start == self.raw_end && !self.raw_eof {
                self.raw_start = 0;
                self.raw_end = read_full(&mut self.inner, &mut self.raw)?;
                self.raw_eof = self.raw_end < self.raw.len();
            }
            let src = &self.raw[self.raw_start..self.raw_end];
            self.text.clear();
            match &mut self.decoder {
                None => {
                    self.text.extend_from_slice(src);
                    self.raw_start = self.raw_end;
                }
                Some(dec) => {
                    let need = dec
                        .max_utf8_buffer_length_without_replacement(src.len())
                        .unwrap_or(CHUNK * 3);
                    self.text.resize(need, 0);
                    let (res, read, written) =
                        dec.decode_to_utf8_without_replacement(src, &mut self.text, self.raw_eof);
                    self.text.truncate(written);
                    self.raw_start += read;
                    // The text before a bad unit is handed out first, so
                    // that the error comes on the line that holds it.
                    self.malformed = matches!(res, DecoderResult::Malformed(_, _));
                }
            }
            normalise(
                &self.text,
                &mut self.out,
                &mut self.pending_cr,
                &mut self.last_newline,
                &mut self.any,
            );
            if self.raw_eof && self.raw_start == self.raw_end && !self.malformed {
                self.done = true;
                if self.any && !self.last_newline {
                    self.out.push(b'\n');
                }
            }
        }
        Ok(())
    }
}

fn normalise(
    src: &[u8],
    out: &mut Vec<u8>,
    pending_cr: &mut bool,
    last_nl: &mut bool,
    any: &mut bool,
) {
    if src.is_empty() {
        return;
    }
    *any = true;
    let mut rest = src;
    if *pending_cr {
        *pending_cr = false;
        if rest[0] == b'\n' {
            rest = &rest[1..];
        }
    }
    if !rest.contains(&b'\r') {
        out.extend_from_slice(rest);
    } else {
        let mut i = 0;
        while i < rest.len() {
            let b = rest[i];
            if b == b'\r' {
                out.push(b'\n');
                if i + 1 < rest.len() {
                    if rest[i + 1] == b'\n' {
                        i += 1;
                    }
                } else {
                    *pending_cr = true;
                }
            } else {
                out.push(b);
            }
            i += 1;
        }
    }
    if let Some(&b) = out.last() {
        *last_nl = b == b'\n';
    }
}

impl<R: Read> Read for TextReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out.len() {
            self.refill()?;
        }
        let avail = &self.out[self.out_pos..];
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.out_pos += n;
        self.emitted += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> String {
        let enc = detect(bytes).unwrap();
        let mut s = String::new();
        TextReader::new(bytes, enc)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        s
    }

    #[test]
    fn line_ends_are_normalised() {
        assert_eq!(decode(b"a\r\nb\rc\nd"), "a\nb\nc\nd\n");
        assert_eq!(decode(b""), "");
        assert_eq!(decode(b"x\r"), "x\n");
    }

    #[test]
    fn detects_encodings() {
        assert_eq!(detect(&b"M\xC3\xBCller"[..]).unwrap(), TextEncoding::Utf8);
        assert_eq!(
            detect(&b"\xEF\xBB\xBFM\xC3\xBCller"[..]).unwrap(),
            TextEncoding::Utf8Bom
        );
        assert_eq!(
            detect(&b"M\xFCller"[..]).unwrap(),
            TextEncoding::Windows1252
        );
        assert_eq!(decode(b"M\xFCller\r\n"), "Müller\n");
        assert_eq!(decode(b"\xFF\xFEM\x00\xFC\x00\r\x00\n\x00"), "Mü\n");
    }

    #[test]
    fn utf8_split_across_chunks_is_utf8() {
        let mut v = vec![b'a'; CHUNK - 1];
        v.extend_from_slice("ü\n".as_bytes());
        assert_eq!(detect(&v[..]).unwrap(), TextEncoding::Utf8);
    }

    #[test]
    fn bad_inputs() {
        assert!(matches!(
            detect(&b"a\nb\x00"[..]),
            Err((Some(2), ErrorKind::NotText))
        ));
        assert!(matches!(
            detect(&"ü\n".bytes().chain(*b"\xFC").collect::<Vec<_>>()[..]),
            Err((Some(2), ErrorKind::MixedEncoding { utf8_line: 1, .. }))
        ));
        assert!(matches!(
            detect(&b"\xFC\n\x81"[..]),
            Err((Some(2), ErrorKind::Undecodable { byte: 0x81 }))
        ));
        assert!(matches!(
            detect(&b"\xEF\xBB\xBFa\n\xFC"[..]),
            Err((Some(2), ErrorKind::InvalidUtf8 { byte: 0xFC }))
        ));
    }
}
