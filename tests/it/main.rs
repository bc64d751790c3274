//! End-to-end tests: each runs the real `entitle` binary against a fresh
//! store in a temporary directory and reads what it wrote.

mod util;

mod audit;
mod crash;
mod format_csv;
mod ledger;
mod renewals;
mod tamper;
mod usage_import;
