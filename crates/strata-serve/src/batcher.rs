//! Batches concurrent requests into one forward pass, on a supervised thread of its own.
//!
//! Each request sends its texts and a reply channel through a bounded queue (a full queue is
//! refused at once, so a burst cannot pile up minutes of work); the worker takes the first
//! waiting request, then whatever else arrives within `WINDOW` (up to `MAX_TEXTS` texts),
//! drops the requests whose client has gone (their reply channel is closed: the client hung
//! up, or the deadline cancelled the handler), predicts the rest together with the model's
//! parallel inference, and answers each request with its share.
//!
//! The worker loop runs under `catch_unwind`: a panic fails the batch it was computing (those
//! requests get 500) and the loop starts again on the same queue. `MAX_RESTARTS` panics in a
//! row, with no batch answered between them, mean the model cannot serve: the worker stops,
//! `/health` says so, and the server exits non-zero (see `server`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use strata_model::infer::Prediction;
use strata_model::Classifier;
use tokio::sync::{oneshot, watch};

use crate::config::WorkHook;

const WINDOW: Duration = Duration::from_millis(2);
const MAX_TEXTS: usize = 512;
/// Panics in a row, with no batch answered between them, after which the worker gives up.
pub const MAX_RESTARTS: u64 = 3;

struct Job {
    texts: Vec<String>,
    reply: oneshot::Sender<Vec<Prediction>>,
}

/// Why a request got no predictions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The queue is full: try again shortly (503 + Retry-After).
    QueueFull,
    /// The worker panicked on this request's batch (500).
    Failed,
    /// The worker has stopped for good (503).
    Stopped,
}

/// What the worker and the handlers share: counts for `/metrics` and the worker's health.
#[derive(Default)]
pub struct WorkerStats {
    /// Requests in the queue, not yet taken by the worker.
    pub queued: AtomicUsize,
    /// Requests dropped unanswered because their client had gone.
    pub abandoned: AtomicU64,
    /// Times the worker loop started again after a panic.
    pub restarts: AtomicU64,
    /// Batches answered.
    pub batches: AtomicU64,
    stopped: AtomicBool,
}

/// The handle request handlers use.
#[derive(Clone)]
pub struct Batcher {
    tx: SyncSender<Job>,
    stats: Arc<WorkerStats>,
    stopped: watch::Receiver<bool>,
}

impl Batcher {
    /// Starts the batching worker for `model`, with room for `queue_depth` waiting requests.
    pub fn start(model: Arc<Classifier>, queue_depth: usize, hook: Option<WorkHook>) -> Batcher {
        let (tx, rx) = mpsc::sync_channel::<Job>(queue_depth.max(1));
        let stats = Arc::new(WorkerStats::default());
        let (stop_tx, stopped) = watch::channel(false);
        let worker_stats = stats.clone();
        std::thread::Builder::new()
            .name("strata-batcher".into())
            .spawn(move || {
                let _stopped = MarkStopped(worker_stats.clone(), stop_tx);
                supervise(&model, &rx, &worker_stats, hook.as_ref());
            })
            .expect("the batching thread starts");
        Batcher { tx, stats, stopped }
    }

    /// Predictions for `texts`, computed on the worker.
    pub async fn predict(&self, texts: Vec<String>) -> Result<Vec<Prediction>, Refused> {
        let (reply, rx) = oneshot::channel();
        self.stats.queued.fetch_add(1, Ordering::SeqCst);
        if let Err(e) = self.tx.try_send(Job { texts, reply }) {
            self.stats.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(match e {
                TrySendError::Full(_) => Refused::QueueFull,
                TrySendError::Disconnected(_) => Refused::Stopped,
            });
        }
        rx.await.map_err(|_| if self.is_healthy() { Refused::Failed } else { Refused::Stopped })
    }

    /// Whether the worker is running.
    pub fn is_healthy(&self) -> bool {
        !self.stats.stopped.load(Ordering::SeqCst)
    }

    pub fn stats(&self) -> &WorkerStats {
        &self.stats
    }

    /// Resolves when the worker has stopped for good.
    pub async fn stopped(&self) {
        let mut rx = self.stopped.clone();
        let _ = rx.wait_for(|s| *s).await;
    }
}

/// Marks the worker stopped however its thread ends, panic included.
struct MarkStopped(Arc<WorkerStats>, watch::Sender<bool>);

impl Drop for MarkStopped {
    fn drop(&mut self) {
        self.0.stopped.store(true, Ordering::SeqCst);
        let _ = self.1.send(true);
    }
}

/// Runs the worker loop, starting it again after a panic, until the queue closes or it has
/// panicked `MAX_RESTARTS` times in a row.
fn supervise(model: &Classifier, rx: &Receiver<Job>, stats: &WorkerStats, hook: Option<&WorkHook>) {
    let mut in_a_row = 0;
    loop {
        let answered = stats.batches.load(Ordering::SeqCst);
        match catch_unwind(AssertUnwindSafe(|| work(model, rx, stats, hook))) {
            Ok(()) => return, // every sender has gone: the server is shutting down
            Err(panic) => {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown cause".into());
                in_a_row = if stats.batches.load(Ordering::SeqCst) == answered { in_a_row + 1 } else { 1 };
                if in_a_row >= MAX_RESTARTS {
                    eprintln!("error: the inference worker panicked {in_a_row} times in a row ({why}); stopping");
                    return;
                }
                stats.restarts.fetch_add(1, Ordering::SeqCst);
                eprintln!("warning: the inference worker panicked ({why}); its batch failed, restarting it");
            }
        }
    }
}

/// The worker loop: gather a batch, drop what nobody waits for, predict, answer.
fn work(model: &Classifier, rx: &Receiver<Job>, stats: &WorkerStats, hook: Option<&WorkHook>) {
    while let Ok(first) = rx.recv() {
        stats.queued.fetch_sub(1, Ordering::SeqCst);
        let mut jobs = vec![first];
        let mut n = jobs[0].texts.len();
        let deadline = Instant::now() + WINDOW;
        while n < MAX_TEXTS {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(job) => {
                    stats.queued.fetch_sub(1, Ordering::SeqCst);
                    n += job.texts.len();
                    jobs.push(job);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        let before = jobs.len();
        jobs.retain(|j| !j.reply.is_closed());
        stats.abandoned.fetch_add((before - jobs.len()) as u64, Ordering::SeqCst);
        if jobs.is_empty() {
            continue;
        }
        let texts: Vec<&str> = jobs.iter().flat_map(|j| j.texts.iter().map(String::as_str)).collect();
        if let Some(hook) = hook {
            hook(&texts);
        }
        let mut preds = model.predict(&texts).into_iter();
        for job in jobs {
            let mine: Vec<Prediction> = preds.by_ref().take(job.texts.len()).collect();
            let _ = job.reply.send(mine); // the client may have gone meanwhile
        }
        stats.batches.fetch_add(1, Ordering::SeqCst);
    }
}
