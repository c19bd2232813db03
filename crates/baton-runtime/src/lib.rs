//! Baton's runtime: the engine that makes workflows run, durably.
//!
//! - [`Engine`] owns the store on one thread. Every command (start a workflow, a worker's
//!   result, a poll, an operator action, a due timer) becomes a decider event; the
//!   commands that arrive together are decided and written in one transaction (group
//!   commit), and callers hear back only after that commit.
//! - Effects that concern other workflows (start a child, report to a parent, terminate
//!   a child) are carried out in the same transaction, so they can neither be lost nor
//!   happen twice.
//! - [`dispatch`] runs local runners (exec, http, inline JS, jq, Rust closures) on the
//!   queues they serve, through the same poll/update path remote workers use.

mod caught_up;
mod clock;
pub mod dispatch;
mod engine;
mod signals;

pub use caught_up::CaughtUpReader;
pub use clock::{Clock, ManualClock, SystemClock};
pub use engine::metrics;
pub use engine::{
    Engine, EngineConfig, EngineError, EngineEvent, EngineHandle, IdempotencyStrategy,
    NumberedEvent, StartWorkflow, TaskLogLine,
};
