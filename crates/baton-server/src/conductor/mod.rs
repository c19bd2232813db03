//! Conductor's REST API.

pub mod metadata;
pub mod model;
pub mod search;
pub mod tasks;
pub mod workflow;
