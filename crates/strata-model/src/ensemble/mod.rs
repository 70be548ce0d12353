//! Ensembles (soft voting): several trained classifiers of any family — a pretrained network
//! and a bag-of-n-grams model, say (Mesnil et al. 2014) — answering as one, their prediction
//! the weighted mean of the members' class probabilities, as scikit-learn's
//! `VotingClassifier(voting="soft")` does. Each member reads the raw text with its own
//! tokenizer, so members of different families and vocabularies mix freely.
//!
//! The members are any [`Voter`]; `classifier.rs` makes its `Classifier` one, so this module
//! never names it (the two modules would import each other). The folder form is in
//! [`folder`], the choice of weights on a validation file in [`tune`].

pub mod folder;
pub mod tune;

use strata_data::LabelMap;

use crate::explain::{Explanation, TokenSaliency};
use crate::head::argmax;
use crate::infer::{Evaluation, Prediction};
use crate::label_structure::LabelStructure;

/// What an ensemble needs of a member: its labels and how it reads them, and its probabilities.
pub trait Voter {
    fn labels(&self) -> &LabelMap;
    fn structure(&self) -> &LabelStructure;
    /// `--model`'s name for it (`seed`, `linear`, `ensemble`, …).
    fn architecture(&self) -> &str;
    fn predict(&self, texts: &[&str]) -> Vec<Prediction>;
    /// How many tokens of `text` it reads (the server bounds requests by the largest).
    fn token_count(&self, text: &str) -> usize;
}

/// Why a set of members (or an ensemble folder) makes no ensemble: the message and what to do.
#[derive(Clone, Debug, PartialEq)]
pub struct EnsembleError {
    pub message: String,
    pub hint: &'static str,
}

impl std::fmt::Display for EnsembleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (hint: {})", self.message, self.hint)
    }
}

impl std::error::Error for EnsembleError {}

fn refuse(message: impl Into<String>, hint: &'static str) -> EnsembleError {
    EnsembleError { message: message.into(), hint }
}

/// A member with the name errors and the model card call it by (the folder it came from).
#[derive(Clone, Debug)]
pub struct Member<M> {
    pub model: M,
    pub source: String,
    /// Its weight, normalised: the ensemble's weights sum to 1.
    pub weight: f32,
    /// For each class of the ensemble, the member's index of the same label.
    order: Vec<usize>,
}

#[derive(Clone, Debug)]
pub struct Ensemble<M> {
    pub members: Vec<Member<M>>,
    /// The first member's labels, in its order (renamed by `--label-names` like any model's).
    pub labels: LabelMap,
    pub structure: LabelStructure,
}

/// Checks weights as a user gives them: one per member, finite, none negative, some positive;
/// returns them scaled to sum to 1.
pub fn normalise_weights(weights: &[f32], members: usize) -> Result<Vec<f32>, EnsembleError> {
    const HINT: &str = "give one weight per member, e.g. --weights 0.6,0.4";
    if weights.len() != members {
        return Err(refuse(format!("{} weights for {members} members", weights.len()), HINT));
    }
    if let Some(w) = weights.iter().find(|w| !w.is_finite() || **w < 0.0) {
        return Err(refuse(format!("weight {w} is not a finite number ≥ 0"), HINT));
    }
    let sum: f32 = weights.iter().sum();
    if sum <= 0.0 || !sum.is_finite() {
        return Err(refuse("the weights sum to 0: no member would vote", HINT));
    }
    Ok(weights.iter().map(|w| w / sum).collect())
}

impl<M: Voter> Ensemble<M> {
    /// The ensemble of `members` (each with the name errors give it) voting with `weights`
    /// (equal when `None`). Refused: fewer than two members, an ensemble as a member, labels
    /// that are not one label per text, and members whose label sets differ.
    pub fn new(members: Vec<(String, M)>, weights: Option<&[f32]>) -> Result<Self, EnsembleError> {
        if members.len() < 2 {
            return Err(refuse(
                format!("an ensemble needs at least 2 members, got {}", members.len()),
                "pass --member DIR once per model",
            ));
        }
        let weights = match weights {
            Some(w) => normalise_weights(w, members.len())?,
            None => vec![1.0 / members.len() as f32; members.len()],
        };
        for (source, m) in &members {
            if m.architecture() == "ensemble" {
                return Err(refuse(
                    format!("{source} is itself an ensemble"),
                    "pass its members' folders with --member instead",
                ));
            }
            if !m.structure().is_single() {
                return Err(refuse(
                    format!(
                        "{source} has '{}' labels; an ensemble votes on models of one label per text",
                        m.structure().kind()
                    ),
                    "ensemble single-label models only",
                ));
            }
        }
        let labels = members[0].1.labels().clone();
        let mut out = Vec::with_capacity(members.len());
        for ((source, model), weight) in members.into_iter().zip(weights) {
            let theirs = model.labels();
            let order: Option<Vec<usize>> = labels.labels().iter().map(|l| theirs.index(l)).collect();
            let order = order.filter(|_| theirs.len() == labels.len()).ok_or_else(|| {
                refuse(
                    format!(
                        "{source} has the labels {}, not the first member's {}",
                        theirs.labels().join(","),
                        labels.labels().join(",")
                    ),
                    "ensemble models trained on the same labels",
                )
            })?;
            out.push(Member { model, source, weight, order });
        }
        Ok(Ensemble { members: out, labels, structure: LabelStructure::Single })
    }

