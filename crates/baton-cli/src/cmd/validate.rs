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
    /// Definition files: Conductor JSON, native YAML (`workflow: {id, tasks}`) or stage YAML.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Checks every file; exit 0 when all are valid, 1 when one has errors (with `--strict`,
/// warnings too), 2 when a file cannot be read.
pub fn run(args: &ValidateArgs) -> anyhow::Result<Code> {
    let mut code = Code::Ok;
    let mut reports: Vec<Value> = Vec::new();
    for file in &args.files {
        let checked = match check_file(file) {
            Ok(checked) => checked,
            Err(error) => {
                code = code.max(Code::Usage);
                if args.json {
                    reports.push(json!({"file": file.display().to_string(), "ok": false, "io_error": format!("{error:#}")}));
                } else {
                    eprintln!("error: {error:#}");
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
