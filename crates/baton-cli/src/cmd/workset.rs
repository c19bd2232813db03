//! `baton workset ID`: a run as the seeds' workset (goal, owner, progress, tasks,
//! failures, approvals), as text, YAML (the seeds' `WORKFLOW.STATE` shape) or JSON.

use super::local::time;
use super::target::{Access, Target};
use crate::exit::Code;
use clap::{Args, ValueEnum};

/// How to print a workset.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// A readable summary with a progress bar.
    Text,
    /// The seeds' workset YAML.
    Yaml,
    /// The whole view as JSON.
    Json,
}

/// Arguments of `baton workset`.
#[derive(Debug, Args)]
pub struct WorksetArgs {
    /// The workflow id.
    pub id: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    #[command(flatten)]
    pub target: Target,
}

/// Prints the workset of a run.
pub async fn run(args: &WorksetArgs) -> anyhow::Result<Code> {
    let opened = args.target.open(Access::Read)?;
    let found = opened.control.workset(&args.id).await;
    opened.close().await;
    let ws = match found {
        Ok(w) => w,
        Err(e) => {
            crate::errln!("error: {e}");
            return Ok(Code::Usage);
        }
    };
    match args.format {
        Format::Json => crate::outln!("{}", serde_json::to_string_pretty(&ws)?),
        Format::Yaml => {
            let doc = serde_json::json!({ "workset": ws });
            crate::outln!("{}", serde_saphyr::to_string(&doc)?.trim_end());
        }
        Format::Text => {
            let p = usize::from(ws.workflow.progress.min(100));
            let bar = format!("{}{}", "█".repeat(p / 5), "░".repeat(20 - p / 5));
            crate::outln!("{}  {}", ws.id, ws.goal);
            crate::outln!(
                "  {} v{}  {}  owner {}",
                ws.workflow.definition,
                ws.workflow.version,
                ws.status,
                ws.owner
            );
            crate::outln!(
                "  [{bar}] {}% ({} tasks)  started {}  elapsed {:.1}s",
                ws.workflow.progress,
                ws.workflow.progress_tasks,
                time(ws.workflow.started),
                ws.workflow.elapsed_ms as f64 / 1000.0
            );
            if !ws.workflow.current_tasks.is_empty() {
                crate::outln!("  now: {}", ws.workflow.current_tasks.join(", "));
            }
            for t in &ws.tasks {
                crate::outln!(
                    "  {:<28} {:<26} attempts {}{}",
                    t.id,
                    t.status.as_str(),
                    t.attempts,
                    t.reason
                        .as_ref()
                        .map(|r| format!("  — {r}"))
                        .unwrap_or_default()
                );
            }
            crate::outln!(
                "  failures: {} ({} retried)",
                ws.failures.count,
                ws.failures.retries.len()
            );
            for a in &ws.approvals {
                crate::outln!(
                    "  waiting: {} ({:?}) since {}, {:?} decides",
                    a.task,
                    a.kind,
                    time(a.requested),
                    a.decided_by
                );
            }
        }
    }
    Ok(Code::Ok)
}
