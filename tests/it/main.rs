//! End-to-end tests: each runs the real `entitle` binary against a fresh
//! store in a temporary directory and reads what it wrote.

mod util;

#[path = "../../benches/common/mod.rs"]
#[allow(dead_code)]
mod common;

mod accounts;
mod archive;
mod audit;
mod backup;
mod backup_s3;
mod color;
mod crash;
mod documents;
mod format_csv;
mod golden;
mod head;
mod import_licenses;
mod inventory;
mod ledger;
mod lock;
mod messages;
mod pages;
mod pages_a11y;
mod pages_record;
mod position_money;
mod remind;
mod renewals;
mod replicate;
mod s3_server;
mod serve;
mod serve_settings;
mod spend;
mod tamper;
mod text;
mod usage_import;
