//! Printing: plain tables for people, JSON for programs.

use std::ffi::OsStr;
use std::io::{self, Write};
use std::sync::OnceLock;

use anyhow::Result;
use serde::Serialize;

use crate::cli::ColorChoice;

/// Writes a value as one line of JSON to stdout.
pub fn json<T: Serialize>(value: &T) -> Result<()> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Alignment of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// The colour of a status word: red when money is at risk or it is time
/// to act, yellow for attention, green for in order, magenta for records
/// that cannot be compared, dim for what no longer counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    Red,
    Yellow,
    Green,
    Magenta,
    Dim,
    /// Bold yellow: a search hit.
    Highlight,
}

/// Ends any [`Paint`].
pub const RESET: &str = "\x1b[0m";

impl Paint {
    /// The escape sequence that starts this colour.
    pub const fn open(self) -> &'static str {
        match self {
            Paint::Red => "\x1b[31m",
            Paint::Yellow => "\x1b[33m",
            Paint::Green => "\x1b[32m",
            Paint::Magenta => "\x1b[35m",
            Paint::Dim => "\x1b[2m",
            Paint::Highlight => "\x1b[1;33m",
        }
    }

    /// `text` in this colour.
    pub fn paint(self, text: &str) -> String {
        format!("{}{text}{RESET}", self.open())
    }
}

