//! From flags to settings: what `TrainArgs` says, checked and resolved against the named
//! model's recipe, as the `TrainSettings` the workflow runs; and the worker pool `--threads`
//! sets. `args.rs` declares the flags; this file gives them their meaning.

use anyhow::{bail, Result};
use strata_model::linear::LinearConfig;
use strata_model::model_file;
use strata_model::zoo::{self, Knobs};
use strata_text::{PadSequences, TokenizerConfig, KERAS_FILTERS};
use strata_train::schedule::Schedule;
use strata_train::FitOptions;
use strata_workflow::init_from::InitFrom;
use strata_workflow::linear::LinearSettings;
use strata_workflow::pipeline::{ModelSettings, Probes, TextSettings, TrainSettings};

use crate::args::{TokenizerArgs, TrainArgs};
use crate::choices;

impl TrainArgs {
    /// Checks ranges and builds the settings; `validation_split` comes from the command.
    pub fn settings(&self, validation_split: f64) -> Result<TrainSettings> {
        self.settings_for(validation_split, None)
    }

    /// The settings with `schedule` (a name) in place of `--schedule`.
    pub fn settings_for(&self, validation_split: f64, schedule: Option<&str>) -> Result<TrainSettings> {
        if self.model == choices::Model::Linear {
            return self.linear_settings(validation_split, schedule);
        }
        if self.model == choices::Model::Nbsvm {
            return self.nbsvm_settings(validation_split, schedule);
        }
        self.refuse_linear_flags()?;
        self.nbsvm_flags_refused(self.model.name())?;
        // A flag the user left out takes the named model's recipe (zoo::recipe); a model file
        // takes the seed's.
        let recipe = if self.model_file.is_none() { zoo::recipe(self.model.name()) } else { zoo::SEED_RECIPE };
        let maxlen = self.maxlen.unwrap_or(recipe.maxlen);
        let (epochs, batch_size) = (self.epochs.unwrap_or(recipe.epochs), self.batch_size.unwrap_or(recipe.batch_size));
        // pretrained vectors give the embedding its length unless --embedding-dim says otherwise
        let file_dim = match &self.embeddings {
            Some(path) => Some(strata_data::peek_dim(path)?.0),
            None => None,
        };
        if let (Some(path), Some(file), Some(given)) = (&self.embeddings, file_dim, self.embedding_dim) {
            if file != given {
                bail!(
                    "{}: the vectors have {file} values and --embedding-dim is {given} (hint: leave out --embedding-dim to take the file's)",
                    path.display()
                );
            }
        }
        let init_from = self.init_from()?;
        let pretrained = init_from.as_ref().map(|init| init.tokenizer.config.clone());
        let (num_words, embedding_dim) = (
            pretrained.as_ref().and_then(|t| t.num_words).or(self.text.num_words).unwrap_or(recipe.num_words),
            self.embedding_dim.or(file_dim).unwrap_or(recipe.embedding_dim),
        );
        let early_stopping = match self.early_stopping {
            Some(0) => None,
            Some(n) => Some(n),
            None => recipe.early_stopping,
        };
        // The recipe's early stopping needs data to watch: a command that holds out nothing
        // holds out the recipe's 10% (a user's own --early-stopping keeps the commands' check).
        let validation_split = if self.early_stopping.is_none() && early_stopping.is_some() && validation_split == 0.0 {
            zoo::RECIPE_VALIDATION_SPLIT
        } else {
            validation_split
        };
        let positive = [
            (epochs, "--epochs", "10"),
            (batch_size, "--batch-size", "32"),
            (maxlen, "--maxlen", "100"),
            (self.units.unwrap_or(1), "--units", "64"),
            (self.max_sentences.unwrap_or(1), "--max-sentences", "15"),
            (embedding_dim, "--embedding-dim", "128"),
        ];
        for (v, flag, seed) in positive {
            if v == 0 {
                bail!("{flag} must be at least 1 (hint: the seed uses {seed})");
            }
        }
        if epochs > strata_train::schedule::MAX_STAGE_EPOCHS {
            let max = strata_train::schedule::MAX_STAGE_EPOCHS;
            bail!("--epochs {epochs} is more than {max} (hint: the budget is passes over the data; the seed uses 10)");
        }
        if num_words < 2 {
            bail!("--num-words must be at least 2: index 0 is padding (hint: the seed uses 10000)");
        }
        if !(0.0..1.0).contains(&validation_split) {
            bail!("--validation-split must be in [0, 1) (hint: 0.1 holds out a tenth)");
        }
        if !(self.aux_weight.is_finite() && self.aux_weight >= 0.0) {
            bail!("--aux-weight must be a non-negative number (hint: deep supervision uses 0.3)");
        }
        strata_model::limits::check_layers(self.layers)?;
        let knobs = Knobs { units: self.units, layers: self.layers, sentences: self.max_sentences };
        let mut model = model_settings(self.model, self.model_file.as_deref(), embedding_dim, knobs)?;
        if let (Some(path), Some(file)) = (&self.embeddings, file_dim) {
            if model.embedding_dim != file {
                bail!(
                    "{}: the vectors have {file} values and the model file's embedding_dim is {} (hint: set embedding_dim = {file} there)",
                    path.display(),
                    model.embedding_dim
                );
            }
        }
        if let Some(a) = self.embedding_init {
            if !(a.is_finite() && a >= 0.0) {
                bail!("--embedding-init must be a non-negative number (hint: Keras uses 0.05)");
            }
            model.embedding_init = a;
        }
        if self.multichannel && self.embeddings.is_none() && self.init_from.is_none() {
            // a static channel of random numbers is not Kim's model: its point is the vectors
            bail!(
                "--multichannel needs pretrained vectors for its static copy (hint: give pretrained vectors with --embeddings FILE or --init-from DIR)"
            );
        }
        model.multichannel = self.multichannel;
        model.mask_padding = self.mask_padding;
        // sizes that would overflow or abort an allocation, before any data is read
        strata_model::limits::check_training(&model.config(num_words, 2), maxlen, batch_size)?;
        let adam_lr = (self.optimizer == choices::Optimizer::Adam).then_some(recipe.adam_lr);
        let optimizer = self.optimizer.with_lr(self.lr.or(adam_lr));
        if !(optimizer.lr() > 0.0 && optimizer.lr().is_finite()) {
            bail!("--lr must be a positive number (hint: Keras's Adam uses 0.001)");
        }
        let settings = TrainSettings {
            text: TextSettings {
                tokenizer: pretrained.unwrap_or_else(|| self.text.config(num_words)),
                pad: PadSequences { maxlen, padding: self.padding.into(), truncating: self.truncating.into() },
            },
            schedule: self.schedule(&model, schedule, epochs)?,
            model,
            fit: FitOptions {
                epochs,
                batch_size,
                optimizer,
                seed: self.seed,
                shuffle: true,
                early_stopping,
                monitor: self.monitor.into(),
                max_norm: match self.max_norm {
                    Some(s) if !(s > 0.0 && s.is_finite()) => {
                        bail!("--max-norm must be a positive number (hint: Kim uses 3)")
                    }
                    other => other,
                },
                sparse_embedding_updates: self.sparse_embedding_updates,
                bucket_by_length: self.bucket_by_length,
                class_weight: self.class_weight()?,
                class_weights: None,
                level_workers: self.level_workers,
                adversarial: self.adversarial()?,
            },
            validation_split,
            probes: if self.no_probes { Probes::Off } else { Probes::EveryStage },
            embeddings: self.embeddings.clone(),
            init_from,
            linear: None,
            level_heads: Vec::new(),
            nbsvm: None,
        };
        if settings.model.multichannel && settings.schedule.language_model.is_some() {
            bail!(
                "--multichannel with the {} schedule: its language model reads one copy of the embedding and a multichannel model's lowest level reads two (hint: leave out --multichannel, or choose another schedule)",
                settings.schedule.name
            );
        }
        self.check_sparse_embedding_updates(&settings)?;
        self.check_level_workers(&settings, schedule.is_some())?;
        strata_workflow::ulmfit::check(&settings.schedule, settings.init_from.as_ref())?;
        // a folder whose tensors do not fit is refused before any data is read or --out claimed
        if let Some(init) = &settings.init_from {
            strata_workflow::init_from::check(&settings.model, init)?;
        }
        Ok(settings)
    }

