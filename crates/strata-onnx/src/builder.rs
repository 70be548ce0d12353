//! A small writer of ONNX graphs: named initializers, nodes with their attributes, fresh
//! intermediate names, and the model around them. The exporters (network, linear) say *what*
//! to compute; this file is the only one that knows how rust-protobuf spells an ONNX message.

use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::tensor_shape_proto::{dimension, Dimension};
use onnx_protobuf::type_proto::{self, Value};
use onnx_protobuf::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

/// The opset every exported graph declares: 17 keeps `ReduceMax`/`ReduceMean`'s axes as
/// attributes and is read by every onnxruntime since 1.14.
pub const OPSET: i64 = 17;
/// IR version 8 goes with opset 17.
pub const IR_VERSION: i64 = 8;
/// `producer_name` of every file strata writes; `export` replaces only files that carry it.
pub const PRODUCER: &str = "strata";

/// One dimension of a declared input or output: a size, or a name for a size given at run
/// time (`N` texts).
#[derive(Clone, Copy, Debug)]
pub enum Dim {
    Fixed(usize),
    Named(&'static str),
}

/// What flows out of a layer: its tensor's name, and whether it is a sequence `[T, N, D]`
/// (else one vector per text `[N, D]`).
pub struct Flow {
    pub name: String,
    pub sequence: bool,
}

/// An attribute value of a node.
pub enum Attr {
    Int(i64),
    Ints(Vec<i64>),
    Str(&'static str),
}

/// The graph being written.
#[derive(Default)]
pub struct Graph {
    proto: GraphProto,
    fresh: usize,
}

impl Graph {
    /// A fresh intermediate name starting with `stem`.
    pub fn name(&mut self, stem: &str) -> String {
        self.fresh += 1;
        format!("{stem}/{}", self.fresh)
    }

    /// A float initializer `name` of `shape` holding `data` (row-major).
    pub fn floats(&mut self, name: &str, shape: &[usize], data: &[f32]) -> String {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len(), "{name}: data is not {shape:?}");
        let mut t = tensor(name, shape, DataType::FLOAT);
        t.raw_data = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.proto.initializer.push(t);
        name.to_string()
    }

    /// An int64 initializer (axes, shapes, sequence lengths).
    pub fn ints(&mut self, stem: &str, data: &[i64]) -> String {
        let name = self.name(stem);
        let mut t = tensor(&name, &[data.len()], DataType::INT64);
        t.raw_data = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.proto.initializer.push(t);
        name
    }

    /// A node `op` reading `inputs` (an empty name is an omitted optional input), writing one
    /// fresh output per name of `outputs`; returns the output names.
    pub fn node(&mut self, op: &str, inputs: &[&str], outputs: usize, attrs: Vec<(&str, Attr)>) -> Vec<String> {
        let outs: Vec<String> = (0..outputs).map(|_| self.name(op)).collect();
        let node = NodeProto {
            op_type: op.into(),
            name: self.name(&format!("{op}_node")),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outs.clone(),
            attribute: attrs.into_iter().map(|(n, a)| attribute(n, a)).collect(),
            ..Default::default()
        };
        self.proto.node.push(node);
        outs
    }

    /// [`Self::node`] with one output.
    pub fn op(&mut self, op: &str, inputs: &[&str], attrs: Vec<(&str, Attr)>) -> String {
        self.node(op, inputs, 1, attrs).remove(0)
    }

    /// Declares `name` a graph input of `elem` type and `dims`.
    pub fn input(&mut self, name: &str, elem: DataType, dims: &[Dim], doc: &str) {
        self.proto.input.push(value_info(name, elem, dims, doc));
    }

    /// Names `from` (a node output) as the graph output `name`.
    pub fn output(&mut self, from: &str, name: &str, dims: &[Dim], doc: &str) {
        self.op_named("Identity", &[from], name);
        self.proto.output.push(value_info(name, DataType::FLOAT, dims, doc));
    }

    fn op_named(&mut self, op: &str, inputs: &[&str], output: &str) {
        let node = NodeProto {
            op_type: op.into(),
            name: self.name(&format!("{op}_node")),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.to_string()],
            ..Default::default()
        };
        self.proto.node.push(node);
    }

    /// The model around the graph, with `metadata` as its `metadata_props`.
    pub fn into_model(mut self, name: &str, doc: String, metadata: Vec<(String, String)>) -> ModelProto {
        self.proto.name = name.into();
        ModelProto {
            ir_version: IR_VERSION,
            opset_import: vec![OperatorSetIdProto { domain: String::new(), version: OPSET, ..Default::default() }],
            producer_name: PRODUCER.into(),
            producer_version: env!("CARGO_PKG_VERSION").into(),
            doc_string: doc,
            graph: Some(self.proto).into(),
            metadata_props: metadata
                .into_iter()
                .map(|(key, value)| StringStringEntryProto { key, value, ..Default::default() })
                .collect(),
            ..Default::default()
        }
    }
}

fn tensor(name: &str, shape: &[usize], elem: DataType) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: shape.iter().map(|&d| d as i64).collect(),
        data_type: elem as i32,
        ..Default::default()
    }
}

fn attribute(name: &str, value: Attr) -> AttributeProto {
    let mut a = AttributeProto { name: name.into(), ..Default::default() };
    let kind = match value {
        Attr::Int(i) => {
            a.i = i;
            AttributeType::INT
        }
        Attr::Ints(v) => {
            a.ints = v;
            AttributeType::INTS
        }
        Attr::Str(s) => {
            a.s = s.as_bytes().to_vec();
            AttributeType::STRING
        }
    };
    a.type_ = kind.into();
    a
}

fn value_info(name: &str, elem: DataType, dims: &[Dim], doc: &str) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match *d {
                Dim::Fixed(n) => dimension::Value::DimValue(n as i64),
                Dim::Named(s) => dimension::Value::DimParam(s.into()),
            }),
            ..Default::default()
        })
        .collect();
    let shape = TensorShapeProto { dim, ..Default::default() };
    let tensor = type_proto::Tensor { elem_type: elem as i32, shape: Some(shape).into(), ..Default::default() };
    ValueInfoProto {
        name: name.into(),
        type_: Some(TypeProto { value: Some(Value::TensorType(tensor)), ..Default::default() }).into(),
        doc_string: doc.into(),
        ..Default::default()
    }
}
