//! `/api/metadata`: workflow and task definitions in Conductor JSON.

use crate::app::{AppState, read};
use crate::error::{ApiError, ApiResult, ErrorBody, ValidationError};
use crate::extract::{ApiPath, ApiQuery, flag};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use baton_model::source::{self, Node};
use baton_model::{Diagnostic, TaskDef, ValidatedDef, conductor};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this module.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_workflow, update_workflows, list_workflows))
        .routes(routes!(get_workflow))
        .routes(routes!(delete_workflow))
        .routes(routes!(register_task_defs, update_task_def, list_task_defs))
        .routes(routes!(get_task_def, delete_task_def))
}

/// Parses a request body as YAML/JSON text with positions.
pub(crate) fn parse_body(bytes: &[u8]) -> ApiResult<Node> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ApiError::bad_request(format!("the request body is not UTF-8 text: {e}")))?;
    if text.trim().is_empty() {
        return Err(ApiError::bad_request(
            "the request body is empty; send a JSON document",
        ));
    }
    source::parse(text).map_err(|e| {
        let known = e.pos.is_known();
        let detail = ValidationError {
            path: String::new(),
            message: e.message.clone(),
            line: known.then_some(e.pos.line),
            column: known.then_some(e.pos.col),
            code: Some("BT0000".to_string()),
        };
        ApiError::invalid(
            format!("the request body is not valid JSON: {}", e.message),
            vec![detail],
        )
    })
}

fn errors_of(diags: &[Diagnostic], prefix: &str) -> Vec<ValidationError> {
    diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| ValidationError::from_diagnostic(d, prefix))
        .collect()
}

/// Runs CPU-bound request work (parsing and validating a definition) on tokio's blocking
/// pool, so a large definition never holds up the async threads other requests use.
pub(crate) async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("the request's work did not finish: {e}"),
        )
    })?
}

/// Compiles and validates one Conductor `WorkflowDef` node; `prefix` names it in a list.
pub(crate) fn workflow_def_from_node(
    node: &Node,
    prefix: &str,
) -> Result<ValidatedDef, Vec<ValidationError>> {
    let loaded = conductor::from_node(node).map_err(|d| errors_of(&d, prefix))?;
    ValidatedDef::check(loaded.def, &loaded.sources)
        .map(|(def, _warnings)| def)
        .map_err(|diags| errors_of(&diags, prefix))
}

fn invalid_definition(errors: Vec<ValidationError>) -> ApiError {
    let first = errors
        .first()
        .map(|e| e.message.clone())
        .unwrap_or_default();
    ApiError::invalid(
        format!(
            "the workflow definition is not valid ({} problem(s)); first: {first}",
            errors.len()
        ),
        errors,
    )
}

/// Query of `POST/PUT /api/metadata/workflow`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct OverwriteQuery {
    /// Replace an existing version (default true); false answers 409 when it exists.
    overwrite: Option<String>,
}

async fn register_defs(st: &AppState, defs: Vec<ValidatedDef>, overwrite: bool) -> ApiResult<()> {
    if !overwrite {
        let keys: Vec<(String, u32)> = defs.iter().map(|d| (d.name.clone(), d.version)).collect();
        let existing = read(st, move |r| {
            for (name, version) in keys {
                if r.workflow_def(&name, Some(version))?.is_some() {
                    return Ok(Some((name, version)));
                }
            }
            Ok(None)
        })
        .await?;
        if let Some((name, version)) = existing {
            return Err(ApiError::conflict(format!(
                "workflow `{name}` version {version} already exists; use overwrite=true or PUT to replace it"
            )));
        }
    }
    for def in defs {
        st.engine.register_validated_def(def).await?;
    }
    Ok(())
}

/// Registers one workflow definition.
#[utoipa::path(post, path = "/api/metadata/workflow", tag = "metadata",
    params(OverwriteQuery),
    request_body(content = Object, description = "A Conductor WorkflowDef", content_type = "application/json"),
    responses(
        (status = 200, description = "Registered"),
        (status = 400, description = "Not a valid definition (with line/column per problem)", body = ErrorBody),
        (status = 409, description = "The version exists and overwrite=false", body = ErrorBody),
    ))]
