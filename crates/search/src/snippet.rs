//! Snippets: the best short fragment of a document's text, with the
//! query's words marked.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use serde::Serialize;
use tantivy::tokenizer::TextAnalyzer;

use crate::query::{Analyzers, Highlights};

/// Longest fragment, in characters (not counting the `…` added at cut ends).
const MAX_FRAGMENT_CHARS: usize = 200;
/// Context kept before the first highlighted word, in characters.
const LEAD_CHARS: usize = 40;

/// A fragment of a document's text with the byte ranges of the words that
/// matched the query.
///
/// Runs of whitespace (line breaks included) are collapsed to one space, and
/// a fragment cut out of a longer text starts or ends with `…`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Snippet {
    /// The text shown.
    pub fragment: String,
    /// Byte ranges into `fragment` to highlight, sorted, not overlapping,
    /// each on `char` boundaries.
    pub highlights: Vec<Range<usize>>,
}

impl Snippet {
    /// Renders the fragment with each highlighted range between `open` and
    /// `close` (for example ANSI colour codes).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = entitle_search::Snippet {
    ///     fragment: "a 90 day notice period".to_string(),
    ///     highlights: vec![9..15],
    /// };
    /// assert_eq!(s.render("[", "]"), "a 90 day [notice] period");
    /// assert_eq!(s.to_string(), "a 90 day **notice** period");
    /// ```
    #[must_use]
    pub fn render(&self, open: &str, close: &str) -> String {
        let mut out = String::with_capacity(self.fragment.len() + 8 * self.highlights.len());
        let mut at = 0;
        for r in &self.highlights {
            let (Some(before), Some(word)) =
                (self.fragment.get(at..r.start), self.fragment.get(r.clone()))
            else {
                continue;
            };
            out.push_str(before);
            out.push_str(open);
            out.push_str(word);
            out.push_str(close);
            at = r.end;
        }
        out.push_str(self.fragment.get(at..).unwrap_or_default());
        out
    }
}

/// Shows the fragment with highlights as `**word**` (Markdown bold).
impl fmt::Display for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("**", "**"))
    }
}

/// One word of the text and whether it is highlighted.
struct Word {
    range: Range<usize>,
    /// Which query word it matched (to prefer fragments with many different
    /// words), if any.
    key: Option<String>,
}

/// Builds the snippet of `text` for a query's highlights.
pub(crate) fn make(text: &str, highlights: &Highlights, analyzers: &mut Analyzers) -> Snippet {
    let words = if highlights.is_empty() {
        Vec::new()
    } else {
        mark_words(text, highlights, analyzers)
    };
    let hits: Vec<usize> = (0..words.len())
        .filter(|&i| words[i].key.is_some())
        .collect();
    let Some(window) = best_window(text, &words, &hits) else {
        // Nothing to mark (a filter-only search, or the match was in the
        // filename): the start of the text.
        let end = byte_after_chars(text, 0, MAX_FRAGMENT_CHARS);
        return assemble(text, 0..end, &[]);
    };
    let marked: Vec<Range<usize>> = hits
        .iter()
        .map(|&i| words[i].range.clone())
        .filter(|r| r.start >= window.start && r.end <= window.end)
        .collect();
    assemble(text, window, &marked)
}

/// Splits `text` into words and marks those that match the query.
///
/// The text is tokenised once (unstemmed); each distinct word is then
/// stemmed at most once per analysis: contract language repeats its words,
/// and stemming is the expensive part.
fn mark_words(text: &str, h: &Highlights, analyzers: &mut Analyzers) -> Vec<Word> {
    let mut memo: HashMap<&str, Option<String>> = HashMap::new();
    tokens(&mut analyzers.raw, text)
        .into_iter()
        .map(|(range, raw_text)| {
            let word = &text[range.clone()];
            let key = if let Some(key) = memo.get(word) {
                key.clone()
            } else {
                let key = classify(word, &raw_text, h, analyzers);
                memo.insert(word, key.clone());
                key
            };
            Word { range, key }
        })
        .collect()
}

/// Which query word `word` matches, if any: its German stem, its English
/// stem, or its unstemmed form against the prefixes.
fn classify(word: &str, raw: &str, h: &Highlights, analyzers: &mut Analyzers) -> Option<String> {
    if !h.de.is_empty() {
        if let Some(stem) = one_token(&mut analyzers.de, word).filter(|t| h.de.contains(t)) {
            return Some(format!("de:{stem}"));
        }
    }
    if !h.en.is_empty() {
        if let Some(stem) = one_token(&mut analyzers.en, word).filter(|t| h.en.contains(t)) {
            return Some(format!("en:{stem}"));
        }
    }
    h.prefixes
        .iter()
        .find(|p| raw.starts_with(p.as_str()))
        .map(|p| format!("prefix:{p}"))
}

