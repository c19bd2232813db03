//! Source positions of tasks and their fields, for diagnostics on the model.

use super::read::{index, join};
use crate::diagnostic::{SourceMap, TaskSource};
use crate::source::{Node, NodeKind, Pos};
use std::collections::HashMap;

/// Records where the task and its fields are in the source map.
pub(super) fn record(sources: &mut SourceMap, node: &Node, path: &str, ref_name: &str) {
    if ref_name.is_empty() {
        return;
    }
    let mut fields = HashMap::new();
    record_fields(node, "", &mut fields);
    let aliases: Vec<(String, Pos)> = fields
        .iter()
        .filter_map(|(key, pos)| model_alias(key).map(|alias| (alias, *pos)))
        .collect();
    fields.extend(aliases);
    sources
        .tasks
        .entry(ref_name.to_string())
        .or_insert(TaskSource {
            pos: node.pos,
            path: path.to_string(),
            fields,
        });
}

/// Field positions below `node`, keyed by relative path; nested task lists and inline
/// sub-workflow definitions are not entered (their tasks are recorded on their own).
fn record_fields(node: &Node, prefix: &str, fields: &mut HashMap<String, Pos>) {
    match &node.kind {
        NodeKind::Map(entries) => {
            for (key, value) in entries {
                let path = join(prefix, &key.name);
                fields.insert(path.clone(), value.pos);
                let nested_tasks = prefix.is_empty()
                    && matches!(key.name.as_str(), "defaultCase" | "loopOver" | "forkTasks");
                let case_list = prefix == "decisionCases";
                if !(nested_tasks || case_list || key.name == "workflowDefinition") {
                    record_fields(value, &path, fields);
                }
            }
        }
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let path = index(prefix, i);
                fields.insert(path.clone(), item.pos);
                record_fields(item, &path, fields);
            }
        }
        _ => {}
    }
}

/// The model-field spelling of a Conductor field path (`inputParameters.x` → `input.x`),
/// recorded too so checks on the model can look fields up by either name.
fn model_alias(path: &str) -> Option<String> {
    const ALIASES: &[(&str, &str)] = &[
        ("taskReferenceName", "ref_name"),
        ("inputParameters", "input"),
        ("joinOn", "join_on"),
        ("defaultExclusiveJoinTask", "default_exclusive_join_task"),
        ("loopCondition", "condition"),
        ("decisionCases", "cases"),
        ("defaultCase", "default_case"),
        ("taskDefinition", "task_def"),
        ("baton.dependsOn", "depends_on"),
        ("baton.when", "when"),
        ("baton.next", "next"),
    ];
    ALIASES.iter().find_map(|(conductor, model)| {
        let rest = path.strip_prefix(conductor)?;
        (rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
            .then(|| format!("{model}{rest}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_keep_the_rest_of_the_path() {
        assert_eq!(
            model_alias("inputParameters.x[0]").as_deref(),
            Some("input.x[0]")
        );
        assert_eq!(model_alias("joinOn[1]").as_deref(), Some("join_on[1]"));
        assert_eq!(model_alias("inputParametersX"), None);
        assert_eq!(model_alias("type"), None);
    }
}
