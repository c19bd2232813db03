//! `baton top`: the seeds' live terminal dashboard (ratatui over crossterm).
//!
//! The list of runs (active first), a details pane, and keys to refresh, pause, resume,
//! terminate, approve and reject. Updates come from the server's event stream or the
//! local database's event log ([`feed`]), never from a tight polling loop; only the
//! rows on screen are read in full, so a thousand active runs cost what a screenful
//! does. Without a terminal it prints one snapshot as a table and exits.

pub mod feed;
pub mod model;
pub mod view;

use super::target::{Access, Target};
use crate::exit::Code;
use baton_control::{Control, ListFilter, Operation};
use clap::Args;
use model::{Action, App, Detail, Key};
use ratatui::crossterm::event::{self, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use std::io::IsTerminal as _;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Most runs listed (newest first; active ones are shown first of those): the most a
/// server answers in one list.
const MAX_RUNS: usize = 1_000;
/// Fewest milliseconds between two reads, however fast events come.
const MIN_REFRESH: Duration = Duration::from_millis(250);

/// Arguments of `baton top`.
#[derive(Debug, Args)]
pub struct TopArgs {
    #[command(flatten)]
    pub target: Target,
    /// Measure rendering: draw a list of N synthetic active runs many times into an
    /// in-memory terminal and print the time per frame (a benchmark, not a test).
    #[arg(long, value_name = "N", hide = true)]
    pub render_bench: Option<usize>,
}

/// Runs the dashboard (or prints a snapshot when stdout is not a terminal).
pub async fn run(args: &TopArgs) -> anyhow::Result<Code> {
    if let Some(n) = args.render_bench {
        bench::run(n);
        return Ok(Code::Ok);
    }
    let source = args
        .target
        .server
        .clone()
        .unwrap_or_else(|| args.target.db.display().to_string());
    let opened = args.target.open(Access::Read)?;
    let mut app = App::new(&source);
    if !std::io::stdout().is_terminal() {
        refresh(opened.control.as_ref(), &mut app, 50).await?;
        print_snapshot(&app);
        opened.close().await;
        return Ok(Code::Ok);
    }
    let (feed_tx, mut feed_rx) = mpsc::unbounded_channel();
    let feed = match &args.target.server {
        Some(url) => tokio::spawn(feed::server(
            url.clone(),
            args.target.token_for(url),
            feed_tx,
        )),
        None => tokio::spawn(feed::database(args.target.db.clone(), feed_tx)),
    };
    let (key_tx, mut key_rx) = mpsc::unbounded_channel();
    let keys_stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let keys = {
        let stop = keys_stop.clone();
        std::thread::spawn(move || read_keys(&key_tx, &stop))
    };
    let mut terminal = Screen::open()?;
    let result = dashboard(
        &mut terminal,
        &args.target,
        opened.control.as_ref(),
        &mut app,
        &mut key_rx,
        &mut feed_rx,
    )
    .await;
    drop(terminal);
    keys_stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = keys.join();
    feed.abort();
    opened.close().await;
    result.map(|()| Code::Ok)
}

/// The terminal in raw mode on the alternate screen; restored when dropped, and by a
/// panic hook if the program panics first.
struct Screen {
    terminal: ratatui::Terminal<ratatui::backend::CrosstermBackend<std::io::Stdout>>,
}

impl Screen {
    fn open() -> anyhow::Result<Screen> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        enable_raw_mode()?;
        let mut out = std::io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen) {
            restore();
            return Err(e.into());
        }
        let terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(out))
            .inspect_err(|_| restore())?;
        Ok(Screen { terminal })
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.terminal.show_cursor();
        restore();
    }
}

fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(std::io::stdout(), LeaveAlternateScreen);
}

/// Reads keys on its own thread (crossterm's reads block) until `stop`.
fn read_keys(tx: &mpsc::UnboundedSender<Key>, stop: &std::sync::atomic::AtomicBool) {
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        match event::poll(Duration::from_millis(100)) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(_) => return,
        }
        let Ok(TermEvent::Key(k)) = event::read() else {
            continue;
        };
        if k.kind != KeyEventKind::Press {
            continue;
        }
        let key = match k.code {
            KeyCode::Char(c) if k.modifiers.contains(KeyModifiers::CONTROL) => Key::Ctrl(c),
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Backspace => Key::Backspace,
            _ => continue,
        };
        if tx.send(key).is_err() {
            return;
        }
    }
}

