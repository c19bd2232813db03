//! People in the loop: `baton approvals`, `approve`, `reject`, `cancel`, and the debug
//! verbs `inspect`, `step`, `continue`; the `--mode` / `--breakpoint` / `--domain`
//! arguments `run` and `start` share.

use super::local::{parse_input, time};
use super::target::{Access, Target, actor};
use crate::exit::Code;
use baton_control::{
    ApprovalKind, ApprovalView, CommandOutcome, ControlError, ErrorKind, Operation,
    OperatorCommand, WorkflowView,
};
use baton_model::RunMode;
use clap::{Args, ValueEnum};

/// An execution mode as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Every task runs as soon as it is ready.
    Auto,
    /// Gated tasks wait for an approval before they are scheduled.
    Supervised,
    /// The run pauses before every task (or at `--breakpoint`s) until stepped.
    Debug,
}

impl From<ModeArg> for RunMode {
    fn from(m: ModeArg) -> RunMode {
        match m {
            ModeArg::Auto => RunMode::Auto,
            ModeArg::Supervised => RunMode::Supervised,
            ModeArg::Debug => RunMode::Debug,
        }
    }
}

/// How a run proceeds: `--mode`, `--breakpoint`, `--domain`.
#[derive(Debug, Clone, Default, Args)]
pub struct RunModeArgs {
    /// Execution mode (default: the definition's `mode:`, else auto).
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Debug mode: pause before this task (a task ref). Repeatable; without any, a
    /// debug run pauses before every task.
    #[arg(long = "breakpoint", value_name = "REF")]
    pub breakpoints: Vec<String>,
    /// The run's domain (L2 tokens act in their own domain only).
    #[arg(long)]
    pub domain: Option<String>,
}

impl RunModeArgs {
    /// The run options these arguments choose.
    pub fn options(&self) -> baton_core::RunOptions {
        baton_core::RunOptions {
            mode: self.mode.map(Into::into),
            breakpoints: self.breakpoints.clone(),
            domain: self.domain.clone(),
            runners: None,
        }
    }

    /// Every `--breakpoint` names a task of `def`; breakpoints only pause a debug run.
    pub fn check_breakpoints(&self, def: &baton_model::WorkflowDef) -> Result<(), String> {
        for bp in &self.breakpoints {
            if def.find(bp).is_none() {
                let mut refs = Vec::new();
                let _ = def.visit(baton_model::Reach::Definition, &mut |v| {
                    refs.push(v.task.ref_name.clone());
                    std::ops::ControlFlow::<()>::Continue(())
                });
                return Err(format!(
                    "--breakpoint {bp}: `{}` has no task `{bp}`; its tasks are {}",
                    def.name,
                    refs.join(", ")
                ));
            }
        }
        if !self.breakpoints.is_empty()
            && self.mode.map(RunMode::from).or(def.mode) != Some(RunMode::Debug)
        {
            return Err("--breakpoint pauses only a debug run: add --mode debug".to_string());
        }
        Ok(())
    }
}

/// Arguments of `baton approvals`.
#[derive(Debug, Args)]
pub struct ApprovalsArgs {
    /// Only this workflow's.
    #[arg(long = "workflow", value_name = "ID")]
    pub workflow_id: Option<String>,
    /// One JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Lists what waits for a decision, oldest first.
pub async fn approvals(args: &ApprovalsArgs) -> anyhow::Result<Code> {
    let opened = args.target.open(Access::Read)?;
    let found = opened.control.approvals(args.workflow_id.as_deref()).await;
    opened.close().await;
    let waiting = match found {
        Ok(w) => w,
        Err(e) => return Ok(refused(&e)),
    };
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&waiting)?);
        return Ok(Code::Ok);
    }
    if waiting.is_empty() {
        crate::outln!("Nothing waits for a decision.");
        return Ok(Code::Ok);
    }
    for a in &waiting {
        crate::outln!("{}", describe(a));
        crate::outln!("    input: {}", a.input);
        crate::outln!(
            "    decide: baton approve {} {} [--comment TEXT]  |  baton reject {} {}",
            a.workflow_id,
            a.ref_name,
            a.workflow_id,
            a.ref_name
        );
    }
    Ok(Code::Ok)
}

/// One line about a waiting approval: what, where, since when, who may decide.
pub fn describe(a: &ApprovalView) -> String {
    let what = match a.kind {
        ApprovalKind::Human => format!("HUMAN task {}", a.ref_name),
        ApprovalKind::Gate => format!("gate before {} ({})", a.ref_name, a.task_type),
    };
    format!(
        "{what} of workflow {} ({}), waiting since {}; {:?} or higher decides",
        a.workflow_id,
        a.workflow_name,
        time(a.since),
        a.decided_by
    )
}

