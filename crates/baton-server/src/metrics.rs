//! `GET /metrics`: Prometheus text format.
//!
//! Counters and histograms are recorded where things happen (the engine after each
//! commit, the poll handlers here) through the `metrics` facade; this module installs
//! the Prometheus recorder once per process and, at each scrape, sets the gauges that
//! are read from the store: queue depth and age, and what waits for a person.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use baton_control::{Control as _, EngineControl};
use baton_runtime::metrics as engine_metrics;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, read};
use crate::error::ApiResult;

/// Polls for tasks, by task type (the queue polled).
pub const POLL_REQUESTS: &str = "baton_poll_requests_total";
/// Tasks queued, by task type.
pub const QUEUE_DEPTH: &str = "baton_queue_depth";
/// How long the longest-waiting unclaimed task has waited, by task type.
pub const QUEUE_OLDEST_AGE: &str = "baton_queue_oldest_age_seconds";
/// HUMAN tasks and held gates or breakpoints waiting for a person.
pub const HUMAN_WAITING: &str = "baton_human_waiting";

/// Most distinct `task_type` values the poll counter takes from requests; polls of
/// further names count under `_other`, so no client can grow the label set without
/// bound.
const MAX_POLL_LABELS: usize = 1_000;

/// The process's Prometheus recorder (`None` when another recorder was installed
/// first, e.g. by an embedding program).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let seconds = [
                0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 60.0, 300.0, 3600.0,
            ];
            let commit = [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0];
            let batch = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(engine_metrics::WORKFLOW_DURATION.into()),
                    &seconds,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(engine_metrics::TASK_DURATION.into()),
                        &seconds,
                    )
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(engine_metrics::STORE_COMMIT.into()),
                        &commit,
                    )
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(engine_metrics::STORE_BATCH_SIZE.into()),
                        &batch,
                    )
                })
                .ok()?;
            match builder.install_recorder() {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: another recorder is installed; /metrics serves nothing of Baton's");
                    None
                }
            }
        })
        .as_ref()
}

/// Installs the recorder (call at server start, so counts start with the server).
pub fn install() {
    let _ = handle();
}

/// Counts one poll of `queue`.
pub(crate) fn count_poll(queue: &str) {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Mutex::default);
    let label = {
        let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains(queue) || seen.len() < MAX_POLL_LABELS {
            seen.insert(queue.to_owned());
            queue.to_owned()
        } else {
            "_other".to_owned()
        }
    };
    metrics::counter!(POLL_REQUESTS, "task_type" => label).increment(1);
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(scrape))
}

/// Queues that had a gauge before (set to 0 once empty, so no stale value lingers).
fn known_queues() -> &'static Mutex<HashSet<String>> {
    static KNOWN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    KNOWN.get_or_init(Mutex::default)
}

/// Prometheus metrics of this server: workflows and tasks started and ended, their
/// durations, retries, queue depth and age, polls, store commits, and what waits for
/// a person.
#[utoipa::path(get, path = "/metrics", tag = "monitoring",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
async fn scrape(State(st): State<AppState>) -> ApiResult<Response> {
    let Some(handle) = handle() else {
        return Ok((
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            "# another metrics recorder is installed in this process\n",
        )
            .into_response());
    };
    let stats = read(&st, |r| Ok(r.queue_stats()?)).await?;
    let now = crate::conductor::tasks::now_ms();
    {
        let mut known = known_queues().lock().unwrap_or_else(|p| p.into_inner());
        let current: HashSet<String> = stats.iter().map(|s| s.queue.clone()).collect();
        for gone in known.difference(&current) {
            metrics::gauge!(QUEUE_DEPTH, "task_type" => gone.clone()).set(0.0);
            metrics::gauge!(QUEUE_OLDEST_AGE, "task_type" => gone.clone()).set(0.0);
        }
        for s in &stats {
            metrics::gauge!(QUEUE_DEPTH, "task_type" => s.queue.clone()).set(s.depth as f64);
            let age = s.oldest_ready_at.map_or(0, |t| now.saturating_sub(t));
            metrics::gauge!(QUEUE_OLDEST_AGE, "task_type" => s.queue.clone())
                .set(age as f64 / 1000.0);
        }
        known.extend(current);
    }
    let waiting = EngineControl::new(st.engine.clone())
        .approvals(None)
        .await
        .map(|a| a.len())
        .unwrap_or(0);
    metrics::gauge!(HUMAN_WAITING).set(waiting as f64);
    handle.run_upkeep();
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response())
}
