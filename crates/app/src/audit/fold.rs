//! The re-fold: what the disclosed records alone say, as of a date and
//! known at a seq — folded from nothing with `entitle_core`, the same
//! whether a pack is made or verified.

use std::collections::BTreeMap;

use entitle_core::ledger::{Batch, Empty, Head};
use entitle_core::position::{position, review, ReviewedRow, DEFAULT_STALE_AFTER_DAYS};
use entitle_core::timeline::LicenseView;
use entitle_core::{Event, Record};
use jiff::civil::Date;

use super::csv::{licenses_csv, position_csv, usage_csv};
use super::Layout;

/// What the disclosed records say, as of a date and known at a seq.
pub(super) struct Derived {
    /// The licenses visible on the date, by id.
    pub(super) views: Vec<LicenseView>,
    /// The position with its money.
    pub(super) position: Vec<ReviewedRow>,
    /// `position.csv`.
    pub(super) position_csv: Vec<u8>,
    /// `licenses.csv`.
    pub(super) licenses_csv: Vec<u8>,
    /// `usage.csv`.
    pub(super) usage_csv: Vec<u8>,
}

impl Derived {
    /// Re-folds the disclosed records from nothing with entitle_core, the
    /// CSV files written as pack format `layout` writes them. A record the
    /// ledger refuses is named (`event #N: why`).
    pub(super) fn fold(
        layout: Layout,
        records: &[Record],
        as_of: Date,
        known: u64,
    ) -> Result<Self, String> {
        let mut batch = Batch::new(&Empty, Head::default());
        for r in records {
            batch
                .apply(r)
                .map_err(|e| format!("event #{}: {e}", r.seq))?;
        }
        let changes = batch.finish();
        let mut views: Vec<LicenseView> = changes
            .licenses
            .iter()
            .filter_map(|t| t.view(as_of, known))
            .collect();
        views.sort_by(|a, b| a.id.cmp(&b.id));
        // Installations disclosed with the vendor's records count as the
        // store counts them (the hosts' facts are disclosed with them).
        let hosts: BTreeMap<String, entitle_core::inventory::HostView> = changes
            .hosts
            .iter()
            .filter_map(|t| t.view(as_of, known))
            .map(|v| (v.key.clone(), v))
            .collect();
        let rows = position(&views, changes.usage.iter().map(|(_, s)| s), as_of, known);
        let rows = entitle_core::position::with_inventory(
            rows,
            &views,
            &hosts,
            as_of,
            DEFAULT_STALE_AFTER_DAYS,
        );
        let position = review(rows, &views, as_of, DEFAULT_STALE_AFTER_DAYS);
        let position_csv = position_csv(layout, &position, as_of, known);
        let licenses_csv = licenses_csv(layout, &views);
        let usage_csv = usage_csv(layout, records, as_of, known);
        Ok(Derived {
            views,
            position,
            position_csv,
            licenses_csv,
            usage_csv,
        })
    }
}

/// Which disclosed event voided each seq.
pub(super) fn voids(records: &[Record]) -> BTreeMap<u64, u64> {
    let mut out = BTreeMap::new();
    for r in records {
        if let Event::Voided(v) = &r.event {
            out.entry(v.voids).or_insert(r.seq);
        }
    }
    out
}
