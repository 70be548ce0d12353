//! Training schedules: a list of stages, each a [`Plan`] (what is computed, trained and
//! supervised) with its epochs and per-group learning-rate multipliers. End-to-end training is
//! the one-stage schedule, so one loop runs every strategy:
//!
//! | schedule | stages |
//! |---|---|
//! | `end-to-end` | all layers, final loss |
//! | `layerwise` | stage k trains level k (stage 1 also the embedding) + a classifier on its summary (an auxiliary head below the top, the final head on the top level); lower levels frozen, higher ones absent (Bengio 2007; Belilovsky 2019); optional fine-tune stage |
//! | `deep-supervision` | all layers, final loss + weighted auxiliary losses on the layers below the top (Lee et al. 2015) |
//! | `gradual-unfreeze` | head first, then one more group per stage downward; lr ÷ 2.6 per group down; slanted triangular lr (Howard & Ruder 2018) |
//! | `decoupled` | one stage: every level at once, each on its own classifier (aux heads below the top, the final head on top) and no gradient across a level boundary; each level gets the epochs `layerwise` gives it (Belilovsky et al. 2020) |
//! | `ulmfit` | gradual unfreezing's stages, preceded by fine-tuning a pretrained language model on the target texts (the workflow runs that stage: [`LanguageModelStage`]) (Howard & Ruder 2018) |
//!
//! A schedule can also be read from TOML (`--schedule-file`), and `--freeze` / `--lr-mult`
//! apply to any schedule.

use std::collections::BTreeMap;

use serde::Deserialize;

use strata_model::model::ModelConfig;
use strata_model::plan::{Group, GroupMap, Plan};
use strata_model::toml_lines::{error_line, table_lines};

use crate::error::ScheduleError;

#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// Shown in epoch lines: `Stage 2/3 [lstm_1 + aux head]`.
    pub name: String,
    pub plan: Plan,
    pub epochs: usize,
    /// Learning-rate multiplier per group.
    pub lr_mults: GroupMap<f32>,
}

/// Slanted triangular learning rate (ULMFiT): a short linear warm-up to the peak, then a long
/// linear decay to `1/ratio` of it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stlr {
    pub cut_frac: f32,
    pub ratio: f32,
}

impl Stlr {
    pub const ULMFIT: Stlr = Stlr { cut_frac: 0.1, ratio: 32.0 };

    /// Multiplier of the peak learning rate at step `t` (0-based) of `total`.
    pub fn factor(&self, t: usize, total: usize) -> f32 {
        let cut = ((total as f32 * self.cut_frac).floor()).max(1.0);
        let t = t as f32;
        let p = if t < cut { t / cut } else { 1.0 - (t - cut) / (cut * (1.0 / self.cut_frac - 1.0)) };
        (1.0 + p.max(0.0) * (self.ratio - 1.0)) / self.ratio
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub name: String,
    pub stages: Vec<Stage>,
    pub stlr: Option<Stlr>,
    /// ULMFiT's first stage, before any label is seen: the pretrained language model fine-tuned
    /// on the target texts. The trainer never sees it (it trains a classifier); the workflow runs
    /// it and starts the classifier from the fine-tuned levels.
    pub language_model: Option<LanguageModelStage>,
}

/// Fine-tuning a pretrained language model on the target task's training texts (ULMFiT §3.2):
/// discriminative rates (÷ [`ULMFIT_DECAY`] per level down) and a slanted triangular rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LanguageModelStage {
    pub epochs: usize,
    /// Divides the learning rate once per level below the top (ULMFiT: 2.6).
    pub lr_decay_per_level: f32,
    pub stlr: Stlr,
}

/// ULMFiT's factor between the learning rates of neighbouring levels (Howard & Ruder 2018, §3.2).
pub const ULMFIT_DECAY: f32 = 2.6;

/// The schedules `--schedule` accepts.
pub const SCHEDULES: [&str; 6] =
    ["end-to-end", "layerwise", "deep-supervision", "gradual-unfreeze", "ulmfit", "decoupled"];

/// Splits `total` epochs over `n` stages, earlier stages first; every stage gets at least 1.
fn split_epochs(total: usize, n: usize) -> Vec<usize> {
    (0..n).map(|i| (total / n + usize::from(i < total % n)).max(1)).collect()
}

