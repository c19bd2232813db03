//! `baton resume ID`: continue a run here (after Ctrl-C, a crash, or a pause).

use super::follow::{Display, follow};
use super::local::{self, DEFAULT_DB};
use crate::exit::Code;
use baton_core::{Event, Outcome, Principal, WorkflowStatus};
use baton_runtime::EngineHandle;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `baton resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The workflow id (printed by `baton run`, listed by `baton status`).
    pub id: String,
    /// Runner bindings (YAML), as given to `baton run`.
    #[arg(long, value_name = "FILE")]
    pub runners: Option<PathBuf>,
    /// The SQLite database of the run.
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Print only the workflow output.
    #[arg(long, short)]
    pub quiet: bool,
    /// Resume a paused workflow on a server instead (it keeps running there).
    #[arg(long, env = "BATON_SERVER", value_name = "URL")]
    pub server: Option<String>,
}

/// Continues a workflow in this process until it ends (unpausing it if paused); with
/// `--server`, asks the server to resume it.
pub async fn run(args: &ResumeArgs) -> anyhow::Result<Code> {
    if let Some(url) = &args.server {
        let control = baton_control::HttpControl::new(url)?;
        let command = baton_control::OperatorCommand::new(
            &args.id,
            baton_control::Operation::Resume,
            super::target::actor(),
        );
        return match baton_control::Control::operate(&control, command).await {
            Ok(_) => {
                crate::outln!("Resume: {}", args.id);
                Ok(Code::Ok)
            }
            Err(e) => {
                eprintln!("error: {e}");
                Ok(Code::Failed)
            }
        };
    }
    let engine = match local::open_engine(&args.db) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(Code::Usage);
        }
    };
    let handle = engine.handle();
    let Some(stored) = handle.reader()?.workflow(&args.id)? else {
        eprintln!("error: no workflow `{}` in {}", args.id, args.db.display());
        engine.shutdown().await;
        return Ok(Code::Usage);
    };
    let def = handle
        .reader()?
        .definition(&stored.meta.def_hash)?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the definition of workflow {} is missing from the database",
                args.id
            )
        })?;
    let runners = match local::runners(Some(&def), args.runners.as_deref(), &PathBuf::from(".")) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            engine.shutdown().await;
            return Ok(Code::Usage);
        }
    };
    let events = handle.subscribe();
    if !args.quiet && !stored.meta.status.is_terminal() {
        eprintln!(
            "Resuming {} ({}, {})",
            args.id,
            stored.meta.name,
            stored.meta.status.as_str()
        );
    }
    unpause(&handle, &args.id).await?;
    let queues = local::queues_of(&def);
    follow(
        engine,
        events,
        &args.id,
        runners,
        queues,
        &args.db,
        Display { quiet: args.quiet },
    )
    .await
}

/// Resumes the workflow if an operator paused it.
pub async fn unpause(handle: &EngineHandle, id: &str) -> anyhow::Result<()> {
    let paused = handle
        .reader()?
        .workflow(id)?
        .is_some_and(|w| w.meta.status == WorkflowStatus::Paused);
    if paused {
        let by = Principal::new(whoami(), baton_model::Role::L0);
        if let Outcome::Rejected(why) = handle.send(id, Event::Resumed { by }).await? {
            anyhow::bail!("cannot resume {id}: {why}");
        }
    }
    Ok(())
}

/// The local user, for the audit trail.
pub fn whoami() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "cli".to_string())
}
