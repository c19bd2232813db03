//! What `baton top` shows and how keys change it: plain data, no terminal, no I/O, so
//! the view and the keys are tested without either.

use crate::cmd::look;
use baton_control::{TaskView, WorkflowSummary, WorkflowView, WorksetView};
use baton_core::{Hold, TaskStatus, Timestamp, WorkflowStatus};
use std::collections::HashMap;

/// One run in the list.
#[derive(Debug, Clone)]
pub struct Row {
    /// The summary the list gave.
    pub summary: WorkflowSummary,
    /// What a full read of the run added (only rows that were on screen are read).
    pub detail: Option<Detail>,
}

/// A row as text, the same for the dashboard and the snapshot table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowText {
    /// The run's mark (✓ ⟳ ⏸ ...).
    pub mark: char,
    /// Whether a person must act.
    pub waits: bool,
    /// `name vN`.
    pub name: String,
    /// The progress bar with %, when known.
    pub progress: String,
    /// The tasks running or waiting now.
    pub current: String,
    /// Since it started (until it ended).
    pub elapsed: String,
    /// How long it has waited, and on what.
    pub waiting: String,
}

impl Row {
    /// The row's cells at `now`.
    pub fn text(&self, now: Timestamp) -> RowText {
        let s = &self.summary;
        let waits = self.detail.as_ref().is_some_and(Detail::waits_for_person);
        let (progress, current, waiting) = match &self.detail {
            Some(d) => (
                look::bar(d.progress, 8),
                d.current.join(", "),
                d.waiting
                    .as_ref()
                    .map(|(what, since)| {
                        format!("{} {what}", look::ago(now.saturating_sub(*since)))
                    })
                    .unwrap_or_default(),
            ),
            None if s.status == WorkflowStatus::Completed => {
                (look::bar(100, 8), String::new(), String::new())
            }
            None => (String::new(), String::new(), String::new()),
        };
        let end = self
            .detail
            .as_ref()
            .and_then(|d| d.view.ended_at)
            .or_else(|| s.status.is_terminal().then_some(s.updated_at));
        RowText {
            mark: look::run_mark(s.status, waits),
            waits,
            name: format!("{} v{}", s.name, s.version),
            progress,
            current,
            elapsed: look::ago(end.unwrap_or(now).saturating_sub(s.created_at)),
            waiting,
        }
    }
}

/// What a full read of a run gives the list and the details pane.
#[derive(Debug, Clone)]
pub struct Detail {
    /// The run.
    pub view: WorkflowView,
    /// Finished over reachable tasks, in %.
    pub progress: u8,
    /// `done/total`.
    pub progress_tasks: String,
    /// Refs of the tasks running or waiting now.
    pub current: Vec<String>,
    /// What the run waits on, and since when.
    pub waiting: Option<(String, Timestamp)>,
}

impl Detail {
    /// Reads what the list needs from a run's view.
    pub fn of(view: WorkflowView, now: Timestamp) -> Detail {
        let ws = WorksetView::of(&view, None, now);
        let waiting = waiting_on(&view);
        Detail {
            progress: ws.workflow.progress,
            progress_tasks: ws.workflow.progress_tasks.clone(),
            current: ws.workflow.current_tasks.clone(),
            waiting,
            view,
        }
    }

    /// Whether a person must act (a HUMAN task, a gate, a breakpoint).
    pub fn waits_for_person(&self) -> bool {
        look::run_waits_for_person(&self.view)
    }
}

