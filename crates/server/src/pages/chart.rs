//! The bitemporal chart of a license's history, as SVG drawn on the
//! server: business date across, recorded time down, each event a mark
//! with a `<title>` (so the chart never is the only carrier of a figure),
//! a voided event struck through with a line from the void that
//! cancelled it. Colours come from the stylesheet through classes (the
//! CSP allows no inline style).

use std::fmt::Write as _;

use jiff::civil::Date;
use jiff::Timestamp;

use super::i18n::Lang;

/// One event on the chart.
#[derive(Debug, Clone)]
pub(crate) struct Mark {
    pub seq: u64,
    pub effective: Date,
    pub recorded: Timestamp,
    pub voided_by: Option<u64>,
    pub is_void: bool,
    /// "#20 adjusted: qty 300" — the mark's title.
    pub title: String,
}

const WIDTH: f64 = 760.0;
const LEFT: f64 = 104.0;
/// Room between the axes and the first and last marks.
const PAD: f64 = 14.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 34.0;
const ROW: f64 = 26.0;

/// Text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn days(d: Date) -> f64 {
    f64::from(
        d.since(Date::constant(1970, 1, 1))
            .map_or(0, |s| s.get_days()),
    )
}

/// The chart, or nothing for a history without events. `as_of` is drawn
/// as a vertical line, `known_seq` (when the view is not as known now) as
/// a horizontal one below the last event known then.
pub(crate) fn svg(lang: Lang, marks: &[Mark], as_of: Date, known_seq: Option<u64>) -> String {
    if marks.is_empty() {
        return String::new();
    }
    let t = lang.t();
    let min = marks
        .iter()
        .map(|m| m.effective)
        .min()
        .unwrap_or(as_of)
        .min(as_of);
    let max = marks
        .iter()
        .map(|m| m.effective)
        .max()
        .unwrap_or(as_of)
        .max(as_of);
    let span = (days(max) - days(min)).max(1.0);
    let x =
        |d: Date| LEFT + PAD + (days(d) - days(min)) / span * (WIDTH - LEFT - RIGHT - 2.0 * PAD);
    // Recorded time down, one row per event in seq order: evenly spaced, so
    // that events recorded close together stay apart; the row's label
    // says when.
    let y = |i: usize| TOP + ROW * (i as f64 + 0.5);
    let height = TOP + ROW * marks.len() as f64 + 30.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{}</title>"#,
        esc(t.chart)
    );
    // Axes and their labels.
    let bottom = height - 30.0;
    let _ = write!(
        s,
        r#"<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{}" y2="{TOP}"/><line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/>"#,
        WIDTH - RIGHT
    );
    let _ = write!(
        s,
        r#"<text class="label" x="{LEFT}" y="{}">{}</text><text class="label end" x="{}" y="{}">{}</text><text class="label" x="{}" y="{}" text-anchor="middle">{}</text>"#,
        TOP - 8.0,
        esc(&lang.date(min)),
        WIDTH - RIGHT,
        TOP - 8.0,
        esc(&lang.date(max)),
        (LEFT + WIDTH - RIGHT) / 2.0,
        TOP - 8.0,
        esc(t.chart_across)
    );
    let _ = write!(
        s,
        r#"<text class="label" x="4" y="{}">{}</text>"#,
        bottom + 18.0,
        esc(t.chart_down)
    );
    // The view's date.
    let ax = x(as_of);
    let _ = write!(
        s,
        r#"<line class="asof" x1="{ax:.1}" y1="{TOP}" x2="{ax:.1}" y2="{bottom}"><title>{}</title></line>"#,
        esc(&format!("{}: {}", t.as_of, lang.date(as_of)))
    );
    // The view's moment of knowledge.
    if let Some(k) = known_seq {
        let known_rows = marks.iter().filter(|m| m.seq <= k).count();
        if known_rows < marks.len() {
            let ky = TOP + ROW * known_rows as f64;
            let _ = write!(
                s,
                r#"<line class="known" x1="{LEFT}" y1="{ky:.1}" x2="{}" y2="{ky:.1}"><title>{}</title></line>"#,
                WIDTH - RIGHT,
                esc(&lang.known_at_seq(k))
            );
        }
    }
    let index_of = |seq: u64| marks.iter().position(|m| m.seq == seq);
    for (i, m) in marks.iter().enumerate() {
        let (mx, my) = (x(m.effective), y(i));
        let recorded = m.recorded.to_zoned(jiff::tz::TimeZone::UTC).date();
        let _ = write!(
            s,
            r#"<text class="label" x="4" y="{:.1}">#{} {}</text>"#,
            my + 4.0,
            m.seq,
            esc(&lang.date(recorded))
        );
        if let Some(v) = m.voided_by.and_then(index_of) {
            let _ = write!(
                s,
                r#"<line class="voidline" x1="{mx:.1}" y1="{my:.1}" x2="{mx:.1}" y2="{:.1}"/>"#,
                y(v)
            );
        }
        let class = if m.voided_by.is_some() {
            "mark voided"
        } else if m.is_void {
            "mark void"
        } else {
            "mark"
        };
        let _ = write!(
            s,
            r#"<g class="{class}"><title>{}</title><circle cx="{mx:.1}" cy="{my:.1}" r="6"/>"#,
            esc(&m.title)
        );
        if m.voided_by.is_some() {
            let _ = write!(
                s,
                r#"<line class="strike" x1="{:.1}" y1="{my:.1}" x2="{:.1}" y2="{my:.1}"/>"#,
                mx - 10.0,
                mx + 10.0
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}
