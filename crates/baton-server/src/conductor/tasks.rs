//! `/api/tasks`: what workers call (poll, update), task lookup, logs and queue sizes.

use crate::app::{AppState, read, text};
use crate::conductor::model::{Task, TaskExecLog, TaskResult, workflow_of_task};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, json_body, query_values};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baton_core::{Event, Outcome, RefusalKind, TaskResultStatus, Timestamp};
use baton_runtime::{EngineError, TaskLogLine};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Worker id recorded when a poll names none.
const ANONYMOUS_WORKER: &str = "unknown";

/// Principal name of a task update that names no worker.
const UNNAMED_WORKER: &str = "conductor-worker";

/// The routes of this module.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(poll))
        .routes(routes!(batch_poll))
        .routes(routes!(update_task))
        .routes(routes!(update_task_v2))
        .routes(routes!(get_task))
        .routes(routes!(append_log, get_logs))
        .routes(routes!(queue_sizes))
        .routes(routes!(queue_size))
        .routes(routes!(queue_all))
}

/// The wall clock in ms since the epoch (the server's one clock read).
pub(crate) fn now_ms() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Query of `GET /api/tasks/poll/{tasktype}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PollQuery {
    /// The worker's id (recorded on the task).
    workerid: Option<String>,
    /// Task domain (not supported: must be empty).
    domain: Option<String>,
}

fn check_domain(domain: Option<&str>) -> ApiResult<()> {
    match domain {
        Some(d) if !d.trim().is_empty() => Err(ApiError::bad_request(format!(
            "task domains are not supported (domain `{d}`); poll without a domain"
        ))),
        _ => Ok(()),
    }
}

async fn claim(
    st: &AppState,
    queue: &str,
    count: usize,
    worker: &str,
    wait: Duration,
) -> ApiResult<Vec<Task>> {
    crate::metrics::count_poll(queue);
    let claimed = st.engine.poll(queue, count, worker, wait).await?;
    let now = now_ms();
    Ok(claimed
        .iter()
        .map(|c| Task::from_claimed(c, worker, now))
        .collect())
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Takes one task of a type, without waiting: 200 with the task, 204 when there is none.
#[utoipa::path(get, path = "/api/tasks/poll/{tasktype}", tag = "tasks",
    params(("tasktype" = String, Path, description = "Task type (queue)"), PollQuery),
    responses(
        (status = 200, description = "A task, now IN_PROGRESS", body = Task),
        (status = 204, description = "No task"),
        (status = 400, description = "Bad parameters", body = ErrorBody),
    ))]
async fn poll(
    State(st): State<AppState>,
    ApiPath(queue): ApiPath<String>,
    ApiQuery(q): ApiQuery<PollQuery>,
) -> ApiResult<Response> {
    check_domain(q.domain.as_deref())?;
    let worker = q.workerid.unwrap_or_else(|| ANONYMOUS_WORKER.to_string());
    let mut tasks = claim(&st, &queue, 1, &worker, Duration::ZERO).await?;
    Ok(match tasks.pop() {
        Some(t) => Json(t).into_response(),
        None => no_content(),
    })
}

/// Query of `GET /api/tasks/poll/batch/{tasktype}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct BatchPollQuery {
    /// The worker's id (recorded on the tasks).
    workerid: Option<String>,
    /// Task domain (not supported: must be empty).
    domain: Option<String>,
    /// Most tasks to take (default 1).
    count: Option<i64>,
    /// Longest wait for a task, in ms (default 100, at most 5000).
    timeout: Option<i64>,
}

/// Long-polls for up to `count` tasks: 200 with the tasks, `[]` when none came in time.
#[utoipa::path(get, path = "/api/tasks/poll/batch/{tasktype}", tag = "tasks",
    params(("tasktype" = String, Path, description = "Task type (queue)"), BatchPollQuery),
    responses(
        (status = 200, description = "Tasks, now IN_PROGRESS (maybe none)", body = Vec<Task>),
        (status = 400, description = "count or timeout out of range", body = ErrorBody),
    ))]
