//! Winograd's minimal filtering `F(2, r)` (Winograd 1980; Lavin & Gray 2016): two output steps
//! of a width-`r` convolution over time from `r + 1` products instead of `2r`, which is what
//! makes kim-cnn's forward cheaper (`[E, F]` products per output step: 7.5 instead of 12 at
//! widths 3, 4 and 5).
//!
//! For a window `d_0 .. d_r` (input rows) and taps `g_0 .. g_{r−1}` (`[E, F]` slices), the two
//! outputs `y_i = Σ_j d_{i+j}·g_j` are `y = Aᵀ [(G g) ⊙ (Bᵀ d)]`: `Bᵀ d` are `r + 1` sums of
//! input rows, `G g` the kernel's `r + 1` transformed slices (computed once a step), each pair
//! of them one product, and `Aᵀ` adds the products up. The transforms are Toom–Cook's at the
//! points `0, 1, −1, ½, −½` (as many as `r` needs) and `∞`: `Aᵀ` evaluates `1, x` at them,
//! `G` the taps' polynomial, and `Bᵀ` is the transposed inverse of the evaluation of a degree-`r`
//! polynomial. Each row of `Bᵀ` is scaled to dyadic values (exact in `f32`) and its `G` row by
//! the inverse, computed in `f64`, so no weight of the input sums is itself rounded.
//!
//! The outputs round differently from the direct sums (another order of additions, the
//! products over transformed rows): within a few `f32` ulps of the dot products' scale, as the
//! tests bound. Keras's Conv1D has no golden test here; the layer's gradient check and the
//! bank's tests against each width convolved alone hold it to the maths.
//!
//! # Shapes
//! `Bᵀ: [r+1, r+1]`, `G: [r+1, r]`, `Aᵀ: [2, r+1]`; a kernel `[r, E, F]` transforms to
//! `[r+1, E, F]`.

/// The widths the transforms are built for: width `r` takes the first `r` of [`POINTS`] and ∞,
/// all dyadic.
pub const WIDTHS: std::ops::RangeInclusive<usize> = 3..=5;

/// The finite interpolation points, taken in order: `r` of them for width `r`.
const POINTS: [f64; 5] = [0.0, 1.0, -1.0, 0.5, -0.5];

/// `F(2, r)`'s three transforms for one width.
#[derive(Clone, Debug, PartialEq)]
pub struct Winograd {
    r: usize,
    /// `[r+1, r+1]`
    bt: Vec<f32>,
    /// `[r+1, r]`, rounded to `f32` from the `f64` construction
    g: Vec<f32>,
    /// `[2, r+1]`
    at: Vec<f32>,
}

impl Winograd {
    /// The transforms of width `r` (in [`WIDTHS`]).
    pub fn new(r: usize) -> Winograd {
        assert!(WIDTHS.contains(&r), "Winograd F(2, {r}) is built for widths 3 to 5");
        let n = r + 1;
        let pts = &POINTS[..r];
        // C: [n, n], C[k][l] = a_k^l (the ∞ row picks the leading coefficient)
        let mut c = vec![0.0f64; n * n];
        for (k, &a) in pts.iter().enumerate() {
            for l in 0..n {
                c[k * n + l] = a.powi(l as i32);
            }
        }
        c[(n - 1) * n + n - 1] = 1.0;
        let inv = invert(&c, n);
        // Bᵀ = C⁻ᵀ, G[k][j] = a_k^j, Aᵀ[i][k] = a_k^i; the ∞ point: the last tap, the last output
        let mut bt: Vec<f64> = (0..n * n).map(|i| inv[(i % n) * n + i / n]).collect();
        let mut g = vec![0.0f64; n * r];
        for (k, &a) in pts.iter().enumerate() {
            for j in 0..r {
                g[k * r + j] = a.powi(j as i32);
            }
        }
        g[(n - 1) * r + r - 1] = 1.0;
        let mut at = vec![0.0f32; 2 * n];
        for (k, &a) in pts.iter().enumerate() {
            at[k] = 1.0;
            at[n + k] = a as f32;
        }
        at[n + n - 1] = 1.0;
        // each Bᵀ row scaled to dyadic values, its G row by the inverse (the product is unchanged)
        for k in 0..n {
            let row = &mut bt[k * n..(k + 1) * n];
            let s = (1..=64).map(f64::from).find(|s| row.iter().all(|v| is_dyadic(v * s))).unwrap_or(1.0);
            // then by the power of two nearest its largest value (exact), so that no row is large
            let top = row.iter().fold(0.0f64, |a, v| a.max((v * s).abs()));
            let s = s / if top > 0.0 { 2f64.powi(top.log2().round() as i32) } else { 1.0 };
            row.iter_mut().for_each(|v| *v = round_dyadic(*v * s));
            g[k * r..(k + 1) * r].iter_mut().for_each(|v| *v /= s);
        }
        Winograd { r, bt: bt.iter().map(|&v| v as f32).collect(), g: g.iter().map(|&v| v as f32).collect(), at }
    }

    /// The width `r`.
    pub fn width(&self) -> usize {
        self.r
    }

    /// Transformed inputs (and products) a pair of outputs needs: `r + 1`.
    pub fn points(&self) -> usize {
        self.r + 1
    }

