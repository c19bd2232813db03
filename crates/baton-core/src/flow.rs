//! DO_WHILE loops, dynamic forks and joins.

use crate::decide::Decider;
use crate::state::TaskStatus;
use crate::walk::{ForkedDone, Progress};
use baton_model::{DoWhileSpec, DynamicForkSpec, Task, TaskKind};
use baton_state::compact::{compact_copy, compact_copy_map};
use serde_json::{Map, Value};

/// Upper bound on iterations of a loop without `max_iterations`, so that a condition
/// that never turns false fails the run instead of running forever.
const DEFAULT_MAX_ITERATIONS: u32 = 100_000;

impl Decider<'_> {
    pub(crate) fn start_loop(&mut self, idx: usize, spec: &DoWhileSpec) {
        if let Some(param) = &spec.items_param {
            match self.st.tasks[idx].input.get(param) {
                Some(Value::Array(items)) if items.is_empty() => {
                    self.complete_now(idx, serde_json::json!({ "iteration": 0 }));
                    return;
                }
                Some(Value::Array(_)) => {}
                other => {
                    let got = other.map_or("nothing".to_string(), |v| v.to_string());
                    let why =
                        format!("DO_WHILE: input `{param}` must be a list to loop over, got {got}");
                    self.fail_task(idx, TaskStatus::FailedWithTerminalError, why, false);
                    return;
                }
            }
        }
        self.st.tasks[idx].started_at = Some(self.now);
        self.set_status(idx, TaskStatus::InProgress, None);
        self.begin_iteration(idx, spec, 1);
    }

    fn begin_iteration(&mut self, idx: usize, spec: &DoWhileSpec, n: u32) {
        let item = spec.items_param.as_ref().and_then(|p| {
            self.st.tasks[idx]
                .input
                .get(p)
                .and_then(|v| v.get(n.saturating_sub(1) as usize))
                .cloned()
        });
        let t = &mut self.st.tasks[idx];
        t.control.iteration = n;
        if !t.output.is_object() {
            t.output = Value::Object(Map::new());
        }
        if let Value::Object(out) = &mut t.output {
            out.insert("iteration".into(), Value::from(n));
            if let Some(item) = item {
                out.insert("item".into(), item);
                out.insert("index".into(), Value::from(n - 1));
            }
        }
        self.changed = true;
    }

    /// Walks the current iteration; when it is done, records it and decides whether to go on.
    pub(crate) fn drive_loop(&mut self, idx: usize, spec: &DoWhileSpec, suffix: &str) {
        let n = self.st.tasks[idx].control.iteration.max(1);
        let body_suffix = format!("{suffix}__{n}");
        let progress = if spec.body.is_empty() {
            Progress::Done {
                branch_skipped: false,
            }
        } else {
            self.walk_block(&spec.body, &body_suffix)
        };
        if !matches!(progress, Progress::Done { .. })
            || self.st.tasks[idx].status != TaskStatus::InProgress
        {
            return;
        }
        // Record this iteration's outputs under its number, as Conductor does.
        let mut outputs = Map::new();
        baton_model::walk_list(&spec.body, &mut |t: &Task| {
            if let Some(i) = self
                .st
                .latest_index(&format!("{}{body_suffix}", t.ref_name))
            {
                outputs.insert(t.ref_name.clone(), compact_copy(&self.st.tasks[i].output));
            }
        });
        if let Value::Object(out) = &mut self.st.tasks[idx].output {
            out.insert(n.to_string(), Value::Object(compact_copy_map(&outputs)));
        }
        let again = match &spec.items_param {
            Some(p) => {
                let len = self.st.tasks[idx]
                    .input
                    .get(p)
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                Ok((n as usize) < len)
            }
            None => {
                let mut scope = self.st.tasks[idx]
                    .input
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                scope.insert(
                    self.st.tasks[idx].def_ref.clone(),
                    condition_view(&self.st.tasks[idx].output, n),
                );
                for (r, o) in outputs {
                    scope.insert(r, o);
                }
                crate::eval::javascript(&spec.condition, &Value::Object(scope))
                    .map(|v| baton_expr::js::truthy(&v))
            }
        };
        match again {
            Err(e) => {
                let why = format!("DO_WHILE condition `{}`: {e}", spec.condition);
                self.fail_task(idx, TaskStatus::FailedWithTerminalError, why, false);
            }
            Ok(false) => self.set_status(idx, TaskStatus::Completed, None),
            Ok(true) => {
                let max = spec.max_iterations.unwrap_or(DEFAULT_MAX_ITERATIONS);
                if n >= max {
                    let why = format!("DO_WHILE stopped after max_iterations = {max}");
                    self.fail_task(idx, TaskStatus::FailedWithTerminalError, why, false);
                } else {
                    self.begin_iteration(idx, spec, n + 1);
                }
            }
        }
    }

    pub(crate) fn start_dynamic_fork(&mut self, idx: usize, spec: &DynamicForkSpec) {
        let input = self.st.tasks[idx].input.clone();
        match crate::dynamic::forked_tasks(spec, &input) {
            Ok(tasks) => {
                // A ref may not be a definition's, nor one already run in this loop
                // iteration (each iteration of an enclosing DO_WHILE forks anew).
                let suffix = self.st.tasks[idx].suffix.clone();
                let clash = tasks.iter().find(|t| {
                    self.find_def(&t.ref_name).is_some()
                        || self.st.latest(&format!("{}{suffix}", t.ref_name)).is_some()
                });
                if let Some(t) = clash {
                    let why = format!(
                        "FORK_JOIN_DYNAMIC: forked task ref `{}` is already used in this workflow",
                        t.ref_name
                    );
                    self.fail_task(idx, TaskStatus::FailedWithTerminalError, why, false);
                    return;
                }
                let refs: Vec<Value> = tasks
                    .iter()
                    .map(|t| Value::String(t.ref_name.clone()))
                    .collect();
                self.st.tasks[idx].control.forked = std::sync::Arc::new(tasks);
                self.st.index_forked(idx);
                self.complete_now(idx, serde_json::json!({ "forkedTasks": refs }));
            }
            Err(why) => self.fail_task(idx, TaskStatus::FailedWithTerminalError, why, false),
        }
    }

    /// Completes a JOIN once every task it waits for is done.
    pub(crate) fn drive_join(
        &mut self,
        tasks: &[Task],
        i: usize,
        join_on: &[String],
        idx: usize,
        suffix: &str,
    ) {
        // Borrowed, not copied: this runs on every event of a workflow with an open JOIN.
        let forked;
        let mut waited: Vec<&Task> = Vec::new();
        if join_on.is_empty() {
            // A JOIN after a dynamic fork waits for everything the fork started; the
            // fork's cursor says so without looking at every forked task each time.
            if let Some(prev) = i.checked_sub(1).and_then(|p| tasks.get(p))
                && matches!(prev.kind, TaskKind::ForkJoinDynamic(_))
                && let Some(pi) = self.instance_index(prev, suffix)
            {
                if !self.forked_all_done(pi, suffix, ForkedDone::Joined) {
                    return;
                }
                forked = std::sync::Arc::clone(&self.st.tasks[pi].control.forked);
                waited.extend(forked.iter());
            }
        } else {
            for name in join_on {
                if let Some(t) = baton_model::find_in(tasks, name).or_else(|| self.find_def(name)) {
                    waited.push(t);
                }
            }
        }
        let mut out = Map::new();
        for t in &waited {
            match self.successor_progress(t, suffix) {
                Progress::Done { .. } => {
                    if let Some(ti) = self.instance_index(t, suffix) {
                        out.insert(t.ref_name.clone(), compact_copy(&self.st.tasks[ti].output));
                    }
                }
                _ => return,
            }
        }
        self.st.tasks[idx].output = Value::Object(out);
        self.set_status(idx, TaskStatus::Completed, None);
    }
}

/// What a DO_WHILE condition sees of its own loop's output: the named keys (`iteration`,
/// `item`, `index`) and, of the numbered iteration records, only the current one.
/// Conductor hands the condition every iteration's record; copying them into the script's
/// scope on each iteration made a loop cost the square of its length. The named keys are
/// written before the first record (`begin_iteration`), so they are the map's prefix and
/// this costs the same at iteration 100,000 as at iteration 1.
fn condition_view(output: &Value, current: u32) -> Value {
    let Value::Object(out) = output else {
        return output.clone();
    };
    let mut view: Map<String, Value> = out
        .iter()
        .take_while(|(k, _)| !is_iteration_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let current = current.to_string();
    if let Some(record) = out.get(&current) {
        view.insert(current, record.clone());
    }
    Value::Object(view)
}

/// Whether a key of a DO_WHILE output is an iteration record's number.
fn is_iteration_key(k: &str) -> bool {
    !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit())
}
