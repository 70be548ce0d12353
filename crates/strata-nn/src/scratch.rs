//! Per-thread scratch buffers shared by every recurrent layer and direction. A GRU's
//! `[T, B, 3H]` input projection and backward gradients, and the bidirectional wrapper's
//! reversed copies, are needed only inside one call; kept in each layer's cache they cost one
//! set per layer and direction (han's peak memory, issue 14), and allocated per call they cost
//! page faults on every batch. Here a call [`take`]s buffers and [`give`]s them back, so each
//! (rayon) thread holds only as many as one call uses at once.
//!
//! A buffer comes back with stale contents: callers write every element before reading it.

use std::cell::RefCell;

thread_local! {
    static POOL: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `len` values (contents unspecified), picked so that as few values as possible
/// are written afresh: the pooled buffer with the fewest values that already holds `len`
/// (cut to `len`); else, among those whose capacity holds `len`, the one that holds the most
/// values (zero-filled past them); else the largest, grown exactly; else a new one. Picking by
/// values held rather than capacity matters because a buffer cut short for a small request
/// would be zero-filled again when a large one takes it (1.7 % of han's training in `memset`,
/// issue 14).
pub fn take(len: usize) -> Vec<f32> {
    let mut v = at_least(len);
    v.truncate(len);
    v
}

/// [`take`] without the cut: the picked buffer with all the values it holds (at least `len`).
fn at_least(len: usize) -> Vec<f32> {
    let mut v = POOL.with_borrow_mut(|pool| {
        let (held, room) = (|i: &usize| pool[*i].len(), |i: &usize| pool[*i].capacity());
        let all = || 0..pool.len();
        let holding = all().filter(|i| held(i) >= len).min_by_key(held);
        let roomy = || all().filter(|i| room(i) >= len).max_by_key(held);
        let pick = holding.or_else(roomy).or_else(|| all().max_by_key(room));
        pick.map(|i| pool.swap_remove(i)).unwrap_or_default()
    });
    if v.len() < len {
        v.reserve_exact(len - v.len());
        v.resize(len, 0.0);
    }
    v
}

/// A buffer of at least `len` values (contents unspecified) for a buffer whose length changes
/// from call to call (a HAN's distinct rows differ per batch), of which the caller uses the
/// first `len`: asked at the largest length seen (`high`), so every call asks the pool for the
/// same length, and handed out with every value it holds, never cut, so it goes back to the
/// pool still holding them. A buffer [`take`] cuts to a smaller caller's length is zero-filled
/// back when a larger one takes it: as the per-batch lengths moved, that was 2–3 % of han's
/// training in `memset` (issue 14).
pub fn take_high(len: usize, high: &mut usize) -> Vec<f32> {
    *high = (*high).max(len);
    at_least(*high)
}

/// How many buffers this thread's pool holds (its high-water mark of buffers in use at once).
pub fn pooled() -> usize {
    POOL.with_borrow(|pool| pool.len())
}

/// Returns a buffer to this thread's pool.
pub fn give(v: Vec<f32>) {
    if v.capacity() > 0 {
        POOL.with_borrow_mut(|pool| pool.push(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A buffer given back is the one taken next (no new allocation), at the asked length,
    /// and a second buffer taken meanwhile is a different one.
    #[test]
    fn buffers_are_reused_per_thread() {
        let a = take(1000);
        let ptr = a.as_ptr();
        give(a);
        let b = take(600);
        assert_eq!((b.as_ptr(), b.len()), (ptr, 600));
        let c = take(10);
        assert_ne!(c.as_ptr(), ptr);
        give(b);
        give(c);
        let d = take(1000);
        assert_eq!((d.as_ptr(), d.len()), (ptr, 1000), "the one that holds 1000 values");
        give(d);
    }

    /// `take_high` asks at the high-water mark and hands a buffer out whole: one that holds
    /// more than asked comes back still holding it (a later large request zero-fills nothing),
    /// where `take` cuts it.
    #[test]
    fn take_high_asks_at_the_mark_and_never_cuts() {
        let big = take(1000);
        let ptr = big.as_ptr();
        give(big);
        let mut high = 0;
        let v = take_high(300, &mut high);
        assert_eq!((v.as_ptr(), v.len(), high), (ptr, 1000, 300), "the pooled buffer, whole");
        give(v);
        let v = take_high(200, &mut high);
        assert_eq!((v.len(), high), (1000, 300), "asked at the mark, not below it");
        give(v);
        let v = take_high(1200, &mut high);
        assert_eq!((v.len(), v.capacity(), high), (1200, 1200, 1200), "grown exactly to the mark");
        give(v);
        let cut = take(10);
        assert_eq!(cut.len(), 10, "take still cuts");
        give(cut);
        POOL.with_borrow_mut(|p| p.clear());
    }

    /// A buffer cut short for a small request is passed over for a large one when another
    /// already holds that many values (so nothing is zero-filled again), and the largest
    /// buffer grows to exactly the asked length (not doubled: the pool's high-water mark).
    #[test]
    fn a_large_request_takes_a_full_buffer_and_growth_is_exact() {
        let (mut cut, full) = (take(1000), take(1000));
        cut.truncate(600);
        let (cut_ptr, full_ptr) = (cut.as_ptr(), full.as_ptr());
        give(cut);
        give(full);
        let got = take(1000);
        assert_eq!(got.as_ptr(), full_ptr, "took the buffer cut to 600 values");
        let small = take(600);
        assert_eq!(small.as_ptr(), cut_ptr);
        give(small);
        let grown = take(1500);
        assert_eq!(grown.capacity(), 1500, "grown past the asked length");
        give(grown);
        give(got);
        POOL.with_borrow_mut(|p| p.clear());
    }
}