    /// `--level-workers` is at least 1, and above 1 it needs a decoupled stage to pipeline
    /// (`experiment`, which names each schedule, applies it to its decoupled runs alone), and a
    /// single process: under MPI every rank already shares each batch's chunks; and no
    /// `--adversarial`, which perturbs an embedding that a pipelined upper group never sees.
    fn check_level_workers(&self, settings: &TrainSettings, one_of_several: bool) -> Result<()> {
        let n = self.level_workers;
        if n == 0 {
            bail!("--level-workers must be at least 1 (hint: 1 trains every level together; 2 pipelines two level groups)");
        }
        if n == 1 {
            return Ok(());
        }
        if !one_of_several && !settings.schedule.stages.iter().any(|s| s.plan.detach_levels) {
            bail!(
                "--level-workers {n} with the {} schedule: only a decoupled stage's levels can train apart (hint: add --schedule decoupled, or leave out --level-workers)",
                settings.schedule.name
            );
        }
        if strata_train::ranks::batch_world().is_some() {
            bail!(
                "--level-workers {n} under mpirun: the ranks already share each batch (hint: leave out --level-workers, or run one process)"
            );
        }
        if settings.fit.adversarial.is_some() {
            bail!(
                "--adversarial with --level-workers {n}: a pipelined level group above the lowest never sees the embedding it would perturb (hint: leave out --level-workers, or --adversarial)"
            );
        }
        Ok(())
    }

