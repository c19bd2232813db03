//! A small client of a Baton (or Conductor) server's API: the requests, in Conductor's
//! JSON shapes. [`crate::HttpControl`] turns its answers into the typed views.
//!
//! Every failure is a [`ControlError`]: a server's error status keeps its status and the
//! server's message (with field-level problems, when it sent them).

use super::wire::{ErrorBody, SearchResult, WireSummary};
use crate::{ControlError, ErrorKind, ListFilter};
use baton_model::{TaskDef, WorkflowDef};
use reqwest::{Method, RequestBuilder, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

/// The Conductor search query for `filter`.
pub fn search_query(filter: &ListFilter) -> String {
    let mut parts = Vec::new();
    if let Some(n) = &filter.name {
        parts.push(format!("workflowType = \"{n}\""));
    }
    if !filter.statuses.is_empty() {
        let s: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        parts.push(format!("status IN ({})", s.join(",")));
    }
    if let Some(c) = &filter.correlation_id {
        parts.push(format!("correlationId = \"{c}\""));
    }
    parts.join(" AND ")
}

/// A client of one Baton (or Conductor) server.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    /// The Unix socket every request goes over ([`Client::unix`]), named in errors.
    socket: Option<std::path::PathBuf>,
    /// Sent as `X-Authorization` with every request ([`Client::with_token`]).
    token: Option<String>,
}

