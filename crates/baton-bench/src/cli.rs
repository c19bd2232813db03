//! The command line: `baton-bench W1|W2|W3|W4|all|smoke|validate [options]`.

use crate::report::Report;
use crate::run::{Plan, Workload, run};
use crate::sys::Machine;
use crate::workers::Mode;
use anyhow::bail;
use clap::{Parser, ValueEnum};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// Chain: N workflows × 10 sequential steps, all started at once (default N 1,000).
    W1,
    /// Fan-out: N workflows of FORK_JOIN_DYNAMIC × F steps, JOIN, sum (default 20 × 100).
    W2,
    /// Latency: N chains started one after the other (default 200).
    W3,
    /// Scale: W1 with 100,000 workflows.
    W4,
    /// Long loop: N workflows (default 1) of one DO_WHILE of --steps iterations.
    W5,
    /// W1 to W5.
    All,
    /// Every workload at a tiny size, checked, in both modes unless --workers says one.
    Smoke,
    /// Loading and validating definitions of 1,000 and 10,000 tasks (`--n` for one size).
    Validate,
    /// The engine's hot path one command at a time, the same work on every run: N
    /// chains (default 100) with one caller; for instruction counts under callgrind
    /// (`scripts/hotpath-instructions.sh`), not for throughput.
    Hotpath,
    /// Internal: the HTTP worker process the benchmark spawns.
    #[value(hide = true)]
    Worker,
}

/// Which workers to run the workloads with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorkersArg {
    /// In-process Rust closures.
    Embedded,
    /// A separate worker process over the Conductor HTTP task API.
    Http,
    /// Each workload twice, embedded then http.
    Both,
}

