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

/// A buffer of `len` values (contents unspecified): the smallest pooled one that holds
/// `len`, else the largest (grown), else a new one.
pub fn take(len: usize) -> Vec<f32> {
    let mut v = POOL.with_borrow_mut(|pool| {
        let fits = (0..pool.len()).filter(|&i| pool[i].capacity() >= len).min_by_key(|&i| pool[i].capacity());
        let pick = fits.or_else(|| (0..pool.len()).max_by_key(|&i| pool[i].capacity()));
        pick.map(|i| pool.swap_remove(i)).unwrap_or_default()
    });
    v.resize(len, 0.0);
    v.truncate(len);
    v
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
}
