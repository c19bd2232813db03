//! People in the loop over HTTP: what waits for a decision, approve / reject, cancel a
//! waiting task, and the debug verbs (step, continue, change a paused task's input).
//!
//! The handlers go through [`baton_control::EngineControl`], the same operator API the
//! CLI uses in process, so a view or a command means the same whichever face asks.
//! Who asks is the request's operator principal; the decider's `authorize` decides
//! whether that principal may.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, json_body};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use baton_control::{
    ApprovalView, CommandOutcome, Control, ControlError, EngineControl, ErrorKind, Operation,
    OperatorCommand,
};
use baton_core::Principal;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this module.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(approvals))
        .routes(routes!(decide))
        .routes(routes!(cancel_task))
        .routes(routes!(step))
        .routes(routes!(continue_run))
        .routes(routes!(set_input))
}

/// `GET /api/v1/approvals` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
struct ApprovalsQuery {
    /// Only this workflow's.
    workflow_id: Option<String>,
}

/// What waits for a decision (HUMAN tasks and supervised runs' gates) in running and
/// paused workflows, oldest first: each with its workflow, task ref, since when, the
/// task's resolved input and the least role that may decide it.
#[utoipa::path(get, path = "/api/v1/approvals", tag = "people", params(ApprovalsQuery),
    responses(
        (status = 200, description = "What waits (a JSON array of approvals)", content_type = "application/json"),
        (status = 404, description = "No such workflow", body = ErrorBody),
    ))]
async fn approvals(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<ApprovalsQuery>,
) -> ApiResult<Json<Vec<ApprovalView>>> {
    let control = EngineControl::new(st.engine.clone());
    let found = control
        .approvals(q.workflow_id.as_deref())
        .await
        .map_err(api_error)?;
    Ok(Json(found))
}

/// The body of a decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    /// `approve` or `reject`.
    decision: String,
    /// Why (recorded in the history and the task's output).
    #[serde(default)]
    comment: Option<String>,
    /// Values for the HUMAN task's output (approve only).
    #[serde(default)]
    output: Option<Value>,
}

/// Approves or rejects a HUMAN task or a supervised run's gate. Approve completes the
/// HUMAN task (`output` merged into its output, under who decided, their role, when and
/// the comment) or schedules the gated task; reject fails it (a gate with
/// `on_reject: skip` is skipped). Deciding needs the task's role (L0 by default; L0 for
/// a gate).
#[utoipa::path(post, path = "/api/v1/workflows/{workflowId}/approvals/{taskRef}", tag = "people",
    params(
        ("workflowId" = String, Path, description = "Workflow id"),
        ("taskRef" = String, Path, description = "The waiting task's reference name"),
    ),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "Recorded"),
        (status = 400, description = "Not a decision", body = ErrorBody),
        (status = 403, description = "The caller's role may not decide it", body = ErrorBody),
        (status = 404, description = "No such workflow or task", body = ErrorBody),
        (status = 409, description = "The task does not wait for a decision", body = ErrorBody),
    ))]
async fn decide(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath((id, task_ref)): ApiPath<(String, String)>,
    body: Bytes,
) -> ApiResult<()> {
    let body: DecisionBody = json_body(&body, "decision", None)?;
    let operation = match body.decision.to_ascii_lowercase().as_str() {
        "approve" | "approved" => Operation::Approve {
            task_ref,
            comment: body.comment,
            output: body.output,
        },
        "reject" | "rejected" => {
            if body.output.as_ref().is_some_and(|o| !o.is_null()) {
                return Err(ApiError::bad_request(
                    "`output` is for approvals only; a rejection records the comment",
                ));
            }
            Operation::Reject {
                task_ref,
                comment: body.comment,
            }
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "`decision` must be \"approve\" or \"reject\", not {other:?}"
            )));
        }
    };
    if let Operation::Approve {
        output: Some(o), ..
    } = &operation
        && !o.is_object()
        && !o.is_null()
    {
        return Err(ApiError::bad_request(
            "`output` must be a JSON object of keys and values",
        ));
    }
    operate(&st, &id, operation, caller.principal.clone()).await
}

/// The body of a cancel.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CancelBody {
    /// Why (recorded in the history).
    #[serde(default)]
    reason: Option<String>,
}

