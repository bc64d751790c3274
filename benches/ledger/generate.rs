//! The benchmark history: licenses and their changes over nine years, and
//! usage counts that mostly arrive out of date order (a migration of
//! years of inventory history), as an `import events` file. Shared by the
//! ledger and server benchmarks; deterministic for a given size.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::Path;

use jiff::civil::Date;
use jiff::ToSpan;

/// Events generated when `ENTITLE_BENCH_EVENTS` is not set.
pub const DEFAULT_EVENTS: u64 = 1_000_000;

const SEED: u64 = 0x00e1_7171_e5ee_d002;
const VENDORS: u64 = 500;
const PRODUCTS: u64 = 2_000;
const METRICS: [&str; 6] = [
    "user",
    "device",
    "core",
    "processor",
    "concurrent",
    "instance",
];

/// splitmix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 1.0 < p
    }
}

fn product_vendor(p: u64) -> u64 {
    // Products spread over vendors unevenly (a few big vendors), but every
    // vendor has at least one product.
    if p < VENDORS {
        p
    } else {
        (p * p / 7) % 60
    }
}

fn product_metric(p: u64) -> &'static str {
    METRICS[((p * 2_654_435_761) >> 7) as usize % METRICS.len()]
}

/// One generated line, before voids are woven in.
struct Gen {
    /// When it arrives: its date, or for a count that arrives out of date
    /// order, another.
    date: Date,
    /// For a usage count: its product and date.
    usage: Option<(u64, Date)>,
    /// Tie-break: generation order (a purchase precedes its changes).
    order: u64,
    kind: Kind,
    line: String,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Purchased,
    Extended,
    Adjusted,
    Cancelled,
    Usage,
    Voided,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Purchased => "purchased",
            Kind::Extended => "extended",
            Kind::Adjusted => "adjusted",
            Kind::Cancelled => "cancelled",
            Kind::Usage => "usage_recorded",
            Kind::Voided => "voided",
        }
    }
}

fn day(first: Date, n: u64) -> Date {
    first.checked_add((n as i64).days()).expect("date in range")
}

/// What the generator wrote.
pub struct Generated {
    /// Lines per kind.
    pub counts: BTreeMap<Kind, u64>,
    /// Usage counts dated before a count of the same product written
    /// earlier in the file.
    pub late_counts: u64,
}

