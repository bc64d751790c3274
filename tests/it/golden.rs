//! The documented outputs of the queries on the demo store, byte for byte,
//! held to files in `tests/golden/`: a renamed field, a changed order or
//! format, a different number shows here first. The demo records fixed
//! times, so its chain and every answer are the same on every run.
//!
//! After an intended change, rewrite the files and read the diff:
//! `UPDATE_GOLDEN=1 cargo test --test it golden`.

use std::path::PathBuf;

use crate::util::TestStore;

/// Name of the file in `tests/golden/`, and the command.
const QUERIES: &[(&str, &[&str])] = &[
    ("state.json", &["state", "--as-of", "2024-06-30", "--json"]),
    (
        "state.csv",
        &["state", "--as-of", "2024-06-30", "--format", "csv"],
    ),
    (
        "state-known-at-20.json",
        &[
            "state",
            "--as-of",
            "2024-06-30",
            "--known-at",
            "#20",
            "--json",
        ],
    ),
    (
        "position.json",
        &["position", "--as-of", "2024-06-30", "--json"],
    ),
    (
        "position.csv",
        &["position", "--as-of", "2024-06-30", "--format", "csv"],
    ),
    (
        "position-known-at-20.json",
        &[
            "position",
            "--as-of",
            "2024-06-30",
            "--known-at",
            "#20",
            "--json",
        ],
    ),
    ("history-L-0003.json", &["history", "L-0003", "--json"]),
    (
        "renewals.json",
        &[
            "renewals",
            "--as-of",
            "2024-06-30",
            "--within",
            "365",
            "--json",
        ],
    ),
    (
        "renewals.csv",
        &[
            "renewals",
            "--as-of",
            "2024-06-30",
            "--within",
            "365",
            "--format",
            "csv",
        ],
    ),
    ("spend.json", &["spend", "--json"]),
    ("spend.csv", &["spend", "--format", "csv"]),
    ("export.jsonl", &["export"]),
];

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

#[test]
fn the_demo_stores_answers_are_the_documented_ones() {
    let s = TestStore::new();
    s.ok(&["demo"]);
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut changed = Vec::new();
    for (name, args) in QUERIES {
        let out = s.ok(args);
        let path = golden(name);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &out).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
        if out != want {
            let line = out
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .map_or_else(|| "its length".to_owned(), |i| format!("line {}", i + 1));
            changed.push(format!(
                "entitle {} differs from {name} at {line}",
                args.join(" ")
            ));
        }
    }
    assert!(
        changed.is_empty(),
        "outputs changed (UPDATE_GOLDEN=1 rewrites the files; read the diff):\n{}",
        changed.join("\n")
    );
}
