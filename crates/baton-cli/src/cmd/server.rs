//! `baton server`: the HTTP API (Conductor-compatible + native) over the embedded store,
//! with local runners for the task types bound to one.

use super::credentials;
use super::local::{self, DEFAULT_DB};
use crate::exit::Code;
use baton_core::Principal;
use baton_model::Role;
use baton_runtime::Engine;
use baton_runtime::dispatch::serve;
use baton_server::{AuthMode, ServerConfig};
use clap::Args;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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
    /// Serve without tokens: anyone who can reach the address may do anything (L0).
    /// For local experiments only.
    #[arg(long)]
    pub insecure_no_auth: bool,
}

/// Serves until SIGINT or SIGTERM; in-flight requests finish first, nothing is lost.
pub async fn run(args: &ServerArgs) -> anyhow::Result<Code> {
    let runners = match local::runners(None, args.runners.as_deref(), &PathBuf::from(".")) {
        Ok(r) => r,
        Err(e) => {
            crate::errln!("error: {e:#}");
            return Ok(Code::Usage);
        }
    };
    // Count from the first batch on (the engine recovers leases before it serves).
    baton_server::metrics::install();
    let engine = match local::open_engine(&args.db) {
        Ok(e) => e,
        Err(e) => {
            crate::errln!("error: {e:#}");
            return Ok(Code::Usage);
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.bind).await {
        Ok(l) => l,
        Err(e) => {
            crate::errln!("error: cannot listen on {}: {e}", args.bind);
            engine.shutdown().await;
            return Ok(Code::Usage);
        }
    };
    let addr = listener.local_addr()?;
    let auth = if args.insecure_no_auth {
        crate::errln!(
            "warning: --insecure-no-auth: anyone who can reach http://{addr} may do anything (as L0); use it for local experiments only"
        );
        AuthMode::Disabled(Principal::new("anonymous", Role::L0))
    } else {
        if let Err(e) = bootstrap(&engine, &args.db, addr).await {
            crate::errln!("error: {e:#}");
            engine.shutdown().await;
            return Ok(Code::Usage);
        }
        AuthMode::Required
    };
    crate::errln!(
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
        auth,
        ..ServerConfig::default()
    };
    let result =
        baton_server::serve_with(listener, engine.handle(), config, shutdown_signal()).await;
    crate::errln!("Shutting down: finishing in-flight requests and committing.");
    cancel.cancel();
    let _ = dispatcher.await;
    engine.shutdown().await;
    result?;
    Ok(Code::Ok)
}

/// The file beside the database that keeps the key `baton server` made on first start.
pub fn key_file(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push(".key");
    PathBuf::from(name)
}

/// The URLs a local CLI may use for a server bound to `addr`.
fn urls(addr: SocketAddr) -> Vec<String> {
    if addr.ip().is_loopback() || addr.ip().is_unspecified() {
        vec![
            format!("http://127.0.0.1:{}", addr.port()),
            format!("http://localhost:{}", addr.port()),
        ]
    } else {
        vec![format!("http://{addr}")]
    }
}

/// Secure by default, one command to start: with no usable key in the database, makes
/// an L0 key, prints it once, and keeps it where the local CLI finds it (`DB.key` and the
/// credentials file, both owner-only). With one, records the kept key for this address.
async fn bootstrap(engine: &Engine, db: &Path, addr: SocketAddr) -> anyhow::Result<()> {
    let reader = engine.handle().reader()?;
    let keys = tokio::task::block_in_place(|| reader.api_keys())?;
    let kept = key_file(db);
    let urls = urls(addr);
    if keys.iter().any(|k| k.revoked_at.is_none()) {
        // A later start (maybe on another port): the kept key still serves the CLI.
        if let Ok(token) = std::fs::read_to_string(&kept) {
            let token = token.trim();
            let valid = token.split_once(':').is_some_and(|(id, secret)| {
                keys.iter().any(|k| k.key_id == id && k.accepts(secret))
            });
            if valid {
                let _ = credentials::remember(&urls, token);
            }
        }
        return Ok(());
    }
    let req = baton_server::auth::NewKeyRequest {
        role: "L0".into(),
        domain: None,
        name: Some("admin".into()),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let (key, shown) = baton_server::auth::new_key(&req, now).map_err(anyhow::Error::msg)?;
    engine
        .handle()
        .with_tx(move |tx| tx.insert_api_key(&key))
        .await?;
    let token = format!("{}:{}", shown.key_id, shown.key_secret);
    credentials::write_private(&kept, &format!("{token}\n"))
        .map_err(|e| anyhow::anyhow!("cannot write the key file {}: {e}", kept.display()))?;
    let recorded = credentials::remember(&urls, &token);
    crate::errln!(
        "First start: created the L0 API key {} (\"admin\"). Its token, shown this once:",
        shown.key_id
    );
    crate::errln!("  {token}");
    crate::errln!(
        "Kept in {}{} (readable by you only): the baton CLI on this machine finds it for --server {}",
        kept.display(),
        match &recorded {
            Ok(p) => format!(" and {}", p.display()),
            Err(_) => String::new(),
        },
        urls[0]
    );
    crate::errln!(
        "More keys: baton token create --role L0|L1|L2|L3 [--domain NAME] --name LABEL --server {}",
        urls[0]
    );
    Ok(())
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
