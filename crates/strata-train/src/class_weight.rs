//! `--class-weight balanced|FILE`: how much each class's texts weigh in the training loss, for
//! data whose classes are imbalanced (issue 15, point 1). `balanced` is scikit-learn's and
//! Keras's `n / (k · count_c)`, computed on the texts a model trains on (the training part of
//! each fold, never its validation or test part); a FILE gives one `label<TAB>weight` line per
//! label. The weights become one number per class index, which the loss of every model reads
//! (`fit::FitOptions::class_weights`, `linear::LinearFit::class_weights`).

use std::path::PathBuf;

use strata_data::{DataError, LabelMap};

/// What `--class-weight` asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum ClassWeight {
    /// `n / (k · count_c)` on each training part.
    Balanced,
    /// Weights read from a file: (label, weight, line) in file order.
    File { path: PathBuf, weights: Vec<(String, f32, usize)> },
}

const FILE_HINT: &str = "write one line per label: the label, a tab, a weight above 0 (e.g. `pos\t2.5`)";

impl ClassWeight {
    /// `balanced`, or the weights file at `arg` read and checked line by line (finite weights
    /// above 0, each label once); which labels it must name is checked by [`ClassWeight::weights`].
    pub fn parse(arg: &str) -> Result<ClassWeight, DataError> {
        if arg == "balanced" {
            return Ok(ClassWeight::Balanced);
        }
        let path = PathBuf::from(arg);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let hint = "give `balanced` or a file of `label<TAB>weight` lines";
            DataError::new(arg, None, format!("cannot read the class weights: {e}"), hint)
        })?;
        let mut weights: Vec<(String, f32, usize)> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let (line, at) = (raw.trim_end_matches('\r'), i + 1);
            if line.trim().is_empty() {
                continue;
            }
            let bad = |message: String| DataError::new(arg, Some(at), message, FILE_HINT);
            let Some((label, value)) = line.split_once('\t') else {
                return Err(bad(format!("'{line}' has no tab between a label and its weight")));
            };
            let weight: f32 = value.trim().parse().map_err(|_| bad(format!("weight '{value}' is not a number")))?;
            if !(weight.is_finite() && weight > 0.0) {
                return Err(bad(format!("weight {value} of '{label}' must be a finite number above 0")));
            }
            if let Some((_, _, first)) = weights.iter().find(|(l, _, _)| l == label) {
                return Err(bad(format!("label '{label}' has a weight already, on line {first}")));
            }
            weights.push((label.to_string(), weight, at));
        }
        if weights.is_empty() {
            return Err(DataError::new(arg, None, "holds no class weights", FILE_HINT));
        }
        Ok(ClassWeight::File { path, weights })
    }

    /// What run.toml, results.json and the report record: `balanced` or the file's path.
    pub fn describe(&self) -> String {
        match self {
            ClassWeight::Balanced => "balanced".to_string(),
            ClassWeight::File { path, .. } => path.display().to_string(),
        }
    }

    /// One weight per class of `labels`, for a model trained on texts of classes `train_y`.
    /// A file must name every label of `labels` and no other.
    pub fn weights(&self, labels: &LabelMap, train_y: &[usize]) -> Result<Vec<f32>, DataError> {
        match self {
            ClassWeight::Balanced => Ok(balanced(labels.len(), train_y)),
            ClassWeight::File { path, weights } => {
                let shown = path.display().to_string();
                let mut out = vec![f32::NAN; labels.len()];
                for (label, w, line) in weights {
                    let Some(c) = labels.index(label) else {
                        let message = format!("label '{label}' is not in the data ({})", labels.labels().join(", "));
                        return Err(DataError::new(&shown, Some(*line), message, "name the data's labels only"));
                    };
                    out[c] = *w;
                }
                if let Some(c) = out.iter().position(|w| w.is_nan()) {
                    let label = labels.label(c);
                    let message = format!("label '{label}' of the data has no weight");
                    return Err(DataError::new(
                        &shown,
                        None,
                        message,
                        format!("add a line `{label}\t1` (every label needs one)"),
                    ));
                }
                Ok(out)
            }
        }
    }
}

/// scikit-learn's `compute_class_weight("balanced")`: `n / (k · count_c)` over the `k` classes
/// present in `y` (of `classes`); a class absent from `y` (an `--init-from` model's label the
/// new data lacks) has no text to weigh and gets 1.
pub fn balanced(classes: usize, y: &[usize]) -> Vec<f32> {
    let mut counts = vec![0usize; classes];
    y.iter().for_each(|&c| counts[c] += 1);
    let present = counts.iter().filter(|&&n| n > 0).count().max(1);
    counts.iter().map(|&n| if n == 0 { 1.0 } else { (y.len() as f64 / (present as f64 * n as f64)) as f32 }).collect()
}

/// The weights as `label=weight` pairs for a note line (`neg=0.750, pos=1.500`).
pub fn describe_weights(labels: &LabelMap, weights: &[f32]) -> String {
    weights.iter().enumerate().map(|(c, w)| format!("{}={w:.3}", labels.label(c))).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_is_scikit_learns_n_over_k_times_count() {
        // 6 texts, 3 classes: counts 3, 2, 1 → 6/(3·3), 6/(3·2), 6/(3·1)
        let w = balanced(3, &[0, 0, 0, 1, 1, 2]);
        assert_eq!(w, vec![6.0 / 9.0, 1.0, 2.0]);
        // a class the texts lack weighs nothing in the loss; it gets 1, k counts those present
        assert_eq!(balanced(3, &[0, 0, 1, 1]), vec![1.0, 1.0, 1.0]);
    }

    #[test]
    fn a_file_names_every_label_with_a_finite_positive_weight() {
        let dir = tempfile::tempdir().unwrap();
        let labels = LabelMap::from_vec(vec!["neg".into(), "pos".into()]);
        let write = |text: &str| {
            let p = dir.path().join("w.tsv");
            std::fs::write(&p, text).unwrap();
            p.display().to_string()
        };
        let p = write("pos\t2.5\n\nneg\t0.5\n");
        assert_eq!(ClassWeight::parse(&p).unwrap().weights(&labels, &[]).unwrap(), vec![0.5, 2.5]);
        for (text, line, says) in [
            ("pos\t2\nneg\t0\n", 2, "must be a finite number above 0"),
            ("pos\tinf\n", 1, "must be a finite number above 0"),
            ("pos\tNaN\n", 1, "must be a finite number above 0"),
            ("pos\t-1\n", 1, "must be a finite number above 0"),
            ("pos 2\n", 1, "no tab"),
            ("pos\tmany\n", 1, "is not a number"),
            ("pos\t1\npos\t2\n", 2, "on line 1"),
        ] {
            let e = ClassWeight::parse(&write(text)).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e}");
            assert!(e.to_string().contains(says) && e.to_string().contains("(hint: "), "{text:?}: {e}");
        }
        let e = ClassWeight::parse(&write("pos\t1\nneutral\t2\nneg\t1\n")).unwrap().weights(&labels, &[]).unwrap_err();
        assert!(e.line == Some(2) && e.message.contains("'neutral' is not in the data"), "{e}");
        let e = ClassWeight::parse(&write("pos\t1\n")).unwrap().weights(&labels, &[]).unwrap_err();
        assert!(e.line.is_none() && e.to_string().contains("label 'neg' of the data has no weight"), "{e}");
        assert!(ClassWeight::parse(&write("\n")).unwrap_err().to_string().contains("holds no class weights"));
        assert_eq!(ClassWeight::parse("balanced").unwrap(), ClassWeight::Balanced);
    }
}
