//! `baton-bench`: measures Baton's engine on fixed workloads (see `BENCHMARKS.md`).

/// mimalloc: the engine allocates many small, short-lived values per step.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match baton_bench::cli::main().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baton-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
