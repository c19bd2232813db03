//! One error for every [`crate::Control`], keeping what kind of failure it was.

use std::fmt;

/// What kind of failure a [`ControlError`] is, whichever implementation answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No such workflow, definition or task (HTTP 404).
    NotFound,
    /// Not allowed in the workflow's or task's current state (HTTP 409).
    Conflict,
    /// The actor lacks the authority (HTTP 403).
    Forbidden,
    /// The request itself is wrong: input, definition, URL (HTTP 400).
    InvalidInput,
    /// The engine or store is busy or stopped; trying again may work (HTTP 503, 429).
    Unavailable,
    /// The server could not be reached, or the connection broke.
    Transport,
    /// Anything else: a store failure, an answer this client cannot read (HTTP 500).
    Internal,
}

/// Why a [`crate::Control`] call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ControlError {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
}

impl ControlError {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ControlError {
            kind,
            message: message.into(),
            status: None,
        }
    }

    /// An error a server answered with HTTP `status`; the kind follows the status.
    pub fn from_status(status: u16, message: impl Into<String>) -> Self {
        let kind = match status {
            404 | 410 => ErrorKind::NotFound,
            409 | 412 => ErrorKind::Conflict,
            401 | 403 => ErrorKind::Forbidden,
            400 | 405 | 413 | 415 | 422 => ErrorKind::InvalidInput,
            429 | 502..=504 => ErrorKind::Unavailable,
            _ => ErrorKind::Internal,
        };
        ControlError {
            kind,
            message: message.into(),
            status: Some(status),
        }
    }

    /// [`ErrorKind::NotFound`].
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// What kind of failure it is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What is wrong, in words.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status, when a server answered with one.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Whether the same call may succeed if made again.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Unavailable | ErrorKind::Transport)
    }
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "the server answered {status}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl From<&baton_core::Refusal> for ControlError {
    fn from(r: &baton_core::Refusal) -> Self {
        use baton_core::RefusalKind as K;
        let kind = match r.kind {
            K::Forbidden => ErrorKind::Forbidden,
            K::UnknownTask => ErrorKind::NotFound,
            K::InvalidInput => ErrorKind::InvalidInput,
            K::WrongStatus | K::EngineOwned | K::Duplicate | K::Stale => ErrorKind::Conflict,
        };
        Self::new(kind, r.message.clone())
    }
}

#[cfg(feature = "engine")]
impl From<baton_store::StoreError> for ControlError {
    fn from(e: baton_store::StoreError) -> Self {
        use baton_store::StoreError as S;
        let kind = match &e {
            S::NotFound(_) => ErrorKind::NotFound,
            S::AlreadyExists(_) => ErrorKind::Conflict,
            S::Locked(_) => ErrorKind::Unavailable,
            _ if e.is_retryable() => ErrorKind::Unavailable,
            _ => ErrorKind::Internal,
        };
        Self::new(kind, format!("storage failed: {e}"))
    }
}

#[cfg(feature = "engine")]
impl From<baton_runtime::EngineError> for ControlError {
    fn from(e: baton_runtime::EngineError) -> Self {
        use baton_runtime::EngineError as E;
        match e {
            E::Store(s) => s.into(),
            E::Rejected(r) => (&r).into(),
            E::UnknownDefinition { .. } | E::UnknownWorkflow(_) => {
                Self::new(ErrorKind::NotFound, e.to_string())
            }
            E::InvalidDefinition(_) => Self::new(ErrorKind::InvalidInput, e.to_string()),
            E::Stopped => Self::new(ErrorKind::Unavailable, e.to_string()),
            E::Internal(_) => Self::new(ErrorKind::Internal, e.to_string()),
            E::AlreadyStarted { .. } => Self::new(ErrorKind::Conflict, e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_refusals_keep_their_kind() {
        assert_eq!(
            ControlError::from_status(404, "x").kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            ControlError::from_status(409, "x").kind(),
            ErrorKind::Conflict
        );
        assert_eq!(
            ControlError::from_status(403, "x").kind(),
            ErrorKind::Forbidden
        );
        assert_eq!(
            ControlError::from_status(400, "x").kind(),
            ErrorKind::InvalidInput
        );
        assert!(ControlError::from_status(503, "x").is_retryable());
        assert_eq!(
            ControlError::from_status(500, "x").kind(),
            ErrorKind::Internal
        );
        let e = ControlError::from_status(409, "not running");
        assert_eq!(e.to_string(), "the server answered 409: not running");
        let r = baton_core::Refusal::forbidden("role");
        let e = ControlError::from(&r);
        assert_eq!(
            (e.kind(), e.to_string().as_str()),
            (ErrorKind::Forbidden, "role")
        );
        assert_eq!(e.status(), None);
    }

    #[cfg(feature = "engine")]
    #[test]
    fn engine_errors_keep_their_kind() {
        use baton_runtime::EngineError as E;
        let k = |e: E| ControlError::from(e).kind();
        assert_eq!(k(E::UnknownWorkflow("w".into())), ErrorKind::NotFound);
        assert_eq!(k(E::Stopped), ErrorKind::Unavailable);
        assert_eq!(k(E::InvalidDefinition("d".into())), ErrorKind::InvalidInput);
        assert_eq!(
            k(E::Rejected(baton_core::Refusal::wrong_status("no"))),
            ErrorKind::Conflict
        );
        assert_eq!(
            k(E::Store(baton_store::StoreError::Unavailable(
                "busy".into()
            ))),
            ErrorKind::Unavailable
        );
    }
}