impl Schedule {
    pub fn end_to_end(levels: usize, epochs: usize) -> Schedule {
        let stage = Stage {
            name: "all layers".into(),
            plan: Plan::end_to_end(levels),
            epochs,
            lr_mults: GroupMap::filled(levels, 1.0),
        };
        Schedule { name: "end-to-end".into(), stages: vec![stage], stlr: None, language_model: None }
    }

    /// Greedy layer-wise: stage k trains level k (+ the embedding in stage 1) and a classifier
    /// on its summary — an auxiliary head below the top, the final head on the top level.
    /// Stages are named after `model`'s layers.
    pub fn layerwise(model: &ModelConfig, epochs: usize, finetune_epochs: usize) -> Schedule {
        let levels = model.levels();
        let split = split_epochs(epochs.saturating_sub(finetune_epochs).max(levels), levels);
        let mut stages = Vec::new();
        for (k, &ep) in split.iter().enumerate() {
            let top = k + 1 == levels;
            let mut plan = Plan::end_to_end(levels);
            plan.depth = k + 1;
            plan.trainable = GroupMap::filled(levels, false);
            plan.trainable[Group::Level(k)] = true;
            if k == 0 {
                plan.trainable[Group::Embedding] = true;
            }
            if top {
                plan.trainable[Group::Head] = true;
            } else {
                plan.head_weight = 0.0;
                plan.aux_weights[k] = 1.0;
                plan.trainable[Group::Aux(k)] = true;
            }
            let name = format!(
                "{}{} + {}",
                if k == 0 { "embedding + " } else { "" },
                model.group_name(Group::Level(k)),
                if top { "head" } else { "aux head" }
            );
            stages.push(Stage { name, plan, epochs: ep, lr_mults: GroupMap::filled(levels, 1.0) });
        }
        if finetune_epochs > 0 {
            let plan = Plan::end_to_end(levels);
            stages.push(Stage {
                name: "fine-tune all".into(),
                plan,
                epochs: finetune_epochs,
                lr_mults: GroupMap::filled(levels, 1.0),
            });
        }
        Schedule { name: "layerwise".into(), stages, stlr: None, language_model: None }
    }

    /// One stage: all layers, the final loss plus `aux_weight` × an auxiliary loss on each
    /// layer below the top (the top layer's classifier is the final head).
    pub fn deep_supervision(levels: usize, epochs: usize, aux_weight: f32) -> Schedule {
        let mut plan = Plan::end_to_end(levels);
        for k in 0..levels.saturating_sub(1) {
            plan.aux_weights[k] = aux_weight;
            plan.trainable[Group::Aux(k)] = aux_weight > 0.0;
        }
        let stage = Stage {
            name: format!("all layers + aux heads x{aux_weight}"),
            plan,
            epochs,
            lr_mults: GroupMap::filled(levels, 1.0),
        };
        Schedule { name: "deep-supervision".into(), stages: vec![stage], stlr: None, language_model: None }
    }

    /// Decoupled greedy learning (Belilovsky et al. 2020): layerwise's levels and classifiers,
    /// trained all at once — one stage in which level k learns only from its auxiliary head (the
    /// top level from the final head) and reads level k−1's output of the same step as a fixed
    /// input (no gradient crosses a level boundary). Lock-step, so it is deterministic for a seed
    /// and thread count like every other schedule; `--level-workers N` runs the same stage with
    /// its levels pipelined over N groups sharing the run's threads (`level_pipeline`). Each level trains as many epochs as
    /// `layerwise` gives its stage (the largest share: `epochs / levels`, rounded up), so the
    /// two compare at the same budget per level; the levels' work shares one forward pass.
    pub fn decoupled(model: &ModelConfig, epochs: usize) -> Schedule {
        let levels = model.levels();
        let mut plan = Plan::end_to_end(levels);
        plan.detach_levels = true;
        for k in 0..levels.saturating_sub(1) {
            plan.aux_weights[k] = 1.0;
            plan.trainable[Group::Aux(k)] = true;
        }
        let per_level = split_epochs(epochs.max(levels), levels.max(1))[0];
        let stage = Stage {
            name: "every level at once, each on its own head".into(),
            plan,
            epochs: per_level,
            lr_mults: GroupMap::filled(levels, 1.0),
        };
        Schedule { name: "decoupled".into(), stages: vec![stage], stlr: None, language_model: None }
    }

