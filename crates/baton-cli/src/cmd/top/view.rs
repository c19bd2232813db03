//! Drawing the dashboard: the run list, the details pane, the help line. Pure: it reads
//! the [`App`] and the clock value it is given, so a `TestBackend` renders it exactly.

use super::model::{App, Confirm, Row};
use crate::cmd::local::duration;
use crate::cmd::look;
use baton_core::{Timestamp, WorkflowStatus};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table, Wrap};

/// The help line (keys), as the seed's mock-up lists them.
pub const HELP: &str =
    "[R]efresh [D]etails [P]ause/resume [K]ill [A]pprove [X]reject [/]filter [Q]uit  ↑↓ j/k move";

/// Rows of the run list that fit in `area` (inside its border, below its header).
pub fn list_height(area: Rect, details: bool) -> usize {
    let list = if details {
        area.height.saturating_sub(2) / 2
    } else {
        area.height.saturating_sub(2)
    };
    usize::from(list.saturating_sub(3))
}

/// Draws everything.
pub fn draw(f: &mut Frame, app: &App, now: Timestamp) {
    let [title, body, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(f.area());
    f.render_widget(Paragraph::new(title_line(app)), title);
    if app.details {
        let [list, details] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        draw_list(f, app, list, now);
        draw_details(f, app, details, now);
    } else {
        draw_list(f, app, body, now);
    }
    f.render_widget(Paragraph::new(help_line(app)), help);
}

fn title_line(app: &App) -> Line<'static> {
    let active = app
        .rows
        .iter()
        .filter(|r| !r.summary.status.is_terminal())
        .count();
    let mut spans = vec![
        Span::styled("baton top", Style::default().add_modifier(Modifier::BOLD)),
        Span::raw(format!(
            "  {}  {} runs, {active} active",
            app.source,
            app.rows.len()
        )),
    ];
    if !app.filter.is_empty() || app.filtering {
        spans.push(Span::styled(
            format!(
                "  filter: {}{}",
                app.filter,
                if app.filtering { "_" } else { "" }
            ),
            Style::default().fg(Color::Cyan),
        ));
    }
    if !app.live {
        spans.push(Span::styled(
            "  (no live updates: reconnecting)",
            Style::default().fg(Color::Yellow),
        ));
    }
    Line::from(spans)
}

fn help_line(app: &App) -> Line<'static> {
    if let Some(Confirm::Terminate(id)) = &app.confirm {
        return Line::from(Span::styled(
            format!("Terminate {id}? y/n"),
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        ));
    }
    if app.filtering {
        return Line::from("type to filter by name, status or id; Enter keeps it, Esc clears");
    }
    match &app.message {
        Some(m) => Line::from(vec![
            Span::styled(m.clone(), Style::default().fg(Color::Yellow)),
            Span::raw("  "),
            Span::styled(HELP, Style::default().add_modifier(Modifier::DIM)),
        ]),
        None => Line::from(HELP),
    }
}

fn run_color(status: WorkflowStatus, waits: bool) -> Color {
    match look::run_tone(status, waits) {
        look::Tone::Good => Color::Green,
        look::Tone::Bad => Color::Red,
        look::Tone::Waiting => Color::Yellow,
        look::Tone::Busy => Color::Cyan,
        look::Tone::Quiet => Color::Gray,
    }
}

fn draw_list(f: &mut Frame, app: &App, area: Rect, now: Timestamp) {
    let height = list_height(area, false).max(1);
    let visible = app.visible();
    let rows: Vec<TableRow> = visible
        .iter()
        .enumerate()
        .skip(app.offset)
        .take(height)
        .map(|(i, &r)| list_row(&app.rows[r], i == app.selected, now))
        .collect();
    let title = format!(
        " runs {}/{} ",
        visible.len().min(app.selected + 1),
        visible.len()
    );
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Length(24),
            Constraint::Length(10),
            Constraint::Length(15),
            Constraint::Min(12),
            Constraint::Length(8),
            Constraint::Min(18),
        ],
    )
    .header(
        TableRow::new(["", "RUN", "STATUS", "PROGRESS", "NOW", "ELAPSED", "WAITING"])
            .style(Style::default().add_modifier(Modifier::BOLD)),
    )
    .block(Block::default().borders(Borders::ALL).title(title));
    f.render_widget(table, area);
}

