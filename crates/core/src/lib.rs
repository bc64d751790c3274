//! entitle's domain: license events, the hash chain, and the pure fold from
//! events to the license state and compliance position as of a business date
//! and a moment of knowledge. No I/O lives here.
#![deny(missing_docs)]

pub mod chain;
pub mod compact;
pub mod document;
pub mod error;
pub mod inventory;
pub mod ledger;
pub mod naive;
pub mod position;
pub mod progress;
pub mod record;
pub mod text;
pub mod timeline;
pub mod types;

pub use document::{DocHash, DocKind};
pub use error::{InputError, Rejection, MAX_QUANTITY};
pub use inventory::CountRule;
pub use ledger::{Backing, BackingError, Batch, Changes, Context, Draft, Head};
pub use record::{Event, Record};
pub use timeline::{LicenseTimeline, LicenseView, Status, UsageSeries};
pub use types::{Metric, Money, ProductKey, Quantity};
