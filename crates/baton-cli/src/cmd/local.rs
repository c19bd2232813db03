//! What the local commands share: opening the embedded store, runners, input parsing.

use anyhow::{Context as _, bail};
use baton_model::{Reach, WorkflowDef};
use baton_runners::jq::JqSandbox;
use baton_runners::{RunnerConfig, Runners};
use baton_runtime::dispatch::DispatchConfig;
use baton_runtime::{Engine, EngineConfig, SystemClock};
use baton_store::sqlite::{Durability, SqliteStore};
use serde_json::{Map, Value};
use std::convert::Infallible;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The embedded database file used when `--db` is not given.
pub const DEFAULT_DB: &str = "baton.db";

/// How `baton run`, `resume` and `server` drive their local runners; `fail_unrouted`
/// when nothing else could ever pick up a task no runner serves.
pub fn dispatch_config(fail_unrouted: bool) -> DispatchConfig {
    DispatchConfig {
        fail_unrouted,
        ..DispatchConfig::default()
    }
}

/// Starts an engine on the SQLite file at `db` (created if missing). The engine knows
/// the local runners' worker id, so an attempt they ran when a previous process was
/// killed counts as failed instead of running again unnoticed.
pub fn open_engine(db: &Path) -> anyhow::Result<Engine> {
    let store = SqliteStore::open(db, Durability::Full)
        .with_context(|| format!("cannot open database `{}`", db.display()))?;
    let config = EngineConfig {
        local_workers: vec![dispatch_config(false).worker_id],
        ..EngineConfig::default()
    };
    Ok(Engine::start(store, Arc::new(SystemClock), config)?)
}

/// Whether opening a database failed because another Baton process holds it.
pub fn is_locked(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<baton_store::StoreError>(),
        Some(baton_store::StoreError::Locked(_))
    )
}

/// Opens a read-only view of an existing database.
pub fn open_reader(db: &Path) -> anyhow::Result<Box<dyn baton_store::Reader>> {
    if !db.exists() {
        bail!(
            "no database at `{}`; pass the file a run used with --db",
            db.display()
        );
    }
    Ok(Box::new(baton_runtime::CaughtUpReader::new(Box::new(
        baton_store::sqlite::SqliteReader::open(db)
            .with_context(|| format!("cannot read `{}`", db.display()))?,
    ))))
}

/// Built-in runners, then a runners file, then the definition's own `runners:` block
/// (later ones win for the same queue).
pub fn runners(
    def: Option<&WorkflowDef>,
    file: Option<&Path>,
    def_dir: &Path,
) -> anyhow::Result<Arc<Runners>> {
    let mut r = Runners::with_builtins_jq(jq_sandbox()?);
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read runners file `{}`", path.display()))?;
        let cfg = RunnerConfig::from_yaml(&text)
            .with_context(|| format!("runners file `{}`", path.display()))?;
        let base = dir_of(path);
        r.load_config(&cfg, &base)
            .with_context(|| format!("runners file `{}`", path.display()))?;
    }
    if let Some(inline) = def.and_then(|d| d.extra.get("runners")) {
        let cfg = RunnerConfig::from_json(&serde_json::json!({ "runners": inline }))
            .context("the definition's `runners:` block")?;
        r.load_config(&cfg, def_dir)
            .context("the definition's `runners:` block")?;
    }
    Ok(Arc::new(r))
}

/// What to record with a run about its runners: the runners file (absolute path and
/// text) and the definition's folder, so `baton resume` binds the same runners.
pub fn bindings(file: Option<&Path>, def_dir: &Path) -> anyhow::Result<baton_core::RunnerBindings> {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let text = match file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read runners file `{}`", path.display()))?,
        ),
        None => None,
    };
    Ok(baton_core::RunnerBindings {
        file: file.map(|p| absolute(p).display().to_string()),
        text,
        definition_dir: absolute(def_dir).display().to_string(),
    })
}

/// The runners a run recorded when it started (see [`bindings`]): built-ins, the
/// runners file's text as it was then, then the definition's own block.
pub fn recorded_runners(
    def: &WorkflowDef,
    recorded: &baton_core::RunnerBindings,
) -> anyhow::Result<Arc<Runners>> {
    let mut r = Runners::with_builtins_jq(jq_sandbox()?);
    if let Some(text) = &recorded.text {
        let file = recorded.file.as_deref().unwrap_or("(the runners file)");
        let cfg = RunnerConfig::from_yaml(text)
            .with_context(|| format!("runners file `{file}` as the run recorded it"))?;
        let base = recorded.file.as_deref().map_or_else(
            || PathBuf::from(&recorded.definition_dir),
            |f| dir_of(Path::new(f)),
        );
        r.load_config(&cfg, &base)
            .with_context(|| format!("runners file `{file}` as the run recorded it"))?;
    }
    if let Some(inline) = def.extra.get("runners") {
        let cfg = RunnerConfig::from_json(&serde_json::json!({ "runners": inline }))
            .context("the definition's `runners:` block")?;
        r.load_config(&cfg, Path::new(&recorded.definition_dir))
            .context("the definition's `runners:` block")?;
    }
    Ok(Arc::new(r))
}

/// The names a runners file binds that no task of `def` uses (neither a queue of its
/// nor the agent prefix of one). Unreadable files give none: `runners` reports those.
pub fn unused_bindings(def: &WorkflowDef, file: Option<&Path>) -> Vec<String> {
    let Some(cfg) = file
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| RunnerConfig::from_yaml(&t).ok())
    else {
        return Vec::new();
    };
    let queues = queues_of(def);
    cfg.runners
        .keys()
        .filter(|name| {
            !queues.iter().any(|q| {
                q == *name
                    || q.split_once('.')
                        .is_some_and(|(agent, _)| agent == name.as_str())
            })
        })
        .cloned()
        .collect()
}

