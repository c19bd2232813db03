//! `baton validate [--strict] [--json] FILE...`

use super::{Checked, check_file, render_all};
use crate::exit::Code;
use serde_json::{Value, json};
use std::path::PathBuf;

/// Arguments of `baton validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Treat warnings (unknown fields, references to tasks that may not have run, ...) as errors.
    #[arg(long)]
    pub strict: bool,
    /// Print one JSON document with every file's diagnostics on stdout instead of text on stderr.
    #[arg(long)]
    pub json: bool,
    /// Definition files: Conductor JSON, native YAML (`workflow: {id, tasks}`) or stage
    /// YAML. A folder is searched for `.json`/`.yaml`/`.yml` files; runners files are
    /// checked as runners files, and other files that are not definitions (a policy, an
    /// input) are listed as skipped.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub files: Vec<PathBuf>,
}

/// Checks every file; exit 0 when all are valid, 1 when one has errors (with `--strict`,
/// warnings too), 2 when a file cannot be read.
pub fn run(args: &ValidateArgs) -> anyhow::Result<Code> {
    let mut code = Code::Ok;
    let mut reports: Vec<Value> = Vec::new();
    for (file, _walked) in expand(&args.files) {
        let file = &file;
        match kind_of(file) {
            Kind::Definition => {}
            Kind::Runners(result) => {
                let ok = result.is_ok();
                if !ok {
                    code = code.max(Code::Invalid);
                }
                if args.json {
                    reports.push(json!({"file": file.display().to_string(), "ok": ok, "kind": "runners", "error": result.as_ref().err().map(ToString::to_string)}));
                } else {
                    match &result {
                        Ok(n) => crate::outln!(
                            "ok: {} (runners file, {})",
                            file.display(),
                            plural(*n, "runner")
                        ),
                        Err(e) => {
                            crate::errln!("error: {}: {e}", file.display());
                            crate::outln!("invalid: {} (runners file)", file.display());
                        }
                    }
                }
                continue;
            }
            Kind::Other(what) => {
                if args.json {
                    reports.push(json!({"file": file.display().to_string(), "ok": true, "kind": "skipped", "reason": what}));
                } else {
                    crate::outln!("skipped: {} ({what})", file.display());
                }
                continue;
            }
        }
        let checked = match check_file(file) {
            Ok(checked) => checked,
            Err(error) => {
                code = code.max(Code::Usage);
                if args.json {
                    reports.push(json!({"file": file.display().to_string(), "ok": false, "io_error": format!("{error:#}")}));
                } else {
                    crate::errln!("error: {error:#}");
                }
                continue;
            }
        };
        let ok = passes(&checked, args.strict);
        if !ok {
            code = code.max(Code::Invalid);
        }
        if args.json {
            reports.push(report(file, &checked, ok));
        } else {
            render_all(file, &checked);
            crate::outln!("{}", summary(file, &checked, ok));
        }
    }
    if args.json {
        let document = json!({"ok": code == Code::Ok, "files": reports});
        crate::outln!("{}", serde_json::to_string_pretty(&document)?);
    }
    Ok(code)
}

fn passes(checked: &Checked, strict: bool) -> bool {
    checked.loaded.is_some() && checked.errors() == 0 && !(strict && checked.warnings() > 0)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `ok: FILE (N warnings)` or `invalid: FILE (N errors, M warnings)`.
fn summary(file: &std::path::Path, checked: &Checked, ok: bool) -> String {
    let warnings = plural(checked.warnings(), "warning");
    if ok {
        format!("ok: {} ({warnings})", file.display())
    } else {
        format!(
            "invalid: {} ({}, {warnings})",
            file.display(),
            plural(checked.errors(), "error")
        )
    }
}

fn report(file: &std::path::Path, checked: &Checked, ok: bool) -> Value {
    let def = checked.loaded.as_ref().map(|l| &l.def);
    json!({
        "file": file.display().to_string(),
        "ok": ok,
        "name": def.map(|d| d.name.clone()),
        "version": def.map(|d| d.version),
        "format": def.map(|d| d.format),
        "errors": checked.errors(),
        "warnings": checked.warnings(),
        "diagnostics": checked.diagnostics,
    })
}

/// The files to check: each argument, with folders searched (recursively, in name
/// order) for `.json`, `.yaml` and `.yml` files; `true` for files found in a folder.
fn expand(args: &[PathBuf]) -> Vec<(PathBuf, bool)> {
    let mut out = Vec::new();
    for a in args {
        if a.is_dir() {
            walk(a, &mut out);
        } else {
            out.push((a.clone(), false));
        }
    }
    out
}

fn walk(dir: &std::path::Path, out: &mut Vec<(PathBuf, bool)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        out.push((dir.to_path_buf(), false));
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let hidden = p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
        {
            out.push((p, true));
        }
    }
}

/// What a file is.
enum Kind {
    /// A workflow definition (or something that fails to parse: the definition
    /// reader then says where).
    Definition,
    /// A runners file: its runner count, or what is wrong.
    Runners(Result<usize, baton_runners::ConfigError>),
    /// Something else (a policy, an input file), with why it is not a definition.
    Other(String),
}

fn kind_of(file: &std::path::Path) -> Kind {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Kind::Definition;
    };
    let Ok(value) = serde_saphyr::from_str::<Value>(&text) else {
        return Kind::Definition;
    };
    let Some(map) = value.as_object() else {
        return Kind::Other("not a mapping, so not a definition".to_string());
    };
    if map.contains_key("runners") && !map.contains_key("workflow") && !map.contains_key("tasks") {
        return Kind::Runners(
            baton_runners::RunnerConfig::from_json(&value).map(|c| c.runners.len()),
        );
    }
    let definition_keys = ["workflow", "tasks", "stages", "schemaVersion"];
    if definition_keys.iter().any(|k| map.contains_key(*k)) {
        return Kind::Definition;
    }
    Kind::Other("not a workflow definition: no `workflow:`, `tasks` or `stages`".to_string())
}