    /// `--adversarial EPS` and `--adversarial-weight W`, both positive and finite; the weight
    /// alone is refused, as it would change nothing.
    fn adversarial(&self) -> Result<Option<strata_model::adversarial::Adversarial>> {
        let positive = |v: f32| v > 0.0 && v.is_finite();
        match (self.adversarial, self.adversarial_weight) {
            (None, None) => Ok(None),
            (None, Some(_)) => bail!(
                "--adversarial-weight without --adversarial: there is no adversarial loss to weigh (hint: add --adversarial EPS, e.g. 1)"
            ),
            (Some(e), _) if !positive(e) => {
                bail!("--adversarial must be a positive number (hint: the L2 norm of each text's perturbation, e.g. 1)")
            }
            (Some(_), Some(w)) if !positive(w) => {
                bail!("--adversarial-weight must be a positive number (hint: Miyato et al. use 1)")
            }
            (Some(epsilon), w) => Ok(Some(strata_model::adversarial::Adversarial { epsilon, weight: w.unwrap_or(1.0) })),
        }
    }

    /// `--sparse-embedding-updates` needs an optimizer with a lazy form and an embedding that
    /// trains in some stage: refused, not ignored, where it would change nothing it names.
    fn check_sparse_embedding_updates(&self, settings: &TrainSettings) -> Result<()> {
        if !self.sparse_embedding_updates {
            return Ok(());
        }
        if self.optimizer == choices::Optimizer::Adadelta {
            bail!(
                "--sparse-embedding-updates with --optimizer adadelta: Adadelta has no lazy form that leaves unused rows alone (hint: use --optimizer adam, whose lazy form is PyTorch's SparseAdam and TF's LazyAdam, or leave out --sparse-embedding-updates)"
            );
        }
        let trains = settings.schedule.stages.iter().any(|s| s.plan.trainable[strata_model::plan::Group::Embedding]);
        if !trains {
            bail!(
                "--sparse-embedding-updates with the embedding frozen in every stage: no embedding row is ever updated (hint: leave out --sparse-embedding-updates, or let the embedding train)"
            );
        }
        Ok(())
    }

