//! Baton's benchmark harness.
//!
//! Workloads (all steps are no-ops returning a small JSON object; the store runs with the
//! defaults a user gets: SQLite WAL + `synchronous=FULL`):
//! - **W1 chain**: N workflows of 10 sequential SIMPLE steps, all started at once.
//! - **W2 fan-out**: workflows of one FORK_JOIN_DYNAMIC of F parallel steps, a JOIN, and a
//!   step summing the JOIN output; the sums are checked.
//! - **W3 latency**: workflows of 10 steps started one after the other; end-to-end and
//!   per-step latency percentiles.
//! - **W4 scale**: W1 with many more workflows; throughput, peak RSS, database size.
//! - **hotpath**: the hot path one command at a time, for instruction counts.
//! - **validate**: loading and validating a definition of 1,000 / 10,000 tasks.
//!
//! Steps run either in-process ([`workers::Mode::Embedded`], local runners through
//! `baton_runtime::dispatch`) or in a separate worker process talking to an in-process
//! `baton_server` over the Conductor task API ([`workers::Mode::Http`]).
//!
//! Every run checks its results: a workflow that did not complete, a wrong step count or a
//! wrong sum is an error, never a number.

pub mod cli;
pub mod defs;
pub mod hotpath;
#[cfg(feature = "http")]
pub mod http;
pub mod report;
pub mod run;
pub mod stats;
pub mod sys;
pub mod track;
pub mod validation;
pub mod verify;
#[cfg(feature = "http")]
pub mod worker;
pub mod workers;
