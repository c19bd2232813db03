//! HTTP runners: Conductor's `HTTP` system task ([`HttpRunner`]) and worker tasks bound to
//! one endpoint in a runner file ([`BoundHttpRunner`]).
//!
//! TLS (https) uses rustls with the `ring` crypto provider. Building the first client
//! installs `ring` as the process-wide default rustls provider unless one is installed
//! already.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, Method};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::config::{HttpSpec, format_duration};
use crate::task::{BoxFuture, Runner, TaskOutcome, TaskRequest, input_field, object_or_result};
use crate::text::head;

/// Default `connectionTimeOut` (Conductor's own default, 100 ms, is too tight for real
/// networks).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `readTimeOut`: the longest wait for the next bytes of the response.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest response body read; a larger one fails the task.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// At most this many differently-configured clients are cached.
const MAX_CACHED_CLIENTS: usize = 16;

/// The `HTTP` system task.
///
/// Input: `http_request` (or `httpRequest`; or, when neither is present, the input itself if
/// it has a `uri`) with `uri`, `method` (default `GET`), `headers`, `body` (a string is sent
/// as-is, anything else as JSON), `accept` and `contentType` (default `application/json`),
/// `connectionTimeOut` and `readTimeOut` (milliseconds), and Baton's `expectedStatus` (a
/// status or a list of them; default: any 2xx).
///
/// Output: `{"response": {"statusCode", "reasonPhrase", "headers": {name: [values]},
/// "body"}}` where `body` is JSON when the response parses as JSON, else text (null when
/// empty). An unexpected status fails the task (retryable) with the same output.
#[derive(Debug, Clone, Default)]
pub struct HttpRunner {
    clients: ClientCache,
}

impl HttpRunner {
    /// A runner with an empty client cache.
    pub fn new() -> Self {
        HttpRunner::default()
    }
}

impl Runner for HttpRunner {
    fn run(&self, req: TaskRequest, cancel: CancellationToken) -> BoxFuture<TaskOutcome> {
        let clients = self.clients.clone();
        Box::pin(async move {
            let call = match HttpCall::from_input(&req.input) {
                Ok(call) => call,
                Err(reason) => return TaskOutcome::terminal(reason),
            };
            let client = match clients.get(call.connect_timeout, call.read_timeout) {
                Ok(c) => c,
                Err(reason) => return TaskOutcome::failed(reason),
            };
            let response = tokio::select! {
                r = call.send(&client) => r,
                () = cancel.cancelled() => return TaskOutcome::canceled(),
            };
            match response {
                Err(reason) => TaskOutcome::failed(reason),
                Ok(resp) => {
                    let ok = status_ok(resp.status, call.expected.as_deref());
                    let reason = (!ok).then(|| resp.unexpected(&call));
                    let output = json!({"response": resp.into_json()});
                    match reason {
                        None => TaskOutcome::completed(output),
                        Some(reason) => TaskOutcome::failed(reason).with_output(output),
                    }
                }
            }
        })
    }
}

/// A worker task sent to one configured endpoint: the task input is the JSON body. A JSON
/// object response becomes the output; another JSON value or text becomes `{"result": v}`;
/// an empty body gives `{}`. An unexpected status fails the task with `{"response": ...}` as
/// output.
#[derive(Debug, Clone)]
pub struct BoundHttpRunner {
    spec: HttpSpec,
    method: Method,
    headers: HeaderMap,
    client: Client,
}

impl BoundHttpRunner {
    /// Builds the runner.
    ///
    /// # Errors
    /// A message when the method or a header is invalid, or no HTTP client can be built.
    pub fn new(spec: HttpSpec) -> Result<Self, String> {
        let method = Method::from_bytes(spec.method.as_bytes())
            .map_err(|_| format!("invalid HTTP method `{}`", spec.method))?;
        reqwest::Url::parse(&spec.uri).map_err(|e| format!("invalid uri `{}`: {e}", spec.uri))?;
        let headers = header_map(spec.headers.iter().map(|(k, v)| (k.as_str(), v.clone())))?;
        let client = build_client(DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT)?;
        Ok(BoundHttpRunner {
            spec,
            method,
            headers,
            client,
        })
    }
}

