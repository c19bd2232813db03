//! `baton server`: the HTTP API (Conductor-compatible + native) over the embedded store,
//! with local runners for the task types bound to one.

use super::local::{self, DEFAULT_DB};
use crate::exit::Code;
use baton_runtime::dispatch::serve;
use baton_server::ServerConfig;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// Arguments of `baton server`.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The SQLite database (created if missing).
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Runner bindings (YAML) for task types this server runs itself; other task types
    /// wait for remote workers polling the task API.
    #[arg(long, value_name = "FILE")]
    pub runners: Option<PathBuf>,
}

/// Serves until SIGINT or SIGTERM; in-flight requests finish first, nothing is lost.
pub async fn run(args: &ServerArgs) -> anyhow::Result<Code> {
    let runners = match local::runners(None, args.runners.as_deref(), &PathBuf::from(".")) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(Code::Usage);
        }
    };
    let engine = match local::open_engine(&args.db) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(Code::Usage);
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.bind).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.bind);
            engine.shutdown().await;
            return Ok(Code::Usage);
        }
    };
    let addr = listener.local_addr()?;
    eprintln!(
        "Baton listening on http://{addr} (database {})",
        args.db.display()
    );
    let cancel = CancellationToken::new();
    let dispatcher = tokio::spawn(serve(
        engine.handle(),
        runners,
        Vec::new(),
        local::dispatch_config(false),
        cancel.clone(),
    ));
    let config = ServerConfig {
        bind: addr,
        ..ServerConfig::default()
    };
    let result =
        baton_server::serve_with(listener, engine.handle(), config, shutdown_signal()).await;
    eprintln!("Shutting down: finishing in-flight requests and committing.");
    cancel.cancel();
    let _ = dispatcher.await;
    engine.shutdown().await;
    result?;
    Ok(Code::Ok)
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
