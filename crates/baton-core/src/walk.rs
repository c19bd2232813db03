//! Moving a workflow forward: walk the definition, schedule what is ready, finish what is done.
//!
//! The walk reads the definition's task lists ("blocks") together with the latest attempt
//! of each task. A task starts when its dependencies are done: by default the task listed
//! before it, or its explicit `depends_on`, or — for a native DECISION's branch heads —
//! the decision itself. Walks repeat until nothing changes, because control tasks (SWITCH,
//! FORK, SET_VARIABLE, ...) finish within the same decision and unlock further tasks.

use crate::decide::Decider;
use crate::state::{TaskStatus, WorkflowStatus};
use baton_model::{Task, TaskKind};

/// Where a task (or a block) stands, as seen by what comes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// No attempt yet.
    NotStarted,
    /// Scheduled, running or waiting for nested work.
    Running,
    /// Finished so that successors may run; `branch_skipped` when it was skipped because
    /// a DECISION did not take its branch (that skip spreads).
    Done { branch_skipped: bool },
    /// Failed for good.
    Failed,
}

/// Safety net against a definition that keeps unlocking work forever within one event.
const MAX_PASSES: usize = 10_000;

impl Decider<'_> {
    /// Schedules everything that became ready and completes the workflow when all is done.
    pub(crate) fn advance(&mut self) {
        for _ in 0..MAX_PASSES {
            if self.st.status != WorkflowStatus::Running {
                return;
            }
            self.changed = false;
            let top = self.walk_block(&self.def.tasks, "");
            if self.st.status != WorkflowStatus::Running {
                return;
            }
            if !self.changed {
                if top
                    == (Progress::Done {
                        branch_skipped: false,
                    })
                    || matches!(top, Progress::Done { .. })
                {
                    let all_ended = self.st.tasks.iter().all(|t| t.status.is_terminal());
                    if all_ended {
                        self.end_workflow(WorkflowStatus::Completed, None);
                    }
                }
                return;
            }
        }
        self.end_workflow(
            WorkflowStatus::Failed,
            Some(format!("the definition kept producing work for {MAX_PASSES} passes within one event; check DO_WHILE conditions")),
        );
    }

    /// One pass over a block: start ready tasks, drive nested blocks. Returns the block's
    /// progress (Done when every task in it is done, nested work included).
    pub(crate) fn walk_block(&mut self, tasks: &[Task], suffix: &str) -> Progress {
        let heads = Heads::of(tasks);
        for i in 0..tasks.len() {
            if self.st.status != WorkflowStatus::Running {
                return Progress::Running;
            }
            let task = &tasks[i];
            if self.instance_index(task, suffix).is_none() {
                self.try_start(tasks, i, suffix, &heads);
            }
        }
        for (i, task) in tasks.iter().enumerate() {
            if self.st.status != WorkflowStatus::Running {
                return Progress::Running;
            }
            self.drive(tasks, i, task, suffix);
        }
        self.block_progress(tasks, suffix)
    }

    /// Starts task `i` of `tasks` if its dependencies allow.
    fn try_start(&mut self, tasks: &[Task], i: usize, suffix: &str, heads: &Heads<'_>) {
        let task = &tasks[i];
        let deps = dependencies(tasks, i, heads);
        let mut all_branch_skipped = !deps.is_empty();
        for &d in &deps {
            match self.successor_progress(&tasks[d], suffix) {
                Progress::Done { branch_skipped } => all_branch_skipped &= branch_skipped,
                _ => return,
            }
        }
        if all_branch_skipped {
            self.skip_new(task, suffix, "every task it depends on was skipped", true);
            return;
        }
        if let Some(sw) = heads.head_of(tasks, i) {
            let chosen = self.chosen_head(&tasks[sw], suffix);
            if chosen.as_deref() != Some(task.ref_name.as_str()) {
                self.skip_new(
                    task,
                    suffix,
                    &format!("decision `{}` took another branch", tasks[sw].ref_name),
                    true,
                );
                return;
            }
        }
        if let Some(cond) = &task.when {
            match self.eval_condition(cond) {
                Ok(true) => {}
                Ok(false) => {
                    self.skip_new(task, suffix, &format!("condition `{cond}` is false"), false);
                    return;
                }
                Err(e) => {
                    let idx = self.create_instance(
                        task,
                        suffix,
                        0,
                        TaskStatus::Scheduled,
                        serde_json::Value::Null,
                    );
                    self.fail_task(
                        idx,
                        TaskStatus::FailedWithTerminalError,
                        format!("condition `{cond}`: {e}"),
                        false,
                    );
                    return;
                }
            }
        }
        self.start_task(task, suffix, 0);
    }

    /// Drives a started control task: nested blocks, JOIN conditions, loop iterations.
    fn drive(&mut self, tasks: &[Task], i: usize, task: &Task, suffix: &str) {
        let Some(idx) = self.instance_index(task, suffix) else {
            return;
        };
        let status = self.st.tasks[idx].status;
        match &task.kind {
            TaskKind::Switch(spec) if status == TaskStatus::Completed => {
                let case = self.st.tasks[idx].control.case.clone();
                let block = match case.as_deref().and_then(|c| spec.cases.get(c)) {
                    Some(b) => b,
                    None => &spec.default_case,
                };
                if !block.is_empty() {
                    self.walk_block(block, suffix);
                }
            }
            TaskKind::ForkJoin { branches } if status == TaskStatus::Completed => {
                for b in branches {
                    self.walk_block(b, suffix);
                }
            }
            TaskKind::ForkJoinDynamic(_) if status == TaskStatus::Completed => {
                self.drive_forked(idx, suffix);
            }
            TaskKind::DoWhile(spec) if status == TaskStatus::InProgress => {
                self.drive_loop(idx, spec, suffix);
            }
            TaskKind::Join { join_on } if status == TaskStatus::InProgress => {
                self.drive_join(tasks, i, join_on, idx, suffix);
            }
            _ => {}
        }
    }

    /// The ref of the branch head a native DECISION chose (None: none chosen yet, or no match).
    fn chosen_head(&self, switch: &Task, suffix: &str) -> Option<String> {
        let TaskKind::Switch(spec) = &switch.kind else {
            return None;
        };
        let inst = self.instance(switch, suffix)?;
        if inst.status != TaskStatus::Completed {
            return None;
        }
        match inst.control.case.as_deref().and_then(|c| spec.next.get(c)) {
            Some(head) => Some(head.clone()),
            None => spec.next_default.clone(),
        }
    }

    /// Progress of a task as its successors see it.
    pub(crate) fn successor_progress(&self, task: &Task, suffix: &str) -> Progress {
        let Some(inst) = self.instance(task, suffix) else {
            return Progress::NotStarted;
        };
        let own = status_progress(inst.status, inst.branch_skipped, inst.retried);
        match (&task.kind, own) {
            // A Conductor SWITCH lets its successor run once the chosen case has finished.
            (
                TaskKind::Switch(spec),
                Progress::Done {
                    branch_skipped: false,
                },
            ) => {
                let block = match inst.control.case.as_deref().and_then(|c| spec.cases.get(c)) {
                    Some(b) => b,
                    None => &spec.default_case,
                };
                match self.block_progress(block, suffix) {
                    Progress::Done { .. } => own,
                    Progress::NotStarted => Progress::Running,
                    p => p,
                }
            }
            _ => own,
        }
    }

    /// Progress of a task including everything it started (fork branches, forked tasks).
    fn full_progress(&self, task: &Task, suffix: &str) -> Progress {
        let own = self.successor_progress(task, suffix);
        let Some(at) = self.instance_index(task, suffix) else {
            return own;
        };
        let inst = &self.st.tasks[at];
        if !matches!(own, Progress::Done { .. })
            || inst.branch_skipped
            || inst.status != TaskStatus::Completed
        {
            return own;
        }
        let nested = match &task.kind {
            TaskKind::ForkJoin { branches } => {
                combine(branches.iter().map(|b| self.block_progress(b, suffix)))
            }
            TaskKind::ForkJoinDynamic(_) if self.forked_all_done(at, suffix, ForkedDone::Full) => {
                Progress::Done {
                    branch_skipped: false,
                }
            }
            TaskKind::ForkJoinDynamic(_) => Progress::Running,
            _ => Progress::Done {
                branch_skipped: false,
            },
        };
        match nested {
            Progress::Done { .. } => own,
            Progress::NotStarted => Progress::Running,
            p => p,
        }
    }

    /// Progress of a whole block.
    pub(crate) fn block_progress(&self, tasks: &[Task], suffix: &str) -> Progress {
        if tasks.is_empty() {
            return Progress::Done {
                branch_skipped: false,
            };
        }
        let p = combine(tasks.iter().map(|t| self.full_progress(t, suffix)));
        if p == Progress::NotStarted {
            Progress::Running
        } else {
            p
        }
    }

    /// Index of the latest attempt of `task` in this iteration context.
    pub(crate) fn instance_index(&self, task: &Task, suffix: &str) -> Option<usize> {
        if suffix.is_empty() {
            self.st.latest_index(&task.ref_name)
        } else {
            self.st.latest_index(&format!("{}{suffix}", task.ref_name))
        }
    }

    fn instance(&self, task: &Task, suffix: &str) -> Option<&crate::state::TaskInstance> {
        self.instance_index(task, suffix)
            .and_then(|i| self.st.tasks.get(i))
    }
}

