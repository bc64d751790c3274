//! Simulated power loss, deterministically, after every file operation of
//! every write path — in the manner of redb's crash-countdown tests.
//!
//! The store does every durable-state operation (create, append, fsync,
//! set length, rename, directory fsync, remove) through
//! `entitle_store::disk`. Here a model file system watches each one: for
//! each k it lets the first k run, fails every later one ("the power is
//! gone": the process sees errors, as a dying machine's would not, but
//! nothing it does afterwards reaches the disk), then puts on disk only
//! what had been made durable — a file's bytes as of its last fsync, a
//! name created or renamed only once its directory was fsynced — and opens
//! the store again, once with the derived state (`db/`, `index/`) as the
//! process left it and once without it; and once more as if the process
//! had been killed there with every byte it wrote reaching the disk (the
//! other extreme), without the derived state.
//!
//! After every crash: the store opens, `verify` finds it intact, every
//! write that was acknowledged is there, the write that was cut short is
//! there whole or not at all, and the store takes the next write.
//!
//! The script covers every write path: creating the store, one event, an
//! event with a document, attaching documents, an events import, a usage
//! import, and a long write that spills to the log in chunks.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use entitle_app::import::{self, EventsFile, Target, UsageImport};
use entitle_app::record::{self, Attach, Common, Documents, Purchase, Source, Write};
use entitle_app::{maintenance, store, Context, Open, Silent, Store};
use entitle_store::disk::{self, Op};
use tempfile::TempDir;

/// A file's bytes as the process sees them and as the disk holds them.
#[derive(Debug, Clone, Default)]
struct Inode {
    now: Vec<u8>,
    durable: Vec<u8>,
}

/// What the disk would hold after a power loss, operation by operation.
#[derive(Debug, Default)]
struct Model {
    /// Operations seen.
    ops: u64,
    /// Operations allowed before the power goes.
    allowed: u64,
    lost: bool,
    inodes: Vec<Inode>,
    /// Names as the process sees them.
    names: BTreeMap<PathBuf, usize>,
    /// Names as the disk holds them.
    durable: BTreeMap<PathBuf, usize>,
}

impl Model {
    /// Every file under `root` (but the derived state and the lock) is
    /// durable when the test starts.
    fn new(root: &Path, allowed: u64) -> Model {
        let mut model = Model {
            allowed,
            ..Model::default()
        };
        let mut stack = vec![root.to_owned()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if dir == root && ["db", "index", "LOCK"].contains(&name.as_str()) {
                    continue;
                }
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let bytes = fs::read(&path).unwrap();
                    model.inodes.push(Inode {
                        now: bytes.clone(),
                        durable: bytes,
                    });
                    model.names.insert(path.clone(), model.inodes.len() - 1);
                    model.durable.insert(path, model.inodes.len() - 1);
                }
            }
        }
        model
    }

    fn inode(&mut self, path: &Path) -> &mut Inode {
        let i = *self
            .names
            .get(path)
            .unwrap_or_else(|| panic!("{} was written without being created", path.display()));
        &mut self.inodes[i]
    }

    fn on(&mut self, op: &Op<'_>) -> io::Result<()> {
        self.ops += 1;
        if self.lost || self.ops > self.allowed {
            self.lost = true;
            return Err(io::Error::other("simulated power loss"));
        }
        match *op {
            Op::Create { path, truncate } => match self.names.get(path) {
                Some(&i) if truncate => self.inodes[i].now.clear(),
                Some(_) => {}
                None => {
                    self.inodes.push(Inode::default());
                    self.names.insert(path.to_owned(), self.inodes.len() - 1);
                }
            },
            Op::Append(path, bytes) => self.inode(path).now.extend_from_slice(bytes),
            Op::Sync(path) => {
                let inode = self.inode(path);
                inode.durable = inode.now.clone();
            }
            Op::SetLen(path, len) => self.inode(path).now.resize(len as usize, 0),
            Op::Rename(from, to) => {
                let i = self
                    .names
                    .remove(from)
                    .expect("renamed a file never created");
                self.names.insert(to.to_owned(), i);
            }
            Op::SyncDir(dir) => {
                self.durable.retain(|p, _| p.parent() != Some(dir));
                for (p, &i) in &self.names {
                    if p.parent() == Some(dir) {
                        self.durable.insert(p.clone(), i);
                    }
                }
            }
            Op::Remove(path) => {
                self.names.remove(path);
            }
        }
        Ok(())
    }

    /// Puts on disk what it holds after the power loss.
    fn crash(&self) {
        let paths: BTreeSet<&PathBuf> = self.names.keys().chain(self.durable.keys()).collect();
        for path in paths {
            match self.durable.get(path) {
                Some(&i) => {
                    fs::create_dir_all(path.parent().unwrap()).unwrap();
                    fs::write(path, &self.inodes[i].durable).unwrap();
                }
                None => {
                    let _ = fs::remove_file(path);
                }
            }
        }
    }
}

