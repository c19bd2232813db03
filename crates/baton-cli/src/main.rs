//! `baton`: the command-line tool of the Baton workflow engine.
//!
//! `main` only parses the command line and dispatches; each command lives in its own
//! module under [`cmd`].
//!
//! Exit codes (see [`exit`]): 0 success, 1 an invalid definition (or, later, a failed
//! workflow), 2 a usage or I/O error.

mod cmd;
mod exit;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Durable workflow orchestration: Conductor JSON, native YAML and stage YAML definitions.
#[derive(Debug, Parser)]
#[command(name = "baton", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check workflow definitions and report every problem with file:line:col, field and fix.
    Validate(cmd::validate::ValidateArgs),
    /// Work with workflow definitions.
    Def {
        #[command(subcommand)]
        command: DefCommand,
    },
}

#[derive(Debug, Subcommand)]
enum DefCommand {
    /// Print a definition (any format) as Conductor JSON.
    Export(cmd::def_export::ExportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => cmd::validate::run(&args),
        Command::Def {
            command: DefCommand::Export(args),
        } => cmd::def_export::run(&args),
    };
    match result {
        Ok(code) => code.into(),
        Err(error) => {
            eprintln!("error: {error:#}");
            exit::Code::Usage.into()
        }
    }
}