    /// With `--init-from DIR`, DIR read (once, for every fold), after checking that no text flag
    /// given (a value other than its default) differs from its tokenizer; without it, `None`.
    fn init_from(&self) -> Result<Option<InitFrom>> {
        let Some(dir) = &self.init_from else { return Ok(None) };
        if self.embeddings.is_some() {
            bail!(
                "--init-from and --embeddings together (hint: --init-from brings its own embedding; give one of them)"
            );
        }
        let init = InitFrom::load(dir)?;
        self.text.agree_with(&init.tokenizer.config, dir)?;
        Ok(Some(init))
    }
}

impl TrainArgs {
    /// The schedule from `--schedule-file`, or the named one, with `--freeze` and `--lr-mult`.
    fn schedule(&self, model: &ModelSettings, name: Option<&str>, epochs: usize) -> Result<Schedule> {
        let config = model.config(2, 2);
        let mut schedule = match (&self.schedule_file, name) {
            (Some(path), None) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("{}: cannot read: {e} (hint: check the path)", path.display()))?;
                Schedule::from_toml(&text, &path.display().to_string(), &config)?
            }
            _ => Schedule::named(
                name.unwrap_or(self.schedule.name()),
                &config,
                epochs,
                self.finetune_epochs,
                self.aux_weight,
            )?,
        };
        if self.finetune_epochs >= epochs && schedule.name == "layerwise" {
            bail!("--finetune-epochs must be less than --epochs (hint: the layer stages need epochs too)");
        }
        let mut mults = Vec::new();
        for item in &self.lr_mult {
            let parsed = item.split_once('=').and_then(|(k, v)| v.parse::<f32>().ok().map(|v| (k.to_string(), v)));
            match parsed {
                Some((k, v)) if v >= 0.0 && v.is_finite() => mults.push((k, v)),
                _ => bail!("--lr-mult '{item}' is not layer=number (hint: e.g. --lr-mult embedding=0.1)"),
            }
        }
        schedule.freeze(&self.freeze, &config)?;
        schedule.scale_lr(&mults, &config)?;
        Ok(schedule)
    }
}

/// Longest character n-gram `--maxn` takes: longer ones are whole words in practice, and each
/// word gives `len × (maxn − minn + 1)` rows.
pub(crate) const MAX_CHAR_NGRAM: usize = 20;

