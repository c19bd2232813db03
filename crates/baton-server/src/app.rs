//! Assembling the router and serving it with graceful shutdown.

use crate::error::{ApiError, ServerError};
use crate::{conductor, native, sse};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use baton_core::Principal;
use baton_model::Role;
use baton_runtime::EngineHandle;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on (used by callers that bind the listener themselves from it).
    pub bind: SocketAddr,
    /// Largest accepted request body, in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Longest accepted request URI (path and query), in bytes; longer ones get 414.
    pub max_uri_bytes: usize,
    /// Largest accepted request header section (names and values), in bytes; larger ones
    /// get 431. Keep it below hyper's own limit (~400 KiB), which answers without a body.
    pub max_header_bytes: usize,
    /// Longest long-poll a worker may ask for (Conductor: 5000 ms).
    pub max_poll_timeout_ms: u64,
    /// Most tasks one batch poll may ask for.
    pub max_poll_count: usize,
    /// Interval of SSE keep-alive comments.
    pub sse_keep_alive: Duration,
    /// Whether callers need a token (the library default: no, as the L0 `api`
    /// principal; `baton server` requires one).
    pub auth: crate::auth::AuthMode,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 8 * 1024 * 1024,
            max_uri_bytes: 8 * 1024,
            max_header_bytes: 64 * 1024,
            max_poll_timeout_ms: 5_000,
            max_poll_count: 1_000,
            sse_keep_alive: Duration::from_secs(15),
            auth: crate::auth::AuthMode::default(),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The engine.
    pub engine: EngineHandle,
    /// Settings.
    pub config: Arc<ServerConfig>,
    /// Cancelled when the server shuts down (ends SSE streams).
    pub shutdown: CancellationToken,
    /// The generated OpenAPI document, as JSON text.
    pub openapi: Arc<OnceLock<String>>,
}

impl AppState {
    /// The principal of requests when authentication is disabled.
    pub fn operator(&self) -> Principal {
        match &self.config.auth {
            crate::auth::AuthMode::Disabled(p) => p.clone(),
            crate::auth::AuthMode::Required => Principal::new("api", Role::L0),
        }
    }
}

/// Every route with its OpenAPI documentation.
pub(crate) fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::base())
        .merge(conductor::metadata::routes())
        .merge(conductor::workflow::routes())
        .merge(conductor::tasks::routes())
        .merge(native::routes())
        .merge(crate::people::routes())
        .merge(crate::auth::routes())
        .merge(crate::workset::routes())
        .merge(sse::routes())
        .merge(crate::metrics::routes())
}

/// The router over `engine`. SSE streams end when `shutdown` is cancelled.
pub fn router_with_shutdown(
    engine: EngineHandle,
    config: ServerConfig,
    shutdown: CancellationToken,
) -> Router {
    crate::metrics::install();
    let (router, api) = api_router().split_for_parts();
    let openapi = Arc::new(OnceLock::new());
    let text =
        serde_json::to_string_pretty(&api).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    let _ = openapi.set(text);
    let max_body = config.max_body_bytes;
    let config = Arc::new(config);
    let state = AppState {
        engine,
        config: config.clone(),
        shutdown,
        openapi,
    };
    router
        .fallback(no_route)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::authenticate,
        ))
        .with_state(state)
        .layer(axum::middleware::map_response(json_errors))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            config,
            crate::limits::enforce,
        ))
        .layer(axum::middleware::from_fn(access_log))
        .layer(TraceLayer::new_for_http())
}

/// The router over `engine` (Conductor API, native additions, OpenAPI document).
pub fn router(engine: EngineHandle, config: ServerConfig) -> Router {
    router_with_shutdown(engine, config, CancellationToken::new())
}

/// Serves the API on `listener` until `shutdown` completes, then stops accepting
/// connections, ends SSE streams and lets in-flight requests finish. Every response is
/// sent after the engine committed what it reports, so nothing acknowledged is lost.
pub async fn serve(
    listener: tokio::net::TcpListener,
    engine: EngineHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    serve_with(listener, engine, ServerConfig::default(), shutdown).await
}

/// [`serve`] with explicit settings.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    engine: EngineHandle,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let token = CancellationToken::new();
    let app = router_with_shutdown(engine, config, token.clone());
    let signal = async move {
        shutdown.await;
        token.cancel();
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(signal)
        .await?;
    Ok(())
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!(
        "no endpoint {method} {}; see /api/v1/openapi.json",
        uri.path()
    ))
}

/// Gives error responses produced outside the handlers (405, 413, ...) a JSON body.
async fn json_errors(res: Response) -> Response {
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = match (status, text.is_empty()) {
        (StatusCode::METHOD_NOT_ALLOWED, _) => {
            "this endpoint does not accept this HTTP method".to_string()
        }
        (StatusCode::PAYLOAD_TOO_LARGE, _) => {
            "the request body is larger than the server accepts".to_string()
        }
        (_, true) => status.canonical_reason().unwrap_or("error").to_string(),
        (_, false) => text,
    };
    let mut out = ApiError::new(status, message).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    out
}

/// A `text/plain` response (ids, as Conductor answers them).
pub(crate) fn text(body: impl Into<String>) -> Response {
    let mut res = Response::new(Body::from(body.into()));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=UTF-8"),
    );
    res
}

/// Runs `f` with a fresh read-only view of committed data on a blocking thread (the
/// store's reads are synchronous).
pub(crate) async fn read<T: Send + 'static>(
    st: &AppState,
    f: impl FnOnce(&dyn baton_store::Reader) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let engine = st.engine.clone();
    tokio::task::spawn_blocking(move || {
        let reader = engine.reader()?;
        f(reader.as_ref())
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("a read failed: {e}"),
        )
    })?
}

/// One line per request at info level, target `baton::access`: method, path, status,
/// latency (`BATON_LOG=baton::access=off` silences it).
async fn access_log(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    tracing::info!(
        target: "baton::access",
        "{method} {path} {} {:.1}ms",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}
