//! [`ValidatedDef`]: a definition that passed [`super::validate`], the only kind the
//! decider runs.

use crate::diagnostic::{Diagnostic, SourceMap};
use crate::model::{Task, TaskDef, WorkflowDef};
use crate::tree::{Reach, visit_list, walk_list_mut};
use std::collections::HashMap;
use std::ops::{ControlFlow, Deref};
use std::sync::OnceLock;

/// A [`WorkflowDef`] known to satisfy the model's invariant (unique refs, every
/// `depends_on` / `next` / `join_on` name exists, acyclic lists): "must have passed
/// validation" as a type. Read it through `Deref`; change it only in ways that keep the
/// invariant ([`Self::fill_task_defs`]).
#[derive(Debug, Clone)]
pub struct ValidatedDef(WorkflowDef, RefIndex);

/// Where each ref of the definition's tree is: built on first use and kept with the
/// definition, so the decider finds a task by ref with one lookup instead of indexing
/// the tree again for every event. The tree's shape never changes after validation
/// ([`ValidatedDef::fill_task_defs`] changes only task definitions), so the paths stay
/// true.
#[derive(Debug, Clone, Default)]
struct RefIndex(OnceLock<HashMap<String, Box<[u32]>>>);

impl PartialEq for ValidatedDef {
    fn eq(&self, other: &ValidatedDef) -> bool {
        self.0 == other.0
    }
}

impl ValidatedDef {
    /// Validates `def` (`sources` gives the positions): the definition and its warnings,
    /// or every diagnostic when there is an error.
    pub fn check(
        def: WorkflowDef,
        sources: &SourceMap,
    ) -> Result<(ValidatedDef, Vec<Diagnostic>), Vec<Diagnostic>> {
        let diagnostics = super::validate(&def, sources);
        if diagnostics.iter().any(Diagnostic::is_error) {
            Err(diagnostics)
        } else {
            Ok((ValidatedDef(def, RefIndex::default()), diagnostics))
        }
    }

    /// For definitions read back from the store, which were validated when they were
    /// registered or first run. Validating them again could refuse a running workflow
    /// because a later build checks more; anything else goes through [`Self::check`].
    pub fn from_store(def: WorkflowDef) -> ValidatedDef {
        ValidatedDef(def, RefIndex::default())
    }

    /// The task of the definition's own tree with this ref (nested ones included; not
    /// tasks of inline sub-workflow definitions), as [`WorkflowDef::find`] but by lookup.
    pub fn task_by_ref(&self, ref_name: &str) -> Option<&Task> {
        let index = self.1.0.get_or_init(|| index_refs(&self.0.tasks));
        let path = index.get(ref_name)?;
        let (first, rest) = path.split_first()?;
        let mut task = self.0.tasks.get(*first as usize)?;
        for pair in rest.chunks(2) {
            let [block, position] = pair else {
                return None;
            };
            task = task
                .kind
                .blocks()
                .get(*block as usize)?
                .get(*position as usize)?;
        }
        Some(task)
    }

    /// Gives every worker task without an inline task definition the one `lookup`
    /// returns for its name (the registered one), keeping the invariant: only
    /// `Task::task_def` changes.
    pub fn fill_task_defs<E>(
        &mut self,
        lookup: &mut dyn FnMut(&str) -> Result<Option<TaskDef>, E>,
    ) -> Result<(), E> {
        walk_list_mut(&mut self.0.tasks, &mut |task| {
            if task.task_def.is_none() && task.kind.is_worker_task() {
                task.task_def = lookup(&task.name)?;
            }
            Ok(())
        })
    }

    /// The definition, no longer vouched for.
    pub fn into_inner(self) -> WorkflowDef {
        self.0
    }
}

