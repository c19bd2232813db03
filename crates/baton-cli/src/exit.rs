//! The process exit codes of every `baton` command.

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Code {
    /// Everything is fine (exit 0).
    Ok,
    /// A definition is invalid (exit 1).
    Invalid,
    /// The command line was wrong or a file could not be read or written (exit 2).
    Usage,
}

impl From<Code> for ExitCode {
    fn from(code: Code) -> ExitCode {
        match code {
            Code::Ok => ExitCode::SUCCESS,
            Code::Invalid => ExitCode::from(1),
            Code::Usage => ExitCode::from(2),
        }
    }
}
