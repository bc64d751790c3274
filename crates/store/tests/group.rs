//! Group commit: several writes, one fsync, each with its own answer.

use entitle_core::ledger::{Context, Draft};
use entitle_store::{AppendError, Open, Store};

fn ctx(actor: &str) -> Context {
    Context {
        actor: actor.to_owned(),
        now: jiff::Timestamp::now(),
        today: jiff::civil::date(2026, 12, 1),
    }
}

fn draft(line: &str) -> Draft {
    Draft::from_json_line(line).expect("a valid import line")
}

fn purchase(id: &str) -> Draft {
    draft(&format!(
        r#"{{"type":"purchased","id":"{id}","vendor":"Acme","product":"Anvil","metric":"user","qty":5,"start":"2026-01-01","end":"2026-12-31"}}"#
    ))
}

#[test]
fn a_group_is_one_durable_write_with_each_actor_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path(), Open::CreateIfMissing, "test").unwrap();
    let answers = store
        .append_group(vec![
            (vec![purchase("L-0001")], ctx("anna")),
            (vec![purchase("L-0002"), purchase("L-0003")], ctx("ben")),
        ])
        .unwrap();
    let seqs: Vec<Vec<u64>> = answers
        .into_iter()
        .map(|a| a.unwrap().iter().map(|x| x.seq).collect())
        .collect();
    assert_eq!(seqs, vec![vec![1], vec![2, 3]]);
    assert_eq!(store.record(1).unwrap().actor, "anna");
    assert_eq!(store.record(3).unwrap().actor, "ben");
    assert!(store.verify().unwrap().problems.is_empty());
}

#[test]
fn a_refused_write_in_a_group_leaves_the_others_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path(), Open::CreateIfMissing, "test").unwrap();
    let answers = store
        .append_group(vec![
            (vec![purchase("L-0001")], ctx("anna")),
            // The second line is refused: the whole write is, not its first line.
            (vec![purchase("L-0002"), purchase("L-0001")], ctx("ben")),
            (vec![purchase("L-0003")], ctx("carl")),
        ])
        .unwrap();
    assert_eq!(answers[0].as_ref().unwrap()[0].seq, 1);
    assert!(matches!(answers[1], Err(AppendError::Rejected(_))));
    assert_eq!(answers[2].as_ref().unwrap()[0].seq, 2);
    assert_eq!(store.applied().head.seq, 2);
    assert_eq!(store.record(2).unwrap().actor, "carl");
    drop(store);
    let store = Store::open(dir.path(), Open::MustExist, "test").unwrap();
    assert_eq!(store.applied().head.seq, 2);
    assert!(store.verify().unwrap().problems.is_empty());
}
