//! Printing: plain tables for people, JSON for programs.

use std::io::{self, Write};

use anyhow::Result;
use serde::Serialize;

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

/// A plain-text table that fits the terminal by shortening the widest
/// shrinkable columns.
#[derive(Debug)]
pub struct Table {
    headers: Vec<(&'static str, Align, bool)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Columns: name, alignment, whether it may be shortened.
    pub fn new(headers: &[(&'static str, Align, bool)]) -> Self {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders for a terminal of `width` columns.
    pub fn render(&self, width: usize) -> String {
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
        for row in std::iter::once(&header).chain(self.rows.iter()) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate().take(n) {
                let cell = shorten(cell, widths[i]);
                let pad = widths[i] - cell.chars().count();
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

    /// Prints to stdout, fitted to the terminal (80 columns when unknown).
    pub fn print(&self) -> Result<()> {
        let width = terminal_width();
        io::stdout()
            .lock()
            .write_all(self.render(width).as_bytes())?;
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

/// Colour only on a terminal, and never when `NO_COLOR` is set.
pub fn use_color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let text = t.render(40);
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
        assert!(text.contains('…'));
        assert!(text.lines().nth(1).unwrap().ends_with("200"));
    }
}
