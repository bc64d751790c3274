//! Every use case of entitle, once: requests in, serialisable results out,
//! one [`Error`] type that knows its kind, field and hint, progress through
//! a [`Progress`] observer. No command-line parsing, no printing, no HTTP:
//! the `entitle` binary and the server are front-ends of this crate.
//!
//! A use case takes an open [`Store`] (see [`store::open`]) and a request
//! whose fields are the raw text a user typed or a form posted; it parses
//! and checks them with the same rules whatever the front-end, names the
//! field in every error, and returns a result struct whose JSON is the
//! documented output of `--json`.
#![deny(missing_docs)]

pub mod accounts;
pub mod archive;
pub mod audit;
pub mod backup;
pub mod config;
mod convert;
pub mod demo;
pub mod error;
pub mod files;
pub mod import;
pub mod index;
pub mod maintenance;
pub mod progress;
pub mod query;
pub mod record;
pub mod remind;
pub mod scope;
pub mod sheet_out;
pub mod store;
pub mod when;
pub mod wire;

pub use entitle_core::ledger::Context;
pub use error::{Action, Error, ErrorKind, Names, PlainNames, Result};
pub use progress::{Progress, Silent, Unit};
pub use scope::Scope;
pub use store::{KnownAt, Open, Store};