/// A plain-text table that fits the terminal by shortening the widest
/// shrinkable columns. One cell per row may be coloured (the status); the
/// layout is computed on the plain text, so colour never changes a width.
#[derive(Debug)]
pub struct Table {
    headers: Vec<(&'static str, Align, bool)>,
    rows: Vec<Vec<String>>,
    /// Per row: the column to colour and how.
    paints: Vec<Option<(usize, Paint)>>,
}

impl Table {
    /// Columns: name, alignment, whether it may be shortened.
    pub fn new(headers: &[(&'static str, Align, bool)]) -> Self {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
            paints: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.painted_row(cells, 0, None);
    }

    /// A row whose cell in `column` is coloured with `paint` when colour
    /// is on.
    pub fn painted_row(&mut self, cells: Vec<String>, column: usize, paint: Option<Paint>) {
        self.rows.push(cells.into_iter().map(visible).collect());
        self.paints.push(paint.map(|p| (column, p)));
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders for a terminal of `width` columns, colouring the painted
    /// cells when `color`.
    pub fn render(&self, width: usize, color: bool) -> String {
        let n = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.0.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(n) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * (n.saturating_sub(1));
        while total(&widths) > width {
            let Some((i, _)) = widths
                .iter()
                .enumerate()
                .filter(|(i, w)| self.headers[*i].2 && **w > 8)
                .max_by_key(|(_, w)| **w)
            else {
                break;
            };
            widths[i] -= 1;
        }
        let mut out = String::new();
        let header: Vec<String> = self.headers.iter().map(|h| h.0.to_owned()).collect();
        let paints = std::iter::once(&None).chain(self.paints.iter());
        for (row, paint) in std::iter::once(&header).chain(self.rows.iter()).zip(paints) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate().take(n) {
                let cell = shorten(cell, widths[i]);
                let pad = widths[i] - cell.chars().count();
                let cell = match paint {
                    Some((column, p)) if color && *column == i => p.paint(&cell),
                    _ => cell,
                };
                if i > 0 {
                    line.push_str("  ");
                }
                match self.headers[i].1 {
                    Align::Left => {
                        line.push_str(&cell);
                        if i + 1 < n {
                            line.push_str(&" ".repeat(pad));
                        }
                    }
                    Align::Right => {
                        line.push_str(&" ".repeat(pad));
                        line.push_str(&cell);
                    }
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// Prints to stdout, fitted to the terminal (80 columns when unknown),
    /// in colour when [`use_color`] says so.
    pub fn print(&self) -> Result<()> {
        let width = terminal_width();
        io::stdout()
            .lock()
            .write_all(self.render(width, use_color()).as_bytes())?;
        Ok(())
    }
}

fn shorten(cell: &str, width: usize) -> String {
    if cell.chars().count() <= width {
        return cell.to_owned();
    }
    let mut s: String = cell.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The `--color` given on the command line, set once before a command runs.
static COLOR_CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Records `--color` for [`use_color`]. Called once, by `main`.
pub fn set_color_choice(choice: ColorChoice) {
    let _ = COLOR_CHOICE.set(choice);
}

/// Whether to print colour: the one place that decides, for every table
/// and highlight. `--color always` or `never` as given; `auto` (the
/// default) only when stdout is a terminal and `NO_COLOR` is unset or
/// empty. JSON and CSV never ask.
pub fn use_color() -> bool {
    use std::io::IsTerminal;
    let choice = COLOR_CHOICE.get().copied().unwrap_or(ColorChoice::Auto);
    decide_color(
        choice,
        std::env::var_os("NO_COLOR").as_deref(),
        io::stdout().is_terminal(),
    )
}

fn decide_color(choice: ColorChoice, no_color: Option<&OsStr>, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && no_color.is_none_or(OsStr::is_empty),
    }
}

/// `$COLUMNS` when set, else 80.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(80)
}

/// `-` for nothing.
pub fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// A cell as a terminal may show it: a line break or tab (a note may hold
/// them) is a space, other control and invisible characters (in records
/// written before entitle refused them) become `\u{..}` escapes, so a
/// name can neither move the cursor nor pass for another.
pub fn visible(cell: String) -> String {
    let odd = |c: char| c.is_control() || entitle_core::text::is_invisible(c);
    if !cell.chars().any(odd) {
        return cell;
    }
    let mut out = String::with_capacity(cell.len());
    for c in cell.chars() {
        match c {
            '\n' | '\t' => out.push(' '),
            c if odd(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_shows_line_breaks_as_spaces_and_escapes_the_rest() {
        assert_eq!(visible("first\nsecond\tthird".into()), "first second third");
        assert_eq!(visible("Ad\u{1b}[2Jobe".into()), "Ad\\u{1b}[2Jobe");
        assert_eq!(visible("Micro\u{200b}soft".into()), "Micro\\u{200b}soft");
        assert_eq!(visible("Müller".into()), "Müller");
    }

    #[test]
    fn table_fits_the_width() {
        let mut t = Table::new(&[
            ("ID", Align::Left, false),
            ("PRODUCT", Align::Left, true),
            ("QTY", Align::Right, false),
        ]);
        t.row(vec![
            "L-0001".into(),
            "A very long product name that will not fit at all in here".into(),
            "200".into(),
        ]);
        let text = t.render(40, false);
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
        assert!(text.contains('…'));
        assert!(text.lines().nth(1).unwrap().ends_with("200"));
    }

    #[test]
    fn colour_wraps_only_the_painted_cell_and_keeps_the_layout() {
        let mut t = Table::new(&[
            ("PRODUCT", Align::Left, true),
            ("STATUS", Align::Left, false),
            ("END", Align::Left, false),
        ]);
        t.painted_row(
            vec![
                "A long product name to shorten".into(),
                "expired".into(),
                "2024-12-31".into(),
            ],
            1,
            Some(Paint::Dim),
        );
        t.painted_row(vec!["CAD".into(), "active".into(), "-".into()], 1, None);
        let plain = t.render(40, false);
        let coloured = t.render(40, true);
        assert_eq!(coloured.replace("\x1b[2m", "").replace(RESET, ""), plain);
        assert!(
            coloured.contains("\x1b[2mexpired\x1b[0m  2024-12-31"),
            "{coloured:?}"
        );
        assert_eq!(coloured.matches('\x1b').count(), 2, "{coloured:?}");
        assert!(!t.render(40, false).contains('\x1b'));
        assert!(coloured.lines().next().unwrap().starts_with("PRODUCT"));
    }

    #[test]
    fn color_choice() {
        let empty = OsStr::new("");
        let set = OsStr::new("1");
        for (no_color, terminal) in [(None, true), (None, false), (Some(set), true)] {
            assert!(decide_color(ColorChoice::Always, no_color, terminal));
            assert!(!decide_color(ColorChoice::Never, no_color, terminal));
        }
        assert!(decide_color(ColorChoice::Auto, None, true));
        assert!(decide_color(ColorChoice::Auto, Some(empty), true));
        assert!(!decide_color(ColorChoice::Auto, Some(set), true));
        assert!(!decide_color(ColorChoice::Auto, None, false));
    }
}
