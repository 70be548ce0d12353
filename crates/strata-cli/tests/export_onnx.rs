//! `strata export --onnx` and `--ids` (issue 15, points 7 and 9), without Python: each model
//! type is trained briefly on a corpus the test makes, exported, and the file decoded back with
//! the crate that wrote it — its opset, its declared input and output, its operators in an
//! order ONNX can run, and its recurrent weights in ONNX's gate order (checked against the
//! model's own safetensors). onnxruntime's numbers are bench/onnx/check.sh's job. Then the
//! models and files the exporter must refuse, each as one `error:` line and exit code 2.

mod common;

use common::{assert_ok, assert_user_error, corpus, Case, SMALL};
use safetensors::SafeTensors;
use strata_onnx::proto::tensor_proto::DataType;
use strata_onnx::proto::tensor_shape_proto::dimension::Value as DimValue;
use strata_onnx::proto::type_proto::Value as TypeValue;
use strata_onnx::proto::{ModelProto, TensorProto, ValueInfoProto};

/// Trains `model` with `flags` on a small corpus into `name`.
fn train(case: &Case, name: &str, model: &str, flags: &[&str]) {
    case.write("train.tsv", corpus(60).as_bytes());
    let mut args =
        vec!["train", "--data", "train.tsv", "--out", name, "--model", model, "--epochs", "1", "--seed", "1"];
    args.push("--no-probes");
    args.extend(flags);
    assert_ok(&case.run(&args));
}

fn export(case: &Case, name: &str) -> ModelProto {
    let out = format!("{name}.onnx");
    assert_ok(&case.run(&["export", "--onnx", "--model", name, "--out", &out]));
    strata_onnx::decode(&std::fs::read(case.path(&out)).unwrap()).expect("the file decodes as an ONNX model")
}

/// `(element type, dims)` of a declared input or output; a named dim reads as -1.
fn declared(v: &ValueInfoProto) -> (i32, Vec<i64>) {
    let Some(TypeValue::TensorType(t)) = &v.type_.value else { panic!("{} is not a tensor", v.name) };
    let dims = t.shape.dim.iter().map(|d| if let Some(DimValue::DimValue(n)) = d.value { n } else { -1 }).collect();
    (t.elem_type, dims)
}

fn initializer<'a>(m: &'a ModelProto, name: &str) -> &'a TensorProto {
    m.graph.initializer.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no initializer {name}"))
}

