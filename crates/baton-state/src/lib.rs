//! The durable shapes of a Baton run, shared by the decider (`baton-core`), which
//! computes them, and the stores (`baton-store`), which keep them.
//!
//! - [`WorkflowState`]: a workflow's state, stored as its checkpoint;
//! - [`Event`]: what happened to a workflow, stored as its history (the record of
//!   truth); [`Effect`]: what a decision asks the runtime to do;
//! - [`QueuedTask`], [`Timer`]: rows of the task queue and the timer table;
//! - [`Principal`]: who caused an event.
//!
//! Data only: this crate never decides, reads a clock or does I/O, so a store can depend
//! on it without depending on the decider. The serde shapes are stored forever: add
//! fields with defaults, never rename.

pub mod compact;
pub mod event;
pub mod state;

pub use event::{
    Effect, Event, Principal, QueuedTask, RunOptions, RunnerBindings, StartRequest,
    TaskResultStatus, Timer, TimerKind, Transition,
};
pub use state::{
    ControlState, Hold, ParentLink, RunSettings, TaskInstance, TaskStatus, Timestamp,
    WorkflowState, WorkflowStatus,
};
