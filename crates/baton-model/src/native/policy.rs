//! `retry_policy`, `timeout` and `agent_level` of a YAML task, shared by the native and
//! the stage front-ends.

use super::read::{Reader, child_path};
use crate::model::{JsonMap, RetryLogic, Role, TaskDef};
use crate::source::{Node, Pos};
use std::collections::HashMap;

/// Delay before the first retry when `retry_policy` gives no `initial_delay`.
pub const DEFAULT_INITIAL_DELAY_MS: u64 = 1_000;

/// Codes for policy problems of one front-end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PolicyCodes {
    /// A bad `retry_policy` (`max_attempts: 0`, unknown `backoff`).
    pub retry: &'static str,
    /// A bad `agent_level`.
    pub role: &'static str,
}

/// Builds the task's [`TaskDef`]: no retries and no timeout unless `retry_policy` /
/// `timeout` say otherwise. `max_attempts` counts the first try.
pub(crate) fn read_task_def(
    r: &mut Reader,
    codes: PolicyCodes,
    task: &Node,
    path: &str,
    name: &str,
    fields: &mut HashMap<String, Pos>,
) -> TaskDef {
    let mut def = TaskDef::no_retries(name);
    if let Some(timeout) = task.get("timeout") {
        fields.insert("timeout".to_string(), timeout.pos);
        if let Some(ms) = r.duration(timeout, &child_path(path, "timeout")) {
            def.timeout_ms = ms;
        }
    }
    let Some(policy) = task.get("retry_policy") else {
        return def;
    };
    fields.insert("retry_policy".to_string(), policy.pos);
    let policy_path = child_path(path, "retry_policy");
    if r.mapping(policy, &policy_path).is_none() {
        return def;
    }
    r.unknown_fields(
        policy,
        &policy_path,
        &["max_attempts", "backoff", "initial_delay", "max_delay"],
        &mut def.extra,
    );
    if let Some(node) = policy.get("max_attempts") {
        let field = child_path(&policy_path, "max_attempts");
        match r.count(node, &field) {
            Some(0) => r.error(
                codes.retry,
                node.pos,
                &field,
                "`max_attempts` is 0, but it counts the first try".to_string(),
                "write `max_attempts: 1` for no retries, or more to retry".to_string(),
            ),
            Some(attempts) => def.retry_count = attempts - 1,
            None => {}
        }
    }
    def.retry_delay_ms = DEFAULT_INITIAL_DELAY_MS;
    if let Some(node) = policy.get("initial_delay")
        && let Some(ms) = r.duration(node, &child_path(&policy_path, "initial_delay"))
    {
        def.retry_delay_ms = ms;
    }
    if let Some(node) = policy.get("max_delay")
        && let Some(ms) = r.duration(node, &child_path(&policy_path, "max_delay"))
    {
        def.max_retry_delay_ms = Some(ms);
    }
    if let Some(node) = policy.get("backoff") {
        let field = child_path(&policy_path, "backoff");
        if let Some(text) = r.string(node, &field) {
            match text.to_ascii_lowercase().as_str() {
                "fixed" => def.retry_logic = RetryLogic::Fixed,
                "linear" => def.retry_logic = RetryLogic::LinearBackoff,
                "exponential" => def.retry_logic = RetryLogic::ExponentialBackoff,
                _ => r.error(
                    codes.retry,
                    node.pos,
                    &field,
                    format!("unknown backoff `{text}`"),
                    "write `backoff: fixed`, `backoff: linear` or `backoff: exponential`"
                        .to_string(),
                ),
            }
        }
    }
    def
}

/// Reads `agent_level: L0..L3`.
pub(crate) fn read_role(
    r: &mut Reader,
    code: &'static str,
    node: &Node,
    path: &str,
) -> Option<Role> {
    let text = r.string(node, path)?;
    let role = match text.trim().to_ascii_uppercase().as_str() {
        "L0" => Some(Role::L0),
        "L1" => Some(Role::L1),
        "L2" => Some(Role::L2),
        "L3" => Some(Role::L3),
        _ => None,
    };
    if role.is_none() {
        r.error(
            code,
            node.pos,
            path,
            format!("`{text}` is not an agent level"),
            "write one of L0 (commander), L1 (bridge), L2 (station ops), L3 (worker)".to_string(),
        );
    }
    role
}

/// Reads a task's `input` mapping, recording the position of every key as `input.key...`.
pub(crate) fn read_input(
    r: &mut Reader,
    task: &Node,
    path: &str,
    fields: &mut HashMap<String, Pos>,
) -> JsonMap {
    let Some(node) = task.get("input") else {
        return JsonMap::new();
    };
    let input_path = child_path(path, "input");
    fields.insert("input".to_string(), node.pos);
    if node.as_map().is_none() && !matches!(node.kind, crate::source::NodeKind::Null) {
        r.wrong_type(node, &input_path, "a mapping of input names to values");
        return JsonMap::new();
    }
    super::read::record_positions(node, "input", fields);
    match node.to_json() {
        serde_json::Value::Object(map) => map,
        _ => JsonMap::new(),
    }
}