fn list_row(row: &Row, selected: bool, now: Timestamp) -> TableRow<'static> {
    let s = &row.summary;
    let t = row.text(now);
    let color = run_color(s.status, t.waits);
    let style = if selected {
        Style::default().add_modifier(Modifier::REVERSED)
    } else {
        Style::default()
    };
    TableRow::new(vec![
        Cell::from(t.mark.to_string()).style(Style::default().fg(color)),
        Cell::from(t.name),
        Cell::from(s.status.as_str()).style(Style::default().fg(color)),
        Cell::from(t.progress),
        Cell::from(t.current),
        Cell::from(t.elapsed),
        Cell::from(t.waiting).style(Style::default().fg(Color::Yellow)),
    ])
    .style(style)
}

fn draw_details(f: &mut Frame, app: &App, area: Rect, now: Timestamp) {
    let Some(row) = app.selected_row() else {
        f.render_widget(
            Paragraph::new("no run selected").block(Block::default().borders(Borders::ALL)),
            area,
        );
        return;
    };
    let Some(d) = &row.detail else {
        f.render_widget(
            Paragraph::new("reading…").block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" {} ", row.summary.id)),
            ),
            area,
        );
        return;
    };
    let [tasks, io] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
    let selected = app.task.min(d.view.tasks.len().saturating_sub(1));
    let height = usize::from(tasks.height.saturating_sub(3)).max(1);
    let skip = selected.saturating_sub(height - 1);
    let rows: Vec<TableRow> = d
        .view
        .tasks
        .iter()
        .enumerate()
        .skip(skip)
        .take(height)
        .map(|(i, t)| {
            let waits = look::waits_for_person(t);
            let took = t
                .started_at
                .map(|s| duration(t.ended_at.unwrap_or(now).saturating_sub(s)))
                .unwrap_or_else(|| "-".to_string());
            let retries = t.attempt;
            let style = if i == selected {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            };
            TableRow::new(vec![
                Cell::from(look::mark(t.status, waits).to_string()),
                Cell::from(t.ref_name.clone()),
                Cell::from(t.task_type.clone()),
                Cell::from(t.status.as_str()),
                Cell::from(retries.to_string()),
                Cell::from(took),
            ])
            .style(style)
        })
        .collect();
    let title = format!(
        " {} {} · {} · {} ",
        look::run_mark(d.view.status, d.waits_for_person()),
        d.view.id,
        d.view.status.as_str(),
        d.progress_tasks
    );
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Min(14),
            Constraint::Length(12),
            Constraint::Length(12),
            Constraint::Length(7),
            Constraint::Length(7),
        ],
    )
    .header(
        TableRow::new(["", "TASK", "TYPE", "STATUS", "RETRIES", "TOOK"])
            .style(Style::default().add_modifier(Modifier::BOLD)),
    )
    .block(Block::default().borders(Borders::ALL).title(title));
    f.render_widget(table, tasks);
    let text = match d.view.tasks.get(selected) {
        Some(t) => {
            let mut lines = vec![
                Line::from(Span::styled(
                    t.ref_name.clone(),
                    Style::default().add_modifier(Modifier::BOLD),
                )),
                Line::from(format!("input  {}", compact(&t.input))),
                Line::from(format!("output {}", compact(&t.output))),
            ];
            if let Some(r) = &t.reason {
                lines.push(Line::from(Span::styled(
                    format!("reason {r}"),
                    Style::default().fg(Color::Red),
                )));
            }
            lines
        }
        None => vec![Line::from("no tasks yet")],
    };
    f.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title(" task ")),
        io,
    );
}

/// JSON on one line, cut to a screenful (the pane wraps it).
fn compact(v: &serde_json::Value) -> String {
    let text = serde_json::to_string(v).unwrap_or_default();
    if text.chars().count() > 600 {
        let cut: String = text.chars().take(600).collect();
        format!("{cut}…")
    } else {
        text
    }
}