impl TrainArgs {
    /// `--model linear`: fastText's supervised model with its flags (`args_linear.rs`), 25
    /// epochs at lr 1.0 unless `--epochs`/`--lr` say otherwise, words split by the text flags
    /// (the dictionary keeps every word seen `--min-count` times, so `num_words` is unset).
    /// Flags only a network reads are refused rather than ignored.
    pub(crate) fn linear_settings(&self, validation_split: f64, schedule: Option<&str>) -> Result<TrainSettings> {
        self.refuse_network_flags(schedule, "linear")?;
        self.nbsvm_flags_refused("linear")?;
        let d = LinearConfig::default();
        let a = &self.linear;
        let config = LinearConfig {
            dim: a.dim.unwrap_or(d.dim),
            word_ngrams: a.word_ngrams.unwrap_or(d.word_ngrams),
            buckets: a.buckets.unwrap_or(d.buckets),
            min_count: a.min_count.unwrap_or(d.min_count),
            minn: a.minn.unwrap_or(d.minn),
            maxn: a.maxn.unwrap_or(d.maxn),
            loss: a.loss.map_or(d.loss, Into::into),
        };
        if config.word_ngrams == 0 {
            bail!("--word-ngrams must be at least 1 (hint: 1 is a bag of words, 2 adds word pairs)");
        }
        if config.dim == 0 {
            bail!("--dim must be at least 1 (hint: fastText uses 100)");
        }
        let (word_ngrams, char_ngrams) = (config.word_ngrams > 1, config.maxn > 0);
        if config.buckets == 0 && (word_ngrams || char_ngrams) {
            let (what, or) = match (word_ngrams, char_ngrams) {
                (true, false) => ("word n-grams", "give --word-ngrams 1"),
                (false, _) => ("character n-grams", "leave out --minn and --maxn"),
                (true, true) => ("word and character n-grams", "give --word-ngrams 1 and leave out --minn and --maxn"),
            };
            bail!("--buckets 0 leaves the {what} nowhere to go (hint: fastText uses 2000000, or {or})");
        }
        // as fastText (`if wordNgrams <= 1 && maxn == 0: bucket = 0`): no n-gram, no bucket rows
        let config = if word_ngrams || char_ngrams { config } else { LinearConfig { buckets: 0, ..config } };
        if config.maxn > MAX_CHAR_NGRAM {
            bail!("--maxn {} is more than {MAX_CHAR_NGRAM} characters (hint: fastText's subword models use --minn 3 --maxn 6)", config.maxn);
        }
        if config.minn > config.maxn || (config.maxn > 0 && config.minn == 0) {
            bail!(
                "--minn {} and --maxn {} are no range of character n-gram lengths (hint: 1 ≤ minn ≤ maxn, e.g. --minn 3 --maxn 6; leave both out for none)",
                config.minn,
                config.maxn
            );
        }
        let rows = config.buckets.checked_add(1).and_then(|b| b.checked_mul(config.dim));
        if rows.is_none_or(|n| n > strata_model::limits::MAX_PARAMS) {
            let max = strata_model::limits::MAX_PARAMS;
            bail!("--buckets {} × --dim {} is more than strata's limit of {max} parameters (hint: the defaults, 2000000 × 100, fit)", config.buckets, config.dim);
        }
        let epochs = self.epochs.unwrap_or(strata_workflow::linear::DEFAULT_EPOCHS);
        if epochs == 0 {
            bail!("--epochs must be at least 1 (hint: fastText's supervised recipe uses 25 for --model linear)");
        }
        if epochs > strata_train::schedule::MAX_STAGE_EPOCHS {
            let max = strata_train::schedule::MAX_STAGE_EPOCHS;
            bail!("--epochs {epochs} is more than {max} (hint: the budget is passes over the data; --model linear uses 25)");
        }
        let lr = self.lr.unwrap_or(strata_workflow::linear::DEFAULT_LR);
        if !(lr > 0.0 && lr.is_finite()) {
            bail!("--lr must be a positive number (hint: --model linear uses 1.0)");
        }
        if !(0.0..1.0).contains(&validation_split) {
            bail!("--validation-split must be in [0, 1) (hint: 0.1 holds out a tenth)");
        }
        // the network fields are unused with `linear` set (pipeline.rs); they say what ran
        let model = ModelSettings::named("seed", config.dim, Knobs::default())?;
        let tokenizer = TokenizerConfig { num_words: None, ..self.text.config(2) };
        Ok(TrainSettings {
            text: TextSettings { tokenizer, pad: PadSequences::keras(1) },
            schedule: Schedule::end_to_end(1, epochs),
            model,
            fit: FitOptions {
                epochs,
                optimizer: strata_train::OptimizerKind::Sgd { lr },
                seed: self.seed,
                class_weight: self.class_weight()?,
                ..FitOptions::default()
            },
            validation_split,
            probes: Probes::Off,
            embeddings: None,
            init_from: None,
            linear: Some(LinearSettings { config, lr }),
            level_heads: Vec::new(),
            nbsvm: None,
        })
    }

