//! Turns the native dependency rules into explicit `depends_on` lists:
//! - `depends_on: [a, b]` as written;
//! - `parallel_with: x` means "the same dependencies as `x`" (added to `depends_on`);
//! - a branch head (named by a decision's `next`) depends on that decision;
//! - any other task depends on the task listed just before it (the first on nothing).
//!
//! `depends_on` stays `None` exactly where the model's default ("the previous task") is
//! the resolved answer.

use super::codes;
use super::read::{Reader, child_path};
use super::task::Draft;
use crate::model::TaskKind;
use crate::validate::suggest::did_you_mean;
use std::collections::HashMap;

/// Where the resolution of one task stands.
#[derive(Clone)]
enum State {
    NotStarted,
    InProgress,
    Done(Vec<String>),
}

/// Fills `depends_on` of every draft's task.
pub(crate) fn resolve(r: &mut Reader, drafts: &mut [Draft]) {
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, draft) in drafts.iter().enumerate() {
        index.entry(draft.task.ref_name.clone()).or_insert(i);
    }
    let mut heads: HashMap<String, Vec<String>> = HashMap::new();
    for draft in drafts.iter() {
        if let TaskKind::Switch(spec) = &draft.task.kind {
            for target in spec.next.values().chain(spec.next_default.iter()) {
                let deciders = heads.entry(target.clone()).or_default();
                if !deciders.contains(&draft.task.ref_name) {
                    deciders.push(draft.task.ref_name.clone());
                }
            }
        }
    }
    let mut resolver = Resolver {
        drafts,
        index: &index,
        heads: &heads,
        states: vec![State::NotStarted; drafts.len()],
    };
    let resolved: Vec<Vec<String>> = (0..drafts.len()).map(|i| resolver.deps_of(r, i)).collect();
    for (i, deps) in resolved.into_iter().enumerate() {
        let previous = i
            .checked_sub(1)
            .and_then(|p| drafts.get(p))
            .map(|d| d.task.ref_name.clone());
        let is_default = match &previous {
            None => deps.is_empty(),
            Some(prev) => deps.len() == 1 && deps.first() == Some(prev),
        };
        if let Some(draft) = drafts.get_mut(i) {
            draft.task.depends_on = if is_default { None } else { Some(deps) };
        }
    }
}

struct Resolver<'a> {
    drafts: &'a [Draft],
    index: &'a HashMap<String, usize>,
    heads: &'a HashMap<String, Vec<String>>,
    states: Vec<State>,
}

impl Resolver<'_> {
    fn deps_of(&mut self, r: &mut Reader, i: usize) -> Vec<String> {
        match self.states.get(i) {
            Some(State::Done(deps)) => return deps.clone(),
            Some(State::InProgress) | None => return Vec::new(),
            Some(State::NotStarted) => {}
        }
        if let Some(state) = self.states.get_mut(i) {
            *state = State::InProgress;
        }
        let Some(draft) = self.drafts.get(i) else {
            return Vec::new();
        };
        let mut deps: Vec<String> = Vec::new();
        if let Some(explicit) = &draft.depends_on {
            deps.extend(explicit.iter().map(|(name, _)| name.clone()));
        }
        for (target, pos) in &draft.parallel_with {
            let field = child_path(&draft.source.path, "parallel_with");
            match self.index.get(target).copied() {
                Some(t) if matches!(self.states.get(t), Some(State::InProgress)) => r.error(
                    codes::PARALLEL_WITH,
                    *pos,
                    &field,
                    format!(
                        "`parallel_with: {target}` goes round in a circle back to `{}`",
                        draft.task.ref_name
                    ),
                    "give one of these tasks an explicit `depends_on`".to_string(),
                ),
                Some(t) => deps.extend(self.deps_of(r, t)),
                None => {
                    let names = self.drafts.iter().map(|d| d.task.ref_name.as_str());
                    let help = match did_you_mean(target, names) {
                        Some(close) => format!("did you mean `parallel_with: {close}`?"),
                        None => "name the `id` of a task of this workflow".to_string(),
                    };
                    r.error(
                        codes::PARALLEL_WITH,
                        *pos,
                        &field,
                        format!(
                            "`parallel_with` names `{target}`, which is not a task of this workflow"
                        ),
                        help,
                    );
                }
            }
        }
        let deciders = self.heads.get(&draft.task.ref_name);
        if let Some(deciders) = deciders {
            deps.extend(deciders.iter().cloned());
        }
        let implicit =
            draft.depends_on.is_none() && draft.parallel_with.is_empty() && deciders.is_none();
        if implicit && let Some(previous) = i.checked_sub(1).and_then(|p| self.drafts.get(p)) {
            deps.push(previous.task.ref_name.clone());
        }
        let mut unique: Vec<String> = Vec::with_capacity(deps.len());
        for dep in deps {
            if !unique.contains(&dep) {
                unique.push(dep);
            }
        }
        if let Some(state) = self.states.get_mut(i) {
            *state = State::Done(unique.clone());
        }
        unique
    }
}
