//! `${...}` references in task inputs, conditions and the workflow output: malformed
//! templates, unknown roots, tasks that may not have run, undeclared workflow inputs.

use super::codes;
use super::index::Index;
use super::locate;
use super::suggest::did_you_mean;
use crate::diagnostic::{Diagnostic, SourceMap};
use crate::model::{OutputSpec, SourceFormat, TaskKind, WorkflowDef};
use crate::source::Pos;
use baton_expr::template::{Reference, references_in_str};
use serde_json::Value;

/// Roots Conductor resolves without a task or `workflow` (`${CPEWF_TASK_ID}` = the task's id).
const SPECIAL_ROOTS: &[&str] = &["CPEWF_TASK_ID"];

/// Where a template was found, for the diagnostics about it.
struct Site<'a> {
    pos: Pos,
    path: String,
    /// Which tasks may be referenced without a warning; `None`: every task (workflow
    /// output).
    upstream: Option<Upstream<'a>>,
    /// The task whose field holds the template, if any.
    owner: Option<&'a str>,
}

/// The tasks a template of the task `me` may refer to: those upstream of it, and for a
/// loop condition (which runs after each iteration) the loop's own body too.
#[derive(Clone, Copy)]
struct Upstream<'a> {
    me: &'a str,
    loop_condition: bool,
}

/// Checks every template of `def`.
pub(super) fn check(
    def: &WorkflowDef,
    index: &Index<'_>,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    let checker = Checker { def, index };
    for info in &index.all {
        let task = info.task;
        let me = task.ref_name.as_str();
        let mut upstream = Upstream {
            me,
            loop_condition: false,
        };
        // Texts of the task's own fields, with their field paths.
        let mut texts: Vec<(String, &str)> = Vec::new();
        for (key, value) in &task.input {
            collect_strings(value, &format!("input.{key}"), &mut texts);
        }
        if let Some(when) = &task.when {
            texts.push(("when".to_string(), when));
        }
        match &task.kind {
            TaskKind::Switch(spec) if spec.expression.contains("${") => {
                texts.push(("expression".to_string(), &spec.expression));
            }
            TaskKind::DoWhile(spec) if spec.condition.contains("${") => {
                // The condition runs after each iteration: the body and the loop itself are done.
                upstream.loop_condition = true;
                texts.push(("loopCondition".to_string(), &spec.condition));
            }
            _ => {}
        }
        for (field, text) in &texts {
            let (pos, path) = locate(sources, me, field);
            let site = Site {
                pos,
                path,
                upstream: Some(upstream),
                owner: Some(me),
            };
            checker.check_text(text, &site, out);
        }
    }
    if let OutputSpec::Template(template) = &def.output {
        for (key, value) in template {
            let (pos, path) = sources.field(&format!("output.{key}"));
            let mut texts = Vec::new();
            collect_strings(value, key, &mut texts);
            for (_, text) in texts {
                checker.check_text(
                    text,
                    &Site {
                        pos,
                        path: path.clone(),
                        upstream: None,
                        owner: None,
                    },
                    out,
                );
            }
        }
    }
}

/// Every string inside `value` with its path below `prefix` (`input.a.b[0]`).
fn collect_strings<'v>(value: &'v Value, prefix: &str, out: &mut Vec<(String, &'v str)>) {
    match value {
        Value::String(s) => out.push((prefix.to_string(), s)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_strings(item, &format!("{prefix}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                collect_strings(v, &format!("{prefix}.{k}"), out);
            }
        }
        _ => {}
    }
}

struct Checker<'a> {
    def: &'a WorkflowDef,
    index: &'a Index<'a>,
}

