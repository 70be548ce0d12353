//! Kim's convolution block (`conv1d`: one ReLU `Conv1D(F, w)` per width, each max-pooled over
//! time, concatenated) as ONNX `Conv` + `Relu` + `ReduceMax` per width and one `Concat`.
//! strata keeps the sequence time-major with kernels `[w, D, F]`; ONNX's `Conv` reads `[N, D,
//! T]` with weights `[F, D, w]`, so the input is transposed once and each kernel rearranged.

use strata_model::layers::Conv1dConfig;
use strata_model::model::Placed;
use strata_nn::ParamStore;

use crate::builder::{Attr, Flow, Graph};

/// Adds a `conv1d` layer: `x` is `[T, N, D]`, the result `[N, widths·F]` (width `i`'s filters
/// at columns `i·F .. (i+1)·F`, as strata's bank gives them).
pub fn conv1d(g: &mut Graph, p: &ParamStore, layer: &Placed, c: &Conv1dConfig, x: &Flow) -> Flow {
    let (d, f) = (layer.input.width, c.filters);
    let ncl = g.op("Transpose", &[&x.name], vec![("perm", Attr::Ints(vec![1, 2, 0]))]);
    let mut pooled = Vec::new();
    for &w in &c.widths {
        let kernel = p.get(&format!("{}.w{w}.kernel", layer.name));
        let weight = g.floats(&format!("{}.w{w}.W", layer.name), &[f, d, w], &kernel_fdw(kernel, w, d, f));
        let bias = g.floats(&format!("{}.w{w}.B", layer.name), &[f], p.get(&format!("{}.w{w}.bias", layer.name)));
        let conv = g.op("Conv", &[&ncl, &weight, &bias], vec![("kernel_shape", Attr::Ints(vec![w as i64]))]);
        let relu = g.op("Relu", &[&conv], vec![]);
        pooled.push(g.op("ReduceMax", &[&relu], vec![("axes", Attr::Ints(vec![2])), ("keepdims", Attr::Int(0))]));
    }
    let inputs: Vec<&str> = pooled.iter().map(String::as_str).collect();
    Flow { name: g.op("Concat", &inputs, vec![("axis", Attr::Int(1))]), sequence: false }
}

/// strata's `[w, D, F]` as ONNX's `[F, D, w]`.
fn kernel_fdw(k: &[f32], w: usize, d: usize, f: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(k.len());
    for fi in 0..f {
        for di in 0..d {
            out.extend((0..w).map(|j| k[(j * d + di) * f + fi]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_move_from_time_first_to_filter_first() {
        // w = 2, d = 1, f = 2: k[j][0][f] = 10·j + f
        let k = [0.0, 1.0, 10.0, 11.0];
        assert_eq!(kernel_fdw(&k, 2, 1, 2), [0.0, 10.0, 1.0, 11.0]);
    }
}
