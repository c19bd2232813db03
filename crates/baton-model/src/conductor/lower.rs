//! Lowering a task list that uses the native DAG features (`depends_on`, DECISION branch
//! heads, `when:`) to Conductor constructs.
//!
//! 1. Each native DECISION with branch heads in the list becomes one unit: its cases are
//!    the head and the tasks reachable only through it (recursively lowered).
//! 2. The units' dependency graph is decomposed into sequences and parallel groups
//!    ([`series_parallel`]); a parallel group becomes FORK_JOIN + JOIN whose `joinOn` are
//!    the ends of the branches.
//! 3. A `when:` task is wrapped in a SWITCH on a javascript evaluator whose `"true"` case
//!    holds the task; `${...}` references in the condition become inputs of the SWITCH.

use super::export::{ExportState, task_json};
use super::series_parallel::{self, Element};
use crate::model::{Task, TaskKind};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Whether `tasks` uses a feature that Conductor's plain list cannot express.
pub(super) fn needs_lowering(tasks: &[Task]) -> bool {
    tasks.iter().any(|t| {
        t.depends_on.is_some()
            || t.when.is_some()
            || matches!(&t.kind, TaskKind::Switch(s) if !s.next.is_empty() || s.next_default.is_some())
    })
}

/// The list lowered to Conductor tasks, or `None` when it cannot be (not
/// series-parallel, a cycle, a reference to a task outside the list, a head shared by
/// two cases, ...).
pub(super) fn lower(tasks: &[Task], refs: &mut ExportState) -> Option<Vec<Value>> {
    let graph = Graph::new(tasks)?;
    let all: Vec<usize> = (0..tasks.len()).collect();
    graph.lower(&all, refs).map(|(values, _)| values)
}

/// The list's dependency graph, by task index.
struct Graph<'a> {
    tasks: &'a [Task],
    /// Dependencies of each task.
    deps: Vec<Vec<usize>>,
    /// Branch heads of each native DECISION: (case value, or `None` for the default; head).
    heads: HashMap<usize, Vec<(Option<String>, usize)>>,
}

/// A unit of the lowered list: a task, or a native DECISION with its branches.
enum Unit {
    Task(usize),
    Decision {
        decision: usize,
        cases: Vec<(Option<String>, Vec<usize>)>,
    },
}

