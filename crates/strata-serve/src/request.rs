//! What a request body must be: `{"inputs": "text" | ["t1", ...], "top_k": k}`, and why one
//! is refused (its Display is the 400's `error`).

use serde_json::Value;

/// Why a request is refused; its Display is the 400's `error`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadRequest {
    /// The body is not JSON; the parser's reason.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("the body must be a JSON object with \"inputs\"")]
    NotAnObject,
    #[error("missing field \"inputs\"")]
    MissingInputs,
    #[error("\"inputs\" must be a string or a list of strings")]
    BadInputs,
    #[error("\"top_k\" must be a positive integer")]
    BadTopK,
    /// `/v1/explain` given a list.
    #[error("\"inputs\" must be one string for /v1/explain")]
    NotOneString,
    /// `/v1/explain` given a text without a word the model knows.
    #[error("no word of the text is in the model's vocabulary")]
    NoKnownWord,
}

/// Parses `{"inputs": "text" | [...], "top_k": k}` into (texts, whether `inputs` was one
/// string, top_k); `Err` is the reason for a 400.
pub fn parse(body: &[u8]) -> Result<(Vec<String>, bool, usize), BadRequest> {
    parse_value(serde_json::from_slice(body).map_err(|e| BadRequest::MalformedJson(e.to_string()))?)
}

/// [`parse`] for a body already read as JSON.
pub fn parse_value(v: Value) -> Result<(Vec<String>, bool, usize), BadRequest> {
    let obj = v.as_object().ok_or(BadRequest::NotAnObject)?;
    let (texts, single) = match obj.get("inputs") {
        Some(Value::String(s)) => (vec![s.clone()], true),
        Some(Value::Array(a)) => {
            let texts: Option<Vec<String>> = a.iter().map(|x| x.as_str().map(str::to_string)).collect();
            (texts.ok_or(BadRequest::BadInputs)?, false)
        }
        Some(_) => return Err(BadRequest::BadInputs),
        None => return Err(BadRequest::MissingInputs),
    };
    let top_k = match obj.get("top_k") {
        None | Some(Value::Null) => 1,
        Some(k) => match k.as_u64() {
            Some(k) if k >= 1 => k as usize,
            _ => return Err(BadRequest::BadTopK),
        },
    };
    Ok((texts, single, top_k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_says_what_is_wrong_with_a_body() {
        assert_eq!(parse(br#"{"inputs": ["a", "b"], "top_k": 2}"#), Ok((vec!["a".into(), "b".into()], false, 2)));
        assert!(matches!(parse(b"{not json"), Err(BadRequest::MalformedJson(_))));
        assert_eq!(parse(b"[1]"), Err(BadRequest::NotAnObject));
        assert_eq!(parse(br#"{"text": "x"}"#), Err(BadRequest::MissingInputs));
        assert_eq!(parse(br#"{"inputs": ["x", 3]}"#), Err(BadRequest::BadInputs));
        assert_eq!(parse(br#"{"inputs": "x", "top_k": 0}"#), Err(BadRequest::BadTopK));
        assert_eq!(BadRequest::BadTopK.to_string(), "\"top_k\" must be a positive integer");
    }
}
