//! End-to-end tests: each runs the real `entitle` binary against a fresh
//! store in a temporary directory and reads what it wrote.

mod util;

mod crash;
mod ledger;
mod tamper;
