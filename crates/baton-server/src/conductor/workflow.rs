//! `/api/workflow`: starting, inspecting, searching and operating workflows.

use crate::app::{AppState, read, text};
use crate::conductor::metadata::{off_thread, parse_body, workflow_def_from_node};
use crate::conductor::model::{
    RerunWorkflowRequest, SearchResult, SkipTaskRequest, StartWorkflowRequest, Workflow,
    WorkflowSummary,
};
use crate::conductor::search;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, flag, json_body};
use crate::limits::check_name;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use baton_core::RefusalKind;
use baton_core::{Event, Outcome, WorkflowStatus};
use baton_runtime::{EngineError, IdempotencyStrategy, StartWorkflow};
use baton_store::WorkflowFilter;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this module.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_workflow))
        .routes(routes!(start_by_name, get_workflow, terminate))
        .routes(routes!(running))
        .routes(routes!(search_workflows))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(restart))
        .routes(routes!(retry))
        .routes(routes!(rerun))
        .routes(routes!(skip_task))
        .routes(routes!(remove))
}

/// Starts a workflow; engine rejections at start are the caller's input (400).
/// `inline` is a definition the handler already validated (it is not validated again).
async fn start(
    st: &AppState,
    req: StartWorkflow,
    inline: Option<baton_model::ValidatedDef>,
) -> ApiResult<String> {
    check_name("name", &req.name)?;
    let ids = [
        ("correlationId", &req.correlation_id),
        ("workflowId", &req.workflow_id),
        ("idempotencyKey", &req.idempotency_key),
    ];
    for (field, value) in ids {
        if let Some(value) = value {
            check_name(field, value)?;
        }
    }
    let started = match inline {
        Some(def) => st.engine.start_validated(req, def).await,
        None => st.engine.start(req).await,
    };
    started.map_err(|e| match e {
        // Authority is the caller's to fix (403); anything else a start refuses is its
        // input (400).
        EngineError::Rejected(r) if r.kind == RefusalKind::Forbidden => ApiError::refused(&r),
        EngineError::Rejected(r) => ApiError::bad_request(r.message),
        other => other.into(),
    })
}

fn check_priority(p: Option<i64>) -> ApiResult<()> {
    match p {
        Some(p) if !(0..=99).contains(&p) => Err(ApiError::bad_request(format!(
            "priority must be between 0 and 99, not {p}"
        ))),
        _ => Ok(()),
    }
}

fn object_input(v: Value) -> ApiResult<Value> {
    match v {
        Value::Object(_) => Ok(v),
        Value::Null => Ok(Value::Object(Default::default())),
        other => Err(ApiError::bad_request(format!(
            "the workflow input must be a JSON object, not {}",
            match other {
                Value::Array(_) => "a list",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                _ => "a boolean",
            }
        ))),
    }
}

/// Query of `POST /api/workflow/{name}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StartQuery {
    /// Version; the latest when absent.
    version: Option<u32>,
    /// Correlation id.
    correlation_id: Option<String>,
    /// Priority 0..99 (accepted; Baton does not order by priority).
    priority: Option<i64>,
}

/// Starts a registered workflow with the body as input; answers its id.
#[utoipa::path(post, path = "/api/workflow/{workflowId}", tag = "workflow",
    params(("workflowId" = String, Path, description = "For this POST: the name of the definition to start"), StartQuery),
    request_body(content = Object, description = "The workflow input", content_type = "application/json"),
    responses(
        (status = 200, description = "The new workflow's id", body = String, content_type = "text/plain"),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 404, description = "No such definition", body = ErrorBody),
    ))]
async fn start_by_name(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<StartQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    check_priority(q.priority)?;
    let input = object_input(json_body(
        &body,
        "workflow input (a JSON object)",
        Some(Value::Null),
    )?)?;
    let id = start(
        &st,
        StartWorkflow {
            name,
            version: q.version,
            input,
            correlation_id: q.correlation_id,
            options: baton_core::RunOptions {
                domain: own_domain(&caller),
                ..Default::default()
            },
            by: Some(caller.principal.clone()),
            ..Default::default()
        },
        None,
    )
    .await?;
    Ok(text(id))
}

