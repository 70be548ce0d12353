//! A Keras model config (the JSON of `model.to_json()`, in a `.keras` file's `config.json` or a
//! legacy `.h5`'s `model_config`) read into the layers strata can run, or refused in one error
//! that names what was found.
//!
//! strata imports the seed family: `Embedding` → one or more `LSTM`/`GRU` (each optionally
//! inside `Bidirectional(merge_mode="concat")`, all but the last with `return_sequences=True`) →
//! optional hidden `Dense` (relu, tanh, linear) and `Dropout` → `Dense(1, sigmoid)` or
//! `Dense(K, softmax)`. A `Sequential` model, or a functional one that is the same single chain.
//! Every setting that changes what the layers compute (activations, `go_backwards`,
//! `reset_after`, …) must be the value strata computes; anything else is named in the error.

use serde_json::Value;
use strata_data::DataError;
use strata_nn::Cell;

use super::keras_file::Variables;

/// One layer of the chain, with what strata needs of it.
#[derive(Clone, Debug, PartialEq)]
pub struct KerasLayer {
    /// `config.name`, the legacy `.h5`'s group.
    pub name: String,
    /// The `.keras` weights path: the snake-cased class numbered per class (`lstm_1`).
    pub path: String,
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Role {
    Embedding {
        input_dim: usize,
        output_dim: usize,
        mask_zero: bool,
    },
    Recurrent {
        cell: Cell,
        units: usize,
        bidirectional: bool,
        return_sequences: bool,
    },
    /// Identity at inference; kept as strata's dropout so the folder says what Keras had.
    Dropout {
        rate: f32,
    },
    Dense {
        units: usize,
        activation: String,
        use_bias: bool,
    },
}

impl Role {
    pub fn variables(&self) -> Variables {
        match self {
            Role::Recurrent { bidirectional: true, .. } => Variables::BothCells,
            Role::Recurrent { .. } => Variables::Cell,
            _ => Variables::Own,
        }
    }
}

/// The chain, bottom up (input layers left out), and the steps its input has, if fixed.
#[derive(Clone, Debug, PartialEq)]
pub struct Architecture {
    pub layers: Vec<KerasLayer>,
    pub input_length: Option<usize>,
}

const FAMILY: &str = "strata imports Embedding → LSTM/GRU (stacked or Bidirectional) → Dense(1, sigmoid) or \
                      Dense(K, softmax), with optional Dropout and hidden Dense layers";

/// Reads the model config of the file `shown`.
pub fn read_architecture(model: &Value, shown: &str) -> Result<Architecture, DataError> {
    let refuse = |message: String| DataError::new(shown, None, message, FAMILY);
    let class = model.get("class_name").and_then(Value::as_str).unwrap_or("?");
    let config = model.get("config").ok_or_else(|| refuse("the model config has no \"config\"".into()))?;
    let functional = match class {
        "Sequential" => false,
        "Functional" | "Model" => true,
        other => return Err(refuse(format!("the model is a {other}, not a Sequential or functional model"))),
    };
    let entries = config
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| refuse("the model config lists no layers".into()))?;
    let inputs = entries.iter().filter(|l| class_of(l) == "InputLayer").count();
    if inputs > 1 {
        return Err(refuse(format!("the model has {inputs} inputs; strata's models read one text")));
    }
    let mut input_length = config.get("build_input_shape").and_then(steps_of);
    let mut used: Vec<(String, usize)> = Vec::new();
    let mut layers = Vec::new();
    let mut previous: Option<String> = None;
    let mut input_mask = false;
    for (i, entry) in entries.iter().enumerate() {
        let class = class_of(entry);
        let c = entry.get("config").cloned().unwrap_or(Value::Null);
        let name = c.get("name").and_then(Value::as_str).unwrap_or(class).to_string();
        let at = format!("layer {} ({class} '{name}')", i + 1);
        if functional && class == "NotEqual" && is_padding_mask(entry, entries) {
            input_mask = true;
            continue;
        }
        if functional {
            check_chain(entry, previous.as_deref(), &at).map_err(&refuse)?;
        }
        previous = Some(name.clone());
        let path = keras_path(&mut used, class);
        for key in ["batch_input_shape", "batch_shape"] {
            input_length = input_length.or_else(|| c.get(key).and_then(steps_of));
        }
        input_length = input_length.or_else(|| c.get("input_length").and_then(Value::as_u64).map(|n| n as usize));
        if layers.is_empty() {
            let build = entry.get("build_config").and_then(|b| b.get("input_shape"));
            input_length = input_length.or_else(|| build.and_then(steps_of));
        }
        let role = match class {
            "InputLayer" => continue,
            "Embedding" => embedding(&c),
            "LSTM" | "GRU" => recurrent(class, &c, false),
            "Bidirectional" => bidirectional(&c),
            "Dropout" | "SpatialDropout1D" => {
                Ok(Role::Dropout { rate: c.get("rate").and_then(Value::as_f64).unwrap_or(0.0) as f32 })
            }
            "Dense" => dense(&c),
            other => Err((format!("a {other} layer is not of the seed family"), FAMILY)),
        }
        .map_err(|(message, hint)| DataError::new(shown, None, format!("{at}: {message}"), hint))?;
        layers.push(KerasLayer { name, path, role });
    }
    check_order(&layers).map_err(refuse)?;
    if input_mask && !matches!(layers[0].role, Role::Embedding { mask_zero: true, .. }) {
        return Err(refuse("the model masks id 0 with a NotEqual layer but its Embedding has mask_zero=False".into()));
    }
    Ok(Architecture { layers, input_length })
}