/// What a live run waits on: a person (HUMAN, gate, breakpoint), a timer, or a worker
/// queue nobody took the task from; with the time it started waiting.
fn waiting_on(view: &WorkflowView) -> Option<(String, Timestamp)> {
    if view.status.is_terminal() {
        return None;
    }
    let live = |t: &&TaskView| !t.status.is_terminal();
    for t in view.tasks.iter().filter(live) {
        let since = t.started_at.unwrap_or(t.scheduled_at);
        match t.hold {
            Some(Hold::Gate) => return Some((format!("gate {}", t.ref_name), t.scheduled_at)),
            Some(Hold::Breakpoint) => {
                return Some((format!("breakpoint {}", t.ref_name), t.scheduled_at));
            }
            None => {}
        }
        if t.task_type == "HUMAN" {
            return Some((format!("HUMAN {}", t.ref_name), since));
        }
        if t.task_type == "WAIT" {
            return Some((format!("timer {}", t.ref_name), since));
        }
    }
    if view.status == WorkflowStatus::Paused {
        return Some(("paused".to_string(), view.updated_at));
    }
    view.tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Scheduled && t.hold.is_none())
        .min_by_key(|t| t.scheduled_at)
        .map(|t| {
            (
                format!("queue {} (no worker took it)", t.name),
                t.scheduled_at,
            )
        })
}

/// A question the next key answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    /// Terminate this run? (y/n)
    Terminate(String),
}

/// What a key asks the loop to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing beyond redrawing.
    None,
    /// Leave.
    Quit,
    /// Read everything again now.
    Refresh,
    /// Pause this run.
    Pause(String),
    /// Resume this run.
    Resume(String),
    /// Terminate this run (confirmed).
    Terminate(String),
    /// Approve this task of this run.
    Approve(String, String),
    /// Reject this task of this run.
    Reject(String, String),
}

/// A key, as the loop passes it (independent of the terminal library).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A character.
    Char(char),
    /// Ctrl and a character.
    Ctrl(char),
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Enter.
    Enter,
    /// Escape.
    Esc,
    /// Backspace.
    Backspace,
}

/// The dashboard's state.
#[derive(Debug, Clone, Default)]
pub struct App {
    /// Where the runs come from (a URL or a database file), for the title.
    pub source: String,
    /// Every run listed, active first (see [`App::set_runs`]).
    pub rows: Vec<Row>,
    /// Index into [`App::visible`] of the selected run.
    pub selected: usize,
    /// The first visible row on screen (the list scrolls; only what fits is drawn).
    pub offset: usize,
    /// The `/` filter: runs whose name, status or id contain it (any case).
    pub filter: String,
    /// Typing the filter.
    pub filtering: bool,
    /// The details pane is open.
    pub details: bool,
    /// Index of the selected task in the details pane.
    pub task: usize,
    /// A question waiting for y/n.
    pub confirm: Option<Confirm>,
    /// The last thing that happened (an action's result, a lost connection).
    pub message: Option<String>,
    /// Whether live updates flow.
    pub live: bool,
}

impl App {
    /// A dashboard over `source`.
    pub fn new(source: &str) -> App {
        App {
            source: source.to_string(),
            ..App::default()
        }
    }

    /// Replaces the list, keeping each run's detail and the selection on the same run.
    pub fn set_runs(&mut self, runs: Vec<WorkflowSummary>) {
        let selected_id = self.selected_row().map(|r| r.summary.id.clone());
        let mut old: HashMap<String, Detail> = self
            .rows
            .drain(..)
            .filter_map(|r| r.detail.map(|d| (r.summary.id, d)))
            .collect();
        let mut rows: Vec<Row> = runs
            .into_iter()
            .map(|s| Row {
                detail: old.remove(&s.id),
                summary: s,
            })
            .collect();
        rows.sort_by(|a, b| {
            let rank = |r: &Row| u8::from(r.summary.status.is_terminal());
            rank(a)
                .cmp(&rank(b))
                .then(b.summary.created_at.cmp(&a.summary.created_at))
        });
        self.rows = rows;
        if let Some(id) = selected_id
            && let Some(i) = self
                .visible()
                .iter()
                .position(|&r| self.rows[r].summary.id == id)
        {
            self.selected = i;
        }
        self.clamp();
    }

    /// Sets a run's detail.
    pub fn set_detail(&mut self, id: &str, detail: Detail) {
        if let Some(r) = self.rows.iter_mut().find(|r| r.summary.id == id) {
            r.summary.status = detail.view.status;
            r.detail = Some(detail);
        }
    }

