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