fn ctx() -> Context {
    entitle_app::when::context("power-loss test")
}

fn purchase(vendor: &str) -> Write {
    Write::Purchase(Purchase {
        vendor: vendor.into(),
        product: "Suite".into(),
        metric: "user".into(),
        qty: "10".into(),
        start: "2024-01-01".into(),
        end: Some("2024-12-31".into()),
        ..Purchase::default()
    })
}

/// Input files the script reads (outside the store).
struct Inputs {
    _dir: TempDir,
    contract: PathBuf,
    invoice: PathBuf,
    order: PathBuf,
    events: PathBuf,
    long: PathBuf,
    usage: PathBuf,
}

fn inputs() -> Inputs {
    let dir = TempDir::new().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        path
    };
    let line = |vendor: &str| {
        format!(
            r#"{{"type":"purchased","vendor":"{vendor}","product":"CAD","metric":"user","qty":2,"start":"2024-01-01"}}"#
        )
    };
    let lines = |vendors: &[&str]| vendors.iter().map(|v| line(v) + "\n").collect::<String>();
    Inputs {
        contract: file("contract.txt", "Vertrag: Kuendigungsfrist 90 Tage"),
        invoice: file("invoice.txt", "Rechnung 2024-17"),
        order: file("order.txt", "Bestellung 4711"),
        events: file("events.jsonl", &lines(&["Acme", "Beta", "Gamma"])),
        long: file("long.jsonl", &lines(&["L1", "L2", "L3", "L4", "L5"])),
        usage: file(
            "usage.csv",
            "vendor,product,metric,count,date\nAcme,CAD,user,2,2024-06-30\nBeta,CAD,user,1,2024-06-30\n",
        ),
        _dir: dir,
    }
}

/// Events acknowledged, and those of the write the power cut short.
#[derive(Debug, Default, Clone, Copy)]
struct Outcome {
    acked: u64,
    cut_short: u64,
}

type Step<'a> = (u64, Box<dyn Fn(&mut Store) -> entitle_app::Result<()> + 'a>);

