//! The bank's kernels grouped by shift, and the product that computes one shift's rows of `Y`.
//!
//! Shift `j` of the window is used by every width `w > j`, each reading the input step `t + j`
//! for its output step `t`. With the kernels' `j`-th `[E, F]` slices side by side in one
//! matrix `K_j: [E, S_j]` (`S_j = F · #{w > j}`), each block of output steps computes, per
//! shift, exactly the input rows that shift reads: `Y_j = x[s0 + j .. s1 + j] · K_j`. One
//! `[T·N, E] · [E, Σ w·F]` product over all steps computed rows no output reads (step `t < j`
//! for shift `j`, 5 % of the work at Kim's sizes), and blocking it over time had to carry the
//! `w_max − 1` steps two blocks share from one to the next (a copy of four steps of `Y` for
//! every step computed, 8 % of kim-cnn's training in `perf`); the shifts' products need neither.
//!
//! Every value of `Y` is still one FMA chain over `E` — which rows and columns a product covers
//! does not change it — so the numbers are the single product's: [`shift_product`] keeps the
//! chain that product had (the AVX-512 tiles' order chosen by `S = Σ w·F`, or
//! `matrixmultiply`'s), whatever `S_j` is.
//!
//! # Shapes
//! kernel of width `i`: `[w_i, E, F]` (Keras's layout); `K_j: [E, S_j]`, all shifts packed one
//! after another; width `i`'s columns in `K_j` start at [`ShiftLayout::column`].

#[cfg(target_arch = "x86_64")]
use crate::avx512_tiles::{matmul, Chain, Strides};
use crate::gemm::{gemm_with, Gemm};
use crate::kernels::Kernels;

/// Which widths use each shift, and where each shift's matrix lies in the packed buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftLayout {
    e: usize,
    f: usize,
    widths: Vec<usize>,
    /// `users[j]`: the widths (indices, in order) with `w > j`
    users: Vec<Vec<usize>>,
    /// `starts[j]`: where `K_j` starts in the packed buffer; `starts[w_max]` is its length
    starts: Vec<usize>,
}

impl ShiftLayout {
    pub fn new(e: usize, f: usize, widths: &[usize]) -> ShiftLayout {
        let shifts = widths.iter().copied().max().unwrap_or(0);
        let users: Vec<Vec<usize>> =
            (0..shifts).map(|j| (0..widths.len()).filter(|&i| widths[i] > j).collect()).collect();
        let starts = std::iter::once(0)
            .chain(users.iter().scan(0, |at, u| {
                *at += e * f * u.len();
                Some(*at)
            }))
            .collect();
        ShiftLayout { e, f, widths: widths.to_vec(), users, starts }
    }

    /// Shifts: the widest kernel's width.
    pub fn shifts(&self) -> usize {
        self.users.len()
    }

    /// `S_j`: the columns of `K_j` (and of `Y_j`).
    pub fn columns(&self, j: usize) -> usize {
        self.users[j].len() * self.f
    }

    /// The narrowest width that uses shift `j`: its output steps reach furthest.
    pub fn narrowest_user(&self, j: usize) -> usize {
        self.users[j].iter().map(|&i| self.widths[i]).min().unwrap_or(0)
    }

    /// Where width `i`'s `F` columns start in `K_j` (`i` must use shift `j`).
    pub fn column(&self, j: usize, i: usize) -> usize {
        let slot = self.users[j].iter().position(|&u| u == i).expect("width does not use this shift");
        slot * self.f
    }

    /// `K_j` within the packed buffer.
    pub fn shift_range(&self, j: usize) -> std::ops::Range<usize> {
        self.starts[j]..self.starts[j + 1]
    }

    /// Length of the packed buffer (every `K_j`).
    pub fn packed_len(&self) -> usize {
        self.starts.last().copied().unwrap_or(0)
    }

    /// Each `(row of K_j, slice of a kernel)` pair: the `F` values of `K_j`'s row `e` at width
    /// `i`'s columns are `kernels[i][(j·E + e)·F ..][..F]`.
    fn pieces<'k>(&'k self, j: usize, kernels: &'k [&'k [f32]]) -> impl Iterator<Item = (usize, &'k [f32])> + 'k {
        let (e, f, s) = (self.e, self.f, self.columns(j));
        let start = self.starts[j];
        (0..e).flat_map(move |ei| {
            self.users[j]
                .iter()
                .enumerate()
                .map(move |(slot, &i)| (start + ei * s + slot * f, &kernels[i][(j * e + ei) * f..][..f]))
        })
    }

    /// Packs every `K_j` from the kernels `[w, E, F]` into `out` (resized).
    pub fn pack(&self, kernels: &[&[f32]], out: &mut Vec<f32>) {
        out.resize(self.packed_len(), 0.0);
        for j in 0..self.shifts() {
            for (at, piece) in self.pieces(j, kernels) {
                out[at..at + piece.len()].copy_from_slice(piece);
            }
        }
    }

    /// Whether `kernels` are `[w, E, F]` for this layout's widths.
    pub fn fits(&self, kernels: &[&[f32]]) -> bool {
        kernels.len() == self.widths.len()
            && kernels.iter().zip(&self.widths).all(|(k, w)| k.len() == w * self.e * self.f)
    }

    /// Whether `packed` holds the kernels' bits exactly (`-0.0` differs from `0.0`, a NaN
    /// equals itself): tests' check of a packing.
    #[cfg(test)]
    pub fn holds(&self, kernels: &[&[f32]], packed: &[f32]) -> bool {
        self.fits(kernels)
            && packed.len() == self.packed_len()
            && (0..self.shifts()).all(|j| self.pieces(j, kernels).all(|(at, piece)| same_bits(&packed[at..], piece)))
    }
}

