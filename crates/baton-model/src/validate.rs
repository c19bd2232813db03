//! Cross-task checks on the model (helper-owned).
