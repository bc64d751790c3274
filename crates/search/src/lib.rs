//! entitle's full-text index over archived documents.
//!
//! One tantivy document per archived document, keyed by its BLAKE3 hex
//! hash. Each document's text is indexed twice, once analysed for German
//! and once for English, and every query word is searched in both (see the
//! crate README for why), plus once unstemmed for prefix queries
//! (`virtual*`). Vendors, products, license ids and kind are stored with the
//! document and filter results case-insensitively.
//!
//! Every commit records the event-log seq it covers ([`SearchIndex::commit`],
//! [`SearchIndex::covered_seq`]) so an index that lags the log can be caught
//! up; an index that is damaged or of another layout is reported as
//! [`IndexError::Corrupt`] or [`IndexError::SchemaMismatch`] and rebuilt with
//! [`SearchIndex::recreate`].
//!
//! # Examples
//!
//! ```
//! use entitle_search::{IndexDoc, Query, SearchIndex};
//!
//! # fn main() -> Result<(), entitle_search::IndexError> {
//! let dir = tempfile::tempdir().unwrap();
//! let mut index = SearchIndex::open(dir.path())?;
//! index.upsert(&IndexDoc {
//!     hash: "a".repeat(64),
//!     filename: "vertrag.pdf".into(),
//!     kind: "contract".into(),
//!     text: "Die Kündigungsfristen betragen drei Monate.".into(),
//!     license_ids: vec!["m365-e3".into()],
//!     vendors: vec!["Microsoft".into()],
//!     products: vec!["Microsoft 365 E3".into()],
//! })?;
//! index.commit(7)?;
//! assert_eq!(index.covered_seq(), Some(7));
//!
//! let results = index.search(&Query::new("Kündigungsfrist").vendor("microsoft"))?;
//! assert_eq!(results.total, 1);
//! assert_eq!(
//!     results.hits[0].snippet.to_string(),
//!     "Die **Kündigungsfristen** betragen drei Monate."
//! );
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod error;
mod index;
mod query;
mod schema;
mod snippet;
mod within;

pub use error::IndexError;
pub use index::{Hit, IndexDoc, IndexOptions, Query, SearchIndex, SearchResults};
pub use snippet::Snippet;