/// Starts a workflow from a `StartWorkflowRequest`; answers its id.
#[utoipa::path(post, path = "/api/workflow", tag = "workflow",
    request_body = StartWorkflowRequest,
    responses(
        (status = 200, description = "The workflow's id", body = String, content_type = "text/plain"),
        (status = 400, description = "Bad request", body = ErrorBody),
        (status = 404, description = "No such definition", body = ErrorBody),
        (status = 409, description = "idempotencyStrategy FAIL / FAIL_ON_RUNNING and the key was used", body = ErrorBody),
    ))]
async fn start_workflow(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    body: Bytes,
) -> ApiResult<Response> {
    let req: StartWorkflowRequest = json_body(&body, "StartWorkflowRequest", None)?;
    check_priority(req.priority)?;
    if req.task_to_domain.as_ref().is_some_and(|m| !m.is_empty()) {
        return Err(ApiError::bad_request(
            "taskToDomain is not supported: Baton has no task domains; leave it empty",
        ));
    }
    let definition = match &req.workflow_def {
        None | Some(Value::Null) => None,
        Some(v) => {
            let text = v.to_string();
            let def = off_thread(move || {
                let node = parse_body(text.as_bytes())?;
                workflow_def_from_node(&node, "workflowDef").map_err(|errors| {
                    let first = errors
                        .first()
                        .map(|e| e.message.clone())
                        .unwrap_or_default();
                    ApiError::invalid(
                        format!("workflowDef is not a valid definition; first problem: {first}"),
                        errors,
                    )
                })
            })
            .await?;
            Some(def)
        }
    };
    let name = match (&req.name, &definition) {
        (Some(n), _) if !n.trim().is_empty() => n.clone(),
        (_, Some(d)) => d.name.clone(),
        _ => {
            return Err(ApiError::bad_request(
                "`name` is required (or give an inline `workflowDef`)",
            ));
        }
    };
    let input = object_input(req.input.clone().unwrap_or(Value::Null))?;
    let key = req.idempotency_key.clone().filter(|k| !k.is_empty());
    // The engine decides what a used key means, in the start's transaction.
    // (Without a key, the strategy is not read, as Conductor does.)
    let strategy = match req
        .idempotency_strategy
        .as_deref()
        .filter(|_| key.is_some())
    {
        None => IdempotencyStrategy::ReturnExisting,
        Some(name) => IdempotencyStrategy::parse(name).ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown idempotencyStrategy `{name}`; use RETURN_EXISTING, FAIL or FAIL_ON_RUNNING"
            ))
        })?,
    };
    let id = start(
        &st,
        StartWorkflow {
            name,
            version: req.version,
            input,
            correlation_id: req.correlation_id.clone(),
            idempotency_key: key,
            idempotency_strategy: strategy,
            options: baton_core::RunOptions {
                mode: req.mode,
                breakpoints: req.breakpoints.clone().unwrap_or_default(),
                domain: req.domain.clone().or_else(|| own_domain(&caller)),
                runners: None,
            },
            by: Some(caller.principal.clone()),
            ..Default::default()
        },
        definition,
    )
    .await?;
    Ok(text(id))
}

/// The domain a start by an L2 caller gets when it names none: the caller's own.
fn own_domain(caller: &crate::auth::Caller) -> Option<String> {
    (caller.principal.role == baton_model::Role::L2)
        .then(|| caller.principal.domain.clone())
        .flatten()
}

/// Query of `GET /api/workflow/{workflowId}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetQuery {
    /// Include the task list (default true).
    include_tasks: Option<String>,
}

/// A workflow with its tasks (Conductor's Workflow JSON).
#[utoipa::path(get, path = "/api/workflow/{workflowId}", tag = "workflow",
    params(("workflowId" = String, Path, description = "Workflow id"), GetQuery),
    responses(
        (status = 200, description = "The workflow", body = Workflow),
        (status = 404, description = "No such workflow", body = ErrorBody),
    ))]