impl Runner for BoundHttpRunner {
    fn run(&self, req: TaskRequest, cancel: CancellationToken) -> BoxFuture<TaskOutcome> {
        let this = self.clone();
        Box::pin(async move {
            let body = match serde_json::to_vec(&req.input) {
                Ok(b) => b,
                Err(e) => {
                    return TaskOutcome::terminal(format!("cannot encode the input as JSON: {e}"));
                }
            };
            let mut headers = this.headers.clone();
            headers
                .entry(CONTENT_TYPE)
                .or_insert(HeaderValue::from_static("application/json"));
            headers
                .entry(ACCEPT)
                .or_insert(HeaderValue::from_static("application/json"));
            let call = HttpCall {
                uri: this.spec.uri.clone(),
                method: this.method.clone(),
                headers,
                body: Some(body),
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                read_timeout: DEFAULT_READ_TIMEOUT,
                total_timeout: this.spec.timeout,
                expected: this.spec.expected_status.clone(),
            };
            let response = tokio::select! {
                r = call.send(&this.client) => r,
                () = cancel.cancelled() => return TaskOutcome::canceled(),
            };
            match response {
                Err(reason) => TaskOutcome::failed(reason),
                Ok(resp) if status_ok(resp.status, call.expected.as_deref()) => {
                    let output = match resp.body {
                        Value::Null => Value::Object(Map::new()),
                        body => object_or_result(body),
                    };
                    TaskOutcome::completed(output)
                }
                Ok(resp) => {
                    let reason = resp.unexpected(&call);
                    TaskOutcome::failed(reason).with_output(json!({"response": resp.into_json()}))
                }
            }
        })
    }
}

/// Parses `expectedStatus`: a status code or a list of them (100–599).
pub(crate) fn parse_expected_status(v: &Value) -> Result<Vec<u16>, String> {
    let hint = "`expectedStatus` must be a status code like 200 or a list like [200, 201]";
    let one = |v: &Value| -> Result<u16, String> {
        v.as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| (100..=599).contains(n))
            .ok_or_else(|| format!("{hint}, found {v}"))
    };
    match v {
        Value::Array(items) if !items.is_empty() => items.iter().map(one).collect(),
        Value::Array(_) => Err(format!("{hint}, found an empty list")),
        other => one(other).map(|n| vec![n]),
    }
}

/// Whether `status` is acceptable.
fn status_ok(status: u16, expected: Option<&[u16]>) -> bool {
    match expected {
        Some(list) => list.contains(&status),
        None => (200..300).contains(&status),
    }
}

/// One request, fully resolved.
#[derive(Debug)]
struct HttpCall {
    uri: String,
    method: Method,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    connect_timeout: Duration,
    read_timeout: Duration,
    total_timeout: Option<Duration>,
    expected: Option<Vec<u16>>,
}

/// A received response.
#[derive(Debug)]
struct HttpResponse {
    status: u16,
    reason: String,
    headers: Map<String, Value>,
    body: Value,
}

impl HttpResponse {
    /// Conductor's response shape.
    fn into_json(self) -> Value {
        json!({
            "statusCode": self.status,
            "reasonPhrase": self.reason,
            "headers": Value::Object(self.headers),
            "body": self.body,
        })
    }