fn class_of(entry: &Value) -> &str {
    entry.get("class_name").and_then(Value::as_str).unwrap_or("?")
}

/// `[null, T]` → `T`.
fn steps_of(shape: &Value) -> Option<usize> {
    shape.as_array().filter(|s| s.len() == 2).and_then(|s| s[1].as_u64()).map(|n| n as usize)
}

/// Keras's `.keras` name of the next layer of `class`: `naming.to_snake_case(class)`, then
/// `_1`, `_2`, … for the second and later of the same class (`saving_lib`'s container rule).
fn keras_path(used: &mut Vec<(String, usize)>, class: &str) -> String {
    let mut snake = String::new();
    let chars: Vec<char> = class.chars().filter(|c| c.is_alphanumeric() || *c == '_').collect();
    for (i, &ch) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        // "(.)([A-Z][a-z]+)" then "([a-z])([A-Z])" → an underscore before such a capital
        if ch.is_uppercase() && prev.is_some_and(|p| p.is_lowercase() || next_lower) {
            snake.push('_');
        }
        snake.extend(ch.to_lowercase());
    }
    match used.iter_mut().find(|(n, _)| *n == snake) {
        Some((_, count)) => {
            *count += 1;
            format!("{snake}_{count}")
        }
        None => {
            used.push((snake.clone(), 0));
            snake
        }
    }
}

/// A functional model's layer must read exactly the layer before it.
fn check_chain(entry: &Value, previous: Option<&str>, at: &str) -> Result<(), String> {
    let mut names = Vec::new();
    inbound_names(entry.get("inbound_nodes").unwrap_or(&Value::Null), &mut names);
    names.dedup();
    match (previous, names.as_slice()) {
        (None, []) => Ok(()),
        (Some(p), [one]) if one == p => Ok(()),
        (_, found) => Err(format!(
            "{at} reads {}; strata imports a single chain of layers, each reading the one before",
            if found.is_empty() { "nothing".to_string() } else { found.join(" and ") }
        )),
    }
}

