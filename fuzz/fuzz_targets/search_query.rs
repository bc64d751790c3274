//! Query text as a person types it into `entitle search`: hits or an
//! error, never a panic.
#![no_main]
use std::sync::OnceLock;

use entitle_search::{IndexDoc, Query, SearchIndex};
use libfuzzer_sys::fuzz_target;

fn index() -> &'static SearchIndex {
    static INDEX: OnceLock<(tempfile::TempDir, SearchIndex)> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let mut index = SearchIndex::recreate(dir.path()).expect("index");
            for (i, text) in [
                "Rahmenvertrag: die Kündigungsfrist beträgt drei Monate zum Laufzeitende.",
                "Subscription terms: renewals are automatic unless cancelled 30 days before.",
            ]
            .iter()
            .enumerate()
            {
                let doc = IndexDoc {
                    hash: format!("{:064x}", i + 1),
                    filename: format!("doc{i}.txt"),
                    kind: "contract".into(),
                    text: (*text).into(),
                    license_ids: vec![format!("L-000{i}")],
                    vendors: vec!["Adobe".into()],
                    products: vec!["Acrobat Pro".into()],
                };
                index.upsert(&doc).expect("upsert");
            }
            index.commit(2).expect("commit");
            (dir, index)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = index().search(&Query::new(text).limit(10));
    }
});
