//! The peer: the same events kept in SQLite by a careful user, and the
//! same position question asked in SQL (issue #14, target 1).
//!
//! The load reads the same JSON Lines file, parses each line and inserts
//! it with prepared statements in one transaction (WAL, `synchronous=FULL`),
//! creates the indexes after the rows, commits and closes (closing
//! checkpoints the WAL into the database file). Products are a table of
//! their own (`series`: vendor, product, metric) that licenses and usage
//! counts refer to by number, as a normalised schema would have it.
//!
//! The position on a date, as known at a seq, is one statement:
//! - entitled: per product, the sum of the quantities of the licenses
//!   purchased by then (start on or before the date) and not cancelled by
//!   then, whose term (the purchase's end, or the last extension's `until`
//!   effective by then) covers the date or renews automatically; the
//!   quantity is the last one set (purchase, adjustment, extension) by
//!   `(effective, seq)`;
//! - used: per product, the latest count dated on or before the date (by
//!   `(effective, seq)`).
//!
//! Events voided by a void counted at the seq do not count; neither does
//! anything recorded after the seq.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};
use serde::Deserialize;

/// One line of the import file (the fields the question needs, and the
/// others a user would keep).
#[derive(Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    vendor: Option<String>,
    product: Option<String>,
    metric: Option<String>,
    qty: Option<i64>,
    start: Option<String>,
    end: Option<String>,
    cost: Option<String>,
    currency: Option<String>,
    po: Option<String>,
    auto_renew: Option<bool>,
    until: Option<String>,
    effective: Option<String>,
    count: Option<i64>,
    source: Option<String>,
    voids: Option<i64>,
    note: Option<String>,
}

const SCHEMA: &str = "
CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    vendor TEXT NOT NULL,
    product TEXT NOT NULL,
    metric TEXT NOT NULL
);
CREATE TABLE license (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    series INTEGER NOT NULL REFERENCES series(id),
    qty INTEGER NOT NULL,
    start TEXT NOT NULL,
    end TEXT,
    auto_renew INTEGER NOT NULL,
    cost TEXT,
    currency TEXT,
    po TEXT
);
CREATE TABLE change (
    seq INTEGER PRIMARY KEY,
    license INTEGER NOT NULL REFERENCES license(seq),
    kind TEXT NOT NULL,
    effective TEXT NOT NULL,
    qty INTEGER,
    until TEXT
);
CREATE TABLE usage (
    seq INTEGER PRIMARY KEY,
    series INTEGER NOT NULL REFERENCES series(id),
    effective TEXT NOT NULL,
    count INTEGER NOT NULL,
    source TEXT
);
CREATE TABLE void (
    seq INTEGER PRIMARY KEY,
    target INTEGER NOT NULL,
    note TEXT
);
";

const INDEXES: &str = "
CREATE UNIQUE INDEX series_key ON series(vendor, product, metric);
CREATE UNIQUE INDEX license_id ON license(id);
CREATE INDEX change_by_license ON change(license, effective, seq);
CREATE INDEX usage_by_series ON usage(series, effective, seq);
CREATE INDEX void_by_target ON void(target, seq);
";

/// The position on `?1` (a date) as known at seq `?2`: one row per product
/// with an entitled license or a usage count, `(vendor, product, metric, entitled,
/// used)`.
const POSITION: &str = "
WITH
voided AS (SELECT target FROM void WHERE seq <= ?2),
live AS (
    SELECT l.seq, l.series, l.qty, l.end, l.auto_renew
    FROM license l
    WHERE l.seq <= ?2 AND l.start <= ?1
      AND l.seq NOT IN voided
      AND NOT EXISTS (
          SELECT 1 FROM change c
          WHERE c.license = l.seq AND c.kind = 'cancelled'
            AND c.effective <= ?1 AND c.seq <= ?2
            AND c.seq NOT IN voided)
),
terms AS (
    SELECT live.series, live.auto_renew,
        COALESCE((
            SELECT c.qty FROM change c
            WHERE c.license = live.seq AND c.qty IS NOT NULL
              AND c.effective <= ?1 AND c.seq <= ?2
              AND c.seq NOT IN voided
            ORDER BY c.effective DESC, c.seq DESC LIMIT 1), live.qty) AS qty,
        COALESCE((
            SELECT c.until FROM change c
            WHERE c.license = live.seq AND c.kind = 'extended'
              AND c.effective <= ?1 AND c.seq <= ?2
              AND c.seq NOT IN voided
            ORDER BY c.effective DESC, c.seq DESC LIMIT 1), live.end) AS end
    FROM live
),
entitled AS (
    SELECT series, SUM(qty) AS qty FROM terms
    WHERE end IS NULL OR end >= ?1 OR auto_renew
    GROUP BY series
),
used AS (
    SELECT s.id AS series, (
        SELECT u.count FROM usage u
        WHERE u.series = s.id AND u.effective <= ?1 AND u.seq <= ?2
          AND u.seq NOT IN voided
        ORDER BY u.effective DESC, u.seq DESC LIMIT 1) AS count
    FROM series s
)
SELECT s.vendor, s.product, s.metric, COALESCE(e.qty, 0), u.count
FROM series s
JOIN used u ON u.series = s.id
LEFT JOIN entitled e ON e.series = s.id
WHERE e.qty IS NOT NULL OR u.count IS NOT NULL
ORDER BY s.vendor, s.product, s.metric
";

