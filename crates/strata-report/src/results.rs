//! What an experiment found, as `results.json` holds it: the machine-readable record that every
//! report is built from, so an old run can be re-reported. The workflow that runs experiments
//! writes it; this crate only reads it, and so needs nothing of the models or the trainer.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CurvePoint {
    pub stage: usize,
    pub stage_name: String,
    pub epoch: usize,
    pub loss: f64,
    pub val_accuracy: Option<f64>,
    pub seconds: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LayerProbe {
    pub layer: String,
    /// Mean over splits of the final probes' validation accuracy.
    pub val_accuracy: f64,
    pub per_split: Vec<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StageTime {
    pub stage: usize,
    pub name: String,
    pub seconds_per_epoch: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ScheduleResult {
    pub name: String,
    pub stages: Vec<String>,
    pub epochs: usize,
    pub split_accuracy: Vec<f64>,
    pub mean_accuracy: f64,
    pub std_accuracy: f64,
    /// Training wall time summed over splits.
    pub seconds: f64,
    pub stage_times: Vec<StageTime>,
    pub probes: Vec<LayerProbe>,
    /// Learning curve of each split.
    pub curves: Vec<Vec<CurvePoint>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExperimentResults {
    pub data: String,
    /// `"10-fold"` or `"train/dev/test"`.
    pub protocol: String,
    pub model: String,
    /// Levels (layers with parameters) of the model.
    pub layers: usize,
    pub seed: u64,
    pub threads: usize,
    pub schedules: Vec<ScheduleResult>,
}
