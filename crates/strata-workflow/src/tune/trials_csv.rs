//! `trials.csv`: one row per trial, every searched parameter a column, so the search can be
//! read, plotted or repeated (`strata train --lr … --epochs …`) from the file alone. A step
//! around the incumbent, outside the rungs, has `rung` `local`.

use super::halving::{Trial, LOCAL};
use super::space::{show, Space};

/// The file's text: a header, then one row per trial in the order they ran.
pub fn trials_csv(space: &Space, trials: &[Trial]) -> String {
    let mut header = vec!["trial", "bracket", "rung", "config", "epochs"];
    header.extend(space.params.iter().map(|p| p.name.as_str()));
    header.extend(["epochs_trained", "val_accuracy", "val_loss", "seconds", "cut"]);
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
            format!("{:.6}", t.score.accuracy),
            format!("{:.6}", t.score.loss),
            format!("{:.3}", t.seconds),
            t.score.cut.to_string(),
        ]);
        out += &(row.join(",") + "\n");
    }
    out
}
