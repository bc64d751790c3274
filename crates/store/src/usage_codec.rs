//! The on-disk form of a usage series' year (the store keeps one value per
//! product and calendar year): a small postcard header (key, names,
//! sources) followed by fixed-width entries, so that the position can find
//! the latest counted entry on a date by binary search over the raw bytes,
//! without decoding the other hundreds of counts of the year.
//!
//! ```text
//! u32 LE  header length H
//! H bytes postcard UsageHeader
//! n × 32  entries sorted by (effective, seq):
//!         i32 effective (days since 1970-01-01), u32 source (u32::MAX: none),
//!         u64 seq, u64 voided_by (0: none), u64 count — all little-endian
//! ```

use entitle_core::compact::{date_from_days, to_days};
use entitle_core::timeline::{counts, UsageEntry, UsageSeries};
use entitle_core::ProductKey;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

const ENTRY: usize = 32;

#[derive(Serialize, Deserialize)]
struct UsageHeader {
    key: ProductKey,
    vendor: String,
    product: String,
    sources: Vec<String>,
    last_seq: u64,
}

/// Encodes a series.
pub(crate) fn encode(series: &UsageSeries) -> Vec<u8> {
    let header = postcard::to_stdvec(&UsageHeader {
        key: series.key.clone(),
        vendor: series.vendor.clone(),
        product: series.product.clone(),
        sources: series.sources.clone(),
        last_seq: series.last_seq,
    })
    .expect("headers encode");
    let mut out = Vec::with_capacity(4 + header.len() + ENTRY * series.entries.len());
    out.extend_from_slice(
        &u32::try_from(header.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    out.extend_from_slice(&header);
    for e in &series.entries {
        out.extend_from_slice(&to_days(e.effective).to_le_bytes());
        out.extend_from_slice(&e.source.unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(&e.seq.to_le_bytes());
        out.extend_from_slice(&e.voided_by.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&e.count.to_le_bytes());
    }
    out
}

struct Raw<'a> {
    header: UsageHeader,
    entries: &'a [u8],
}

fn split(bytes: &[u8]) -> Result<Raw<'_>, String> {
    let len = bytes
        .get(..4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
        .ok_or("usage series too short")?;
    let header_bytes = bytes.get(4..4 + len).ok_or("usage series header cut off")?;
    let header: UsageHeader =
        postcard::from_bytes(header_bytes).map_err(|e| format!("usage series header: {e}"))?;
    let entries = &bytes[4 + len..];
    if !entries.len().is_multiple_of(ENTRY) {
        return Err("usage series entries cut off".into());
    }
    Ok(Raw { header, entries })
}

fn entry(raw: &[u8], i: usize) -> Result<UsageEntry, String> {
    let b = &raw[i * ENTRY..(i + 1) * ENTRY];
    let le8 = |r: std::ops::Range<usize>| u64::from_le_bytes(b[r].try_into().expect("8 bytes"));
    let day = i32::from_le_bytes(b[0..4].try_into().expect("4 bytes"));
    let source = u32::from_le_bytes(b[4..8].try_into().expect("4 bytes"));
    let voided = le8(16..24);
    Ok(UsageEntry {
        seq: le8(8..16),
        effective: date_from_days(day).ok_or_else(|| format!("day number {day} out of range"))?,
        voided_by: (voided != 0).then_some(voided),
        count: le8(24..32),
        source: (source != u32::MAX).then_some(source),
    })
}

fn effective_days(raw: &[u8], i: usize) -> i32 {
    i32::from_le_bytes(raw[i * ENTRY..i * ENTRY + 4].try_into().expect("4 bytes"))
}

/// Decodes a whole series.
pub(crate) fn decode(bytes: &[u8]) -> Result<UsageSeries, String> {
    let raw = split(bytes)?;
    let n = raw.entries.len() / ENTRY;
    let entries = (0..n)
        .map(|i| entry(raw.entries, i))
        .collect::<Result<_, _>>()?;
    Ok(UsageSeries {
        key: raw.header.key,
        vendor: raw.header.vendor,
        product: raw.header.product,
        entries,
        sources: raw.header.sources,
        last_seq: raw.header.last_seq,
    })
}

/// Decodes a series with only its latest counted entry dated on or before
/// `as_of` as known at `known` (or none): all the position needs.
pub(crate) fn decode_latest(bytes: &[u8], as_of: Date, known: u64) -> Result<UsageSeries, String> {
    let raw = split(bytes)?;
    let n = raw.entries.len() / ENTRY;
    let limit = to_days(as_of);
    // First index whose effective is after the date.
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if effective_days(raw.entries, mid) <= limit {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let mut latest = None;
    for i in (0..lo).rev() {
        let e = entry(raw.entries, i)?;
        if counts(e.seq, e.voided_by, known) {
            latest = Some(e);
            break;
        }
    }
    Ok(UsageSeries {
        key: raw.header.key,
        vendor: raw.header.vendor,
        product: raw.header.product,
        entries: latest.into_iter().collect(),
        sources: raw.header.sources,
        last_seq: raw.header.last_seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use entitle_core::Metric;

    fn series() -> UsageSeries {
        let mut s = UsageSeries {
            key: ProductKey::new("Acme", "CAD", Metric::User),
            vendor: "Acme".into(),
            product: "CAD".into(),
            entries: vec![],
            sources: vec![],
            last_seq: 0,
        };
        for (seq, d, count, void) in [
            (3, "2024-01-10", 4, None),
            (5, "2024-01-10", 7, Some(9)),
            (8, "2024-02-01", 1, None),
        ] {
            let source = s.intern(Some("inventory"));
            s.insert(UsageEntry {
                seq,
                effective: d.parse().unwrap(),
                voided_by: void,
                count,
                source,
            });
        }
        s
    }

    #[test]
    fn round_trips_and_finds_the_latest_like_the_full_series() {
        let s = series();
        let bytes = encode(&s);
        assert_eq!(decode(&bytes).unwrap(), s);
        for (d, known) in [
            ("2024-01-09", 100),
            ("2024-01-10", 8),
            ("2024-01-31", 100),
            ("2024-03-01", 7),
            ("2024-03-01", 100),
        ] {
            let as_of: Date = d.parse().unwrap();
            let partial = decode_latest(&bytes, as_of, known).unwrap();
            assert_eq!(
                partial.latest(as_of, known),
                s.latest(as_of, known),
                "{d} known at {known}"
            );
        }
    }
}
