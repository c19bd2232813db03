//! How runs look in plain text: the marks, the progress bar, spans of time and colours
//! that `baton status` and `baton list` print (and that a dashboard reuses).
//!
//! Every helper is pure except [`Paint::for_stdout`], which looks at the terminal and
//! `NO_COLOR` once. The marks are the ones `baton run` prints while it follows a run:
//!
//! | mark | task                                        | run        |
//! |------|---------------------------------------------|------------|
//! | `✓`  | completed (with errors too)                 | completed  |
//! | `⟳`  | running                                     | running    |
//! | `⋯`  | scheduled                                   | pending    |
//! | `⏸`  | waits for a person (HUMAN, gate, breakpoint) | paused, or waits for a person |
//! | `✗`  | failed, timed out                           | failed, timed out |
//! | `■`  | canceled                                    | terminated |
//! | `⊘`  | skipped                                     |            |

use super::local::duration;
use baton_control::{TaskView, WorkflowView};
use baton_core::{TaskStatus, WorkflowStatus};
use std::io::IsTerminal as _;

/// The mark of a task attempt; `waits_for_person` when it waits for a decision (a HUMAN
/// task in progress, a gate or a breakpoint hold), which only counts while it has not
/// ended.
pub fn mark(status: TaskStatus, waits_for_person: bool) -> char {
    match status {
        TaskStatus::Scheduled | TaskStatus::InProgress if waits_for_person => '⏸',
        TaskStatus::Scheduled => '⋯',
        TaskStatus::InProgress => '⟳',
        TaskStatus::Completed | TaskStatus::CompletedWithErrors => '✓',
        TaskStatus::Failed | TaskStatus::FailedWithTerminalError | TaskStatus::TimedOut => '✗',
        TaskStatus::Canceled => '■',
        TaskStatus::Skipped => '⊘',
    }
}

/// The mark of a run.
pub fn workflow_mark(status: WorkflowStatus) -> char {
    match status {
        WorkflowStatus::Pending => '⋯',
        WorkflowStatus::Running => '⟳',
        WorkflowStatus::Paused => '⏸',
        WorkflowStatus::Completed => '✓',
        WorkflowStatus::Failed | WorkflowStatus::TimedOut => '✗',
        WorkflowStatus::Terminated => '■',
    }
}

/// The mark of a run; `waits_for_person` when it is running but waits for a person's
/// decision (see [`run_waits_for_person`]): then it reads `⏸`, like a paused run.
pub fn run_mark(status: WorkflowStatus, waits_for_person: bool) -> char {
    if status == WorkflowStatus::Running && waits_for_person {
        '⏸'
    } else {
        workflow_mark(status)
    }
}

/// Whether a task attempt waits for a person: a HUMAN task, or one held at a gate or a
/// breakpoint, that has not ended.
pub fn waits_for_person(t: &TaskView) -> bool {
    !t.status.is_terminal() && (t.hold.is_some() || t.task_type == "HUMAN")
}

/// Whether a run waits for a person: it is running and one of its tasks waits for a
/// decision (as a workset's `waiting` status has it; other tasks may still move).
pub fn run_waits_for_person(w: &WorkflowView) -> bool {
    w.status == WorkflowStatus::Running && w.tasks.iter().any(waits_for_person)
}

/// A progress bar `width` characters wide, then the percentage right-aligned on four
/// characters: `████████░░░░  67%`. Filled cells round down, so only 100 % is full;
/// `percent` above 100 counts as 100.
pub fn bar(percent: u8, width: usize) -> String {
    let p = percent.min(100);
    let filled = usize::from(p) * width / 100;
    format!(
        "{}{} {p:>3}%",
        "█".repeat(filled),
        "░".repeat(width - filled)
    )
}

/// A span of time in milliseconds as short text: `850ms`, `1.2s`, `3m04s` (as
/// [`duration`]), then `2h05m` and `3d04h` — how long ago something happened, or for
/// how long.
pub fn ago(ms: u64) -> String {
    const HOUR: u64 = 3_600_000;
    const DAY: u64 = 24 * HOUR;
    if ms < HOUR {
        duration(ms)
    } else if ms < DAY {
        format!("{}h{:02}m", ms / HOUR, (ms % HOUR) / 60_000)
    } else {
        format!("{}d{:02}h", ms / DAY, (ms % DAY) / HOUR)
    }
}

