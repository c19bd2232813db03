//! Commands that work on a server (`--server URL`) or on a local database (`--db FILE`):
//! `def register`, `start`, `list`, and the operator verbs.

use super::local::{self, DEFAULT_DB, time};
use super::resume::whoami;
use crate::exit::Code;
use baton_core::{Event, Outcome, Principal, WorkflowStatus};
use baton_model::Role;
use baton_server::client::{Client, ListFilter};
use baton_store::WorkflowFilter;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Where a command acts: a running server, or the embedded database.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// A Baton (or Conductor) server, e.g. http://127.0.0.1:8080. Without it, the command
    /// works on the local database (`--db`).
    #[arg(long, env = "BATON_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// The local SQLite database (when no --server is given).
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
}

impl Target {
    fn client(&self) -> anyhow::Result<Option<Client>> {
        match &self.server {
            Some(url) => Ok(Some(Client::new(url)?)),
            None => Ok(None),
        }
    }
}

/// Arguments of `baton def register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Definition files (any format).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub target: Target,
}

/// Registers definitions (each validated first; an invalid one registers nothing).
pub async fn register(args: &RegisterArgs) -> anyhow::Result<Code> {
    let mut defs = Vec::new();
    for file in &args.files {
        let checked = super::check_file(file)?;
        if checked.errors() > 0 {
            super::render_all(file, &checked);
            eprintln!(
                "error: `{}` is not valid; nothing was registered",
                file.display()
            );
            return Ok(Code::Invalid);
        }
        if let Some(l) = checked.loaded {
            defs.push(l.def);
        }
    }
    match args.target.client()? {
        Some(client) => {
            for def in &defs {
                client.register_workflow_def(def).await?;
            }
        }
        None => {
            let engine = local::open_engine(&args.target.db)?;
            let handle = engine.handle();
            for def in &defs {
                let r = handle.register_workflow_def(def.clone()).await;
                if let Err(e) = r {
                    engine.shutdown().await;
                    return Err(e.into());
                }
            }
            engine.shutdown().await;
        }
    }
    for def in &defs {
        crate::outln!("registered {} v{}", def.name, def.version);
    }
    Ok(Code::Ok)
}

/// Arguments of `baton start`.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// Name of a registered workflow definition.
    pub name: String,
    /// Its version (default: the latest).
    #[arg(long)]
    pub version: Option<u32>,
    /// Input as key=value (JSON values keep their type). Repeatable.
    #[arg(long = "input", short = 'i', value_name = "KEY=VALUE")]
    pub inputs: Vec<String>,
    /// Input from a JSON object file.
    #[arg(long, value_name = "FILE")]
    pub input_file: Option<PathBuf>,
    /// Correlation id.
    #[arg(long)]
    pub correlation_id: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

/// Starts a registered workflow and prints its id. Locally, the workflow is recorded and
/// runs when a `baton server` or `baton resume` runs on that database.
pub async fn start(args: &StartArgs) -> anyhow::Result<Code> {
    let input = match local::parse_input(&args.inputs, args.input_file.as_deref()) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(Code::Usage);
        }
    };
    let id = match args.target.client()? {
        Some(client) => {
            client
                .start(
                    &args.name,
                    args.version,
                    input,
                    args.correlation_id.as_deref(),
                )
                .await?
        }
        None => {
            let engine = local::open_engine(&args.target.db)?;
            let req = baton_runtime::StartWorkflow {
                name: args.name.clone(),
                version: args.version,
                input,
                correlation_id: args.correlation_id.clone(),
                ..Default::default()
            };
            let r = engine.handle().start(req).await;
            engine.shutdown().await;
            match r {
                Ok(id) => id,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(Code::Usage);
                }
            }
        }
    };
    crate::outln!("{id}");
    Ok(Code::Ok)
}

/// Arguments of `baton list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this definition name.
    #[arg(long)]
    pub name: Option<String>,
    /// Only these statuses (RUNNING, COMPLETED, FAILED, ...). Repeatable.
    #[arg(long = "status")]
    pub statuses: Vec<String>,
    /// At most this many (newest first).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

fn parse_status(s: &str) -> anyhow::Result<WorkflowStatus> {
    serde_json::from_value(serde_json::Value::String(s.to_ascii_uppercase())).map_err(|_| {
        anyhow::anyhow!(
            "unknown status `{s}`; use RUNNING, PAUSED, COMPLETED, FAILED, TIMED_OUT or TERMINATED"
        )
    })
}

