//! Trains any named model (`--model e2e|stacked|gru|bilstm|kim-cnn|han`; e2e and stacked are the
//! seed's names for `seed` and `seed-stacked`) on the peers' synthetic data with the model's own
//! recipe (zoo.rs: batch, Adam rate, vocabulary, embedding size), and prints one JSON line with
//! the fields bench/peers/keras_models.py and torch_models.py print, so bench/ratios.py can set
//! them side by side (issue 14 point 3): steady-state training samples/s (epochs after the
//! first), inference samples/s at batch 256 and one text at a time, peak RSS, and the recipe.
//!
//! The data is written by `bench/make_synthetic.py --model NAME` (one text a line, `label ids…`;
//! a han row is its S·W ids, sentence-major, as strata's encoder lays them out).
//!
//! Usage: model_speed TRAIN_FILE HELDOUT_FILE [--model NAME] [--epochs 3] [--threads 2]
//!        [--infer1 300] [--sparse-embedding-updates]

use std::io::BufRead;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;
use strata_model::model::ModelSettings;
use strata_model::zoo::{self, Knobs};
use strata_model::{evaluate, predict_logits};
use strata_train::fit::{Dataset, FitOptions, OptimizerKind, Progress};
use strata_train::{fit, EpochRecord, Model};

/// Padded ids `[N, T]` and labels, as read from a make_synthetic.py file.
struct Rows {
    ids: Vec<u32>,
    labels: Vec<usize>,
}

/// Reads `label id…` lines, each with `t` ids below `vocab`.
fn read(path: &str, vocab: usize, t: usize) -> Result<Rows, String> {
    let hint = "write it with bench/make_synthetic.py --model NAME, as bench/speed.sh does";
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e} (hint: {hint})"))?;
    let mut rows = Rows { ids: Vec::new(), labels: Vec::new() };
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let at = |problem: String| format!("{path}:{}: {problem} (hint: {hint})", i + 1);
        let line = line.map_err(|e| at(e.to_string()))?;
        let mut fields =
            line.split_whitespace().map(|v| v.parse::<usize>().map_err(|_| at(format!("'{v}' is not an id"))));
        let label = fields.next().ok_or_else(|| at("empty line".into()))??;
        let before = rows.ids.len();
        for id in fields {
            let id = id?;
            if id >= vocab {
                return Err(at(format!("id {id} is not below the model's vocabulary of {vocab}")));
            }
            rows.ids.push(id as u32);
        }
        if rows.ids.len() - before != t {
            return Err(at(format!("{} ids where the model reads {t}", rows.ids.len() - before)));
        }
        if label > 1 {
            return Err(at(format!("label {label}: the benchmark's data has two classes, 0 and 1")));
        }
        rows.labels.push(label);
    }
    if rows.labels.is_empty() {
        return Err(format!("{path}: no texts (hint: {hint})"));
    }
    Ok(rows)
}