/// What a status means to whoever looks at it, which gives its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Done and well (green).
    Good,
    /// Failed, timed out, canceled (red).
    Bad,
    /// Moving by itself (cyan).
    Busy,
    /// Waiting for a person, or paused (yellow).
    Waiting,
    /// Not started, or skipped (dim).
    Quiet,
}

/// The tone of a task attempt (see [`mark`] for `waits_for_person`).
pub fn task_tone(status: TaskStatus, waits_for_person: bool) -> Tone {
    match status {
        TaskStatus::Scheduled | TaskStatus::InProgress if waits_for_person => Tone::Waiting,
        TaskStatus::Scheduled | TaskStatus::Skipped => Tone::Quiet,
        TaskStatus::InProgress => Tone::Busy,
        TaskStatus::Completed => Tone::Good,
        TaskStatus::CompletedWithErrors => Tone::Waiting,
        TaskStatus::Failed
        | TaskStatus::FailedWithTerminalError
        | TaskStatus::TimedOut
        | TaskStatus::Canceled => Tone::Bad,
    }
}

/// The tone of a run (see [`run_mark`] for `waits_for_person`).
pub fn run_tone(status: WorkflowStatus, waits_for_person: bool) -> Tone {
    match status {
        WorkflowStatus::Running if waits_for_person => Tone::Waiting,
        WorkflowStatus::Pending => Tone::Quiet,
        WorkflowStatus::Running => Tone::Busy,
        WorkflowStatus::Paused => Tone::Waiting,
        WorkflowStatus::Completed => Tone::Good,
        WorkflowStatus::Failed | WorkflowStatus::TimedOut | WorkflowStatus::Terminated => Tone::Bad,
    }
}

/// ANSI colours, only when enabled: text passes through unchanged otherwise, so what a
/// script or a test captures is plain. Pad text before painting it (escape codes count
/// as characters in `{:<N}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    enabled: bool,
}

impl Paint {
    /// Colours iff `enabled`.
    pub fn new(enabled: bool) -> Paint {
        Paint { enabled }
    }

    /// Colours iff stdout is a terminal and `NO_COLOR` is unset (or empty, as
    /// <https://no-color.org> has it).
    pub fn for_stdout() -> Paint {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Paint::new(!no_color && std::io::stdout().is_terminal())
    }

