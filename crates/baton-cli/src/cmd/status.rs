//! `baton status ID`: where a workflow stands (on a server or in the local database).
//!
//! The text shows what the dashboard shows, in plain text: the run's mark, a progress bar
//! (the workset's progress, [`WorksetView`]), the current tasks with how long they have
//! run or waited, the times, then every task attempt with its mark (see [`look`]).
//! Colours only on a terminal; `--json` prints the workflow in Conductor's JSON shape
//! (`workflowId`, `tasks[].referenceTaskName`, ...), the same in process and over HTTP.

use super::local::{duration, now_ms, time};
use super::look::{self, Paint};
use super::target::{Access, Target};
use crate::exit::Code;
use baton_control::{WorkflowView, WorksetView};
use baton_core::TaskStatus;
use clap::Args;

/// Arguments of `baton status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The workflow id.
    pub id: String,
    /// Print the workflow as JSON, in Conductor's shape (`workflowId`, `status`,
    /// `tasks[].referenceTaskName`, times in ms): the same locally and over a server.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Width of the progress bar, in characters.
const BAR: usize = 20;

/// Prints the workflow's status and its tasks.
pub async fn run(args: &StatusArgs) -> anyhow::Result<Code> {
    let opened = args.target.open(Access::Read)?;
    let found = opened.control.workflow(&args.id).await;
    opened.close().await;
    let w = match found {
        Ok(w) => w,
        Err(e) => {
            crate::errln!("error: {e}");
            return Ok(Code::Usage);
        }
    };
    if args.json {
        let conductor = baton_control::ConductorWorkflow::of(&w);
        crate::outln!("{}", serde_json::to_string_pretty(&conductor)?);
        return Ok(Code::Ok);
    }
    for line in render(&w, now_ms(), Paint::for_stdout())? {
        crate::outln!("{line}");
    }
    Ok(Code::Ok)
}