/// Each ref's path: its position in the top list, then (block, position) pairs down the
/// tree. The first task with a ref wins, as in a walk (refs are unique once validated).
fn index_refs(tasks: &[Task]) -> HashMap<String, Box<[u32]>> {
    let mut out: HashMap<String, Box<[u32]>> = HashMap::new();
    let as_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let _: ControlFlow<()> = visit_list(tasks, Reach::Definition, &mut |v| {
        let mut path = Vec::new();
        if let Some(parent) = v.parent {
            // The walk is depth first, so the parent's path is known.
            let Some(above) = out.get(&parent.ref_name) else {
                return ControlFlow::Continue(());
            };
            let Some(block) = parent
                .kind
                .blocks()
                .iter()
                .position(|b| std::ptr::eq(b.as_slice(), v.list))
            else {
                return ControlFlow::Continue(());
            };
            path.extend_from_slice(above);
            path.push(as_u32(block));
        }
        path.push(as_u32(v.position));
        out.entry(v.task.ref_name.clone())
            .or_insert_with(|| path.into_boxed_slice());
        ControlFlow::Continue(())
    });
    out
}

impl Deref for ValidatedDef {
    type Target = WorkflowDef;

    fn deref(&self) -> &WorkflowDef {
        &self.0
    }
}

impl AsRef<WorkflowDef> for ValidatedDef {
    fn as_ref(&self) -> &WorkflowDef {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Task, TaskKind};

    #[test]
    fn only_a_valid_definition_passes() {
        let one = |r: &str| Task::new("work", r, TaskKind::Simple);
        let def = WorkflowDef::new("w", 1, vec![one("a"), one("b")]);
        let (valid, warnings) = ValidatedDef::check(def.clone(), &SourceMap::default())
            .unwrap_or_else(|d| panic!("{d:?}"));
        assert!(warnings.iter().all(|d| !d.is_error()));
        assert_eq!(*valid, def);

        let twice = WorkflowDef::new("w", 1, vec![one("a"), one("a")]);
        let errors = ValidatedDef::check(twice, &SourceMap::default()).err();
        assert!(
            errors.is_some_and(|d| d
                .iter()
                .any(|d| d.code == crate::validate::codes::DUPLICATE_REF)),
            "a duplicate ref is refused"
        );
    }

    #[test]
    fn a_task_is_found_by_ref_at_any_depth_as_find_finds_it() {
        let work = |r: &str| Task::new("work", r, TaskKind::Simple);
        let inner = Task::new(
            "fork",
            "inner",
            TaskKind::ForkJoin {
                branches: vec![vec![work("x")], vec![work("y"), work("z")]],
            },
        );
        let outer = Task::new(
            "fork",
            "outer",
            TaskKind::ForkJoin {
                branches: vec![vec![work("a")], vec![inner, work("b")]],
            },
        );
        let join = Task::new(
            "join",
            "j",
            TaskKind::Join {
                join_on: vec!["a".into(), "b".into()],
            },
        );
        let def = WorkflowDef::new("w", 1, vec![work("first"), outer, join, work("last")]);
        let valid = ValidatedDef::from_store(def.clone());
        let mut refs = Vec::new();
        def.walk(&mut |t| refs.push(t.ref_name.clone()));
        assert!(refs.len() >= 9, "{refs:?}");
        for r in &refs {
            assert_eq!(valid.task_by_ref(r), def.find(r), "{r}");
        }
        assert_eq!(valid.task_by_ref("nope"), None);
        // The index is kept through a clone and equality ignores it.
        let copy = valid.clone();
        assert_eq!(
            copy.task_by_ref("z").map(|t| &t.ref_name),
            Some(&"z".to_string())
        );
        assert_eq!(copy, ValidatedDef::from_store(def));
    }

    #[test]
    fn filling_task_definitions_reaches_nested_worker_tasks_only() {
        let fork = Task::new(
            "fork",
            "fork",
            TaskKind::ForkJoin {
                branches: vec![vec![Task::new("work", "a", TaskKind::Simple)]],
            },
        );
        let def = WorkflowDef::new("w", 1, vec![fork, Task::new("noop", "n", TaskKind::Noop)]);
        let (mut valid, _) = ValidatedDef::check(def, &SourceMap::default()).expect("valid");
        let mut asked = Vec::new();
        valid
            .fill_task_defs::<()>(&mut |name| {
                asked.push(name.to_string());
                Ok(Some(TaskDef::no_retries(name)))
            })
            .expect("filled");
        assert_eq!(asked, vec!["work"]);
        assert!(valid.find("a").is_some_and(|t| t.task_def.is_some()));
        let failed = valid.fill_task_defs(&mut |_| Err("store down"));
        assert_eq!(failed, Ok(()), "tasks that have one are not asked again");
    }
}
