//! Matrix transposes for the conv bank's backward, 8×8 blocks in AVX registers.
//!
//! The sparse backward reads a filter's kernel column and accumulates its gradient column as
//! contiguous rows, so each step turns every width's kernel `[E, F]` into `[F, E]` and adds the
//! `[F, E]` gradient back into `[E, F]`: 720 K values a step at Kim's sizes. Element by element,
//! each store (or load) lands on its own cache line, and that cost as much as the backward's
//! axpys (`perf`: a quarter of the bank's backward); eight rows of eight, shuffled in
//! registers, move a block with 24 shuffles, 8 loads and 8 stores. Moving a value, or adding
//! it once, gives the same bits however it is done; edges that do not fill a block go one
//! value at a time.
//!
//! # Shapes
//! `src: [R, C]` row-major; `out: [C, R]`.

/// Side of a register block.
const BLOCK: usize = 8;

/// `out = srcᵀ`.
pub fn transpose(src: &[f32], (r, c): (usize, usize), out: &mut [f32]) {
    moved(src, (r, c), out, false)
}

/// `out += srcᵀ`.
pub fn add_transposed(src: &[f32], (r, c): (usize, usize), out: &mut [f32]) {
    moved(src, (r, c), out, true)
}

fn moved(src: &[f32], (r, c): (usize, usize), out: &mut [f32], add: bool) {
    assert!(src.len() >= r * c && out.len() >= r * c, "transpose: buffer too small");
    #[cfg(target_arch = "x86_64")]
    if crate::kernels::active() >= crate::kernels::Kernels::Avx2 {
        // SAFETY: the CPU has AVX (AVX2 implies it); the buffers hold r·c values (asserted).
        return unsafe { moved_avx(src, (r, c), out, add) };
    }
    scalar(src, (r, c), out, add, (0, 0))
}

/// Element by element, the values of rows `from.0 ..` or columns `from.1 ..` (the edges the
/// blocks leave, or everything).
fn scalar(src: &[f32], (r, c): (usize, usize), out: &mut [f32], add: bool, from: (usize, usize)) {
    for ri in 0..r {
        let cols = if ri >= from.0 { 0 } else { from.1 };
        for ci in cols..c {
            let v = src[ri * c + ci];
            let o = &mut out[ci * r + ri];
            *o = if add { *o + v } else { v };
        }
    }
}

/// # Safety
///
/// The CPU must have AVX; `src` and `out` must hold `r·c` values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn moved_avx(src: &[f32], (r, c): (usize, usize), out: &mut [f32], add: bool) {
    use std::arch::x86_64::*;
    let (rb, cb) = (r - r % BLOCK, c - c % BLOCK);
    let (s, o) = (src.as_ptr(), out.as_mut_ptr());
    for r0 in (0..rb).step_by(BLOCK) {
        for c0 in (0..cb).step_by(BLOCK) {
            let row = |i: usize| _mm256_loadu_ps(s.add((r0 + i) * c + c0));
            let (a0, a1, a2, a3, a4, a5, a6, a7) = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7));
            let (t0, t1) = (_mm256_unpacklo_ps(a0, a1), _mm256_unpackhi_ps(a0, a1));
            let (t2, t3) = (_mm256_unpacklo_ps(a2, a3), _mm256_unpackhi_ps(a2, a3));
            let (t4, t5) = (_mm256_unpacklo_ps(a4, a5), _mm256_unpackhi_ps(a4, a5));
            let (t6, t7) = (_mm256_unpacklo_ps(a6, a7), _mm256_unpackhi_ps(a6, a7));
            let (u0, u1) = (_mm256_shuffle_ps::<0x44>(t0, t2), _mm256_shuffle_ps::<0xEE>(t0, t2));
            let (u2, u3) = (_mm256_shuffle_ps::<0x44>(t1, t3), _mm256_shuffle_ps::<0xEE>(t1, t3));
            let (u4, u5) = (_mm256_shuffle_ps::<0x44>(t4, t6), _mm256_shuffle_ps::<0xEE>(t4, t6));
            let (u6, u7) = (_mm256_shuffle_ps::<0x44>(t5, t7), _mm256_shuffle_ps::<0xEE>(t5, t7));
            let columns = [
                _mm256_permute2f128_ps::<0x20>(u0, u4),
                _mm256_permute2f128_ps::<0x20>(u1, u5),
                _mm256_permute2f128_ps::<0x20>(u2, u6),
                _mm256_permute2f128_ps::<0x20>(u3, u7),
                _mm256_permute2f128_ps::<0x31>(u0, u4),
                _mm256_permute2f128_ps::<0x31>(u1, u5),
                _mm256_permute2f128_ps::<0x31>(u2, u6),
                _mm256_permute2f128_ps::<0x31>(u3, u7),
            ];
            for (i, v) in columns.into_iter().enumerate() {
                let at = o.add((c0 + i) * r + r0);
                let v = if add { _mm256_add_ps(_mm256_loadu_ps(at), v) } else { v };
                _mm256_storeu_ps(at, v);
            }
        }
    }
    scalar(src, (r, c), out, add, (rb, cb))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_edges_move_every_value_to_its_place() {
        // 300 × 100 as the bank has them, blocks only, edges only
        for (r, c) in [(300, 100), (16, 8), (3, 5), (13, 21)] {
            let src: Vec<f32> = (0..r * c).map(|i| i as f32 * 0.5 - 7.0).collect();
            let mut out = vec![f32::NAN; r * c];
            transpose(&src, (r, c), &mut out);
            let mut sum: Vec<f32> = (0..r * c).map(|i| i as f32).collect();
            add_transposed(&src, (r, c), &mut sum);
            for ri in 0..r {
                for ci in 0..c {
                    let v = src[ri * c + ci];
                    assert_eq!(out[ci * r + ri].to_bits(), v.to_bits(), "{r}×{c} at ({ri}, {ci})");
                    assert_eq!(sum[ci * r + ri], (ci * r + ri) as f32 + v, "{r}×{c} at ({ri}, {ci})");
                }
            }
        }
    }
}
