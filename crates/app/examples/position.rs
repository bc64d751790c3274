//! A second front-end in forty lines: records a purchase and a usage count
//! through `entitle_app` and prints the compliance position — no clap, no
//! copy of the CLI.
//!
//! ```text
//! cargo run -p entitle-app --example position -- /tmp/example-store
//! ```
//!
//! Run it twice on the same store and the second purchase gets the next id;
//! give it a store held by another process and it says who holds it.

use entitle_app::Scope;
use std::path::PathBuf;
use std::process::ExitCode;

use entitle_app::query::{Position, PositionRequest, Query};
use entitle_app::record::{self, Common, Documents, Purchase, Usage, Write};
use entitle_app::{store, when, Error, Open, Silent};

#[cfg_attr(test, allow(dead_code, reason = "the test harness has its own main"))]
fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: position STORE_DIR");
        return ExitCode::from(2);
    };
    match run(&path) {
        Ok(position) => {
            for row in &position.products {
                println!(
                    "{} {} ({}): entitled {}, used {}, {}",
                    row.vendor,
                    row.product,
                    row.metric,
                    row.entitled,
                    row.used.map_or_else(|| "-".to_owned(), |u| u.to_string()),
                    row.status
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            // The error knows its field and its hint; this front-end names
            // fields as they are.
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Records a purchase of 25 seats and a count of 31 users, and returns the
/// position on 2026-07-01.
fn run(path: &std::path::Path) -> Result<Position, Error> {
    let mut store = store::open(path, Open::CreateIfMissing, "position example")?;
    let ctx = when::context("example");
    let purchase = Write::Purchase(Purchase {
        vendor: "Adobe".into(),
        product: "Acrobat Pro".into(),
        metric: "user".into(),
        qty: "25".into(),
        start: "2026-01-01".into(),
        end: Some("2026-12-31".into()),
        cost: Some("4500.00".into()),
        currency: Some("EUR".into()),
        ..Purchase::default()
    });
    let bought = record::record(
        &mut store,
        &ctx,
        &purchase,
        &Common::default(),
        Documents::default(),
        &Silent,
    )?;
    let count = Write::Usage(Usage {
        vendor: "Adobe".into(),
        product: "Acrobat Pro".into(),
        metric: "user".into(),
        count: "31".into(),
        date: "2026-06-30".into(),
        source: Some("example".into()),
    });
    record::record(
        &mut store,
        &ctx,
        &count,
        &Common::default(),
        Documents::default(),
        &Silent,
    )?;
    eprintln!(
        "recorded {} at #{}",
        bought.id.as_deref().unwrap_or("?"),
        bought.seq
    );
    let request = PositionRequest {
        query: Query {
            as_of: Some("2026-07-01".into()),
            ..Query::default()
        },
        stale_after: 90,
    };
    entitle_app::query::position(&store, &Scope::All, &request)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_second_front_end_records_and_reads_the_position() {
        let dir = tempfile::TempDir::new().unwrap();
        let store = dir.path().join("store");
        let first = super::run(&store).unwrap();
        let row = &first.products[0];
        assert_eq!(
            (row.entitled.to_string(), row.used),
            ("25".into(), Some(31))
        );
        assert_eq!(row.status, "under");
        // a second run buys 25 more: the same store, the next id
        let second = super::run(&store).unwrap();
        let row = &second.products[0];
        assert_eq!(row.licenses, ["L-0001", "L-0002"]);
        assert_eq!(row.status, "over");
    }
}