/// Says which task types of `def` no runner serves, with how to bind them; `true` when
/// some are missing (the caller exits 2 and changes nothing).
pub fn report_missing_runners(def: &WorkflowDef, runners: &Runners) -> bool {
    let queues = queues_of(def);
    let missing: Vec<&String> = queues.iter().filter(|q| !runners.handles(q)).collect();
    if missing.is_empty() {
        return false;
    }
    let names: Vec<String> = missing.iter().map(|q| format!("`{q}`")).collect();
    crate::errln!(
        "error: no runner for task type{} {}",
        if missing.len() > 1 { "s" } else { "" },
        names.join(", ")
    );
    crate::errln!("  help: bind each in a runners file and pass it with --runners FILE, e.g.\n");
    crate::errln!("    runners:");
    for q in &missing {
        crate::errln!("      {q}:\n        exec: {{command: [\"python3\", \"agents/{q}.py\"]}}");
    }
    crate::errln!("\n  (a task gets its input as JSON on stdin and answers JSON on stdout)");
    true
}

/// jq programs of `baton run` and `baton server` run in worker processes of this very
/// executable (`baton __jq-worker`), so no program can take the process down or keep it
/// busy; there is no in-process fallback.
pub fn jq_sandbox() -> anyhow::Result<JqSandbox> {
    let me = std::env::current_exe()
        .context("cannot find the baton executable to run the jq sandbox with")?;
    Ok(JqSandbox::baton_worker(me))
}

/// The folder a file is in (`.` for a bare file name).
pub fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The queues a definition's worker tasks go to (nested and inline sub-workflows too).
/// DYNAMIC tasks pick their queue at run time and are not listed.
pub fn queues_of(def: &WorkflowDef) -> Vec<String> {
    let mut out = Vec::new();
    let _: ControlFlow<Infallible> = def.visit(Reach::InlineChildren, &mut |v| {
        out.extend(v.task.kind.static_queue(&v.task.name).map(str::to_string));
        ControlFlow::Continue(())
    });
    if let Some(baton_model::FailureWorkflow::Inline { steps, .. }) = &def.failure_workflow {
        out.extend(steps.iter().cloned());
    }
    out.sort();
    out.dedup();
    out
}

/// `--input key=value` pairs over an optional `--input-file` object. A value that parses
/// as JSON (`3`, `true`, `{"a":1}`) keeps its type; anything else is text.
pub fn parse_input(pairs: &[String], file: Option<&Path>) -> anyhow::Result<Value> {
    let mut map = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read input file `{}`", path.display()))?;
            let yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
            let parsed: Result<Value, String> = if yaml {
                serde_saphyr::from_str(&text).map_err(|e| format!("is not YAML: {e}"))
            } else {
                serde_json::from_str(&text).map_err(|e| format!("is not JSON: {e}"))
            };
            match parsed {
                Ok(Value::Object(m)) => m,
                Ok(_) => bail!(
                    "input file `{}` must hold an object (a mapping of input names to values)",
                    path.display()
                ),
                Err(e) => bail!("input file `{}` {e}", path.display()),
            }
        }
        None => Map::new(),
    };
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            if pair.trim_start().starts_with('{') {
                bail!(
                    "--input `{pair}`: --input takes key=value; put a JSON object in a file and pass it with --input-file FILE.json (or .yaml)"
                );
            }
            bail!("--input `{pair}`: write it as key=value");
        };
        // `--input 'name = Ada'` means what `--input name=Ada` does.
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() {
            bail!("--input `{pair}`: the key is empty; write it as key=value");
        }
        let value = serde_json::from_str::<Value>(value)
            .unwrap_or_else(|_| Value::String(value.to_string()));
        map.insert(key.to_string(), value);
    }
    Ok(Value::Object(map))
}

/// Refuses input names a definition that declares its inputs does not declare (a
/// typo would otherwise leave the real input at its default), with "did you mean".
pub fn check_input_names(def: &WorkflowDef, input: &Value) -> Result<(), String> {
    if def.inputs.is_empty() {
        return Ok(());
    }
    let declared: Vec<&str> = def.inputs.iter().map(|i| i.name.as_str()).collect();
    let Some(given) = input.as_object() else {
        return Ok(());
    };
    for key in given.keys() {
        if declared.contains(&key.as_str()) {
            continue;
        }
        let hint = baton_model::validate::suggest::did_you_mean(key, declared.iter().copied())
            .map(|m| format!("did you mean `{m}`? "))
            .unwrap_or_default();
        return Err(format!(
            "workflow `{}` has no input `{key}`; {hint}it declares: {}",
            def.name,
            declared
                .iter()
                .map(|d| format!("`{d}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(())
}

/// Milliseconds since the epoch as RFC 3339 text.
pub fn time(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        // Always three digits of milliseconds, so times line up in columns.
        .map_or_else(
            || ms.to_string(),
            |t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        )
}

/// A duration in milliseconds as short text (`850ms`, `1.2s`, `3m04s`).
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// The wall clock in ms since the epoch (0 before 1970).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_pairs_keep_json_types() {
        let v = parse_input(
            &[
                "a=1".into(),
                "b=true".into(),
                "c=text".into(),
                "d={\"x\":[1]}".into(),
                "e=".into(),
            ],
            None,
        )
        .expect("parse");
        assert_eq!(
            v,
            serde_json::json!({"a": 1, "b": true, "c": "text", "d": {"x": [1]}, "e": ""})
        );
        assert!(parse_input(&["novalue".into()], None).is_err());
        assert!(parse_input(&["=x".into()], None).is_err());
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(1234), "1.2s");
        assert_eq!(duration(184_000), "3m04s");
    }
}
