//! strata's LSTM and GRU layers as ONNX's `LSTM` and `GRU` operators. The maths is the same;
//! the weights are laid out differently, and this file is where the two layouts meet:
//!
//! - strata (Keras): `kernel [D, G·H]`, `recurrent_kernel [H, G·H]`, gates as column blocks —
//!   LSTM `(i, f, c, o)` with one bias `[4H]`, GRU `(z, r, h)` with biases `[2, 3H]` (input,
//!   recurrent: `reset_after=True`).
//! - ONNX: `W [dirs, G·H, D]`, `R [dirs, G·H, H]` (transposed, gates as row blocks), `B [dirs,
//!   2·G·H]` (input bias, then recurrent bias) — LSTM gates `(i, o, f, c)`, GRU `(z, r, h)` with
//!   `linear_before_reset=1`, which is Keras's `reset_after`: `h̃ = tanh(x·Wh + bh + r ⊙ (h·Uh +
//!   b'h))`.
//!
//! Directions: ONNX's index 0 reads forward, 1 backward, as strata's `forward.`/`backward.`
//! tensors do; the backward direction's outputs are aligned with the input steps in both, and
//! its last state is the one after reading the whole text backwards in both.

use strata_model::layers::{GruConfig, LstmConfig};
use strata_model::model::Placed;
use strata_nn::ParamStore as Params;

use crate::builder::{Attr, Flow, Graph};

/// Which cell, with its gate order as ONNX wants it (indices into strata's gate blocks).
#[derive(Clone, Copy)]
enum Cell {
    Lstm,
    Gru,
}

impl Cell {
    fn onnx_gates(self) -> &'static [usize] {
        match self {
            // ONNX (i, o, f, c) from strata's (i, f, c, o)
            Cell::Lstm => &[0, 3, 1, 2],
            // ONNX (z, r, h) is strata's order
            Cell::Gru => &[0, 1, 2],
        }
    }
}

/// Adds an `lstm` layer.
pub fn lstm(g: &mut Graph, p: &Params, layer: &Placed, c: &LstmConfig, x: &Flow) -> Flow {
    recurrent(g, p, layer, Cell::Lstm, (c.units, c.bidirectional), x)
}

/// Adds a `gru` layer.
pub fn gru(g: &mut Graph, p: &Params, layer: &Placed, c: &GruConfig, x: &Flow) -> Flow {
    recurrent(g, p, layer, Cell::Gru, (c.units, c.bidirectional), x)
}

/// The node and the reshapes around it: `x` is `[T, N, D]`; the result is `[T, N, dirs·H]` when
/// the layer gives a sequence, else `[N, dirs·H]`.
fn recurrent(g: &mut Graph, p: &Params, layer: &Placed, cell: Cell, (h, bi): (usize, bool), x: &Flow) -> Flow {
    let d = layer.input.width;
    let prefixes: &[&str] = if bi { &["forward.", "backward."] } else { &[""] };
    let gates = cell.onnx_gates();
    let gh = gates.len() * h;
    let (mut w, mut r, mut b) = (Vec::new(), Vec::new(), Vec::new());
    for dir in prefixes {
        let tensor = |name: &str| p.get(&format!("{}.{dir}{name}", layer.name));
        w.extend(transposed_gates(tensor("kernel"), d, h, gates));
        r.extend(transposed_gates(tensor("recurrent_kernel"), h, h, gates));
        let bias = tensor("bias");
        match cell {
            Cell::Lstm => {
                b.extend(gates.iter().flat_map(|&k| bias[k * h..(k + 1) * h].iter().copied()));
                b.extend(std::iter::repeat_n(0.0, gh));
            }
            // [2, 3H]: input then recurrent, gates already in ONNX's order
            Cell::Gru => b.extend_from_slice(bias),
        }
    }
    let dirs = prefixes.len();
    let w = g.floats(&format!("{}.W", layer.name), &[dirs, gh, d], &w);
    let r = g.floats(&format!("{}.R", layer.name), &[dirs, gh, h], &r);
    let b = g.floats(&format!("{}.B", layer.name), &[dirs, 2 * gh], &b);
    let mut attrs = vec![
        ("hidden_size", Attr::Int(h as i64)),
        ("direction", Attr::Str(if bi { "bidirectional" } else { "forward" })),
    ];
    let op = match cell {
        Cell::Lstm => "LSTM",
        Cell::Gru => {
            attrs.push(("linear_before_reset", Attr::Int(1)));
            "GRU"
        }
    };
    // Y [T, dirs, N, H], Y_h [dirs, N, H]
    let outs = g.node(op, &[&x.name, &w, &r, &b], 2, attrs);
    if layer.output.sequence {
        // [T, dirs, N, H] → [T, N, dirs, H] → [T, N, dirs·H]
        let t = g.op("Transpose", &[&outs[0]], vec![("perm", Attr::Ints(vec![0, 2, 1, 3]))]);
        let shape = g.ints("shape", &[0, 0, -1]);
        Flow { name: g.op("Reshape", &[&t, &shape], vec![]), sequence: true }
    } else {
        // [dirs, N, H] → [N, dirs, H] → [N, dirs·H]
        let t = g.op("Transpose", &[&outs[1]], vec![("perm", Attr::Ints(vec![1, 0, 2]))]);
        let shape = g.ints("shape", &[0, -1]);
        Flow { name: g.op("Reshape", &[&t, &shape], vec![]), sequence: false }
    }
}

/// `m: [rows, G·H]` (gate blocks as columns, strata's order) as `[G·H, rows]` with the gate
/// blocks in `gates`' order.
fn transposed_gates(m: &[f32], rows: usize, h: usize, gates: &[usize]) -> Vec<f32> {
    let cols = gates.len() * h;
    debug_assert_eq!(m.len(), rows * cols);
    let mut out = Vec::with_capacity(m.len());
    for &k in gates {
        for j in 0..h {
            out.extend((0..rows).map(|row| m[row * cols + k * h + j]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lstm_gate_blocks_move_to_onnx_order_and_transpose() {
        // rows = 1, h = 1: columns are the gates i f c o
        let m = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(transposed_gates(&m, 1, 1, Cell::Lstm.onnx_gates()), [1.0, 4.0, 2.0, 3.0]);
        // rows = 2, h = 1, GRU: [2, 3] → [3, 2]
        let m = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(transposed_gates(&m, 2, 1, Cell::Gru.onnx_gates()), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    }
}