    /// The failure reason for an unexpected status.
    fn unexpected(&self, call: &HttpCall) -> String {
        let body = match &self.body {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let expected = match &call.expected {
            None => "a 2xx status".to_owned(),
            Some(list) => list
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
        };
        let mut reason = format!(
            "HTTP {} {} returned {} {} (expected {expected})",
            call.method, call.uri, self.status, self.reason
        );
        if !body.is_empty() {
            reason.push_str(": ");
            reason.push_str(&head(&body, 500));
        }
        reason
    }
}

impl HttpCall {
    /// Reads the request from an HTTP task's input.
    fn from_input(input: &Value) -> Result<Self, String> {
        let req = input_field(input, "http_request")
            .or_else(|| input_field(input, "httpRequest"))
            .or_else(|| input_field(input, "uri").map(|_| input))
            .ok_or("the HTTP task needs an `http_request` input with at least a `uri`")?;
        let req = req
            .as_object()
            .ok_or("`http_request` must be an object with at least a `uri`")?;
        let uri = match req.get("uri") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err("`http_request.uri` is missing or not a string".to_owned()),
        };
        let parsed = reqwest::Url::parse(&uri).map_err(|e| format!("invalid uri `{uri}`: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "invalid uri `{uri}`: only http and https are supported"
            ));
        }
        let method = match req.get("method") {
            None | Some(Value::Null) => Method::GET,
            Some(Value::String(m)) => Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                .map_err(|_| format!("invalid HTTP method `{m}`"))?,
            Some(other) => return Err(format!("invalid HTTP method {other}")),
        };
        let mut headers = match req.get("headers") {
            None | Some(Value::Null) => HeaderMap::new(),
            Some(Value::Object(m)) => header_map(m.iter().filter_map(|(k, v)| {
                let text = match v {
                    Value::Null => return None,
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Some((k.as_str(), text))
            }))?,
            Some(other) => {
                return Err(format!(
                    "`http_request.headers` must be an object, found {other}"
                ));
            }
        };
        for (name, key) in [(ACCEPT, "accept"), (CONTENT_TYPE, "contentType")] {
            let value = match req.get(key) {
                Some(Value::String(s)) => s.clone(),
                _ => "application/json".to_owned(),
            };
            if !headers.contains_key(&name) {
                let value = HeaderValue::from_str(&value)
                    .map_err(|_| format!("invalid `{key}` value `{value}`"))?;
                headers.insert(name, value);
            }
        }
        let body = match req.get("body") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone().into_bytes()),
            Some(v) => Some(
                serde_json::to_vec(v)
                    .map_err(|e| format!("cannot encode the body as JSON: {e}"))?,
            ),
        };
        let expected = match req.get("expectedStatus") {
            None | Some(Value::Null) => None,
            Some(v) => Some(parse_expected_status(v)?),
        };
        Ok(HttpCall {
            uri,
            method,
            headers,
            body,
            connect_timeout: millis(req.get("connectionTimeOut"), "connectionTimeOut")?
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            read_timeout: millis(req.get("readTimeOut"), "readTimeOut")?
                .unwrap_or(DEFAULT_READ_TIMEOUT),
            total_timeout: None,
            expected,
        })
    }

    /// Sends the request and reads the response (body capped at [`MAX_BODY_BYTES`]).
    async fn send(&self, client: &Client) -> Result<HttpResponse, String> {
        let mut builder = client
            .request(self.method.clone(), &self.uri)
            .headers(self.headers.clone());
        if let Some(body) = &self.body {
            builder = builder.body(body.clone());
        }
        if let Some(t) = self.total_timeout {
            builder = builder.timeout(t);
        }
        let mut resp = builder.send().await.map_err(|e| self.describe(&e))?;
        let status = resp.status();
        let mut headers = Map::new();
        for (name, value) in resp.headers() {
            let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
            if let Value::Array(values) = headers
                .entry(name.as_str().to_owned())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                values.push(Value::String(text));
            }
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.describe(&e))? {
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(format!(
                    "HTTP {} {}: response body exceeds {} MiB",
                    self.method,
                    self.uri,
                    MAX_BODY_BYTES / (1024 * 1024)
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Ok(HttpResponse {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_owned(),
            headers,
            body,
        })
    }

    /// A clear reason for a transport error.
    fn describe(&self, e: &reqwest::Error) -> String {
        let what = format!("HTTP {} {}", self.method, self.uri);
        let detail = error_chain(e);
        if e.is_timeout() {
            let limit = match self.total_timeout {
                Some(t) => format!("timeout {}", format_duration(t)),
                None if e.is_connect() => {
                    format!("connectionTimeOut {} ms", self.connect_timeout.as_millis())
                }
                None => format!("readTimeOut {} ms", self.read_timeout.as_millis()),
            };
            format!("{what} timed out ({limit}): {detail}")
        } else if e.is_connect() {
            format!("{what}: connection failed: {detail}")
        } else {
            format!("{what} failed: {detail}")
        }
    }
}

/// An error and its sources, joined with `: `.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// An optional millisecond setting.
fn millis(v: Option<&Value>, key: &str) -> Result<Option<Duration>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(ms) if ms > 0 => Ok(Some(Duration::from_millis(ms))),
            _ => Err(format!(
                "`{key}` must be a positive number of milliseconds, found {v}"
            )),
        },
    }
}