/// Progress implied by an attempt's status.
fn status_progress(status: TaskStatus, branch_skipped: bool, retried: bool) -> Progress {
    match status {
        TaskStatus::Scheduled | TaskStatus::InProgress => Progress::Running,
        TaskStatus::Completed | TaskStatus::CompletedWithErrors => Progress::Done {
            branch_skipped: false,
        },
        TaskStatus::Skipped => Progress::Done { branch_skipped },
        // A failed attempt that is being retried is still in play.
        _ if retried => Progress::Running,
        _ => Progress::Failed,
    }
}

/// Combines the progress of parallel parts: failed beats running beats done.
fn combine(parts: impl Iterator<Item = Progress>) -> Progress {
    let mut any_failed = false;
    let mut any_running = false;
    let mut all_not_started = true;
    let mut all_branch_skipped = true;
    let mut any = false;
    for p in parts {
        any = true;
        match p {
            Progress::Failed => any_failed = true,
            Progress::Running => any_running = true,
            Progress::NotStarted => {}
            Progress::Done { branch_skipped } => all_branch_skipped &= branch_skipped,
        }
        if p != Progress::NotStarted {
            all_not_started = false;
        }
        if matches!(p, Progress::NotStarted) {
            any_running = true;
        }
    }
    if !any {
        return Progress::Done {
            branch_skipped: false,
        };
    }
    if any_failed {
        Progress::Failed
    } else if all_not_started {
        Progress::NotStarted
    } else if any_running {
        Progress::Running
    } else {
        Progress::Done {
            branch_skipped: all_branch_skipped,
        }
    }
}

