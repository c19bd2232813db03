//! Baton's HTTP API.
//!
//! - Conductor's REST API (`/api/metadata`, `/api/workflow`, `/api/tasks`) with its paths,
//!   parameters, JSON shapes and status codes, so Conductor SDK workers and clients run
//!   against Baton unchanged;
//! - Baton's additions: `GET /api/v1/events` (SSE stream of every transition),
//!   `GET /api/v1/workflows/{id}/history`, `GET /api/v1/openapi.json` (generated from the
//!   handlers), `GET /health` and `GET /ready`;
//! - the client of this API lives in `baton-control` (`HttpControl`), so a face that
//!   talks to a server does not link axum.
//!
//! The caller owns the [`baton_runtime::Engine`] (and any local runners); [`serve`] only
//! translates HTTP into engine calls. Every answer is sent after the engine committed
//! what it reports. Errors are JSON (`{"status", "code", "message", "validationErrors"}`),
//! and no request can make the server panic.

pub mod app;
pub mod conductor;
pub mod error;
pub mod extract;
pub mod limits;
pub mod native;
pub mod openapi;
pub mod sse;

pub use app::{AppState, ServerConfig, router, router_with_shutdown, serve, serve_with};
pub use error::{ApiError, ErrorBody, ServerError, ValidationError};