/// Whether `b` equals the start of `a` bit for bit; branch-free within 16 values, so it runs
/// in vector lanes.
#[cfg(test)]
pub(super) fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() >= b.len()
        && a.chunks(16)
            .zip(b.chunks(16))
            .all(|(x, y)| x.iter().zip(y).fold(true, |ok, (p, q)| ok & (p.to_bits() == q.to_bits())))
}

/// `out[m, n] = x[m, E] · K_j[E, n]` for a bank whose single product was `S` columns wide:
/// each value the FMA chain that product gave it (see the module's note).
pub fn shift_product(
    kernels: Kernels,
    s: usize,
    (m, e, n): (usize, usize, usize),
    x: &[f32],
    k: &[f32],
    out: &mut [f32],
) {
    assert!(x.len() >= m * e && k.len() >= e * n && out.len() >= m * n, "shift product: buffer too small");
    if m == 0 || n == 0 {
        return;
    }
    // `gemm` would choose these tiles, and their chain, for the `[.., S]` product (`n ≥ 16`)
    #[cfg(target_arch = "x86_64")]
    if kernels >= Kernels::Avx512 && s >= 16 && Kernels::Avx512.supported() {
        let chain = if s.is_multiple_of(16) { Chain::Whole } else { Chain::PerSlice };
        // SAFETY: the CPU has AVX-512 F; `x` holds m·e values read at row stride e, `k` e·n,
        // `out` m·n (asserted above).
        unsafe {
            matmul((m, e, n), x.as_ptr(), Strides { row: e, col: 1 }, k.as_ptr(), (false, chain), out.as_mut_ptr())
        };
        return;
    }
    // otherwise `matrixmultiply`, whose chain per value depends on `k` alone
    gemm_with(Kernels::Portable, Gemm::new(m, e, n), &x[..m * e], &k[..e * n], &mut out[..m * n]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::gemm_with;
    use crate::Rng;

    fn random(rng: &mut Rng, len: usize) -> Vec<f32> {
        (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect()
    }

    #[test]
    fn every_shift_gives_the_single_products_bits_in_every_build() {
        // E over two k slices (300 > 256), S a multiple of 16 (one chain) and not (per slice),
        // and a bank narrower than 16 columns (matrixmultiply)
        let mut rng = Rng::new(7);
        for (e, f, widths) in [(300, 100, vec![3, 4, 5]), (300, 7, vec![2, 3]), (5, 2, vec![1, 3])] {
            let layout = ShiftLayout::new(e, f, &widths);
            let s: usize = widths.iter().map(|w| w * f).sum();
            let ks: Vec<Vec<f32>> = widths.iter().map(|w| random(&mut rng, w * e * f)).collect();
            let kr: Vec<&[f32]> = ks.iter().map(|k| &k[..]).collect();
            // the single product's matrix: each width's shifts side by side
            let mut k_all = vec![0.0; e * s];
            let mut col = 0;
            for (i, &w) in widths.iter().enumerate() {
                for j in 0..w {
                    for ei in 0..e {
                        k_all[ei * s + col..][..f].copy_from_slice(&ks[i][(j * e + ei) * f..][..f]);
                    }
                    col += f;
                }
            }
            let mut packed = Vec::new();
            layout.pack(&kr, &mut packed);
            assert!(layout.holds(&kr, &packed));
            let rows = 13;
            let x = random(&mut rng, rows * e);
            for build in Kernels::available() {
                let mut whole = vec![0.0; rows * s];
                gemm_with(build, Gemm::new(rows, e, s), &x, &k_all, &mut whole);
                let mut col = 0;
                for (i, &w) in widths.iter().enumerate() {
                    for j in 0..w {
                        let n = layout.columns(j);
                        let mut y = vec![0.0; rows * n];
                        shift_product(build, s, (rows, e, n), &x, &packed[layout.shift_range(j)], &mut y);
                        let c = layout.column(j, i);
                        for r in 0..rows {
                            let (got, want) = (&y[r * n + c..][..f], &whole[r * s + col..][..f]);
                            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                            assert_eq!(
                                bits(got),
                                bits(want),
                                "{} e {e} f {f} width {w} shift {j} row {r}",
                                build.name()
                            );
                        }
                        col += f;
                    }
                }
            }
        }
    }

    #[test]
    fn a_packing_holds_only_the_kernels_it_was_made_from() {
        let (e, f, widths) = (4, 3, vec![1, 2]);
        let layout = ShiftLayout::new(e, f, &widths);
        let mut rng = Rng::new(2);
        let mut ks: Vec<Vec<f32>> = widths.iter().map(|w| random(&mut rng, w * e * f)).collect();
        ks[1][5] = 0.0;
        let mut packed = Vec::new();
        layout.pack(&ks.iter().map(|k| &k[..]).collect::<Vec<_>>(), &mut packed);
        assert!(layout.holds(&ks.iter().map(|k| &k[..]).collect::<Vec<_>>(), &packed));
        // every value of every kernel is checked, the sign of a zero included
        for (i, at) in [(0, 0), (0, e * f - 1), (1, 5), (1, 2 * e * f - 1)] {
            let mut changed = ks.clone();
            changed[i][at] = if changed[i][at] == 0.0 { -0.0 } else { changed[i][at] + 1.0 };
            assert!(!layout.holds(&changed.iter().map(|k| &k[..]).collect::<Vec<_>>(), &packed), "width {i} at {at}");
        }
        assert!(!layout.holds(&ks[..1].iter().map(|k| &k[..]).collect::<Vec<_>>(), &packed));
    }
}
