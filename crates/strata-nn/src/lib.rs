//! strata's engine: explicit forward and backward over flat `f32` buffers.
//!
//! A general autodiff framework pays per-op costs at each of an LSTM's time steps; this crate
//! instead writes each layer's `forward` and `backward` side by side (llm.c style), keeps all
//! parameters in one allocation with dotted names (which are the safetensors keys), and leaves
//! scheduling (chunks per core, which layers train) to the caller.
//!
//! # Shape glossary
//! - `B` batch (or the chunk of it one core handles), `T` time steps, `E` embedding width,
//! - `H` recurrent units, `G = 4H` stacked LSTM gates in Keras order (i, f, c, o),
//! - `I`/`O` a dense layer's input and output widths, `V` vocabulary size.
//!
//! Sequence buffers are **time-major** (`[T, B, E]`): one time step is a contiguous `[B, E]`
//! block, so the recurrence reads and writes contiguous memory and the input projection of all
//! steps is a single GEMM over `[T*B, E]`.

pub mod activations;
pub mod attention;
#[cfg(target_arch = "x86_64")]
mod avx512_tiles;
pub mod bidirectional;
pub mod conv1d;
pub mod dense;
mod distinct_inputs;
pub mod dropout;
pub mod embedding;
#[cfg(all(test, target_arch = "x86_64"))]
mod gate_math_builds;
pub mod gemm;
pub mod gradcheck;
pub mod gru;
pub mod init;
pub mod kernels;
pub mod linear_sgd;
pub mod loss;
pub mod lstm;
pub mod optim;
pub mod params;
pub mod rng;
pub mod rnn;
pub mod rnn_cache;
pub mod row_groups;
pub mod sampled_softmax;
pub mod scratch;
pub mod skipgram;
pub mod small_gemm;
pub mod step_mask;

pub use params::{ParamSpec, ParamStore};
pub use rng::Rng;
pub use rnn::{Cell, RnnDims, RnnGrads, RnnOutputGrads, RnnParams};
pub use rnn_cache::RnnCache;