async fn batch_poll(
    State(st): State<AppState>,
    ApiPath(queue): ApiPath<String>,
    ApiQuery(q): ApiQuery<BatchPollQuery>,
) -> ApiResult<Json<Vec<Task>>> {
    check_domain(q.domain.as_deref())?;
    let max_count = st.config.max_poll_count;
    let count = q.count.unwrap_or(1);
    let count = usize::try_from(count)
        .ok()
        .filter(|c| (1..=max_count).contains(c))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "count must be between 1 and {max_count}, not {count}"
            ))
        })?;
    let max_wait = st.config.max_poll_timeout_ms;
    let timeout = q.timeout.unwrap_or(100);
    let timeout = u64::try_from(timeout)
        .ok()
        .filter(|t| *t <= max_wait)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "timeout must be between 0 and {max_wait} ms, not {timeout}"
            ))
        })?;
    let worker = q.workerid.unwrap_or_else(|| ANONYMOUS_WORKER.to_string());
    Ok(Json(
        claim(&st, &queue, count, &worker, Duration::from_millis(timeout)).await?,
    ))
}

/// A checked `TaskResult`.
struct Update {
    workflow_id: String,
    task_id: String,
    worker: Option<String>,
}

fn parse_status(s: Option<&str>, extend_lease: bool) -> ApiResult<TaskResultStatus> {
    match s {
        Some("IN_PROGRESS") => Ok(TaskResultStatus::InProgress),
        Some("COMPLETED") => Ok(TaskResultStatus::Completed),
        Some("FAILED") => Ok(TaskResultStatus::Failed),
        Some("FAILED_WITH_TERMINAL_ERROR") => Ok(TaskResultStatus::FailedWithTerminalError),
        None if extend_lease => Ok(TaskResultStatus::InProgress),
        None => Err(ApiError::bad_request(
            "`status` is required: IN_PROGRESS, COMPLETED, FAILED or FAILED_WITH_TERMINAL_ERROR",
        )),
        Some(other) => Err(ApiError::bad_request(format!(
            "`status` must be IN_PROGRESS, COMPLETED, FAILED or FAILED_WITH_TERMINAL_ERROR, not `{other}`"
        ))),
    }
}

/// Whether a task exists.
async fn task_exists(st: &AppState, workflow_id: &str, task_id: &str) -> ApiResult<bool> {
    let (w, t) = (workflow_id.to_string(), task_id.to_string());
    read(st, move |r| {
        Ok(r.workflow(&w)?
            .is_some_and(|wf| wf.state.task(&t).is_some()))
    })
    .await
}

/// Applies a worker's result; answers once it is committed.
async fn apply(st: &AppState, caller: &crate::auth::Caller, body: &[u8]) -> ApiResult<Update> {
    let r: TaskResult = json_body(body, "TaskResult", None)?;
    let task_id = r
        .task_id
        .clone()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad_request("`taskId` is required"))?;
    let status = parse_status(r.status.as_deref(), r.extend_lease.unwrap_or(false))?;
    let workflow_id = match r.workflow_instance_id.clone().filter(|w| !w.is_empty()) {
        Some(w) => w,
        None => workflow_of_task(&task_id)
            .map(str::to_string)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "`workflowInstanceId` is required (taskId does not name its workflow)",
                )
            })?,
    };
    let output = match r.output_data {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(ApiError::bad_request("`outputData` must be a JSON object")),
    };
    let event = Event::TaskUpdated {
        task_id: task_id.clone(),
        status,
        output,
        reason: r.reason_for_incompletion.clone(),
        callback_after_ms: r
            .callback_after_seconds
            .filter(|s| *s > 0)
            .map(|s| s.saturating_mul(1000)),
        worker_id: r.worker_id.clone(),
        // A worker (L3) unless a token with more authority calls: an L0 completing a
        // HUMAN task the Conductor way is checked against the task's role.
        by: caller.worker(r.worker_id.as_deref().unwrap_or(UNNAMED_WORKER)),
    };
    let not_found =
        || ApiError::not_found(format!("no task `{task_id}` in workflow `{workflow_id}`"));
    let logs = r
        .logs
        .unwrap_or_default()
        .into_iter()
        .map(|l| TaskLogLine {
            at: Some(l.created_time).filter(|t| *t > 0),
            line: l.log,
        })
        .collect();
    // One engine command: the result and, only if it is applied, its logs.
    match st
        .engine
        .send_with_logs(&workflow_id, event, &task_id, logs)
        .await
    {
        Ok(Outcome::Applied | Outcome::Ignored(_)) => {}
        Ok(Outcome::Rejected(r)) if r.kind == RefusalKind::UnknownTask => return Err(not_found()),
        Ok(Outcome::Rejected(r)) => return Err(ApiError::refused(&r)),
        Err(EngineError::UnknownWorkflow(_)) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    }
    Ok(Update {
        workflow_id,
        task_id,
        worker: r.worker_id,
    })
}

