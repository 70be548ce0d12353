//! Kim's (2014) convolution block: one `Conv1D(F, w, relu)` per width `w`, each max-pooled
//! over time, concatenated into `[N, widths·F]`.

use std::ops::Range;

use strata_nn::conv1d::{self, ConvCache, ConvDims};
use strata_nn::Rng;

use super::{grad_views, Grads, Layer, Rows};

pub struct KimConv {
    e: usize,
    f: usize,
    widths: Vec<usize>,
    /// kernel `[w, E, F]` and bias `[F]` per width
    ranges: Vec<Range<usize>>,
    caches: Vec<ConvCache>,
    /// `[N, F]` per width: which step won the max
    argmax: Vec<Vec<usize>>,
    /// `[N, widths·F]`
    out: Vec<f32>,
    rows: Rows,
    /// scratch: one width's pooled values or their gradient `[N, F]`, its conv output's
    /// gradient `[T', N, F]`, its input gradient `[T, N, E]`
    pooled: Vec<f32>,
    dconv: Vec<f32>,
    dx_one: Vec<f32>,
}

impl KimConv {
    pub fn new(e: usize, f: usize, widths: Vec<usize>, ranges: Vec<Range<usize>>) -> Self {
        let n = widths.len();
        KimConv {
            e,
            f,
            widths,
            ranges,
            caches: (0..n).map(|_| ConvCache::default()).collect(),
            argmax: vec![Vec::new(); n],
            out: Vec::new(),
            rows: Rows { n: 0, t: 0 },
            pooled: Vec::new(),
            dconv: Vec::new(),
            dx_one: Vec::new(),
        }
    }

    fn dims(&self, j: usize) -> ConvDims {
        ConvDims { b: self.rows.n, t: self.rows.t, e: self.e, w: self.widths[j], f: self.f }
    }
}

impl Layer for KimConv {
    fn forward(&mut self, p: &[f32], x: &[f32], rows: Rows, _valid: Option<&[bool]>, _: Option<&mut Rng>) -> Rows {
        self.rows = rows;
        let (n, f, nw) = (rows.n, self.f, self.widths.len());
        self.out.clear();
        self.out.resize(n * nw * f, 0.0);
        for j in 0..nw {
            let d = self.dims(j);
            let (k, b) = (&p[self.ranges[2 * j].clone()], &p[self.ranges[2 * j + 1].clone()]);
            conv1d::forward(d, x, k, b, &mut self.caches[j]);
            self.argmax[j].resize(n * f, 0);
            self.pooled.resize(n * f, 0.0);
            if d.t_out() == 0 {
                continue; // shorter than the kernel: nothing to pool, the features stay 0
            }
            conv1d::max_over_time(d.t_out(), n, f, &self.caches[j].out, &mut self.pooled, &mut self.argmax[j]);
            for (row, src) in self.out.chunks_exact_mut(nw * f).zip(self.pooled.chunks_exact(f)) {
                row[j * f..(j + 1) * f].copy_from_slice(src);
            }
        }
        Rows { n, t: 1 }
    }

    fn output(&self) -> &[f32] {
        &self.out
    }

    fn backward(&mut self, p: &[f32], _x: &[f32], grads: Grads<'_>) {
        let Grads { dy, params: g, off, mut dx, .. } = grads;
        let Some(dy) = dy else { return };
        let (n, f, nw) = (self.rows.n, self.f, self.widths.len());
        if let Some(dx) = dx.as_deref_mut() {
            dx.fill(0.0);
        }
        let mut views = grad_views(g, off, &self.ranges).into_iter();
        for j in 0..nw {
            let d = self.dims(j);
            let (gk, gb) = (views.next().unwrap(), views.next().unwrap());
            if d.t_out() == 0 {
                continue;
            }
            self.pooled.clear();
            self.pooled.extend(dy.chunks_exact(nw * f).flat_map(|row| row[j * f..(j + 1) * f].iter().copied()));
            self.dconv.resize(d.t_out() * n * f, 0.0);
            conv1d::max_over_time_backward(n, f, &self.pooled, &self.argmax[j], &mut self.dconv);
            let kernel = &p[self.ranges[2 * j].clone()];
            match dx.as_deref_mut() {
                Some(dx) => {
                    self.dx_one.resize(dx.len(), 0.0);
                    conv1d::backward(d, kernel, &self.caches[j], &self.dconv, gk, gb, Some(&mut self.dx_one));
                    dx.iter_mut().zip(&self.dx_one).for_each(|(a, v)| *a += v);
                }
                None => conv1d::backward(d, kernel, &self.caches[j], &self.dconv, gk, gb, None),
            }
        }
    }
}
