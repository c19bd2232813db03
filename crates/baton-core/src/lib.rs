//! Baton's pure decider.
//!
//! [`decide`]`(definition, state, event, now) -> Decision { state, effects, transitions, outcome }`
//! is the whole workflow state machine. It does no I/O, never reads the clock (time is
//! the `now` argument) and uses no randomness (task ids come from a counter in the
//! state, retry jitter from a hash of the task id). Because of that, the same events
//! with the same timestamps always give the same state: replaying a workflow's history
//! ([`replay`]) reproduces its stored snapshot, which is how the audit trail is checked.
//!
//! The runtime owns everything else: it stores each decision in one transaction and
//! carries out the [`Effect`]s (queues, timers, events for other workflows) one to one.
//! Every write a decision needs is an effect: the runtime infers none from the state.

mod authorize;
mod backoff;
mod decide;
mod dynamic;
mod eval;
mod fail;
mod flow;
mod input;
mod people;
mod refusal;
mod scope;
mod start;
mod walk;

pub use authorize::{Action, GATE_ROLE, OPERATOR_ROLE, authorize, permit};
pub use backoff::retry_delay_ms;
pub use baton_state::{
    ControlState, Effect, Event, Hold, ParentLink, Principal, QueuedTask, RunOptions, RunSettings,
    RunnerBindings, StartRequest, TaskInstance, TaskResultStatus, TaskStatus, Timer, TimerKind,
    Timestamp, Transition, WorkflowState, WorkflowStatus,
};
pub use decide::{Decision, Outcome, decide};
// The decider's modules name these as `crate::event` and `crate::state`.
use baton_state::{event, state};
pub use fail::inline_failure_def;
pub use input::apply_defaults;
pub use refusal::{Refusal, RefusalKind};

use baton_model::ValidatedDef;

/// Catches a checkpoint up with the history events recorded after it: the state the
/// workflow has now. Stores keep checkpoints and history and never run the decider; the
/// engine's cache and the readers it hands out call this.
pub fn catch_up<'a>(
    definition: &ValidatedDef,
    checkpoint: WorkflowState,
    tail: impl IntoIterator<Item = (&'a Event, Timestamp)>,
) -> WorkflowState {
    let mut state = checkpoint;
    for (event, at) in tail {
        state = decide(definition, state, event, at).state;
    }
    state
}

/// Replays a history from a fresh state: the state it yields must equal the stored one.
pub fn replay<'a>(
    definition: &ValidatedDef,
    workflow_id: &str,
    events: impl IntoIterator<Item = (&'a Event, Timestamp)>,
) -> WorkflowState {
    let state = WorkflowState::new(workflow_id, definition.name.clone(), definition.version);
    catch_up(definition, state, events)
}
