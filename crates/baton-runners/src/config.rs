//! The runner file: which queues run locally, and how.
//!
//! ```yaml
//! runners:
//!   python.data_preprocessing:          # a queue name
//!     exec:
//!       command: ["python3", "agents/preprocess.py"]   # or a string run via `sh -c`
//!       timeout: 30s                    # 500ms / 30s / 5m / 1h / 1m30s
//!       env: {MODE: fast}
//!       cwd: "."
//!   notify:
//!     http: {uri: "http://127.0.0.1:9000/hook", method: POST}
//!   python:                             # agent-level binding: serves `python.*`
//!     exec: {command: ["python3", "agent.py"]}
//!   scanner:                            # an agent reached through its folders
//!     folder: {root: agents/scanner, format: yaml, timeout: 5m}
//! ```
//!
//! Parsing is strict: unknown keys, unknown runner kinds and malformed values are errors that
//! name the runner and say what to write instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::exec::ExecRunner;
use crate::folder::FolderRunner;
pub use crate::folder::FolderSpec;
use crate::folder::files::FileFormat;
use crate::http::BoundHttpRunner;
use crate::task::Runner;

/// A problem in a runner file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read runner file {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// The text is not YAML.
    #[error("runner file is not valid YAML: {0}")]
    Yaml(String),
    /// The overall shape is wrong (e.g. no `runners:` map, an unknown top-level key).
    #[error("runner file: {0}")]
    File(String),
    /// One runner entry is wrong.
    #[error("runner `{runner}`: {message}")]
    Runner {
        /// The entry's name (its queue or agent name).
        runner: String,
        /// What is wrong and what to write instead.
        message: String,
    },
}

/// A runner with the queue (or agent) name it serves.
pub(crate) type NamedRunner = (String, Arc<dyn Runner>);

/// A parsed runner file: runner specs keyed by queue (or agent) name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunnerConfig {
    /// The runners, keyed by queue name (`a.b`) or agent prefix (`a`).
    pub runners: BTreeMap<String, RunnerSpec>,
}

/// How one queue is run.
#[derive(Debug, Clone, PartialEq)]
pub enum RunnerSpec {
    /// Run a local command (see [`crate::exec`]).
    Exec(ExecSpec),
    /// Send the task input to an HTTP endpoint (see [`crate::http::BoundHttpRunner`]).
    Http(HttpSpec),
    /// Reach an agent through its inbox and outbox folders (see [`crate::folder`]).
    Folder(FolderSpec),
}

/// An `exec:` runner.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecSpec {
    /// What to run.
    pub command: CommandSpec,
    /// Kill the process group and fail after this long (`None`: no limit besides the
    /// engine's cancellation).
    pub timeout: Option<Duration>,
    /// Extra environment variables (added to the inherited environment).
    pub env: BTreeMap<String, String>,
    /// Working directory, relative to the config's base directory (default: the base
    /// directory itself).
    pub cwd: Option<PathBuf>,
}

/// The command of an `exec:` runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandSpec {
    /// Program and arguments, run directly.
    Argv(Vec<String>),
    /// A shell command line, run via `sh -c`.
    Shell(String),
}

/// An `http:` runner bound to one endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSpec {
    /// The endpoint (`http://` or `https://`).
    pub uri: String,
    /// HTTP method (upper case; default `POST`).
    pub method: String,
    /// Extra request headers.
    pub headers: BTreeMap<String, String>,
    /// Whole-request timeout (default: none; a response that stays silent for 60 s fails).
    pub timeout: Option<Duration>,
    /// Accepted status codes (`None`: any 2xx).
    pub expected_status: Option<Vec<u16>>,
}

impl RunnerConfig {
    /// Parses a runner file.
    ///
    /// # Errors
    /// [`ConfigError`] naming the bad runner and key.
    pub fn from_yaml(text: &str) -> Result<Self, ConfigError> {
        let value: Value =
            serde_saphyr::from_str(text).map_err(|e| ConfigError::Yaml(e.to_string()))?;
        RunnerConfig::from_json(&value)
    }