/// Records a worker's result (`TaskResult`); answers the task id as text.
#[utoipa::path(post, path = "/api/tasks", tag = "tasks",
    request_body = TaskResult,
    responses(
        (status = 200, description = "Recorded (a result for an ended task is ignored)", body = String, content_type = "text/plain"),
        (status = 400, description = "Not a valid TaskResult", body = ErrorBody),
        (status = 403, description = "Workers may not update this task (a HUMAN task)", body = ErrorBody),
        (status = 404, description = "No such task", body = ErrorBody),
        (status = 409, description = "The task cannot be updated (e.g. a system task)", body = ErrorBody),
    ))]
async fn update_task(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    body: Bytes,
) -> ApiResult<Response> {
    let u = apply(&st, &caller, &body).await?;
    Ok(text(u.task_id))
}

/// Records a worker's result, then hands the same worker the next task of the same type.
///
/// Answers 200 with the next task, or 200 with `null` when there is none. (Conductor
/// answers 204 there; conductor-python 2.x turns a 204 into an empty task and runs it,
/// while `null` reads as "no task" in every SDK.)
#[utoipa::path(post, path = "/api/tasks/update-v2", tag = "tasks",
    request_body = TaskResult,
    responses(
        (status = 200, description = "The next task, or null", body = Option<Task>),
        (status = 400, description = "Not a valid TaskResult", body = ErrorBody),
        (status = 403, description = "Workers may not update this task (a HUMAN task)", body = ErrorBody),
        (status = 404, description = "No such task", body = ErrorBody),
        (status = 409, description = "The task cannot be updated (e.g. a system task)", body = ErrorBody),
    ))]
async fn update_task_v2(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    body: Bytes,
) -> ApiResult<Response> {
    let u = apply(&st, &caller, &body).await?;
    let (w, t) = (u.workflow_id.clone(), u.task_id.clone());
    let queue = read(&st, move |r| {
        Ok(r.workflow(&w)?
            .and_then(|wf| wf.state.task(&t).map(|task| task.name.clone())))
    })
    .await?;
    let worker = u.worker.unwrap_or_else(|| ANONYMOUS_WORKER.to_string());
    let next = match queue {
        Some(q) => claim(&st, &q, 1, &worker, Duration::ZERO).await?.pop(),
        None => None,
    };
    let body = serde_json::to_vec(&next)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let mut res = Response::new(Body::from(body));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(res)
}

fn workflow_id_of(task_id: &str) -> ApiResult<String> {
    workflow_of_task(task_id)
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no task `{task_id}` (task ids look like <workflowId>-t<n>)"
            ))
        })
}

/// One task attempt.
#[utoipa::path(get, path = "/api/tasks/{taskId}", tag = "tasks",
    params(("taskId" = String, Path, description = "Task id")),
    responses(
        (status = 200, description = "The task", body = Task),
        (status = 404, description = "No such task", body = ErrorBody),
    ))]
async fn get_task(
    State(st): State<AppState>,
    ApiPath(task_id): ApiPath<String>,
) -> ApiResult<Json<Task>> {
    let wid = workflow_id_of(&task_id)?;
    let tid = task_id.clone();
    let found = read(&st, move |r| {
        Ok(r.workflow(&wid)?
            .and_then(|w| w.state.task(&tid).map(|t| Task::from_state(t, &w.state))))
    })
    .await?;
    found
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no task `{task_id}`")))
}

async fn require_task(st: &AppState, task_id: &str) -> ApiResult<()> {
    let wid = workflow_id_of(task_id)?;
    if task_exists(st, &wid, task_id).await? {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("no task `{task_id}`")))
    }
}

