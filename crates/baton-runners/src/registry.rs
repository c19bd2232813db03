//! The routing table from queue names to runners.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, RunnerConfig};
use crate::http::HttpRunner;
use crate::inline::{InlineRunner, LambdaRunner};
use crate::jq::{JqRunner, JqSandbox};
use crate::task::{BoxFuture, Runner, TaskOutcome, TaskRequest};

/// Routing table: queue name → runner.
///
/// Lookup order for a queue `a.b` ([`Runners::get`]): an entry named exactly `a.b`, then an
/// entry for the agent prefix `a` (the part before the first `.`), then a built-in named
/// `a.b`. Entries added with [`Runners::insert`] or [`Runners::load_config`] therefore
/// override built-ins of the same name.
#[derive(Clone, Default)]
pub struct Runners {
    entries: BTreeMap<String, Arc<dyn Runner>>,
    builtins: BTreeMap<String, Arc<dyn Runner>>,
}

impl std::fmt::Debug for Runners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runners")
            .field("entries", &self.entries.keys().collect::<Vec<_>>())
            .field("builtins", &self.builtins.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Runners {
    /// An empty table (no built-ins).
    pub fn new() -> Self {
        Runners::default()
    }

    /// A table with the built-in runners: `HTTP`, `INLINE`, `LAMBDA`, `JSON_JQ_TRANSFORM`
    /// and `NOOP`, keyed by those queue names. jq runs in the library default sandbox
    /// ([`JqSandbox::from_env`]: in-thread unless `BATON_JQ_WORKER` names a worker).
    pub fn with_builtins() -> Self {
        Runners::with_builtins_jq(JqSandbox::from_env())
    }

    /// The built-in runners of [`Runners::with_builtins`], with jq run where `jq` says.
    /// Servers pass a [`JqSandbox::Process`]: it keeps runaway programs out of their
    /// process.
    pub fn with_builtins_jq(jq: JqSandbox) -> Self {
        let mut builtins: BTreeMap<String, Arc<dyn Runner>> = BTreeMap::new();
        builtins.insert("HTTP".to_owned(), Arc::new(HttpRunner::new()));
        builtins.insert("INLINE".to_owned(), Arc::new(InlineRunner::default()));
        builtins.insert("LAMBDA".to_owned(), Arc::new(LambdaRunner::default()));
        builtins.insert(
            "JSON_JQ_TRANSFORM".to_owned(),
            Arc::new(JqRunner::with_sandbox(crate::jq::DEFAULT_DEADLINE, jq)),
        );
        builtins.insert("NOOP".to_owned(), Arc::new(NoopRunner));
        Runners {
            entries: BTreeMap::new(),
            builtins,
        }
    }

    /// Binds `queue` (an exact queue name, or an agent prefix without `.`) to `runner`,
    /// replacing any previous entry of that name.
    pub fn insert(&mut self, queue: impl Into<String>, runner: Arc<dyn Runner>) {
        self.entries.insert(queue.into(), runner);
    }

    /// Binds `queue` to an in-process synchronous closure (see [`FnRunner`]).
    pub fn insert_fn(
        &mut self,
        queue: impl Into<String>,
        f: impl Fn(&TaskRequest) -> TaskOutcome + Send + Sync + 'static,
    ) {
        self.insert(queue, Arc::new(FnRunner::new(f)));
    }

    /// Binds `queue` to an in-process asynchronous closure. The future runs as its own tokio
    /// task; a panic in it becomes a failed outcome. Cancellation drops the future and
    /// returns [`TaskOutcome::canceled`].
    pub fn insert_async_fn<F, Fut>(&mut self, queue: impl Into<String>, f: F)
    where
        F: Fn(TaskRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskOutcome> + Send + 'static,
    {
        self.insert(queue, Arc::new(AsyncFnRunner { f }));
    }

    /// The runner for `queue`, following the lookup order described on [`Runners`].
    pub fn get(&self, queue: &str) -> Option<Arc<dyn Runner>> {
        if let Some(r) = self.entries.get(queue) {
            return Some(Arc::clone(r));
        }
        if let Some((agent, _)) = queue.split_once('.')
            && let Some(r) = self.entries.get(agent)
        {
            return Some(Arc::clone(r));
        }
        self.builtins.get(queue).map(Arc::clone)
    }

    /// Whether some runner serves `queue` (see [`Runners::get`]).
    pub fn handles(&self, queue: &str) -> bool {
        self.get(queue).is_some()
    }

    /// The names of all entries and built-ins, sorted. A name without `.` also serves every
    /// queue `name.*` that has no entry of its own.
    pub fn queues(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .entries
            .keys()
            .chain(self.builtins.keys())
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Adds the runners of `cfg`, replacing entries of the same name. Relative paths in the
    /// config (`cwd`, and commands like `./agent.sh`) are resolved against `base_dir`
    /// (usually the folder holding the runner file).
    ///
    /// # Errors
    /// [`ConfigError`] when a runner cannot be built (e.g. an invalid HTTP method); nothing is
    /// added in that case.
    pub fn load_config(&mut self, cfg: &RunnerConfig, base_dir: &Path) -> Result<(), ConfigError> {
        let built = cfg.build_runners(base_dir)?;
        for (name, runner) in built {
            self.entries.insert(name, runner);
        }
        Ok(())
    }
}

/// The `NOOP` runner: completes at once with `{}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopRunner;

impl Runner for NoopRunner {
    fn run(&self, _req: TaskRequest, _cancel: CancellationToken) -> BoxFuture<TaskOutcome> {
        Box::pin(async { TaskOutcome::completed(Value::Object(Map::new())) })
    }
}

/// Type of the closure held by a [`FnRunner`].
type SyncFn = dyn Fn(&TaskRequest) -> TaskOutcome + Send + Sync;

/// An in-process runner backed by a synchronous closure (for embedding and benchmarks).
///
/// The closure runs on the calling task, so it should be quick; a panic in it becomes a failed
/// outcome (`runner panicked: ...`).
#[derive(Clone)]
pub struct FnRunner {
    f: Arc<SyncFn>,
}

impl std::fmt::Debug for FnRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnRunner")
    }
}

impl FnRunner {
    /// Wraps a closure.
    pub fn new(f: impl Fn(&TaskRequest) -> TaskOutcome + Send + Sync + 'static) -> Self {
        FnRunner { f: Arc::new(f) }
    }
}

impl Runner for FnRunner {
    fn run(&self, req: TaskRequest, cancel: CancellationToken) -> BoxFuture<TaskOutcome> {
        let f = Arc::clone(&self.f);
        Box::pin(async move {
            if cancel.is_cancelled() {
                return TaskOutcome::canceled();
            }
            match catch_unwind(AssertUnwindSafe(|| f(&req))) {
                Ok(outcome) => outcome,
                Err(payload) => TaskOutcome::failed(format!(
                    "runner panicked: {}",
                    panic_message(payload.as_ref())
                )),
            }
        })
    }
}

/// An in-process runner backed by an async closure.
struct AsyncFnRunner<F> {
    f: F,
}

impl<F, Fut> Runner for AsyncFnRunner<F>
where
    F: Fn(TaskRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = TaskOutcome> + Send + 'static,
{
    fn run(&self, req: TaskRequest, cancel: CancellationToken) -> BoxFuture<TaskOutcome> {
        let fut = (self.f)(req);
        Box::pin(async move {
            let handle = tokio::spawn(fut);
            let abort = handle.abort_handle();
            tokio::select! {
                joined = handle => match joined {
                    Ok(outcome) => outcome,
                    Err(e) if e.is_panic() => TaskOutcome::failed(format!(
                        "runner panicked: {}",
                        panic_message(e.into_panic().as_ref())
                    )),
                    Err(_) => TaskOutcome::canceled(),
                },
                () = cancel.cancelled() => {
                    abort.abort();
                    TaskOutcome::canceled()
                }
            }
        })
    }
}

/// The message of a panic payload, when it is a string.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}
