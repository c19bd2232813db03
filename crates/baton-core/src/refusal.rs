//! Why the decider did not apply an event: a kind callers can act on, and the text a
//! person reads.

use std::fmt;

/// What kind of refusal (callers map it, e.g. to an HTTP status, without a second read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalKind {
    /// The event names a task the workflow does not have.
    UnknownTask,
    /// The task or workflow is not in a state that allows the event now.
    WrongStatus,
    /// The task is one the engine resolves itself (SWITCH, JOIN, …): nobody may report on it.
    EngineOwned,
    /// The sender's principal lacks the authority for the event.
    Forbidden,
    /// The event's content is not acceptable (input, status, task type).
    InvalidInput,
    /// (Ignored) the same thing already happened: a second result for an attempt that
    /// has one, a second start.
    Duplicate,
    /// (Ignored) the event was overtaken: its task or workflow moved on, its timer is not due.
    Stale,
}

/// Why an event was ignored or rejected. Displays as its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The kind.
    pub kind: RefusalKind,
    /// What a person reads.
    pub message: String,
}

impl Refusal {
    /// A refusal of this kind.
    pub fn new(kind: RefusalKind, message: impl Into<String>) -> Self {
        Refusal {
            kind,
            message: message.into(),
        }
    }

    /// [`RefusalKind::UnknownTask`].
    pub fn unknown_task(message: impl Into<String>) -> Self {
        Self::new(RefusalKind::UnknownTask, message)
    }

    /// [`RefusalKind::WrongStatus`].
    pub fn wrong_status(message: impl Into<String>) -> Self {
        Self::new(RefusalKind::WrongStatus, message)
    }

    /// [`RefusalKind::EngineOwned`].
    pub fn engine_owned(message: impl Into<String>) -> Self {
        Self::new(RefusalKind::EngineOwned, message)
    }

    /// [`RefusalKind::Forbidden`].
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(RefusalKind::Forbidden, message)
    }

    /// [`RefusalKind::InvalidInput`].
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(RefusalKind::InvalidInput, message)
    }

    /// [`RefusalKind::Duplicate`].
    pub fn duplicate(message: impl Into<String>) -> Self {
        Self::new(RefusalKind::Duplicate, message)
    }

    /// [`RefusalKind::Stale`].
    pub fn stale(message: impl Into<String>) -> Self {
        Self::new(RefusalKind::Stale, message)
    }

    /// Whether the message contains `needle` (for tests and log filters).
    pub fn contains(&self, needle: &str) -> bool {
        self.message.contains(needle)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}
