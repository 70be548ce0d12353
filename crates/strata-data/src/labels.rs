//! Label strings ↔ class indices.
//!
//! Classes are the distinct labels sorted — numerically when every label is an integer (so
//! `2 < 10`), else as strings — which gives the same order on every run and every machine.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelMap {
    labels: Vec<String>,
}

impl LabelMap {
    pub fn from_labels<'a>(labels: impl IntoIterator<Item = &'a str>) -> Self {
        let mut v: Vec<String> = labels.into_iter().map(str::to_string).collect();
        v.sort();
        v.dedup();
        if v.iter().all(|l| l.parse::<i64>().is_ok()) {
            v.sort_by_key(|l| l.parse::<i64>().unwrap());
        }
        LabelMap { labels: v }
    }

    pub fn from_vec(labels: Vec<String>) -> Self {
        LabelMap { labels }
    }

    pub fn index(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }

    pub fn label(&self, index: usize) -> &str {
        &self.labels[index]
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// `{"0": "neg", "1": "pos"}`, the Hugging Face `id2label` shape.
    pub fn id2label(&self) -> Value {
        Value::Object(self.labels.iter().enumerate().map(|(i, l)| (i.to_string(), Value::from(l.clone()))).collect())
    }

    /// `{"neg": 0, "pos": 1}`, the Hugging Face `label2id` shape.
    pub fn label2id(&self) -> Value {
        Value::Object(self.labels.iter().enumerate().map(|(i, l)| (l.clone(), Value::from(i))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_labels_sort_numerically() {
        let m = LabelMap::from_labels(["10", "2", "0", "2"]);
        assert_eq!(m.labels(), ["0", "2", "10"]);
        let m = LabelMap::from_labels(["pos", "neg"]);
        assert_eq!(m.index("neg"), Some(0));
    }
}
