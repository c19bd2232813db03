//! The one walk of a definition's task tree.
//!
//! [`visit_list`] visits every task depth first, in source order, and tells where it
//! sits (its list, position, containing task, depth); the shorter helpers ([`walk_list`],
//! [`WorkflowDef::walk`], [`WorkflowDef::find`]) are built on it. Callers never write their
//! own recursion over [`TaskKind::blocks`].

use crate::model::{Task, TaskKind, WorkflowDef};
use std::convert::Infallible;
use std::ops::ControlFlow;

/// How far a walk goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The definition's own tree: nested blocks, not inline sub-workflow definitions.
    Definition,
    /// Also the tasks of inline sub-workflow definitions (`SubWorkflowSpec::definition`),
    /// after the SUB_WORKFLOW task's own blocks.
    InlineChildren,
}

/// One visited task and where it is.
#[derive(Debug, Clone, Copy)]
pub struct Visit<'a> {
    /// The task.
    pub task: &'a Task,
    /// The list the task is in.
    pub list: &'a [Task],
    /// Number of that list in walk order (0 is the walk's first list); empty lists have
    /// no tasks and get no number.
    pub list_id: usize,
    /// The task's position in `list`.
    pub position: usize,
    /// The task whose block (or inline sub-workflow) holds `list`; `None` at the top.
    pub parent: Option<&'a Task>,
    /// How many tasks contain this one (0 at the top).
    pub depth: usize,
}

/// Visits `tasks` and everything nested in them, depth first, in source order, until
/// `f` breaks.
pub fn visit_list<'a, B>(
    tasks: &'a [Task],
    reach: Reach,
    f: &mut dyn FnMut(&Visit<'a>) -> ControlFlow<B>,
) -> ControlFlow<B> {
    let mut walker = Walker {
        reach,
        next_list: 0,
    };
    walker.list(tasks, None, 0, f)
}

struct Walker {
    reach: Reach,
    next_list: usize,
}

impl Walker {
    fn list<'a, B>(
        &mut self,
        tasks: &'a [Task],
        parent: Option<&'a Task>,
        depth: usize,
        f: &mut dyn FnMut(&Visit<'a>) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        if tasks.is_empty() {
            return ControlFlow::Continue(());
        }
        let list_id = self.next_list;
        self.next_list += 1;
        for (position, task) in tasks.iter().enumerate() {
            f(&Visit {
                task,
                list: tasks,
                list_id,
                position,
                parent,
                depth,
            })?;
            for block in task.kind.blocks() {
                self.list(block, Some(task), depth + 1, f)?;
            }
            if self.reach == Reach::InlineChildren
                && let TaskKind::SubWorkflow(spec) = &task.kind
                && let Some(child) = &spec.definition
            {
                self.list(&child.tasks, Some(task), depth + 1, f)?;
            }
        }
        ControlFlow::Continue(())
    }
}

/// Visits `tasks` and everything nested in them, depth first.
pub fn walk_list<'a>(tasks: &'a [Task], f: &mut dyn FnMut(&'a Task)) {
    let _: ControlFlow<Infallible> = visit_list(tasks, Reach::Definition, &mut |v| {
        f(v.task);
        ControlFlow::Continue(())
    });
}

/// Finds a task by ref in `tasks` or anywhere nested in them.
pub fn find_in<'a>(tasks: &'a [Task], ref_name: &str) -> Option<&'a Task> {
    match visit_list(tasks, Reach::Definition, &mut |v| {
        if v.task.ref_name == ref_name {
            ControlFlow::Break(v.task)
        } else {
            ControlFlow::Continue(())
        }
    }) {
        ControlFlow::Break(task) => Some(task),
        ControlFlow::Continue(()) => None,
    }
}

/// Visits `tasks` and everything nested in them mutably, depth first; `f` sees a task
/// before its blocks (so it may change them).
pub fn walk_list_mut<E>(
    tasks: &mut [Task],
    f: &mut dyn FnMut(&mut Task) -> Result<(), E>,
) -> Result<(), E> {
    for task in tasks {
        f(task)?;
        for block in task.kind.blocks_mut() {
            walk_list_mut(block, f)?;
        }
    }
    Ok(())
}

impl WorkflowDef {
    /// Visits every task of the tree, depth first, in source order.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Task)) {
        walk_list(&self.tasks, f);
    }

    /// [`visit_list`] over the definition's tasks.
    pub fn visit<'a, B>(
        &'a self,
        reach: Reach,
        f: &mut dyn FnMut(&Visit<'a>) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        visit_list(&self.tasks, reach, f)
    }

    /// Finds a task anywhere in the tree by its ref.
    pub fn find(&self, ref_name: &str) -> Option<&Task> {
        find_in(&self.tasks, ref_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SubWorkflowSpec;

    fn task(r: &str, kind: TaskKind) -> Task {
        Task::new(r, r, kind)
    }

    fn tree() -> Vec<Task> {
        let child = WorkflowDef::new("child", 1, vec![task("c1", TaskKind::Simple)]);
        vec![
            task(
                "fork",
                TaskKind::ForkJoin {
                    branches: vec![
                        vec![task("a", TaskKind::Simple)],
                        vec![],
                        vec![task("b", TaskKind::Wait)],
                    ],
                },
            ),
            task(
                "sub",
                TaskKind::SubWorkflow(SubWorkflowSpec {
                    name: "child".into(),
                    version: None,
                    definition: Some(Box::new(child)),
                    extra: Default::default(),
                }),
            ),
        ]
    }

    #[test]
    fn visits_in_order_with_place_and_depth() {
        let tasks = tree();
        let mut seen = Vec::new();
        let _: ControlFlow<()> = visit_list(&tasks, Reach::Definition, &mut |v| {
            seen.push((
                v.task.ref_name.clone(),
                v.list_id,
                v.position,
                v.parent.map(|p| p.ref_name.clone()),
                v.depth,
            ));
            ControlFlow::Continue(())
        });
        let fork = Some("fork".to_string());
        assert_eq!(
            seen,
            vec![
                ("fork".into(), 0, 0, None, 0),
                ("a".into(), 1, 0, fork.clone(), 1),
                ("b".into(), 2, 0, fork, 1),
                ("sub".into(), 0, 1, None, 0),
            ]
        );
    }

    #[test]
    fn inline_children_only_when_asked() {
        let tasks = tree();
        let mut refs = Vec::new();
        let _: ControlFlow<()> = visit_list(&tasks, Reach::InlineChildren, &mut |v| {
            refs.push((v.task.ref_name.clone(), v.depth));
            ControlFlow::Continue(())
        });
        assert_eq!(refs.last(), Some(&("c1".to_string(), 1)));
        assert!(
            find_in(&tasks, "c1").is_none(),
            "find stays in the definition"
        );
        assert_eq!(find_in(&tasks, "b").map(|t| &t.kind), Some(&TaskKind::Wait));
    }

    #[test]
    fn a_break_stops_the_walk() {
        let tasks = tree();
        let mut count = 0;
        let r = visit_list(&tasks, Reach::Definition, &mut |v| {
            count += 1;
            if v.task.ref_name == "a" {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!((r, count), (ControlFlow::Break(()), 2));
    }

    #[test]
    fn the_mutable_walk_reaches_nested_tasks() {
        let mut tasks = tree();
        let _ = walk_list_mut::<()>(&mut tasks, &mut |t| {
            t.optional = true;
            Ok(())
        });
        assert!(find_in(&tasks, "b").is_some_and(|t| t.optional));
    }
}
