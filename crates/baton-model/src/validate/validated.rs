//! [`ValidatedDef`]: a definition that passed [`super::validate`], the only kind the
//! decider runs.

use crate::diagnostic::{Diagnostic, SourceMap};
use crate::model::{TaskDef, WorkflowDef};
use crate::tree::walk_list_mut;
use std::ops::Deref;

/// A [`WorkflowDef`] known to satisfy the model's invariant (unique refs, every
/// `depends_on` / `next` / `join_on` name exists, acyclic lists): "must have passed
/// validation" as a type. Read it through `Deref`; change it only in ways that keep the
/// invariant ([`Self::fill_task_defs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedDef(WorkflowDef);

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
            Ok((ValidatedDef(def), diagnostics))
        }
    }

    /// For definitions read back from the store, which were validated when they were
    /// registered or first run. Validating them again could refuse a running workflow
    /// because a later build checks more; anything else goes through [`Self::check`].
    pub fn from_store(def: WorkflowDef) -> ValidatedDef {
        ValidatedDef(def)
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
