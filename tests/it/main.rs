//! End-to-end tests: each runs the real `entitle` binary against a fresh
//! store in a temporary directory and reads what it wrote.

mod util;

mod archive;
mod audit;
mod crash;
mod format_csv;
mod import_licenses;
mod ledger;
mod position_money;
mod renewals;
mod spend;
mod tamper;
mod usage_import;