    /// Replaces the weights (as a user gives them: checked and normalised).
    pub fn set_weights(&mut self, weights: &[f32]) -> Result<(), EnsembleError> {
        let w = normalise_weights(weights, self.members.len())?;
        self.members.iter_mut().zip(w).for_each(|(m, w)| m.weight = w);
        Ok(())
    }

    pub fn weights(&self) -> Vec<f32> {
        self.members.iter().map(|m| m.weight).collect()
    }

    /// Each member's probabilities for `texts`, in the ensemble's class order: `[member][text][class]`.
    pub fn member_probabilities(&self, texts: &[&str]) -> Vec<Vec<Vec<f32>>> {
        self.members
            .iter()
            .map(|m| {
                m.model.predict(texts).into_iter().map(|p| m.order.iter().map(|&c| p.probs[c]).collect()).collect()
            })
            .collect()
    }

    /// The weighted mean of the members' probabilities, and its most probable class.
    pub fn predict(&self, texts: &[&str]) -> Vec<Prediction> {
        vote(&self.member_probabilities(texts), &self.weights())
    }

    /// Mean cross-entropy of the voted probabilities and accuracy, with each text's class.
    pub fn evaluate_with_classes(&self, texts: &[&str], y: &[usize]) -> (Evaluation, Vec<usize>) {
        let predictions = self.predict(texts);
        let n = y.len().max(1) as f64;
        let loss: f64 = predictions.iter().zip(y).map(|(p, &c)| -(p.probs[c].max(f32::MIN_POSITIVE) as f64).ln()).sum();
        let correct = predictions.iter().zip(y).filter(|(p, &c)| p.class == c).count();
        let classes = predictions.iter().map(|p| p.class).collect();
        (Evaluation { loss: loss / n, accuracy: correct as f64 / n }, classes)
    }

    /// The most tokens any member reads of `text`, or its whitespace-separated words if more
    /// (what [`Self::explain`] occludes one by one, so what bounds its work).
    pub fn token_count(&self, text: &str) -> usize {
        let read = self.members.iter().map(|m| m.model.token_count(text)).max().unwrap_or(0);
        read.max(word_spans(text).len())
    }

    /// Occlusion on the voted probability: each whitespace-separated word of `text` is removed
    /// in turn, every member re-reads the shortened text with its own tokenizer, and the drop
    /// in the predicted class's voted probability is the word's saliency. (The members share
    /// no vocabulary nor embedding, so occlusion — which needs only the probabilities — is the
    /// explanation every ensemble has; a word no member reads scores 0 and counts as out of
    /// the vocabulary.) All shortened copies are scored in one batch. `None` for a text with
    /// no word.
    pub fn explain(&self, text: &str) -> Option<Explanation> {
        let words = word_spans(text);
        if words.is_empty() {
            return None;
        }
        let mut texts = vec![text.to_string()];
        texts.extend(words.iter().map(|&(a, b)| format!("{}{}", &text[..a], &text[b..])));
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let p = self.predict(&refs);
        let class = p[0].class;
        let full = p[0].probs[class];
        let tokens = words
            .iter()
            .zip(&p[1..])
            .map(|(&(a, b), q)| {
                let drop = full - q.probs[class];
                TokenSaliency {
                    token: text[a..b].to_string(),
                    in_vocabulary: drop != 0.0,
                    occlusion: Some(drop),
                    gradient_x_input: None,
                    attention: None,
                    sentence: None,
                }
            })
            .collect();
        Some(Explanation {
            label: self.labels.label(class).to_string(),
            score: full,
            tokens,
            sentence_attention: vec![],
        })
    }
}