/// Cancels a task that waits for a person (a HUMAN task, or one held at a gate or
/// breakpoint): it ends CANCELED, which the workflow treats as the task's failure.
#[utoipa::path(post, path = "/api/v1/workflows/{workflowId}/tasks/{taskRef}/cancel", tag = "people",
    params(
        ("workflowId" = String, Path, description = "Workflow id"),
        ("taskRef" = String, Path, description = "The waiting task's reference name"),
    ),
    request_body = CancelBody,
    responses(
        (status = 200, description = "Canceled"),
        (status = 403, description = "The caller's role may not", body = ErrorBody),
        (status = 404, description = "No such workflow or task", body = ErrorBody),
        (status = 409, description = "The task does not wait for a person", body = ErrorBody),
    ))]
async fn cancel_task(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath((id, task_ref)): ApiPath<(String, String)>,
    body: Bytes,
) -> ApiResult<()> {
    let body: CancelBody = json_body(&body, "cancel", Some(CancelBody::default()))?;
    let operation = Operation::CancelTask {
        task_ref,
        reason: body.reason,
    };
    operate(&st, &id, operation, caller.principal.clone()).await
}

/// The body of a step.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StepBody {
    /// The paused task to run (default: the first paused one).
    #[serde(default)]
    task_ref: Option<String>,
}

/// Debug run: runs exactly one paused task; the run pauses before the next one.
#[utoipa::path(post, path = "/api/v1/workflows/{workflowId}/debug/step", tag = "people",
    params(("workflowId" = String, Path, description = "Workflow id")),
    request_body = StepBody,
    responses(
        (status = 200, description = "Stepped"),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "Not a debug run, or nothing is paused", body = ErrorBody),
    ))]
async fn step(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<()> {
    let body: StepBody = json_body(&body, "step", Some(StepBody::default()))?;
    let operation = Operation::Step {
        task_ref: body.task_ref,
    };
    operate(&st, &id, operation, caller.principal.clone()).await
}

/// Debug run: runs every paused task and on to the next breakpoint.
#[utoipa::path(post, path = "/api/v1/workflows/{workflowId}/debug/continue", tag = "people",
    params(("workflowId" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "Continued"),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "Not a debug run, or nothing is paused", body = ErrorBody),
    ))]
async fn continue_run(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<()> {
    operate(&st, &id, Operation::Continue, caller.principal.clone()).await
}

/// Sets keys of a paused task's input (a JSON object merged over it) before it runs;
/// the edit is recorded in the history with who made it.
#[utoipa::path(put, path = "/api/v1/workflows/{workflowId}/tasks/{taskRef}/input", tag = "people",
    params(
        ("workflowId" = String, Path, description = "Workflow id"),
        ("taskRef" = String, Path, description = "The paused task's reference name"),
    ),
    responses(
        (status = 200, description = "Changed"),
        (status = 400, description = "Not a JSON object", body = ErrorBody),
        (status = 404, description = "No such workflow or task", body = ErrorBody),
        (status = 409, description = "The task is not paused", body = ErrorBody),
    ))]
async fn set_input(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath((id, task_ref)): ApiPath<(String, String)>,
    body: Bytes,
) -> ApiResult<()> {
    let input: Value = json_body(&body, "task input", None)?;
    if !input.is_object() {
        return Err(ApiError::bad_request(
            "the body must be a JSON object of the input keys to set",
        ));
    }
    operate(
        &st,
        &id,
        Operation::SetInput { task_ref, input },
        caller.principal.clone(),
    )
    .await
}

/// Applies one operator command through the operator API.
async fn operate(st: &AppState, id: &str, operation: Operation, by: Principal) -> ApiResult<()> {
    let control = EngineControl::new(st.engine.clone());
    match control
        .operate(OperatorCommand::new(id, operation, by))
        .await
        .map_err(api_error)?
    {
        CommandOutcome::Applied => Ok(()),
        // A person must hear that their action did not count (decided twice, too late).
        CommandOutcome::Ignored { reason } => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("nothing changed: {reason}"),
        )),
    }
}

/// The HTTP answer to an operator API error, keeping its kind.
fn api_error(e: ControlError) -> ApiError {
    let status = match e.kind() {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::InvalidInput => StatusCode::BAD_REQUEST,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Transport | ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    ApiError::new(status, e.message().to_string())
}
