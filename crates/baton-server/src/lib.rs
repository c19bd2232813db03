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
//!
//! # Limits
//!
//! Checked by [`limits`] before any handler runs, each answered with the JSON error body
//! and a message naming the limit ([`ServerConfig`] sets them):
//! - request body over `max_body_bytes` (default 8 MiB) → 413, with `Content-Length`
//!   (refused before reading) or chunked (read up to the limit). Large data does not
//!   belong in a workflow: keep it in a file or object store and pass a reference (a URL
//!   or key) — Baton's counterpart of Conductor's external payload storage;
//! - URI over `max_uri_bytes` (default 8 KiB) → 414;
//! - request headers over `max_header_bytes` (default 64 KiB) → 431. Hyper itself refuses
//!   a header section over ~400 KiB or with more than 100 headers, with an empty 431,
//!   before this code can run;
//! - workflow names, task names and task refs in definitions over 256 characters →
//!   400 with diagnostic `BT0124` (the same check `baton validate` runs); the name,
//!   `correlationId`, `workflowId` and `idempotencyKey` of a start request likewise.

pub mod app;
pub mod auth;
pub mod conductor;
pub mod error;
pub mod extract;
pub mod limits;
pub mod metrics;
pub mod native;
pub mod openapi;
pub mod people;
pub mod sse;
pub mod workset;

pub use app::{AppState, ServerConfig, router, router_with_shutdown, serve, serve_with};
pub use auth::{AuthMode, Caller};
pub use error::{ApiError, ErrorBody, ServerError, ValidationError};