/// Arguments of `baton approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The workflow id.
    pub id: String,
    /// The HUMAN task's (or gated task's) reference name.
    pub task_ref: String,
    /// Why (recorded in the history and the task's output).
    #[arg(long)]
    pub comment: Option<String>,
    /// A value for the task's output, as key=value (JSON values keep their type).
    /// Repeatable.
    #[arg(long = "output", short = 'o', value_name = "KEY=VALUE")]
    pub outputs: Vec<String>,
    #[command(flatten)]
    pub target: Target,
}

/// Arguments of `baton reject`.
#[derive(Debug, Args)]
pub struct RejectArgs {
    /// The workflow id.
    pub id: String,
    /// The HUMAN task's (or gated task's) reference name.
    pub task_ref: String,
    /// Why (recorded in the history and the task's output).
    #[arg(long)]
    pub comment: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

/// Approves a HUMAN task or a gate.
pub async fn approve(args: &ApproveArgs) -> anyhow::Result<Code> {
    let output = if args.outputs.is_empty() {
        None
    } else {
        match parse_input(&args.outputs, None) {
            Ok(v) => Some(v),
            Err(e) => {
                crate::errln!("error: --output: {e:#}");
                return Ok(Code::Usage);
            }
        }
    };
    let op = Operation::Approve {
        task_ref: args.task_ref.clone(),
        comment: args.comment.clone(),
        output,
    };
    let done = send(&args.target, &args.id, op).await?;
    Ok(report(
        done,
        &format!("approved {} of {}", args.task_ref, args.id),
    ))
}

/// Rejects a HUMAN task or a gate.
pub async fn reject(args: &RejectArgs) -> anyhow::Result<Code> {
    let op = Operation::Reject {
        task_ref: args.task_ref.clone(),
        comment: args.comment.clone(),
    };
    let done = send(&args.target, &args.id, op).await?;
    Ok(report(
        done,
        &format!("rejected {} of {}", args.task_ref, args.id),
    ))
}

/// Arguments of `baton cancel`.
#[derive(Debug, Args)]
pub struct CancelArgs {
    /// The workflow id.
    pub id: String,
    /// The waiting task's reference name (a HUMAN task, or one held at a gate or
    /// breakpoint).
    pub task_ref: String,
    /// Why (recorded in the history).
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

/// Cancels a task that waits for a person.
pub async fn cancel(args: &CancelArgs) -> anyhow::Result<Code> {
    let op = Operation::CancelTask {
        task_ref: args.task_ref.clone(),
        reason: args.reason.clone(),
    };
    let done = send(&args.target, &args.id, op).await?;
    Ok(report(
        done,
        &format!("canceled {} of {}", args.task_ref, args.id),
    ))
}

/// Arguments of `baton step`.
#[derive(Debug, Args)]
pub struct StepArgs {
    /// The workflow id (a debug run).
    pub id: String,
    /// Which paused task to run (default: the first paused one).
    #[arg(long = "task", value_name = "REF")]
    pub task_ref: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

/// Arguments of `baton continue`.
#[derive(Debug, Args)]
pub struct ContinueArgs {
    /// The workflow id (a debug run).
    pub id: String,
    #[command(flatten)]
    pub target: Target,
}

/// Runs exactly one paused task of a debug run; the run pauses before the next one.
pub async fn step(args: &StepArgs) -> anyhow::Result<Code> {
    let op = Operation::Step {
        task_ref: args.task_ref.clone(),
    };
    let done = send(&args.target, &args.id, op).await?;
    Ok(report(done, &format!("stepped {}", args.id)))
}

/// Runs a debug run on to its next breakpoint.
pub async fn continue_run(args: &ContinueArgs) -> anyhow::Result<Code> {
    let done = send(&args.target, &args.id, Operation::Continue).await?;
    Ok(report(done, &format!("continued {}", args.id)))
}

/// Arguments of `baton inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The workflow id.
    pub id: String,
    /// Set a key of the paused task's input before it runs, as key=value (JSON values
    /// keep their type). Repeatable; recorded in the history with who made it.
    #[arg(long = "set-input", value_name = "KEY=VALUE")]
    pub set_input: Vec<String>,
    /// Which paused task `--set-input` changes (default: the first paused one).
    #[arg(long = "task", value_name = "REF")]
    pub task_ref: Option<String>,
    /// The whole view as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Shows the next task with its resolved input, every output so far and the variables;
/// with `--set-input`, changes the paused task's input first.
pub async fn inspect(args: &InspectArgs) -> anyhow::Result<Code> {
    if !args.set_input.is_empty() {
        let input = match parse_input(&args.set_input, None) {
            Ok(v) => v,
            Err(e) => {
                crate::errln!("error: --set-input: {e:#}");
                return Ok(Code::Usage);
            }
        };
        let task_ref = match &args.task_ref {
            Some(r) => r.clone(),
            None => match first_held(&args.target, &args.id).await? {
                Ok(Some(r)) => r,
                Ok(None) => {
                    crate::errln!(
                        "error: no task of {} is paused, so there is no input to change; --set-input changes a task paused at a breakpoint or gate",
                        args.id
                    );
                    return Ok(Code::Failed);
                }
                Err(e) => return Ok(refused(&e)),
            },
        };
        let op = Operation::SetInput {
            task_ref: task_ref.clone(),
            input,
        };
        let done = send(&args.target, &args.id, op).await?;
        if report(done, &format!("set the input of {task_ref}")) != Code::Ok {
            return Ok(Code::Failed);
        }
    }
    let opened = args.target.open(Access::Read)?;
    let found = opened.control.workflow(&args.id).await;
    opened.close().await;
    let w = match found {
        Ok(w) => w,
        Err(e) => return Ok(refused(&e)),
    };
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&w)?);
        return Ok(Code::Ok);
    }
    print_inspection(&w);
    Ok(Code::Ok)
}

