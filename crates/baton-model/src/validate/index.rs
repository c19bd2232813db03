//! Where every task of a definition sits: which list, which position, inside which task.

use crate::model::{Task, WorkflowDef};
use crate::tree::{Reach, walk_list};
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::ops::ControlFlow;

/// One non-empty task list of the tree (the top level, a switch case, a fork branch, a
/// loop body), numbered as [`crate::tree::Visit::list_id`] numbers it.
pub(crate) struct ListInfo<'a> {
    /// The tasks in order.
    pub tasks: &'a [Task],
    /// Ref of the task that contains the list; `None` for the top level.
    pub parent: Option<&'a str>,
}

/// Where one task is.
#[derive(Clone, Copy)]
pub(crate) struct TaskInfo<'a> {
    /// The task.
    pub task: &'a Task,
    /// Index into [`Index::lists`].
    pub list: usize,
    /// Position in its list.
    pub position: usize,
}

/// The task lists and tasks of a definition.
pub(crate) struct Index<'a> {
    /// Every list; the first is the top level.
    pub lists: Vec<ListInfo<'a>>,
    /// Each ref's first occurrence.
    pub tasks: HashMap<&'a str, TaskInfo<'a>>,
    /// Every task in tree order, duplicates included.
    pub all: Vec<TaskInfo<'a>>,
}

impl<'a> Index<'a> {
    /// Indexes `def`.
    pub fn build(def: &'a WorkflowDef) -> Index<'a> {
        let mut index = Index {
            lists: Vec::new(),
            tasks: HashMap::new(),
            all: Vec::new(),
        };
        let _: ControlFlow<Infallible> = def.visit(Reach::Definition, &mut |v| {
            // The walk numbers the non-empty lists in the order it enters them.
            if v.position == 0 {
                index.lists.push(ListInfo {
                    tasks: v.list,
                    parent: v.parent.map(|p| p.ref_name.as_str()),
                });
            }
            let info = TaskInfo {
                task: v.task,
                list: v.list_id,
                position: v.position,
            };
            index.tasks.entry(v.task.ref_name.as_str()).or_insert(info);
            index.all.push(info);
            ControlFlow::Continue(())
        });
        index
    }

    /// The dependencies of the task at `position` of `list`: its `depends_on`, or the
    /// task before it.
    pub fn deps(&self, list: usize, position: usize) -> Vec<&'a str> {
        let Some(info) = self.lists.get(list) else {
            return Vec::new();
        };
        let Some(task) = info.tasks.get(position) else {
            return Vec::new();
        };
        match &task.depends_on {
            Some(deps) => deps.iter().map(String::as_str).collect(),
            None => position
                .checked_sub(1)
                .and_then(|p| info.tasks.get(p))
                .map(|t| vec![t.ref_name.as_str()])
                .unwrap_or_default(),
        }
    }

    /// Position of `ref_name` in `list`, if it is there.
    pub fn position_in(&self, list: usize, ref_name: &str) -> Option<usize> {
        self.lists
            .get(list)?
            .tasks
            .iter()
            .position(|t| t.ref_name == ref_name)
    }

    /// Refs of the tasks that have (or may have) finished before `ref_name` starts: its
    /// dependencies, transitively, with everything nested in them, and the tasks that
    /// contain it and their own upstream.
    pub fn upstream(&self, ref_name: &str) -> HashSet<&'a str> {
        let mut result = HashSet::new();
        let mut current = self.tasks.get(ref_name).copied();
        let mut visited_containers = HashSet::new();
        while let Some(info) = current {
            let mut stack = self.deps(info.list, info.position);
            while let Some(dep) = stack.pop() {
                let Some(position) = self.position_in(info.list, dep) else {
                    continue;
                };
                if !result.insert(dep) {
                    continue;
                }
                if let Some(task) = self
                    .lists
                    .get(info.list)
                    .and_then(|l| l.tasks.get(position))
                {
                    add_nested(task, &mut result);
                }
                stack.extend(self.deps(info.list, position));
            }
            current = match self.lists.get(info.list).and_then(|l| l.parent) {
                Some(parent) if visited_containers.insert(parent) => {
                    result.insert(parent);
                    self.tasks.get(parent).copied()
                }
                _ => None,
            };
        }
        result
    }
}

/// Adds the refs of every task nested in `task`.
pub(crate) fn add_nested<'a>(task: &'a Task, into: &mut HashSet<&'a str>) {
    for block in task.kind.blocks() {
        walk_list(block, &mut |t| {
            into.insert(t.ref_name.as_str());
        });
    }
}
