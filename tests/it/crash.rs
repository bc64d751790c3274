//! Crash safety: a process appending events is killed with SIGKILL at
//! random moments, again and again. Every batch whose command reported
//! success is in the log, batches are all-or-nothing, the store opens, and
//! `verify` passes.

use std::process::Stdio;
use std::time::{Duration, SystemTime};

use crate::util::TestStore;

const BATCH: usize = 300;
const ROUNDS: usize = 25;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn killed_writers_lose_nothing_that_was_reported() {
    let s = TestStore::new();
    s.import(&[r#"{"type":"purchased","vendor":"Acme","product":"CAD","metric":"user","qty":10,"start":"2022-01-01"}"#]);
    let batch: Vec<String> = (0..BATCH)
        .map(|i| format!(r#"{{"type":"usage_recorded","vendor":"Acme","product":"CAD","metric":"user","count":{i},"effective":"2023-01-01"}}"#))
        .collect();
    let file = s.path.with_file_name("batch.jsonl");
    std::fs::write(&file, batch.join("\n")).unwrap();

    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash test seed {seed}");
    let mut rng = Rng(seed);
    let mut reported = 0usize;
    let mut killed = 0usize;
    for _ in 0..ROUNDS {
        let mut child = s
            .command(&["import", "events", file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.next() % 60_000));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            reported += 1;
        } else {
            killed += 1;
        }
        // The store opens (recovering what the kill left) and verifies.
        let verify = s.ok(&["verify"]);
        let events = s.log_lines().len() - 1;
        assert_eq!(
            events % BATCH,
            0,
            "a batch was torn apart: {events} events; {verify}"
        );
        assert!(
            events / BATCH >= reported,
            "reported batches went missing: {events} events, {reported} reported"
        );
    }
    eprintln!("crash test: {reported} batches reported, {killed} killed");
    // On a slow machine every attempt may have been killed before its
    // batch reached the log: the store that recovered from all of them
    // still takes the batch, whole.
    if s.log_lines().len() == 1 {
        s.ok(&["import", "events", file.to_str().unwrap()]);
    }
    let v = s.json(&["position", "--as-of", "2023-01-01"]);
    assert_eq!(v["products"][0]["used"], (BATCH - 1) as u64);
}