    /// ULMFiT's gradual unfreezing: groups from the top (head, level L-1, …, level 0,
    /// embedding); stage s trains the top s+1 groups; lr ÷ 2.6 per group down; STLR. Stages are
    /// named after `model`'s layers.
    pub fn gradual_unfreeze(model: &ModelConfig, epochs: usize) -> Schedule {
        let levels = model.levels();
        let order: Vec<Group> = std::iter::once(Group::Head)
            .chain((0..levels).rev().map(Group::Level))
            .chain(std::iter::once(Group::Embedding))
            .collect();
        let mut lr_mults = GroupMap::filled(levels, 1.0);
        for (depth_below_head, &g) in order.iter().enumerate() {
            lr_mults[g] = ULMFIT_DECAY.powi(-(depth_below_head as i32));
        }
        // One group more per stage while the budget allows; a budget smaller than the number of
        // groups unfreezes several groups per stage (earlier stages more), so the schedule uses
        // exactly `epochs` and compares with the others at an equal budget.
        let n_stages = order.len().min(epochs.max(1));
        let unfrozen: Vec<usize> = split_epochs(order.len(), n_stages)
            .iter()
            .scan(0, |total, &k| {
                *total += k;
                Some(*total)
            })
            .collect();
        let stages = split_epochs(epochs, n_stages)
            .iter()
            .zip(&unfrozen)
            .map(|(&ep, &top)| {
                let mut plan = Plan::end_to_end(levels);
                plan.trainable = GroupMap::filled(levels, false);
                order[..top].iter().for_each(|&g| plan.trainable[g] = true);
                let name = order[..top].iter().rev().map(|&g| model.group_name(g)).collect::<Vec<_>>().join(" + ");
                Stage { name, plan, epochs: ep, lr_mults: lr_mults.clone() }
            })
            .collect();
        Schedule { name: "gradual-unfreeze".into(), stages, stlr: Some(Stlr::ULMFIT), language_model: None }
    }

    /// ULMFiT (Howard & Ruder 2018): the pretrained language model fine-tuned on the target
    /// texts for `epochs` epochs (discriminative rates, STLR), then the classifier from its
    /// levels by gradual unfreezing (lr ÷ 2.6 per group down, STLR) within the `epochs` budget
    /// of gradual-unfreeze: the language-model stage's epochs come on top of the classifier's.
    /// It needs `--init-from` a folder holding a language model.
    pub fn ulmfit(model: &ModelConfig, epochs: usize) -> Schedule {
        let language_model =
            Some(LanguageModelStage { epochs: epochs.max(1), lr_decay_per_level: ULMFIT_DECAY, stlr: Stlr::ULMFIT });
        let mut stages = Schedule::gradual_unfreeze(model, epochs).stages;
        // §3.3: one more group per epoch, then the whole model "until convergence" — the rest of
        // the budget goes to the last stage (gradual-unfreeze splits it evenly, which left the
        // whole model 4 of 10 epochs and lost to end-to-end on SST-2)
        let n = stages.len();
        if epochs > n {
            stages.iter_mut().take(n - 1).for_each(|s| s.epochs = 1);
            stages[n - 1].epochs = epochs - (n - 1);
        }
        Schedule { name: "ulmfit".into(), language_model, stages, stlr: Some(Stlr::ULMFIT) }
    }

    /// A named schedule with the given epoch budget, for `model`.
    pub fn named(
        name: &str,
        model: &ModelConfig,
        epochs: usize,
        finetune_epochs: usize,
        aux_weight: f32,
    ) -> Result<Schedule, ScheduleError> {
        let levels = model.levels();
        match name {
            "end-to-end" => Ok(Schedule::end_to_end(levels, epochs)),
            "layerwise" => Ok(Schedule::layerwise(model, epochs, finetune_epochs)),
            "deep-supervision" => Ok(Schedule::deep_supervision(levels, epochs, aux_weight)),
            "gradual-unfreeze" => Ok(Schedule::gradual_unfreeze(model, epochs)),
            "ulmfit" => Ok(Schedule::ulmfit(model, epochs)),
            "decoupled" => Ok(Schedule::decoupled(model, epochs)),
            other => Err(ScheduleError::UnknownSchedule { name: other.into(), known: &SCHEDULES }),
        }
    }

    /// Total epochs over all stages (saturating: a count this large is never reached).
    pub fn epochs(&self) -> usize {
        self.stages.iter().fold(0usize, |sum, s| sum.saturating_add(s.epochs))
    }

