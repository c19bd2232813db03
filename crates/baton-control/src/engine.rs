//! [`EngineControl`]: the operator API in process, over the engine (or, read-only,
//! over a store another process runs).

use crate::{
    CommandOutcome, Control, ControlError, ControlFuture, ErrorKind, HistoryEvent, HistoryItem,
    ListFilter, OperatorCommand, StartRequest, TaskView, WorkflowSummary, WorkflowView,
};
use baton_core::{Outcome, WorkflowState};
use baton_model::WorkflowDef;
use baton_runtime::{EngineError, EngineHandle, StartWorkflow};
use baton_store::{Reader, StoreError, WorkflowFilter, WorkflowMeta};
use serde_json::Value;
use std::sync::Arc;

/// Opens a read-only view of a store.
type OpenReader = dyn Fn() -> Result<Box<dyn Reader>, StoreError> + Send + Sync;

/// The operator API over an engine in this process. Reads run on tokio's blocking pool
/// (store reads are synchronous); commands go to the engine thread and are answered
/// after their commit.
#[derive(Clone)]
pub struct EngineControl {
    engine: Option<EngineHandle>,
    readers: Arc<OpenReader>,
}

impl EngineControl {
    /// Over a running engine: reads from its readers, commands through its handle.
    pub fn new(engine: EngineHandle) -> Self {
        let reads = engine.clone();
        EngineControl {
            engine: Some(engine),
            readers: Arc::new(move || {
                reads.reader().map_err(|e| match e {
                    EngineError::Store(s) => s,
                    other => StoreError::Unavailable(other.to_string()),
                })
            }),
        }
    }

    /// Read-only, over readers `open` hands out (a database another process may be
    /// running: no engine, no lock). Commands answer [`ErrorKind::Unavailable`].
    pub fn read_only(
        open: impl Fn() -> Result<Box<dyn Reader>, StoreError> + Send + Sync + 'static,
    ) -> Self {
        EngineControl {
            engine: None,
            readers: Arc::new(open),
        }
    }

    fn engine(&self) -> Result<&EngineHandle, ControlError> {
        self.engine.as_ref().ok_or_else(|| {
            ControlError::new(
                ErrorKind::Unavailable,
                "this view of the store is read-only: it has no engine to send commands to",
            )
        })
    }

    /// Runs `f` on a fresh reader on the blocking pool.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Reader) -> Result<T, ControlError> + Send + 'static,
    ) -> Result<T, ControlError> {
        let open = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let reader = open()?;
            f(reader.as_ref())
        })
        .await
        .map_err(|e| ControlError::new(ErrorKind::Internal, format!("a read failed: {e}")))?
    }
}

fn no_workflow(id: &str) -> ControlError {
    ControlError::not_found(format!("no workflow with id `{id}`"))
}

/// The view of a stored workflow; `def` (its definition) gives the tasks' roles.
pub(crate) fn workflow_view(s: &WorkflowState, def: Option<&WorkflowDef>) -> WorkflowView {
    WorkflowView {
        id: s.workflow_id.clone(),
        name: s.name.clone(),
        version: s.version,
        status: s.status,
        reason: s.reason.clone(),
        correlation_id: s.correlation_id.clone(),
        parent_workflow_id: s.parent.as_ref().map(|p| p.workflow_id.clone()),
        input: s.input.clone(),
        output: s.output.clone(),
        created_at: s.created_at,
        updated_at: s.updated_at,
        ended_at: s.ended_at,
        tasks: s
            .tasks
            .iter()
            .map(|t| TaskView {
                task_id: t.task_id.clone(),
                ref_name: t.ref_name.clone(),
                def_ref: t.def_ref.clone(),
                name: t.name.clone(),
                task_type: t.task_type.to_string(),
                status: t.status,
                attempt: t.attempt,
                input: t.input.clone(),
                output: t.output.clone(),
                reason: t.reason.clone(),
                worker_id: t.worker_id.clone(),
                scheduled_at: t.scheduled_at,
                started_at: t.started_at,
                ended_at: t.ended_at,
                role: def.and_then(|d| d.find(&t.def_ref)).and_then(|d| d.role),
                hold: t.hold,
            })
            .collect(),
        mode: s.run.mode,
        breakpoints: s.run.breakpoints.clone(),
        domain: s.run.domain.clone(),
        variables: Value::Object(s.variables.clone()),
        description: def.and_then(|d| d.description.clone()),
        planned: def.map(crate::workset::planned_refs).unwrap_or_default(),
    }
}

