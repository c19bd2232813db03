//! Request extractors whose rejections are JSON errors (axum's own answer in plain text).

use crate::error::{ApiError, ApiResult};
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// Query parameters; a malformed query is a 400 with a JSON body.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| {
                ApiError::bad_request(format!("invalid query parameters: {}", e.body_text()))
            })
    }
}

/// Path parameters; a malformed one is a 400 with a JSON body.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|e| {
                ApiError::bad_request(format!("invalid path parameters: {}", e.body_text()))
            })
    }
}

/// Every value of a repeated query parameter (`?taskType=a&taskType=b`), also accepting
/// comma-separated lists.
pub fn query_values(raw: Option<&str>, key: &str) -> Vec<String> {
    let Some(raw) = raw else { return Vec::new() };
    form_urlencoded::parse(raw.as_bytes())
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|v| !v.is_empty())
        .collect()
}

/// Parses a JSON request body; an empty body is `default`.
pub fn json_body<T: DeserializeOwned>(
    bytes: &[u8],
    what: &str,
    default: Option<T>,
) -> ApiResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace)
        && let Some(d) = default
    {
        return Ok(d);
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_json(what, &e))
}

/// Parses an optional boolean query flag (`true`/`false`, case-insensitive).
pub fn flag(value: Option<&str>, name: &str, default: bool) -> ApiResult<bool> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(ApiError::bad_request(format!(
            "query parameter `{name}` must be true or false, not `{other}`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_comma_separated_values() {
        let v = query_values(Some("taskType=a&x=1&taskType=b,c"), "taskType");
        assert_eq!(v, vec!["a", "b", "c"]);
        assert!(query_values(None, "taskType").is_empty());
    }

    #[test]
    fn flags() {
        assert_eq!(flag(Some("TRUE"), "x", false).ok(), Some(true));
        assert_eq!(flag(None, "x", true).ok(), Some(true));
        assert!(flag(Some("yes"), "x", true).is_err());
    }

    #[test]
    fn empty_body_takes_the_default() {
        let v: serde_json::Value =
            json_body(b"  ", "input", Some(serde_json::json!({}))).unwrap_or_default();
        assert_eq!(v, serde_json::json!({}));
        assert!(json_body::<serde_json::Value>(b"{", "input", None).is_err());
    }
}