/// Baton's benchmark: runs workloads against a durable SQLite store (WAL,
/// synchronous=FULL), checks every result, prints a table and optionally writes JSON.
#[derive(Debug, Parser)]
#[command(name = "baton-bench", version)]
pub struct Cli {
    /// Workload to run.
    #[arg(value_enum, ignore_case = true)]
    pub target: Target,
    /// Where the steps run (default: embedded; smoke: both).
    #[arg(long, value_enum, ignore_case = true)]
    pub workers: Option<WorkersArg>,
    /// Database file to create (must not exist). With several runs, `-<workload>-<mode>`
    /// is added to its name. Default: a temporary directory (mind that a tmpfs makes
    /// fsync free).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Number of workflows (default per workload).
    #[arg(long)]
    pub n: Option<usize>,
    /// Steps per chain (W1, W3, W4).
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    /// W5 only: the loop's body is a built-in INLINE JavaScript task (`$.i + 1`), run by
    /// Baton's own INLINE runner, instead of a SIMPLE step (embedded workers only).
    #[arg(long)]
    pub inline: bool,
    /// Parallel branches per fan-out (W2; smoke: 10).
    #[arg(long)]
    pub fan: Option<usize>,
    /// Most steps in flight at once (the local dispatcher's default is 64).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Fail a run that takes longer than this many seconds (default: by size).
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Record metrics into the Prometheus recorder `baton server` uses (HTTP runs
    /// always do: the in-process server installs it), to measure what recording costs
    /// the engine thread.
    #[arg(long)]
    pub metrics: bool,
    /// Worker process only: the server's base URL.
    #[arg(long, hide = true)]
    pub url: Option<String>,
}

/// Parses the command line and runs it.
pub async fn main() -> anyhow::Result<()> {
    execute(Cli::parse()).await
}

/// Runs a parsed command line.
pub async fn execute(cli: Cli) -> anyhow::Result<()> {
    if cli.target == Target::Worker {
        let Some(url) = cli.url.as_deref() else {
            bail!("the worker needs --url");
        };
        #[cfg(feature = "http")]
        return crate::worker::run(url, cli.concurrency).await;
        #[cfg(not(feature = "http"))]
        bail!("this baton-bench was built without the `http` feature (worker {url})");
    }
    if cli.target == Target::Validate {
        let sizes = cli
            .n
            .map_or_else(|| crate::validation::SIZES.to_vec(), |n| vec![n]);
        crate::validation::run(&sizes)?;
        return Ok(());
    }
    if cli.target == Target::Hotpath {
        let n = cli.n.unwrap_or(100);
        let r = crate::hotpath::run(n, cli.steps, cli.db.clone()).await?;
        println!(
            "hotpath  workflows {}  steps {}  wall {:.3} s (one command at a time; count instructions, not seconds)",
            r.workflows,
            r.steps,
            r.wall.as_secs_f64()
        );
        return Ok(());
    }
    if cli.metrics {
        #[cfg(feature = "http")]
        baton_server::metrics::install();
        #[cfg(not(feature = "http"))]
        bail!("--metrics needs the `http` feature (the recorder lives in baton-server)");
    }
    let plans = plans(&cli);
    let machine = Machine::read();
    let mut report = Report {
        machine,
        durability: "SQLite journal_mode=WAL, synchronous=FULL (Durability::Full, the default)"
            .to_string(),
        results: Vec::new(),
    };
    let mut failures = Vec::new();
    for plan in &plans {
        eprintln!(
            "running {} {} n={} ...",
            plan.workload.name(),
            plan.mode.name(),
            plan.n
        );
        match run(plan).await {
            Ok(r) => {
                eprintln!("  ok: {:.2} s, {:.0} steps/s", r.wall_s, r.steps_per_s);
                report.results.push(r);
            }
            Err(e) => {
                eprintln!("  FAILED: {e:#}");
                failures.push(format!("{e:#}"));
            }
        }
    }
    print!("{}", report.table());
    if cli.target == Target::Smoke {
        crate::validation::run(&[100])?;
    }
    if let Some(path) = &cli.json {
        report.write_json(path)?;
    }
    if !failures.is_empty() {
        bail!(
            "{} of {} runs failed:\n  {}",
            failures.len(),
            plans.len(),
            failures.join("\n  ")
        );
    }
    Ok(())
}

/// The runs a command line asks for.
pub fn plans(cli: &Cli) -> Vec<Plan> {
    let smoke = cli.target == Target::Smoke;
    let workloads: Vec<Workload> = match cli.target {
        Target::W1 => vec![Workload::W1],
        Target::W2 => vec![Workload::W2],
        Target::W3 => vec![Workload::W3],
        Target::W4 => vec![Workload::W4],
        Target::W5 => vec![Workload::W5],
        Target::All | Target::Smoke => Workload::ALL.to_vec(),
        Target::Worker | Target::Validate | Target::Hotpath => Vec::new(),
    };
    let modes = match cli.workers {
        Some(WorkersArg::Embedded) => vec![Mode::Embedded],
        Some(WorkersArg::Http) => vec![Mode::Http],
        Some(WorkersArg::Both) => vec![Mode::Embedded, Mode::Http],
        None if smoke => vec![Mode::Embedded, Mode::Http],
        None => vec![Mode::Embedded],
    };
    let several = workloads.len() * modes.len() > 1;
    let mut out = Vec::new();
    for &workload in &workloads {
        for &mode in &modes {
            let n = match (cli.n, smoke) {
                (Some(n), _) => n,
                (None, true) => workload.smoke_n(),
                (None, false) => workload.default_n(),
            };
            let db = cli.db.as_deref().map(|p| {
                if several {
                    suffixed(
                        p,
                        &format!("{}-{}", workload.name().to_lowercase(), mode.name()),
                    )
                } else {
                    p.to_path_buf()
                }
            });
            out.push(Plan {
                workload,
                mode,
                n,
                steps: cli.steps,
                inline: cli.inline,
                fan: cli.fan.unwrap_or(if smoke { 10 } else { 100 }),
                db,
                concurrency: cli.concurrency,
                timeout: cli
                    .timeout
                    .map(Duration::from_secs)
                    .or(smoke.then_some(Duration::from_secs(60))),
            });
        }
    }
    out
}

/// `dir/name.db` + `w1-http` → `dir/name-w1-http.db`.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bench".to_string());
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{suffix}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{suffix}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("baton-bench").chain(args.iter().copied()))
            .expect("parses")
    }

    #[test]
    fn smoke_runs_every_workload_tiny_in_both_modes() {
        let p = plans(&parse(&["smoke"]));
        assert_eq!(p.len(), 10);
        assert_eq!(p[0].n, 20);
        assert_eq!(p[2].workload, Workload::W2);
        assert_eq!((p[2].n, p[2].fan), (2, 10));
        assert_eq!(p[7].n, 200);
        assert_eq!(p[7].mode, Mode::Http);
        assert_eq!((p[9].workload, p[9].n), (Workload::W5, 1));
    }

    #[test]
    fn one_workload_with_options_and_db_names() {
        let p = plans(&parse(&["W1", "--n", "5", "--db", "/x/b.db"]));
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].n, p[0].mode), (5, Mode::Embedded));
        assert_eq!(p[0].db.as_deref(), Some(Path::new("/x/b.db")));
        let p = plans(&parse(&["all", "--workers", "both", "--db", "/x/b.db"]));
        assert_eq!(p.len(), 10);
        assert_eq!(p[1].db.as_deref(), Some(Path::new("/x/b-w1-http.db")));
        assert_eq!(p[6].n, 100_000);
        assert!(Cli::try_parse_from(["baton-bench", "W9"]).is_err());
    }
}
