//! `baton template list` / `baton template new NAME DIR`: the template library
//! (`examples/templates/`), embedded in the binary so it works outside the source tree.

use crate::exit::Code;
use clap::{Args, Subcommand};
use include_dir::{Dir, include_dir};
use std::path::{Path, PathBuf};

/// Every template: a folder with a workflow, its runners file and agents.
static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../examples/templates");

/// `baton template` subcommands.
#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// List the templates, each with what it does.
    List,
    /// Copy a template (workflow, runners file, agents, sample data) into a new folder.
    New(NewArgs),
}

/// Arguments of `baton template new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The template's name (see `baton template list`).
    pub name: String,
    /// The folder to create (it must not exist, or be empty).
    pub dir: PathBuf,
}

/// Runs a `baton template` subcommand.
pub fn run(command: &TemplateCommand) -> anyhow::Result<Code> {
    match command {
        TemplateCommand::List => {
            for t in templates() {
                crate::outln!("{:<26} {}", t.path().display(), summary(t));
            }
            Ok(Code::Ok)
        }
        TemplateCommand::New(args) => new(args),
    }
}

/// The templates, by name.
fn templates() -> Vec<&'static Dir<'static>> {
    let mut all: Vec<&Dir<'_>> = TEMPLATES.dirs().collect();
    all.sort_by_key(|d| d.path().to_path_buf());
    all
}

/// The workflow file of a template: the first `*.yaml`/`*.json` that is not a runners
/// file or data.
fn workflow_file(t: &Dir<'_>) -> Option<&'static include_dir::File<'static>> {
    let mut files: Vec<_> = TEMPLATES
        .get_dir(t.path())?
        .files()
        .filter(|f| {
            let name = f.path().file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("workflow.") || name.ends_with(".stages.yaml")
        })
        .collect();
    files.sort_by_key(|f| f.path().to_path_buf());
    files.first().copied()
}

/// The first comment line of a template's workflow file.
fn summary(t: &Dir<'_>) -> String {
    workflow_file(t)
        .and_then(|f| f.contents_utf8())
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("# ").map(str::trim).map(str::to_string))
        })
        .unwrap_or_default()
}

fn new(args: &NewArgs) -> anyhow::Result<Code> {
    let Some(t) = templates()
        .into_iter()
        .find(|t| t.path() == Path::new(&args.name))
    else {
        let names: Vec<String> = templates()
            .iter()
            .map(|t| t.path().display().to_string())
            .collect();
        crate::errln!(
            "error: no template `{}`; the templates are: {}",
            args.name,
            names.join(", ")
        );
        return Ok(Code::Usage);
    };
    if args.dir.exists()
        && std::fs::read_dir(&args.dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        crate::errln!(
            "error: `{}` exists and is not empty; give a new folder, nothing was written",
            args.dir.display()
        );
        return Ok(Code::Usage);
    }
    copy(t, t.path(), &args.dir)?;
    crate::outln!("created {} from template {}", args.dir.display(), args.name);
    if let Some(text) = workflow_file(t).and_then(|f| f.contents_utf8()) {
        let runs: Vec<&str> = text
            .lines()
            .filter_map(|l| {
                l.trim_start_matches('#')
                    .trim_start()
                    .strip_prefix("baton run ")
            })
            .collect();
        if let Some(first) = runs.first() {
            crate::outln!("run it:  cd {} && baton run {first}", args.dir.display());
        }
    }
    Ok(Code::Ok)
}

/// Copies `dir` (a folder of the library under `root`) into `to`, keeping modes of
/// agents executable.
fn copy(dir: &Dir<'_>, root: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for f in dir.files() {
        let rel = f.path().strip_prefix(root).unwrap_or(f.path());
        let dest = to.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&dest, f.contents())?;
        #[cfg(unix)]
        if matches!(dest.extension().and_then(|e| e.to_str()), Some("py" | "sh")) {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    for d in dir.dirs() {
        copy(d, root, to)?;
    }
    Ok(())
}
