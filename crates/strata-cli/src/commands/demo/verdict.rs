//! The demo's closing sentences, written from its measured numbers rather than fixed text: a
//! short run (`--size 1000 --epochs 2`) must not claim what only a longer one shows.
//!
//! Each function takes the figures the demo printed and returns the sentences that are true
//! of them; the thresholds are stated here once, so a reader can check every claim.

/// Held-out accuracy of one model, overall and split by whether the adjective is negated.
#[derive(Clone, Copy, Debug)]
pub struct Scores {
    pub all: f64,
    pub plain: f64,
    pub negated: f64,
    /// How many held-out sentences the figures come from.
    pub n: usize,
}

/// A difference of accuracies smaller than this many standard errors is called noise.
const NOISE_SE: f64 = 2.0;

/// "Right" means at least this accuracy on a group of sentences.
const RIGHT: f64 = 0.9;

/// Two standard errors of the difference of two accuracies near `p` on `n` sentences each
/// (independent binomial errors; conservative for paired predictions). The variance is kept
/// at least that of one error in `n`, so a perfect score still has a margin.
pub fn noise(p: f64, n: usize) -> f64 {
    let n = n.max(1) as f64;
    NOISE_SE * (2.0 * (p * (1.0 - p)).max(1.0 / n) / n).sqrt()
}

fn describe_negation(name: &str, s: Scores) -> String {
    if s.negated >= RIGHT && s.plain >= RIGHT {
        format!("{name} gets both right ({:.3} plain, {:.3} negated)", s.plain, s.negated)
    } else if s.negated < 0.5 {
        format!("{name} gets the negated sentences backwards ({:.3}, below chance)", s.negated)
    } else if s.plain >= RIGHT {
        format!(
            "{name} gets the plain sentences right ({:.3}) but not yet the negated ones ({:.3})",
            s.plain, s.negated
        )
    } else {
        format!("{name} has not learned the task yet ({:.3} plain, {:.3} negated)", s.plain, s.negated)
    }
}

/// What the bag of words and the seed LSTM did, and what the curve says.
pub fn seed_verdict(bow: Scores, lstm: Scores, curve: &[f64], epochs: usize) -> Vec<String> {
    let mut out = vec![format!(
        "{}: it sees every 'not' but not which word it belongs to.",
        describe_negation("The bag of words", bow)
    )];
    let gap = lstm.negated - bow.negated;
    let reads_order = if gap > noise(0.5, lstm.n / 3) {
        format!("on negated sentences it is {gap:.3} above the bag of words")
    } else {
        let plural = if epochs == 1 { "" } else { "s" };
        format!("after {epochs} epoch{plural} it does no better than the bag of words on negated sentences ({gap:+.3})")
    };
    out.push(format!("{}; {reads_order}.", describe_negation("The LSTM", lstm)));
    if lstm.all < RIGHT {
        let best = curve.iter().cloned().fold(0.0f64, f64::max);
        out.push(format!(
            "Its best held-out accuracy was {best:.3}: more epochs (--epochs) or data (--size) would let it learn more."
        ));
    }
    out
}

/// One schedule's run of the stacked model: its scores, training seconds and the per-level
/// probe accuracies (bottom up).
#[derive(Clone, Copy)]
pub struct Run<'a> {
    pub name: &'a str,
    pub scores: Scores,
    pub seconds: f64,
    pub probes: &'a [(String, f64)],
}

/// End-to-end against layer by layer on the same data, budget and seed.
pub fn schedule_verdict(e2e: &Run, lw: &Run) -> Vec<String> {
    let diff = lw.scores.all - e2e.scores.all;
    let margin = noise((lw.scores.all + e2e.scores.all) / 2.0, e2e.scores.n);
    let mut out = Vec::new();
    let time = if lw.seconds < e2e.seconds {
        format!("in {:.0}% of the time", 100.0 * lw.seconds / e2e.seconds.max(1e-9))
    } else {
        format!("taking {:.1}× as long", lw.seconds / e2e.seconds.max(1e-9))
    };
    if diff == 0.0 {
        out.push(format!(
            "Layer by layer and end-to-end tie: both score {:.3} on {} held-out sentences; {} trained {time}.",
            e2e.scores.all, e2e.scores.n, lw.name
        ));
    } else if diff.abs() <= margin {
        out.push(format!(
            "Layer by layer and end-to-end tie here ({:.3} and {:.3}: a difference under {margin:.3} is within the \
             noise of {} held-out sentences), {} {time}.",
            lw.scores.all, e2e.scores.all, e2e.scores.n, lw.name
        ));
    } else {
        let (winner, loser) = if diff > 0.0 { (lw, e2e) } else { (e2e, lw) };
        out.push(format!(
            "{} wins by {:.3} ({:.3} against {:.3}, beyond the {margin:.3} noise of {} sentences); {} trained {time}.",
            capitalise(winner.name),
            diff.abs(),
            winner.scores.all,
            loser.scores.all,
            e2e.scores.n,
            lw.name
        ));
    }
    for run in [e2e, lw] {
        out.push(format!("{}: {}", capitalise(run.name), describe_levels(run.probes)));
    }
    out
}

