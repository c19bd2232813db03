//! RFC 9535 JSONPath queries (tier 2), backed by `serde_json_path`.

use serde_json::Value;
use serde_json_path::JsonPath;

/// A JSONPath query string that is not valid RFC 9535 syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSONPath `{path}`: {message}")]
pub struct JsonPathError {
    /// The query text that failed to parse.
    pub path: String,
    /// The parser's description of the problem (including its position).
    pub message: String,
}

/// Parses `path` as an RFC 9535 JSONPath query (it must start with `$`).
pub(crate) fn parse(path: &str) -> Result<JsonPath, JsonPathError> {
    JsonPath::parse(path).map_err(|e| JsonPathError {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Runs the RFC 9535 JSONPath query `path` (e.g. `$.items[?@.x > 1].id`) against `doc` and
/// returns clones of the matched nodes in document order (empty when nothing matches).
///
/// # Errors
/// [`JsonPathError`] when `path` is not a valid RFC 9535 query.
pub fn query(path: &str, doc: &Value) -> Result<Vec<Value>, JsonPathError> {
    let compiled = parse(path)?;
    Ok(compiled.query(doc).into_iter().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcard_and_filter_queries_return_matches_in_order() {
        let doc = json!({"items": [{"id": 1, "x": 0}, {"id": 2, "x": 5}, {"id": 3, "x": 9}]});
        assert_eq!(
            query("$.items[*].id", &doc),
            Ok(vec![json!(1), json!(2), json!(3)])
        );
        assert_eq!(
            query("$.items[?@.x > 1].id", &doc),
            Ok(vec![json!(2), json!(3)])
        );
        assert_eq!(
            query("$.items[?(@.x > 1)].id", &doc),
            Ok(vec![json!(2), json!(3)])
        );
        assert_eq!(query("$.nope", &doc), Ok(vec![]));
    }

    #[test]
    fn invalid_query_is_an_error() {
        let err = query("$.items[", &json!({})).unwrap_err();
        assert_eq!(err.path, "$.items[");
        assert!(!err.message.is_empty());
        assert!(query("items", &json!({})).is_err());
    }
}
