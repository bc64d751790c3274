//! An RFC 5545 calendar writer for renewal deadlines: one all-day event per
//! deadline, each with reminders, ready to import into or subscribe from
//! Outlook, Thunderbird or Google Calendar.
//!
//! The output is deterministic: the caller supplies every UID and the
//! `DTSTAMP`, so exporting the same ledger twice gives the same bytes.
//!
//! # Stable UIDs, and why the date must not be in them
//!
//! A calendar program recognises an event it has seen by its `UID`. Build
//! the UID from what the reminder is *about*, not from when it falls:
//!
//! - right: `<license-id>-cancel-by@entitle` and `<license-id>-end@entitle`
//!   (and, if a ledger can hold several terms of one license at once, the
//!   term's start or number: `<license-id>-term-2024-01-01-cancel-by@entitle`);
//! - wrong: `<license-id>-cancel-by-2024-10-02@entitle`.
//!
//! When a term is extended or the notice period corrected, the deadline
//! moves. With a date-free UID, re-importing the file *moves* the existing
//! entry. With the date in the UID, the program sees a new event and keeps
//! the old one: the person now has two deadlines, one of them wrong — the
//! exact bug this ledger exists to prevent.
//!
//! Set [`AllDayEvent::sequence`] to a number that grows whenever the event's
//! date or text changes — the ledger's seq of the last event that changed the
//! license is ideal (it only grows, and is the same on every re-export).
//! RFC 5546 tells clients to accept an update only if its `SEQUENCE` (then
//! `DTSTAMP`) is not older than what they hold; Outlook in particular ignores
//! an import whose `SEQUENCE` is not higher. The `DTSTAMP` should likewise be
//! a fixed time from the ledger (the `recorded_at` of its newest event), not
//! the wall clock.
//!
//! # Examples
//!
//! ```
//! use entitle_ical::{AllDayEvent, Calendar};
//! use jiff::civil::date;
//!
//! let calendar = Calendar {
//!     prodid: "-//entitle//entitle 0.1//EN".into(),
//!     name: "Lizenzfristen".into(),
//!     events: vec![AllDayEvent {
//!         uid: "ms365-cancel-by@entitle".into(),
//!         sequence: 12,
//!         date: date(2024, 10, 2),
//!         summary: "Kündigen bis heute: Microsoft 365 E3".into(),
//!         description: "Läuft am 2024-12-31 ab; verlängert sich automatisch.".into(),
//!         alarms_days_before: vec![30, 7],
//!     }],
//! };
//! let ics = calendar.to_ics("2024-09-02T08:00:00Z".parse()?)?;
//! assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
//! assert!(ics.contains("DTSTART;VALUE=DATE:20241002\r\n"));
//! assert!(ics.contains("DTEND;VALUE=DATE:20241003\r\n"));
//! assert!(ics.contains("TRIGGER:-P30D\r\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io;

use jiff::civil::Date;
use jiff::Timestamp;

/// A calendar of all-day events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// `PRODID`: who made the file, e.g. `-//entitle//entitle 0.1//EN`.
    pub prodid: String,
    /// The calendar's display name (`X-WR-CALNAME`).
    pub name: String,
    /// The events, written in this order.
    pub events: Vec<AllDayEvent>,
}

/// One all-day event with reminders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllDayEvent {
    /// `UID`: stable across exports and across date changes; see the crate
    /// docs for how to build it. Should look like `something@domain`.
    pub uid: String,
    /// `SEQUENCE`: grows whenever the event changes (see the crate docs).
    /// Written only if non-zero. At most `i32::MAX` (RFC 5545 INTEGER).
    pub sequence: u32,
    /// The day (`DTSTART;VALUE=DATE`; `DTEND` is the next day).
    pub date: Date,
    /// `SUMMARY`: the title.
    pub summary: String,
    /// `DESCRIPTION`: details; may hold line breaks.
    pub description: String,
    /// One `VALARM` (a display reminder) per entry, this many days before
    /// the start of the day. 0 means on the day.
    pub alarms_days_before: Vec<u32>,
}

/// A calendar that cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IcalError {
    /// An event has an empty UID.
    #[error("event `{summary}` has an empty UID")]
    EmptyUid {
        /// The event's summary.
        summary: String,
    },
    /// Two events share a UID: calendar programs would show only one.
    #[error("two events have the UID `{0}`; calendar programs would keep only one of them")]
    DuplicateUid(String),
    /// A date outside the years 1–9998 (iCalendar dates have four-digit years, and DTEND is the next day).
    #[error("event `{uid}`: the date {date} cannot be written in iCalendar")]
    DateOutOfRange {
        /// The event's UID.
        uid: String,
        /// The date.
        date: Date,
    },
    /// The sequence number exceeds the RFC 5545 INTEGER range.
    #[error("event `{uid}`: SEQUENCE {sequence} is larger than {max}", max = i32::MAX)]
    SequenceTooLarge {
        /// The event's UID.
        uid: String,
        /// The sequence.
        sequence: u32,
    },
}

