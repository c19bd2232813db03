//! HTTP mode: the Conductor-compatible server in this process on 127.0.0.1:0, and a worker
//! process (this same binary, `worker` target) polling it.

use anyhow::{Context, anyhow};
use baton_runtime::EngineHandle;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::process::{ChildStdin, Command};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Environment variable naming the `baton-bench` executable to spawn as the worker
/// (default: the running executable).
pub const WORKER_EXE_ENV: &str = "BATON_BENCH_WORKER_EXE";

/// The in-process server and the worker process.
pub struct HttpWorkers {
    server: JoinHandle<Result<(), baton_server::ServerError>>,
    stop_server: CancellationToken,
    stdin: Option<ChildStdin>,
    /// Owns the child (killed on drop) and returns its exit status.
    waiter: JoinHandle<std::io::Result<ExitStatus>>,
    died: CancellationToken,
}

impl HttpWorkers {
    /// Serves the API for `engine` and starts the worker process. The server stops when
    /// `cancel` fires or [`HttpWorkers::stop`] is called.
    pub async fn start(
        engine: &EngineHandle,
        concurrency: usize,
        cancel: &CancellationToken,
    ) -> anyhow::Result<HttpWorkers> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot bind 127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop_server = cancel.child_token();
        let stop = stop_server.clone();
        let server = tokio::spawn(baton_server::serve(listener, engine.clone(), async move {
            stop.cancelled().await
        }));
        let exe = match std::env::var_os(WORKER_EXE_ENV) {
            Some(p) => PathBuf::from(p),
            None => std::env::current_exe().context("cannot find this executable")?,
        };
        let mut child = Command::new(&exe)
            .arg("worker")
            .arg("--url")
            .arg(format!("http://{addr}"))
            .arg("--concurrency")
            .arg(concurrency.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start the worker process {}", exe.display()))?;
        let stdin = child.stdin.take();
        let died = CancellationToken::new();
        let waiter = {
            let died = died.clone();
            tokio::spawn(async move {
                let status = child.wait().await;
                died.cancel();
                status
            })
        };
        Ok(HttpWorkers {
            server,
            stop_server,
            stdin,
            waiter,
            died,
        })
    }

    /// Fires when the worker process exits (before [`HttpWorkers::stop`], that is a failure).
    pub fn died(&self) -> CancellationToken {
        self.died.clone()
    }

    /// Stops the worker process (closing its standard input), then the server.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        drop(self.stdin.take());
        let abort = self.waiter.abort_handle();
        let status = match tokio::time::timeout(Duration::from_secs(5), self.waiter).await {
            Ok(joined) => Some(
                joined
                    .context("the worker waiter panicked")?
                    .context("waiting for the worker process")?,
            ),
            Err(_) => {
                // Dropping the child kills it.
                abort.abort();
                None
            }
        };
        self.stop_server.cancel();
        let served = tokio::time::timeout(Duration::from_secs(10), self.server)
            .await
            .map_err(|_| anyhow!("the server did not stop within 10 s"))?
            .context("the server task panicked")?;
        served.context("the server failed")?;
        match status {
            Some(s) if s.success() => Ok(()),
            Some(s) => Err(anyhow!("the worker process exited with {s}")),
            None => Err(anyhow!("the worker process did not stop within 5 s")),
        }
    }
}
