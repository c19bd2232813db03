//! The HTTP API end to end over a real engine and SQLite store: good and bad input for
//! every endpoint (status code and JSON error body).

mod auth;
mod harness;
mod metadata;
mod native;
mod people;
mod tasks;
mod workflow;
mod workset;