/// How the load went.
pub struct Loaded {
    /// Parse, insert, index and commit.
    pub committed: Duration,
    /// All of it and closing (the WAL checkpointed into the database).
    pub total: Duration,
    /// Database and WAL on disk after closing, bytes.
    pub bytes: u64,
}

/// Loads `file` into a new database at `db`.
pub fn load(file: &Path, db: &Path) -> Loaded {
    let t = Instant::now();
    let mut conn = Connection::open(db).expect("open sqlite");
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut series_ins = tx
            .prepare("INSERT INTO series (id, vendor, product, metric) VALUES (?1, ?2, ?3, ?4)")
            .unwrap();
        let mut license_ins = tx
            .prepare(
                "INSERT INTO license (seq, id, series, qty, start, end, auto_renew, cost, currency, po)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .unwrap();
        let mut change_ins = tx
            .prepare(
                "INSERT INTO change (seq, license, kind, effective, qty, until)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .unwrap();
        let mut usage_ins = tx
            .prepare(
                "INSERT INTO usage (seq, series, effective, count, source) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .unwrap();
        let mut void_ins = tx
            .prepare("INSERT INTO void (seq, target, note) VALUES (?1, ?2, ?3)")
            .unwrap();
        // What a loader keeps in memory to give rows their foreign keys.
        let mut series: HashMap<(String, String, String), i64> = HashMap::new();
        let mut licenses: HashMap<String, i64> = HashMap::new();
        let mut series_of = |l: &mut Line| -> i64 {
            let key = (
                l.vendor.take().unwrap(),
                l.product.take().unwrap(),
                l.metric.take().unwrap(),
            );
            if let Some(&id) = series.get(&key) {
                return id;
            }
            let id = series.len() as i64 + 1;
            series_ins
                .execute(params![id, key.0, key.1, key.2])
                .unwrap();
            series.insert(key, id);
            id
        };
        let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(file).unwrap());
        for (n, text) in reader.lines().enumerate() {
            let seq = n as i64 + 1;
            let text = text.unwrap();
            let mut l: Line = serde_json::from_str(&text).expect("an event line");
            match l.kind.as_str() {
                "purchased" => {
                    let s = series_of(&mut l);
                    let id = l.id.unwrap();
                    license_ins
                        .execute(params![
                            seq,
                            id,
                            s,
                            l.qty.unwrap(),
                            l.start.unwrap(),
                            l.end,
                            l.auto_renew.unwrap_or(false),
                            l.cost,
                            l.currency,
                            l.po
                        ])
                        .unwrap();
                    licenses.insert(id, seq);
                }
                "extended" | "adjusted" | "cancelled" => {
                    let license = licenses[l.id.as_deref().unwrap()];
                    change_ins
                        .execute(params![
                            seq,
                            license,
                            l.kind,
                            l.effective.unwrap(),
                            l.qty,
                            l.until
                        ])
                        .unwrap();
                }
                "usage_recorded" => {
                    let s = series_of(&mut l);
                    usage_ins
                        .execute(params![
                            seq,
                            s,
                            l.effective.unwrap(),
                            l.count.unwrap(),
                            l.source
                        ])
                        .unwrap();
                }
                "voided" => {
                    void_ins
                        .execute(params![seq, l.voids.unwrap(), l.note])
                        .unwrap();
                }
                other => panic!("line {seq}: no table for {other:?}"),
            }
        }
    }
    tx.execute_batch(INDEXES).unwrap();
    tx.execute_batch("ANALYZE").unwrap();
    tx.commit().unwrap();
    let committed = t.elapsed();
    drop(conn);
    let total = t.elapsed();
    let mut bytes = 0;
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        bytes += std::fs::metadata(p).map_or(0, |m| m.len());
    }
    Loaded {
        committed,
        total,
        bytes,
    }
}

/// One product's position as SQLite answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub vendor: String,
    pub product: String,
    pub metric: String,
    pub entitled: u64,
    pub used: Option<u64>,
}

/// Opens the database (as a process asking would) and asks the position
/// on `as_of` as known at `known`.
pub fn position(db: &Path, as_of: &str, known: u64) -> Vec<Row> {
    let conn = Connection::open(db).expect("open sqlite");
    let mut stmt = conn.prepare(POSITION).unwrap();
    let known = i64::try_from(known).unwrap_or(i64::MAX);
    stmt.query_map(params![as_of, known], |r| {
        Ok(Row {
            vendor: r.get(0)?,
            product: r.get(1)?,
            metric: r.get(2)?,
            entitled: r.get::<_, i64>(3)? as u64,
            used: r.get::<_, Option<i64>>(4)?.map(|c| c as u64),
        })
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}