async fn get_workflow(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<GetQuery>,
) -> ApiResult<Json<Workflow>> {
    let include = flag(q.include_tasks.as_deref(), "includeTasks", true)?;
    let wid = id.clone();
    let found = read(&st, move |r| {
        let Some(w) = r.workflow(&wid)? else {
            return Ok(None);
        };
        let def = r
            .definition(&w.meta.def_hash)?
            .map(|d| baton_model::conductor::export(&d));
        Ok(Some(Workflow::from_state(&w.state, include, def)))
    })
    .await?;
    found
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no workflow with id `{id}`")))
}

/// Query of `DELETE /api/workflow/{workflowId}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TerminateQuery {
    /// Why (recorded as the reason for incompletion).
    reason: Option<String>,
    /// Start the failure workflow (not supported: must be false).
    trigger_failure_workflow: Option<String>,
}

async fn operate(st: &AppState, id: &str, event: Event) -> ApiResult<()> {
    match st.engine.send(id, event).await? {
        Outcome::Applied | Outcome::Ignored(_) => Ok(()),
        Outcome::Rejected(r) => Err(ApiError::refused(&r)),
    }
}

/// Terminates a workflow.
#[utoipa::path(delete, path = "/api/workflow/{workflowId}", tag = "workflow",
    params(("workflowId" = String, Path, description = "Workflow id"), TerminateQuery),
    responses(
        (status = 200, description = "Terminated"),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "The workflow has ended", body = ErrorBody),
    ))]
async fn terminate(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<TerminateQuery>,
) -> ApiResult<()> {
    if flag(
        q.trigger_failure_workflow.as_deref(),
        "triggerFailureWorkflow",
        false,
    )? {
        return Err(ApiError::bad_request(
            "triggerFailureWorkflow=true is not supported",
        ));
    }
    let reason = q
        .reason
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "terminated through the API".to_string());
    let by = caller.principal.clone();
    operate(&st, &id, Event::Terminated { reason, by }).await
}

/// Query of `GET /api/workflow/running/{name}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunningQuery {
    /// Only this version.
    version: Option<u32>,
    /// Only workflows started at or after this time (ms).
    start_time: Option<u64>,
    /// Only workflows started at or before this time (ms).
    end_time: Option<u64>,
}

/// Ids of the running (and paused) workflows of a definition.
#[utoipa::path(get, path = "/api/workflow/running/{name}", tag = "workflow",
    params(("name" = String, Path, description = "Definition name"), RunningQuery),
    responses((status = 200, description = "Workflow ids", body = Vec<String>)))]
async fn running(
    State(st): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<RunningQuery>,
) -> ApiResult<Json<Vec<String>>> {
    let filter = WorkflowFilter {
        name: Some(name),
        statuses: vec![WorkflowStatus::Running, WorkflowStatus::Paused],
        ..Default::default()
    };
    let metas = read(&st, move |r| Ok(r.list_workflows(&filter)?)).await?;
    Ok(Json(
        metas
            .into_iter()
            .filter(|m| q.version.is_none_or(|v| m.version == v))
            .filter(|m| q.start_time.is_none_or(|t| m.created_at >= t))
            .filter(|m| q.end_time.is_none_or(|t| m.created_at <= t))
            .map(|m| m.id)
            .collect(),
    ))
}

/// Query of `GET /api/workflow/search`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchParams {
    /// First hit to return (default 0).
    start: Option<usize>,
    /// Page size (default 100, at most 1000).
    size: Option<usize>,
    /// `startTime:ASC` or `startTime:DESC` (default DESC: newest first).
    sort: Option<String>,
    /// Only `*` (everything) is supported.
    free_text: Option<String>,
    /// Conditions; see the endpoint description.
    query: Option<String>,
}

/// Searches workflows. `query` supports `workflowType = X`, `status = X`,
/// `status IN (A,B)` and `correlationId = X`, combined with AND.
#[utoipa::path(get, path = "/api/workflow/search", tag = "workflow",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of hits", body = SearchResult),
        (status = 400, description = "Unsupported query", body = ErrorBody),
    ))]
