//! `trials.csv`: one row per trial, every searched parameter a column, so the search can be
//! read, plotted or repeated (`strata train --lr … --epochs …`) from the file alone. A step
//! around the incumbent, outside the rungs, has `rung` `local`. `status` says how each trial
//! ended (`ok`, `diverged`: its loss became NaN, so it scores 0 with `val_loss` `inf`; `cut`:
//! the budget stopped it before its last epoch).

use super::halving::{Trial, LOCAL};
use super::space::{show, Space};

/// The file's text: a header, then one row per trial in the order they ran.
pub fn trials_csv(space: &Space, trials: &[Trial]) -> String {
    let mut header = vec!["trial", "bracket", "rung", "config", "epochs"];
    header.extend(space.params.iter().map(|p| p.name.as_str()));
    header.extend(["epochs_trained", "status", "val_accuracy", "val_loss", "seconds", "cut"]);
    let mut out = header.join(",") + "\n";
    for t in trials {
        let mut row = vec![
            t.number.to_string(),
            t.bracket.to_string(),
            if t.rung == LOCAL { "local".to_string() } else { t.rung.to_string() },
            t.config.to_string(),
            t.assignment.epochs.to_string(),
        ];
        row.extend(space.params.iter().map(|p| t.assignment.get(&p.name).map_or(String::new(), show)));
        row.extend([
            t.score.epochs_trained.to_string(),
            t.score.status().name().to_string(),
            format!("{:.6}", t.score.accuracy),
            format!("{:.6}", t.score.loss),
            format!("{:.3}", t.seconds),
            t.score.cut.to_string(),
        ]);
        out += &(row.join(",") + "\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tune::halving::Score;
    use crate::tune::space::{Assignment, Domain, EpochRange, Param};

    fn trial(number: usize, score: Score) -> Trial {
        let values = vec![("lr".to_string(), 0.5)];
        Trial {
            number,
            bracket: 1,
            rung: 0,
            config: number,
            assignment: Assignment { values, epochs: 3 },
            score,
            seconds: 1.0,
        }
    }

    #[test]
    fn every_row_says_whether_its_trial_ran_diverged_or_was_cut() {
        let space = Space {
            params: vec![Param { name: "lr".into(), domain: Domain::LogUniform { lo: 0.01, hi: 1.0 }, integer: false }],
            epochs: EpochRange { min: 1, max: 3 },
            zero_together: Vec::new(),
            memory: None,
        };
        let ok = Score { accuracy: 0.8, loss: 0.4, epochs_trained: 3, cut: false, diverged: false };
        let diverged = Score { accuracy: 0.0, loss: f64::INFINITY, epochs_trained: 2, ..ok };
        let diverged = Score { diverged: true, ..diverged };
        let cut = Score { epochs_trained: 1, cut: true, ..ok };
        let csv = trials_csv(&space, &[trial(1, ok), trial(2, diverged), trial(3, cut)]);
        let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
        let status = rows[0].iter().position(|c| *c == "status").expect("a status column");
        let statuses: Vec<&str> = rows[1..].iter().map(|r| r[status]).collect();
        assert_eq!(statuses, ["ok", "diverged", "cut"], "{csv}");
        assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{csv}");
    }
}