/// Appends a line to a task's execution log (body: the text, plain or as a JSON string).
#[utoipa::path(post, path = "/api/tasks/{taskId}/log", tag = "tasks",
    params(("taskId" = String, Path, description = "Task id")),
    request_body(content = String, description = "The log line", content_type = "text/plain"),
    responses(
        (status = 200, description = "Appended"),
        (status = 400, description = "Empty or not UTF-8", body = ErrorBody),
        (status = 404, description = "No such task", body = ErrorBody),
    ))]
async fn append_log(
    State(st): State<AppState>,
    ApiPath(task_id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<()> {
    let raw = std::str::from_utf8(&body)
        .map_err(|e| ApiError::bad_request(format!("the log line is not UTF-8 text: {e}")))?;
    let line = match serde_json::from_str::<Value>(raw) {
        Ok(Value::String(s)) => s,
        _ => raw.to_string(),
    };
    if line.trim().is_empty() {
        return Err(ApiError::bad_request("the log line is empty"));
    }
    require_task(&st, &task_id).await?;
    let now = now_ms();
    st.engine
        .with_tx(move |tx| tx.append_task_log(&task_id, now, &line))
        .await?;
    Ok(())
}

/// A task's execution log, oldest first.
#[utoipa::path(get, path = "/api/tasks/{taskId}/log", tag = "tasks",
    params(("taskId" = String, Path, description = "Task id")),
    responses(
        (status = 200, description = "Log lines", body = Vec<TaskExecLog>),
        (status = 404, description = "No such task", body = ErrorBody),
    ))]
async fn get_logs(
    State(st): State<AppState>,
    ApiPath(task_id): ApiPath<String>,
) -> ApiResult<Json<Vec<TaskExecLog>>> {
    require_task(&st, &task_id).await?;
    let tid = task_id.clone();
    let logs = read(&st, move |r| Ok(r.task_logs(&tid)?)).await?;
    Ok(Json(
        logs.into_iter()
            .map(|(at, log)| TaskExecLog {
                log,
                task_id: Some(task_id.clone()),
                created_time: at,
            })
            .collect(),
    ))
}

async fn sizes(st: &AppState) -> ApiResult<BTreeMap<String, u64>> {
    Ok(read(st, |r| Ok(r.queue_sizes()?))
        .await?
        .into_iter()
        .collect())
}

/// Queue sizes of the given task types (`?taskType=a&taskType=b`), or of every queue.
#[utoipa::path(get, path = "/api/tasks/queue/sizes", tag = "tasks",
    params(("taskType" = Option<Vec<String>>, Query, description = "Task types (repeatable); all when absent")),
    responses((status = 200, description = "Queued tasks per type", body = BTreeMap<String, u64>)))]
async fn queue_sizes(
    State(st): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<BTreeMap<String, u64>>> {
    let wanted = query_values(raw.as_deref(), "taskType");
    let all = sizes(&st).await?;
    if wanted.is_empty() {
        return Ok(Json(all));
    }
    Ok(Json(
        wanted
            .into_iter()
            .map(|t| (t.clone(), all.get(&t).copied().unwrap_or(0)))
            .collect(),
    ))
}

/// Query of `GET /api/tasks/queue/size`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SizeQuery {
    /// The task type.
    task_type: Option<String>,
}

/// Queue size of one task type.
#[utoipa::path(get, path = "/api/tasks/queue/size", tag = "tasks",
    params(SizeQuery),
    responses(
        (status = 200, description = "Queued tasks", body = u64),
        (status = 400, description = "taskType missing", body = ErrorBody),
    ))]
async fn queue_size(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<SizeQuery>,
) -> ApiResult<Json<u64>> {
    let t = q
        .task_type
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad_request("query parameter `taskType` is required"))?;
    Ok(Json(sizes(&st).await?.get(&t).copied().unwrap_or(0)))
}

/// Queue sizes of every queue.
#[utoipa::path(get, path = "/api/tasks/queue/all", tag = "tasks",
    responses((status = 200, description = "Queued tasks per type", body = BTreeMap<String, u64>)))]
async fn queue_all(State(st): State<AppState>) -> ApiResult<Json<BTreeMap<String, u64>>> {
    Ok(Json(sizes(&st).await?))
}
