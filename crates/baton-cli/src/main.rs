//! `baton`: the command-line tool of the Baton workflow engine.
//!
//! `main` only parses the command line and dispatches; each command lives in its own
//! module under [`cmd`].
//!
//! Exit codes (see [`exit`]): 0 success, 1 an invalid definition (or, later, a failed
//! workflow), 2 a usage or I/O error.
// `println!`/`eprintln!` panic when the other end of a pipe is gone (`baton … | head`);
// every line goes through `outln!`/`errln!`, which do not.
#![deny(clippy::print_stdout, clippy::print_stderr)]

/// mimalloc: the engine allocates many small, short-lived values per step.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Run a workflow here, on the embedded SQLite store, with live progress.
    Run(cmd::run::RunArgs),
    /// Continue a run (after Ctrl-C, a crash or a pause) until it ends.
    Resume(cmd::resume::ResumeArgs),
    /// Serve the HTTP API (Conductor-compatible + native) over the local database.
    Server(cmd::server::ServerArgs),
    /// Start a registered workflow (on a server, or recorded in the local database).
    Start(cmd::ops::StartArgs),
    /// List workflows, newest first.
    List(cmd::ops::ListArgs),
    /// Pause a workflow: results are recorded, nothing new is scheduled.
    #[command(
        after_help = "Examples:\n  baton pause ID --db baton.db        (a run of `baton run` in another shell, or the local database)\n  baton pause ID --server http://127.0.0.1:8080\n  baton resume ID ...                 continues it"
    )]
    Pause(cmd::ops::WorkflowArgs),
    /// End a workflow now.
    #[command(
        after_help = "Examples:\n  baton terminate ID --db baton.db --reason \"wrong input\"\n  baton terminate ID --server http://127.0.0.1:8080"
    )]
    Terminate(cmd::ops::TerminateArgs),
    /// Run an ended workflow again from the start, with the same id and input.
    #[command(
        after_help = "Examples:\n  baton restart ID --db baton.db && baton resume ID --db baton.db\n  baton restart ID --server http://127.0.0.1:8080"
    )]
    Restart(cmd::ops::WorkflowArgs),
    /// Retry the failed task of a failed workflow.
    #[command(
        after_help = "Examples:\n  baton retry ID --db baton.db && baton resume ID --db baton.db\n  baton retry ID --server http://127.0.0.1:8080"
    )]
    Retry(cmd::ops::WorkflowArgs),
    /// Run an ended workflow again, from the start or from a task (`--from-task`).
    #[command(
        after_help = "Examples:\n  baton rerun ID --from-task process.ai_model.inference --db baton.db\n  baton rerun ID --server http://127.0.0.1:8080"
    )]
    Rerun(cmd::ops::RerunArgs),
    /// List what waits for a decision: HUMAN tasks and supervised runs' gates.
    Approvals(cmd::people::ApprovalsArgs),
    /// Approve a HUMAN task (it completes) or a gate (the task is scheduled).
    Approve(cmd::people::ApproveArgs),
    /// Reject a HUMAN task or a gate (the task fails, or is skipped with on_reject: skip).
    Reject(cmd::people::RejectArgs),
    /// Cancel a task that waits for a person (HUMAN, or paused at a gate or breakpoint).
    Cancel(cmd::people::CancelArgs),
    /// Show a workflow's next task with its resolved input, the outputs so far and the
    /// variables; change the paused task's input with --set-input.
    Inspect(cmd::people::InspectArgs),
    /// Debug run: run exactly one paused task, then pause again.
    Step(cmd::people::StepArgs),
    /// Debug run: run on to the next breakpoint.
    Continue(cmd::people::ContinueArgs),
    /// The live dashboard: runs with progress, what each waits on, details; keys to
    /// pause, resume, terminate, approve and reject. Without a terminal: one snapshot.
    Top(cmd::top::TopArgs),
    /// Show a run as a workset: goal, owner, progress, tasks, failures, approvals.
    Workset(cmd::workset::WorksetArgs),
    /// Show where a workflow stands: status, tasks, output.
    Status(cmd::status::StatusArgs),
    /// Print a workflow's full history: who did what, when.
    Logs(cmd::logs::LogsArgs),
    /// API keys for `baton server`: create (printed once), list, revoke.
    Token {
        #[command(subcommand)]
        command: cmd::token::TokenCommand,
    },
    /// Folder agents: turn any command into an agent that answers task files in
    /// DIR/1N with result files in DIR/0UT.
    Agent {
        #[command(subcommand)]
        command: cmd::agent::AgentCommand,
    },
    /// The template library: list the templates, or copy one into a new folder.
    Template {
        #[command(subcommand)]
        command: cmd::template::TemplateCommand,
    },
    /// Work with workflow definitions.
    Def {
        #[command(subcommand)]
        command: DefCommand,
    },
    /// Print a shell completion script: `baton completions bash > /etc/bash_completion.d/baton`,
    /// `baton completions zsh > "${fpath[1]}/_baton"`, `baton completions fish > ~/.config/fish/completions/baton.fish`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The jq sandbox worker: evaluates JSON_JQ_TRANSFORM programs sent on stdin under
    /// resource limits. Started by the jq runner itself, never by hand.
    #[command(name = "__jq-worker", hide = true)]
    JqWorker(JqWorkerArgs),
}

