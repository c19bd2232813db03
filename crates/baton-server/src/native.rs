//! Baton's own small endpoints: liveness, readiness and the OpenAPI document.

use crate::app::AppState;
use crate::app::read;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiPath;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The body of `/health` and `/ready`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `UP`.
    pub status: &'static str,
}

/// The routes of this module.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
        .routes(routes!(openapi_json))
        .routes(routes!(history))
}

/// Liveness: 200 whenever the process serves requests.
#[utoipa::path(get, path = "/health", tag = "native",
    responses((status = 200, description = "The process runs", body = Health)))]
async fn health() -> Json<Health> {
    Json(Health { status: "UP" })
}

/// Readiness: 200 when the store can be read and the engine is running.
#[utoipa::path(get, path = "/ready", tag = "native",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The store cannot be read", body = ErrorBody),
    ))]
async fn ready(State(st): State<AppState>) -> Result<Json<Health>, ApiError> {
    let engine = st.engine.clone();
    let probe = tokio::task::spawn_blocking(move || {
        engine
            .reader()
            .and_then(|r| r.queue_sizes().map_err(Into::into))
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("readiness probe failed: {e}"),
        )
    })?;
    match probe {
        Ok(_) => Ok(Json(Health { status: "UP" })),
        Err(e) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {e}"),
        )),
    }
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "native",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
async fn openapi_json(State(st): State<AppState>) -> Response {
    let text = st
        .openapi
        .get()
        .cloned()
        .unwrap_or_else(|| "{}".to_string());
    let mut res = text.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// One event of a workflow's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HistoryItem {
    /// Position in the history, from 0.
    pub seq: u64,
    /// When it was applied (ms since the epoch).
    pub at: u64,
    /// The event (`{"event": "task_updated", ...}`).
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
}

/// A workflow's history (its audit trail), oldest first.
#[utoipa::path(get, path = "/api/v1/workflows/{workflowId}/history", tag = "native",
    params(("workflowId" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The events", body = Vec<HistoryItem>),
        (status = 404, description = "No such workflow", body = ErrorBody),
    ))]
async fn history(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<HistoryItem>>, ApiError> {
    let wid = id.clone();
    let items = read(&st, move |r| {
        if r.workflow(&wid)?.is_none() {
            return Ok(None);
        }
        let mut out = Vec::new();
        for h in r.history(&wid)? {
            let event = serde_json::to_value(&h.event).map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot encode an event: {e}"),
                )
            })?;
            out.push(HistoryItem {
                seq: h.seq,
                at: h.at,
                event,
            });
        }
        Ok(Some(out))
    })
    .await?;
    items
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no workflow with id `{id}`")))
}
