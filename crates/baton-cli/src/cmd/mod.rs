//! One module per `baton` command, plus what they share.

pub mod agent;
pub mod credentials;
pub mod def_export;
pub mod follow;
pub mod local;
pub mod logs;
pub mod look;
pub mod ops;
pub mod people;
pub mod resume;
pub mod run;
pub mod server;
pub mod socket;
pub mod status;
pub mod target;
pub mod template;
pub mod token;
pub mod top;
pub mod validate;
pub mod workset;

use anyhow::Context as _;
use baton_model::{Diagnostic, Loaded};
use std::path::Path;

/// A definition file read from disk and compiled, with all its diagnostics.
pub struct Checked {
    /// The file's text (for rendering diagnostics with their source lines).
    pub text: String,
    /// The compiled definition, when the front-end could read it.
    pub loaded: Option<Loaded>,
    /// Front-end findings followed by the model checks' findings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Reads `path`, compiles it with [`baton_model::load`] and runs
/// [`baton_model::validate::validate`] on the result.
///
/// # Errors
/// When the file cannot be read (I/O, not UTF-8).
pub fn check_file(path: &Path) -> anyhow::Result<Checked> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    Ok(match baton_model::load(&text) {
        Ok(loaded) => {
            let mut diagnostics = loaded.diagnostics.clone();
            diagnostics.extend(baton_model::validate::validate(
                &loaded.def,
                &loaded.sources,
            ));
            Checked {
                text,
                loaded: Some(loaded),
                diagnostics,
            }
        }
        Err(diagnostics) => Checked {
            text,
            loaded: None,
            diagnostics,
        },
    })
}

/// Writes every diagnostic, rendered with its source line, to stderr.
pub fn render_all(file: &Path, checked: &Checked) {
    let name = file.display().to_string();
    for diagnostic in &checked.diagnostics {
        crate::errln!("{}", diagnostic.render(&name, &checked.text));
    }
}