impl<'a> Graph<'a> {
    fn new(tasks: &'a [Task]) -> Option<Graph<'a>> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, task) in tasks.iter().enumerate() {
            if index.insert(task.ref_name.as_str(), i).is_some() {
                return None;
            }
        }
        let mut heads = HashMap::new();
        let mut head_of: HashMap<usize, usize> = HashMap::new();
        for (i, task) in tasks.iter().enumerate() {
            let TaskKind::Switch(spec) = &task.kind else {
                continue;
            };
            let named = spec
                .next
                .iter()
                .map(|(case, head)| (Some(case.clone()), head));
            let named = named.chain(spec.next_default.iter().map(|head| (None, head)));
            let mut list = Vec::new();
            for (case, head) in named {
                let h = *index.get(head.as_str())?;
                if h == i || head_of.insert(h, i).is_some() {
                    return None;
                }
                list.push((case, h));
            }
            if !list.is_empty() {
                heads.insert(i, list);
            }
        }
        let mut deps = Vec::with_capacity(tasks.len());
        for (i, task) in tasks.iter().enumerate() {
            let mut task_deps = Vec::new();
            if let Some(&decision) = head_of.get(&i) {
                task_deps.push(decision);
            }
            match &task.depends_on {
                Some(names) => {
                    for name in names {
                        task_deps.push(*index.get(name.as_str())?);
                    }
                }
                None if task_deps.is_empty() && i > 0 => task_deps.push(i - 1),
                None => {}
            }
            task_deps.sort_unstable();
            task_deps.dedup();
            deps.push(task_deps);
        }
        Some(Graph { tasks, deps, heads })
    }

    /// Lowers the tasks `subset` (indices, in list order); dependencies on tasks outside
    /// the subset are satisfied by the enclosing construct. Returns the Conductor tasks and
    /// the ref of the last one.
    fn lower(&self, subset: &[usize], refs: &mut ExportState) -> Option<(Vec<Value>, String)> {
        let inside = |i: &usize| subset.contains(i);
        let local: HashMap<usize, Vec<usize>> = subset
            .iter()
            .map(|&i| (i, self.deps[i].iter().copied().filter(inside).collect()))
            .collect();
        let position: HashMap<usize, usize> =
            subset.iter().enumerate().map(|(p, &i)| (i, p)).collect();
        let local_deps: Vec<Vec<usize>> = subset
            .iter()
            .map(|i| {
                local[i]
                    .iter()
                    .filter_map(|d| position.get(d).copied())
                    .collect()
            })
            .collect();
        let order: Vec<usize> = topological(&local_deps)?
            .into_iter()
            .map(|p| subset[p])
            .collect();

        let mut unit_of: HashMap<usize, usize> = HashMap::new();
        let mut units: Vec<Unit> = Vec::new();
        for &d in &order {
            if unit_of.contains_key(&d) {
                continue;
            }
            let Some(heads) = self.heads.get(&d) else {
                continue;
            };
            let mut branch_of: HashMap<usize, usize> = HashMap::new();
            for (_, head) in heads {
                if !inside(head) || unit_of.contains_key(head) {
                    return None;
                }
                branch_of.insert(*head, *head);
            }
            for &t in &order {
                if t == d || branch_of.contains_key(&t) || unit_of.contains_key(&t) {
                    continue;
                }
                let mut branches = local[&t].iter().map(|dep| branch_of.get(dep));
                if let Some(Some(&first)) = branches.next()
                    && branches.all(|b| b == Some(&first))
                {
                    branch_of.insert(t, first);
                }
            }
            let unit = units.len();
            unit_of.insert(d, unit);
            let mut cases = Vec::new();
            for (case, head) in heads {
                let members: Vec<usize> = subset
                    .iter()
                    .copied()
                    .filter(|t| branch_of.get(t) == Some(head))
                    .collect();
                for &m in &members {
                    unit_of.insert(m, unit);
                }
                cases.push((case.clone(), members));
            }
            units.push(Unit::Decision { decision: d, cases });
        }
        for &i in subset {
            if let std::collections::hash_map::Entry::Vacant(entry) = unit_of.entry(i) {
                entry.insert(units.len());
                units.push(Unit::Task(i));
            }
        }
        // Units in list order of their first task, so that branches keep the list's order.
        let first_task = |u: &Unit| match u {
            Unit::Task(i) => *i,
            Unit::Decision { decision, .. } => *decision,
        };
        let mut sorted: Vec<usize> = (0..units.len()).collect();
        sorted.sort_by_key(|&u| first_task(&units[u]));
        let rank: HashMap<usize, usize> = sorted.iter().enumerate().map(|(r, &u)| (u, r)).collect();
        let mut unit_deps: Vec<Vec<usize>> = vec![Vec::new(); units.len()];
        for &i in subset {
            let u = rank[&unit_of[&i]];
            for dep in &local[&i] {
                let du = rank[&unit_of[dep]];
                if du != u && !unit_deps[u].contains(&du) {
                    unit_deps[u].push(du);
                }
            }
        }
        let elements = series_parallel::decompose(&unit_deps)?;
        let ordered_units: Vec<&Unit> = sorted.iter().map(|&u| &units[u]).collect();
        self.render(&elements, &ordered_units, refs)
    }

    fn render(
        &self,
        elements: &[Element],
        units: &[&Unit],
        refs: &mut ExportState,
    ) -> Option<(Vec<Value>, String)> {
        let mut values = Vec::new();
        let mut last = String::new();
        for element in elements {
            match element {
                Element::Node(u) => {
                    let (value, end) = self.render_unit(units.get(*u)?, refs)?;
                    values.push(value);
                    last = end;
                }
                Element::Parallel(branches) => {
                    let fork_ref = refs.fresh("fork");
                    let mut fork_tasks = Vec::new();
                    let mut join_on = Vec::new();
                    for branch in branches {
                        let (branch_values, end) = self.render(branch, units, refs)?;
                        fork_tasks.push(Value::Array(branch_values));
                        join_on.push(end);
                    }
                    let join_ref = refs.fresh("join");
                    values.push(json!({
                        "name": fork_ref, "taskReferenceName": fork_ref, "inputParameters": {},
                        "type": "FORK_JOIN", "forkTasks": fork_tasks,
                    }));
                    values.push(json!({
                        "name": join_ref, "taskReferenceName": join_ref, "inputParameters": {},
                        "type": "JOIN", "joinOn": join_on,
                    }));
                    last = join_ref;
                }
            }
        }
        Some((values, last))
    }

    fn render_unit(&self, unit: &Unit, refs: &mut ExportState) -> Option<(Value, String)> {
        let (task, value) = match unit {
            Unit::Task(i) => {
                let task = self.tasks.get(*i)?;
                (task, Value::Object(task_json(task, false, refs)))
            }
            Unit::Decision { decision, cases } => {
                let task = self.tasks.get(*decision)?;
                let mut fields = task_json(task, false, refs);
                for (case, members) in cases {
                    let (branch, _) = self.lower(members, refs)?;
                    let list = match case {
                        Some(case) => match fields.get_mut("decisionCases") {
                            Some(Value::Object(map)) => {
                                map.entry(case.clone()).or_insert_with(|| json!([]))
                            }
                            _ => return None,
                        },
                        None => fields.get_mut("defaultCase")?,
                    };
                    if let Value::Array(list) = list {
                        list.extend(branch);
                    }
                }
                (task, Value::Object(fields))
            }
        };
        match &task.when {
            Some(condition) => Some(wrap_when(value, &task.ref_name, condition, refs)),
            None => Some((value, task.ref_name.clone())),
        }
    }
}

