//! `GET /api/v1/events`: every committed transition as a Server-Sent Event.

use crate::app::AppState;
use crate::extract::ApiQuery;
use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use baton_runtime::EngineEvent;
use futures_util::stream::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this module.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// The SSE event name and JSON data of an engine event.
pub fn event_json(e: &EngineEvent) -> (&'static str, Value) {
    match e {
        EngineEvent::WorkflowStarted {
            workflow_id,
            name,
            at,
        } => (
            "workflow_started",
            json!({"workflowId": workflow_id, "workflowName": name, "at": at}),
        ),
        EngineEvent::Task {
            workflow_id,
            transition,
            attempt,
            at,
            reason,
        } => (
            "task",
            json!({
                "workflowId": workflow_id,
                "taskId": transition.task_id,
                "referenceTaskName": transition.ref_name,
                "from": transition.from.map(|s| s.as_str()),
                "to": transition.to.as_str(),
                "retryCount": attempt,
                "at": at,
                "reason": reason,
            }),
        ),
        EngineEvent::WorkflowStatus {
            workflow_id,
            status,
            reason,
            at,
        } => (
            "workflow_status",
            json!({"workflowId": workflow_id, "status": status.as_str(), "reason": reason, "at": at}),
        ),
        EngineEvent::Alert {
            workflow_id,
            message,
        } => (
            "alert",
            json!({"workflowId": workflow_id, "message": message}),
        ),
        EngineEvent::QueueSeen { queue } => ("queue_seen", json!({"queue": queue})),
    }
}

fn workflow_of(e: &EngineEvent) -> Option<&str> {
    match e {
        EngineEvent::WorkflowStarted { workflow_id, .. }
        | EngineEvent::Task { workflow_id, .. }
        | EngineEvent::WorkflowStatus { workflow_id, .. }
        | EngineEvent::Alert { workflow_id, .. } => Some(workflow_id),
        EngineEvent::QueueSeen { .. } => None,
    }
}

/// Query of `GET /api/v1/events`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventsQuery {
    /// Only the events of this workflow.
    workflow_id: Option<String>,
}

/// Live stream of every committed transition (`workflow_started`, `task`,
/// `workflow_status`, `alert`, `queue_seen`; `lagged` when a slow client missed events). Each event's
/// data is one JSON object; its id is a counter that only grows. Keep-alive comments
/// are sent while nothing happens.
#[utoipa::path(get, path = "/api/v1/events", tag = "native",
    params(EventsQuery),
    responses((status = 200, description = "An event stream", content_type = "text/event-stream", body = String)))]
async fn events(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let seq = st.event_seq.clone();
    let only = q.workflow_id;
    let stream = BroadcastStream::new(st.engine.subscribe())
        .filter_map(move |item| {
            let out = match item {
                Ok(ev) if only.as_deref().is_none_or(|w| Some(w) == workflow_of(&ev)) => {
                    Some(event_json(&ev))
                }
                Ok(_) => None,
                Err(BroadcastStreamRecvError::Lagged(n)) => Some(("lagged", json!({"skipped": n}))),
            };
            let event = out.map(|(name, data)| {
                let id = seq.fetch_add(1, Ordering::Relaxed) + 1;
                Ok(SseEvent::default()
                    .event(name)
                    .id(id.to_string())
                    .data(data.to_string()))
            });
            std::future::ready(event)
        })
        .take_until(st.shutdown.clone().cancelled_owned());
    Sse::new(stream).keep_alive(KeepAlive::new().interval(st.config.sse_keep_alive))
}