    /// Reads and parses a runner file.
    ///
    /// # Errors
    /// [`ConfigError::Io`] when the file cannot be read, else as [`RunnerConfig::from_yaml`].
    pub fn from_path(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        RunnerConfig::from_yaml(&text)
    }

    /// Builds a config from JSON of the same shape as the YAML file.
    ///
    /// # Errors
    /// [`ConfigError`] naming the bad runner and key.
    pub fn from_json(v: &Value) -> Result<Self, ConfigError> {
        let top = match v {
            Value::Null => return Ok(RunnerConfig::default()),
            Value::Object(m) => m,
            other => {
                return Err(ConfigError::File(format!(
                    "expected a map with a `runners:` key, found {}",
                    kind_of(other)
                )));
            }
        };
        if let Some(key) = top.keys().find(|k| k.as_str() != "runners") {
            return Err(ConfigError::File(format!(
                "unknown key `{key}`: the file has one top-level key, `runners:`"
            )));
        }
        let mut runners = BTreeMap::new();
        match top.get("runners") {
            None | Some(Value::Null) => {}
            Some(Value::Object(entries)) => {
                for (name, entry) in entries {
                    if name.trim().is_empty() {
                        return Err(ConfigError::File("a runner has an empty name".to_owned()));
                    }
                    let spec = parse_entry(entry).map_err(|message| ConfigError::Runner {
                        runner: name.clone(),
                        message,
                    })?;
                    runners.insert(name.clone(), spec);
                }
            }
            Some(other) => {
                return Err(ConfigError::File(format!(
                    "`runners` must be a map from queue names to runners, found {}",
                    kind_of(other)
                )));
            }
        }
        Ok(RunnerConfig { runners })
    }

    /// Instantiates every runner, resolving relative paths against `base_dir`.
    pub(crate) fn build_runners(&self, base_dir: &Path) -> Result<Vec<NamedRunner>, ConfigError> {
        let base = std::path::absolute(base_dir).unwrap_or_else(|_| base_dir.to_path_buf());
        let mut out: Vec<NamedRunner> = Vec::with_capacity(self.runners.len());
        for (name, spec) in &self.runners {
            let runner: Arc<dyn Runner> = match spec {
                RunnerSpec::Exec(e) => Arc::new(ExecRunner::new(e.clone(), &base)),
                RunnerSpec::Folder(f) => Arc::new(FolderRunner::new(name, f.clone(), &base)),
                RunnerSpec::Http(h) => {
                    Arc::new(BoundHttpRunner::new(h.clone()).map_err(|message| {
                        ConfigError::Runner {
                            runner: name.clone(),
                            message,
                        }
                    })?)
                }
            };
            out.push((name.clone(), runner));
        }
        Ok(out)
    }
}

/// Parses one entry: a map with exactly one runner kind.
fn parse_entry(entry: &Value) -> Result<RunnerSpec, String> {
    const KINDS: &str = "write `exec: {command: ...}`, `http: {uri: ...}` or `folder: {root: DIR}`";
    let map = entry.as_object().ok_or_else(|| {
        format!(
            "expected a map with one runner kind, found {}; {KINDS}",
            kind_of(entry)
        )
    })?;
    let mut kinds = map.iter();
    let (kind, body) = match (kinds.next(), kinds.next()) {
        (Some(first), None) => first,
        (None, _) => return Err(format!("no runner kind given; {KINDS}")),
        (Some(_), Some(_)) => {
            let names: Vec<&str> = map.keys().map(String::as_str).collect();
            return Err(format!(
                "has several keys ({}); a runner has exactly one kind: {KINDS}",
                names.join(", ")
            ));
        }
    };
    match kind.as_str() {
        "exec" => parse_exec(body).map(RunnerSpec::Exec),
        "http" => parse_http(body).map(RunnerSpec::Http),
        "folder" => parse_folder(body).map(RunnerSpec::Folder),
        other => Err(format!("unknown runner kind `{other}`; {KINDS}")),
    }
}