/// Lists workflows, newest first.
pub async fn list(args: &ListArgs) -> anyhow::Result<Code> {
    let statuses = args
        .statuses
        .iter()
        .map(|s| parse_status(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let rows: Vec<(String, String, u32, String, String)> = match args.target.client()? {
        Some(client) => {
            let filter = ListFilter {
                name: args.name.clone(),
                statuses,
                size: args.limit,
                ..Default::default()
            };
            client
                .list(&filter)
                .await?
                .into_iter()
                .map(|w| {
                    (
                        w.workflow_id,
                        w.workflow_type,
                        w.version,
                        w.status,
                        w.start_time,
                    )
                })
                .collect()
        }
        None => {
            let reader = local::open_reader(&args.target.db)?;
            let filter = WorkflowFilter {
                name: args.name.clone(),
                statuses,
                limit: args.limit,
                ..Default::default()
            };
            reader
                .list_workflows(&filter)?
                .into_iter()
                .map(|w| {
                    (
                        w.id,
                        w.name,
                        w.version,
                        w.status.as_str().to_string(),
                        time(w.created_at),
                    )
                })
                .collect()
        }
    };
    for (id, name, version, status, started) in rows {
        if args.json {
            crate::outln!(
                "{}",
                serde_json::json!({"workflowId": id, "name": name, "version": version, "status": status, "startTime": started})
            );
        } else {
            crate::outln!("{id}  {name} v{version}  {status:<10}  {started}");
        }
    }
    Ok(Code::Ok)
}

/// An operator action.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Verb {
    /// Stop scheduling new tasks.
    Pause,
    /// End the workflow now.
    Terminate,
    /// Run an ended workflow again from the start.
    Restart,
    /// Retry the failed task of a failed workflow.
    Retry,
    /// Run an ended workflow again (from the start, or from `--from-task`).
    Rerun,
}

/// Arguments of the operator verbs.
#[derive(Debug, Args)]
pub struct OperatorArgs {
    /// The workflow id.
    pub id: String,
    /// Why (terminate).
    #[arg(long, default_value = "terminated from the command line")]
    pub reason: String,
    /// The task id to rerun from (rerun).
    #[arg(long)]
    pub from_task: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

/// Applies an operator action; the history records who did it.
pub async fn operate(verb: Verb, args: &OperatorArgs) -> anyhow::Result<Code> {
    if let Some(client) = args.target.client()? {
        let id = &args.id;
        let r = match verb {
            Verb::Pause => client.pause(id).await,
            Verb::Terminate => client.terminate(id, &args.reason).await,
            Verb::Restart => client.restart(id).await,
            Verb::Retry => client.retry(id).await,
            Verb::Rerun => client
                .rerun(id, args.from_task.as_deref(), None, None)
                .await
                .map(drop),
        };
        return match r {
            Ok(()) => {
                crate::outln!("{verb:?}: {id}");
                Ok(Code::Ok)
            }
            Err(e) => {
                eprintln!("error: {e}");
                Ok(if e.status() == Some(404) {
                    Code::Usage
                } else {
                    Code::Failed
                })
            }
        };
    }
    let by = Principal {
        name: whoami(),
        role: Role::L0,
    };
    let event = match verb {
        Verb::Pause => Event::Paused { by },
        Verb::Terminate => Event::Terminated {
            reason: args.reason.clone(),
            by,
        },
        Verb::Restart => Event::Restarted { by },
        Verb::Retry => Event::Retried { by },
        Verb::Rerun => Event::Rerun {
            from_task_id: args.from_task.clone(),
            workflow_input: None,
            task_input: None,
            by,
        },
    };
    let engine = local::open_engine(&args.target.db)?;
    let r = engine.handle().send(&args.id, event).await;
    engine.shutdown().await;
    match r {
        Ok(Outcome::Applied) => {
            crate::outln!("{verb:?}: {}", args.id);
            if matches!(verb, Verb::Restart | Verb::Retry | Verb::Rerun) {
                eprintln!(
                    "  continue it here with: baton resume {} --db {}",
                    args.id,
                    args.target.db.display()
                );
            }
            Ok(Code::Ok)
        }
        Ok(Outcome::Ignored(why) | Outcome::Rejected(why)) => {
            eprintln!("error: {why}");
            Ok(Code::Failed)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(Code::Usage)
        }
    }
}
