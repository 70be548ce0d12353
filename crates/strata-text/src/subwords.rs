//! fastText's string hash and character n-grams ("subwords"), shared by the two places that
//! read words the way fastText does: the linear model (`--model linear --maxn`) and the
//! skip-gram pretraining with subwords (`strata pretrain --maxn`). Pure functions of a word's
//! bytes; kept here, below both, so there is one copy of them.
//!
//! The hash is FNV-1a over the UTF-8 bytes with each byte sign-extended, as fastText's
//! `Dictionary::hash` does with its `int8_t` cast; the n-grams are its `computeSubwords` over
//! `<word>`: every run of `minn..=maxn` characters (UTF-8 aware), leaving out the lone `<` and `>`.

/// fastText's `Dictionary::hash`.
pub fn fasttext_hash(word: &str) -> u32 {
    word.bytes().fold(FNV_OFFSET, fnv_step)
}

/// The hash of the empty string, where every hash starts.
pub const FNV_OFFSET: u32 = 2_166_136_261;

/// One byte of [`fasttext_hash`] (character n-grams hash incrementally with it).
#[inline]
pub fn fnv_step(h: u32, byte: u8) -> u32 {
    // fastText: `h ^ uint32_t(int8_t(c))` — bytes ≥ 0x80 are sign-extended
    (h ^ byte as i8 as i32 as u32).wrapping_mul(16_777_619)
}

/// fastText's `computeSubwords` of `<word>`: calls `emit` with the [`fasttext_hash`] of every
/// character n-gram with `minn <= n <= maxn` characters, in fastText's order (by start, then
/// by length), repeats included. `bow` is scratch for `<word>`. `maxn` 0 gives none.
pub fn char_ngrams(word: &str, minn: usize, maxn: usize, bow: &mut Vec<u8>, mut emit: impl FnMut(u32)) {
    bow.clear();
    bow.push(b'<');
    bow.extend_from_slice(word.as_bytes());
    bow.push(b'>');
    let len = bow.len();
    let continuation = |b: u8| b & 0xC0 == 0x80;
    for i in 0..len {
        if continuation(bow[i]) {
            continue;
        }
        let (mut h, mut j, mut n) = (FNV_OFFSET, i, 1);
        while j < len && n <= maxn {
            h = fnv_step(h, bow[j]);
            j += 1;
            while j < len && continuation(bow[j]) {
                h = fnv_step(h, bow[j]);
                j += 1;
            }
            if n >= minn && !(n == 1 && (i == 0 || j == len)) {
                emit(h);
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_fnv1a_with_signed_bytes() {
        // FNV-1a of "" is the offset basis; of "a" the textbook value (ASCII is unaffected)
        assert_eq!(fasttext_hash(""), 2_166_136_261);
        assert_eq!(fasttext_hash("a"), 0xe40c292c);
        // "é" is 0xC3 0xA9: sign extension XORs 0xFFFFFFC3, not 0xC3, so it differs from FNV-1a
        let mut plain: u32 = 2_166_136_261;
        for b in "é".bytes() {
            plain = (plain ^ u32::from(b)).wrapping_mul(16_777_619);
        }
        assert_ne!(fasttext_hash("é"), plain);
        let mut signed: u32 = 2_166_136_261;
        for b in [0xFFFF_FFC3u32, 0xFFFF_FFA9] {
            signed = (signed ^ b).wrapping_mul(16_777_619);
        }
        assert_eq!(fasttext_hash("é"), signed);
    }

    fn ngrams_of(word: &str, minn: usize, maxn: usize) -> Vec<u32> {
        let mut v = Vec::new();
        char_ngrams(word, minn, maxn, &mut Vec::new(), |h| v.push(h));
        v
    }

    #[test]
    fn char_ngrams_are_fasttexts_substrings() {
        // <ab>: by start, then length; n=1 skips '<' and '>'
        let want: Vec<u32> = ["<a", "<ab", "a", "ab", "ab>", "b", "b>"].iter().map(|s| fasttext_hash(s)).collect();
        assert_eq!(ngrams_of("ab", 1, 3), want);
        // multi-byte characters count as one: "é" is two bytes but one character
        let want: Vec<u32> = ["<é", "é>"].iter().map(|s| fasttext_hash(s)).collect();
        assert_eq!(ngrams_of("é", 2, 2), want);
        assert!(ngrams_of("word", 3, 0).is_empty(), "maxn 0 is none");
    }
}