impl Client {
    /// A client of the server at `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base_url: &str) -> Result<Client, ControlError> {
        let bad = |message: String| {
            ControlError::new(
                ErrorKind::InvalidInput,
                format!("invalid server URL `{base_url}`: {message}"),
            )
        };
        let mut base = Url::parse(base_url).map_err(|e| bad(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad("use an http:// or https:// URL".to_string()));
        }
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let http = builder()
            .build()
            .map_err(|e| bad(format!("cannot build an HTTP client: {e}")))?;
        Ok(Client {
            http,
            base,
            socket: None,
            token: None,
        })
    }

    /// A client of the server listening on the Unix socket at `socket` (a local
    /// `baton run` serves its API on one beside its database). Requests are plain HTTP
    /// over that socket; who may connect is decided by the socket file's permissions.
    #[cfg(unix)]
    pub fn unix(socket: &std::path::Path) -> Result<Client, ControlError> {
        let http = builder().unix_socket(socket).build().map_err(|e| {
            ControlError::new(
                ErrorKind::Internal,
                format!(
                    "cannot build an HTTP client for the socket {}: {e}",
                    socket.display()
                ),
            )
        })?;
        // The host is never resolved: every connection goes to the socket.
        let base = Url::parse("http://localhost/").map_err(|e| {
            ControlError::new(ErrorKind::Internal, format!("the socket's base URL: {e}"))
        })?;
        Ok(Client {
            http,
            base,
            socket: Some(socket.to_path_buf()),
            token: None,
        })
    }

    /// This client, sending `token` (`KEY_ID:KEY_SECRET`) as `X-Authorization`.
    pub fn with_token(mut self, token: Option<String>) -> Client {
        self.token = token.filter(|t| !t.trim().is_empty());
        self
    }

    /// The Unix socket this client talks over, if it was made by [`Client::unix`].
    pub fn socket(&self) -> Option<&std::path::Path> {
        self.socket.as_deref()
    }

    fn url(&self, path: &str) -> Result<Url, ControlError> {
        self.base.join(path.trim_start_matches('/')).map_err(|e| {
            ControlError::new(
                ErrorKind::InvalidInput,
                format!("invalid path `{path}`: {e}"),
            )
        })
    }

    fn request(
        &self,
        method: Method,
        path: &str,
    ) -> Result<(RequestBuilder, String), ControlError> {
        let url = self.url(path)?;
        let shown = match &self.socket {
            Some(socket) => format!("{url} (over the socket {})", socket.display()),
            None => url.to_string(),
        };
        let req = self.http.request(method, url);
        let req = match &self.token {
            Some(t) => req.header("X-Authorization", t),
            None => req,
        };
        Ok((req, shown))
    }

    async fn send(
        &self,
        req: RequestBuilder,
        url: &str,
    ) -> Result<reqwest::Response, ControlError> {
        let res = req.send().await.map_err(|source| {
            ControlError::new(
                ErrorKind::Transport,
                format!("cannot reach the server at {url}: {source}"),
            )
        })?;
        let status = res.status();
        if status.is_success() {
            return Ok(res);
        }
        let text = res.text().await.unwrap_or_default();
        let body: Option<ErrorBody> = serde_json::from_str(&text).ok();
        let message = match &body {
            Some(b) => {
                let mut m = b.message.clone();
                for v in &b.validation_errors {
                    let at = match (v.line, v.column) {
                        (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
                        _ => String::new(),
                    };
                    m.push_str(&format!(
                        "\n  {}: {}{at}",
                        if v.path.is_empty() { "body" } else { &v.path },
                        v.message
                    ));
                }
                m
            }
            None if text.trim().is_empty() => {
                status.canonical_reason().unwrap_or("error").to_string()
            }
            None => text,
        };
        Err(ControlError::from_status(status.as_u16(), message))
    }

    async fn text(&self, req: RequestBuilder, url: &str) -> Result<String, ControlError> {
        let res = self.send(req, url).await?;
        res.text().await.map_err(|e| {
            ControlError::new(
                ErrorKind::Internal,
                format!("unexpected answer from {url}: {e}"),
            )
        })
    }

    async fn json<T: DeserializeOwned>(
        &self,
        req: RequestBuilder,
        url: &str,
    ) -> Result<T, ControlError> {
        let text = self.text(req, url).await?;
        serde_json::from_str(&text).map_err(|e| {
            ControlError::new(
                ErrorKind::Internal,
                format!("unexpected answer from {url}: {e}"),
            )
        })
    }

    async fn empty(&self, method: Method, path: &str) -> Result<(), ControlError> {
        let (req, url) = self.request(method, path)?;
        self.send(req, &url).await.map(drop)
    }

    /// Registers (or replaces) a workflow definition.
    pub async fn register_workflow_def(&self, def: &WorkflowDef) -> Result<(), ControlError> {
        self.register_workflow_json(&baton_model::conductor::export(def))
            .await
    }

    /// Registers (or replaces) a workflow definition given as Conductor JSON.
    pub async fn register_workflow_json(&self, def: &Value) -> Result<(), ControlError> {
        let (req, url) = self.request(Method::POST, "api/metadata/workflow")?;
        self.send(req.json(def), &url).await.map(drop)
    }

    /// Registers (or replaces) task definitions.
    pub async fn register_task_defs(&self, defs: &[TaskDef]) -> Result<(), ControlError> {
        let body: Vec<Value> = defs
            .iter()
            .map(baton_model::conductor::task_def_to_json)
            .collect();
        let (req, url) = self.request(Method::POST, "api/metadata/taskdefs")?;
        self.send(req.json(&body), &url).await.map(drop)
    }

    /// Starts a registered workflow; answers its id.
    pub async fn start(
        &self,
        name: &str,
        version: Option<u32>,
        input: Value,
        correlation_id: Option<&str>,
    ) -> Result<String, ControlError> {
        let body = serde_json::json!({"name": name, "version": version, "input": input, "correlationId": correlation_id});
        let (req, url) = self.request(Method::POST, "api/workflow")?;
        Ok(self.text(req.json(&body), &url).await?.trim().to_string())
    }

    /// A workflow as Conductor Workflow JSON (`includeTasks`), with its definition.
    pub async fn workflow(&self, id: &str, include_tasks: bool) -> Result<Value, ControlError> {
        let (req, url) = self.request(Method::GET, &format!("api/workflow/{}", encode(id)))?;
        self.json(req.query(&[("includeTasks", include_tasks)]), &url)
            .await
    }

    /// Workflows matching `filter`, newest first.
    pub async fn list(&self, filter: &ListFilter) -> Result<Vec<WireSummary>, ControlError> {
        let (req, url) = self.request(Method::GET, "api/workflow/search")?;
        let size = if filter.size == 0 { 100 } else { filter.size };
        let req = req.query(&[
            ("query", search_query(filter)),
            ("start", filter.start.to_string()),
            ("size", size.to_string()),
        ]);
        let page: SearchResult = self.json(req, &url).await?;
        Ok(page.results)
    }

    /// A workflow's history (the audit trail), oldest first.
    pub async fn history(&self, id: &str) -> Result<Vec<crate::HistoryItem>, ControlError> {
        let (req, url) = self.request(
            Method::GET,
            &format!("api/v1/workflows/{}/history", encode(id)),
        )?;
        self.json(req, &url).await
    }

    /// Pauses a workflow.
    pub async fn pause(&self, id: &str) -> Result<(), ControlError> {
        self.empty(Method::PUT, &format!("api/workflow/{}/pause", encode(id)))
            .await
    }

    /// Resumes a paused workflow.
    pub async fn resume(&self, id: &str) -> Result<(), ControlError> {
        self.empty(Method::PUT, &format!("api/workflow/{}/resume", encode(id)))
            .await
    }

    /// Terminates a workflow.
    pub async fn terminate(&self, id: &str, reason: &str) -> Result<(), ControlError> {
        let (req, url) = self.request(Method::DELETE, &format!("api/workflow/{}", encode(id)))?;
        self.send(req.query(&[("reason", reason)]), &url)
            .await
            .map(drop)
    }

    /// Runs an ended workflow again from the start.
    pub async fn restart(&self, id: &str) -> Result<(), ControlError> {
        self.empty(
            Method::POST,
            &format!("api/workflow/{}/restart", encode(id)),
        )
        .await
    }

    /// Retries the failed tasks of a failed workflow.
    pub async fn retry(&self, id: &str) -> Result<(), ControlError> {
        self.empty(Method::POST, &format!("api/workflow/{}/retry", encode(id)))
            .await
    }

    /// Runs an ended workflow again from the start (`from_task_id` = `None`, with
    /// `workflow_input` as its new input when given) or from one task attempt.
    pub async fn rerun(
        &self,
        id: &str,
        from_task_id: Option<&str>,
        workflow_input: Option<Value>,
        task_input: Option<Value>,
    ) -> Result<String, ControlError> {
        let body = serde_json::json!({
            "reRunFromWorkflowId": id,
            "reRunFromTaskId": from_task_id,
            "workflowInput": workflow_input,
            "taskInput": task_input,
        });
        let (req, url) =
            self.request(Method::POST, &format!("api/workflow/{}/rerun", encode(id)))?;
        Ok(self.text(req.json(&body), &url).await?.trim().to_string())
    }

    /// Skips a task of a running workflow.
    pub async fn skip_task(&self, id: &str, ref_name: &str) -> Result<(), ControlError> {
        self.empty(
            Method::PUT,
            &format!("api/workflow/{}/skiptask/{}", encode(id), encode(ref_name)),
        )
        .await
    }

    /// Deletes a workflow with its history.
    pub async fn remove(&self, id: &str) -> Result<(), ControlError> {
        self.empty(
            Method::DELETE,
            &format!("api/workflow/{}/remove", encode(id)),
        )
        .await
    }

    /// Creates an API key (`POST /api/v1/tokens`, L0): the answer shows its secret once.
    pub async fn create_key(
        &self,
        role: &str,
        domain: Option<&str>,
        name: Option<&str>,
    ) -> Result<Value, ControlError> {
        let body = serde_json::json!({"role": role, "domain": domain, "name": name});
        let (req, url) = self.request(Method::POST, "api/v1/tokens")?;
        self.json(req.json(&body), &url).await
    }

    /// Every API key, without secrets (`GET /api/v1/tokens`, L0).
    pub async fn list_keys(&self) -> Result<Value, ControlError> {
        let (req, url) = self.request(Method::GET, "api/v1/tokens")?;
        self.json(req, &url).await
    }

    /// Revokes an API key (`DELETE /api/v1/tokens/{keyId}`, L0).
    pub async fn revoke_key(&self, key_id: &str) -> Result<(), ControlError> {
        self.empty(Method::DELETE, &format!("api/v1/tokens/{}", encode(key_id)))
            .await
    }

    /// Starts a workflow from a full start request (Conductor's `StartWorkflowRequest`
    /// with Baton's `mode`, `breakpoints` and `domain`); answers its id.
    pub async fn start_request(&self, req: &crate::StartRequest) -> Result<String, ControlError> {
        let body = serde_json::json!({
            "name": req.name,
            "version": req.version,
            "input": req.input,
            "correlationId": req.correlation_id,
            "mode": req.mode,
            "breakpoints": req.breakpoints,
            "domain": req.domain,
        });
        let (req, url) = self.request(Method::POST, "api/workflow")?;
        Ok(self.text(req.json(&body), &url).await?.trim().to_string())
    }

    /// What waits for a decision (HUMAN tasks and gates), of one workflow or all.
    pub async fn approvals(
        &self,
        workflow_id: Option<&str>,
    ) -> Result<Vec<crate::ApprovalView>, ControlError> {
        let (req, url) = self.request(Method::GET, "api/v1/approvals")?;
        let req = match workflow_id {
            Some(id) => req.query(&[("workflowId", id)]),
            None => req,
        };
        self.json(req, &url).await
    }

    /// Approves or rejects the HUMAN task or gate `task_ref` of workflow `id`.
    pub async fn decide(
        &self,
        id: &str,
        task_ref: &str,
        approve: bool,
        comment: Option<&str>,
        output: Option<&Value>,
    ) -> Result<(), ControlError> {
        let body = serde_json::json!({
            "decision": if approve { "approve" } else { "reject" },
            "comment": comment,
            "output": output,
        });
        let (req, url) = self.request(
            Method::POST,
            &format!(
                "api/v1/workflows/{}/approvals/{}",
                encode(id),
                encode(task_ref)
            ),
        )?;
        self.send(req.json(&body), &url).await.map(drop)
    }

    /// Cancels the waiting task `task_ref` of workflow `id`.
    pub async fn cancel_task(
        &self,
        id: &str,
        task_ref: &str,
        reason: Option<&str>,
    ) -> Result<(), ControlError> {
        let (req, url) = self.request(
            Method::POST,
            &format!(
                "api/v1/workflows/{}/tasks/{}/cancel",
                encode(id),
                encode(task_ref)
            ),
        )?;
        self.send(req.json(&serde_json::json!({ "reason": reason })), &url)
            .await
            .map(drop)
    }

    /// Debug: runs one paused task (`task_ref`, or the first) and pauses again.
    pub async fn step(&self, id: &str, task_ref: Option<&str>) -> Result<(), ControlError> {
        let (req, url) = self.request(
            Method::POST,
            &format!("api/v1/workflows/{}/debug/step", encode(id)),
        )?;
        self.send(req.json(&serde_json::json!({ "taskRef": task_ref })), &url)
            .await
            .map(drop)
    }

    /// Debug: runs to the next breakpoint.
    pub async fn continue_run(&self, id: &str) -> Result<(), ControlError> {
        let (req, url) = self.request(
            Method::POST,
            &format!("api/v1/workflows/{}/debug/continue", encode(id)),
        )?;
        self.send(req.json(&serde_json::json!({})), &url)
            .await
            .map(drop)
    }

    /// Sets keys of the paused task `task_ref`'s input before it runs.
    pub async fn set_input(
        &self,
        id: &str,
        task_ref: &str,
        input: &Value,
    ) -> Result<(), ControlError> {
        let (req, url) = self.request(
            Method::PUT,
            &format!(
                "api/v1/workflows/{}/tasks/{}/input",
                encode(id),
                encode(task_ref)
            ),
        )?;
        self.send(req.json(input), &url).await.map(drop)
    }
}

