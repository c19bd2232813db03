//! `baton agent serve --root DIR -- CMD ARGS...`: any command as a folder agent (see
//! [`baton_runners::folder::agent`]).

use crate::exit::Code;
use baton_runners::folder::agent::{AgentConfig, Handled, serve};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// `baton agent` subcommands.
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Work the task files in DIR/1N with a command (task JSON on stdin, result JSON on
    /// stdout) and write each result to DIR/0UT; runs until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
}

/// Arguments of `baton agent serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The agent's folder: the `root` of its `folder:` runner (holds 1N and 0UT).
    #[arg(long)]
    pub root: PathBuf,
    /// Most tasks worked at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// How often 1N is rescanned in full, besides the file watch (e.g. 500ms, 2s).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub rescan: Duration,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = baton_runners::config::parse_duration(text)?;
    if d < Duration::from_millis(50) {
        return Err("at least 50ms".to_owned());
    }
    Ok(d)
}

/// Runs a `baton agent` subcommand.
pub async fn run(command: &AgentCommand) -> anyhow::Result<Code> {
    let AgentCommand::Serve(args) = command;
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        super::server::shutdown_signal().await;
        stop.cancel();
    });
    crate::errln!(
        "baton agent: serving {} with `{}` (Ctrl-C stops)",
        args.root.display(),
        args.command.join(" ")
    );
    let config = AgentConfig {
        root: args.root.clone(),
        command: args.command.clone(),
        concurrency: args.concurrency,
        rescan: args.rescan,
    };
    serve(config, cancel, |h: Handled| {
        crate::errln!("baton agent: {} -> {}", h.task_file, h.result);
    })
    .await?;
    Ok(Code::Ok)
}
