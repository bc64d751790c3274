//! Reading the spreadsheets small companies already keep, and writing CSV
//! that Excel opens correctly.
//!
//! [`SheetReader`] streams a CSV file in bounded memory: it detects the
//! encoding ([`TextEncoding`]: UTF-8 with or without byte order mark,
//! Windows-1252, UTF-16 with byte order mark), the delimiter (`,` `;` or
//! tab, from the header line), matches the header against the caller's
//! [`Schema`] (case, spaces, `_` and `-` ignored; [`ColumnMap`] for `--map`
//! overrides) and yields each record as a [`Row`] with its physical line
//! number. [`Row`]'s typed getters parse counts, money, dates and yes/no with
//! errors that render as `FILE:LINE: column `x`: what is wrong`;
//! [`Problems`] collects them so every bad row can be reported at once.
//!
//! [`CsvWriter`] writes RFC 4180 CSV as UTF-8 with byte order mark and CRLF.
#![deny(missing_docs)]

mod encoding;
mod error;
mod parse;
mod reader;
mod schema;
mod writer;

pub use encoding::TextEncoding;
pub use error::{ErrorKind, FieldError, MapError, Problems, SheetError, ValueError};
pub use parse::{parse_bool, parse_count, parse_date, parse_money, DateFormat, NumberStyle};
pub use reader::{ReadOptions, Row, SheetReader};
pub use schema::{normalize_header, Column, ColumnMap, Schema};
pub use writer::CsvWriter;