    fn sgr(self, code: &str, text: &str) -> String {
        if self.enabled && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Green.
    pub fn green(self, text: &str) -> String {
        self.sgr("32", text)
    }

    /// Red.
    pub fn red(self, text: &str) -> String {
        self.sgr("31", text)
    }

    /// Yellow.
    pub fn yellow(self, text: &str) -> String {
        self.sgr("33", text)
    }

    /// Cyan.
    pub fn cyan(self, text: &str) -> String {
        self.sgr("36", text)
    }

    /// Dim (faint).
    pub fn dim(self, text: &str) -> String {
        self.sgr("2", text)
    }

    /// Bold.
    pub fn bold(self, text: &str) -> String {
        self.sgr("1", text)
    }

    /// In the colour of `tone`.
    pub fn tone(self, tone: Tone, text: &str) -> String {
        match tone {
            Tone::Good => self.green(text),
            Tone::Bad => self.red(text),
            Tone::Busy => self.cyan(text),
            Tone::Waiting => self.yellow(text),
            Tone::Quiet => self.dim(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_marks() {
        assert_eq!(mark(TaskStatus::Completed, false), '✓');
        assert_eq!(mark(TaskStatus::CompletedWithErrors, false), '✓');
        assert_eq!(mark(TaskStatus::InProgress, false), '⟳');
        assert_eq!(mark(TaskStatus::Scheduled, false), '⋯');
        assert_eq!(mark(TaskStatus::InProgress, true), '⏸');
        assert_eq!(mark(TaskStatus::Scheduled, true), '⏸');
        assert_eq!(mark(TaskStatus::Failed, false), '✗');
        assert_eq!(mark(TaskStatus::FailedWithTerminalError, false), '✗');
        assert_eq!(mark(TaskStatus::TimedOut, false), '✗');
        assert_eq!(mark(TaskStatus::Canceled, false), '■');
        assert_eq!(mark(TaskStatus::Skipped, false), '⊘');
        // A decision that was made is no longer waited for.
        assert_eq!(mark(TaskStatus::Completed, true), '✓');
        assert_eq!(mark(TaskStatus::Failed, true), '✗');
    }

    #[test]
    fn run_marks() {
        assert_eq!(workflow_mark(WorkflowStatus::Completed), '✓');
        assert_eq!(workflow_mark(WorkflowStatus::Running), '⟳');
        assert_eq!(workflow_mark(WorkflowStatus::Pending), '⋯');
        assert_eq!(workflow_mark(WorkflowStatus::Paused), '⏸');
        assert_eq!(workflow_mark(WorkflowStatus::Failed), '✗');
        assert_eq!(workflow_mark(WorkflowStatus::TimedOut), '✗');
        assert_eq!(workflow_mark(WorkflowStatus::Terminated), '■');
        assert_eq!(run_mark(WorkflowStatus::Running, true), '⏸');
        assert_eq!(run_mark(WorkflowStatus::Completed, true), '✓');
    }

    #[test]
    fn waiting_tasks() {
        let t: TaskView = serde_json::from_value(serde_json::json!({
            "task_id": "w-t1", "ref_name": "review", "def_ref": "review", "name": "review",
            "task_type": "HUMAN", "status": "IN_PROGRESS", "attempt": 0,
            "input": {}, "output": {}, "scheduled_at": 0
        }))
        .expect("a task view");
        assert!(waits_for_person(&t));
        let done = TaskView {
            status: TaskStatus::Completed,
            ..t.clone()
        };
        assert!(!waits_for_person(&done));
        let worker = TaskView {
            task_type: "SIMPLE".into(),
            ..t.clone()
        };
        assert!(!waits_for_person(&worker));
        let gated = TaskView {
            status: TaskStatus::Scheduled,
            hold: Some(baton_core::Hold::Gate),
            ..worker
        };
        assert!(waits_for_person(&gated));
    }

    #[test]
    fn bars() {
        assert_eq!(bar(0, 4), "░░░░   0%");
        assert_eq!(bar(50, 4), "██░░  50%");
        assert_eq!(bar(67, 12), "████████░░░░  67%");
        assert_eq!(bar(99, 10), "█████████░  99%");
        assert_eq!(bar(100, 10), "██████████ 100%");
        assert_eq!(bar(255, 3), "███ 100%");
        assert_eq!(bar(40, 0), "  40%");
        // Always as wide, so bars line up in a column.
        for p in [0, 7, 33, 100] {
            assert_eq!(bar(p, 20).chars().count(), 25);
        }
    }

    #[test]
    fn spans() {
        assert_eq!(ago(850), "850ms");
        assert_eq!(ago(1234), "1.2s");
        assert_eq!(ago(184_000), "3m04s");
        assert_eq!(ago(3_599_999), "59m59s");
        assert_eq!(ago(3_600_000), "1h00m");
        assert_eq!(ago(7_500_000), "2h05m");
        assert_eq!(ago(273_600_000), "3d04h");
    }

    #[test]
    fn paint_only_when_enabled() {
        let off = Paint::new(false);
        for f in [
            Paint::green,
            Paint::red,
            Paint::yellow,
            Paint::cyan,
            Paint::dim,
            Paint::bold,
        ] {
            assert_eq!(f(off, "done"), "done");
        }
        assert_eq!(off.tone(Tone::Bad, "FAILED"), "FAILED");
        let on = Paint::new(true);
        assert_eq!(on.green("ok"), "\x1b[32mok\x1b[0m");
        assert_eq!(on.red("no"), "\x1b[31mno\x1b[0m");
        assert_eq!(on.bold("id"), "\x1b[1mid\x1b[0m");
        assert_eq!(on.tone(Tone::Waiting, "x"), on.yellow("x"));
        assert_eq!(on.dim(""), "", "nothing to paint, no codes");
    }

    #[test]
    fn tones() {
        assert_eq!(task_tone(TaskStatus::Completed, false), Tone::Good);
        assert_eq!(task_tone(TaskStatus::InProgress, true), Tone::Waiting);
        assert_eq!(task_tone(TaskStatus::InProgress, false), Tone::Busy);
        assert_eq!(task_tone(TaskStatus::Canceled, false), Tone::Bad);
        assert_eq!(task_tone(TaskStatus::Skipped, false), Tone::Quiet);
        assert_eq!(run_tone(WorkflowStatus::Running, true), Tone::Waiting);
        assert_eq!(run_tone(WorkflowStatus::Terminated, false), Tone::Bad);
        assert_eq!(run_tone(WorkflowStatus::Completed, false), Tone::Good);
    }
}