fn print_inspection(w: &WorkflowView) {
    crate::outln!(
        "{} {} v{}  {}  mode {}{}",
        w.id,
        w.name,
        w.version,
        w.status.as_str(),
        w.mode.as_str(),
        if w.breakpoints.is_empty() {
            String::new()
        } else {
            format!(" (breakpoints: {})", w.breakpoints.join(", "))
        }
    );
    crate::outln!("input: {}", w.input);
    let held: Vec<_> = w.held().collect();
    if held.is_empty() {
        crate::outln!("next: nothing is paused");
    }
    for t in &held {
        let why = match t.hold {
            Some(baton_core::Hold::Gate) => "waits at a gate for approval",
            _ => "paused before it runs",
        };
        crate::outln!("next: {} ({}) {why}", t.ref_name, t.task_type);
        crate::outln!("  resolved input: {}", t.input);
    }
    let running: Vec<_> = w
        .tasks
        .iter()
        .filter(|t| t.hold.is_none() && !t.status.is_terminal())
        .collect();
    for t in running {
        crate::outln!(
            "running: {} ({}) {}",
            t.ref_name,
            t.task_type,
            t.status.as_str()
        );
    }
    crate::outln!("outputs so far:");
    let mut any = false;
    for t in w.tasks.iter().filter(|t| t.status.is_terminal()) {
        any = true;
        crate::outln!("  {} {}: {}", t.ref_name, t.status.as_str(), t.output);
    }
    if !any {
        crate::outln!("  (none yet)");
    }
    crate::outln!("variables: {}", w.variables);
    if !held.is_empty() && w.mode == RunMode::Debug {
        crate::outln!(
            "then: baton step {id}  |  baton continue {id}  |  baton inspect {id} --set-input KEY=VALUE",
            id = w.id
        );
    }
}

/// The ref of the first task `id` holds, if any.
async fn first_held(
    target: &Target,
    id: &str,
) -> anyhow::Result<Result<Option<String>, ControlError>> {
    let opened = target.open(Access::Read)?;
    let found = opened.control.workflow(id).await;
    opened.close().await;
    Ok(found.map(|w| w.held().next().map(|t| t.ref_name.clone())))
}

/// Sends one operator command to the target.
pub(crate) async fn send(
    target: &Target,
    id: &str,
    operation: Operation,
) -> anyhow::Result<Result<CommandOutcome, ControlError>> {
    let opened = target.open(Access::Operate)?;
    let done = opened
        .control
        .operate(OperatorCommand::new(id, operation, actor()))
        .await;
    opened.close().await;
    Ok(done)
}

/// Prints what became of a command; its exit code.
fn report(done: Result<CommandOutcome, ControlError>, what: &str) -> Code {
    match done {
        Ok(CommandOutcome::Applied) => {
            crate::outln!("{what}");
            Code::Ok
        }
        Ok(CommandOutcome::Ignored { reason }) => {
            crate::errln!("error: nothing changed: {reason}");
            Code::Failed
        }
        Err(e) => refused(&e),
    }
}

/// Prints a refusal; exit 2 for what the caller got wrong (unknown workflow or task,
/// bad input), 1 for what the run's state or the caller's authority refused.
fn refused(e: &ControlError) -> Code {
    crate::errln!("error: {e}");
    match e.kind() {
        ErrorKind::NotFound | ErrorKind::InvalidInput => Code::Usage,
        _ => Code::Failed,
    }
}