/// The settings every client shares (with a TLS provider installed, which
/// `rustls-no-provider` leaves to the application).
fn builder() -> reqwest::ClientBuilder {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may win the race; either provider serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
}

/// Percent-encodes one path segment.
fn encode(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_queries() {
        let f = ListFilter {
            name: Some("order".into()),
            statuses: vec![
                baton_core::WorkflowStatus::Running,
                baton_core::WorkflowStatus::Failed,
            ],
            correlation_id: None,
            ..Default::default()
        };
        assert_eq!(
            search_query(&f),
            "workflowType = \"order\" AND status IN (RUNNING,FAILED)"
        );
        assert_eq!(search_query(&ListFilter::default()), "");
    }

    #[test]
    fn urls_are_checked_and_segments_encoded() {
        assert!(Client::new("ftp://x").is_err());
        assert!(Client::new("not a url").is_err());
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
        let c = Client::new("http://127.0.0.1:1/base").ok();
        let u = c.and_then(|c| c.url("api/x").ok()).map(|u| u.to_string());
        assert_eq!(u.as_deref(), Some("http://127.0.0.1:1/base/api/x"));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_socket_client_names_the_socket_it_cannot_reach() {
        let dir = tempfile::tempdir().expect("tmp");
        let socket = dir.path().join("none.sock");
        let c = Client::unix(&socket).expect("client");
        assert_eq!(c.socket(), Some(socket.as_path()));
        let e = c.pause("w1").await.expect_err("nothing listens");
        assert_eq!(e.kind(), ErrorKind::Transport);
        assert!(
            e.message().contains(&socket.display().to_string()),
            "{}",
            e.message()
        );
    }
}
