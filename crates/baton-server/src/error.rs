//! Errors: the JSON error body every endpoint answers with (Conductor's `ErrorResponse`
//! shape), and the error of [`crate::serve`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use baton_core::{Refusal, RefusalKind};
use baton_model::Diagnostic;
use baton_runtime::EngineError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listener failed (accepting connections, reading its address).
    #[error("the HTTP server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// One problem with a request body (Conductor's `ValidationError`, with the position in
/// the body when known).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidationError {
    /// Path of the offending field, e.g. `tasks[2].decisionCases`.
    pub path: String,
    /// What is wrong and, when known, what to write instead.
    pub message: String,
    /// 1-based line in the request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column in the request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// Baton's diagnostic code (e.g. `BT0104`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl ValidationError {
    /// A problem at a path, position unknown.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError {
            path: path.into(),
            message: message.into(),
            line: None,
            column: None,
            code: None,
        }
    }

    /// From a model diagnostic; `prefix` is prepended to its field path (list items).
    pub fn from_diagnostic(d: &Diagnostic, prefix: &str) -> Self {
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("; ");
            message.push_str(help);
        }
        let path = match (prefix.is_empty(), d.field.is_empty()) {
            (true, _) => d.field.clone(),
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}.{}", d.field),
        };
        let known = d.pos.is_known();
        ValidationError {
            path,
            message,
            line: known.then_some(d.pos.line),
            column: known.then_some(d.pos.col),
            code: Some(d.code.to_string()),
        }
    }
}

/// The JSON body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The HTTP status code, repeated.
    pub status: u16,
    /// A short machine-readable kind (`BAD_REQUEST`, `NOT_FOUND`, `CONFLICT`, ...).
    pub code: String,
    /// What is wrong, in one or two sentences.
    pub message: String,
    /// Whether the same request may succeed later.
    pub retryable: bool,
    /// Field-level problems of the request body.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation_errors: Vec<ValidationError>,
}

/// An error answered to an HTTP request.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// Status code.
    pub status: StatusCode,
    /// What is wrong.
    pub message: String,
    /// Field-level problems.
    pub validation_errors: Vec<ValidationError>,
}

impl ApiError {
    /// An error with a status and a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            validation_errors: Vec::new(),
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    /// 400 with field-level problems.
    pub fn invalid(message: impl Into<String>, errors: Vec<ValidationError>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            validation_errors: errors,
        }
    }

    /// 400 for a body that is not valid JSON (with the position serde reports).
    pub fn bad_json(what: &str, e: &serde_json::Error) -> Self {
        let line = u32::try_from(e.line()).ok().filter(|l| *l > 0);
        let column = u32::try_from(e.column()).ok().filter(|_| line.is_some());
        let detail = ValidationError {
            path: String::new(),
            message: e.to_string(),
            line,
            column,
            code: None,
        };
        Self::invalid(
            format!("the request body is not a valid {what}: {e}"),
            vec![detail],
        )
    }

    /// The answer to a refusal of the decider, by its kind: Forbidden 403, UnknownTask
    /// 404, InvalidInput 400, the rest (wrong status, engine-owned task) 409.
    pub fn refused(r: &Refusal) -> Self {
        ApiError::new(refusal_status(r.kind), r.message.clone())
    }

    /// The JSON body of this error.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            status: self.status.as_u16(),
            code: code_of(self.status),
            message: self.message.clone(),
            retryable: self.status.is_server_error()
                || self.status == StatusCode::TOO_MANY_REQUESTS,
            validation_errors: self.validation_errors.clone(),
        }
    }
}

/// The HTTP status of a refusal kind.
pub(crate) fn refusal_status(kind: RefusalKind) -> StatusCode {
    match kind {
        RefusalKind::Forbidden => StatusCode::FORBIDDEN,
        RefusalKind::UnknownTask => StatusCode::NOT_FOUND,
        RefusalKind::InvalidInput => StatusCode::BAD_REQUEST,
        RefusalKind::WrongStatus
        | RefusalKind::EngineOwned
        | RefusalKind::Duplicate
        | RefusalKind::Stale => StatusCode::CONFLICT,
    }
}

/// Conductor-style kind name of a status code.
pub(crate) fn code_of(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("ERROR")
        .to_ascii_uppercase()
        .replace([' ', '-'], "_")
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let status = match &e {
            EngineError::Store(s) if s.is_retryable() => StatusCode::SERVICE_UNAVAILABLE,
            EngineError::Store(baton_store::StoreError::Locked(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            EngineError::Store(_) | EngineError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            EngineError::UnknownDefinition { .. } | EngineError::UnknownWorkflow(_) => {
                StatusCode::NOT_FOUND
            }
            EngineError::InvalidDefinition(_) => StatusCode::BAD_REQUEST,
            EngineError::Rejected(r) => refusal_status(r.kind),
            EngineError::Stopped => StatusCode::SERVICE_UNAVAILABLE,
            EngineError::AlreadyStarted { .. } => StatusCode::CONFLICT,
        };
        ApiError::new(status, e.to_string())
    }
}

impl From<baton_store::StoreError> for ApiError {
    fn from(e: baton_store::StoreError) -> Self {
        EngineError::Store(e).into()
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_map_to_statuses() {
        let e: ApiError = EngineError::UnknownWorkflow("w".into()).into();
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        let e: ApiError = EngineError::Rejected(Refusal::wrong_status("no")).into();
        assert_eq!(e.status, StatusCode::CONFLICT);
        assert_eq!(e.body().code, "CONFLICT");
        assert_eq!(e.message, "no");
        let e: ApiError = EngineError::Rejected(Refusal::forbidden("role")).into();
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        assert_eq!(e.body().code, "FORBIDDEN");
        let e: ApiError = EngineError::Stopped.into();
        assert!(e.body().retryable);
        let busy = baton_store::StoreError::Unavailable("busy".into());
        let e: ApiError = EngineError::Store(busy).into();
        assert_eq!(
            e.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "a store that may come back"
        );
        assert!(e.body().retryable);
        let corrupt = baton_store::StoreError::Corrupt {
            what: "x".into(),
            message: "y".into(),
        };
        let e: ApiError = EngineError::Store(corrupt).into();
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn bad_json_reports_the_position() {
        let err = serde_json::from_str::<serde_json::Value>("{\n  \"a\": }").err();
        let Some(err) = err else {
            panic!("expected a parse error")
        };
        let e = ApiError::bad_json("TaskResult", &err);
        assert_eq!(e.validation_errors[0].line, Some(2));
        assert!(e.message.contains("TaskResult"));
    }
}
