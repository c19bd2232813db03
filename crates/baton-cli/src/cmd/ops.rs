//! Commands that work on a server (`--server URL`) or on a local database (`--db FILE`):
//! `def register`, `start`, `list`, and the operator verbs.

use super::local::{self, time};
use super::look::{self, Paint};
use super::socket::shell_word;
pub use super::target::Target;
use super::target::{Access, actor};
use crate::exit::Code;
use baton_control::{
    CommandOutcome, ErrorKind, ListFilter, Operation, OperatorCommand, StartRequest,
    WorkflowSummary, WorkflowView, WorksetView,
};
use baton_core::WorkflowStatus;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

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
            crate::errln!(
                "error: `{}` is not valid; nothing was registered",
                file.display()
            );
            return Ok(Code::Invalid);
        }
        if let Some(l) = checked.loaded {
            defs.push(l.def);
        }
    }
    let opened = args.target.open(Access::Write)?;
    let mut result = Ok(());
    for def in &defs {
        result = opened.control.register_workflow_def(def).await;
        if result.is_err() {
            break;
        }
    }
    opened.close().await;
    result?;
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
    pub people: super::people::RunModeArgs,
    #[command(flatten)]
    pub target: Target,
    /// Wait for the run to end, print its output, and exit like `baton run` (0
    /// completed, 1 failed, timed out or terminated). Needs a server, or a `baton run`
    /// holding the database.
    #[arg(long, alias = "follow")]
    pub wait: bool,
}

