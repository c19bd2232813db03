//! One operator API for every face (CLI, terminal UI, web UI, chat bridges).
//!
//! - [`view`]: plain, serialisable views of what an operator looks at: a workflow with
//!   its tasks, a list row, a history item, a waiting approval; [`ConductorWorkflow`]
//!   prints a workflow view in Conductor's JSON shape.
//! - [`command`]: what an operator does ([`OperatorCommand`]: an [`Operation`] on a
//!   workflow, with the actor that asks for it).
//! - [`Control`]: one async trait with the verbs and views; every face talks to it and
//!   does not care where the engine is.
//! - Implementations, each behind a cargo feature so a face links only what it uses:
//!   `engine` (default) gives [`EngineControl`], in process over a
//!   `baton_runtime::EngineHandle` (or a read-only store for inspecting a database that
//!   another process runs); `http` (default) gives [`HttpControl`], over a Baton (or
//!   Conductor) server. Neither links axum or the server crate.
//!
//! Errors are one [`ControlError`] whose [`ErrorKind`] says what went wrong whichever
//! implementation answered (not found, conflict, forbidden, invalid input, unavailable,
//! transport, internal).

pub mod command;
mod conductor;
mod error;
pub mod view;
pub mod workset;

#[cfg(feature = "engine")]
mod engine;
#[cfg(feature = "http")]
pub mod http;

pub use command::{CommandOutcome, Operation, OperatorCommand};
pub use conductor::ConductorWorkflow;
pub use error::{ControlError, ErrorKind};
pub use view::{
    ApprovalKind, ApprovalView, HistoryEvent, HistoryItem, ListFilter, StartRequest, TaskView,
    WorkflowSummary, WorkflowView,
};
pub use workset::WorksetView;

#[cfg(feature = "engine")]
pub use engine::EngineControl;
#[cfg(feature = "http")]
pub use http::HttpControl;

use baton_core::WorkflowStatus;
use baton_model::WorkflowDef;
use std::future::Future;
use std::pin::Pin;

/// How many running and paused workflows (newest first) [`Control::approvals`] looks
/// into when no workflow is named.
pub const MAX_APPROVAL_SCAN: usize = 1_000;

/// The future every [`Control`] method returns (boxed, so `dyn Control` works).
pub type ControlFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ControlError>> + Send + 'a>>;

/// The operator API: the verbs and views a face needs, wherever the engine runs.
pub trait Control: Send + Sync {
    /// Registers (or replaces) a workflow definition.
    fn register_workflow_def<'a>(&'a self, def: &'a WorkflowDef) -> ControlFuture<'a, ()>;

    /// Starts a registered workflow; answers its id once the start is committed.
    fn start<'a>(&'a self, req: StartRequest) -> ControlFuture<'a, String>;

    /// A workflow with its tasks ([`ErrorKind::NotFound`] when there is none).
    fn workflow<'a>(&'a self, id: &'a str) -> ControlFuture<'a, WorkflowView>;

    /// Workflows matching `filter`, newest first.
    fn list<'a>(&'a self, filter: &'a ListFilter) -> ControlFuture<'a, Vec<WorkflowSummary>>;

    /// A workflow's history (its audit trail), oldest first ([`ErrorKind::NotFound`]
    /// when there is no such workflow).
    fn history<'a>(&'a self, id: &'a str) -> ControlFuture<'a, Vec<HistoryItem>>;

    /// Applies an operator command. A command the engine refuses is an error with the
    /// refusal's kind; one it ignores (it changes nothing, e.g. it already happened) is
    /// [`CommandOutcome::Ignored`].
    fn operate<'a>(&'a self, command: OperatorCommand) -> ControlFuture<'a, CommandOutcome>;

    /// A run as the seeds' workset: goal, owner, progress, tasks, failures, approvals.
    /// Built on [`Control::workflow`] and [`Control::history`], so every implementation
    /// answers the same.
    fn workset<'a>(&'a self, id: &'a str) -> ControlFuture<'a, WorksetView> {
        Box::pin(async move {
            let w = self.workflow(id).await?;
            let history = self.history(id).await?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                .unwrap_or(0);
            Ok(WorksetView::of(&w, workset::owner_of(&history), now))
        })
    }

    /// The HUMAN tasks and gates waiting for a decision, in running and paused
    /// workflows (of `workflow_id` only, when given; else of the newest
    /// [`MAX_APPROVAL_SCAN`]), oldest first.
    ///
    /// Built on [`Control::list`] and [`Control::workflow`], so every implementation
    /// answers the same; an implementation with a cheaper query may override it.
    fn approvals<'a>(
        &'a self,
        workflow_id: Option<&'a str>,
    ) -> ControlFuture<'a, Vec<ApprovalView>> {
        Box::pin(async move {
            let ids = match workflow_id {
                Some(id) => vec![id.to_string()],
                None => {
                    // Bounded: a request never reads more than this many workflows.
                    let filter = ListFilter {
                        statuses: vec![WorkflowStatus::Running, WorkflowStatus::Paused],
                        size: MAX_APPROVAL_SCAN,
                        ..Default::default()
                    };
                    self.list(&filter)
                        .await?
                        .into_iter()
                        .map(|w| w.id)
                        .collect()
                }
            };
            let mut out = Vec::new();
            for id in ids {
                let w = match self.workflow(&id).await {
                    Ok(w) => w,
                    // Removed between the list and the read: nothing waits there.
                    Err(e) if e.kind() == ErrorKind::NotFound && workflow_id.is_none() => continue,
                    Err(e) => return Err(e),
                };
                out.extend(ApprovalView::waiting_in(&w));
            }
            out.sort_by_key(|a| a.since);
            Ok(out)
        })
    }
}