/// Soft voting: for each text, `Σ_m w_m · p_m` over members' aligned probabilities
/// (`[member][text][class]`), and its argmax (the first class among ties).
pub fn vote(probs: &[Vec<Vec<f32>>], weights: &[f32]) -> Vec<Prediction> {
    let n = probs.first().map_or(0, Vec::len);
    (0..n)
        .map(|i| {
            let k = probs[0][i].len();
            let mut mean = vec![0f32; k];
            for (m, w) in probs.iter().zip(weights) {
                mean.iter_mut().zip(&m[i]).for_each(|(s, p)| *s += w * p);
            }
            let class = argmax(&mean);
            Prediction { class, probs: mean }
        })
        .collect()
}

/// Byte ranges of the whitespace-separated words of `text`.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, ch) in text.char_indices() {
        match (ch.is_whitespace(), start) {
            (true, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A member that answers fixed probabilities, whatever the text (its labels in its order).
    #[derive(Debug)]
    struct Fixed {
        labels: LabelMap,
        probs: Vec<f32>,
        structure: LabelStructure,
    }

    impl Voter for Fixed {
        fn labels(&self) -> &LabelMap {
            &self.labels
        }
        fn structure(&self) -> &LabelStructure {
            &self.structure
        }
        fn architecture(&self) -> &str {
            "fixed"
        }
        fn predict(&self, texts: &[&str]) -> Vec<Prediction> {
            texts.iter().map(|_| Prediction { class: argmax(&self.probs), probs: self.probs.clone() }).collect()
        }
        fn token_count(&self, text: &str) -> usize {
            text.split_whitespace().count()
        }
    }

    fn fixed(labels: &[&str], probs: &[f32]) -> (String, Fixed) {
        let f = Fixed {
            labels: LabelMap::from_vec(labels.iter().map(|s| s.to_string()).collect()),
            probs: probs.to_vec(),
            structure: LabelStructure::Single,
        };
        (labels.join(","), f)
    }

    #[test]
    fn the_vote_is_the_weighted_mean_with_labels_matched_by_name() {
        // the second member lists the labels the other way round
        let e = Ensemble::new(
            vec![fixed(&["neg", "pos"], &[0.8, 0.2]), fixed(&["pos", "neg"], &[0.9, 0.1])],
            Some(&[3.0, 1.0]),
        )
        .unwrap();
        let p = e.predict(&["a text"]).remove(0);
        assert!((p.probs[0] - (0.75 * 0.8 + 0.25 * 0.1)).abs() < 1e-6, "{:?}", p.probs);
        assert!((p.probs[1] - (0.75 * 0.2 + 0.25 * 0.9)).abs() < 1e-6, "{:?}", p.probs);
        assert_eq!(p.class, 0);
    }

    #[test]
    fn members_that_make_no_ensemble_are_refused_with_a_hint() {
        let one = Ensemble::new(vec![fixed(&["a", "b"], &[0.5, 0.5])], None).unwrap_err();
        assert!(one.message.contains("at least 2"), "{one}");
        let differ =
            Ensemble::new(vec![fixed(&["a", "b"], &[0.5, 0.5]), fixed(&["a", "c"], &[0.5, 0.5])], None).unwrap_err();
        assert!(differ.message.contains("not the first member's"), "{differ}");
        let more =
            Ensemble::new(vec![fixed(&["a", "b"], &[0.5, 0.5]), fixed(&["a", "b", "c"], &[0.3, 0.3, 0.4])], None);
        assert!(more.is_err());
        let mut multi = fixed(&["a", "b"], &[0.5, 0.5]);
        multi.1.structure = LabelStructure::Multi { thresholds: vec![0.5, 0.5] };
        let mixed = Ensemble::new(vec![fixed(&["a", "b"], &[0.5, 0.5]), multi], None).unwrap_err();
        assert!(mixed.message.contains("'multi' labels"), "{mixed}");
        for bad in [&[1.0f32][..], &[1.0, -0.5], &[0.0, 0.0], &[f32::NAN, 1.0]] {
            let e = Ensemble::new(vec![fixed(&["a", "b"], &[0.5, 0.5]), fixed(&["a", "b"], &[0.5, 0.5])], Some(bad));
            assert!(e.is_err(), "{bad:?}");
        }
    }

    #[test]
    fn words_are_cut_at_whitespace() {
        assert_eq!(word_spans("  a bb\tc "), vec![(2, 3), (4, 6), (7, 8)]);
        assert!(word_spans(" \n").is_empty());
    }
}
