//! The questions: the license state, the position, a license's history,
//! renewals and spend — on any business date, as known at any moment.

mod history;
mod inventory;
mod position;
mod renewals;
mod spend;
mod state;
mod usage;

pub use history::{history, host_history, History, HistoryEvent, HostHistory};
pub use inventory::{inventory, HostInventory, InUse, Inventory, InventoryRequest, Software};
pub use position::{position, reviewed, MoneyTotals, Position, PositionRequest, ProductRow};
pub(crate) use renewals::terms_ending;
pub use renewals::{calendar, renewals, Renewal, Renewals, RenewalsRequest};
pub use spend::{spend, Spend, SpendRequest, SpendRow, SpendTotal};
pub use state::{state, LicenseRow, State};
pub use usage::{usage_history, UsageHistory, UsagePoint, UsageRequest, MAX_USAGE_POINTS};

use entitle_store::Store;
use jiff::civil::Date;

use crate::error::Result;
use crate::when;

/// The two times of a query and an optional vendor, as the user gave them.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The business date (`YYYY-MM-DD`); none for today.
    pub as_of: Option<String>,
    /// `#N`, an RFC 3339 time, or a date; none for everything recorded.
    pub known_at: Option<String>,
    /// Only this vendor (case-insensitive).
    pub vendor: Option<String>,
}

impl Query {
    /// The business date and the seq the query is known at.
    ///
    /// # Errors
    ///
    /// For a malformed date or moment, or a seq beyond the log.
    pub fn resolve(&self, store: &Store) -> Result<(Date, u64)> {
        let as_of = when::as_of(self.as_of.as_deref())?;
        let known = when::known_at(self.known_at.as_deref())?;
        Ok((as_of, store.known_seq(known)?))
    }
}
