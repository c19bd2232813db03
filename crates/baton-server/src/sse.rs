//! `GET /api/v1/events`: every committed transition as a Server-Sent Event.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use baton_runtime::{EngineEvent, EngineHandle, NumberedEvent};
use futures_util::stream::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
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

/// Query of `GET /api/v1/events`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventsQuery {
    /// Only the events of this workflow.
    workflow_id: Option<String>,
    /// Resume after this event id (the same as a `Last-Event-ID` header, which wins).
    after: Option<u64>,
}

/// Most events read from the store per catch-up query.
const CATCH_UP_PAGE: usize = 512;
/// Events buffered per client between the engine and the socket.
const CLIENT_BUFFER: usize = 256;

/// Every committed transition as it happens (`workflow_started`, `task`,
/// `workflow_status`, `alert`, `queue_seen`). Each event's data is one JSON object and
/// its `id` is durable: ids only grow, survive restarts, and a client that reconnects
/// with `Last-Event-ID: N` (or `?after=N`) first receives every event after N from the
/// store, then the live ones, with none missed or repeated. A client that falls behind
/// is caught up from the store the same way. `queue_seen` concerns one node and has no
/// id. Keep-alive comments are sent while nothing happens.
#[utoipa::path(get, path = "/api/v1/events", tag = "native",
    params(EventsQuery, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")),
    responses((status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        (status = 400, description = "A malformed Last-Event-ID")))]
async fn events(
    State(st): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let after = match headers.get("last-event-id") {
        Some(v) => {
            let text = v.to_str().unwrap_or("").trim();
            Some(text.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!(
                    "Last-Event-ID `{text}` is not an event id; send the `id` of the last event you received (a whole number)"
                ))
            })?)
        }
        None => q.after,
    };
    // Subscribe before reading the store, so nothing committed in between is missed.
    let live = st.engine.subscribe_durable();
    // The log's end, read after subscribing: without a position the stream starts here,
    // fixed before the client hears back, so whatever it does next is in its stream.
    let engine = st.engine.clone();
    let newest =
        tokio::task::spawn_blocking(move || engine.reader()?.last_event_id().map_err(Into::into))
            .await
            .map_err(|e| {
                ApiError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot read the event log: {e}"),
                )
            })?
            .map_err(|e: baton_runtime::EngineError| ApiError::from(e))?;
    let after = match after {
        // A position past the log's end (another database, a wiped one) would hide every
        // event until the ids caught up: say so instead.
        Some(n) if n > newest => {
            return Err(ApiError::bad_request(format!(
                "event id {n} is beyond the newest event ({newest}) of this server; reconnect without Last-Event-ID, or with an id it sent"
            )));
        }
        Some(n) => n,
        None => newest,
    };
    let (out, rx) = mpsc::channel(CLIENT_BUFFER);
    let feed = Feed {
        engine: st.engine.clone(),
        only: q.workflow_id,
        out,
    };
    tokio::spawn(feed.run(after, live, st.shutdown.clone()));
    let stream = ReceiverStream::new(rx).map(Ok);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(st.config.sse_keep_alive)))
}

/// One client's feed: catch up from the store, then follow the engine.
struct Feed {
    engine: EngineHandle,
    only: Option<String>,
    out: mpsc::Sender<SseEvent>,
}

impl Feed {
    async fn run(
        self,
        after: u64,
        mut live: broadcast::Receiver<Arc<Vec<NumberedEvent>>>,
        shutdown: CancellationToken,
    ) {
        let Some(mut last) = self.catch_up(after).await else {
            return;
        };
        loop {
            let batch = tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.out.closed() => return,
                b = live.recv() => b,
            };
            match batch {
                Ok(batch) => {
                    for (id, ev) in batch.iter() {
                        if let Some(id) = id {
                            if *id <= last {
                                continue;
                            }
                            last = *id;
                        }
                        if !self.send(*id, ev).await {
                            return;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Fell behind the engine: what was missed is in the store.
                    match self.catch_up(last).await {
                        Some(n) => last = n,
                        None => return,
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// Sends every stored event after `after`; returns the last id sent (or read), or
    /// `None` when the client left or the store failed.
    async fn catch_up(&self, mut after: u64) -> Option<u64> {
        loop {
            let engine = self.engine.clone();
            let page = tokio::task::spawn_blocking(move || {
                engine.reader().map_err(|e| e.to_string()).and_then(|r| {
                    r.events_after(after, CATCH_UP_PAGE)
                        .map_err(|e| e.to_string())
                })
            })
            .await;
            let page = match page {
                Ok(Ok(p)) => p,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "event catch-up failed");
                    return None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "event catch-up failed");
                    return None;
                }
            };
            let full = page.len() >= CATCH_UP_PAGE;
            for stored in page {
                after = stored.id;
                match EngineEvent::from_stored(&stored) {
                    Ok(ev) => {
                        if !self.send(Some(stored.id), &ev).await {
                            return None;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(id = stored.id, error = %e, "unreadable stored event skipped");
                    }
                }
            }
            if !full {
                return Some(after);
            }
        }
    }

    /// Sends one event if it passes the filter; false when the client is gone.
    async fn send(&self, id: Option<u64>, ev: &EngineEvent) -> bool {
        if self
            .only
            .as_deref()
            .is_some_and(|w| Some(w) != ev.workflow_id())
        {
            return true;
        }
        let (name, data) = event_json(ev);
        let mut event = SseEvent::default().event(name).data(data.to_string());
        if let Some(id) = id {
            event = event.id(id.to_string());
        }
        self.out.send(event).await.is_ok()
    }
}