    /// Whether any stage uses auxiliary heads.
    pub fn uses_aux_heads(&self) -> bool {
        self.stages.iter().any(|s| s.plan.aux_weights.iter().any(|&w| w > 0.0))
    }

    /// `--freeze`: the named groups train in no stage. A stage left with nothing to train is an
    /// error that names it.
    pub fn freeze(&mut self, names: &[String], model: &ModelConfig) -> Result<(), ScheduleError> {
        for name in names {
            let g = group_named(name, model)?;
            self.stages.iter_mut().for_each(|s| s.plan.trainable[g] = false);
        }
        for (i, s) in self.stages.iter().enumerate() {
            if s.plan.trainable.selected().next().is_none() {
                return Err(ScheduleError::NothingToTrain { stage: i + 1, name: s.name.clone() });
            }
        }
        Ok(())
    }

    /// `--lr-mult name=x,...`: multiplies a group's learning rate in every stage.
    pub fn scale_lr(&mut self, mults: &[(String, f32)], model: &ModelConfig) -> Result<(), ScheduleError> {
        for (name, m) in mults {
            let g = group_named(name, model)?;
            self.stages.iter_mut().for_each(|s| s.lr_mults[g] *= m);
        }
        Ok(())
    }

    /// Reads a schedule for `model` declared in TOML (see `StageFile`); `origin` names the file
    /// in errors, as `origin:line: …`. A stage that does not fit is reported at the line of its
    /// `[[stage]]` table.
    pub fn from_toml(text: &str, origin: &str, model: &ModelConfig) -> Result<Schedule, ScheduleError> {
        let at = |line: usize, stage: Option<usize>, problem: ScheduleError| ScheduleError::File {
            origin: origin.into(),
            line,
            stage,
            problem: Box::new(problem),
        };
        let file: ScheduleFile = toml::from_str(text).map_err(|e| {
            at(error_line(text, &e), None, ScheduleError::Syntax { message: e.message().replace('\n', " ") })
        })?;
        if file.stage.is_empty() {
            return Err(at(1, None, ScheduleError::NoStages));
        }
        let lines = table_lines(text, "stage");
        let mut stages = Vec::new();
        for (i, st) in file.stage.iter().enumerate() {
            let line = lines.get(i).copied().unwrap_or(1);
            stages.push(st.stage(model).map_err(|problem| at(line, Some(i + 1), problem))?);
        }
        let stlr = file.slanted_triangular_lr.then_some(Stlr::ULMFIT);
        Ok(Schedule { name: file.name.unwrap_or_else(|| "custom".into()), stages, stlr, language_model: None })
    }
}

/// The group `name` names in `model`; the error lists the names a user can give (the auxiliary
/// heads are accepted but not advertised).
fn group_named(name: &str, model: &ModelConfig) -> Result<Group, ScheduleError> {
    model.group_by_name(name).ok_or_else(|| {
        let known = model.groups().filter(|g| !matches!(g, Group::Aux(_))).map(|g| model.group_name(g)).collect();
        ScheduleError::UnknownLayer { name: name.into(), known }
    })
}

/// A schedule file:
///
/// ```toml
/// name = "two-step"                # optional
/// slanted_triangular_lr = false    # optional
/// [[stage]]
/// name = "words first"             # optional
/// train = ["embedding", "lstm_0"]  # groups that train
/// heads = { lstm_0 = 1.0 }         # classifiers and loss weights; "head" is the final head
/// lr_mult = { embedding = 0.5 }    # optional
/// epochs = 2
/// ```
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFile {
    name: Option<String>,
    #[serde(default)]
    slanted_triangular_lr: bool,
    #[serde(default)]
    stage: Vec<StageFile>,
}

/// The most epochs one stage of a schedule file may declare: far above any real run, and low
/// enough that no sum or product of counts the trainer forms can overflow.
pub const MAX_STAGE_EPOCHS: usize = 100_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StageFile {
    name: Option<String>,
    train: Vec<String>,
    #[serde(default)]
    heads: BTreeMap<String, f32>,
    #[serde(default)]
    lr_mult: BTreeMap<String, f32>,
    epochs: usize,
}