/// Indices of the tasks that task `i` waits for.
pub(crate) fn dependencies(tasks: &[Task], i: usize, heads: &Heads<'_>) -> Vec<usize> {
    let task = &tasks[i];
    let head = heads.head_of(tasks, i);
    let mut deps: Vec<usize> = match &task.depends_on {
        Some(names) => names
            .iter()
            .filter_map(|n| tasks.iter().position(|t| &t.ref_name == n))
            .collect(),
        None if head.is_some() => Vec::new(),
        None if i > 0 => vec![i - 1],
        None => Vec::new(),
    };
    if let Some(h) = head
        && !deps.contains(&h)
    {
        deps.push(h);
    }
    deps
}

/// The branch heads of a list's native DECISIONs: head ref → the DECISION's position.
/// Built once per pass over the list, so finding a task's head costs a lookup, not a
/// scan of the list for each task (a pass over a long list was quadratic). Most lists
/// have no native DECISION and build nothing.
pub(crate) struct Heads<'a>(Option<std::collections::HashMap<&'a str, usize>>);

impl<'a> Heads<'a> {
    pub(crate) fn of(tasks: &'a [Task]) -> Heads<'a> {
        let mut map = None;
        for (at, t) in tasks.iter().enumerate() {
            if let TaskKind::Switch(s) = &t.kind {
                for head in s.next.values().chain(s.next_default.iter()) {
                    // The first DECISION naming a head wins, as the scan it replaces did.
                    map.get_or_insert_with(std::collections::HashMap::new)
                        .entry(head.as_str())
                        .or_insert(at);
                }
            }
        }
        Heads(map)
    }

    /// If task `i` heads a branch of a native DECISION in the same list, that
    /// decision's index.
    pub(crate) fn head_of(&self, tasks: &[Task], i: usize) -> Option<usize> {
        let map = self.0.as_ref()?;
        map.get(tasks[i].ref_name.as_str()).copied()
    }
}

/// Which "done" a fork's cursor counts (see [`ForkCursor`](crate::state::ForkCursor)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ForkedDone {
    /// Done as a JOIN after the fork sees it (the task's own status).
    Joined,
    /// Done with everything it started (what the fork's own progress waits for).
    Full,
}