fn floats(t: &TensorProto) -> Vec<f32> {
    t.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// A tensor of the model folder's safetensors.
fn saved_tensor(case: &Case, run: &str, name: &str) -> Vec<f32> {
    let bytes = std::fs::read(case.path(&format!("{run}/model/model.safetensors"))).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    st.tensor(name).unwrap().data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// The op types of the graph, in node order.
fn ops(m: &ModelProto) -> Vec<&str> {
    m.graph.node.iter().map(|n| n.op_type.as_str()).collect()
}

/// What every exported file must be: opset 17 (IR 8) from strata, `input_ids` int64 in and
/// `probabilities` float `[N, classes]` out, every node reading only what exists before it.
fn assert_well_formed(m: &ModelProto, input_dims: &[i64], classes: i64) {
    assert_eq!((m.ir_version, m.producer_name.as_str()), (strata_onnx::IR_VERSION, "strata"));
    assert_eq!(m.opset_import.len(), 1);
    assert_eq!((m.opset_import[0].domain.as_str(), m.opset_import[0].version), ("", 17));
    let g = &m.graph;
    assert_eq!(g.input.len(), 1);
    assert_eq!(g.input[0].name, "input_ids");
    assert_eq!(declared(&g.input[0]), (DataType::INT64 as i32, input_dims.to_vec()));
    assert_eq!(g.output.len(), 1);
    assert_eq!(g.output[0].name, "probabilities");
    assert_eq!(declared(&g.output[0]), (DataType::FLOAT as i32, vec![-1, classes]));
    let mut known: std::collections::HashSet<&str> = g.initializer.iter().map(|t| t.name.as_str()).collect();
    known.insert("input_ids");
    for n in &g.node {
        for i in n.input.iter().filter(|i| !i.is_empty()) {
            assert!(known.contains(i.as_str()), "{} reads {i} before anything writes it", n.op_type);
        }
        known.extend(n.output.iter().map(String::as_str));
    }
    assert!(known.contains("probabilities"));
    let meta: Vec<(&str, &str)> = m.metadata_props.iter().map(|p| (p.key.as_str(), p.value.as_str())).collect();
    assert!(meta.contains(&("id2label", r#"{"0":"0","1":"1"}"#)), "{meta:?}");
}

#[test]
fn seed_exports_as_one_lstm_with_onnx_gate_order() {
    let case = Case::new();
    train(&case, "run", "seed", SMALL);
    let m = export(&case, "run");
    assert_well_formed(&m, &[-1, 12], 2);
    assert_eq!(ops(&m).iter().filter(|o| **o == "LSTM").count(), 1);
    assert!(ops(&m).starts_with(&["Transpose", "Gather", "LSTM"]), "{:?}", ops(&m));
    assert!(ops(&m).contains(&"Sigmoid") && !ops(&m).contains(&"Softmax"));
    // ONNX's W is [dirs, 4H, D] in gates (i, o, f, c); strata's kernel [D, 4H] in (i, f, c, o)
    let (h, d) = (8, 8);
    let w = floats(initializer(&m, "lstm_0.W"));
    assert_eq!(initializer(&m, "lstm_0.W").dims, [1, 4 * h as i64, d as i64]);
    let kernel = saved_tensor(&case, "run", "lstm_0.kernel");
    for (onnx_gate, strata_gate) in [(0, 0), (1, 3), (2, 1), (3, 2)] {
        for j in 0..h {
            for x in 0..d {
                assert_eq!(w[(onnx_gate * h + j) * d + x], kernel[x * 4 * h + strata_gate * h + j]);
            }
        }
    }
    // the bias: Wb in ONNX's order (strata's forget gate starts at 1), then a zero Rb
    let b = floats(initializer(&m, "lstm_0.B"));
    let bias = saved_tensor(&case, "run", "lstm_0.bias");
    assert_eq!(&b[2 * h..3 * h], &bias[h..2 * h]);
    assert!(b[4 * h..].iter().all(|v| *v == 0.0));
}

#[test]
fn stacked_and_bidirectional_recurrent_models_export_with_their_directions() {
    let case = Case::new();
    train(&case, "stacked", "seed-stacked", SMALL);
    let m = export(&case, "stacked");
    assert_well_formed(&m, &[-1, 12], 2);
    assert_eq!(ops(&m).iter().filter(|o| **o == "LSTM").count(), 2);
    train(&case, "bi", "bilstm", SMALL);
    let m = export(&case, "bi");
    assert_well_formed(&m, &[-1, 12], 2);
    let lstm = m.graph.node.iter().find(|n| n.op_type == "LSTM").unwrap();
    let direction = lstm.attribute.iter().find(|a| a.name == "direction").unwrap();
    assert_eq!(direction.s, b"bidirectional");
    assert_eq!(initializer(&m, "bilstm_0.W").dims, [2, 32, 8]);
    // the backward direction's weights are strata's backward.* tensors
    let w = floats(initializer(&m, "bilstm_0.W"));
    let kernel = saved_tensor(&case, "bi", "bilstm_0.backward.kernel");
    assert_eq!(w[32 * 8], kernel[0]);
}

#[test]
fn gru_exports_with_linear_before_reset_for_keras_reset_after() {
    let case = Case::new();
    train(&case, "run", "gru", SMALL);
    let m = export(&case, "run");
    assert_well_formed(&m, &[-1, 12], 2);
    let gru = m.graph.node.iter().find(|n| n.op_type == "GRU").expect("a GRU node");
    let lbr = gru.attribute.iter().find(|a| a.name == "linear_before_reset").unwrap();
    assert_eq!(lbr.i, 1);
    // B is strata's [2, 3H] bias as it is: input then recurrent, gates (z, r, h) in both
    assert_eq!(floats(initializer(&m, "gru_0.B")), saved_tensor(&case, "run", "gru_0.bias"));
}

#[test]
fn kim_cnn_exports_one_conv_and_max_per_width() {
    let case = Case::new();
    train(&case, "run", "kim-cnn", SMALL);
    let m = export(&case, "run");
    assert_well_formed(&m, &[-1, 12], 2);
    assert_eq!(ops(&m).iter().filter(|o| **o == "Conv").count(), 3);
    assert_eq!(ops(&m).iter().filter(|o| **o == "ReduceMax").count(), 3);
    assert!(!ops(&m).contains(&"Dropout"), "dropout is the identity at inference");
    assert_eq!(initializer(&m, "conv1d_0.w4.W").dims, [8, 8, 4]);
    // ONNX [F, D, w] from strata's [w, D, F]: element (f=1, d=2, j=3)
    let k = saved_tensor(&case, "run", "conv1d_0.w4.kernel");
    assert_eq!(floats(initializer(&m, "conv1d_0.w4.W"))[(8 + 2) * 4 + 3], k[(3 * 8 + 2) * 8 + 1]);
}

#[test]
fn linear_exports_a_masked_mean_of_input_rows_and_its_ids_vary_in_length() {
    let case = Case::new();
    train(&case, "run", "linear", &["--dim", "8", "--buckets", "1000"]);
    let m = export(&case, "run");
    assert_well_formed(&m, &[-1, -1], 2);
    for op in ["Gather", "ReduceSum", "Reciprocal", "Gemm", "Softmax"] {
        assert!(ops(&m).contains(&op), "{op} in {:?}", ops(&m));
    }
    let rows = initializer(&m, "input").dims[0];
    case.write("texts.txt", b"great movie\nthe plot was dull and weak and poor\n");
    let o = case.run(&["export", "--ids", "--model", "run", "--input", "texts.txt"]);
    assert_ok(&o);
    let lines: Vec<Vec<i64>> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[1].len() > lines[0].len(), "{lines:?}");
    assert!(lines.iter().flatten().all(|&id| (0..rows).contains(&id)), "{lines:?}");
}

#[test]
fn ids_are_the_padded_token_ids_predict_reads() {
    let case = Case::new();
    train(&case, "run", "seed", SMALL);
    case.write("texts.txt", b"plot movie\nzzz unknown\n");
    let o = case.run(&["export", "--ids", "--model", "run", "--input", "texts.txt", "--out", "ids.txt"]);
    assert_ok(&o);
    let text = case.read("ids.txt");
    let lines: Vec<Vec<u64>> = text.lines().map(|l| l.split(' ').map(|v| v.parse().unwrap()).collect()).collect();
    // pre-padded to maxlen 12, the words' ids as vocab.json's word_index gives them
    let vocab: serde_json::Value = serde_json::from_str(&case.read("run/model/vocab.json")).unwrap();
    let id = |w: &str| vocab["word_index"][w].as_u64().unwrap();
    let row = |a, b| [vec![0; 10], vec![a, b]].concat();
    assert_eq!(lines, [row(id("plot"), id("movie")), row(id("<OOV>"), id("<OOV>"))], "{text}");
}

#[test]
fn models_the_exporter_cannot_write_are_one_error_line() {
    let case = Case::new();
    train(&case, "han", "han", &["--maxlen", "6", "--num-words", "100", "--units", "4", "--embedding-dim", "4"]);
    let o = case.run(&["export", "--onnx", "--model", "han", "--out", "han.onnx"]);
    assert_user_error(&o, &["attention_0", "no ONNX form", "han"]);
    assert!(!case.path("han.onnx").exists());
    let mut masked = SMALL.to_vec();
    masked.push("--mask-padding");
    train(&case, "masked", "seed", &masked);
    let o = case.run(&["export", "--onnx", "--model", "masked", "--out", "masked.onnx"]);
    assert_user_error(&o, &["--mask-padding"]);
    assert!(!case.path("masked.onnx").exists());
    // several labels per text (a sigmoid each, thresholds): refused until the exporter knows them
    case.write(
        "multi.txt",
        b"__label__a __label__b good film\n__label__a bad film\n__label__b dull plot\n".repeat(10).as_slice(),
    );
    let mut args = vec!["train", "--data", "multi.txt", "--out", "multi", "--multi-label", "--model", "seed"];
    args.extend(["--epochs", "1", "--seed", "1"]);
    args.extend(SMALL);
    assert_ok(&case.run(&args));
    let o = case.run(&["export", "--onnx", "--model", "multi", "--out", "multi.onnx"]);
    assert_user_error(&o, &["'multi'", "one label per text"]);
}

#[test]
fn bad_command_lines_and_foreign_files_are_refused() {
    let case = Case::new();
    train(&case, "run", "seed", SMALL);
    // neither --onnx nor --ids; --onnx without --out; --ids without --input; no model
    assert_user_error(&case.run(&["export", "--model", "run"]), &[]);
    assert_user_error(&case.run(&["export", "--onnx", "--model", "run"]), &["--out"]);
    assert_user_error(&case.run(&["export", "--ids", "--model", "run"]), &["--input"]);
    assert_user_error(&case.run(&["export", "--onnx", "--model", "nowhere", "--out", "m.onnx"]), &["nowhere"]);
    // a file strata did not write is left alone; its own file is replaced
    case.write("notes.onnx", b"my notes");
    let o = case.run(&["export", "--onnx", "--model", "run", "--out", "notes.onnx"]);
    assert_user_error(&o, &["notes.onnx", "not an ONNX file strata wrote"]);
    assert_eq!(case.read("notes.onnx"), "my notes");
    export(&case, "run");
    export(&case, "run");
    // --ids never writes over its input
    case.write("texts.txt", b"great movie\n");
    let o = case.run(&["export", "--ids", "--model", "run", "--input", "texts.txt", "--out", "texts.txt"]);
    assert_user_error(&o, &["input file"]);
    assert_eq!(case.read("texts.txt"), "great movie\n");
}