impl Calendar {
    /// Renders the calendar as iCalendar text: CRLF line ends, lines folded at
    /// 75 octets (never inside a UTF-8 character), TEXT values escaped.
    ///
    /// `dtstamp` is written as every event's `DTSTAMP` (UTC); pass a fixed
    /// time from the ledger so the output is reproducible.
    ///
    /// # Errors
    ///
    /// An [`IcalError`] for an empty or duplicate UID, a date that iCalendar
    /// cannot represent, or a sequence out of range.
    pub fn to_ics(&self, dtstamp: Timestamp) -> Result<String, IcalError> {
        let mut out = String::new();
        let mut seen = HashSet::new();
        let stamp = dtstamp.strftime("%Y%m%dT%H%M%SZ").to_string();
        let line = |out: &mut String, s: &str| fold_into(out, s);
        line(&mut out, "BEGIN:VCALENDAR");
        line(&mut out, "VERSION:2.0");
        line(&mut out, &format!("PRODID:{}", escape_text(&self.prodid)));
        line(&mut out, "CALSCALE:GREGORIAN");
        line(&mut out, "METHOD:PUBLISH");
        line(
            &mut out,
            &format!("X-WR-CALNAME:{}", escape_text(&self.name)),
        );
        for ev in &self.events {
            if ev.uid.trim().is_empty() {
                return Err(IcalError::EmptyUid {
                    summary: ev.summary.clone(),
                });
            }
            if !seen.insert(ev.uid.as_str()) {
                return Err(IcalError::DuplicateUid(ev.uid.clone()));
            }
            if i32::try_from(ev.sequence).is_err() {
                return Err(IcalError::SequenceTooLarge {
                    uid: ev.uid.clone(),
                    sequence: ev.sequence,
                });
            }
            let out_of_range = || IcalError::DateOutOfRange {
                uid: ev.uid.clone(),
                date: ev.date,
            };
            let end = ev.date.tomorrow().map_err(|_| out_of_range())?;
            if ev.date.year() < 1 || end.year() > 9999 {
                return Err(out_of_range());
            }
            line(&mut out, "BEGIN:VEVENT");
            line(&mut out, &format!("UID:{}", escape_text(&ev.uid)));
            if ev.sequence > 0 {
                line(&mut out, &format!("SEQUENCE:{}", ev.sequence));
            }
            line(&mut out, &format!("DTSTAMP:{stamp}"));
            line(
                &mut out,
                &format!("DTSTART;VALUE=DATE:{}", ical_date(ev.date)),
            );
            line(&mut out, &format!("DTEND;VALUE=DATE:{}", ical_date(end)));
            line(&mut out, &format!("SUMMARY:{}", escape_text(&ev.summary)));
            if !ev.description.is_empty() {
                line(
                    &mut out,
                    &format!("DESCRIPTION:{}", escape_text(&ev.description)),
                );
            }
            line(&mut out, "TRANSP:TRANSPARENT");
            for &days in &ev.alarms_days_before {
                line(&mut out, "BEGIN:VALARM");
                line(&mut out, "ACTION:DISPLAY");
                if days == 0 {
                    line(&mut out, "TRIGGER:PT0S");
                } else {
                    line(&mut out, &format!("TRIGGER:-P{days}D"));
                }
                line(
                    &mut out,
                    &format!("DESCRIPTION:{}", escape_text(&ev.summary)),
                );
                line(&mut out, "END:VALARM");
            }
            line(&mut out, "END:VEVENT");
        }
        line(&mut out, "END:VCALENDAR");
        Ok(out)
    }

    /// Writes [`Calendar::to_ics`] to `w`.
    ///
    /// # Errors
    ///
    /// As [`Calendar::to_ics`], as an [`io::Error`] of kind `InvalidInput`,
    /// or the writer's error.
    pub fn write_to<W: io::Write>(&self, mut w: W, dtstamp: Timestamp) -> io::Result<()> {
        let text = self
            .to_ics(dtstamp)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        w.write_all(text.as_bytes())
    }
}

fn ical_date(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

/// Escapes an RFC 5545 TEXT value: `\` `;` `,` and line breaks; other
/// control characters (not allowed in TEXT) become spaces.
#[must_use]
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded at 75 octets (RFC 5545 §3.1): continuation lines
/// start with a space, and a UTF-8 character is never split.
fn fold_into(out: &mut String, line: &str) {
    const LIMIT: usize = 75;
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > LIMIT {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    let _ = write!(out, "\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        assert_eq!(
            escape_text("a\\b;c,d\ne\r\nf\u{7}g"),
            "a\\\\b\\;c\\,d\\ne\\nf g"
        );
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let text = format!("DESCRIPTION:{}", "ü".repeat(100));
        fold_into(&mut out, &text);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        assert_eq!(out.replace("\r\n ", "").trim_end(), text);
        let mut short = String::new();
        fold_into(&mut short, &"x".repeat(75));
        assert_eq!(short, format!("{}\r\n", "x".repeat(75)));
        let mut long = String::new();
        fold_into(&mut long, &"x".repeat(76));
        assert_eq!(long, format!("{}\r\n x\r\n", "x".repeat(75)));
    }
}
