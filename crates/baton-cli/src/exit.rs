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
    /// The workflow ended FAILED, TIMED_OUT or TERMINATED (exit 1).
    Failed,
    /// Interrupted (Ctrl-C); the run is saved and can be resumed (exit 130).
    Interrupted,
}

impl From<Code> for ExitCode {
    fn from(code: Code) -> ExitCode {
        match code {
            Code::Ok => ExitCode::SUCCESS,
            Code::Invalid => ExitCode::from(1),
            Code::Usage => ExitCode::from(2),
            Code::Failed => ExitCode::from(1),
            Code::Interrupted => ExitCode::from(130),
        }
    }
}

/// Writes a line to stdout; when stdout is closed (`baton logs ID | head`), exits quietly
/// with 0 instead of panicking like `println!` would.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

/// Writes a line to stderr; when stderr is closed (`baton run … 2>&1 | head -1`), the
/// line is dropped: nobody is left to read it, and `eprintln!` would panic instead.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}