async fn search_workflows(
    State(st): State<AppState>,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<SearchResult>> {
    let q = search::parse(p.query.as_deref().unwrap_or("")).map_err(ApiError::bad_request)?;
    match p.free_text.as_deref().map(str::trim) {
        None | Some("") | Some("*") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "freeText `{other}` is not supported (only `*`); use query, {}",
                search::SUPPORTED
            )));
        }
    }
    let ascending = match p.sort.as_deref().map(str::trim) {
        None | Some("") | Some("startTime:DESC") => false,
        Some("startTime") | Some("startTime:ASC") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "cannot sort by `{other}`; use startTime:ASC or startTime:DESC"
            )));
        }
    };
    let start = p.start.unwrap_or(0);
    let size = p.size.unwrap_or(100);
    if size > 1000 {
        return Err(ApiError::bad_request(format!(
            "size must be at most 1000, not {size}"
        )));
    }
    let filter = WorkflowFilter {
        name: q.workflow_type,
        statuses: q.statuses,
        correlation_id: q.correlation_id,
        ..Default::default()
    };
    let result = read(&st, move |r| {
        let mut metas = r.list_workflows(&filter)?;
        if ascending {
            metas.reverse();
        }
        let total = metas.len() as u64;
        let mut results = Vec::new();
        for m in metas.iter().skip(start).take(size) {
            let state = r.workflow(&m.id)?.map(|w| w.state);
            results.push(WorkflowSummary::new(m, state.as_ref()));
        }
        Ok(SearchResult {
            total_hits: total,
            results,
        })
    })
    .await?;
    Ok(Json(result))
}

/// Pauses a workflow: results are still recorded, nothing new is scheduled.
#[utoipa::path(put, path = "/api/workflow/{workflowId}/pause", tag = "workflow",
    params(("workflowId" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "Paused"),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "Not running", body = ErrorBody),
    ))]
async fn pause(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<()> {
    let by = caller.principal.clone();
    operate(&st, &id, Event::Paused { by }).await
}

/// Resumes a paused workflow.
#[utoipa::path(put, path = "/api/workflow/{workflowId}/resume", tag = "workflow",
    params(("workflowId" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "Resumed"),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "Not paused", body = ErrorBody),
    ))]
async fn resume(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<()> {
    let by = caller.principal.clone();
    operate(&st, &id, Event::Resumed { by }).await
}

/// Query of `POST /api/workflow/{workflowId}/restart`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestartQuery {
    /// Run the latest definition version (not supported: must be false).
    use_latest_definitions: Option<String>,
}

/// Runs an ended workflow again from the start, with the same id and input.
#[utoipa::path(post, path = "/api/workflow/{workflowId}/restart", tag = "workflow",
    params(("workflowId" = String, Path, description = "Workflow id"), RestartQuery),
    responses(
        (status = 200, description = "Restarted"),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "Not ended, or not restartable", body = ErrorBody),
    ))]
async fn restart(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<RestartQuery>,
) -> ApiResult<()> {
    if flag(
        q.use_latest_definitions.as_deref(),
        "useLatestDefinitions",
        false,
    )? {
        return Err(ApiError::bad_request(
            "useLatestDefinitions=true is not supported; a restart runs the same definition",
        ));
    }
    let by = caller.principal.clone();
    operate(&st, &id, Event::Restarted { by }).await
}

/// Query of `POST /api/workflow/{workflowId}/retry`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RetryQuery {
    /// Accepted for compatibility; sub-workflow tasks are retried like any other.
    #[allow(dead_code)]
    resume_subworkflow_tasks: Option<String>,
}

/// Retries the failed task(s) of a FAILED or TIMED_OUT workflow.
#[utoipa::path(post, path = "/api/workflow/{workflowId}/retry", tag = "workflow",
    params(("workflowId" = String, Path, description = "Workflow id"), RetryQuery),
    responses(
        (status = 200, description = "Retrying"),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "Not failed", body = ErrorBody),
    ))]
async fn retry(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<RetryQuery>,
) -> ApiResult<()> {
    flag(
        q.resume_subworkflow_tasks.as_deref(),
        "resumeSubworkflowTasks",
        false,
    )?;
    let by = caller.principal.clone();
    operate(&st, &id, Event::Retried { by }).await
}