/// Runs every write path once, stopping at the first failure.
fn script(root: &Path, inputs: &Inputs) -> Outcome {
    let mut outcome = Outcome::default();
    let Ok(mut store) = store::open(root, Open::CreateIfMissing, "power-loss test") else {
        return outcome;
    };
    let steps: Vec<Step<'_>> = vec![
        (
            1,
            Box::new(|s| {
                let w = purchase("Microsoft");
                record::record(
                    s,
                    &ctx(),
                    &w,
                    &Common::default(),
                    Documents::default(),
                    &Silent,
                )
                .map(drop)
            }),
        ),
        (
            2,
            Box::new(|s| {
                let docs = Documents {
                    sources: vec![Source::Path(inputs.contract.clone())],
                    kind: None,
                };
                let w = purchase("Adobe");
                record::record(s, &ctx(), &w, &Common::default(), docs, &Silent).map(drop)
            }),
        ),
        (
            2,
            Box::new(|s| {
                let req = Attach {
                    license: Some("L-0001".into()),
                    kind: "invoice".into(),
                    ..Attach::default()
                };
                let sources = vec![
                    Source::Path(inputs.invoice.clone()),
                    Source::Path(inputs.order.clone()),
                ];
                record::attach(s, &ctx(), &req, sources, &Silent).map(drop)
            }),
        ),
        (
            3,
            Box::new(|s| {
                let file = EventsFile::Path(inputs.events.clone());
                import::events(Target::Open(s), &ctx(), file, false, &Silent).map(drop)
            }),
        ),
        (
            2,
            Box::new(|s| {
                let req = UsageImport {
                    file: inputs.usage.clone(),
                    ..UsageImport::default()
                };
                import::usage(Target::Open(s), &ctx(), &req, &Silent).map(drop)
            }),
        ),
        (
            5,
            Box::new(|s| {
                s.set_spill_every(2);
                let file = EventsFile::Path(inputs.long.clone());
                let done = import::events(Target::Open(s), &ctx(), file, false, &Silent).map(drop);
                s.set_spill_every(usize::MAX);
                done
            }),
        ),
    ];
    for (events, step) in steps {
        match step(&mut store) {
            Ok(()) => outcome.acked += events,
            Err(_) => {
                outcome.cut_short = events;
                break;
            }
        }
    }
    outcome
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Opens the store after the crash and holds it to the promise.
fn check_after_crash(root: &Path, outcome: Outcome, what: &str) {
    let mut store = store::open(root, Open::CreateIfMissing, "power-loss check")
        .unwrap_or_else(|e| panic!("{what}: the store does not open after the crash: {e}"));
    let report = maintenance::verify(&store, &Silent).unwrap();
    assert!(
        report.intact,
        "{what}: verify finds damage after the crash: {:?}",
        report.problems
    );
    let seq = store.applied().head.seq;
    assert!(
        seq == outcome.acked || seq == outcome.acked + outcome.cut_short,
        "{what}: the log ends at #{seq}; {} events were acknowledged and a write of {} was cut short (notices: {:?})",
        outcome.acked,
        outcome.cut_short,
        store.notices()
    );
    let w = purchase("Afterwards");
    record::record(
        &mut store,
        &ctx(),
        &w,
        &Common::default(),
        Documents::default(),
        &Silent,
    )
    .unwrap_or_else(|e| panic!("{what}: the store takes no write after the crash: {e}"));
    let report = maintenance::verify(&store, &Silent).unwrap();
    assert!(report.intact, "{what}: {:?}", report.problems);
}

#[test]
fn every_write_path_survives_a_power_loss_after_any_operation() {
    let inputs = inputs();
    for allowed in 0.. {
        let dir = TempDir::new().unwrap();
        let root = dir.path().join("store");
        let model = Rc::new(RefCell::new(Model::new(&root, allowed)));
        let hook = Rc::clone(&model);
        disk::intercept(Some(Box::new(move |op| hook.borrow_mut().on(op))));
        let outcome = script(&root, &inputs);
        disk::intercept(None);
        let model = model.borrow();
        if !model.lost {
            assert_eq!(outcome.acked, 15, "the script without a power loss");
            assert!(
                allowed > 40,
                "only {allowed} operations: the hook misses some"
            );
            println!("a power loss simulated after each of the {allowed} operations");
            return;
        }
        // The process killed there instead, with every byte it wrote
        // reaching the disk (the kernel wrote it back): the other extreme.
        let killed = dir.path().join("killed");
        copy_dir(&root, &killed);
        model.crash();
        let bare = dir.path().join("without-derived-state");
        copy_dir(&root, &bare);
        for store in [&bare, &killed] {
            let _ = fs::remove_dir_all(store.join("db"));
            let _ = fs::remove_dir_all(store.join("index"));
        }
        let at = format!("operation {allowed} ({outcome:?})");
        check_after_crash(
            &root,
            outcome,
            &format!("power lost after {at}, derived state kept"),
        );
        check_after_crash(
            &bare,
            outcome,
            &format!("power lost after {at}, derived state lost"),
        );
        check_after_crash(
            &killed,
            outcome,
            &format!("killed after {at}, everything written kept but the derived state"),
        );
    }
}
