//! Any text through the Keras tokenizer (word, char and jieba), padding, and any bytes as a
//! vocabulary file: no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use strata_text::{pad_sequences, Segmenter, Side, Tokenizer, TokenizerConfig};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let texts: Vec<&str> = text.split('\n').collect();
    for (char_level, segmenter, split) in [(false, Segmenter::Keras, " "), (true, Segmenter::Keras, " "), (false, Segmenter::Jieba, " "), (false, Segmenter::Keras, "ab")] {
        let mut t = Tokenizer::new(TokenizerConfig {
            num_words: Some(7),
            oov_token: Some("<OOV>".into()),
            char_level,
            segmenter,
            split: split.into(),
            ..Default::default()
        });
        t.fit_on_texts(&texts);
        let seqs = t.texts_to_sequences(&texts);
        let _ = pad_sequences(&seqs, Some(5), Side::Pre, Side::Post, 0);
        let back = Tokenizer::from_json(&t.to_json(), "fuzz").expect("own vocabulary reloads");
        assert_eq!(back.texts_to_sequences(&texts), seqs);
    }
    let _ = Tokenizer::from_json(&text, "fuzz");
});