/// Runs an ended workflow again: from the start (with `workflowInput` as the new input
/// when given) or from the task `reRunFromTaskId` (with `taskInput` merged over its
/// input). Answers the workflow id.
#[utoipa::path(post, path = "/api/workflow/{workflowId}/rerun", tag = "workflow",
    params(("workflowId" = String, Path, description = "Workflow id")),
    request_body = RerunWorkflowRequest,
    responses(
        (status = 200, description = "The workflow id", body = String, content_type = "text/plain"),
        (status = 400, description = "Bad request", body = ErrorBody),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "The workflow cannot be rerun now", body = ErrorBody),
    ))]
async fn rerun(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let req: RerunWorkflowRequest = json_body(
        &body,
        "RerunWorkflowRequest",
        Some(RerunWorkflowRequest::default()),
    )?;
    if let Some(other) = req
        .re_run_from_workflow_id
        .as_deref()
        .filter(|w| !w.is_empty() && *w != id)
    {
        return Err(ApiError::bad_request(format!(
            "reRunFromWorkflowId `{other}` differs from the workflow in the path `{id}`"
        )));
    }
    if req.correlation_id.as_deref().is_some_and(|c| !c.is_empty()) {
        return Err(ApiError::bad_request(
            "correlationId cannot be changed by a rerun; leave it out",
        ));
    }
    let object = |v: Option<Value>, name: &str| -> ApiResult<Option<Value>> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(v)),
            Some(_) => Err(ApiError::bad_request(format!(
                "`{name}` must be a JSON object"
            ))),
        }
    };
    let event = Event::Rerun {
        from_task_id: req.re_run_from_task_id.filter(|t| !t.is_empty()),
        workflow_input: object(req.workflow_input, "workflowInput")?,
        task_input: object(req.task_input, "taskInput")?,
        by: caller.principal.clone(),
    };
    operate(&st, &id, event).await?;
    Ok(text(id))
}

/// Skips a task that has not finished; its successors run.
#[utoipa::path(put, path = "/api/workflow/{workflowId}/skiptask/{taskReferenceName}", tag = "workflow",
    params(("workflowId" = String, Path, description = "Workflow id"), ("taskReferenceName" = String, Path, description = "Task reference name")),
    request_body(content = Option<SkipTaskRequest>, description = "Optional; taskInput/taskOutput are not supported"),
    responses(
        (status = 200, description = "Skipped"),
        (status = 400, description = "taskInput/taskOutput given", body = ErrorBody),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "The task cannot be skipped", body = ErrorBody),
    ))]
async fn skip_task(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath((id, ref_name)): ApiPath<(String, String)>,
    body: Bytes,
) -> ApiResult<()> {
    let req: SkipTaskRequest =
        json_body(&body, "SkipTaskRequest", Some(SkipTaskRequest::default()))?;
    let given = |v: &Option<Value>| {
        v.as_ref()
            .is_some_and(|v| !v.is_null() && v.as_object().is_none_or(|o| !o.is_empty()))
    };
    if given(&req.task_input) || given(&req.task_output) {
        return Err(ApiError::bad_request(
            "taskInput/taskOutput are not supported when skipping a task; send no body",
        ));
    }
    let by = caller.principal.clone();
    operate(&st, &id, Event::TaskSkipped { ref_name, by }).await
}

/// Deletes a workflow with its history.
#[utoipa::path(delete, path = "/api/workflow/{workflowId}/remove", tag = "workflow",
    params(("workflowId" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "Removed"),
        (status = 404, description = "No such workflow", body = ErrorBody),
    ))]
async fn remove(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<()> {
    // Removing records no event, so the workflow's domain is checked here.
    let wid = id.clone();
    let domain = read(&st, move |r| {
        Ok(r.workflow(&wid)?.map(|w| w.state.run.domain))
    })
    .await?;
    if let Some(domain) = domain {
        let action = baton_core::Action::OperateWorkflow {
            domain: domain.as_deref(),
        };
        baton_core::permit(&caller.principal, &action).map_err(|r| ApiError::refused(&r))?;
    }
    if st.engine.remove_workflow(&id).await? {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("no workflow with id `{id}`")))
    }
}
