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

/// One count of a step chart: its date, the count and the entitled
/// quantity on that date (none: unlimited), and the point's title.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub date: Date,
    pub count: u64,
    pub entitled: Option<u64>,
    pub title: String,
}

/// Usage against the entitled quantity as two step lines over business
/// time: the counts (solid, a dot per count with its `<title>`) and the
/// entitled quantity (dashed); above the dashed line is a shortfall.
pub(crate) fn steps(lang: Lang, points: &[Step]) -> String {
    const H: f64 = 260.0;
    const BOTTOM: f64 = 36.0;
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return String::new();
    };
    let t = lang.t();
    let span = (days(last.date) - days(first.date)).max(1.0);
    let top = points
        .iter()
        .map(|p| p.count.max(p.entitled.unwrap_or(0)))
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.1;
    let x = |d: Date| {
        LEFT + PAD + (days(d) - days(first.date)) / span * (WIDTH - LEFT - RIGHT - 2.0 * PAD)
    };
    let y = |v: u64| TOP + (H - TOP - BOTTOM) * (1.0 - v as f64 / top);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="steps" viewBox="0 0 {WIDTH} {H}" role="img" aria-labelledby="steps-title"><title id="steps-title">{}</title>"#,
        esc(t.usage_chart_title)
    );
    // Axes, the zero line and the top value.
    let _ = write!(
        out,
        r#"<line class="axis" x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}"/><line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b}"/>"#,
        b = H - BOTTOM,
        r = WIDTH - RIGHT
    );
    let max_label = top / 1.1;
    let _ = write!(
        out,
        r#"<text class="label end" x="{lx}" y="{ty}">{}</text><text class="label end" x="{lx}" y="{zy}">0</text>"#,
        lang.number(max_label.round() as i64),
        lx = LEFT - 6.0,
        ty = y(max_label.round() as u64) + 4.0,
        zy = H - BOTTOM + 4.0
    );
    let _ = write!(
        out,
        r#"<text class="label mid" x="{}" y="{}">{}</text><text class="label mid" x="{}" y="{}">{}</text>"#,
        x(first.date),
        H - BOTTOM + 18.0,
        lang.date(first.date),
        x(last.date),
        H - BOTTOM + 18.0,
        lang.date(last.date)
    );
    // The two step lines.
    let path = |value: &dyn Fn(&Step) -> u64| {
        let mut d = String::new();
        for (i, p) in points.iter().enumerate() {
            let (px, py) = (x(p.date), y(value(p)));
            if i == 0 {
                let _ = write!(d, "M{px:.1},{py:.1}");
            } else {
                let _ = write!(d, " H{px:.1} V{py:.1}");
            }
        }
        let _ = write!(d, " H{:.1}", WIDTH - RIGHT);
        d
    };
    if points.iter().all(|p| p.entitled.is_some()) {
        let _ = write!(
            out,
            r#"<path class="entitled" d="{}"/>"#,
            path(&|p: &Step| p.entitled.unwrap_or(0))
        );
    }
    let _ = write!(
        out,
        r#"<path class="used" d="{}"/>"#,
        path(&|p: &Step| p.count)
    );
    for p in points {
        let _ = write!(
            out,
            r#"<circle class="count{}" cx="{:.1}" cy="{:.1}" r="3.5"><title>{}</title></circle>"#,
            if p.entitled.is_some_and(|e| p.count > e) {
                " over"
            } else {
                ""
            },
            x(p.date),
            y(p.count),
            esc(&p.title)
        );
    }
    out.push_str("</svg>");
    out
}