/// Keras 3's functional form of `mask_zero=True`: a `NotEqual(input, 0)` op layer whose output
/// reaches the recurrent layers as their `mask` argument. It computes the mask strata derives
/// from the ids itself, so it is left out of the chain (and `mask` arguments are not inputs).
fn is_padding_mask(entry: &Value, entries: &[Value]) -> bool {
    let input = entries.first().filter(|e| class_of(e) == "InputLayer").and_then(|e| e.get("config")?.get("name"));
    let mut names = Vec::new();
    inbound_names(entry.get("inbound_nodes").unwrap_or(&Value::Null), &mut names);
    let against = entry.pointer("/inbound_nodes/0/args/1").and_then(Value::as_f64);
    input.and_then(Value::as_str).is_some_and(|i| names == [i]) && against == Some(0.0)
}

/// Layer names an `inbound_nodes` value refers to: tf-keras's `[[["name", 0, 0, {}]]]` and
/// Keras 3's `{"args": [{"config": {"keras_history": ["name", 0, 0]}}]}` alike.
fn inbound_names(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(items) => {
            if let (Some(Value::String(name)), Some(Value::Number(_))) = (items.first(), items.get(1)) {
                out.push(name.clone());
                return;
            }
            items.iter().for_each(|i| inbound_names(i, out));
        }
        Value::Object(m) => {
            if let Some(Value::Array(h)) = m.get("keras_history") {
                if let Some(Value::String(name)) = h.first() {
                    out.push(name.clone());
                }
                return;
            }
            m.iter().filter(|(k, _)| *k != "mask").for_each(|(_, i)| inbound_names(i, out));
        }
        _ => {}
    }
}

fn field<'a>(c: &'a Value, key: &str) -> Option<&'a Value> {
    c.get(key).filter(|v| !v.is_null())
}

