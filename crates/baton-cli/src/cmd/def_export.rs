//! `baton def export --format conductor FILE`

use super::{check_file, render_all};
use crate::exit::Code;
use std::path::PathBuf;

/// Export formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// Conductor `WorkflowDef` JSON.
    Conductor,
}

/// Arguments of `baton def export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The format to write.
    #[arg(long, value_enum, default_value = "conductor")]
    pub format: ExportFormat,
    /// The definition to export (any supported format).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Prints the definition in the requested format on stdout. An invalid definition is not
/// exported: its diagnostics go to stderr and the exit code is 1. Warnings go to stderr.
pub fn run(args: &ExportArgs) -> anyhow::Result<Code> {
    let checked = check_file(&args.file)?;
    render_all(&args.file, &checked);
    let Some(loaded) = checked.loaded.as_ref().filter(|_| checked.errors() == 0) else {
        crate::errln!("invalid: {} (not exported)", args.file.display());
        return Ok(Code::Invalid);
    };
    match args.format {
        ExportFormat::Conductor => {
            crate::outln!("{}", baton_model::conductor::to_json_string(&loaded.def))
        }
    }
    Ok(Code::Ok)
}