/// The analysed form of a single word.
fn one_token(analyzer: &mut TextAnalyzer, word: &str) -> Option<String> {
    let mut stream = analyzer.token_stream(word);
    stream.next().map(|t| t.text.clone())
}

fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(Range<usize>, String)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push((t.offset_from..t.offset_to, t.text.clone()));
    }
    out
}

/// The byte range of the best fragment: the one whose window holds the most
/// different query words, then the most hits, then the earliest.
fn best_window(text: &str, words: &[Word], hits: &[usize]) -> Option<Range<usize>> {
    let mut best: Option<((usize, usize), usize, usize)> = None; // (score, first hit, last hit)
    for (n, &first) in hits.iter().enumerate() {
        let start = words[first].range.start;
        let limit = byte_after_chars(text, start, MAX_FRAGMENT_CHARS - LEAD_CHARS);
        let mut keys: Vec<&str> = Vec::new();
        let mut last = first;
        let mut count = 0;
        for &h in &hits[n..] {
            if words[h].range.end > limit {
                break;
            }
            let key = words[h].key.as_deref().unwrap_or_default();
            if !keys.contains(&key) {
                keys.push(key);
            }
            last = h;
            count += 1;
        }
        let score = (keys.len(), count);
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, first, last));
        }
    }
    let (_, first, last) = best?;
    // Start up to LEAD_CHARS before the first hit, at a word's start.
    let lead_floor = byte_before_chars(text, words[first].range.start, LEAD_CHARS);
    let start = words
        .iter()
        .map(|w| w.range.start)
        .find(|&s| s >= lead_floor)
        .unwrap_or(words[first].range.start)
        .min(words[first].range.start);
    let start = if start == words[0].range.start {
        0
    } else {
        start
    };
    // End at the last word that fits, at least the last hit.
    let max_end = byte_after_chars(text, start, MAX_FRAGMENT_CHARS);
    let end = words
        .iter()
        .map(|w| w.range.end)
        .filter(|&e| e <= max_end)
        .max()
        .unwrap_or(0)
        .max(words[last].range.end);
    let end = if words.last().is_some_and(|w| w.range.end == end) {
        text.len()
    } else {
        end
    };
    Some(start..end)
}

/// Byte offset `chars` characters after `from` (or the end of `text`).
fn byte_after_chars(text: &str, from: usize, chars: usize) -> usize {
    text[from..]
        .char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| from + i)
}

/// Byte offset `chars` characters before `to` (or 0).
fn byte_before_chars(text: &str, to: usize, chars: usize) -> usize {
    if chars == 0 {
        return to;
    }
    text[..to]
        .char_indices()
        .rev()
        .nth(chars - 1)
        .map_or(0, |(i, _)| i)
}

/// Cuts `window` out of `text`, collapses whitespace, adds `…` at cut ends
/// and moves the highlight ranges along.
fn assemble(text: &str, window: Range<usize>, marked: &[Range<usize>]) -> Snippet {
    let mut fragment = String::with_capacity(window.len() + 8);
    let mut highlights = Vec::with_capacity(marked.len());
    let cut_start = !text[..window.start].trim().is_empty();
    let cut_end = !text[window.end..].trim().is_empty();
    if cut_start {
        fragment.push('…');
    }
    let mut marks = marked.iter().peekable();
    let mut open: Option<usize> = None;
    let mut in_space = false;
    let body = &text[window.clone()];
    for (i, c) in body.char_indices() {
        let at = window.start + i;
        if let Some(start) = open {
            if marks.peek().is_some_and(|m| m.end <= at) {
                highlights.push(start..fragment.len());
                open = None;
                marks.next();
            }
        }
        if open.is_none() && marks.peek().is_some_and(|m| m.start == at) {
            open = Some(fragment.len());
        }
        if c.is_whitespace() {
            if !in_space && !fragment.is_empty() && !fragment.ends_with('…') {
                fragment.push(' ');
            }
            in_space = true;
        } else {
            fragment.push(c);
            in_space = false;
        }
    }
    if let Some(start) = open {
        highlights.push(start..fragment.len());
    }
    while fragment.ends_with(' ') {
        fragment.pop();
    }
    if cut_end {
        fragment.push('…');
    }
    // Merge ranges that touch (a phrase's words stay separate: a space
    // lies between them).
    highlights.dedup_by(|b, a| {
        if b.start <= a.end {
            a.end = a.end.max(b.end);
            true
        } else {
            false
        }
    });
    Snippet {
        fragment,
        highlights,
    }
}