/// Writes the import file. `out_of_order` is the share of usage counts
/// that arrive at a random moment rather than in date order.
pub fn generate(path: &Path, total: u64, licenses: u64, out_of_order: f64) -> Generated {
    let mut rng = Rng(SEED);
    let first = Date::constant(2016, 1, 1);
    let last = Date::constant(2024, 12, 31);
    let span_days = (last - first).get_days() as u64;
    let mut events: Vec<Gen> = Vec::with_capacity(total as usize);
    let mut order = 0u64;
    let mut push = |events: &mut Vec<Gen>, date: Date, kind: Kind, line: String| {
        order += 1;
        events.push(Gen {
            date,
            usage: None,
            order,
            kind,
            line,
        });
    };

    // Licenses and their changes: ~9 changes per license on average
    // (adjustments, renewals near the end of a term, a few cancellations),
    // and voids woven in later (≈1 per 9 changes).
    let change_budget = licenses * 9;
    let mut changes = 0u64;
    for n in 1..=licenses {
        let id = format!("L-{n:05}");
        let p = rng.below(PRODUCTS);
        let v = product_vendor(p);
        let metric = product_metric(p);
        let start = day(first, rng.below(span_days - 400));
        let qty = 5 + rng.below(500);
        let term = rng.below(100);
        let end = if term < 8 {
            None // perpetual
        } else if term < 14 {
            Some(start.checked_add(3.years()).unwrap().yesterday().unwrap())
        } else {
            Some(start.checked_add(1.year()).unwrap().yesterday().unwrap())
        };
        let mut line = format!(
            r#"{{"type":"purchased","id":"{id}","vendor":"Vendor {v}","product":"Product {p}","metric":"{metric}","qty":{qty},"start":"{start}""#
        );
        if let Some(end) = end {
            write!(line, r#","end":"{end}""#).unwrap();
        }
        if rng.chance(0.6) {
            let cents = 1_000 + rng.below(5_000_000);
            write!(
                line,
                r#","cost":"{}.{:02}","currency":"{}","po":"PO-{}""#,
                cents / 100,
                cents % 100,
                ["EUR", "USD", "GBP", "CHF"][rng.below(4) as usize],
                100_000 + rng.below(900_000)
            )
            .unwrap();
        }
        if end.is_some() && rng.chance(0.25) {
            line.push_str(r#","auto_renew":true"#);
        }
        line.push('}');
        push(&mut events, start, Kind::Purchased, line);

        // Changes dated strictly after the purchase, strictly increasing.
        let mut at = start;
        let mut cur_end = end;
        let mut cur_qty = qty;
        let want = if changes < change_budget {
            2 + rng.below(16)
        } else {
            0
        };
        for _ in 0..want {
            let eff = at.checked_add((1 + rng.below(120) as i64).days()).unwrap();
            let renew = cur_end.filter(|e| eff >= e.checked_sub(30.days()).unwrap());
            if let Some(e) = renew {
                // Near the end of the term: renewed (recorded a month
                // before the end) or left to lapse.
                let eff = e.checked_sub(30.days()).unwrap();
                if eff <= at || e >= last || !rng.chance(0.85) {
                    break;
                }
                let until = e.checked_add(1.year()).unwrap();
                let mut line = format!(
                    r#"{{"type":"extended","id":"{id}","until":"{until}","effective":"{eff}""#
                );
                if rng.chance(0.3) {
                    cur_qty = 5 + rng.below(500);
                    write!(line, r#","qty":{cur_qty}"#).unwrap();
                }
                line.push('}');
                push(&mut events, eff, Kind::Extended, line);
                at = eff;
                cur_end = Some(until);
            } else {
                if eff > last {
                    break;
                }
                cur_qty = (cur_qty as i64 + rng.below(41) as i64 - 20).max(1) as u64;
                let line = format!(
                    r#"{{"type":"adjusted","id":"{id}","qty":{cur_qty},"effective":"{eff}"}}"#
                );
                push(&mut events, eff, Kind::Adjusted, line);
                at = eff;
            }
            changes += 1;
        }
        if rng.chance(0.06) {
            let eff = at.checked_add((1 + rng.below(90) as i64).days()).unwrap();
            if eff <= last {
                let line = format!(r#"{{"type":"cancelled","id":"{id}","effective":"{eff}"}}"#);
                push(&mut events, eff, Kind::Cancelled, line);
                changes += 1;
            }
        }
    }
    let voids_wanted = changes / 9;

    // Usage counts: the rest, spread over products and the years.
    let usage = total - events.len() as u64 - voids_wanted;
    for _ in 0..usage {
        let p = rng.below(PRODUCTS);
        let v = product_vendor(p);
        let metric = product_metric(p);
        let date = day(first, rng.below(span_days + 1));
        let count = rng.below(800);
        let mut line = format!(
            r#"{{"type":"usage_recorded","vendor":"Vendor {v}","product":"Product {p}","metric":"{metric}","count":{count},"effective":"{date}""#
        );
        if rng.chance(0.5) {
            line.push_str(r#","source":"inventory scan""#);
        }
        line.push('}');
        // Most counts arrive as a migration brings them (several years of
        // an inventory tool's history at once, in no date order): at a
        // moment unrelated to their date. The rest arrive as counted.
        let arrives = if rng.chance(out_of_order) {
            day(first, rng.below(span_days + 1))
        } else {
            date
        };
        push(&mut events, arrives, Kind::Usage, line);
        events.last_mut().expect("just pushed").usage = Some((p, date));
    }
    events.sort_by_key(|e| (e.date, e.order));

    // Write, weaving in voids of adjustments and usage counts a few events
    // after the event they void (a correction soon after the mistake).
    let out = std::fs::File::create(path).expect("create import file");
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut counts = BTreeMap::new();
    let mut pending: VecDeque<(u64, u64)> = VecDeque::new(); // (write at seq, target)
    let mut seq = 0u64;
    let mut voids = 0u64;
    let p_void = voids_wanted as f64 / (total - licenses - voids_wanted) as f64 * 1.02;
    let mut write = |out: &mut BufWriter<_>, kind: Kind, line: &str, seq: &mut u64| {
        *seq += 1;
        *counts.entry(kind).or_insert(0) += 1;
        out.write_all(line.as_bytes()).unwrap();
        out.write_all(b"\n").unwrap();
    };
    let mut latest_count: std::collections::HashMap<u64, Date> = std::collections::HashMap::new();
    let mut late_counts = 0u64;
    let mut iter = events.into_iter().peekable();
    while seq < total {
        if let Some(&(when, target)) = pending.front() {
            if when <= seq + 1 || iter.peek().is_none() {
                pending.pop_front();
                let line = format!(
                    r#"{{"type":"voided","voids":{target},"note":"entered twice; see ticket {}"}}"#,
                    1000 + target % 9000
                );
                write(&mut out, Kind::Voided, &line, &mut seq);
                continue;
            }
        }
        let Some(e) = iter.next() else {
            if pending.is_empty() {
                break;
            }
            continue;
        };
        write(&mut out, e.kind, &e.line, &mut seq);
        if let Some((p, date)) = e.usage {
            let latest = latest_count.entry(p).or_insert(date);
            if date < *latest {
                late_counts += 1;
            }
            *latest = (*latest).max(date);
        }
        if matches!(e.kind, Kind::Adjusted | Kind::Usage)
            && voids < voids_wanted
            && rng.chance(p_void)
        {
            voids += 1;
            pending.push_back((seq + 1 + rng.below(50), seq));
        }
    }
    out.flush().unwrap();
    Generated {
        counts,
        late_counts,
    }
}