/// Why a layer is not read: the message and its hint.
type Refusal = (String, &'static str);

fn positive(c: &Value, key: &str) -> Result<usize, Refusal> {
    let n = field(c, key).and_then(Value::as_u64).filter(|&n| n > 0);
    n.map(|n| n as usize)
        .ok_or_else(|| (format!("has no positive '{key}'"), "the model config is damaged; save it again"))
}

fn unsupported(what: String) -> Refusal {
    (what, FAMILY)
}

fn embedding(c: &Value) -> Result<Role, Refusal> {
    Ok(Role::Embedding {
        input_dim: positive(c, "input_dim")?,
        output_dim: positive(c, "output_dim")?,
        mask_zero: field(c, "mask_zero").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// An LSTM or GRU whose settings are the ones strata computes.
fn recurrent(class: &str, c: &Value, wrapped: bool) -> Result<Role, Refusal> {
    let cell = if class == "LSTM" { Cell::Lstm } else { Cell::Gru };
    let text = |key: &str, default: &str| field(c, key).and_then(Value::as_str).unwrap_or(default).to_string();
    let flag = |key: &str, default: bool| field(c, key).and_then(Value::as_bool).unwrap_or(default);
    let mut wrong = Vec::new();
    for (key, want) in [("activation", "tanh"), ("recurrent_activation", "sigmoid")] {
        let got = text(key, want);
        if got != want {
            wrong.push(format!("{key} '{got}' (strata computes '{want}')"));
        }
    }
    let mut expect = vec![("use_bias", true), ("stateful", false), ("return_state", false), ("time_major", false)];
    if !wrapped {
        expect.push(("go_backwards", false));
    }
    if cell == Cell::Gru {
        expect.push(("reset_after", true));
    }
    for (key, want) in expect {
        if flag(key, want) != want {
            wrong.push(format!("{key}={}", !want));
        }
    }
    if !wrong.is_empty() {
        return Err(unsupported(format!("it has {}", wrong.join(", "))));
    }
    Ok(Role::Recurrent {
        cell,
        units: positive(c, "units")?,
        bidirectional: false,
        return_sequences: flag("return_sequences", false),
    })
}

fn bidirectional(c: &Value) -> Result<Role, Refusal> {
    let merge = field(c, "merge_mode").and_then(Value::as_str).unwrap_or("concat");
    if merge != "concat" {
        return Err(unsupported(format!("it has merge_mode '{merge}' (strata concatenates)")));
    }
    let inner = field(c, "layer").ok_or_else(|| unsupported("it wraps no layer".into()))?;
    let inner_class = class_of(inner);
    if !matches!(inner_class, "LSTM" | "GRU") {
        return Err(unsupported(format!("it wraps a {inner_class}, not an LSTM or GRU")));
    }
    let inner_config = inner.get("config").cloned().unwrap_or(Value::Null);
    if let Some(back) = field(c, "backward_layer") {
        let same = |key: &str| back.get("config").and_then(|b| b.get(key)) == inner_config.get(key);
        if class_of(back) != inner_class || !same("units") {
            return Err(unsupported("its backward layer is unlike its forward one".into()));
        }
    }
    match recurrent(inner_class, &inner_config, true)? {
        Role::Recurrent { cell, units, return_sequences, .. } => {
            Ok(Role::Recurrent { cell, units, bidirectional: true, return_sequences })
        }
        _ => unreachable!("recurrent gives a recurrent role"),
    }
}

fn dense(c: &Value) -> Result<Role, Refusal> {
    let activation = match field(c, "activation") {
        None => "linear".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(unsupported(format!("it has a custom activation {other}"))),
    };
    Ok(Role::Dense {
        units: positive(c, "units")?,
        activation,
        use_bias: field(c, "use_bias").and_then(Value::as_bool).unwrap_or(true),
    })
}

/// The chain's order: the embedding first, recurrent layers that hand a sequence up until the
/// last, which gives its final state, then vectors to an output `Dense`.
fn check_order(layers: &[KerasLayer]) -> Result<(), String> {
    let first = layers.first().map(|l| &l.role);
    if !matches!(first, Some(Role::Embedding { .. })) {
        return Err("the model does not start with an Embedding".into());
    }
    let recurrent: Vec<usize> =
        layers.iter().enumerate().filter(|(_, l)| matches!(l.role, Role::Recurrent { .. })).map(|(i, _)| i).collect();
    let Some(&last_rnn) = recurrent.last() else {
        return Err("the model has no LSTM or GRU layer".into());
    };
    for (i, l) in layers.iter().enumerate().skip(1) {
        let here = format!("layer '{}'", l.name);
        match &l.role {
            Role::Embedding { .. } => return Err(format!("{here} is a second Embedding")),
            Role::Recurrent { return_sequences, .. } if *return_sequences != (i < last_rnn) => {
                return Err(if i < last_rnn {
                    format!("{here} gives only its last state (return_sequences=False) to the recurrent layer above")
                } else {
                    format!("{here}, the last recurrent layer, returns sequences, so the output is per step")
                });
            }
            Role::Dense { .. } if i < last_rnn => return Err(format!("{here} is a Dense between recurrent layers")),
            _ => {}
        }
    }
    match layers.last().map(|l| &l.role) {
        Some(Role::Dense { units, activation, .. }) => match (activation.as_str(), *units) {
            ("sigmoid", 1) => Ok(()),
            ("softmax", k) if k >= 2 => Ok(()),
            ("sigmoid", k) => Err(format!(
                "the output is Dense({k}, sigmoid), a multi-label model, which import-keras does not read yet"
            )),
            (a, k) => Err(format!("the output is Dense({k}, {a}), not Dense(1, sigmoid) or Dense(K, softmax)")),
        },
        _ => Err("the model does not end with a Dense output layer".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sequential(layers: Value) -> Value {
        json!({"class_name": "Sequential", "config": {"name": "s", "layers": layers}})
    }

    fn seed_layers() -> Vec<Value> {
        vec![
            json!({"class_name": "InputLayer", "config": {"batch_shape": [null, 7]}}),
            json!({"class_name": "Embedding", "config": {"name": "embedding", "input_dim": 30, "output_dim": 4}}),
            json!({"class_name": "LSTM", "config": {"name": "lstm", "units": 3, "return_sequences": true}}),
            json!({"class_name": "LSTM", "config": {"name": "lstm_1", "units": 3}}),
            json!({"class_name": "Dense", "config": {"name": "dense", "units": 1, "activation": "sigmoid"}}),
        ]
    }

    #[test]
    fn the_seed_family_is_read_with_keras_paths_and_steps() {
        let a = read_architecture(&sequential(Value::from(seed_layers())), "m.h5").unwrap();
        assert_eq!(a.input_length, Some(7));
        let paths: Vec<&str> = a.layers.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(paths, ["embedding", "lstm", "lstm_1", "dense"]);
        assert_eq!(a.layers[2].role.variables(), Variables::Cell);
    }

    #[test]
    fn snake_case_is_keras_naming() {
        let mut used = Vec::new();
        assert_eq!(keras_path(&mut used, "GlobalMaxPooling1D"), "global_max_pooling1d");
        assert_eq!(keras_path(&mut used, "SpatialDropout1D"), "spatial_dropout1d");
        assert_eq!(keras_path(&mut used, "InputLayer"), "input_layer");
        assert_eq!(keras_path(&mut used, "GRU"), "gru");
        assert_eq!(keras_path(&mut used, "GRU"), "gru_1");
    }

    #[test]
    fn another_architecture_is_named_in_one_line() {
        let mut layers = seed_layers();
        layers[2] = json!({"class_name": "Conv1D", "config": {"name": "conv1d", "filters": 3}});
        let e = read_architecture(&sequential(Value::from(layers)), "m.keras").unwrap_err().to_string();
        assert!(e.starts_with("m.keras: layer 3 (Conv1D 'conv1d'): a Conv1D layer is not of the seed family"), "{e}");
        let mut layers = seed_layers();
        layers[3] =
            json!({"class_name": "LSTM", "config": {"name": "l", "units": 3, "recurrent_activation": "hard_sigmoid"}});
        let e = read_architecture(&sequential(Value::from(layers)), "m.h5").unwrap_err().to_string();
        assert!(e.contains("recurrent_activation 'hard_sigmoid'"), "{e}");
        let mut layers = seed_layers();
        layers[2]["config"]["return_sequences"] = json!(false);
        let e = read_architecture(&sequential(Value::from(layers)), "m.h5").unwrap_err().to_string();
        assert!(e.contains("return_sequences=False"), "{e}");
    }

    #[test]
    fn a_functional_model_with_two_inputs_or_a_branch_is_refused() {
        let two = json!({"class_name": "Functional", "config": {"layers": [
            {"class_name": "InputLayer", "config": {"name": "a"}, "inbound_nodes": []},
            {"class_name": "InputLayer", "config": {"name": "b"}, "inbound_nodes": []},
        ]}});
        let e = read_architecture(&two, "m.h5").unwrap_err().to_string();
        assert!(e.contains("2 inputs"), "{e}");
        let mut layers = seed_layers();
        layers[0]["config"]["name"] = json!("in");
        let mut chain: Vec<Value> = Vec::new();
        let mut prev: Option<String> = None;
        for mut l in layers {
            let name = l["config"]["name"].as_str().unwrap().to_string();
            l["inbound_nodes"] = match &prev {
                None => json!([]),
                Some(p) => json!([{"args": [{"config": {"keras_history": [p, 0, 0]}}]}]),
            };
            prev = Some(name);
            chain.push(l);
        }
        let ok = json!({"class_name": "Functional", "config": {"layers": chain.clone()}});
        assert_eq!(read_architecture(&ok, "m.keras").unwrap().layers.len(), 4);
        chain[4]["inbound_nodes"] = json!([[["lstm", 0, 0, {}], ["embedding", 0, 0, {}]]]);
        let branch = json!({"class_name": "Functional", "config": {"layers": chain}});
        let e = read_architecture(&branch, "m.keras").unwrap_err().to_string();
        assert!(e.contains("reads lstm and embedding"), "{e}");
    }
}