/// The id of `task_ref`'s latest attempt in `w`, or why there is none.
pub(crate) fn current_attempt(w: &WorkflowView, task_ref: &str) -> Result<String, ControlError> {
    w.tasks
        .iter()
        .rev()
        .find(|t| t.ref_name == task_ref)
        .map(|t| t.task_id.clone())
        .ok_or_else(|| {
            let waiting: Vec<String> = crate::ApprovalView::waiting_in(w)
                .into_iter()
                .map(|a| a.ref_name)
                .collect();
            ControlError::not_found(format!(
                "workflow {} has no task `{task_ref}` scheduled{}",
                w.id,
                if waiting.is_empty() {
                    String::new()
                } else {
                    format!("; waiting for a decision: {}", waiting.join(", "))
                }
            ))
        })
}

fn summary(m: WorkflowMeta) -> WorkflowSummary {
    WorkflowSummary {
        id: m.id,
        name: m.name,
        version: m.version,
        status: m.status,
        correlation_id: m.correlation_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

impl Control for EngineControl {
    fn register_workflow_def<'a>(&'a self, def: &'a WorkflowDef) -> ControlFuture<'a, ()> {
        Box::pin(async move {
            self.engine()?
                .register_workflow_def(def.clone())
                .await
                .map_err(Into::into)
        })
    }

    fn start<'a>(&'a self, req: StartRequest) -> ControlFuture<'a, String> {
        Box::pin(async move {
            let start = StartWorkflow {
                name: req.name,
                version: req.version,
                input: req.input,
                correlation_id: req.correlation_id,
                options: baton_core::RunOptions {
                    mode: req.mode,
                    breakpoints: req.breakpoints,
                    domain: req.domain,
                    runners: None,
                },
                by: req.by,
                ..Default::default()
            };
            self.engine()?.start(start).await.map_err(|e| match e {
                // What the decider refuses at a start is the caller's input.
                EngineError::Rejected(r) if r.kind == baton_core::RefusalKind::Forbidden => {
                    (&r).into()
                }
                EngineError::Rejected(r) => ControlError::new(ErrorKind::InvalidInput, r.message),
                other => other.into(),
            })
        })
    }

    fn workflow<'a>(&'a self, id: &'a str) -> ControlFuture<'a, WorkflowView> {
        let id = id.to_string();
        Box::pin(self.read(move |r| {
            let w = r.workflow(&id)?.ok_or_else(|| no_workflow(&id))?;
            let def = r.definition(&w.meta.def_hash)?;
            Ok(workflow_view(&w.state, def.as_ref()))
        }))
    }

    fn list<'a>(&'a self, filter: &'a ListFilter) -> ControlFuture<'a, Vec<WorkflowSummary>> {
        let filter = WorkflowFilter {
            name: filter.name.clone(),
            statuses: filter.statuses.clone(),
            correlation_id: filter.correlation_id.clone(),
            limit: filter.size,
            offset: filter.start,
            ..Default::default()
        };
        Box::pin(self.read(move |r| {
            Ok(r.list_workflows(&filter)?
                .into_iter()
                .map(summary)
                .collect())
        }))
    }

    fn history<'a>(&'a self, id: &'a str) -> ControlFuture<'a, Vec<HistoryItem>> {
        let id = id.to_string();
        Box::pin(self.read(move |r| {
            if r.workflow(&id)?.is_none() {
                return Err(no_workflow(&id));
            }
            Ok(r.history(&id)?
                .into_iter()
                .map(|h| HistoryItem {
                    seq: h.seq,
                    at: h.at,
                    event: HistoryEvent::Known(h.event),
                })
                .collect())
        }))
    }

    fn operate<'a>(&'a self, command: OperatorCommand) -> ControlFuture<'a, CommandOutcome> {
        Box::pin(async move {
            let engine = self.engine()?;
            let id = command.workflow_id.as_str();
            let task_id = match command.operation.decided_task() {
                Some(task_ref) => Some(current_attempt(&self.workflow(id).await?, task_ref)?),
                None => None,
            };
            let Some(event) = command.event(task_id.as_deref()) else {
                // Remove deletes rather than records.
                return if engine.remove_workflow(id).await? {
                    Ok(CommandOutcome::Applied)
                } else {
                    Err(no_workflow(id))
                };
            };
            match engine.send(id, event).await? {
                Outcome::Applied => Ok(CommandOutcome::Applied),
                Outcome::Ignored(why) => Ok(CommandOutcome::Ignored {
                    reason: why.message,
                }),
                Outcome::Rejected(why) => Err((&why).into()),
            }
        })
    }
}