/// Peak resident memory of this process, from /proc (MB).
/// This process's user CPU seconds so far (`/proc/self/stat`'s utime; 0 where unreadable):
/// on a loaded machine the training's user CPU per sample is steadier than its wall time.
fn user_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // the fields after the command name, which ends at the last ')': utime is the 12th
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: f64 = after.split_whitespace().nth(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0 // USER_HZ, 100 on Linux
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

struct Walls(Vec<f64>);
impl Progress for Walls {
    fn on_epoch(&mut self, r: &EpochRecord) {
        self.0.push(r.seconds);
    }
}

fn run(args: &[String]) -> Result<serde_json::Value, String> {
    let flag = |name: &str, default: &str| -> Result<String, String> {
        match args.iter().position(|a| a == name) {
            None => Ok(default.to_string()),
            Some(i) => args.get(i + 1).cloned().ok_or(format!("{name} needs a value")),
        }
    };
    let number = |name: &str, default: &str| -> Result<usize, String> {
        let v = flag(name, default)?;
        v.parse().ok().filter(|&n| n > 0).ok_or(format!("{name} {v}: expected a whole number ≥ 1"))
    };
    let [train_file, heldout_file] = [1, 2].map(|i| args.get(i).filter(|a| !a.starts_with("--")));
    let (Some(train_file), Some(heldout_file)) = (train_file, heldout_file) else {
        return Err("needs TRAIN_FILE HELDOUT_FILE (hint: model_speed TRAIN HELDOUT --model NAME)".into());
    };
    let key = flag("--model", "e2e")?;
    let (epochs, threads, infer1) = (number("--epochs", "3")?, number("--threads", "2")?, number("--infer1", "300")?);
    let name = match key.as_str() {
        "e2e" => "seed",
        "stacked" => "seed-stacked",
        other => other,
    };
    let recipe = zoo::recipe(name);
    let settings = ModelSettings::named(name, recipe.embedding_dim, Knobs::default()).map_err(|e| e.to_string())?;
    let config = settings.config(recipe.num_words, 2);
    let sentences = config.sentences().unwrap_or(0);
    let t = recipe.maxlen * sentences.max(1);
    let first_layer = serde_json::to_value(&config.layers[0]).map_err(|e| e.to_string())?;
    let units = first_layer.get("units").or(first_layer.get("filters")).cloned();
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().map_err(|e| e.to_string())?;

    let train = read(train_file, recipe.num_words, t)?;
    let heldout = read(heldout_file, recipe.num_words, t)?;
    let mut model = Model::new(config, 0);
    let data = Dataset { ids: &train.ids, labels: &train.labels, t };
    let opts = FitOptions {
        epochs,
        batch_size: recipe.batch_size,
        optimizer: OptimizerKind::Adam { lr: recipe.adam_lr },
        seed: 0,
        shuffle: true,
        sparse_embedding_updates: args.iter().any(|a| a == "--sparse-embedding-updates"),
        ..FitOptions::default()
    };
    let mut walls = Walls(Vec::new());
    let user0 = user_cpu_s();
    let history = fit(&mut model, &data, None, &opts, &mut walls);
    let train_user_s = user_cpu_s() - user0;
    let n = train.labels.len();
    let steady = if walls.0.len() > 1 { &walls.0[1..] } else { &walls.0[..] };
    let train_peak = peak_rss_mb(); // before inference's own buffers

    predict_logits(&model, &train.ids[..n.min(512) * t], t); // warm-up
    let t0 = Instant::now();
    predict_logits(&model, &train.ids, t);
    let infer = t0.elapsed().as_secs_f64();
    let k = infer1.min(n);
    let one = |i: usize| predict_logits(&model, &train.ids[i * t..(i + 1) * t], t);
    (0..5.min(k)).for_each(|i| drop(one(i)));
    let t1 = Instant::now();
    (0..k).for_each(|i| drop(one(i)));
    let infer1_s = t1.elapsed().as_secs_f64();
    let held = evaluate(&model, &Dataset { ids: &heldout.ids, labels: &heldout.labels, t });
    let last = history.last().ok_or("no epoch was trained")?;
    let round = |x: f64, d: i32| (x * 10f64.powi(d)).round() / 10f64.powi(d);
    Ok(json!({
        "peer": "strata", "model": key, "n": n, "epochs": epochs, "threads": threads,
        "vocab": recipe.num_words, "embedding_dim": recipe.embedding_dim, "maxlen": recipe.maxlen,
        "sentences": sentences, "batch": recipe.batch_size, "lr": round(f64::from(recipe.adam_lr), 8), "units": units,
        "real_token_share": round(train.ids.iter().filter(|&&id| id > 0).count() as f64 / train.ids.len() as f64, 3),
        "epoch_s": walls.0.iter().map(|w| round(*w, 2)).collect::<Vec<_>>(),
        "train_samples_per_s": round((n * steady.len()) as f64 / steady.iter().sum::<f64>(), 1),
        "infer_samples_per_s": round(n as f64 / infer, 1),
        "infer1_samples_per_s": round(k as f64 / infer1_s, 1),
        "train_user_ms_per_sample": round(1000.0 * train_user_s / (n * epochs) as f64, 4),
        "final_train_acc": round(last.accuracy, 4),
        "final_train_loss": round(last.loss, 4),
        "heldout_acc": round(held.accuracy, 4),
        "ru_maxrss_mb": round(peak_rss_mb(), 1),
        "train_maxrss_mb": round(train_peak, 1),
    }))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
