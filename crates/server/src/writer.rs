//! The one writer: every write of the server goes through one thread, which
//! owns the store exclusively while it writes. Writes of recorded events
//! that arrive together are made durable together (group commit: one
//! fsync for all of them, each answered only once durable and on its own,
//! as a database's write-ahead log does); anything else that writes
//! (an import, an upload's binding) runs alone, in arrival order.

use std::sync::Arc;
use std::thread::JoinHandle;

use entitle_app::{Context, Error, ErrorKind, Store};
use entitle_core::chain::Hash32;
use entitle_core::ledger::Draft;
use entitle_store::Appended;
use parking_lot::{Mutex, RwLock};
use tokio::sync::oneshot;

/// Records in one group at most (well below the store's spill size, so a
/// group is always written in one piece).
const GROUP_RECORDS: usize = 2_048;

/// A piece of work for the writer.
enum Job {
    /// Events to record, all or nothing, in one group with others.
    Record {
        drafts: Vec<Draft>,
        ctx: Context,
        reply: oneshot::Sender<Result<Vec<Appended>, Error>>,
    },
    /// Anything else that writes: run alone with the store held.
    Alone(Box<dyn FnOnce(&mut Store) + Send>),
}

/// The handle requests send their writes to.
#[derive(Debug)]
pub(crate) struct Writer {
    queue: Mutex<Option<std::sync::mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// The writer has stopped: the server is shutting down.
fn stopped() -> Error {
    Error::new(ErrorKind::Locked, "the server is shutting down").hint("try again in a moment")
}

/// The writer dropped the request without an answer (it failed inside).
fn unanswered() -> Error {
    Error::new(
        ErrorKind::Io,
        "the write failed inside the server and was not acknowledged",
    )
    .hint("try again; if it fails again, tell the admin (the server log says more)")
}

impl Writer {
    /// Starts the writer thread over the shared store; `written` is
    /// told the committed head after each write (and must not block).
    pub(crate) fn start(
        store: Arc<RwLock<Store>>,
        written: impl Fn(u64, &Hash32) + Send + 'static,
    ) -> Writer {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("entitle-writer".into())
            .spawn(move || run(&rx, &store, &written))
            .expect("the writer thread starts");
        Writer {
            queue: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        }
    }

    fn send(&self, job: Job) -> Result<(), Error> {
        match &*self.queue.lock() {
            Some(tx) => tx.send(job).map_err(|_| stopped()),
            None => Err(stopped()),
        }
    }

    /// Records `drafts` as one all-or-nothing write, answered once it is
    /// durable.
    pub(crate) async fn record(
        &self,
        drafts: Vec<Draft>,
        ctx: Context,
    ) -> Result<Vec<Appended>, Error> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Record { drafts, ctx, reply })?;
        answer.await.map_err(|_| unanswered())?
    }

    /// Runs `work` with the store held exclusively, after the writes
    /// before it.
    pub(crate) async fn alone<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Alone(Box::new(move |store| {
            let _ = reply.send(work(store));
        })))?;
        answer.await.map_err(|_| unanswered())?
    }

    /// Takes no more writes, finishes the queued ones and waits for them.
    pub(crate) fn stop(&self) {
        self.queue.lock().take();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

fn run(rx: &std::sync::mpsc::Receiver<Job>, store: &RwLock<Store>, written: &dyn Fn(u64, &Hash32)) {
    let mut next = None;
    loop {
        if next.is_none() {
            // Told once the queue is drained: a group, or the jobs that
            // came together, nudge the replicator once.
            let head = {
                let store = store.read();
                let applied = store.applied();
                (applied.head.seq, applied.head_hash)
            };
            written(head.0, &head.1);
        }
        let first = match next.take() {
            Some(job) => job,
            None => match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        match first {
            Job::Alone(work) => {
                // A panic (a bug) must not take the writer down with it:
                // the request is answered with an error (its reply is
                // dropped) and the writes after it go on.
                let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    work(&mut store.write());
                }));
                if ran.is_err() {
                    tracing::error!("a write failed with a panic; it was not acknowledged");
                }
            }
            Job::Record { drafts, ctx, reply } => {
                let mut group = vec![(drafts, ctx, reply)];
                let mut records = group[0].0.len();
                while records < GROUP_RECORDS {
                    match rx.try_recv() {
                        Ok(Job::Record { drafts, ctx, reply }) => {
                            records += drafts.len();
                            group.push((drafts, ctx, reply));
                        }
                        Ok(alone) => {
                            next = Some(alone);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    commit(store, group);
                }));
                if ran.is_err() {
                    tracing::error!(
                        "a group write failed with a panic; none of it was acknowledged"
                    );
                }
            }
        }
    }
}

type Pending = (
    Vec<Draft>,
    Context,
    oneshot::Sender<Result<Vec<Appended>, Error>>,
);

/// One durable write for the group; each request gets its own answer.
fn commit(store: &RwLock<Store>, group: Vec<Pending>) {
    let (writes, replies): (Vec<_>, Vec<_>) = group
        .into_iter()
        .map(|(drafts, ctx, reply)| ((drafts, ctx), reply))
        .unzip();
    let answers = store.write().append_group(writes);
    match answers {
        Ok(answers) => {
            for (answer, reply) in answers.into_iter().zip(replies) {
                let _ = reply.send(answer.map_err(Error::from));
            }
        }
        Err(e) => {
            let error = Error::from(e);
            tracing::error!(error = %error, "a group write failed; nothing of it was recorded");
            for reply in replies {
                let _ = reply.send(Err(Error::new(error.kind(), error.message())));
            }
        }
    }
}