/// Arguments of the hidden `__jq-worker` subcommand.
#[derive(Debug, clap::Args)]
struct JqWorkerArgs {
    /// Memory allowance of one program, in bytes.
    #[arg(long, default_value_t = baton_runners::jq::DEFAULT_MEMORY_LIMIT)]
    memory_limit: u64,
}

#[derive(Debug, Subcommand)]
enum DefCommand {
    /// Print a definition (any format) as Conductor JSON.
    Export(cmd::def_export::ExportArgs),
    /// Register definitions (any format) on a server or in the local database.
    Register(cmd::ops::RegisterArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Engine warnings (a log file that cannot be written, a dropped event) go to stderr;
    // BATON_LOG=debug shows more.
    // `baton server` logs a line per request (target `baton::access`) by default.
    let default = if matches!(cli.command, Command::Server(_)) {
        "warn,baton::access=info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BATON_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_env("RUST_LOG"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    let result = match cli.command {
        Command::Run(args) => block_on(cmd::run::run(&args)),
        Command::Resume(args) => block_on(cmd::resume::run(&args)),
        Command::Server(args) => block_on(cmd::server::run(&args)),
        Command::Start(args) => block_on(cmd::ops::start(&args)),
        Command::List(args) => block_on(cmd::ops::list(&args)),
        Command::Pause(args) => block_on(cmd::ops::operate(cmd::ops::Verb::Pause, &args.into())),
        Command::Terminate(args) => {
            block_on(cmd::ops::operate(cmd::ops::Verb::Terminate, &args.into()))
        }
        Command::Restart(args) => {
            block_on(cmd::ops::operate(cmd::ops::Verb::Restart, &args.into()))
        }
        Command::Retry(args) => block_on(cmd::ops::operate(cmd::ops::Verb::Retry, &args.into())),
        Command::Rerun(args) => block_on(cmd::ops::operate(cmd::ops::Verb::Rerun, &args.into())),
        Command::Status(args) => block_on(cmd::status::run(&args)),
        Command::Workset(args) => block_on(cmd::workset::run(&args)),
        Command::Top(args) => block_on(cmd::top::run(&args)),
        Command::Approvals(args) => block_on(cmd::people::approvals(&args)),
        Command::Approve(args) => block_on(cmd::people::approve(&args)),
        Command::Reject(args) => block_on(cmd::people::reject(&args)),
        Command::Cancel(args) => block_on(cmd::people::cancel(&args)),
        Command::Inspect(args) => block_on(cmd::people::inspect(&args)),
        Command::Step(args) => block_on(cmd::people::step(&args)),
        Command::Continue(args) => block_on(cmd::people::continue_run(&args)),
        Command::Logs(args) => block_on(cmd::logs::run(&args)),
        Command::Validate(args) => cmd::validate::run(&args),
        Command::Token { command } => block_on(cmd::token::run(&command)),
        Command::Template { command } => cmd::template::run(&command),
        Command::Agent { command } => block_on(cmd::agent::run(&command)),
        Command::Completions { shell } => {
            use clap::CommandFactory as _;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "baton", &mut out);
            let text = String::from_utf8_lossy(&out);
            crate::outln!("{}", text.trim_end());
            Ok(exit::Code::Ok)
        }
        Command::Def {
            command: DefCommand::Export(args),
        } => cmd::def_export::run(&args),
        Command::Def {
            command: DefCommand::Register(args),
        } => block_on(cmd::ops::register(&args)),
        // No runtime, no engine: the worker only evaluates (and is started with an
        // empty environment, so BATON_LOG cannot make it chatty on stderr).
        Command::JqWorker(args) => {
            return baton_runners::jq::worker::serve_stdio(args.memory_limit);
        }
    };
    match result {
        Ok(code) => code.into(),
        Err(error) => {
            crate::errln!("error: {error:#}");
            exit::Code::Usage.into()
        }
    }
}

/// Runs an async command on a multi-threaded runtime.
fn block_on<F: std::future::Future<Output = anyhow::Result<exit::Code>>>(
    f: F,
) -> anyhow::Result<exit::Code> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(f)
}