    /// Refuses the flags only a network reads, for a model (`linear`, `nbsvm`) that has no
    /// layers: they would change nothing.
    pub(crate) fn refuse_network_flags(&self, schedule: Option<&str>, model: &str) -> Result<()> {
        let network_only: [(bool, &str); 17] = [
            (self.model_file.is_some(), "--model-file"),
            (self.batch_size.is_some(), "--batch-size"),
            (self.maxlen.is_some(), "--maxlen"),
            (self.layers.is_some(), "--layers"),
            (self.units.is_some(), "--units"),
            (self.max_sentences.is_some(), "--max-sentences"),
            (self.embedding_dim.is_some(), "--embedding-dim"),
            (self.embeddings.is_some(), "--embeddings"),
            (self.init_from.is_some(), "--init-from"),
            (self.embedding_init.is_some(), "--embedding-init"),
            (self.optimizer != choices::Optimizer::Adam, "--optimizer"),
            (self.schedule != choices::Schedule::EndToEnd || schedule.is_some_and(|s| s != "end-to-end"), "--schedule"),
            (self.schedule_file.is_some(), "--schedule-file"),
            (!self.freeze.is_empty(), "--freeze"),
            (!self.lr_mult.is_empty(), "--lr-mult"),
            (self.early_stopping.is_some_and(|n| n > 0), "--early-stopping"),
            (self.max_norm.is_some(), "--max-norm"),
        ];
        let more = [
            (self.finetune_epochs != 0, "--finetune-epochs"),
            (self.text.num_words.is_some(), "--num-words"),
            (self.monitor != choices::Monitor::ValLoss, "--monitor"),
            (self.padding != choices::Side::Pre, "--padding"),
            (self.truncating != choices::Side::Pre, "--truncating"),
            (self.aux_weight != crate::args_train::DEFAULT_AUX_WEIGHT, "--aux-weight"),
            (self.text.oov_token != "<OOV>", "--oov-token"),
            (self.multichannel, "--multichannel"),
            (self.sparse_embedding_updates, "--sparse-embedding-updates"),
            (self.adversarial.is_some() || self.adversarial_weight.is_some(), "--adversarial"),
            (self.mask_padding, "--mask-padding"),
            (self.bucket_by_length, "--bucket-by-length"),
        ];
        if let Some((_, flag)) = network_only.iter().chain(&more).find(|(given, _)| *given) {
            let hint = match *flag {
                "--num-words" => "the linear model keeps every word seen --min-count times",
                "--embedding-dim" => "the linear model's vectors are --dim long",
                "--monitor" => "the linear model has no early stopping to watch anything",
                "--padding" | "--truncating" | "--mask-padding" | "--bucket-by-length" => {
                    "the linear model reads every word: nothing is padded or cut"
                }
                "--oov-token" => "the linear model leaves out words it has no row for",
                "--sparse-embedding-updates" => "the linear model's SGD already updates only the rows a text uses",
                "--init-from" => "a linear model cannot continue from a folder: train it again on the old and new data together (it takes seconds); --init-from continues the networks",
                _ => "leave it out, or choose a network with --model",
            };
            bail!("{flag} is for the networks, not --model {model} (hint: {hint})");
        }
        Ok(())
    }

    /// `--class-weight`, its file read and checked (before any data is read).
    fn class_weight(&self) -> Result<Option<strata_train::class_weight::ClassWeight>> {
        Ok(self.class_weight.as_deref().map(strata_train::class_weight::ClassWeight::parse).transpose()?)
    }

    /// A linear-model flag given with a network is refused: it would change nothing.
    fn refuse_linear_flags(&self) -> Result<()> {
        if let Some(flag) = self.linear.first_given() {
            bail!("{flag} is for --model linear (hint: add --model linear, or leave out {flag})");
        }
        Ok(())
    }
}

/// Notes on what the padding flags do to this model, said once before training:
/// `--mask-padding` on a model with no recurrent layer (kim-cnn) changes nothing, as pooling and
/// attention skip padding already (a convolution's batches are not cut for it either:
/// `step_window::cut_is_exact`); `--bucket-by-length` alone trains recurrent layers on batches
/// cut to their texts, while prediction reads every padded step.
pub fn padding_notes(s: &TrainSettings) -> Vec<String> {
    let m = &s.model;
    let recurrent = m.layers.iter().any(|l| l.layer().skips_padding_when_masked());
    let mut notes = Vec::new();
    if s.linear.is_some() {
        return notes;
    }
    if m.mask_padding && !recurrent {
        notes.push(format!(
            "--mask-padding changes nothing in {}'s layers: it has no recurrent layer, and pooling and attention skip padding already",
            m.architecture
        ));
    }
    if s.fit.bucket_by_length && !m.mask_padding && recurrent {
        notes.push(
            "--bucket-by-length without --mask-padding: the recurrent layers train on batches cut to their texts but read every padded step when the model predicts; add --mask-padding to skip padding in both"
                .to_string(),
        );
    }
    notes
}

/// Most worker threads `--threads` takes: far more than any machine's cores, few enough that
/// starting them is instant (200,000 took minutes).
const MAX_THREADS: usize = 1024;