async fn dashboard(
    screen: &mut Screen,
    target: &Target,
    control: &dyn Control,
    app: &mut App,
    keys: &mut mpsc::UnboundedReceiver<Key>,
    feed: &mut mpsc::UnboundedReceiver<feed::Feed>,
) -> anyhow::Result<()> {
    let mut dirty = true;
    let mut last_read = Instant::now() - MIN_REFRESH;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let area = screen.terminal.size()?;
        let height = view::list_height(
            ratatui::layout::Rect::new(0, 0, area.width, area.height.saturating_sub(2)),
            app.details,
        );
        if dirty && last_read.elapsed() >= MIN_REFRESH {
            app.scroll_to_selection(height);
            if let Err(e) = refresh(control, app, height).await {
                app.message = Some(format!("cannot read: {e}"));
            }
            last_read = Instant::now();
            dirty = false;
        }
        app.scroll_to_selection(height);
        let now = super::local::now_ms();
        screen.terminal.draw(|f| view::draw(f, app, now))?;
        let wait = if dirty {
            MIN_REFRESH.saturating_sub(last_read.elapsed())
        } else {
            Duration::from_secs(3600)
        };
        tokio::select! {
            key = keys.recv() => {
                let Some(key) = key else { return Ok(()) };
                match app.key(key) {
                    Action::Quit => return Ok(()),
                    Action::None => {}
                    Action::Refresh => dirty = true,
                    action => {
                        app.message = Some(act(target, action).await);
                        dirty = true;
                    }
                }
            }
            msg = feed.recv() => match msg {
                Some(feed::Feed::Changed) => dirty = true,
                Some(feed::Feed::Live) => app.live = true,
                Some(feed::Feed::Lost(_)) => app.live = false,
                None => app.live = false,
            },
            _ = tick.tick() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Reads the list, then in full the runs on screen (the first `height` visible rows
/// and the selected one).
async fn refresh(control: &dyn Control, app: &mut App, height: usize) -> anyhow::Result<()> {
    let filter = ListFilter {
        size: MAX_RUNS,
        ..ListFilter::default()
    };
    let runs = control.list(&filter).await?;
    app.set_runs(runs);
    let mut ids = app.on_screen(height.max(1));
    if let Some(r) = app.selected_row()
        && !ids.contains(&r.summary.id)
    {
        ids.push(r.summary.id.clone());
    }
    let now = super::local::now_ms();
    for id in ids {
        let known_ended = app
            .rows
            .iter()
            .find(|r| r.summary.id == id)
            .and_then(|r| r.detail.as_ref())
            .is_some_and(|d| d.view.status.is_terminal());
        if known_ended {
            continue;
        }
        if let Ok(view) = control.workflow(&id).await {
            app.set_detail(&id, Detail::of(view, now));
        }
    }
    Ok(())
}

/// Carries out an action; what to tell the user.
async fn act(target: &Target, action: Action) -> String {
    let (id, op, what) = match action {
        Action::Pause(id) => (id, Operation::Pause, "paused"),
        Action::Resume(id) => (id, Operation::Resume, "resumed"),
        Action::Terminate(id) => (
            id,
            Operation::Terminate {
                reason: "terminated from baton top".to_string(),
            },
            "terminated",
        ),
        Action::Approve(id, task_ref) => (
            id,
            Operation::Approve {
                task_ref,
                comment: Some("approved in baton top".to_string()),
                output: None,
            },
            "approved",
        ),
        Action::Reject(id, task_ref) => (
            id,
            Operation::Reject {
                task_ref,
                comment: Some("rejected in baton top".to_string()),
            },
            "rejected",
        ),
        Action::None | Action::Quit | Action::Refresh => return String::new(),
    };
    match super::people::send(target, &id, op).await {
        Ok(Ok(baton_control::CommandOutcome::Applied)) => format!("{what} {id}"),
        Ok(Ok(baton_control::CommandOutcome::Ignored { reason })) => {
            format!("nothing changed: {reason}")
        }
        Ok(Err(e)) => format!("refused: {e}"),
        Err(e) => format!("cannot reach the target: {e:#}"),
    }
}

/// One snapshot as a plain table (stdout is not a terminal).
fn print_snapshot(app: &App) {
    let now = super::local::now_ms();
    crate::outln!(
        "  {:<38}{:<26}{:<12}{:<16}{:<24}{:>9}  WAITING",
        "ID",
        "RUN",
        "STATUS",
        "PROGRESS",
        "NOW",
        "ELAPSED"
    );
    for row in &app.rows {
        let t = row.text(now);
        crate::outln!(
            "{} {:<38}{:<26}{:<12}{:<16}{:<24}{:>9}  {}",
            t.mark,
            row.summary.id,
            t.name,
            row.summary.status.as_str(),
            t.progress,
            t.current,
            t.elapsed,
            t.waiting
        );
    }
}

mod bench {
    //! `baton top --render-bench N`: time per frame with N active runs on screen.

    use super::view;
    use std::time::Instant;

    pub fn run(n: usize) {
        let app = super::tests_support::app_with_runs(n);
        let backend = ratatui::backend::TestBackend::new(160, 50);
        let Ok(mut terminal) = ratatui::Terminal::new(backend) else {
            return;
        };
        let frames = 200;
        let start = Instant::now();
        for _ in 0..frames {
            let _ = terminal.draw(|f| view::draw(f, &app, 1_000_000));
        }
        let per = start.elapsed() / frames;
        crate::outln!(
            "{n} runs: {:.1} µs per frame ({frames} frames, 160×50)",
            per.as_secs_f64() * 1e6
        );
    }
}

#[doc(hidden)]
pub mod tests_support {
    //! Synthetic runs, for the render benchmark and the view's snapshot tests.

    use super::model::{App, Detail};
    use baton_control::{TaskView, WorkflowSummary, WorkflowView};
    use baton_core::{TaskStatus, WorkflowStatus};
    use baton_model::RunMode;
    use serde_json::json;

    /// A task of a synthetic run.
    pub fn task(
        r: &str,
        ty: &str,
        status: TaskStatus,
        started: Option<u64>,
        ended: Option<u64>,
    ) -> TaskView {
        TaskView {
            task_id: format!("w-{r}"),
            ref_name: r.to_string(),
            def_ref: r.to_string(),
            name: r.to_string(),
            task_type: ty.to_string(),
            status,
            attempt: 0,
            input: json!({"file": format!("{r}.csv")}),
            output: if status == TaskStatus::Completed {
                json!({"rows": 42})
            } else {
                json!({})
            },
            reason: None,
            worker_id: None,
            scheduled_at: started.unwrap_or(990_000),
            started_at: started,
            ended_at: ended,
            role: None,
            hold: None,
        }
    }

    /// A synthetic run with these tasks.
    pub fn run(
        id: &str,
        name: &str,
        status: WorkflowStatus,
        tasks: Vec<TaskView>,
    ) -> (WorkflowSummary, WorkflowView) {
        let summary = WorkflowSummary {
            id: id.to_string(),
            name: name.to_string(),
            version: 1,
            status,
            correlation_id: None,
            created_at: 940_000,
            updated_at: 995_000,
        };
        let view = WorkflowView {
            id: id.to_string(),
            name: name.to_string(),
            version: 1,
            status,
            reason: None,
            correlation_id: None,
            parent_workflow_id: None,
            input: json!({}),
            output: json!({}),
            created_at: 940_000,
            updated_at: 995_000,
            ended_at: status.is_terminal().then_some(990_000),
            tasks,
            mode: RunMode::Auto,
            breakpoints: vec![],
            domain: None,
            variables: json!({}),
            description: None,
            planned: vec![],
        };
        (summary, view)
    }

    /// One run in every state the list shows, at `now` = 1,000,000 ms.
    #[cfg(test)]
    pub fn every_state() -> App {
        use TaskStatus::*;
        let done = |r: &str| task(r, "SIMPLE", Completed, Some(950_000), Some(960_000));
        let mut gate = task("deploy", "SIMPLE", Scheduled, None, None);
        gate.hold = Some(baton_core::Hold::Gate);
        let runs = vec![
            run(
                "01-running",
                "inventory_check",
                WorkflowStatus::Running,
                vec![
                    done("scan"),
                    done("hash"),
                    task("validate", "SIMPLE", InProgress, Some(970_000), None),
                    task("receipt", "SIMPLE", Scheduled, None, None),
                ],
            ),
            run(
                "02-human",
                "incident_response",
                WorkflowStatus::Running,
                vec![
                    done("detect"),
                    task("page_commander", "HUMAN", InProgress, Some(880_000), None),
                ],
            ),
            run(
                "03-gate",
                "release",
                WorkflowStatus::Running,
                vec![done("build"), gate],
            ),
            run(
                "04-timer",
                "nightly",
                WorkflowStatus::Running,
                vec![task("sleep", "WAIT", InProgress, Some(700_000), None)],
            ),
            run(
                "05-paused",
                "migration",
                WorkflowStatus::Paused,
                vec![
                    done("copy"),
                    task("verify", "SIMPLE", Scheduled, None, None),
                ],
            ),
            run(
                "06-done",
                "hello",
                WorkflowStatus::Completed,
                vec![done("greet")],
            ),
            run(
                "07-failed",
                "compliance",
                WorkflowStatus::Failed,
                vec![task(
                    "audit",
                    "SIMPLE",
                    Failed,
                    Some(950_000),
                    Some(951_000),
                )],
            ),
            run(
                "08-terminated",
                "station",
                WorkflowStatus::Terminated,
                vec![task(
                    "deploy",
                    "SIMPLE",
                    Canceled,
                    Some(950_000),
                    Some(952_000),
                )],
            ),
        ];
        let mut app = App::new("http://127.0.0.1:8080");
        app.live = true;
        app.set_runs(runs.iter().map(|(s, _)| s.clone()).collect());
        for (s, v) in runs {
            app.set_detail(&s.id, Detail::of(v, 1_000_000));
        }
        app
    }

    /// `n` active runs, each read in full.
    pub fn app_with_runs(n: usize) -> App {
        let mut app = App::new("bench");
        app.live = true;
        let runs: Vec<_> = (0..n)
            .map(|i| {
                run(
                    &format!("{i:06}-run"),
                    "chain",
                    WorkflowStatus::Running,
                    vec![
                        task(
                            "a",
                            "SIMPLE",
                            TaskStatus::Completed,
                            Some(950_000),
                            Some(960_000),
                        ),
                        task("b", "SIMPLE", TaskStatus::InProgress, Some(970_000), None),
                    ],
                )
            })
            .collect();
        app.set_runs(runs.iter().map(|(s, _)| s.clone()).collect());
        for (s, v) in runs {
            app.set_detail(&s.id, Detail::of(v, 1_000_000));
        }
        app
    }
}

#[cfg(test)]
mod tests {
    use super::model::Key;
    use super::tests_support::every_state;
    use super::view;
    use ratatui::backend::TestBackend;

    fn render(app: &super::model::App, w: u16, h: u16) -> String {
        let mut terminal = ratatui::Terminal::new(TestBackend::new(w, h)).expect("terminal");
        terminal
            .draw(|f| view::draw(f, app, 1_000_000))
            .expect("draw");
        let buf = terminal.backend().buffer().clone();
        let mut out = String::new();
        for y in 0..buf.area.height {
            let line: String = (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    #[test]
    fn the_list_shows_runs_in_every_state() {
        insta::assert_snapshot!(render(&every_state(), 140, 16));
    }

    #[test]
    fn the_details_pane_shows_tasks_and_the_selected_task() {
        let mut app = every_state();
        app.key(Key::Char('d'));
        app.key(Key::Down);
        app.key(Key::Down);
        insta::assert_snapshot!(render(&app, 140, 30));
    }

    #[test]
    fn a_narrow_terminal_still_shows_the_list_and_the_help_line() {
        let out = render(&every_state(), 80, 24);
        assert!(out.contains("[Q]uit") || out.contains("[R]efresh"), "{out}");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn terminate_asks_first_on_the_help_line() {
        let mut app = every_state();
        app.key(Key::Char('K'));
        let out = render(&app, 140, 16);
        assert!(out.contains("Terminate 01-running? y/n"), "{out}");
    }
}
