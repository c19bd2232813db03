//! The HTTP worker process (`baton-bench worker --url URL`): what an official Conductor
//! SDK worker does, for the benchmark's queues.
//!
//! Per queue, a few pollers call `GET /api/tasks/poll/batch/{queue}?workerid=&count=&timeout=`,
//! run each task, and report it with `POST /api/tasks/update-v2`. When that answer carries
//! the next task of the same queue (Conductor's update-and-poll), it is run at once. The
//! process exits when its standard input closes (the benchmark closes it to stop it).

use crate::defs;
use anyhow::Context;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::task::JoinSet;

/// Pollers per queue.
const POLLERS: usize = 2;
/// Long-poll wait asked of the server, in milliseconds.
const POLL_TIMEOUT_MS: u64 = 500;

/// Serves the benchmark queues of the server at `url` until standard input closes.
/// `concurrency` is the most tasks one poll asks for, over all pollers of a queue.
pub async fn run(url: &str, concurrency: usize) -> anyhow::Result<()> {
    // Needed when reqwest is built with `rustls-no-provider` (feature unification); an
    // error only means a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
        .build()
        .context("cannot build the HTTP client")?;
    let base = url.trim_end_matches('/').to_string();
    let count = (concurrency / POLLERS).max(1);
    let worker_id = format!("baton-bench-{}", std::process::id());
    let mut pollers = JoinSet::new();
    for queue in defs::QUEUES {
        for k in 0..POLLERS {
            let poller = Poller {
                client: client.clone(),
                base: base.clone(),
                queue,
                worker_id: format!("{worker_id}-{k}"),
                count,
            };
            pollers.spawn(async move { poller.run().await });
        }
    }
    let mut stdin = tokio::io::stdin();
    let mut sink = Vec::new();
    tokio::select! {
        r = stdin.read_to_end(&mut sink) => { r.context("reading standard input")?; }
        Some(r) = pollers.join_next() => {
            r.context("a poller panicked")??;
        }
    }
    pollers.shutdown().await;
    Ok(())
}

struct Poller {
    client: reqwest::Client,
    base: String,
    queue: &'static str,
    worker_id: String,
    count: usize,
}

impl Poller {
    async fn run(&self) -> anyhow::Result<()> {
        let mut failures = 0u32;
        loop {
            match self.round().await {
                Ok(()) => failures = 0,
                Err(e) => {
                    failures += 1;
                    if failures >= 50 {
                        return Err(e.context(format!("poller of {} gives up", self.queue)));
                    }
                    eprintln!("baton-bench worker: {}: {e:#}; retrying", self.queue);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// One batch poll, and every task it (and the update answers) brought, run and reported.
    async fn round(&self) -> anyhow::Result<()> {
        let url = format!("{}/api/tasks/poll/batch/{}", self.base, self.queue);
        let res = self
            .client
            .get(&url)
            .query(&[
                ("workerid", self.worker_id.as_str()),
                ("count", &self.count.to_string()),
                ("timeout", &POLL_TIMEOUT_MS.to_string()),
            ])
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = res.status();
        if status == reqwest::StatusCode::NO_CONTENT {
            return Ok(());
        }
        let body = res.text().await?;
        anyhow::ensure!(status.is_success(), "GET {url}: {status}: {body}");
        let tasks: Vec<Value> = if body.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(&body).with_context(|| format!("GET {url}: not a task list"))?
        };
        let mut running = JoinSet::new();
        for task in tasks {
            let me = self.clone_light();
            running.spawn(async move { me.execute_chain(task).await });
        }
        while let Some(r) = running.join_next().await {
            r.context("a task runner panicked")??;
        }
        Ok(())
    }

    fn clone_light(&self) -> Poller {
        Poller {
            client: self.client.clone(),
            base: self.base.clone(),
            queue: self.queue,
            worker_id: self.worker_id.clone(),
            count: self.count,
        }
    }

    /// Runs `task`, reports it, and runs the next task the update answer hands back.
    async fn execute_chain(&self, mut task: Value) -> anyhow::Result<()> {
        loop {
            let result = task_result(self.queue, &self.worker_id, &task)?;
            let url = format!("{}/api/tasks/update-v2", self.base);
            let res = self
                .client
                .post(&url)
                .json(&result)
                .send()
                .await
                .with_context(|| format!("POST {url}"))?;
            let status = res.status();
            let body = res.text().await?;
            anyhow::ensure!(status.is_success(), "POST {url}: {status}: {body}");
            match next_task(&body) {
                Some(next) => task = next,
                None => return Ok(()),
            }
        }
    }
}

/// The `TaskResult` reporting `task` (a Conductor `Task` object) done by the benchmark
/// step of `queue`; a step that refuses its input reports FAILED_WITH_TERMINAL_ERROR.
pub fn task_result(queue: &str, worker_id: &str, task: &Value) -> anyhow::Result<Value> {
    let task_id = task
        .get("taskId")
        .and_then(Value::as_str)
        .context("a polled task has no taskId")?;
    let workflow_id = task
        .get("workflowInstanceId")
        .cloned()
        .unwrap_or(Value::Null);
    let input = task.get("inputData").cloned().unwrap_or(Value::Null);
    Ok(match defs::work(queue, &input) {
        Ok(output) => json!({
            "workflowInstanceId": workflow_id, "taskId": task_id, "workerId": worker_id,
            "status": "COMPLETED", "outputData": output
        }),
        Err(reason) => json!({
            "workflowInstanceId": workflow_id, "taskId": task_id, "workerId": worker_id,
            "status": "FAILED_WITH_TERMINAL_ERROR", "reasonForIncompletion": reason
        }),
    })
}

/// The next task an update-v2 answer hands back, if any (an empty body or one without a
/// `taskId` means none).
pub fn next_task(body: &str) -> Option<Value> {
    let v: Value = serde_json::from_str(body).ok()?;
    v.get("taskId").and_then(Value::as_str)?;
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_task_results_and_reads_update_answers() {
        let task = json!({"taskId": "w-t1", "workflowInstanceId": "w", "inputData": {"i": 1}});
        let r = task_result(defs::STEP, "me", &task).expect("result");
        assert_eq!(r["status"], "COMPLETED");
        assert_eq!(r["outputData"], json!({"i": 2}));
        assert_eq!(r["workflowInstanceId"], "w");
        let bad = json!({"taskId": "w-t2", "inputData": {}});
        let r = task_result(defs::STEP, "me", &bad).expect("result");
        assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR");
        assert!(task_result(defs::STEP, "me", &json!({})).is_err());
        assert_eq!(next_task(""), None);
        assert_eq!(next_task("{}"), None);
        assert_eq!(next_task("\"w-t1\""), None);
        assert_eq!(
            next_task(r#"{"taskId": "x"}"#),
            Some(json!({"taskId": "x"}))
        );
    }
}
