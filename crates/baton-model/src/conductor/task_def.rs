//! Conductor `TaskDef` ⇄ [`TaskDef`].

use super::export::{ordered, seconds};
use super::read::{Reader, join};
use crate::model::{JsonMap, RetryLogic, TaskDef, TaskTimeoutPolicy};
use crate::source::Node;
use serde_json::{Value, json};

/// Every `TaskDef` field Conductor defines, in the order Conductor writes them, plus the
/// Baton extension object.
const FIELDS: &[&str] = &[
    "ownerApp",
    "createTime",
    "updateTime",
    "createdBy",
    "updatedBy",
    "accessPolicy",
    "name",
    "description",
    "retryCount",
    "timeoutSeconds",
    "inputKeys",
    "outputKeys",
    "timeoutPolicy",
    "retryLogic",
    "retryDelaySeconds",
    "responseTimeoutSeconds",
    "concurrentExecLimit",
    "inputTemplate",
    "rateLimitPerFrequency",
    "rateLimitFrequencyInSeconds",
    "isolationGroupId",
    "executionNameSpace",
    "ownerEmail",
    "pollTimeoutSeconds",
    "backoffScaleFactor",
    "baseType",
    "totalTimeoutSeconds",
    "inputSchema",
    "outputSchema",
    "enforceSchema",
    "tags",
    "baton",
];

/// Fields of the `baton` extension object of a task definition.
const EXTENSION_FIELDS: &[&str] = &["maxRetryDelayMs"];

const RETRY_LOGICS: &[&str] = &["FIXED", "EXPONENTIAL_BACKOFF", "LINEAR_BACKOFF"];
const TIMEOUT_POLICIES: &[&str] = &["RETRY", "TIME_OUT_WF", "ALERT_ONLY"];

