//! `baton status ID`: where a workflow stands (on a server or in the local database).

use super::local::{duration, time};
use super::target::{Access, Target};
use crate::exit::Code;
use clap::Args;

/// Arguments of `baton status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The workflow id.
    pub id: String,
    /// Print the workflow view (status, tasks, times) as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Prints the workflow's status and its tasks.
pub async fn run(args: &StatusArgs) -> anyhow::Result<Code> {
    let opened = args.target.open(Access::Read)?;
    let found = opened.control.workflow(&args.id).await;
    opened.close().await;
    let w = match found {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Code::Usage);
        }
    };
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&w)?);
        return Ok(Code::Ok);
    }
    crate::outln!("{}  {} v{}  {}", w.id, w.name, w.version, w.status.as_str());
    crate::outln!("  started  {}", time(w.created_at));
    if let Some(end) = w.ended_at {
        crate::outln!(
            "  ended    {}  ({})",
            time(end),
            duration(end.saturating_sub(w.created_at))
        );
    }
    if let Some(r) = &w.reason {
        crate::outln!("  reason   {r}");
    }
    if let Some(c) = &w.correlation_id {
        crate::outln!("  correlation id {c}");
    }
    crate::outln!();
    crate::outln!(
        "  {:<30} {:<16} {:<26} {:>7} {:>8}",
        "TASK",
        "TYPE",
        "STATUS",
        "ATTEMPT",
        "TOOK"
    );
    for t in &w.tasks {
        let took = match (t.started_at.or(Some(t.scheduled_at)), t.ended_at) {
            (Some(a), Some(b)) => duration(b.saturating_sub(a)),
            _ => "-".to_string(),
        };
        crate::outln!(
            "  {:<30} {:<16} {:<26} {:>7} {:>8}",
            t.ref_name,
            t.task_type,
            t.status.as_str(),
            t.attempt + 1,
            took
        );
        if let Some(r) = &t.reason
            && !t.status.is_successful()
        {
            crate::outln!("      {r}");
        }
    }
    if w.status.is_terminal() && !w.output.is_null() {
        crate::outln!("\n  output {}", serde_json::to_string(&w.output)?);
    }
    Ok(Code::Ok)
}
