//! Dependency cycles inside each task list.

use super::codes;
use super::index::Index;
use super::locate;
use crate::diagnostic::{Diagnostic, SourceMap};
use std::collections::BTreeSet;

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Unvisited,
    OnPath,
    Done,
}

/// Reports each distinct cycle once, naming its path `a -> b -> c -> a` ("depends on").
pub(super) fn check_cycles(index: &Index<'_>, sources: &SourceMap, out: &mut Vec<Diagnostic>) {
    let mut reported: Vec<BTreeSet<usize>> = Vec::new();
    for (list, info) in index.lists.iter().enumerate() {
        let mut marks = vec![Mark::Unvisited; info.tasks.len()];
        for start in 0..info.tasks.len() {
            let mut path = Vec::new();
            find_cycles(index, list, start, &mut marks, &mut path, &mut |cycle| {
                let members: BTreeSet<usize> = cycle.iter().copied().collect();
                if !reported.contains(&members) {
                    reported.push(members);
                    out.push(describe(index, list, cycle, sources));
                }
            });
        }
    }
}

/// Depth-first search following dependencies; `on_cycle` gets the positions of each cycle
/// found, starting and ending at the same task.
fn find_cycles(
    index: &Index<'_>,
    list: usize,
    at: usize,
    marks: &mut [Mark],
    path: &mut Vec<usize>,
    on_cycle: &mut dyn FnMut(&[usize]),
) {
    match marks.get(at).copied() {
        Some(Mark::Unvisited) => {}
        Some(Mark::OnPath) => {
            if let Some(start) = path.iter().position(|p| *p == at) {
                let mut cycle: Vec<usize> =
                    path.get(start..).map(<[usize]>::to_vec).unwrap_or_default();
                cycle.push(at);
                on_cycle(&cycle);
            }
            return;
        }
        _ => return,
    }
    if let Some(mark) = marks.get_mut(at) {
        *mark = Mark::OnPath;
    }
    path.push(at);
    for dep in index.deps(list, at) {
        if let Some(next) = index.position_in(list, dep) {
            find_cycles(index, list, next, marks, path, on_cycle);
        }
    }
    path.pop();
    if let Some(mark) = marks.get_mut(at) {
        *mark = Mark::Done;
    }
}

fn describe(index: &Index<'_>, list: usize, cycle: &[usize], sources: &SourceMap) -> Diagnostic {
    let tasks = index.lists.get(list).map(|l| l.tasks).unwrap_or_default();
    let names: Vec<&str> = cycle
        .iter()
        .filter_map(|p| tasks.get(*p))
        .map(|t| t.ref_name.as_str())
        .collect();
    let first = names.first().copied().unwrap_or_default();
    let second = names.get(1).copied().unwrap_or_default();
    let field = tasks
        .get(cycle.first().copied().unwrap_or_default())
        .and_then(|t| t.depends_on.as_ref())
        .and_then(|deps| deps.iter().position(|d| d == second))
        .map_or_else(String::new, |i| format!("depends_on[{i}]"));
    let (pos, path) = locate(sources, first, &field);
    Diagnostic::error(
        codes::CYCLE,
        pos,
        path,
        format!(
            "dependency cycle: {} (each task depends on the next, so none can start)",
            names.join(" -> ")
        ),
    )
    .with_help(format!(
        "remove one of these dependencies, e.g. `{second}` from the `depends_on` of `{first}`"
    ))
}