impl StageFile {
    /// The stage this table declares for `model`.
    fn stage(&self, model: &ModelConfig) -> Result<Stage, ScheduleError> {
        let plan = self.plan(model)?;
        if self.epochs == 0 {
            return Err(ScheduleError::NoEpochs);
        }
        if self.epochs > MAX_STAGE_EPOCHS {
            return Err(ScheduleError::TooManyEpochs { epochs: self.epochs, max: MAX_STAGE_EPOCHS });
        }
        let mut lr_mults = GroupMap::filled(model.levels(), 1.0);
        for (name, &m) in &self.lr_mult {
            if !(m.is_finite() && m >= 0.0) {
                return Err(ScheduleError::BadLrMult { name: name.clone() });
            }
            lr_mults[group_named(name, model)?] = m;
        }
        let name = self.name.clone().unwrap_or_else(|| self.train.join(" + "));
        Ok(Stage { name, plan, epochs: self.epochs, lr_mults })
    }

    /// What the stage trains and which classifiers give its loss; it computes the levels up to
    /// the highest one a classifier reads.
    fn plan(&self, model: &ModelConfig) -> Result<Plan, ScheduleError> {
        let levels = model.levels();
        let mut plan = Plan::end_to_end(levels);
        plan.trainable = GroupMap::filled(levels, false);
        plan.head_weight = 0.0;
        for name in &self.train {
            plan.trainable[group_named(name, model)?] = true;
        }
        let heads =
            if self.heads.is_empty() { BTreeMap::from([("head".to_string(), 1.0)]) } else { self.heads.clone() };
        let mut depth = 0;
        for (name, &w) in &heads {
            // the final head, or a level's auxiliary head, named after its layer (lstm_k, …)
            let level = match model.group_by_name(name) {
                Some(Group::Head) => None,
                Some(Group::Level(k)) => Some(k),
                _ => {
                    return Err(ScheduleError::NotAHead {
                        name: name.clone(),
                        first: model.group_name(Group::Level(0)),
                        last: model.group_name(Group::Level(levels.saturating_sub(1))),
                    })
                }
            };
            if !(w.is_finite() && w >= 0.0) {
                return Err(ScheduleError::BadWeight { name: name.clone() });
            }
            if w == 0.0 {
                continue; // no loss: the head is not computed and reads no level
            }
            match level {
                None => {
                    plan.head_weight = w;
                    depth = levels;
                }
                Some(k) => {
                    plan.aux_weights[k] = w;
                    plan.trainable[Group::Aux(k)] = true;
                    depth = depth.max(k + 1);
                }
            }
        }
        if depth == 0 {
            return Err(ScheduleError::NoLoss);
        }
        // a level at or above `depth` is not computed, so nothing would train it
        if let Some(g) = plan.trainable.selected().find(|g| matches!(g, Group::Level(k) if *k >= depth)) {
            return Err(ScheduleError::Unread { name: model.group_name(g) });
        }
        plan.depth = depth.max(1);
        if plan.trainable.selected().next().is_none() {
            return Err(ScheduleError::TrainsNothing);
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use Group::{Aux, Embedding, Head, Level};

    fn lstms(levels: usize) -> ModelConfig {
        ModelConfig {
            layers: vec![strata_model::layers::LstmConfig { units: 4, bidirectional: false }.into(); levels],
            ..ModelConfig::seed(10)
        }
    }

    fn trained(stage: &Stage) -> Vec<Group> {
        stage.plan.trainable.selected().collect()
    }

    #[test]
    fn layerwise_trains_one_layer_per_stage_with_a_head_on_it() {
        let s = Schedule::layerwise(&lstms(2), 4, 1);
        assert_eq!(s.stages.len(), 3);
        assert_eq!(s.stages[0].plan.depth, 1);
        assert_eq!(trained(&s.stages[0]), [Embedding, Level(0), Aux(0)]);
        assert_eq!(s.stages[0].plan.aux_weights, vec![1.0, 0.0]);
        assert_eq!(trained(&s.stages[1]), [Level(1), Head]);
        assert_eq!(s.stages[1].plan.head_weight, 1.0);
        assert_eq!(s.stages[2].plan, Plan::end_to_end(2));
        assert_eq!(s.epochs(), 4);
        assert_eq!(s.stages[1].name, "lstm_1 + head");
    }

    #[test]
    fn gradual_unfreeze_goes_top_down_with_discriminative_rates() {
        let s = Schedule::gradual_unfreeze(&lstms(2), 8);
        assert_eq!(s.stages.len(), 4);
        assert_eq!(trained(&s.stages[0]), [Head]);
        assert_eq!(trained(&s.stages[3]), [Embedding, Level(0), Level(1), Head]);
        let m = &s.stages[0].lr_mults;
        assert!(
            (m[Head] - 1.0).abs() < 1e-6
                && (m[Level(1)] - 1.0 / 2.6).abs() < 1e-6
                && (m[Embedding] - 2.6f32.powi(-3)).abs() < 1e-6
        );
        assert_eq!(s.stages[3].name, "embedding + lstm_0 + lstm_1 + head");
    }

    #[test]
    fn gradual_unfreeze_uses_exactly_a_budget_smaller_than_its_groups() {
        // issue 11 point 9: a budget of 2 on a 2-level model (4 groups) ran 4 epochs
        let s = Schedule::gradual_unfreeze(&lstms(2), 2);
        assert_eq!(s.epochs(), 2);
        assert_eq!(s.stages.len(), 2);
        assert_eq!(trained(&s.stages[0]), [Level(1), Head]);
        assert_eq!(trained(&s.stages[1]), [Embedding, Level(0), Level(1), Head]);
        assert_eq!(s.stages[0].name, "lstm_1 + head");
        for budget in 1..=9 {
            assert_eq!(Schedule::gradual_unfreeze(&lstms(2), budget).epochs(), budget, "budget {budget}");
        }
    }

    #[test]
    fn ulmfit_is_a_language_model_stage_then_gradual_unfreezing_as_the_paper_says() {
        // Howard & Ruder 2018: §3.2 LM fine-tuning with discriminative rates (η^{l-1} = η^l / 2.6)
        // and STLR (cut_frac 0.1, ratio 32); §3.3 gradual unfreezing from the last layer, one
        // more group per epoch, with the same discriminative rates and STLR.
        let s = Schedule::ulmfit(&lstms(2), 8);
        let lm = s.language_model.expect("ulmfit starts with the language model");
        assert_eq!((lm.epochs, lm.lr_decay_per_level, lm.stlr), (8, 2.6, Stlr { cut_frac: 0.1, ratio: 32.0 }));
        assert_eq!(s.stlr, Some(Stlr { cut_frac: 0.1, ratio: 32.0 }));
        // 4 groups (embedding, lstm_0, lstm_1, head): 4 stages, one more group each, top down
        assert_eq!(s.stages.len(), 4);
        assert_eq!(trained(&s.stages[0]), [Head]);
        assert_eq!(trained(&s.stages[1]), [Level(1), Head]);
        assert_eq!(trained(&s.stages[2]), [Level(0), Level(1), Head]);
        assert_eq!(trained(&s.stages[3]), [Embedding, Level(0), Level(1), Head]);
        assert_eq!(s.epochs(), 8);
        for stage in &s.stages {
            assert_eq!(stage.plan.head_weight, 1.0);
            assert!(stage.plan.aux_weights.iter().all(|&w| w == 0.0));
            for (k, g) in [Head, Level(1), Level(0), Embedding].into_iter().enumerate() {
                let want = 1.0 / 2.6f32.powi(k as i32);
                assert!((stage.lr_mults[g] - want).abs() < 1e-6, "{g:?}: {} not 1/2.6^{k}", stage.lr_mults[g]);
            }
        }
        // STLR: from 1/32 of the peak up to the peak in the first 10% of steps, then down to 1/32
        let f = |t| s.stlr.unwrap().factor(t, 1000);
        assert!((f(0) - 1.0 / 32.0).abs() < 1e-6 && (f(100) - 1.0).abs() < 1e-6);
        assert!((0..100).all(|t| f(t) < f(t + 1)) && (100..999).all(|t| f(t) > f(t + 1)));
        assert!((f(999) - 1.0 / 32.0).abs() < 0.01);
        // one epoch per newly unfrozen group, the rest of the budget on the whole model
        assert_eq!(s.stages.iter().map(|st| st.epochs).collect::<Vec<_>>(), [1, 1, 1, 5]);
        // gradual-unfreeze's groups and rates, without the language-model stage
        let g = Schedule::gradual_unfreeze(&lstms(2), 8);
        assert_eq!(g.language_model, None);
        for (a, b) in g.stages.iter().zip(&s.stages) {
            assert_eq!((&a.name, &a.plan, &a.lr_mults), (&b.name, &b.plan, &b.lr_mults));
        }
        assert_eq!(Schedule::named("ulmfit", &lstms(2), 8, 0, 0.0).unwrap(), s);
    }

    #[test]
    fn stlr_warms_up_then_decays_to_one_over_ratio() {
        let s = Stlr::ULMFIT;
        assert!((s.factor(0, 1000) - 1.0 / 32.0).abs() < 1e-6);
        assert!((s.factor(100, 1000) - 1.0).abs() < 1e-6);
        assert!(s.factor(50, 1000) > s.factor(10, 1000));
        assert!((s.factor(999, 1000) - 1.0 / 32.0).abs() < 0.01);
    }

    #[test]
    fn heads_of_weight_zero_give_no_loss_and_negative_weights_are_refused() {
        let file = |heads: &str| format!("[[stage]]\ntrain = [\"lstm_0\"]\nheads = {{ {heads} }}\nepochs = 1\n");
        let s = Schedule::from_toml(&file("lstm_0 = 1.0, lstm_1 = 0.0, head = 0.0"), "s.toml", &lstms(2)).unwrap();
        let plan = &s.stages[0].plan;
        assert_eq!((plan.depth, plan.head_weight, plan.aux_weights.clone()), (1, 0.0, vec![1.0, 0.0]));
        assert!(!plan.trainable[Aux(1)]);
        let e = Schedule::from_toml(&file("head = 0.0"), "s.toml", &lstms(2)).unwrap_err().to_string();
        assert!(e.contains("no head has a weight above 0"), "{e}");
        let e = Schedule::from_toml(&file("lstm_0 = -1.0"), "s.toml", &lstms(2)).unwrap_err().to_string();
        assert!(e.contains("the weight of 'lstm_0' must be a number ≥ 0"), "{e}");
    }

    #[test]
    fn lr_mults_below_zero_or_not_numbers_are_refused_at_their_stage_s_line() {
        let file = |m: &str| {
            format!("name = \"x\"\n\n[[stage]]\ntrain = [\"lstm_0\"]\nheads = {{ lstm_0 = 1.0 }}\nlr_mult = {{ embedding = {m} }}\nepochs = 1\n")
        };
        for bad in ["-1000.0", "nan", "inf", "-0.5"] {
            let e = Schedule::from_toml(&file(bad), "s.toml", &lstms(2)).unwrap_err().to_string();
            assert!(e.starts_with("s.toml:3:"), "{bad}: {e}");
            assert!(
                e.contains("lr_mult: the multiplier of 'embedding' must be a number ≥ 0") && e.contains("hint:"),
                "{e}"
            );
        }
        for good in ["0.0", "0.5", "3.0"] {
            let s = Schedule::from_toml(&file(good), "s.toml", &lstms(2)).unwrap();
            assert_eq!(s.stages[0].lr_mults[Embedding], good.parse::<f32>().unwrap());
        }
    }

    #[test]
    fn stage_epochs_are_capped_so_no_total_can_overflow() {
        let file = |a: usize, b: usize| {
            format!("[[stage]]\ntrain = [\"head\"]\nepochs = {a}\n\n[[stage]]\ntrain = [\"head\"]\nepochs = {b}\n")
        };
        let s = Schedule::from_toml(&file(MAX_STAGE_EPOCHS, MAX_STAGE_EPOCHS), "s.toml", &lstms(1)).unwrap();
        assert_eq!(s.epochs(), 2 * MAX_STAGE_EPOCHS);
        let e = Schedule::from_toml(&file(1, MAX_STAGE_EPOCHS + 1), "s.toml", &lstms(1)).unwrap_err().to_string();
        assert!(e.starts_with("s.toml:5:") && e.contains("is more than 100000") && e.contains("hint:"), "{e}");
        let e = Schedule::from_toml(&file(i64::MAX as usize, 1), "s.toml", &lstms(1)).unwrap_err().to_string();
        assert!(e.starts_with("s.toml:1:") && e.contains("is more than"), "{e}");
        // built-in schedules take a budget from the command line: their total saturates
        let mut big = Schedule::end_to_end(1, usize::MAX);
        big.stages.push(big.stages[0].clone());
        assert_eq!(big.epochs(), usize::MAX);
    }

    #[test]
    fn toml_schedule_and_its_errors() {
        let text = "[[stage]]\ntrain = [\"embedding\", \"lstm_0\"]\nheads = { lstm_0 = 1.0 }\nepochs = 2\n\n[[stage]]\nname = \"top\"\ntrain = [\"lstm_1\", \"head\"]\nlr_mult = { lstm_1 = 0.5 }\nepochs = 1\n";
        let s = Schedule::from_toml(text, "s.toml", &lstms(2)).unwrap();
        assert_eq!(s.stages[0].plan.depth, 1);
        assert_eq!(s.stages[0].plan.head_weight, 0.0);
        assert_eq!(s.stages[1].plan.depth, 2);
        assert_eq!(s.stages[1].lr_mults[Level(1)], 0.5);
        assert_eq!(trained(&s.stages[0]), [Embedding, Level(0), Aux(0)]);
        assert_eq!(s.stages[0].name, "embedding + lstm_0");
        let bad = Schedule::from_toml("[[stage]]\ntrain = [\"lstm_7\"]\nepochs = 1\n", "s.toml", &lstms(2))
            .unwrap_err()
            .to_string();
        assert!(bad.starts_with("s.toml:1: stage 1: unknown layer 'lstm_7'"), "{bad}");
        let bad = Schedule::from_toml(
            "[[stage]]\ntrain = [\"lstm_0\"]\nheads = { lstm_0 = 1.0 }\nepochs = 1\n\n[[stage]]\ntrain = [\"lstm_1\"]\nheads = { lstm_0 = 1.0 }\nepochs = 1\n",
            "s.toml",
            &lstms(2),
        )
        .unwrap_err();
        assert_eq!(
            bad,
            ScheduleError::File {
                origin: "s.toml".into(),
                line: 6,
                stage: Some(2),
                problem: Box::new(ScheduleError::Unread { name: "lstm_1".into() })
            }
        );
        assert!(bad.to_string().contains("trains lstm_1 but no head reads it"), "{bad}");
        let bad = Schedule::from_toml("[[stage]]\ntrain = [\"head\"]\nepochs = 1\nbogus = 2\n", "s.toml", &lstms(2))
            .unwrap_err()
            .to_string();
        assert!(bad.starts_with("s.toml:4: unknown field `bogus`"), "{bad}");
        assert!(bad.ends_with("(hint: see `strata train --help` for the [[stage]] format)"), "{bad}");
        let bad = Schedule::from_toml("name = \"x\"\n", "s.toml", &lstms(2)).unwrap_err().to_string();
        assert_eq!(bad, "s.toml:1: no [[stage]] tables (hint: declare at least one stage)");
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let e = Schedule::named("bogus", &lstms(1), 1, 0, 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown schedule 'bogus' (hint: use one of end-to-end, layerwise, deep-supervision, gradual-unfreeze, ulmfit, decoupled)"
        );
        let mut s = Schedule::end_to_end(1, 1);
        let e = s.scale_lr(&[("lstm_3".into(), 0.5)], &lstms(1)).unwrap_err();
        assert_eq!(
            e,
            ScheduleError::UnknownLayer {
                name: "lstm_3".into(),
                known: vec!["embedding".into(), "lstm_0".into(), "head".into()]
            }
        );
    }

    #[test]
    fn freeze_removes_groups_and_refuses_an_empty_stage() {
        let mut s = Schedule::end_to_end(1, 3);
        s.freeze(&["embedding".into()], &lstms(1)).unwrap();
        assert_eq!(trained(&s.stages[0]), [Level(0), Head]);
        let mut g = Schedule::gradual_unfreeze(&lstms(1), 3);
        assert_eq!(
            g.freeze(&["head".into()], &lstms(1)).unwrap_err(),
            ScheduleError::NothingToTrain { stage: 1, name: "head".into() }
        );
    }

    #[test]
    fn decoupled_trains_every_level_at_once_for_layerwise_share() {
        let s = Schedule::named("decoupled", &lstms(3), 10, 0, 0.0).unwrap();
        assert_eq!(s.stages.len(), 1);
        let plan = &s.stages[0].plan;
        assert!(plan.detach_levels && plan.head_weight == 1.0 && plan.depth == 3);
        assert_eq!(plan.aux_weights, vec![1.0, 1.0, 0.0], "an aux head on each level below the top");
        let all = [Group::Embedding, Group::Level(0), Group::Level(1), Group::Level(2), Group::Head];
        assert_eq!(trained(&s.stages[0]), [&all[..], &[Group::Aux(0), Group::Aux(1)]].concat());
        // layerwise splits 10 epochs 4, 3, 3: every level gets the largest share
        assert_eq!(Schedule::layerwise(&lstms(3), 10, 0).stages[0].epochs, 4);
        assert_eq!(s.epochs(), 4);
        assert_eq!(Schedule::named("decoupled", &lstms(3), 2, 0, 0.0).unwrap().epochs(), 1);
    }
}