    /// Indexes of the rows the filter lets through, in order.
    pub fn visible(&self) -> Vec<usize> {
        let needle = self.filter.to_lowercase();
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                needle.is_empty()
                    || r.summary.name.to_lowercase().contains(&needle)
                    || r.summary.status.as_str().to_lowercase().contains(&needle)
                    || r.summary.id.to_lowercase().contains(&needle)
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The selected run.
    pub fn selected_row(&self) -> Option<&Row> {
        self.visible()
            .get(self.selected)
            .and_then(|&i| self.rows.get(i))
    }

    /// The ids of the visible rows from the top of the screen, `height` of them.
    pub fn on_screen(&self, height: usize) -> Vec<String> {
        self.visible()
            .iter()
            .skip(self.offset)
            .take(height)
            .map(|&i| self.rows[i].summary.id.clone())
            .collect()
    }

    /// Keeps the selection in range and on screen for a list `height` rows tall.
    pub fn scroll_to_selection(&mut self, height: usize) {
        self.clamp();
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
    }

    fn clamp(&mut self) {
        let n = self.visible().len();
        self.selected = self.selected.min(n.saturating_sub(1));
        self.offset = self.offset.min(self.selected);
    }

    /// The task of the selected run that a person can decide now, if any.
    fn decidable(&self) -> Option<(String, String)> {
        let row = self.selected_row()?;
        let d = row.detail.as_ref()?;
        d.view
            .tasks
            .iter()
            .find(|t| {
                look::waits_for_person(t) && (t.task_type == "HUMAN" || t.hold == Some(Hold::Gate))
            })
            .map(|t| (row.summary.id.clone(), t.ref_name.clone()))
    }

    /// Handles a key.
    pub fn key(&mut self, key: Key) -> Action {
        if let Some(Confirm::Terminate(id)) = self.confirm.take() {
            return match key {
                Key::Char('y' | 'Y') => Action::Terminate(id),
                _ => {
                    self.message = Some("not terminated".to_string());
                    Action::None
                }
            };
        }
        if self.filtering {
            match key {
                Key::Enter | Key::Esc => self.filtering = false,
                Key::Backspace => {
                    self.filter.pop();
                }
                Key::Char(c) => self.filter.push(c),
                Key::Ctrl('c') => return Action::Quit,
                _ => {}
            }
            self.selected = 0;
            self.offset = 0;
            return Action::None;
        }
        let id = self.selected_row().map(|r| r.summary.id.clone());
        let status = self.selected_row().map(|r| r.summary.status);
        match key {
            Key::Char('q' | 'Q') | Key::Ctrl('c') => Action::Quit,
            Key::Esc if self.details => {
                self.details = false;
                Action::None
            }
            Key::Esc if !self.filter.is_empty() => {
                self.filter.clear();
                Action::None
            }
            Key::Char('r' | 'R') => Action::Refresh,
            Key::Char('d' | 'D') | Key::Enter => {
                self.details = !self.details;
                self.task = 0;
                Action::Refresh
            }
            Key::Char('/') => {
                self.filtering = true;
                Action::None
            }
            Key::Up | Key::Char('k') if self.details => {
                self.task = self.task.saturating_sub(1);
                Action::None
            }
            Key::Down | Key::Char('j') if self.details => {
                self.task += 1;
                Action::None
            }
            Key::Up | Key::Char('k') => {
                self.selected = self.selected.saturating_sub(1);
                Action::Refresh
            }
            Key::Down | Key::Char('j') => {
                self.selected += 1;
                self.clamp();
                Action::Refresh
            }
            Key::PageUp => {
                self.selected = self.selected.saturating_sub(10);
                Action::Refresh
            }
            Key::PageDown => {
                self.selected += 10;
                self.clamp();
                Action::Refresh
            }
            Key::Char('p' | 'P') => match (id, status) {
                (Some(id), Some(WorkflowStatus::Paused)) => Action::Resume(id),
                (Some(id), Some(WorkflowStatus::Running)) => Action::Pause(id),
                (Some(_), Some(s)) => {
                    self.message = Some(format!("a {} run cannot be paused", s.as_str()));
                    Action::None
                }
                _ => Action::None,
            },
            Key::Char('K') => match (id, status) {
                (Some(id), Some(s)) if !s.is_terminal() => {
                    self.confirm = Some(Confirm::Terminate(id));
                    Action::None
                }
                (Some(_), Some(s)) => {
                    self.message = Some(format!("the run has ended ({})", s.as_str()));
                    Action::None
                }
                _ => Action::None,
            },
            Key::Char(c @ ('a' | 'A' | 'x' | 'X')) => match self.decidable() {
                Some((id, task)) if c.eq_ignore_ascii_case(&'a') => Action::Approve(id, task),
                Some((id, task)) => Action::Reject(id, task),
                None => {
                    self.message = Some("nothing in this run waits for a decision".to_string());
                    Action::None
                }
            },
            _ => Action::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: &str, status: WorkflowStatus, created_at: Timestamp) -> WorkflowSummary {
        WorkflowSummary {
            id: id.to_string(),
            name: format!("wf_{id}"),
            version: 1,
            status,
            correlation_id: None,
            created_at,
            updated_at: created_at,
        }
    }

    #[test]
    fn active_runs_come_first_and_the_selection_follows_its_run() {
        let mut app = App::new("x");
        app.set_runs(vec![
            summary("a", WorkflowStatus::Completed, 3),
            summary("b", WorkflowStatus::Running, 1),
            summary("c", WorkflowStatus::Paused, 2),
        ]);
        let ids: Vec<&str> = app.rows.iter().map(|r| r.summary.id.as_str()).collect();
        assert_eq!(ids, ["c", "b", "a"]);
        app.key(Key::Down);
        assert_eq!(app.selected_row().map(|r| r.summary.id.as_str()), Some("b"));
        app.set_runs(vec![
            summary("d", WorkflowStatus::Running, 9),
            summary("b", WorkflowStatus::Running, 1),
        ]);
        assert_eq!(app.selected_row().map(|r| r.summary.id.as_str()), Some("b"));
    }

    #[test]
    fn keys_ask_for_what_the_run_allows() {
        let mut app = App::new("x");
        app.set_runs(vec![summary("a", WorkflowStatus::Running, 1)]);
        assert_eq!(app.key(Key::Char('p')), Action::Pause("a".into()));
        assert_eq!(app.key(Key::Char('K')), Action::None, "asks first");
        assert_eq!(app.key(Key::Char('n')), Action::None);
        assert_eq!(app.message.as_deref(), Some("not terminated"));
        app.key(Key::Char('K'));
        assert_eq!(app.key(Key::Char('y')), Action::Terminate("a".into()));
        assert_eq!(app.key(Key::Char('a')), Action::None, "nothing to approve");
        app.rows[0].summary.status = WorkflowStatus::Paused;
        assert_eq!(app.key(Key::Char('P')), Action::Resume("a".into()));
        assert_eq!(app.key(Key::Char('q')), Action::Quit);
    }

    #[test]
    fn the_filter_narrows_by_name_status_or_id() {
        let mut app = App::new("x");
        app.set_runs(vec![
            summary("a1", WorkflowStatus::Running, 1),
            summary("b2", WorkflowStatus::Failed, 2),
        ]);
        app.key(Key::Char('/'));
        for c in "fail".chars() {
            app.key(Key::Char(c));
        }
        app.key(Key::Enter);
        assert_eq!(app.visible().len(), 1);
        assert_eq!(
            app.selected_row().map(|r| r.summary.id.as_str()),
            Some("b2")
        );
        app.key(Key::Esc);
        assert_eq!(app.visible().len(), 2);
    }

    #[test]
    fn the_list_scrolls_to_keep_the_selection_on_screen() {
        let mut app = App::new("x");
        app.set_runs(
            (0..100)
                .map(|i| summary(&format!("r{i:03}"), WorkflowStatus::Running, 1000 - i))
                .collect(),
        );
        app.selected = 50;
        app.scroll_to_selection(10);
        assert_eq!(app.offset, 41);
        assert_eq!(app.on_screen(10).len(), 10);
        assert_eq!(app.on_screen(10)[9], "r050");
    }
}