/// The lines of `baton status` for `w` at `now`.
fn render(w: &WorkflowView, now: u64, p: Paint) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    // The same computation as `baton workset` and `Control::workset`, on the view read.
    let ws = WorksetView::of(w, None, now).workflow;
    let waiting = look::run_waits_for_person(w);
    let tone = look::run_tone(w.status, waiting);
    out.push(format!(
        "{} {}  {} v{}  {}{}",
        p.tone(tone, &look::run_mark(w.status, waiting).to_string()),
        p.bold(&w.id),
        w.name,
        w.version,
        p.tone(tone, w.status.as_str()),
        if waiting {
            p.yellow(" · waiting for a person")
        } else {
            String::new()
        }
    ));
    out.push(format!(
        "  {}  {} tasks",
        p.tone(tone, &look::bar(ws.progress, BAR)),
        ws.progress_tasks
    ));
    let now_line: Vec<String> = ws
        .current_tasks
        .iter()
        .filter_map(|r| w.tasks.iter().rev().find(|t| &t.ref_name == r))
        .map(|t| {
            let waits = look::waits_for_person(t);
            let mark = p.tone(
                look::task_tone(t.status, waits),
                &look::mark(t.status, waits).to_string(),
            );
            let what = if waits {
                let why = match t.hold {
                    Some(h) => format!("at a {}", h.as_str()),
                    None => "for a person".to_string(),
                };
                format!(
                    "waiting {} {why}",
                    look::ago(now.saturating_sub(t.scheduled_at))
                )
            } else {
                match (t.status, t.started_at) {
                    (TaskStatus::InProgress, Some(s)) => {
                        format!("running {}", look::ago(now.saturating_sub(s)))
                    }
                    _ => format!(
                        "scheduled {} ago",
                        look::ago(now.saturating_sub(t.scheduled_at))
                    ),
                }
            };
            format!("{mark} {} ({what})", t.ref_name)
        })
        .collect();
    if !now_line.is_empty() {
        out.push(format!("  now      {}", now_line.join(", ")));
    }
    out.push(format!("  started  {}", time(w.created_at)));
    match w.ended_at {
        Some(end) => out.push(format!(
            "  ended    {}  ({})",
            time(end),
            duration(end.saturating_sub(w.created_at))
        )),
        None => out.push(format!("  elapsed  {}", look::ago(ws.elapsed_ms))),
    }
    if let Some(r) = &w.reason {
        out.push(format!("  reason   {}", p.tone(tone, r)));
    }
    if let Some(c) = &w.correlation_id {
        out.push(format!("  correlation id {c}"));
    }
    out.push(String::new());
    // As wide as the longest ref and type (loop iterations, long type names).
    let ref_w = w
        .tasks
        .iter()
        .map(|t| t.ref_name.chars().count())
        .fold(30, usize::max);
    let type_w = w
        .tasks
        .iter()
        .map(|t| t.task_type.chars().count())
        .fold(16, usize::max);
    out.push(p.dim(&format!(
        "    {:<ref_w$} {:<type_w$} {:<26} {:>7} {:>8}",
        "TASK", "TYPE", "STATUS", "ATTEMPT", "TOOK"
    )));
    for t in &w.tasks {
        let took = match (t.started_at.or(Some(t.scheduled_at)), t.ended_at) {
            (Some(a), Some(b)) => duration(b.saturating_sub(a)),
            _ => "-".to_string(),
        };
        let waits = look::waits_for_person(t);
        let tone = look::task_tone(t.status, waits);
        out.push(format!(
            "  {} {:<ref_w$} {:<type_w$} {} {:>7} {:>8}",
            p.tone(tone, &look::mark(t.status, waits).to_string()),
            t.ref_name,
            t.task_type,
            p.tone(tone, &format!("{:<26}", t.status.as_str())),
            t.attempt + 1,
            took
        ));
        if let Some(r) = &t.reason
            && !t.status.is_successful()
        {
            out.push(format!("      {r}"));
        }
    }
    if w.status.is_terminal() && !w.output.is_null() {
        out.push(String::new());
        out.push(format!("  output {}", serde_json::to_string(&w.output)?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn view(status: &str, tasks: serde_json::Value, ended: Option<u64>) -> WorkflowView {
        let mut v = json!({
            "id": "wf-1", "name": "review", "version": 2, "status": status,
            "input": {}, "output": {"ok": true}, "created_at": 1_000, "updated_at": 1_000,
            "tasks": tasks, "planned": ["build", "review", "ship"],
        });
        if let Some(e) = ended {
            v["ended_at"] = json!(e);
        }
        serde_json::from_value(v).expect("a workflow view")
    }

    fn task(
        r: &str,
        ty: &str,
        status: &str,
        started: u64,
        ended: Option<u64>,
    ) -> serde_json::Value {
        let mut t = json!({
            "task_id": format!("wf-1-{r}"), "ref_name": r, "def_ref": r, "name": r,
            "task_type": ty, "status": status, "attempt": 0, "input": {}, "output": {},
            "scheduled_at": started, "started_at": started,
        });
        if let Some(e) = ended {
            t["ended_at"] = json!(e);
        }
        t
    }

    #[test]
    fn a_run_waiting_for_a_person() {
        let w = view(
            "RUNNING",
            json!([
                task("build", "SIMPLE", "COMPLETED", 1_000, Some(2_500)),
                task("review", "HUMAN", "IN_PROGRESS", 3_000, None),
            ]),
            None,
        );
        let lines = render(&w, 184_000 + 3_000, Paint::new(false)).expect("render");
        let text = lines.join("\n");
        assert_eq!(
            lines[0],
            "⏸ wf-1  review v2  RUNNING · waiting for a person"
        );
        assert_eq!(lines[1], format!("  {}  1/3 tasks", look::bar(33, BAR)));
        assert_eq!(lines[2], "  now      ⏸ review (waiting 3m04s for a person)");
        assert!(
            text.contains("  started  1970-01-01T00:00:01.000Z"),
            "{text}"
        );
        assert!(text.contains("  elapsed  3m06s"), "{text}");
        assert!(text.contains("  ✓ build "), "{text}");
        assert!(text.contains("  ⏸ review "), "{text}");
        assert!(!text.contains("output"), "no output before the end: {text}");
        assert!(!text.contains('\x1b'), "{text}");
    }

    #[test]
    fn a_completed_run_keeps_its_times_and_output() {
        let w = view(
            "COMPLETED",
            json!([
                task("build", "SIMPLE", "COMPLETED", 1_000, Some(2_500)),
                task("ship", "NOOP", "COMPLETED", 2_500, Some(2_600)),
            ]),
            Some(2_600),
        );
        let text = render(&w, 10_000, Paint::new(false))
            .expect("render")
            .join("\n");
        assert!(text.starts_with("✓ wf-1  review v2  COMPLETED\n"), "{text}");
        assert!(text.contains("100%  2/2 tasks"), "{text}");
        assert!(!text.contains("now "), "{text}");
        assert!(
            text.contains("  ended    1970-01-01T00:00:02.600Z  (1.6s)"),
            "{text}"
        );
        assert!(text.contains("TOOK") && text.contains("1.5s"), "{text}");
        assert!(text.ends_with("  output {\"ok\":true}"), "{text}");
        let painted = render(&w, 10_000, Paint::new(true))
            .expect("render")
            .join("\n");
        assert!(painted.contains("\x1b[32m✓\x1b[0m"), "{painted}");
    }
}
