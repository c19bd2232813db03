//! Where every task of a definition sits: which list, which position, inside which task.

use crate::model::{Task, WorkflowDef};
use crate::tree::Reach;
use std::collections::HashMap;
use std::convert::Infallible;
use std::ops::ControlFlow;

/// One non-empty task list of the tree (the top level, a switch case, a fork branch, a
/// loop body), numbered as [`crate::tree::Visit::list_id`] numbers it.
pub(crate) struct ListInfo<'a> {
    /// The tasks in order.
    pub tasks: &'a [Task],
    /// Ref of the task that contains the list; `None` for the top level.
    pub parent: Option<&'a str>,
    /// Position of each ref in this list (its first occurrence).
    positions: HashMap<&'a str, usize>,
    /// No task of the list names `depends_on`: each depends on the one before it, so
    /// "upstream of position p" is "before p".
    sequential: bool,
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
                let mut positions = HashMap::with_capacity(v.list.len());
                for (i, t) in v.list.iter().enumerate() {
                    positions.entry(t.ref_name.as_str()).or_insert(i);
                }
                index.lists.push(ListInfo {
                    tasks: v.list,
                    parent: v.parent.map(|p| p.ref_name.as_str()),
                    positions,
                    sequential: v.list.iter().all(|t| t.depends_on.is_none()),
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
        self.lists.get(list)?.positions.get(ref_name).copied()
    }

    /// Whether the task `root` has (or may have) finished before `me` starts: it is one of
    /// `me`'s dependencies, transitively, or nested in one, or it contains `me`, or it is
    /// upstream of a task containing `me`. Asked per reference, never built as a set per
    /// task, so validation stays linear in the size of the definition.
    pub fn is_upstream(&self, root: &str, me: &str) -> bool {
        let Some(root_info) = self.tasks.get(root).copied() else {
            return false;
        };
        let mut current = self.tasks.get(me).copied();
        let mut levels = 0;
        while let Some(info) = current {
            // Bounded by the nesting depth; the cap only guards a malformed index.
            levels += 1;
            if levels > self.lists.len() + 1 {
                return false;
            }
            if let Some(q) = self.ancestor_position(root_info, info.list)
                && q != info.position
                && self.depends_transitively(info.list, info.position, q)
            {
                return true;
            }
            let parent = self.lists.get(info.list).and_then(|l| l.parent);
            match parent {
                Some(p) if p == root => return true,
                Some(p) => current = self.tasks.get(p).copied(),
                None => current = None,
            }
        }
        false
    }

    /// Whether `inner` is nested (at any depth) inside the task `outer`.
    pub fn is_nested_in(&self, inner: &str, outer: &str) -> bool {
        let mut current = self.tasks.get(inner).copied();
        let mut levels = 0;
        while let Some(info) = current {
            levels += 1;
            if levels > self.lists.len() + 1 {
                return false;
            }
            match self.lists.get(info.list).and_then(|l| l.parent) {
                Some(p) if p == outer => return true,
                Some(p) => current = self.tasks.get(p).copied(),
                None => current = None,
            }
        }
        false
    }

    /// Position in `list` of `task` or of the task of `list` that contains it.
    fn ancestor_position(&self, task: TaskInfo<'a>, list: usize) -> Option<usize> {
        let mut current = task;
        for _ in 0..=self.lists.len() {
            if current.list == list {
                return Some(current.position);
            }
            let parent = self.lists.get(current.list)?.parent?;
            current = self.tasks.get(parent).copied()?;
        }
        None
    }

    /// Whether the task at `from` of `list` depends, directly or through others of the
    /// same list, on the task at `target`.
    fn depends_transitively(&self, list: usize, from: usize, target: usize) -> bool {
        let Some(info) = self.lists.get(list) else {
            return false;
        };
        if info.sequential {
            return target < from;
        }
        let mut seen = vec![false; info.tasks.len()];
        let mut stack = vec![from];
        while let Some(at) = stack.pop() {
            for dep in self.deps(list, at) {
                let Some(next) = self.position_in(list, dep) else {
                    continue;
                };
                if next == target {
                    return true;
                }
                if let Some(s) = seen.get_mut(next)
                    && !*s
                {
                    *s = true;
                    stack.push(next);
                }
            }
        }
        false
    }
}
