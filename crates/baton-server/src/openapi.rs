//! The OpenAPI document: generated from the handlers' `#[utoipa::path]` annotations and
//! served at `GET /api/v1/openapi.json`.

use crate::error::{ErrorBody, ValidationError};
use utoipa::OpenApi;

/// The document's fixed parts (info, tags, shared schemas); the routes add their paths.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Baton",
        description = "Durable workflow orchestration. The `/api/metadata`, `/api/workflow` and `/api/tasks` endpoints follow Conductor's REST API, so Conductor SDK workers and clients run unchanged; `/api/v1` holds Baton's own additions.",
    ),
    components(schemas(ErrorBody, ValidationError)),
    tags(
        (name = "metadata", description = "Workflow and task definitions (Conductor)"),
        (name = "workflow", description = "Starting, inspecting and operating workflows (Conductor)"),
        (name = "tasks", description = "Worker polling and task updates (Conductor)"),
        (name = "native", description = "Baton's own endpoints: health, events, this document"),
    )
)]
struct ApiDoc;

/// The document before routes are added.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
