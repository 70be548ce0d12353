//! What an experiment found, as `results.json` holds it: the machine-readable record that every
//! report is built from, so an old run can be re-reported. The workflow that runs experiments
//! writes it; this crate only reads it, and so needs nothing of the models or the trainer.
//!
//! Fields added after the first release carry `#[serde(default)]`, so a `results.json` written
//! before them still reads and re-renders (`strata report RUN`).

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
    /// The epoch budget the experiment gave every schedule (absent in older results).
    #[serde(default)]
    pub budget: Option<usize>,
    /// Why `epochs` differs from `budget`, when it does.
    #[serde(default)]
    pub budget_note: Option<String>,
    /// Whether the schedule started from `--init-from`'s pretrained levels (false in older
    /// results).
    #[serde(default)]
    pub pretrained: bool,
    /// The from-scratch schedule a pretrained one is paired with, run on the same splits and
    /// seeds (`layerwise` for `layerwise (pretrained)`; `gradual-unfreeze` for `ulmfit`).
    #[serde(default)]
    pub scratch: Option<String>,
    /// Each level's probe before fine-tuning — the pretrained levels as loaded, fitted on each
    /// split's training part and scored on its validation part: what pretraining alone makes
    /// linearly readable. Empty for a schedule from scratch and in older results.
    #[serde(default)]
    pub probes_before: Vec<LayerProbe>,
    /// The language-model stage of each split (ulmfit), one point per epoch; empty otherwise.
    #[serde(default)]
    pub language_model: Vec<Vec<LmPoint>>,
    /// Whether this row is the experiment's baseline (`--baseline linear`: fastText's linear
    /// model on the same splits and seeds, the first row), which every other row is compared
    /// against. Written only when true, so an experiment without a baseline writes what it
    /// wrote before; false in older results.
    #[serde(default, skip_serializing_if = "is_false")]
    pub baseline: bool,
}

fn is_false(b: &bool) -> bool {
    !b
}

/// One epoch of fine-tuning the pretrained language model on a split's training texts.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LmPoint {
    pub epoch: usize,
    /// Mean sampled-softmax loss per token.
    pub loss: f64,
    /// Perplexity of the full softmax on the split's validation texts; absent when the split
    /// holds none out (`--validation-split 0`).
    #[serde(default)]
    pub val_perplexity: Option<f64>,
    pub seconds: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExperimentResults {
    pub data: String,
    /// `"10-fold cross-validation"` or `"train/dev/test"`.
    pub protocol: String,
    pub model: String,
    /// Levels (layers with parameters) of the model.
    pub layers: usize,
    pub seed: u64,
    pub threads: usize,
    pub schedules: Vec<ScheduleResult>,
    /// The seeds every schedule ran under (`--repeats`: seed, seed+1, …); empty in older results,
    /// which ran under `seed` alone.
    #[serde(default)]
    pub seeds: Vec<u64>,
    /// A name for each entry of a schedule's `split_accuracy` ("fold 3", "fold 3, seed 1",
    /// "test"); empty in older results.
    #[serde(default)]
    pub split_names: Vec<String>,
    /// Everything needed to run the experiment again; absent in older results.
    #[serde(default)]
    pub config: Option<RunConfig>,
    /// The `--init-from` folder the pretrained schedules started from; absent when none did.
    #[serde(default)]
    pub init_from: Option<String>,
    /// Whether the pretrained schedules' models had Kim's static second embedding copy
    /// (`--multichannel`); absent when they did not, and in older results.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub multichannel: bool,
    /// Whether the networks' optimizer updated only the embedding rows each batch used
    /// (`--sparse-embedding-updates`, LazyAdam); absent when it updated every row, as Keras's
    /// Adam does, and in older results.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sparse_embedding_updates: bool,
    /// `--class-weight` (`balanced`, or the weights file), which every model's training loss
    /// used; absent without it, and in older results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_weight: Option<String>,
    /// Flat, per-level and top-down on the same test texts (`experiment --hierarchies`, labels
    /// written as paths); absent otherwise and in older results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hierarchy: Option<crate::hierarchy_table::HierarchyTable>,
    /// The multi-label figures of every model (`experiment --multi-label`), whose schedules'
    /// `split_accuracy` then holds micro F1; absent otherwise and in older results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_label: Option<crate::multi_label_table::MultiLabelTable>,
}

/// The configuration of an experiment as it ran: what the report prints so that it can be
/// reproduced from itself.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunConfig {
    /// The command line, as typed (arguments joined by spaces, quoted where needed).
    pub command: String,
    pub strata_version: String,
    /// When the experiment started, RFC 3339 in UTC.
    pub date: String,
    pub epochs: usize,
    pub batch_size: usize,
    pub optimizer: String,
    /// The learning rate as the trainer used it (an `f32`, written in its shortest form).
    pub lr: f32,
    pub maxlen: usize,
    pub num_words: usize,
    pub validation_split: f64,
    pub repeats: usize,
    /// Training examples per class in the data the splits are made from, in label order.
    pub examples_per_class: Vec<ClassCount>,
    /// `--mask-padding`: the networks' recurrent layers skipped padded steps; absent when off,
    /// and in older results.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mask_padding: bool,
    /// `--bucket-by-length`: batches of texts of similar length, cut to their real tokens;
    /// absent when off, and in older results.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bucket_by_length: bool,
    /// `--adversarial EPS` and its weight: the networks trained adversarially; absent when
    /// off, and in older results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adversarial: Option<AdversarialConfig>,
}

/// Adversarial training's ε and weight, as `--adversarial` and `--adversarial-weight` gave
/// them.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct AdversarialConfig {
    pub epsilon: f32,
    pub weight: f32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClassCount {
    pub label: String,
    pub count: usize,
}

impl ExperimentResults {
    /// The seeds the schedules ran under (older results: the one seed).
    pub fn seed_list(&self) -> Vec<u64> {
        if self.seeds.is_empty() {
            vec![self.seed]
        } else {
            self.seeds.clone()
        }
    }

    /// The baseline row (`ScheduleResult::baseline`), if the experiment ran one.
    pub fn baseline(&self) -> Option<&ScheduleResult> {
        self.schedules.iter().find(|s| s.baseline)
    }

    /// The name of each split column: as recorded, or for older results "fold k" under k-fold
    /// protocols and "split k" otherwise.
    pub fn split_column_names(&self) -> Vec<String> {
        let n = self.schedules.first().map_or(0, |s| s.split_accuracy.len());
        if self.split_names.len() == n {
            return self.split_names.clone();
        }
        let word = if self.protocol.contains("fold") { "fold" } else { "split" };
        (1..=n).map(|i| format!("{word} {i}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::LmPoint;

    #[test]
    fn a_language_model_epoch_without_held_out_text_reads_back() {
        // `--validation-split 0`: the perplexity is null (it was NaN, which `strata report` refused)
        let p: LmPoint = serde_json::from_str(r#"{"epoch":1,"loss":4.5,"val_perplexity":null,"seconds":2.0}"#).unwrap();
        assert_eq!(p.val_perplexity, None);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<LmPoint>(&json).unwrap(), p);
    }
}