    /// `Bᵀ[k][l]`: how much input row `l` of the window adds to transformed row `k`.
    pub fn input_weight(&self, k: usize, l: usize) -> f32 {
        self.bt[k * (self.r + 1) + l]
    }

    /// `Bᵀ[k]`: how much each input row of the window adds to transformed row `k`.
    pub fn input_weights(&self, k: usize) -> &[f32] {
        &self.bt[k * (self.r + 1)..(k + 1) * (self.r + 1)]
    }

    /// `Aᵀ[i][k]`: how much product `k` adds to output `i` (0 or 1) of the pair.
    pub fn output_weight(&self, i: usize, k: usize) -> f32 {
        self.at[i * (self.r + 1) + k]
    }

    /// `out: [r+1, E·F]` = the kernel `[r, E·F]` transformed: `out[k] = Σ_j G[k][j]·kernel[j]`,
    /// summed in order of `j` from `+0` (every build gives the same bits: multiplies, then adds).
    pub fn transform_kernel(&self, kernel: &[f32], ef: usize, out: &mut [f32]) {
        let (r, n) = (self.r, self.r + 1);
        assert!(kernel.len() == r * ef && out.len() == n * ef, "Winograd: kernel is not [{r}, E·F]");
        transform_kernel_in_build(&self.g, r, kernel, out);
    }
}

crate::kernels::compiled_per_kernels!(
    fn transform_kernel_in_build / transform_kernel_avx2 / transform_kernel_avx512 (
        g: &[f32],
        r: usize,
        kernel: &[f32],
        out: &mut [f32],
    ) => transform_kernel_body
);

#[inline(always)]
fn transform_kernel_body(g: &[f32], r: usize, kernel: &[f32], out: &mut [f32]) {
    let ef = kernel.len() / r;
    for (k, out) in out.chunks_exact_mut(ef).enumerate() {
        out.fill(0.0);
        for (j, &c) in g[k * r..(k + 1) * r].iter().enumerate() {
            if c != 0.0 {
                out.iter_mut().zip(&kernel[j * ef..(j + 1) * ef]).for_each(|(o, &v)| *o += c * v);
            }
        }
    }
}

/// Whether `v` has at most 16 binary digits after the point (and so is exact in `f32` for the
/// small values the transforms hold).
fn is_dyadic(v: f64) -> bool {
    let scaled = v * 65536.0;
    (scaled - scaled.round()).abs() < 1e-6
}

fn round_dyadic(v: f64) -> f64 {
    (v * 65536.0).round() / 65536.0
}

/// `A⁻¹` of a small `[n, n]` matrix, Gauss–Jordan with partial pivoting in `f64`.
fn invert(a: &[f64], n: usize) -> Vec<f64> {
    let mut m = a.to_vec();
    let mut inv: Vec<f64> = (0..n * n).map(|i| if i % n == i / n { 1.0 } else { 0.0 }).collect();
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| m[x * n + col].abs().total_cmp(&m[y * n + col].abs())).expect("n > 0");
        assert!(m[pivot * n + col].abs() > 1e-12, "Winograd: the interpolation points are not distinct");
        for j in 0..n {
            m.swap(col * n + j, pivot * n + j);
            inv.swap(col * n + j, pivot * n + j);
        }
        let p = m[col * n + col];
        for j in 0..n {
            m[col * n + j] /= p;
            inv[col * n + j] /= p;
        }
        for row in (0..n).filter(|&row| row != col) {
            let factor = m[row * n + col];
            for j in 0..n {
                m[row * n + j] -= factor * m[col * n + j];
                inv[row * n + j] -= factor * inv[col * n + j];
            }
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;

    #[test]
    fn the_transforms_give_both_outputs_of_the_window() {
        let mut rng = Rng::new(3);
        for r in WIDTHS {
            let w = Winograd::new(r);
            let n = w.points();
            // scalar taps and inputs (E = F = 1): y_i = Σ_j d_{i+j} g_j
            for _ in 0..20 {
                let g: Vec<f32> = (0..r).map(|_| rng.uniform(-1.0, 1.0)).collect();
                let d: Vec<f32> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
                let mut gt = vec![0.0; n];
                w.transform_kernel(&g, 1, &mut gt);
                let u: Vec<f64> =
                    (0..n).map(|k| (0..n).map(|l| f64::from(w.input_weight(k, l)) * f64::from(d[l])).sum()).collect();
                for i in 0..2 {
                    let got: f64 = (0..n).map(|k| f64::from(w.output_weight(i, k)) * u[k] * f64::from(gt[k])).sum();
                    let want: f64 = (0..r).map(|j| f64::from(d[i + j]) * f64::from(g[j])).sum();
                    assert!((got - want).abs() < 1e-6, "r {r} output {i}: {got} against {want}");
                }
            }
        }
    }

    #[test]
    fn the_input_transform_is_exact_in_f32_and_the_product_count_is_r_plus_1() {
        for r in WIDTHS {
            let w = Winograd::new(r);
            assert_eq!(w.points(), r + 1);
            for k in 0..w.points() {
                for l in 0..w.points() {
                    let v = f64::from(w.input_weight(k, l));
                    assert!(is_dyadic(v) && v.abs() <= 64.0, "r {r}: Bᵀ[{k}][{l}] = {v}");
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "widths 3 to 5")]
    fn other_widths_are_refused() {
        Winograd::new(6);
    }
}