async fn register_workflow(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<OverwriteQuery>,
    body: Bytes,
) -> ApiResult<()> {
    let overwrite = flag(q.overwrite.as_deref(), "overwrite", true)?;
    let def = off_thread(move || {
        let node = parse_body(&body)?;
        if node.as_seq().is_some() {
            return Err(ApiError::bad_request(
                "POST /api/metadata/workflow takes one WorkflowDef object; use PUT for a list",
            ));
        }
        workflow_def_from_node(&node, "").map_err(invalid_definition)
    })
    .await?;
    register_defs(&st, vec![def], overwrite).await
}

/// Registers or replaces a list of workflow definitions (all or none).
#[utoipa::path(put, path = "/api/metadata/workflow", tag = "metadata",
    params(OverwriteQuery),
    request_body(content = Vec<Object>, description = "A list of Conductor WorkflowDefs", content_type = "application/json"),
    responses(
        (status = 200, description = "Registered"),
        (status = 400, description = "Not a list of valid definitions", body = ErrorBody),
    ))]
async fn update_workflows(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<OverwriteQuery>,
    body: Bytes,
) -> ApiResult<()> {
    let overwrite = flag(q.overwrite.as_deref(), "overwrite", true)?;
    let defs = off_thread(move || {
        let node = parse_body(&body)?;
        let Some(items) = node.as_seq() else {
            return Err(ApiError::bad_request(
                "PUT /api/metadata/workflow takes a list of WorkflowDefs",
            ));
        };
        let mut defs = Vec::with_capacity(items.len());
        let mut errors = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match workflow_def_from_node(item, &format!("[{i}]")) {
                Ok(d) => defs.push(d),
                Err(e) => errors.extend(e),
            }
        }
        if !errors.is_empty() {
            return Err(invalid_definition(errors));
        }
        Ok(defs)
    })
    .await?;
    register_defs(&st, defs, overwrite).await
}

/// Every registered workflow definition (all versions).
#[utoipa::path(get, path = "/api/metadata/workflow", tag = "metadata",
    responses((status = 200, description = "Conductor WorkflowDefs", body = Vec<Object>)))]
async fn list_workflows(State(st): State<AppState>) -> ApiResult<Json<Vec<Value>>> {
    let defs = read(&st, |r| Ok(r.workflow_defs()?)).await?;
    Ok(Json(defs.iter().map(conductor::export).collect()))
}

/// Query of `GET /api/metadata/workflow/{name}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct VersionQuery {
    /// Version; the latest when absent.
    version: Option<u32>,
}

/// One workflow definition.
#[utoipa::path(get, path = "/api/metadata/workflow/{name}", tag = "metadata",
    params(("name" = String, Path, description = "Definition name"), VersionQuery),
    responses(
        (status = 200, description = "A Conductor WorkflowDef", body = Object),
        (status = 404, description = "No such definition", body = ErrorBody),
    ))]
async fn get_workflow(
    State(st): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> ApiResult<Json<Value>> {
    let (n, v) = (name.clone(), q.version);
    let def = read(&st, move |r| Ok(r.workflow_def(&n, v)?)).await?;
    match def {
        Some(d) => Ok(Json(conductor::export(&d))),
        None => Err(ApiError::not_found(match q.version {
            Some(v) => format!("no workflow definition `{name}` with version {v}"),
            None => format!("no workflow definition `{name}`"),
        })),
    }
}

/// Removes one version of a workflow definition.
#[utoipa::path(delete, path = "/api/metadata/workflow/{name}/{version}", tag = "metadata",
    params(("name" = String, Path, description = "Definition name"), ("version" = u32, Path, description = "Version")),
    responses(
        (status = 200, description = "Removed"),
        (status = 404, description = "No such definition", body = ErrorBody),
    ))]
async fn delete_workflow(
    State(st): State<AppState>,
    ApiPath((name, version)): ApiPath<(String, u32)>,
) -> ApiResult<()> {
    let n = name.clone();
    let removed = st
        .engine
        .with_tx(move |tx| tx.delete_workflow_def(&n, version))
        .await?;
    if removed {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "no workflow definition `{name}` with version {version}"
        )))
    }
}