impl Checker<'_> {
    fn check_text(&self, text: &str, site: &Site<'_>, out: &mut Vec<Diagnostic>) {
        match references_in_str(text) {
            Ok(refs) => {
                for reference in refs {
                    self.check_reference(&reference, site, out);
                }
            }
            Err(e) => out.push(
                Diagnostic::error(codes::MALFORMED_TEMPLATE, site.pos, &site.path, format!("malformed template: {e}"))
                    .with_help("write a reference as `${workflow.input.name}` or `${task_id.output.key}`; write `$${` for a literal `${`"),
            ),
        }
    }

    fn check_reference(&self, reference: &Reference, site: &Site<'_>, out: &mut Vec<Diagnostic>) {
        let root = reference.root.as_str();
        let shown = format!("${{{}}}", reference.expr);
        if root == "workflow" {
            self.check_workflow_input(reference, site, out);
            return;
        }
        if self.index.tasks.contains_key(root) {
            let upstream_ok = match site.upstream {
                None => true,
                Some(u) => {
                    root != u.me
                        && (self.index.is_upstream(root, u.me)
                            || (u.loop_condition && self.index.is_nested_in(root, u.me)))
                }
            };
            if !upstream_ok {
                let owner = site.owner.unwrap_or_default();
                out.push(
                    Diagnostic::warning(
                        codes::NOT_UPSTREAM,
                        site.pos,
                        &site.path,
                        format!("`{shown}` refers to task `{root}`, which may not have run when `{owner}` starts"),
                    )
                    .with_help(format!(
                        "make `{owner}` depend on `{root}` (`depends_on: [{root}]`), or refer to a task that runs before it"
                    )),
                );
            }
            self.check_declared_output(reference, site, out);
            return;
        }
        if SPECIAL_ROOTS.contains(&root) {
            return;
        }
        if reference.key.is_none() {
            out.push(
                Diagnostic::warning(
                    codes::BARE_REFERENCE,
                    site.pos,
                    &site.path,
                    format!("`{shown}` names neither `workflow` nor a task; it resolves to null (Baton never reads environment variables)"),
                )
                .with_help("write `${workflow.input.name}` or `${task_id.output.key}`"),
            );
            return;
        }
        let mut names: Vec<&str> = self.index.tasks.keys().copied().collect();
        names.push("workflow");
        names.sort_unstable();
        let help = match did_you_mean(root, names.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!(
                "a reference starts with `workflow` or a task ref ({}); stage tasks without an `id` cannot be referenced",
                names.join(", ")
            ),
        };
        out.push(
            Diagnostic::error(
                codes::UNKNOWN_REFERENCE,
                site.pos,
                &site.path,
                format!("`{shown}` refers to `{root}`, which is neither `workflow` nor a task of this workflow"),
            )
            .with_help(help),
        );
    }

    /// `${t.output.k}` where `t` declares its outputs (`output: [...]`) and `k` is not
    /// one of them: the value would silently be null.
    fn check_declared_output(
        &self,
        reference: &Reference,
        site: &Site<'_>,
        out: &mut Vec<Diagnostic>,
    ) {
        if reference.key.as_deref() != Some("output") {
            return;
        }
        let Some(info) = self.index.tasks.get(reference.root.as_str()) else {
            return;
        };
        let declared = &info.task.declared_outputs;
        if declared.is_empty() {
            return;
        }
        let rest = reference
            .expr
            .trim()
            .trim_start_matches("$.")
            .strip_prefix(reference.root.as_str())
            .and_then(|r| r.strip_prefix(".output."));
        let Some(rest) = rest else {
            return;
        };
        let key = &rest[..rest.find(['.', '[']).unwrap_or(rest.len())];
        if key.is_empty() || declared.iter().any(|d| d == key) {
            return;
        }
        let help = match did_you_mean(key, declared.iter().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!(
                "`{}` declares: {}; add `{key}` to its `output:` if it produces it",
                reference.root,
                declared.join(", ")
            ),
        };
        out.push(
            Diagnostic::warning(
                codes::UNDECLARED_TASK_OUTPUT,
                site.pos,
                &site.path,
                format!(
                    "`${{{}}}` reads output `{key}` of `{}`, which its `output:` does not declare; it would be null",
                    reference.expr, reference.root
                ),
            )
            .with_help(help),
        );
    }

    fn check_workflow_input(
        &self,
        reference: &Reference,
        site: &Site<'_>,
        out: &mut Vec<Diagnostic>,
    ) {
        // Conductor's `inputParameters` only documents inputs, and is rarely complete.
        let documented_only = self.def.format == SourceFormat::Conductor;
        if documented_only
            || self.def.inputs.is_empty()
            || reference.key.as_deref() != Some("input")
        {
            return;
        }
        let Some(name) = input_name(&reference.expr) else {
            return;
        };
        if self.def.inputs.iter().any(|i| i.name == name) {
            return;
        }
        let declared: Vec<&str> = self.def.inputs.iter().map(|i| i.name.as_str()).collect();
        let help = match did_you_mean(&name, declared.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!(
                "declare it under `input:` (declared: {})",
                declared.join(", ")
            ),
        };
        out.push(
            Diagnostic::warning(
                codes::UNDECLARED_INPUT,
                site.pos,
                &site.path,
                format!(
                    "`${{{}}}` uses workflow input `{name}`, which is not declared",
                    reference.expr
                ),
            )
            .with_help(help),
        );
    }
}

/// `x` of `workflow.input.x...` (also `$.workflow.input.x`, `workflow.input['x']`).
fn input_name(expr: &str) -> Option<String> {
    let trimmed = expr.trim();
    let trimmed = trimmed.strip_prefix("$.").unwrap_or(trimmed);
    let rest = trimmed.strip_prefix("workflow")?;
    let rest = rest
        .strip_prefix(".input")
        .or_else(|| rest.strip_prefix("['input']"))?;
    if let Some(name) = rest.strip_prefix('.') {
        let end = name.find(['.', '[']).unwrap_or(name.len());
        return name
            .get(..end)
            .map(str::to_string)
            .filter(|n| !n.is_empty());
    }
    let quoted = rest.strip_prefix("['")?;
    let end = quoted.find("']")?;
    quoted.get(..end).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::input_name;

    #[test]
    fn input_names_are_found_in_all_spellings() {
        assert_eq!(
            input_name("workflow.input.folder").as_deref(),
            Some("folder")
        );
        assert_eq!(
            input_name("workflow.input.folder.sub[0]").as_deref(),
            Some("folder")
        );
        assert_eq!(
            input_name("$.workflow.input['a.b']").as_deref(),
            Some("a.b")
        );
        assert_eq!(input_name("workflow.input").as_deref(), None);
        assert_eq!(input_name("workflow.variables.x").as_deref(), None);
    }
}
