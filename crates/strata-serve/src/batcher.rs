//! Batches concurrent requests into one forward pass, on a thread of its own.
//!
//! Each request sends its texts and a reply channel; the thread takes the first waiting
//! request, then whatever else arrives within `WINDOW` (up to `MAX_TEXTS` texts), predicts them
//! together with the model's parallel inference, and answers each request with its share.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use strata_model::folder::SavedModel;
use strata_model::infer::{predict, Prediction};
use tokio::sync::oneshot;

const WINDOW: Duration = Duration::from_millis(2);
const MAX_TEXTS: usize = 512;

struct Job {
    texts: Vec<String>,
    reply: oneshot::Sender<Vec<Prediction>>,
}

/// The handle request handlers use.
#[derive(Clone)]
pub struct Batcher {
    tx: mpsc::Sender<Job>,
}

impl Batcher {
    /// Starts the batching thread for `saved`.
    pub fn start(saved: Arc<SavedModel>) -> Batcher {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("strata-batcher".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut jobs = vec![first];
                    let mut n = jobs[0].texts.len();
                    let deadline = Instant::now() + WINDOW;
                    while n < MAX_TEXTS {
                        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                            Ok(job) => {
                                n += job.texts.len();
                                jobs.push(job);
                            }
                            Err(_) => break,
                        }
                    }
                    let texts: Vec<&str> = jobs.iter().flat_map(|j| j.texts.iter().map(String::as_str)).collect();
                    let mut preds = predict(&saved, &texts).into_iter();
                    for job in jobs {
                        let mine: Vec<Prediction> = preds.by_ref().take(job.texts.len()).collect();
                        let _ = job.reply.send(mine); // the client may have gone
                    }
                }
            })
            .expect("the batching thread starts");
        Batcher { tx }
    }

    /// Predictions for `texts`, computed on the batching thread.
    pub async fn predict(&self, texts: Vec<String>) -> Option<Vec<Prediction>> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Job { texts, reply }).ok()?;
        rx.await.ok()
    }
}