/// Topological order of `deps` (indices into it), smallest index first; `None` on a cycle.
fn topological(deps: &[Vec<usize>]) -> Option<Vec<usize>> {
    let n = deps.len();
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let next = (0..n).find(|&i| {
            !placed[i]
                && deps[i]
                    .iter()
                    .all(|&d| placed.get(d).copied().unwrap_or(false))
        })?;
        placed[next] = true;
        order.push(next);
    }
    Some(order)
}

/// Wraps `inner` in a SWITCH that runs it only when `condition` holds.
fn wrap_when(
    inner: Value,
    inner_ref: &str,
    condition: &str,
    refs: &mut ExportState,
) -> (Value, String) {
    let (expression, mut input) = script_condition(condition);
    // A native condition sees `$` = {input, variables} of the workflow; the SWITCH's
    // `$` is its own input, so hand it the same two, and make the result a boolean so
    // a truthy value picks the "true" case as it runs the task natively.
    input.insert("input".into(), Value::from("${workflow.input}"));
    input.insert("variables".into(), Value::from("${workflow.variables}"));
    let expression = format!("!!({expression})");
    let wrapper = refs.fresh(&format!("{inner_ref}_when"));
    let value = json!({
        "name": wrapper, "taskReferenceName": wrapper, "inputParameters": input, "type": "SWITCH",
        "evaluatorType": "javascript", "expression": expression,
        "decisionCases": {"true": [inner]}, "defaultCase": [],
    });
    (value, wrapper)
}

/// `condition` as a javascript expression over `$`: each `${...}` reference becomes an
/// input `$.c0`, `$.c1`, ... that Conductor resolves before evaluating.
fn script_condition(condition: &str) -> (String, serde_json::Map<String, Value>) {
    let mut expression = String::new();
    let mut input = serde_json::Map::new();
    let mut rest = condition;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let name = format!("c{}", input.len());
        expression.push_str(&rest[..start]);
        expression.push_str(&format!("$.{name}"));
        input.insert(
            name,
            Value::String(rest[start..start + len + 1].to_string()),
        );
        rest = &rest[start + len + 1..];
    }
    expression.push_str(rest);
    (expression, input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_in_conditions_become_inputs() {
        let (expression, input) = script_condition("${a.output.n} > 3 && ${workflow.input.go}");
        assert_eq!(expression, "$.c0 > 3 && $.c1");
        assert_eq!(input.get("c0"), Some(&json!("${a.output.n}")));
        assert_eq!(input.get("c1"), Some(&json!("${workflow.input.go}")));
        assert_eq!(script_condition("$.x == 1").0, "$.x == 1");
        assert_eq!(script_condition("${unclosed").0, "${unclosed");
    }

    #[test]
    fn order_refuses_cycles() {
        assert_eq!(topological(&[vec![1], vec![0]]), None);
        assert_eq!(topological(&[vec![], vec![0]]), Some(vec![0, 1]));
    }
}
