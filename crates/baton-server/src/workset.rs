//! `GET /api/v1/workflows/{id}/workset`: a run as the seeds' workset, through the same
//! operator API the CLI uses.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use baton_control::{Control, EngineControl, ErrorKind, WorksetView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this module.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(workset))
}

/// A run as a workset: goal, owner, status, progress (finished tasks over the tasks the
/// run can still reach), current tasks, every task, failures and pending approvals.
#[utoipa::path(get, path = "/api/v1/workflows/{workflowId}/workset", tag = "native",
    params(("workflowId" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The workset", content_type = "application/json"),
        (status = 404, description = "No such workflow", body = ErrorBody),
    ))]
async fn workset(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<WorksetView>> {
    let control = EngineControl::new(st.engine.clone());
    control.workset(&id).await.map(Json).map_err(|e| {
        let status = match e.kind() {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.message().to_string())
    })
}
