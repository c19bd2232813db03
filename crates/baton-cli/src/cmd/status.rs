//! `baton status ID`: where a workflow stands.

use super::local::{self, DEFAULT_DB, duration, time};
use crate::exit::Code;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `baton status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The workflow id.
    pub id: String,
    /// The SQLite database.
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Print the stored state as JSON.
    #[arg(long)]
    pub json: bool,
    /// Ask a server instead of reading the local database.
    #[arg(long, env = "BATON_SERVER", value_name = "URL")]
    pub server: Option<String>,
}

/// `baton status --server URL ID`: the server's Conductor Workflow JSON, summarized.
pub async fn run_remote(args: &StatusArgs, url: &str) -> anyhow::Result<Code> {
    let client = baton_server::client::Client::new(url)?;
    let w = match client.workflow(&args.id, true).await {
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
    let s = |k: &str| w.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    crate::outln!(
        "{}  {} v{}  {}",
        s("workflowId"),
        s("workflowName"),
        w["workflowVersion"],
        s("status")
    );
    if !s("reasonForIncompletion").is_empty() {
        crate::outln!("  reason   {}", s("reasonForIncompletion"));
    }
    crate::outln!();
    crate::outln!(
        "  {:<30} {:<16} {:<26} {:>7}",
        "TASK",
        "TYPE",
        "STATUS",
        "ATTEMPT"
    );
    for t in w
        .get("tasks")
        .and_then(|t| t.as_array())
        .into_iter()
        .flatten()
    {
        let f = |k: &str| t.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let attempt = t.get("retryCount").and_then(|v| v.as_u64()).unwrap_or(0) + 1;
        crate::outln!(
            "  {:<30} {:<16} {:<26} {:>7}",
            f("referenceTaskName"),
            f("taskType"),
            f("status"),
            attempt
        );
    }
    if let Some(out) = w.get("output") {
        crate::outln!("\n  output {out}");
    }
    Ok(Code::Ok)
}

/// Prints the workflow's status and its tasks.
pub fn run(args: &StatusArgs) -> anyhow::Result<Code> {
    let reader = local::open_reader(&args.db)?;
    let Some(w) = reader.workflow(&args.id)? else {
        eprintln!("error: no workflow `{}` in {}", args.id, args.db.display());
        return Ok(Code::Usage);
    };
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&w.state)?);
        return Ok(Code::Ok);
    }
    let s = &w.state;
    crate::outln!(
        "{}  {} v{}  {}",
        w.meta.id,
        w.meta.name,
        w.meta.version,
        s.status.as_str()
    );
    crate::outln!("  started  {}", time(s.created_at));
    if let Some(end) = s.ended_at {
        crate::outln!(
            "  ended    {}  ({})",
            time(end),
            duration(end.saturating_sub(s.created_at))
        );
    }
    if let Some(r) = &s.reason {
        crate::outln!("  reason   {r}");
    }
    if let Some(c) = &s.correlation_id {
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
    for t in &s.tasks {
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
    if s.status.is_terminal() && !s.output.is_null() {
        crate::outln!("\n  output {}", serde_json::to_string(&s.output)?);
    }
    Ok(Code::Ok)
}
