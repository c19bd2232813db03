//! Local runners for Baton: the code that actually executes queued worker and system tasks
//! inside the Baton process.
//!
//! The engine claims a queued task, turns it into a [`TaskRequest`], looks up the [`Runner`]
//! for its queue in a [`Runners`] table and awaits the [`TaskOutcome`]. Runners never panic:
//! every failure (a crashing script, a refused connection, a JavaScript exception...) becomes
//! [`TaskOutcome::Failed`] with a reason a person can act on.
//!
//! Built-in runners (see [`Runners::with_builtins`]):
//! * `HTTP` — Conductor's HTTP task ([`http::HttpRunner`]);
//! * `INLINE` / `LAMBDA` — sandboxed JavaScript ([`inline::InlineRunner`], [`inline::LambdaRunner`]);
//! * `JSON_JQ_TRANSFORM` — jq via jaq ([`jq::JqRunner`]);
//! * `NOOP` — completes with `{}`.
//!
//! Configured runners come from a YAML runner file ([`RunnerConfig`]): `exec` runs any command
//! with the task as JSON on stdin ([`exec::ExecRunner`]) and `http` sends the task input to a
//! fixed endpoint ([`http::BoundHttpRunner`]), and `folder` reaches an agent through its
//! inbox and outbox folders ([`folder::FolderRunner`]).
//!
//! Unix only: `exec` runs each command in its own process group so that a timeout or a
//! cancellation kills the command's children too.

#![warn(missing_docs)]

pub mod config;
pub mod exec;
pub mod folder;
pub mod http;
pub mod inline;
pub mod jq;
mod registry;
mod task;
mod text;

pub use config::{ConfigError, RunnerConfig};
pub use registry::{FnRunner, NoopRunner, Runners};
pub use task::{AttemptLookup, AttemptState, BoxFuture, Runner, TaskOutcome, TaskRequest, WaitsOn};
