//! [`HttpControl`]: the operator API over a Baton (or Conductor) server.

mod client;
mod wire;

pub use client::{Client, search_query};
pub use wire::WireSummary;

use crate::{
    CommandOutcome, Control, ControlError, ControlFuture, HistoryItem, ListFilter, Operation,
    OperatorCommand, StartRequest, WorkflowSummary, WorkflowView,
};
use baton_model::WorkflowDef;

/// The operator API over a server's HTTP API. The server decides who the caller is
/// (its operator principal, until tokens exist): a command's `actor` is not sent.
#[derive(Debug, Clone)]
pub struct HttpControl {
    client: Client,
}

impl HttpControl {
    /// Over the server at `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base_url: &str) -> Result<Self, ControlError> {
        Ok(HttpControl {
            client: Client::new(base_url)?,
        })
    }

    /// This control, authenticating with `token` (`KEY_ID:KEY_SECRET`).
    pub fn with_token(self, token: Option<String>) -> Self {
        HttpControl {
            client: self.client.with_token(token),
        }
    }

    /// Over the server listening on the Unix socket at `socket` (the control socket a
    /// local `baton run` serves beside its database).
    #[cfg(unix)]
    pub fn unix(socket: &std::path::Path) -> Result<Self, ControlError> {
        Ok(HttpControl {
            client: Client::unix(socket)?,
        })
    }

    /// The raw client (Conductor JSON), for what the views do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Control for HttpControl {
    fn register_workflow_def<'a>(&'a self, def: &'a WorkflowDef) -> ControlFuture<'a, ()> {
        Box::pin(self.client.register_workflow_def(def))
    }

    fn start<'a>(&'a self, req: StartRequest) -> ControlFuture<'a, String> {
        Box::pin(async move { self.client.start_request(&req).await })
    }

    fn approvals<'a>(
        &'a self,
        workflow_id: Option<&'a str>,
    ) -> ControlFuture<'a, Vec<crate::ApprovalView>> {
        Box::pin(self.client.approvals(workflow_id))
    }

    fn workflow<'a>(&'a self, id: &'a str) -> ControlFuture<'a, WorkflowView> {
        Box::pin(async move {
            let json = self.client.workflow(id, true).await?;
            let wire: wire::WireWorkflow = serde_json::from_value(json).map_err(|e| {
                ControlError::new(
                    crate::ErrorKind::Internal,
                    format!("unexpected workflow JSON from the server: {e}"),
                )
            })?;
            wire.into_view()
        })
    }

    fn list<'a>(&'a self, filter: &'a ListFilter) -> ControlFuture<'a, Vec<WorkflowSummary>> {
        Box::pin(async move {
            self.client
                .list(filter)
                .await?
                .into_iter()
                .map(WireSummary::into_view)
                .collect()
        })
    }

    fn history<'a>(&'a self, id: &'a str) -> ControlFuture<'a, Vec<HistoryItem>> {
        Box::pin(self.client.history(id))
    }

    fn operate<'a>(&'a self, command: OperatorCommand) -> ControlFuture<'a, CommandOutcome> {
        Box::pin(async move {
            let c = &self.client;
            let id = command.workflow_id.as_str();
            match command.operation {
                Operation::Pause => c.pause(id).await?,
                Operation::Resume => c.resume(id).await?,
                Operation::Terminate { reason } => c.terminate(id, &reason).await?,
                Operation::Restart => c.restart(id).await?,
                Operation::Retry => c.retry(id).await?,
                Operation::Rerun {
                    from_task_id,
                    workflow_input,
                    task_input,
                } => {
                    c.rerun(id, from_task_id.as_deref(), workflow_input, task_input)
                        .await?;
                }
                Operation::SkipTask { ref_name } => c.skip_task(id, &ref_name).await?,
                Operation::Remove => c.remove(id).await?,
                Operation::Approve {
                    task_ref,
                    comment,
                    output,
                } => {
                    c.decide(id, &task_ref, true, comment.as_deref(), output.as_ref())
                        .await?
                }
                Operation::Reject { task_ref, comment } => {
                    c.decide(id, &task_ref, false, comment.as_deref(), None)
                        .await?
                }
                Operation::CancelTask { task_ref, reason } => {
                    c.cancel_task(id, &task_ref, reason.as_deref()).await?
                }
                Operation::Step { task_ref } => c.step(id, task_ref.as_deref()).await?,
                Operation::Continue => c.continue_run(id).await?,
                Operation::SetInput { task_ref, input } => {
                    c.set_input(id, &task_ref, &input).await?
                }
            }
            Ok(CommandOutcome::Applied)
        })
    }
}
