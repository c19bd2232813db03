//! `baton resume ID`: continue a run here (after Ctrl-C, a crash, or a pause) — or, when
//! a `baton run` / `baton resume` holds the database, resume the paused workflow in that
//! process, through its control socket.

use super::follow::{Display, Run, follow};
use super::local::{self, DEFAULT_DB};
use super::socket::{self, shell_word};
use crate::exit::Code;
use baton_control::{Control as _, ErrorKind, HttpControl, Operation, OperatorCommand};
use baton_core::{Event, Outcome, Principal, WorkflowStatus};
use baton_runtime::EngineHandle;
use clap::Args;
use std::path::{Path, PathBuf};

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
    /// The server's token (default: the credentials file's for that URL).
    #[arg(
        long,
        env = "BATON_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

/// Continues a workflow in this process until it ends (unpausing it if paused); with
/// `--server`, asks the server to resume it; when another local process holds the
/// database, asks that process (over its control socket).
pub async fn run(args: &ResumeArgs) -> anyhow::Result<Code> {
    if let Some(url) = &args.server {
        let token = args
            .token
            .clone()
            .or_else(|| super::credentials::lookup(url));
        let control = baton_control::HttpControl::new(url)?.with_token(token);
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
                crate::errln!("error: {e}");
                Ok(Code::Failed)
            }
        };
    }
    if !args.db.exists() {
        crate::errln!(
            "error: no database at `{}`; pass the file the run used with --db",
            args.db.display()
        );
        return Ok(Code::Usage);
    }
    let engine = match local::open_engine(&args.db) {
        Ok(e) => e,
        Err(e) if local::is_locked(&e) => {
            return match super::target::live_socket(&args.db, e) {
                Ok(path) => resume_through(&path, args).await,
                Err(e) => {
                    crate::errln!("error: {e:#}");
                    Ok(Code::Usage)
                }
            };
        }
        Err(e) => {
            crate::errln!("error: {e:#}");
            return Ok(Code::Usage);
        }
    };
    let handle = engine.handle();
    let Some(stored) = handle.reader()?.workflow(&args.id)? else {
        crate::errln!("error: no workflow `{}` in {}", args.id, args.db.display());
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
    // The runners the run was started with, unless --runners says otherwise.
    let recorded = match &args.runners {
        Some(_) => None,
        None => recorded_bindings(handle.reader()?.as_ref(), &args.id)?,
    };
    let runners = match &recorded {
        Some(b) => local::recorded_runners(&def, b),
        None => local::runners(Some(&def), args.runners.as_deref(), &PathBuf::from(".")),
    };
    let runners = match runners {
        Ok(r) => r,
        Err(e) => {
            crate::errln!("error: {e:#}");
            engine.shutdown().await;
            return Ok(Code::Usage);
        }
    };
    // Refuse before anything changes (the run stays as it is, paused or not).
    if !stored.meta.status.is_terminal() && local::report_missing_runners(&def, &runners) {
        crate::errln!(
            "  (nothing was changed; resume again with --runners FILE: `baton resume {} --db {} --runners FILE`)",
            shell_word(&args.id),
            shell_word(&args.db.display().to_string())
        );
        engine.shutdown().await;
        return Ok(Code::Usage);
    }
    let events = handle.subscribe();
    if !args.quiet && !stored.meta.status.is_terminal() {
        crate::errln!(
            "Resuming {} ({}, {})",
            args.id,
            stored.meta.name,
            stored.meta.status.as_str()
        );
    }
    unpause(&handle, &args.id).await?;
    let queues = local::queues_of(&def);
    let run = Run {
        workflow_id: &args.id,
        runners,
        queues,
        db: &args.db,
        display: Display { quiet: args.quiet },
        command: "resume",
    };
    follow(engine, events, run).await
}

/// `baton resume ID` while another `baton run` / `baton resume` holds the database:
/// that process runs the workflow, so a paused one is resumed there, through its
/// control socket, and this command returns at once.
async fn resume_through(socket: &Path, args: &ResumeArgs) -> anyhow::Result<Code> {
    let control = HttpControl::unix(socket)?;
    let holder = match socket::process_of(socket).await {
        Ok(p) => p.describe(),
        Err(_) => "the Baton process".to_string(),
    };
    let db = shell_word(&args.db.display().to_string());
    let w = match control.workflow(&args.id).await {
        Ok(w) => w,
        Err(e) => {
            crate::errln!("error: {e}");
            return Ok(if e.kind() == ErrorKind::NotFound {
                Code::Usage
            } else {
                Code::Failed
            });
        }
    };
    match w.status {
        WorkflowStatus::Paused => {
            let command = OperatorCommand::new(&args.id, Operation::Resume, super::target::actor());
            if let Err(e) = control.operate(command).await {
                crate::errln!("error: {e}");
                return Ok(Code::Failed);
            }
            crate::outln!("Resume: {}", args.id);
            if !args.quiet {
                crate::errln!(
                    "  resumed in {holder}, which holds {db}; it runs there while that process lives"
                );
            }
            Ok(Code::Ok)
        }
        WorkflowStatus::Running => {
            crate::errln!(
                "{} is already RUNNING: {holder} holds {db} and runs it while that process lives; nothing to resume",
                args.id
            );
            Ok(Code::Ok)
        }
        s => {
            crate::outln!("{}", serde_json::to_string_pretty(&w.output)?);
            crate::errln!(
                "{} has ended ({}); see its history with: baton logs {} --db {db}",
                args.id,
                s.as_str(),
                shell_word(&args.id)
            );
            Ok(if s == WorkflowStatus::Completed {
                Code::Ok
            } else {
                Code::Failed
            })
        }
    }
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

/// The runner bindings recorded when the run started (`None` for runs started before
/// they were recorded, or not by `baton run`).
fn recorded_bindings(
    reader: &dyn baton_store::Reader,
    id: &str,
) -> anyhow::Result<Option<baton_core::RunnerBindings>> {
    let history = reader.history(id)?;
    Ok(history.into_iter().find_map(|h| match h.event {
        Event::WorkflowStarted { options, .. } => options.runners,
        _ => None,
    }))
}
