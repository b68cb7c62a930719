//! The node's bound on password key derivations (argon2id, about 19 MiB each): a few dedicated
//! threads and a short queue, shared by every service behind the API that checks passwords
//! (the dashboard's sign-in, the charging members). A derivation asked for while the queue is
//! full is refused at once ([KdfBusy], answered `503 busy` with `Retry-After`), so memory stays
//! at `threads x the keystore's memory cost` however many requests arrive (the SDK's keystore
//! reuses argon2's working memory between derivations, so none is freed and allocated again).
use std::sync::{
    atomic::{AtomicU64, Ordering},
    mpsc, Arc, Mutex,
};

/// Every queued derivation is refused: the queue is full (or the pool has stopped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfBusy;

/// Seconds a refused caller is told to wait.
pub const BUSY_RETRY_AFTER_S: u64 = 1;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Counters {
    derived: AtomicU64,
    busy: AtomicU64,
    queued: AtomicU64,
}

/// A fixed pool of derivation threads with a bounded queue.
pub struct KdfPool {
    tx: Mutex<Option<mpsc::SyncSender<Job>>>,
    threads: usize,
    queue: usize,
    counters: Arc<Counters>,
}

impl KdfPool {
    /// `threads` derivation threads (at least 1) and at most `queue` derivations waiting.
    pub fn new(threads: usize, queue: usize) -> Arc<Self> {
        let threads = threads.max(1);
        let (tx, rx) = mpsc::sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            let spawned =
                std::thread::Builder::new()
                    .name(format!("kdf-{i}"))
                    .spawn(move || loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(p) => p.into_inner().recv(),
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a key-derivation thread");
            }
        }
        Arc::new(Self {
            tx: Mutex::new(Some(tx)),
            threads,
            queue,
            counters: Arc::new(Counters::default()),
        })
    }

    /// One thread per core, at most 4, and a queue of 16: the default of a node.
    pub fn for_this_machine() -> Arc<Self> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores.clamp(1, 4), 16)
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    pub fn queue(&self) -> usize {
        self.queue
    }

    /// Runs `job` (one derivation) on a pool thread; [KdfBusy] at once if the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, KdfBusy> {
        let (done, result) = tokio::sync::oneshot::channel();
        let counters = self.counters.clone();
        let wrapped: Job = Box::new(move || {
            counters.queued.fetch_sub(1, Ordering::SeqCst);
            let out = job();
            counters.derived.fetch_add(1, Ordering::SeqCst);
            let _ = done.send(out);
        });
        let sent = {
            let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner());
            match tx.as_ref() {
                Some(tx) => {
                    self.counters.queued.fetch_add(1, Ordering::SeqCst);
                    tx.try_send(wrapped).map_err(|_| {
                        self.counters.queued.fetch_sub(1, Ordering::SeqCst);
                    })
                }
                None => Err(()),
            }
        };
        if sent.is_err() {
            self.counters.busy.fetch_add(1, Ordering::SeqCst);
            return Err(KdfBusy);
        }
        result.await.map_err(|_| KdfBusy)
    }

    /// Derivations run so far.
    pub fn derivations(&self) -> u64 {
        self.counters.derived.load(Ordering::SeqCst)
    }

    /// Prometheus text of the pool.
    pub fn render(&self) -> String {
        let c = &self.counters;
        format!(
            "# HELP gridledger_kdf_derivations_total Password key derivations run (known and unknown logins alike).\n\
             # TYPE gridledger_kdf_derivations_total counter\n\
             gridledger_kdf_derivations_total {}\n\
             # HELP gridledger_kdf_busy_total Derivations refused because the queue was full (503 busy).\n\
             # TYPE gridledger_kdf_busy_total counter\n\
             gridledger_kdf_busy_total {}\n\
             # HELP gridledger_kdf_queued Derivations waiting for a thread now.\n\
             # TYPE gridledger_kdf_queued gauge\n\
             gridledger_kdf_queued {}\n\
             # HELP gridledger_kdf_threads Derivation threads (at most this many run at once).\n\
             # TYPE gridledger_kdf_threads gauge\n\
             gridledger_kdf_threads {}\n\
             # HELP gridledger_kdf_queue_limit Most derivations waiting before new ones are refused.\n\
             # TYPE gridledger_kdf_queue_limit gauge\n\
             gridledger_kdf_queue_limit {}\n",
            c.derived.load(Ordering::SeqCst),
            c.busy.load(Ordering::SeqCst),
            c.queued.load(Ordering::SeqCst),
            self.threads,
            self.queue,
        )
    }

    /// Stops taking jobs; the threads end once the queue is drained.
    pub fn stop(&self) {
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

impl gridledger_api_types::MetricsSource for KdfPool {
    fn render(&self) -> String {
        KdfPool::render(self)
    }
}

impl Drop for KdfPool {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    #[tokio::test]
    async fn at_most_threads_run_and_at_most_queue_wait_the_rest_are_busy() {
        let pool = KdfPool::new(2, 3);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tickets = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(std::sync::Barrier::new(3)); // the first two jobs + the test
        let mut handles = Vec::new();
        // Two start (and wait at the gate), then three wait in the queue: the pool is full.
        for (n, (want_running, want_queued)) in [(2, (2, 0)), (3, (2, 3))] {
            for _ in 0..n {
                let (pool, running, peak, tickets, gate) = (
                    pool.clone(),
                    running.clone(),
                    peak.clone(),
                    tickets.clone(),
                    gate.clone(),
                );
                handles.push(tokio::spawn(async move {
                    pool.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        if tickets.fetch_add(1, Ordering::SeqCst) < 2 {
                            gate.wait();
                        }
                        std::thread::sleep(Duration::from_millis(5));
                        running.fetch_sub(1, Ordering::SeqCst);
                        7u8
                    })
                    .await
                }));
                tokio::task::yield_now().await;
            }
            while running.load(Ordering::SeqCst) < want_running
                || pool.counters.queued.load(Ordering::SeqCst) < want_queued
            {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        assert_eq!(pool.run(|| 0u8).await, Err(KdfBusy));
        gate.wait();
        for h in handles {
            assert_eq!(h.await.unwrap(), Ok(7));
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        assert_eq!(pool.derivations(), 5);
        let text = pool.render();
        assert!(
            text.contains("gridledger_kdf_derivations_total 5\n"),
            "{text}"
        );
        assert!(text.contains("gridledger_kdf_busy_total 1\n"), "{text}");
        assert!(text.contains("gridledger_kdf_queued 0\n"), "{text}");
        pool.stop();
        assert_eq!(pool.run(|| 0u8).await, Err(KdfBusy));
    }
}