/// Sets rayon's global pool to `threads` (default: all cores).
pub fn init_threads(threads: Option<usize>) -> Result<()> {
    let n = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if n == 0 {
        bail!("--threads must be at least 1 (hint: leave it out to use every core)");
    }
    if n > MAX_THREADS {
        bail!(
            "--threads {n} is more than {MAX_THREADS} (hint: one per core is fastest; leave it out to use every core)"
        );
    }
    rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    Ok(())
}

impl TokenizerArgs {
    /// Errs on the first text flag given (a value other than its default) that differs from
    /// `theirs`, the tokenizer of the folder `dir` that `--init-from` takes the vocabulary of.
    pub(crate) fn agree_with(&self, theirs: &TokenizerConfig, dir: &std::path::Path) -> Result<()> {
        let mine = self;
        let shown = dir.display();
        let differs = |flag: &str, there: String| -> Result<()> {
            bail!("--{flag} differs from the tokenizer of {shown} ({there}) (hint: --init-from takes the folder's vocabulary; leave out --{flag})")
        };
        if let Some(n) = mine.num_words.filter(|&n| Some(n) != theirs.num_words) {
            let there = theirs.num_words.map_or("every word".to_string(), |n| format!("num_words {n}"));
            differs(&format!("num-words {n}"), there)?;
        }
        let oov = (!mine.oov_token.is_empty()).then(|| mine.oov_token.clone());
        if mine.oov_token != "<OOV>" && oov != theirs.oov_token {
            let there = theirs.oov_token.as_ref().map_or("no OOV token".to_string(), |t| format!("oov_token {t}"));
            differs("oov-token", there)?;
        }
        if mine.no_lower && theirs.lower {
            differs("no-lower", "it lower-cases".into())?;
        }
        let char_level = mine.char_level || mine.tokenizer.char_level();
        if mine.char_level && !theirs.char_level {
            differs("char-level", "it splits words".into())?;
        }
        if mine.tokenizer != choices::Tokenizer::Word
            && (char_level != theirs.char_level || mine.tokenizer.segmenter() != theirs.segmenter)
        {
            let there = match (theirs.char_level, theirs.segmenter) {
                (true, _) => "it splits characters",
                (false, strata_text::Segmenter::Jieba) => "it segments words with jieba",
                (false, strata_text::Segmenter::Keras) => "it splits words",
            };
            differs("tokenizer", there.into())?;
        }
        if mine.filters != KERAS_FILTERS && mine.filters != theirs.filters {
            differs("filters", format!("filters \"{}\"", theirs.filters.escape_debug()))?;
        }
        Ok(())
    }

    /// The Keras tokenizer these flags describe, keeping `num_words - 1` words.
    pub fn config(&self, num_words: usize) -> TokenizerConfig {
        TokenizerConfig {
            num_words: Some(num_words),
            filters: self.filters.clone(),
            lower: !self.no_lower,
            split: " ".into(),
            char_level: self.char_level || self.tokenizer.char_level(),
            oov_token: (!self.oov_token.is_empty()).then(|| self.oov_token.clone()),
            segmenter: self.tokenizer.segmenter(),
        }
    }
}

/// The layers `--model-file` declares, else the named `--model` sized by `knobs`: what train
/// and pretrain build their model from.
pub fn model_settings(
    model: choices::Model,
    file: Option<&std::path::Path>,
    embedding_dim: usize,
    knobs: Knobs,
) -> Result<ModelSettings> {
    Ok(match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{}: cannot read: {e} (hint: check the path)", path.display()))?;
            model_file::parse(&text, &path.display().to_string(), embedding_dim)?
        }
        None => ModelSettings::named(model.name(), embedding_dim, knobs)?,
    })
}

/// `--adversarial` as results.json and cv's JSON record it; `None` without it.
pub fn adversarial_record(s: &TrainSettings) -> Option<strata_report::AdversarialConfig> {
    s.fit.adversarial.map(|a| strata_report::AdversarialConfig { epsilon: a.epsilon, weight: a.weight })
}