/// Starts a registered workflow and prints its id (on stdout; what happens next goes
/// to stderr). On a server, the server runs it. Locally, with no other Baton process on
/// the database, it is only recorded: this command says so and how to run it. When a
/// `baton run` / `baton resume` holds the database, it is started in that process,
/// through its control socket — refused up front (exit 2, nothing recorded) when that
/// process has no runner for some of its task types.
pub async fn start(args: &StartArgs) -> anyhow::Result<Code> {
    let input = match local::parse_input(&args.inputs, args.input_file.as_deref()) {
        Ok(v) => v,
        Err(e) => {
            crate::errln!("error: {e:#}");
            return Ok(Code::Usage);
        }
    };
    let opened = args.target.open(Access::Write)?;
    let db = shell_word(&args.target.db.display().to_string());
    let mut holder = None;
    if let Some(socket) = opened.socket() {
        let process = super::socket::process_of(socket).await?;
        match super::socket::unbound_of(socket, &args.name, args.version).await? {
            Some(unbound) if !unbound.is_empty() => {
                let list = unbound
                    .iter()
                    .map(|q| format!("`{q}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                crate::errln!(
                    "error: {} holds {db} and has no runner for task type{} {list} of `{}`; its tasks would fail there, so nothing was started",
                    process.describe(),
                    if unbound.len() > 1 { "s" } else { "" },
                    args.name,
                );
                crate::errln!(
                    "  help: start it once that process has ended (it exits when workflow {} does), then run it with `baton resume ID --db {db} --runners FILE`; or serve the database with `baton server --db {db} --runners FILE`",
                    process.workflow_id
                );
                opened.close().await;
                return Ok(Code::Usage);
            }
            // Unknown definitions are the start's own error, below.
            _ => {}
        }
        holder = Some(process);
    }
    let own_engine = opened.is_own_engine();
    if args.wait && own_engine {
        opened.close().await;
        crate::errln!(
            "error: --wait: nothing runs workflows on {db} (no server, no `baton run` holds it), so the run would never end"
        );
        crate::errln!(
            "  help: run it here with `baton run FILE --db {db}`, or start it on a server with --server URL"
        );
        return Ok(Code::Usage);
    }
    let req = StartRequest {
        name: args.name.clone(),
        version: args.version,
        input,
        correlation_id: args.correlation_id.clone(),
        mode: args.people.mode.map(Into::into),
        breakpoints: args.people.breakpoints.clone(),
        domain: args.people.domain.clone(),
        by: Some(actor()),
    };
    let mut started = opened.control.start(req.clone()).await;
    // A native definition may be named by its `name:` (its display name) as well as by
    // its `id:` (the name it is registered under).
    if let Err(e) = &started
        && e.kind() == baton_control::ErrorKind::NotFound
        && let Some(id) = registered_defs(&args.target)
            .await
            .into_iter()
            .find(|(_, display)| display.as_deref() == Some(args.name.as_str()))
            .map(|(id, _)| id)
    {
        crate::errln!(
            "starting `{id}` (the definition whose name is `{}`)",
            args.name
        );
        started = opened.control.start(StartRequest { name: id, ..req }).await;
    }
    if args.wait
        && let Ok(id) = &started
    {
        crate::outln!("{id}");
        let code = wait_for_end(opened.control.as_ref(), id).await;
        opened.close().await;
        return code;
    }
    opened.close().await;
    let id = match started {
        Ok(id) => id,
        Err(e) => {
            crate::errln!("error: {e}");
            if e.kind() == baton_control::ErrorKind::NotFound {
                let names = registered_names(&args.target).await;
                if let Some(m) = baton_model::validate::suggest::did_you_mean(
                    &args.name,
                    names.iter().map(String::as_str),
                ) {
                    crate::errln!("  help: did you mean `{m}`?");
                }
                if names.is_empty() {
                    crate::errln!(
                        "  (no definitions are registered: `baton def register FILE` first)"
                    );
                } else {
                    crate::errln!("  registered: {}", names.join(", "));
                }
            }
            return Ok(Code::Usage);
        }
    };
    crate::outln!("{id}");
    let id_word = shell_word(&id);
    if let Some(process) = holder {
        crate::errln!(
            "started {id} in {}, which holds {db}: it runs there, with that process's runners, until that process exits (when workflow {} ends, or on Ctrl-C)",
            process.describe(),
            process.workflow_id
        );
        crate::errln!(
            "  if it has not ended by then, continue it with: baton resume {id_word} --db {db}"
        );
    } else if own_engine {
        crate::errln!(
            "recorded workflow {id} in {db}; nothing runs it until `baton resume {id_word} --db {db}` (with --runners FILE if its tasks need bindings) or `baton server --db {db}` runs on this database"
        );
    }
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
    /// At most this many (newest first; the running and paused ones are shown first).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// JSON lines instead of a table: `workflowId`, `name`, `version`, `status`,
    /// `startTime`, `progress` (0-100, null when not known) and `current` (the refs of the
    /// tasks running or waiting now, null when not known).
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

/// How many of a list's running, pending and paused runs `baton list` reads in full for
/// their progress and current tasks (one read each); later ones show neither.
const LIST_READS: usize = 50;

/// Width of `baton list`'s progress bars, in characters.
const LIST_BAR: usize = 10;

/// One row of `baton list`.
struct ListRow {
    summary: WorkflowSummary,
    /// A running run one of whose tasks waits for a person.
    waiting: bool,
    /// In %, when known: read for a live run, 100 for a completed one.
    progress: Option<u8>,
    /// The tasks running or waiting now, with their marks; `None` when not read.
    current: Option<Vec<(String, char, look::Tone)>>,
    /// How long it ran: until now, or until its last change once ended.
    elapsed_ms: u64,
}

impl ListRow {
    fn of(summary: WorkflowSummary, read: Option<&WorkflowView>, now: u64) -> ListRow {
        let terminal = summary.status.is_terminal();
        let end = if terminal { summary.updated_at } else { now };
        let mut row = ListRow {
            waiting: false,
            progress: (summary.status == WorkflowStatus::Completed).then_some(100),
            current: terminal.then(Vec::new),
            elapsed_ms: end.saturating_sub(summary.created_at),
            summary,
        };
        if let Some(w) = read {
            let ws = WorksetView::of(w, None, now).workflow;
            row.waiting = look::run_waits_for_person(w);
            row.progress = Some(ws.progress);
            row.elapsed_ms = ws.elapsed_ms;
            row.current = Some(
                ws.current_tasks
                    .iter()
                    .map(|r| {
                        let (status, waits) = w
                            .tasks
                            .iter()
                            .rev()
                            .find(|t| &t.ref_name == r)
                            .map_or((baton_core::TaskStatus::InProgress, false), |t| {
                                (t.status, look::waits_for_person(t))
                            });
                        (
                            r.clone(),
                            look::mark(status, waits),
                            look::task_tone(status, waits),
                        )
                    })
                    .collect(),
            );
        }
        row
    }

    fn json(&self) -> serde_json::Value {
        let w = &self.summary;
        serde_json::json!({
            "workflowId": w.id,
            "name": w.name,
            "version": w.version,
            "status": w.status.as_str(),
            "startTime": time(w.created_at),
            "progress": self.progress,
            "current": self
                .current
                .as_ref()
                .map(|c| c.iter().map(|(r, _, _)| r.as_str()).collect::<Vec<_>>()),
        })
    }
}

/// The table of `baton list`: a header, then one line per row, columns aligned.
fn list_table(rows: &[ListRow], p: Paint) -> Vec<String> {
    let name_of = |w: &WorkflowSummary| format!("{} v{}", w.name, w.version);
    let id_w = rows
        .iter()
        .map(|r| r.summary.id.chars().count())
        .chain([2])
        .max()
        .unwrap_or(2);
    let name_w = rows
        .iter()
        .map(|r| name_of(&r.summary).chars().count())
        .chain([4])
        .max()
        .unwrap_or(4);
    let bar_w = look::bar(0, LIST_BAR).chars().count();
    let started_w = rows
        .iter()
        .map(|r| time(r.summary.created_at).chars().count())
        .chain([7])
        .max()
        .unwrap_or(7);
    let mut out = vec![
        p.dim(
            format!(
                "  {:<id_w$}  {:<name_w$}  {:<10}  {:<bar_w$}  {:<started_w$}  {:>7}  NOW",
                "ID", "NAME", "STATUS", "PROGRESS", "STARTED", "ELAPSED"
            )
            .trim_end(),
        ),
    ];
    for r in rows {
        let w = &r.summary;
        let tone = look::run_tone(w.status, r.waiting);
        let bar = match r.progress {
            Some(pc) => p.tone(tone, &look::bar(pc, LIST_BAR)),
            None => " ".repeat(bar_w),
        };
        let current = r
            .current
            .iter()
            .flatten()
            .map(|(r, m, t)| format!("{} {r}", p.tone(*t, &m.to_string())))
            .collect::<Vec<_>>()
            .join(", ");
        let line = format!(
            "{} {:<id_w$}  {:<name_w$}  {}  {bar}  {:<started_w$}  {:>7}  {current}",
            p.tone(tone, &look::run_mark(w.status, r.waiting).to_string()),
            w.id,
            name_of(w),
            p.tone(tone, &format!("{:<10}", w.status.as_str())),
            time(w.created_at),
            look::ago(r.elapsed_ms),
        );
        out.push(line.trim_end().to_string());
    }
    out
}

/// Lists workflows, newest first, the running and paused ones before those that ended;
/// each with its mark, a progress bar (read for at most [`LIST_READS`] live runs; a
/// completed run is 100 %), when it started, how long it ran and its current tasks.
pub async fn list(args: &ListArgs) -> anyhow::Result<Code> {
    let statuses = args
        .statuses
        .iter()
        .map(|s| parse_status(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let filter = ListFilter {
        name: args.name.clone(),
        statuses,
        size: args.limit,
        ..Default::default()
    };
    let opened = args.target.open(Access::Read)?;
    let mut listed = match opened.control.list(&filter).await {
        Ok(l) => l,
        Err(e) => {
            opened.close().await;
            return Err(e.into());
        }
    };
    // Active first; a stable sort keeps each group newest first.
    listed.sort_by_key(|w| w.status.is_terminal());
    let now = local::now_ms();
    let mut rows = Vec::with_capacity(listed.len());
    let mut reads = 0;
    for w in listed {
        let read = if !w.status.is_terminal() && reads < LIST_READS {
            reads += 1;
            // Gone since the list, or unreadable: shown without its progress.
            opened.control.workflow(&w.id).await.ok()
        } else {
            None
        };
        rows.push(ListRow::of(w, read.as_ref(), now));
    }
    opened.close().await;
    if args.json {
        for r in &rows {
            crate::outln!("{}", r.json());
        }
    } else if !rows.is_empty() {
        for line in list_table(&rows, Paint::for_stdout()) {
            crate::outln!("{line}");
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

/// What an operator verb acts on, and how (each verb's own arguments become this).
#[derive(Debug)]
pub struct OperatorArgs {
    /// The workflow id.
    pub id: String,
    /// Why (terminate).
    pub reason: String,
    /// The task to rerun from (rerun).
    pub from_task: Option<String>,
    /// Where the workflow is.
    pub target: Target,
}

/// Arguments of `pause`, `restart` and `retry`: the workflow, and where it is.
#[derive(Debug, Args)]
pub struct WorkflowArgs {
    /// The workflow id (printed by `baton run`/`start`, listed by `baton list`).
    pub id: String,
    #[command(flatten)]
    pub target: Target,
}

/// Arguments of `baton terminate`.
#[derive(Debug, Args)]
pub struct TerminateArgs {
    /// The workflow id.
    pub id: String,
    /// Why (recorded as the run's reason).
    #[arg(long, default_value = "terminated from the command line")]
    pub reason: String,
    #[command(flatten)]
    pub target: Target,
}

/// Arguments of `baton rerun`.
#[derive(Debug, Args)]
pub struct RerunArgs {
    /// The workflow id.
    pub id: String,
    /// The task to rerun from: its reference name (`process.ai_model.inference`; its
    /// latest attempt) or a task id. Without it: from the start.
    #[arg(long)]
    pub from_task: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

impl From<WorkflowArgs> for OperatorArgs {
    fn from(a: WorkflowArgs) -> Self {
        OperatorArgs {
            id: a.id,
            reason: String::new(),
            from_task: None,
            target: a.target,
        }
    }
}

impl From<TerminateArgs> for OperatorArgs {
    fn from(a: TerminateArgs) -> Self {
        OperatorArgs {
            id: a.id,
            reason: a.reason,
            from_task: None,
            target: a.target,
        }
    }
}

impl From<RerunArgs> for OperatorArgs {
    fn from(a: RerunArgs) -> Self {
        OperatorArgs {
            id: a.id,
            reason: String::new(),
            from_task: a.from_task,
            target: a.target,
        }
    }
}

/// Applies an operator action; the history records who did it.
pub async fn operate(verb: Verb, args: &OperatorArgs) -> anyhow::Result<Code> {
    let operation = match verb {
        Verb::Pause => Operation::Pause,
        Verb::Terminate => Operation::Terminate {
            reason: args.reason.clone(),
        },
        Verb::Restart => Operation::Restart,
        Verb::Retry => Operation::Retry,
        Verb::Rerun => Operation::Rerun {
            from_task_id: args.from_task.clone(),
            workflow_input: None,
            task_input: None,
        },
    };
    let opened = args.target.open(Access::Operate)?;
    let operation = match operation {
        Operation::Rerun {
            from_task_id: Some(task),
            workflow_input,
            task_input,
        } => match task_id_of(opened.control.as_ref(), &args.id, &task).await {
            Ok(id) => Operation::Rerun {
                from_task_id: Some(id),
                workflow_input,
                task_input,
            },
            Err(e) => {
                opened.close().await;
                crate::errln!("error: {e}");
                return Ok(Code::Usage);
            }
        },
        other => other,
    };
    let done = opened
        .control
        .operate(OperatorCommand::new(&args.id, operation, actor()))
        .await;
    opened.close().await;
    match done {
        Ok(CommandOutcome::Applied) => {
            crate::outln!("{verb:?}: {}", args.id);
            if args.target.is_local() && matches!(verb, Verb::Restart | Verb::Retry | Verb::Rerun) {
                crate::errln!(
                    "  continue it here with: baton resume {} --db {}",
                    args.id,
                    args.target.db.display()
                );
            }
            Ok(Code::Ok)
        }
        Ok(CommandOutcome::Ignored { reason }) => {
            crate::errln!("error: {reason}");
            Ok(Code::Failed)
        }
        Err(e) => {
            crate::errln!("error: {e}");
            Ok(if e.kind() == ErrorKind::NotFound {
                Code::Usage
            } else {
                Code::Failed
            })
        }
    }
}

/// The names of the registered definitions (best effort: none when they cannot be
/// read), for "did you mean".
async fn registered_names(target: &super::target::Target) -> Vec<String> {
    let mut names: Vec<String> = registered_defs(target)
        .await
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The registered definitions: (name, display name) — a native definition's `name:`
/// is kept as its display name (or description).
async fn registered_defs(target: &super::target::Target) -> Vec<(String, Option<String>)> {
    match &target.server {
        Some(url) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let mut req = reqwest::Client::new().get(format!(
                "{}/api/metadata/workflow",
                url.trim_end_matches('/')
            ));
            if let Some(t) = target.token_for(url) {
                req = req.header("X-Authorization", t);
            }
            match req.send().await {
                Ok(r) => r
                    .json::<Vec<serde_json::Value>>()
                    .await
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|d| {
                        let display = d["baton"]["displayName"]
                            .as_str()
                            .or_else(|| d["description"].as_str())
                            .map(str::to_string);
                        d["name"].as_str().map(|n| (n.to_string(), display))
                    })
                    .collect(),
                Err(_) => Vec::new(),
            }
        }
        None => local::open_reader(&target.db)
            .and_then(|r| Ok(r.workflow_defs()?))
            .map(|defs| {
                defs.into_iter()
                    .map(|d| {
                        let display = d
                            .extra
                            .get("display_name")
                            .and_then(|v| v.as_str().map(str::to_string))
                            .or(d.description.clone());
                        (d.name, display)
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Waits until run `id` ends; prints its output; `run`'s exit code.
async fn wait_for_end(control: &dyn baton_control::Control, id: &str) -> anyhow::Result<Code> {
    let mut delay = std::time::Duration::from_millis(50);
    loop {
        let w = control.workflow(id).await?;
        if w.status.is_terminal() {
            crate::outln!("{}", serde_json::to_string_pretty(&w.output)?);
            return Ok(if w.status == WorkflowStatus::Completed {
                Code::Ok
            } else {
                crate::errln!(
                    "✗ {} {}: {}",
                    w.name,
                    w.status.as_str(),
                    w.reason.as_deref().unwrap_or("no reason recorded")
                );
                Code::Failed
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(std::time::Duration::from_secs(1));
    }
}

/// The task id `task` names in run `id`: a task id as is, or a reference name (its
/// latest attempt); else what the run's tasks are called.
async fn task_id_of(
    control: &dyn baton_control::Control,
    id: &str,
    task: &str,
) -> Result<String, String> {
    let w = control.workflow(id).await.map_err(|e| e.to_string())?;
    if w.tasks.iter().any(|t| t.task_id == task) {
        return Ok(task.to_string());
    }
    if let Some(t) = w.tasks.iter().rev().find(|t| t.ref_name == task) {
        return Ok(t.task_id.clone());
    }
    let mut refs: Vec<&str> = w.tasks.iter().map(|t| t.ref_name.as_str()).collect();
    refs.dedup();
    let hint = baton_model::validate::suggest::did_you_mean(task, refs.iter().copied())
        .map(|m| format!("did you mean `{m}`? "))
        .unwrap_or_default();
    Err(format!(
        "run {id} has no task `{task}`; {hint}its tasks: {}",
        refs.join(", ")
    ))
}