/// Parses the body of `exec:`.
fn parse_exec(body: &Value) -> Result<ExecSpec, String> {
    let map = body_map(body, "exec")?;
    check_keys(map, "exec", &["command", "timeout", "env", "cwd"])?;
    const HINT: &str = r#"write `command: ["python3", "agent.py"]` (run directly) or `command: "ls -1 | wc -l"` (run via sh -c)"#;
    let command = match map.get("command") {
        None | Some(Value::Null) => return Err(format!("exec needs a `command`: {HINT}")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err(format!("exec `command` is empty: {HINT}"));
        }
        Some(Value::String(s)) => CommandSpec::Shell(s.clone()),
        Some(Value::Array(items)) => {
            let argv = items
                .iter()
                .map(|v| {
                    scalar_text(v)
                        .ok_or_else(|| format!("exec `command` items must be strings: {HINT}"))
                })
                .collect::<Result<Vec<String>, String>>()?;
            if argv.first().is_none_or(|p| p.is_empty()) {
                return Err(format!("exec `command` has no program: {HINT}"));
            }
            CommandSpec::Argv(argv)
        }
        Some(other) => {
            return Err(format!("exec `command` is {}: {HINT}", kind_of(other)));
        }
    };
    let timeout = optional_duration(map, "timeout")?;
    let env = string_map(
        map,
        "env",
        "exec `env` must be a map of names to values, e.g. `env: {MODE: fast}`",
    )?;
    let cwd = match map.get("cwd") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(PathBuf::from(s)),
        Some(other) => {
            return Err(format!(
                "exec `cwd` must be a path string, found {}",
                kind_of(other)
            ));
        }
    };
    Ok(ExecSpec {
        command,
        timeout,
        env,
        cwd,
    })
}

/// Parses the body of `folder:`.
fn parse_folder(body: &Value) -> Result<FolderSpec, String> {
    let map = body_map(body, "folder")?;
    check_keys(map, "folder", &["root", "format", "timeout", "rescan"])?;
    let root = match map.get("root") {
        Some(Value::String(s)) if !s.trim().is_empty() => PathBuf::from(s),
        None | Some(Value::Null) => {
            return Err(
                "folder needs a `root`: the agent's folder, holding 1N and 0UT (e.g. `root: agents/scanner`)"
                    .to_owned(),
            );
        }
        Some(other) => {
            return Err(format!(
                "folder `root` must be a path string, found {}",
                kind_of(other)
            ));
        }
    };
    let format = match map.get("format") {
        None | Some(Value::Null) => FileFormat::Yaml,
        Some(Value::String(s)) if s == "yaml" => FileFormat::Yaml,
        Some(Value::String(s)) if s == "json" => FileFormat::Json,
        Some(other) => {
            return Err(format!(
                "folder `format` must be `yaml` or `json`, found {other}"
            ));
        }
    };
    let timeout = optional_duration(map, "timeout")?.unwrap_or(crate::folder::DEFAULT_TIMEOUT);
    if timeout.is_zero() {
        return Err("folder `timeout` must be longer than 0s".to_owned());
    }
    let rescan = optional_duration(map, "rescan")?.unwrap_or(crate::folder::DEFAULT_RESCAN);
    if rescan < Duration::from_millis(50) {
        return Err("folder `rescan` must be at least 50ms".to_owned());
    }
    Ok(FolderSpec {
        root,
        format,
        timeout,
        rescan,
    })
}