fn invalid_task_defs(diags: &[Diagnostic]) -> ApiError {
    let errors = errors_of(diags, "");
    let first = errors
        .first()
        .map(|e| e.message.clone())
        .unwrap_or_default();
    ApiError::invalid(
        format!("the task definition is not valid; first problem: {first}"),
        errors,
    )
}

async fn register_task_list(st: &AppState, defs: Vec<TaskDef>) -> ApiResult<()> {
    for def in defs {
        st.engine.register_task_def(def).await?;
    }
    Ok(())
}

/// Registers a list of task definitions (replacing existing ones of the same name).
#[utoipa::path(post, path = "/api/metadata/taskdefs", tag = "metadata",
    request_body(content = Vec<Object>, description = "A list of Conductor TaskDefs", content_type = "application/json"),
    responses(
        (status = 200, description = "Registered"),
        (status = 400, description = "Not a list of valid task definitions", body = ErrorBody),
    ))]
async fn register_task_defs(State(st): State<AppState>, body: Bytes) -> ApiResult<()> {
    let node = parse_body(&body)?;
    if node.as_seq().is_none() {
        return Err(ApiError::bad_request(
            "POST /api/metadata/taskdefs takes a list of TaskDefs; use PUT for one",
        ));
    }
    let (defs, _warnings) =
        conductor::task_defs_from_node(&node).map_err(|d| invalid_task_defs(&d))?;
    register_task_list(&st, defs).await
}

/// Registers or replaces one task definition.
#[utoipa::path(put, path = "/api/metadata/taskdefs", tag = "metadata",
    request_body(content = Object, description = "A Conductor TaskDef", content_type = "application/json"),
    responses(
        (status = 200, description = "Registered"),
        (status = 400, description = "Not a valid task definition", body = ErrorBody),
    ))]
async fn update_task_def(State(st): State<AppState>, body: Bytes) -> ApiResult<()> {
    let node = parse_body(&body)?;
    if node.as_seq().is_some() {
        return Err(ApiError::bad_request(
            "PUT /api/metadata/taskdefs takes one TaskDef object; use POST for a list",
        ));
    }
    let (def, _warnings) =
        conductor::task_def_from_node(&node).map_err(|d| invalid_task_defs(&d))?;
    register_task_list(&st, vec![def]).await
}

/// Every task definition.
#[utoipa::path(get, path = "/api/metadata/taskdefs", tag = "metadata",
    responses((status = 200, description = "Conductor TaskDefs", body = Vec<Object>)))]
async fn list_task_defs(State(st): State<AppState>) -> ApiResult<Json<Vec<Value>>> {
    let defs = read(&st, |r| Ok(r.task_defs()?)).await?;
    Ok(Json(defs.iter().map(conductor::task_def_to_json).collect()))
}

/// One task definition.
#[utoipa::path(get, path = "/api/metadata/taskdefs/{tasktype}", tag = "metadata",
    params(("tasktype" = String, Path, description = "Task definition name")),
    responses(
        (status = 200, description = "A Conductor TaskDef", body = Object),
        (status = 404, description = "No such task definition", body = ErrorBody),
    ))]
async fn get_task_def(
    State(st): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let n = name.clone();
    match read(&st, move |r| Ok(r.task_def(&n)?)).await? {
        Some(d) => Ok(Json(conductor::task_def_to_json(&d))),
        None => Err(ApiError::not_found(format!("no task definition `{name}`"))),
    }
}

/// Removes a task definition.
#[utoipa::path(delete, path = "/api/metadata/taskdefs/{tasktype}", tag = "metadata",
    params(("tasktype" = String, Path, description = "Task definition name")),
    responses(
        (status = 200, description = "Removed"),
        (status = 404, description = "No such task definition", body = ErrorBody),
    ))]
async fn delete_task_def(
    State(st): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<()> {
    let n = name.clone();
    let removed = st.engine.with_tx(move |tx| tx.delete_task_def(&n)).await?;
    if removed {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("no task definition `{name}`")))
    }
}
