//! `baton run FILE`: run a workflow here and now, on the embedded SQLite store.

use super::follow::{Display, Run, follow};
use super::local::{self, DEFAULT_DB};
use crate::exit::Code;
use baton_core::WorkflowStatus;
use baton_runtime::StartWorkflow;
use baton_store::WorkflowFilter;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `baton run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The definition: Conductor JSON, native YAML or stage YAML.
    pub file: PathBuf,
    /// Workflow input as key=value (JSON values keep their type). Repeatable.
    #[arg(long = "input", short = 'i', value_name = "KEY=VALUE")]
    pub inputs: Vec<String>,
    /// Workflow input from a JSON object file (`--input` values override it).
    #[arg(long, value_name = "FILE")]
    pub input_file: Option<PathBuf>,
    /// Runner bindings (YAML): which command, URL or built-in runs each task type.
    #[arg(long, value_name = "FILE")]
    pub runners: Option<PathBuf>,
    /// The SQLite database that keeps the run (created if missing).
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Start a new run even if the database holds an unfinished run of this definition.
    #[arg(long)]
    pub new: bool,
    /// Print only the workflow output.
    #[arg(long, short)]
    pub quiet: bool,
    /// Refuse to run a definition `validate` warns about (unknown fields, references to
    /// undeclared outputs, unused runner bindings, ...).
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub people: super::people::RunModeArgs,
}

/// Runs `baton run`: exit 0 when the workflow completes, 1 when it fails, times out or is
/// terminated, 2 when the definition, input or runners are invalid, 130 on Ctrl-C.
pub async fn run(args: &RunArgs) -> anyhow::Result<Code> {
    let checked = super::check_file(&args.file)?;
    // What `validate` would say, said before the run starts.
    super::render_all(&args.file, &checked);
    if checked.errors() > 0 {
        crate::errln!(
            "error: `{}` is not a valid definition; fix the errors above",
            args.file.display()
        );
        return Ok(Code::Usage);
    }
    if args.strict && checked.warnings() > 0 {
        crate::errln!(
            "error: `{}` has {} warning{} and --strict makes them errors; nothing was run",
            args.file.display(),
            checked.warnings(),
            if checked.warnings() == 1 { "" } else { "s" }
        );
        return Ok(Code::Usage);
    }
    let Some(loaded) = checked.loaded else {
        return Ok(Code::Usage);
    };
    let def = loaded.def;
    let input = match local::parse_input(&args.inputs, args.input_file.as_deref()) {
        Ok(v) => v,
        Err(e) => {
            crate::errln!("error: {e:#}");
            return Ok(Code::Usage);
        }
    };
    if let Err(e) = args.people.check_breakpoints(&def) {
        crate::errln!("error: {e}");
        return Ok(Code::Usage);
    }
    if let Err(e) = local::check_input_names(&def, &input) {
        crate::errln!("error: {e}");
        return Ok(Code::Usage);
    }
    if let Err(diags) = baton_model::validate::check_input(&def, &input) {
        for d in diags {
            crate::errln!(
                "error: {}{}",
                d.message,
                d.help.map(|h| format!("\n  help: {h}")).unwrap_or_default()
            );
        }
        return Ok(Code::Usage);
    }
    let def_dir = local::dir_of(&args.file);
    let runners = match local::runners(Some(&def), args.runners.as_deref(), &def_dir) {
        Ok(r) => r,
        Err(e) => {
            crate::errln!("error: {e:#}");
            return Ok(Code::Usage);
        }
    };
    if local::report_missing_runners(&def, &runners) {
        return Ok(Code::Usage);
    }
    let unused = local::unused_bindings(&def, args.runners.as_deref());
    for name in &unused {
        crate::errln!(
            "warning: runner `{name}` in {} is bound but no task of `{}` uses it (a misspelt task name?)",
            args.runners
                .as_deref()
                .map_or_else(String::new, |p| p.display().to_string()),
            def.name
        );
    }
    if args.strict && !unused.is_empty() {
        crate::errln!("error: --strict: unused runner bindings; nothing was run");
        return Ok(Code::Usage);
    }
    let recorded = match local::bindings(args.runners.as_deref(), &def_dir) {
        Ok(b) => b,
        Err(e) => {
            crate::errln!("error: {e:#}");
            return Ok(Code::Usage);
        }
    };
    let engine = match local::open_engine(&args.db) {
        Ok(e) => e,
        Err(e) => {
            crate::errln!("error: {e:#}");
            return Ok(Code::Usage);
        }
    };
    let handle = engine.handle();
    let events = handle.subscribe();
    let resumable = if args.new {
        None
    } else {
        unfinished_run(&handle, &def)?
    };
    if let Some(id) = &resumable
        && let Some(clash) = input_clash(&handle, id, &input)?
    {
        crate::errln!(
            "error: an unfinished run of `{}` ({id}) is in {} with {clash}; the new input would be ignored",
            def.name,
            args.db.display()
        );
        crate::errln!(
            "  help: continue that run as it is: `baton resume {id} --db {db}`; or start another with these inputs: add --new",
            db = super::socket::shell_word(&args.db.display().to_string())
        );
        engine.shutdown().await;
        return Ok(Code::Usage);
    }
    let id = match resumable {
        Some(id) => {
            if !args.quiet {
                crate::errln!(
                    "Resuming unfinished run {id} from {} (use --new to start another)",
                    args.db.display()
                );
            }
            super::resume::unpause(&handle, &id).await?;
            id
        }
        None => {
            let req = StartWorkflow {
                definition: Some(def.clone()),
                input,
                options: baton_core::RunOptions {
                    runners: Some(recorded),
                    ..args.people.options()
                },
                by: Some(super::target::actor()),
                ..Default::default()
            };
            match handle.start(req).await {
                Ok(id) => {
                    if !args.quiet {
                        crate::errln!(
                            "Running {} v{} as {id} (database {})",
                            def.name,
                            def.version,
                            args.db.display()
                        );
                    }
                    id
                }
                Err(e) => {
                    crate::errln!("error: {e}");
                    engine.shutdown().await;
                    return Ok(Code::Usage);
                }
            }
        }
    };
    let run = Run {
        workflow_id: &id,
        runners,
        queues: local::queues_of(&def),
        db: &args.db,
        display: Display { quiet: args.quiet },
        command: "run",
    };
    follow(engine, events, run).await
}

/// How `given` (the inputs passed on the command line) differs from what run `id`
/// started with, if it does.
fn input_clash(
    handle: &baton_runtime::EngineHandle,
    id: &str,
    given: &serde_json::Value,
) -> anyhow::Result<Option<String>> {
    let Some(given) = given.as_object().filter(|g| !g.is_empty()) else {
        return Ok(None);
    };
    let Some(stored) = handle.reader()?.workflow(id)? else {
        return Ok(None);
    };
    for (k, v) in given {
        let had = stored.state.input.get(k);
        if had != Some(v) {
            return Ok(Some(format!(
                "input `{k}` = {}, not {v}",
                had.map_or_else(|| "(not given)".to_string(), ToString::to_string)
            )));
        }
    }
    Ok(None)
}

/// The newest RUNNING or PAUSED run of this definition (name and version) in the database.
fn unfinished_run(
    handle: &baton_runtime::EngineHandle,
    def: &baton_model::WorkflowDef,
) -> anyhow::Result<Option<String>> {
    let reader = handle.reader()?;
    let filter = WorkflowFilter {
        name: Some(def.name.clone()),
        statuses: vec![WorkflowStatus::Running, WorkflowStatus::Paused],
        limit: 20,
        ..Default::default()
    };
    Ok(reader
        .list_workflows(&filter)?
        .into_iter()
        .find(|w| w.version == def.version && w.parent_id.is_none())
        .map(|w| w.id))
}