/// Builds a header map, with clear errors for invalid names or values.
fn header_map<'a>(pairs: impl Iterator<Item = (&'a str, String)>) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name `{name}`"))?;
        let value = HeaderValue::from_str(&value)
            .map_err(|_| format!("invalid value for header `{name}`"))?;
        map.append(header, value);
    }
    Ok(map)
}

/// Builds a client with the given timeouts.
fn build_client(connect: Duration, read: Duration) -> Result<Client, String> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Err only when another thread installed one first, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    Client::builder()
        .connect_timeout(connect)
        .read_timeout(read)
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {}", error_chain(&e)))
}

/// Clients keyed by (connect, read) timeouts, shared by clones.
#[derive(Debug, Clone, Default)]
struct ClientCache {
    clients: Arc<Mutex<HashMap<(Duration, Duration), Client>>>,
}

impl ClientCache {
    /// A client for these timeouts (cached when the cache has room).
    fn get(&self, connect: Duration, read: Duration) -> Result<Client, String> {
        if let Ok(map) = self.clients.lock()
            && let Some(c) = map.get(&(connect, read))
        {
            return Ok(c.clone());
        }
        let client = build_client(connect, read)?;
        if let Ok(mut map) = self.clients.lock()
            && map.len() < MAX_CACHED_CLIENTS
        {
            map.insert((connect, read), client.clone());
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_status_forms() {
        assert_eq!(parse_expected_status(&json!(201)), Ok(vec![201]));
        assert_eq!(
            parse_expected_status(&json!([200, 404])),
            Ok(vec![200, 404])
        );
        assert!(parse_expected_status(&json!([])).is_err());
        assert!(parse_expected_status(&json!(42)).is_err());
        assert!(parse_expected_status(&json!("200")).is_err());
    }

    #[test]
    fn request_from_input() {
        let call = HttpCall::from_input(
            &json!({"httpRequest": {"uri": "http://x/y", "method": "post",
            "headers": {"X-A": "1", "X-N": 2}, "body": {"a": 1}, "connectionTimeOut": 50}}),
        );
        let call = call.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(call.method, Method::POST);
        assert_eq!(
            call.headers.get("x-n").map(|v| v.as_bytes()),
            Some(&b"2"[..])
        );
        assert_eq!(call.body.as_deref(), Some(&br#"{"a":1}"#[..]));
        assert_eq!(call.connect_timeout, Duration::from_millis(50));
        assert!(HttpCall::from_input(&json!({})).is_err());
        assert!(HttpCall::from_input(&json!({"http_request": {"uri": "ftp://x"}})).is_err());
        assert!(
            HttpCall::from_input(&json!({"http_request": {"uri": "http://x", "method": "GE T"}}))
                .is_err()
        );
        assert!(HttpCall::from_input(&json!({"uri": "http://x"})).is_ok());
    }
}
