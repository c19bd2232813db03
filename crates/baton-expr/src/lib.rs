//! Expressions for Baton (helper-owned; contract in ARCHITECTURE.md).
