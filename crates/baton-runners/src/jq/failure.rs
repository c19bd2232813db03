//! Why an evaluation gave no answer from jq itself: the limits and the sandbox's own
//! troubles. Each message is the task's failure reason, so it says what happened in
//! words a person can act on.

use std::time::Duration;

use crate::config::format_duration;

/// An evaluation that ended without a [`super::JqError`] or outputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Failure {
    /// The deadline passed; the evaluation was stopped.
    #[error("jq program did not finish within {}", format_duration(*.0))]
    Timeout(Duration),
    /// The task was canceled; the evaluation was stopped.
    #[error("canceled")]
    Canceled,
    /// The worker ran out of its memory allowance (this many bytes).
    #[error("jq program exceeded its memory limit of {}", format_bytes(*.0))]
    Memory(u64),
    /// The worker's evaluation thread overflowed its stack.
    #[error("jq program recursed too deeply (stack overflow)")]
    Stack,
    /// The answer was longer than this many bytes of JSON.
    #[error("jq program's output is too large (more than {} of JSON)", format_bytes(*.0))]
    OutputTooLarge(u64),
    /// jaq panicked (a bug in jaq, not in the program).
    #[error("jq program crashed: {0}")]
    Panicked(String),
    /// The worker process could not be started.
    #[error("cannot start the jq sandbox `{program}`: {error}")]
    Spawn {
        /// The worker executable.
        program: String,
        /// Why.
        error: String,
    },
    /// The evaluation thread could not be started (in-thread mode).
    #[error("cannot start a jq thread: {0}")]
    Thread(String),
    /// The worker died for another reason (its exit status and the end of its stderr).
    #[error("the jq sandbox stopped unexpectedly ({status}){stderr}")]
    Crashed {
        /// How the worker ended.
        status: String,
        /// `: <tail of stderr>`, or empty.
        stderr: String,
    },
    /// The worker answered something that is not a response.
    #[error("the jq sandbox answered something unreadable: {0}")]
    Protocol(String),
}

/// A byte count as people write it: `256 MiB`, `16 MiB`, `1536 KiB`, `100 bytes`.
pub(crate) fn format_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    if n >= GIB && n.is_multiple_of(GIB) {
        format!("{} GiB", n / GIB)
    } else if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_well() {
        assert_eq!(
            Failure::Memory(256 * 1024 * 1024).to_string(),
            "jq program exceeded its memory limit of 256 MiB"
        );
        assert_eq!(
            Failure::Timeout(Duration::from_secs(5)).to_string(),
            "jq program did not finish within 5s"
        );
        assert_eq!(format_bytes(1536 * 1024), "1536 KiB");
        assert_eq!(format_bytes(2 * 1024 * 1024 * 1024), "2 GiB");
        assert_eq!(format_bytes(100), "100 bytes");
    }
}