/// Reads a `TaskDef` mapping at `path`; `None` after reporting when it cannot be built.
pub(super) fn read(reader: &mut Reader, node: &Node, path: &str) -> Option<TaskDef> {
    let Some(entries) = node.as_map() else {
        reader.wrong_type(node, path, "a task definition mapping");
        return None;
    };
    let errors_before = reader.diagnostics.iter().filter(|d| d.is_error()).count();
    let name = reader.required_string(node, "name", path, "the task name the definition is for");
    let mut def = TaskDef::conductor_default(name.as_deref().unwrap_or_default());
    for (key, value) in entries {
        let p = join(path, &key.name);
        let p = p.as_str();
        match key.name.as_str() {
            "name" => {}
            "description" => def.description = reader.string(value, p),
            "retryCount" => set(&mut def.retry_count, reader.u32(value, p)),
            "retryLogic" => set(
                &mut def.retry_logic,
                reader.choice(value, p, RETRY_LOGICS).map(retry_logic),
            ),
            "retryDelaySeconds" => set(&mut def.retry_delay_ms, reader.seconds_as_ms(value, p)),
            "backoffScaleFactor" => set(&mut def.backoff_scale_factor, reader.u32(value, p)),
            "timeoutSeconds" => set(&mut def.timeout_ms, reader.seconds_as_ms(value, p)),
            "timeoutPolicy" => set(
                &mut def.timeout_policy,
                reader
                    .choice(value, p, TIMEOUT_POLICIES)
                    .map(timeout_policy),
            ),
            "responseTimeoutSeconds" => {
                set(&mut def.response_timeout_ms, reader.seconds_as_ms(value, p))
            }
            "pollTimeoutSeconds" => set(&mut def.poll_timeout_ms, reader.seconds_as_ms(value, p)),
            "rateLimitPerFrequency" => set(&mut def.rate_limit_per_frequency, reader.u32(value, p)),
            "rateLimitFrequencyInSeconds" => set(
                &mut def.rate_limit_frequency_ms,
                reader.seconds_as_ms(value, p),
            ),
            "concurrentExecLimit" => set(&mut def.concurrent_exec_limit, reader.u32(value, p)),
            "inputKeys" => set(&mut def.input_keys, reader.string_list(value, p)),
            "outputKeys" => set(&mut def.output_keys, reader.string_list(value, p)),
            "inputTemplate" => set(&mut def.input_template, reader.json_map(value, p)),
            "baton" => read_extension(reader, value, p, &mut def),
            known if FIELDS.contains(&known) => {
                def.extra.insert(key.name.clone(), value.to_json());
            }
            _ => {}
        }
    }
    reader.unknown_fields(node, path, FIELDS, "a task definition", &mut def.extra);
    let errors_after = reader.diagnostics.iter().filter(|d| d.is_error()).count();
    (name.is_some() && errors_after == errors_before).then_some(def)
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

fn read_extension(reader: &mut Reader, node: &Node, path: &str, def: &mut TaskDef) {
    if node.as_map().is_none() {
        reader.wrong_type(node, path, "a mapping of Baton extension fields");
        return;
    }
    if let Some(value) = node.get("maxRetryDelayMs") {
        def.max_retry_delay_ms = reader.unsigned(value, &join(path, "maxRetryDelayMs"), u64::MAX);
    }
    let mut unknown = JsonMap::new();
    reader.unknown_fields(
        node,
        path,
        EXTENSION_FIELDS,
        "the `baton` extension",
        &mut unknown,
    );
    if !unknown.is_empty() {
        def.extra
            .insert("baton".to_string(), Value::Object(unknown));
    }
}

fn retry_logic(name: &str) -> RetryLogic {
    match name {
        "EXPONENTIAL_BACKOFF" => RetryLogic::ExponentialBackoff,
        "LINEAR_BACKOFF" => RetryLogic::LinearBackoff,
        _ => RetryLogic::Fixed,
    }
}

fn timeout_policy(name: &str) -> TaskTimeoutPolicy {
    match name {
        "RETRY" => TaskTimeoutPolicy::Retry,
        "ALERT_ONLY" => TaskTimeoutPolicy::AlertOnly,
        _ => TaskTimeoutPolicy::TimeOutWf,
    }
}

/// Writes a [`TaskDef`] as Conductor `TaskDef` JSON (durations in whole seconds, rounded
/// up; the model-only `max_retry_delay_ms` in the `baton` extension object).
pub fn task_def_to_json(def: &TaskDef) -> Value {
    let mut fields = JsonMap::new();
    fields.insert("name".into(), json!(def.name));
    if let Some(description) = &def.description {
        fields.insert("description".into(), json!(description));
    }
    fields.insert("retryCount".into(), json!(def.retry_count));
    fields.insert("timeoutSeconds".into(), json!(seconds(def.timeout_ms)));
    fields.insert("inputKeys".into(), json!(def.input_keys));
    fields.insert("outputKeys".into(), json!(def.output_keys));
    let policy = match def.timeout_policy {
        TaskTimeoutPolicy::Retry => "RETRY",
        TaskTimeoutPolicy::TimeOutWf => "TIME_OUT_WF",
        TaskTimeoutPolicy::AlertOnly => "ALERT_ONLY",
    };
    fields.insert("timeoutPolicy".into(), json!(policy));
    let logic = match def.retry_logic {
        RetryLogic::Fixed => "FIXED",
        RetryLogic::ExponentialBackoff => "EXPONENTIAL_BACKOFF",
        RetryLogic::LinearBackoff => "LINEAR_BACKOFF",
    };
    fields.insert("retryLogic".into(), json!(logic));
    fields.insert(
        "retryDelaySeconds".into(),
        json!(seconds(def.retry_delay_ms)),
    );
    fields.insert(
        "responseTimeoutSeconds".into(),
        json!(seconds(def.response_timeout_ms)),
    );
    fields.insert(
        "concurrentExecLimit".into(),
        json!(def.concurrent_exec_limit),
    );
    fields.insert(
        "inputTemplate".into(),
        Value::Object(def.input_template.clone()),
    );
    fields.insert(
        "rateLimitPerFrequency".into(),
        json!(def.rate_limit_per_frequency),
    );
    fields.insert(
        "rateLimitFrequencyInSeconds".into(),
        json!(seconds(def.rate_limit_frequency_ms)),
    );
    fields.insert(
        "pollTimeoutSeconds".into(),
        json!(seconds(def.poll_timeout_ms)),
    );
    fields.insert("backoffScaleFactor".into(), json!(def.backoff_scale_factor));
    let mut extension = match def.extra.get("baton") {
        Some(Value::Object(kept)) => kept.clone(),
        _ => JsonMap::new(),
    };
    if let Some(max) = def.max_retry_delay_ms {
        extension.insert("maxRetryDelayMs".into(), json!(max));
    }
    for (key, value) in &def.extra {
        if key != "baton" {
            fields.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    if !extension.is_empty() {
        fields.insert("baton".into(), Value::Object(extension));
    }
    Value::Object(ordered(fields, FIELDS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conductor::codes;
    use crate::diagnostic::Diagnostic;
    use crate::source::parse;

    fn read_text(text: &str) -> (Option<TaskDef>, Vec<Diagnostic>) {
        let node = parse(text).expect("valid yaml");
        let mut reader = Reader::default();
        let def = read(&mut reader, &node, "");
        (def, reader.diagnostics)
    }

    #[test]
    fn absent_fields_take_conductor_defaults() {
        let (def, diagnostics) = read_text(r#"{"name": "t"}"#);
        assert_eq!(def, Some(TaskDef::conductor_default("t")));
        assert!(diagnostics.is_empty());
    }

    #[test]
    fn full_field_set_is_read_and_written_back() {
        let text = r#"{"name": "t", "description": "d", "retryCount": 2, "retryLogic": "LINEAR_BACKOFF",
            "retryDelaySeconds": 5, "backoffScaleFactor": 3, "timeoutSeconds": 30, "timeoutPolicy": "RETRY",
            "responseTimeoutSeconds": 10, "pollTimeoutSeconds": 7, "rateLimitPerFrequency": 4,
            "rateLimitFrequencyInSeconds": 60, "concurrentExecLimit": 2, "inputKeys": ["a"], "outputKeys": ["b"],
            "inputTemplate": {"a": 1}, "ownerEmail": "x@y", "isolationGroupId": "g", "baton": {"maxRetryDelayMs": 1500}}"#;
        let (def, diagnostics) = read_text(text);
        let def = def.expect("valid task def");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(def.retry_logic, RetryLogic::LinearBackoff);
        assert_eq!(def.retry_delay_ms, 5_000);
        assert_eq!(def.timeout_policy, TaskTimeoutPolicy::Retry);
        assert_eq!(def.poll_timeout_ms, 7_000);
        assert_eq!(def.max_retry_delay_ms, Some(1500));
        assert_eq!(def.extra.get("ownerEmail"), Some(&json!("x@y")));
        let again = parse(&task_def_to_json(&def).to_string()).expect("json");
        let mut reader = Reader::default();
        assert_eq!(read(&mut reader, &again, ""), Some(def));
    }

    #[test]
    fn bad_values_are_reported_with_paths() {
        let (def, diagnostics) =
            read_text("name: t\nretryCount: -1\nretryLogic: SOMETIMES\ntimeoutSeconds: x\n");
        assert!(def.is_none());
        let fields: Vec<(&str, &str, u32)> = diagnostics
            .iter()
            .map(|d| (d.code, d.field.as_str(), d.pos.line))
            .collect();
        assert_eq!(
            fields,
            vec![
                (codes::OUT_OF_RANGE, "retryCount", 2),
                (codes::INVALID_VALUE, "retryLogic", 3),
                (codes::WRONG_TYPE, "timeoutSeconds", 4)
            ]
        );
    }

    #[test]
    fn unknown_fields_warn_and_are_kept() {
        let (def, diagnostics) = read_text("name: t\nretryCont: 2\n");
        let def = def.expect("warnings only");
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, codes::UNKNOWN_FIELD);
        assert_eq!(
            diagnostics[0].help.as_deref(),
            Some("did you mean `retryCount`?")
        );
        assert_eq!(def.extra.get("retryCont"), Some(&json!(2)));
        assert_eq!(task_def_to_json(&def)["retryCont"], json!(2));
    }
}