/// Parses the body of `http:`.
fn parse_http(body: &Value) -> Result<HttpSpec, String> {
    let map = body_map(body, "http")?;
    check_keys(
        map,
        "http",
        &["uri", "method", "headers", "timeout", "expectedStatus"],
    )?;
    let uri = match map.get("uri") {
        Some(Value::String(s)) if s.starts_with("http://") || s.starts_with("https://") => {
            s.clone()
        }
        Some(Value::String(s)) => {
            return Err(format!(
                "http `uri` `{s}` must start with http:// or https://"
            ));
        }
        _ => {
            return Err(
                r#"http needs a `uri`, e.g. `uri: "http://127.0.0.1:9000/hook"`"#.to_owned(),
            );
        }
    };
    let method = match map.get("method") {
        None | Some(Value::Null) => "POST".to_owned(),
        Some(Value::String(s)) if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic()) => {
            s.to_ascii_uppercase()
        }
        Some(other) => {
            return Err(format!(
                "http `method` must be a method name like POST or PUT, found {}",
                other
            ));
        }
    };
    let headers = string_map(
        map,
        "headers",
        "http `headers` must be a map of names to values",
    )?;
    let timeout = optional_duration(map, "timeout")?;
    let expected_status = match map.get("expectedStatus") {
        None | Some(Value::Null) => None,
        Some(v) => Some(crate::http::parse_expected_status(v).map_err(|e| format!("http {e}"))?),
    };
    Ok(HttpSpec {
        uri,
        method,
        headers,
        timeout,
        expected_status,
    })
}

/// The body of a runner kind as a map (`exec:` with nothing after it is an empty map).
fn body_map<'a>(body: &'a Value, kind: &str) -> Result<&'a Map<String, Value>, String> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    match body {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(EMPTY.get_or_init(Map::new)),
        other => Err(format!(
            "`{kind}:` must be a map of settings, found {}",
            kind_of(other)
        )),
    }
}

/// Rejects keys outside `allowed`, listing the allowed ones.
fn check_keys(map: &Map<String, Value>, kind: &str, allowed: &[&str]) -> Result<(), String> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(format!(
            "unknown key `{key}` in `{kind}:`; allowed keys: {}",
            allowed.join(", ")
        )),
        None => Ok(()),
    }
}

/// A map of names to scalar values, as strings.
fn string_map(
    map: &Map<String, Value>,
    key: &str,
    hint: &str,
) -> Result<BTreeMap<String, String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                scalar_text(v)
                    .map(|t| (k.clone(), t))
                    .ok_or_else(|| format!("{hint} (the value of `{k}` is {})", kind_of(v)))
            })
            .collect(),
        Some(other) => Err(format!("{hint}, found {}", kind_of(other))),
    }
}

/// An optional duration setting.
fn optional_duration(map: &Map<String, Value>, key: &str) -> Result<Option<Duration>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_duration(s)
            .map(Some)
            .map_err(|e| format!("`{key}`: {e}")),
        Some(other) => Err(format!(
            "`{key}` must be a duration like 500ms, 30s, 5m or 1h, found {other}"
        )),
    }
}

/// Strings as-is, numbers and booleans as text; `None` for other values.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A short name of a JSON value's type, for error messages.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Parses a duration: one or more `<digits><unit>` parts with units `ms`, `s`, `m`, `h`
/// (e.g. `500ms`, `30s`, `5m`, `1h`, `1m30s`).
///
/// # Errors
/// A message saying what to write instead.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    // One duration syntax across Baton: definitions and runner files read the same forms.
    baton_model::duration::parse_duration(text)
        .map(Duration::from_millis)
        .map_err(|e| e.to_string())
}

/// Formats a duration the way runner files write it (`500ms`, `30s`, `5m`, `1h`).
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 || !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("30").is_err());
        assert_eq!(
            parse_duration("2d"),
            Ok(Duration::from_secs(2 * 86_400)),
            "the definitions' syntax"
        );
        assert_eq!(parse_duration("PT5M"), Ok(Duration::from_secs(300)));
        assert!(parse_duration("30 seconds").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("99999999999999999999999s").is_err());
        assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(format_duration(Duration::from_secs(30)), "30s");
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
        assert_eq!(format_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(format_duration(Duration::from_secs(90)), "90s");
    }
}
