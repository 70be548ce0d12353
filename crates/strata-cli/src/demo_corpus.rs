//! The demo's built-in corpus: generated movie-review sentences whose label depends on word
//! order.
//!
//! Each sentence says `the <noun> <verb> [not] [intensifier] <adjective>`, wrapped in neutral
//! filler, and a third of them open with a clause that contains "not" without negating
//! anything ("i did not expect much but ..."). The label is the adjective's polarity, flipped
//! when the verb is negated (30% of sentences). A bag-of-words model sees every word but not which "not" goes
//! with which adjective — an XOR it cannot represent — while an LSTM reading the words in
//! order can learn it. The corpus is generated from a seed, so the demo needs no files.

use strata_nn::Rng;

pub struct DemoExample {
    pub text: String,
    /// 1 positive, 0 negative
    pub label: usize,
    /// Whether the adjective is negated (the cases a bag of words gets wrong).
    pub negated: bool,
}

const NOUNS: &[&str] =
    &["movie", "film", "plot", "acting", "story", "script", "cast", "ending", "soundtrack", "dialogue"];
const POSITIVE: &[&str] = &["good", "great", "wonderful", "funny", "moving", "brilliant", "charming", "clever"];
const NEGATIVE: &[&str] = &["bad", "awful", "boring", "dull", "terrible", "weak", "silly", "clumsy"];
const PLAIN_VERBS: &[&str] = &["was", "is", "felt", "seemed"];
const NEGATED_VERBS: &[&str] = &["was not", "is not", "wasn't", "isn't", "never felt", "did not seem"];
const INTENSIFIERS: &[&str] = &["very", "really", "quite", "truly", "so"];
const OPENERS: &[&str] = &[
    "i watched it on friday and",
    "we saw this last week at the cinema and",
    "honestly",
    "overall",
    "in short",
    "after a long day",
    "with my friends",
];
const DISTRACTORS: &[&str] = &[
    "i did not expect much but",
    "it is not a long watch and",
    "i could not go last week so i went today and",
    "nobody told me anything but",
];
const CLOSERS: &[&str] = &["", "", "to be honest", "in my opinion", "if you ask me", "from start to finish"];

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len())]
}

/// `n` examples, balanced in expectation (the adjective's polarity is a coin flip), reproducible
/// from `seed`.
pub fn generate(n: usize, seed: u64) -> Vec<DemoExample> {
    let mut rng = Rng::derive(seed, 0x64656d6f); // "demo"
    (0..n)
        .map(|_| {
            let positive_word = rng.below(2) == 1;
            let negated = rng.below(10) < 3; // 30% negated
            let mut parts: Vec<&str> = Vec::new();
            match rng.below(3) {
                0 => parts.push(pick(&mut rng, DISTRACTORS)),
                1 => parts.push(pick(&mut rng, OPENERS)),
                _ => {}
            }
            parts.push("the");
            parts.push(pick(&mut rng, NOUNS));
            parts.push(if negated { pick(&mut rng, NEGATED_VERBS) } else { pick(&mut rng, PLAIN_VERBS) });
            if rng.below(2) == 1 {
                parts.push(pick(&mut rng, INTENSIFIERS));
            }
            parts.push(if positive_word { pick(&mut rng, POSITIVE) } else { pick(&mut rng, NEGATIVE) });
            parts.push(pick(&mut rng, CLOSERS));
            let text = parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(" ");
            DemoExample { text, label: usize::from(positive_word != negated), negated }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo's stacked runs read 24 words (`STACKED_MAXLEN`): no sentence may be longer.
    #[test]
    fn no_sentence_is_longer_than_24_words() {
        let longest = generate(20000, 3).iter().map(|e| e.text.split(' ').count()).max().unwrap();
        assert!((15..=24).contains(&longest), "{longest}");
    }
}
