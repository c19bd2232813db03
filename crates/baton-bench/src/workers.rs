//! Who runs the steps: in-process runners, or worker processes over the HTTP API.

use crate::defs;
use baton_runners::{Runners, TaskOutcome};
use baton_runtime::EngineHandle;
use baton_runtime::dispatch::{DispatchConfig, serve};
use clap::ValueEnum;
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Where the benchmark's steps run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// In-process Rust closures driven by `baton_runtime::dispatch::serve`.
    Embedded,
    /// Separate worker processes polling the Conductor task API of an in-process server.
    Http,
}

impl Mode {
    /// The name used in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Embedded => "embedded",
            Mode::Http => "http",
        }
    }
}

/// The benchmark steps as local runners, one per benchmark queue, beside Baton's
/// built-in runners (W5 `--inline` uses INLINE). A step whose input is wrong fails
/// terminally, which fails its workflow and so the run.
pub fn runners() -> Runners {
    let mut r = Runners::with_builtins();
    for queue in defs::QUEUES {
        r.insert_fn(queue, move |req| match defs::work(queue, &req.input) {
            Ok(output) => TaskOutcome::completed(output),
            Err(reason) => TaskOutcome::terminal(reason),
        });
    }
    r
}

/// Running workers; [`Workers::stop`] ends them.
pub struct Workers {
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    #[cfg(feature = "http")]
    http: Option<crate::http::HttpWorkers>,
}

impl Workers {
    /// Starts the workers of `mode` for `engine`. `concurrency` is the most steps in flight
    /// at once (embedded: the dispatcher's limit; http: spread over the worker's pollers).
    pub async fn start(
        mode: Mode,
        engine: &EngineHandle,
        concurrency: usize,
    ) -> anyhow::Result<Workers> {
        let cancel = CancellationToken::new();
        match mode {
            Mode::Embedded => {
                let config = DispatchConfig {
                    concurrency,
                    batch: concurrency.clamp(1, 256),
                    ..DispatchConfig::default()
                };
                let queues = defs::QUEUES.iter().map(|q| q.to_string()).collect();
                let task = tokio::spawn(serve(
                    engine.clone(),
                    Arc::new(runners()),
                    queues,
                    config,
                    cancel.clone(),
                ));
                Ok(Workers {
                    cancel,
                    tasks: vec![task],
                    #[cfg(feature = "http")]
                    http: None,
                })
            }
            #[cfg(not(feature = "http"))]
            Mode::Http => anyhow::bail!("this baton-bench was built without the `http` feature"),
            #[cfg(feature = "http")]
            Mode::Http => {
                let http = crate::http::HttpWorkers::start(engine, concurrency, &cancel).await?;
                Ok(Workers {
                    cancel,
                    tasks: Vec::new(),
                    http: Some(http),
                })
            }
        }
    }

    /// Fires when the workers die on their own (a crashed worker process); never for
    /// embedded workers.
    pub fn died(&self) -> CancellationToken {
        #[cfg(feature = "http")]
        if let Some(http) = &self.http {
            return http.died();
        }
        CancellationToken::new()
    }

    /// Stops the workers (and the HTTP server) and waits for them.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.cancel.cancel();
        for t in self.tasks {
            t.await?;
        }
        #[cfg(feature = "http")]
        if let Some(http) = self.http {
            http.stop().await?;
        }
        Ok(())
    }
}