/// What the lowest level's probe reads beside the bag of words: a mean of word vectors sees the
/// words but not their order, as the bag of words does.
pub fn embedding_vs_bag(bow: Scores, probes: &[(String, f64)]) -> Option<String> {
    let ((bottom, low), (top, high)) = (probes.first()?, probes.last()?);
    let margin = noise(bow.all, bow.n);
    let near =
        if (low - bow.all).abs() <= margin { "about what the bag of words scores" } else { "unlike the bag of words" };
    Some(format!(
        "The {bottom} level's probe reads {low:.3}, {near} ({:.3}): a mean of word vectors has no word order. \
         The top level, {top}, reads {high:.3}.",
        bow.all
    ))
}

/// Which level first makes the label linearly readable.
fn describe_levels(probes: &[(String, f64)]) -> String {
    let Some(top) = probes.iter().map(|p| p.1).reduce(f64::max) else {
        return "no probes (no held-out data).".into();
    };
    let reads: Vec<String> = probes.iter().map(|(name, acc)| format!("{name} {acc:.3}")).collect();
    let first = probes.iter().find(|p| p.1 >= top - 0.02).map_or("", |p| p.0.as_str());
    format!("a linear probe reads {}; the label is readable from {first} up.", reads.join(", "))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().collect::<String>() + c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(all: f64, plain: f64, negated: f64) -> Scores {
        Scores { all, plain, negated, n: 200 }
    }

    /// Issue 11 point 12: at `--size 1000 --epochs 2` the LSTM scored 0.329 on negated
    /// sentences and the fixed text still said it "gets both right".
    #[test]
    fn a_weak_lstm_is_not_said_to_get_both_right() {
        let text = seed_verdict(s(0.7, 0.85, 0.329), s(0.65, 0.8, 0.329), &[0.6, 0.65], 2).join(" ");
        assert!(!text.contains("gets both right"), "{text}");
        assert!(text.contains("does no better than the bag of words"), "{text}");
        assert!(text.contains("more epochs"), "{text}");
    }

    #[test]
    fn a_strong_lstm_is() {
        let text = seed_verdict(s(0.7, 0.95, 0.1), s(0.99, 0.99, 0.98), &[0.7, 0.99], 10).join(" ");
        assert!(text.contains("The LSTM gets both right"), "{text}");
        assert!(text.contains("gets the negated sentences backwards (0.100"), "{text}");
        assert!(!text.contains("more epochs"), "{text}");
    }

    #[test]
    fn a_small_difference_is_a_tie_and_a_large_one_names_the_winner() {
        let probes = [("embedding".to_string(), 0.7), ("lstm_0".to_string(), 0.95), ("lstm_1".to_string(), 0.96)];
        let e2e = Run { name: "end-to-end", scores: s(0.95, 0.96, 0.93), seconds: 10.0, probes: &probes };
        let close = Run { name: "layerwise", scores: s(0.955, 0.96, 0.94), seconds: 6.0, probes: &probes };
        let text = schedule_verdict(&e2e, &close).join(" ");
        assert!(text.contains("tie here"), "{text}");
        assert!(text.contains("in 60% of the time"), "{text}");
        assert!(text.contains("readable from lstm_0 up"), "{text}");
        let far = Run { name: "layerwise", scores: s(0.70, 0.9, 0.3), seconds: 12.0, probes: &probes };
        let text = schedule_verdict(&e2e, &far).join(" ");
        assert!(text.starts_with("End-to-end wins by 0.250"), "{text}");
        assert!(text.contains("taking 1.2× as long"), "{text}");
        let text = schedule_verdict(&e2e, &Run { name: "layerwise", ..e2e }).join(" ");
        assert!(text.starts_with("Layer by layer and end-to-end tie: both score 0.950"), "{text}");
    }

    #[test]
    fn the_embedding_probe_is_set_beside_the_bag_of_words() {
        let probes = [("embedding".to_string(), 0.688), ("lstm_0".to_string(), 1.0)];
        let text = embedding_vs_bag(s(0.685, 0.98, 0.04), &probes).unwrap();
        assert!(text.contains("reads 0.688, about what the bag of words scores (0.685)"), "{text}");
        let text = embedding_vs_bag(s(0.9, 0.98, 0.7), &probes).unwrap();
        assert!(text.contains("unlike the bag of words"), "{text}");
        assert_eq!(embedding_vs_bag(s(0.9, 0.9, 0.9), &[]), None);
    }
}
