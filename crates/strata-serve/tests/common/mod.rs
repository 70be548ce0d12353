//! What the server's tests share: a tiny trained model, a server on a loopback port with the
//! limits a test chooses, a raw HTTP/1.1 client (so a test can stall, hang up, or send what no
//! well-behaved client would), and a gate that holds the inference work while a test arranges
//! the queue around it.

#![allow(dead_code)] // each test file uses its own part

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use strata_data::{Example, LabelMap};
use strata_model::linear::LinearConfig;
use strata_model::zoo::Knobs;
use strata_model::Classifier;
use strata_serve::{ServeConfig, ServeError, Served};
use strata_text::{PadSequences, TokenizerConfig};
use strata_train::fit::{FitOptions, Silent};
use strata_train::schedule::Schedule;
use strata_workflow::linear::LinearSettings;
use strata_workflow::pipeline::{train, ModelSettings, Probes, TextSettings, TrainData, TrainSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// A one-layer LSTM over six-token texts, trained in milliseconds to tell "good" from "dull".
pub fn tiny_model() -> Classifier {
    tiny(None)
}

/// fastText's linear model (dim 8, word bigrams in 1,000 buckets) on the same texts.
pub fn tiny_linear_model() -> Classifier {
    let config = LinearConfig { dim: 8, buckets: 1000, ..LinearConfig::default() };
    tiny(Some(LinearSettings { config, lr: 0.5 }))
}

/// The tiny model of either family, trained through the workflow as `strata train` trains it.
fn tiny(linear: Option<LinearSettings>) -> Classifier {
    let texts = ["good fine film", "bad dull plot", "fine good acting", "dull bad boring", "good good", "boring dull"];
    let examples: Vec<Example> = (0..60)
        .map(|i| Example { text: texts[i % 6].to_string(), label: ["pos", "neg"][i % 2].into(), line: i + 1 })
        .collect();
    let labels = LabelMap::from_labels(["neg", "pos"]);
    let y: Vec<usize> = examples.iter().map(|e| labels.index(&e.label).unwrap()).collect();
    let settings = TrainSettings {
        text: TextSettings {
            tokenizer: TokenizerConfig { num_words: Some(50), oov_token: Some("<OOV>".into()), ..Default::default() },
            pad: PadSequences::keras(6),
        },
        model: ModelSettings::named("seed", 8, Knobs { units: Some(8), layers: Some(1), ..Knobs::default() }).unwrap(),
        fit: FitOptions { epochs: 15, batch_size: 8, ..FitOptions::default() },
        schedule: Schedule::end_to_end(1, 15),
        validation_split: 0.0,
        probes: Probes::Off,
        embeddings: None,
        init_from: None,
        linear,
        level_heads: Vec::new(),
        nbsvm: None,
    };
    let idx: Vec<usize> = (0..examples.len()).collect();
    train(
        TrainData { examples: &examples, labels: &labels, y: &y, train_idx: &idx, val_idx: &[] },
        &settings,
        &mut Silent,
    )
    .unwrap()
    .saved
}

/// A server running on 127.0.0.1 in this test's runtime.
pub struct Server {
    pub addr: SocketAddr,
    pub served: Arc<Served>,
    stop: Option<oneshot::Sender<()>>,
    pub done: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl Server {
    pub async fn start(config: ServeConfig) -> Server {
        let served = Served::new("tiny".into(), tiny_model(), config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(strata_serve::serve(listener, served.clone(), async {
            let _ = stopped.await;
        }));
        Server { addr, served, stop: Some(stop), done }
    }

    /// Asks the server to stop, as a signal would.
    pub fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A request as bytes: `Content-Type: application/json` and `Connection: close`.
pub fn request(method: &str, path: &str, body: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// What came back: status, headers (lower-cased, as one string) and the body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends `raw` and reads the answer until the server closes (at most 10 s).
pub async fn send(addr: SocketAddr, raw: &str) -> Reply {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .expect("the server answered within 10 s")
        .unwrap();
    parse_reply(&out)
}

pub fn parse_reply(out: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Reply { status, headers: head.to_lowercase(), body: body.to_string() }
}

pub async fn post(addr: SocketAddr, path: &str, body: &str) -> Reply {
    send(addr, &request("POST", path, body)).await
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    send(addr, &request("GET", path, "")).await
}

/// The value of an unlabelled metric (or one written with its labels) in `/metrics`.
pub async fn metric(addr: SocketAddr, name: &str) -> Option<f64> {
    let text = get(addr, "/metrics").await.body;
    text.lines().find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.parse().ok()))
}

/// Waits until `cond` holds, for at most `secs` seconds; false if it never did.
pub async fn eventually(secs: f64, mut cond: impl AsyncFnMut() -> bool) -> bool {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    while Instant::now() < until {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// Holds the inference work on a text with "HOLD" until opened, panics on one with "PANIC", and records
/// every text the work computed.
#[derive(Default)]
pub struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
    pub held: AtomicUsize,
    pub seen: Mutex<Vec<String>>,
}

impl Gate {
    pub fn hook(self: &Arc<Self>) -> strata_serve::WorkHook {
        let gate = self.clone();
        Arc::new(move |texts: &[&str]| {
            gate.seen.lock().unwrap().extend(texts.iter().map(|t| t.to_string()));
            if texts.iter().any(|t| t.contains("PANIC")) {
                panic!("a panic on purpose");
            }
            if texts.iter().any(|t| t.contains("HOLD")) {
                gate.held.fetch_add(1, Ordering::SeqCst);
                let mut open = gate.open.lock().unwrap();
                while !*open {
                    open = gate.cv.wait(open).unwrap();
                }
            }
        })
    }

    pub fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.cv.notify_all();
    }

    /// Waits until the work holds a "HOLD" text.
    pub async fn wait_held(&self) {
        let held = eventually(5.0, async || self.held.load(Ordering::SeqCst) > 0).await;
        assert!(held, "the work reached the gate");
    }
}