/// Whether a task kind has nested work a walk must drive once it has started.
fn has_nested_work(kind: &TaskKind) -> bool {
    matches!(
        kind,
        TaskKind::Switch(_)
            | TaskKind::ForkJoin { .. }
            | TaskKind::ForkJoinDynamic(_)
            | TaskKind::DoWhile(_)
            | TaskKind::Join { .. }
    )
}

impl Decider<'_> {
    /// Drives the tasks the dynamic fork attempt `fi` forked, visiting only those that
    /// can change: not yet started, or with nested work. A started task without nested
    /// work changes only by its own events, so walking it would do nothing; skipping it
    /// keeps the order of everything else (and so every task id) as a full walk makes it.
    fn drive_forked(&mut self, fi: usize, suffix: &str) {
        let forked = std::sync::Arc::clone(&self.st.tasks[fi].control.forked);
        let mut cursor = self.st.fork_cursor(fi);
        let nested = std::sync::Arc::clone(cursor.nested.get_or_insert_with(|| {
            forked
                .iter()
                .enumerate()
                .filter(|(_, t)| has_nested_work(&t.kind))
                .map(|(p, _)| p)
                .collect()
        }));
        let started = cursor.started;
        for &p in nested.iter().take_while(|&&p| p < started) {
            self.walk_block(std::slice::from_ref(&forked[p]), suffix);
        }
        for p in started..forked.len() {
            let t = &forked[p];
            self.walk_block(std::slice::from_ref(t), suffix);
            if p == cursor.started && self.instance_index(t, suffix).is_some() {
                cursor.started += 1;
            }
        }
        // The walks above may have advanced the other cursors: keep theirs.
        let now = self.st.fork_cursor(fi);
        cursor.joined = cursor.joined.max(now.joined);
        cursor.done = cursor.done.max(now.done);
        self.st.set_fork_cursor(fi, cursor);
    }

    /// Whether every task the dynamic fork attempt `fi` forked is done in the `which`
    /// sense, advancing its cursor past the tasks that are: amortised over a fork's
    /// events each task is looked at about once.
    pub(crate) fn forked_all_done(&self, fi: usize, suffix: &str, which: ForkedDone) -> bool {
        let forked = std::sync::Arc::clone(&self.st.tasks[fi].control.forked);
        let mut cursor = self.st.fork_cursor(fi);
        let at = match which {
            ForkedDone::Joined => &mut cursor.joined,
            ForkedDone::Full => &mut cursor.done,
        };
        let start = *at;
        while let Some(t) = forked.get(*at) {
            let p = match which {
                ForkedDone::Joined => self.successor_progress(t, suffix),
                ForkedDone::Full => self.full_progress(t, suffix),
            };
            if !matches!(p, Progress::Done { .. }) {
                break;
            }
            *at += 1;
        }
        let all = *at == forked.len();
        if *at != start {
            self.st.set_fork_cursor(fi, cursor);
        }
        all
    }
}
