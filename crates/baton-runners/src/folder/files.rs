//! The files of the folder protocol: their names, their contents, and how they move.
//!
//! Every file is written whole or not at all (a temp file starting with `.` in the same
//! folder, then a rename), and moved, never deleted: a file leaves `1N`/`0UT` for
//! `archive/` or `rejected/`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The inbox: task files Baton writes for the agent.
pub const INBOX: &str = "1N";
/// The outbox: result files the agent writes for Baton.
pub const OUTBOX: &str = "0UT";
/// Files that were handled: task and result files, and withdrawn tasks with their note.
pub const ARCHIVE: &str = "archive";
/// Result files Baton refused, each with a `NAME.error` beside it.
pub const REJECTED: &str = "rejected";

/// Now, to the millisecond (what task files and notes say).
pub fn now() -> jiff::Timestamp {
    let t = jiff::Timestamp::now();
    t.round(jiff::Unit::Millisecond).unwrap_or(t)
}

/// Largest result file Baton reads.
pub const MAX_RESULT_BYTES: u64 = 16 * 1024 * 1024;

/// How task and result files are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileFormat {
    /// `.yaml` files (the default).
    #[default]
    Yaml,
    /// `.json` files.
    Json,
}

impl FileFormat {
    /// The file extension, without the dot.
    pub fn ext(self) -> &'static str {
        match self {
            FileFormat::Yaml => "yaml",
            FileFormat::Json => "json",
        }
    }

    /// The format of a file extension (`yaml`, `yml` or `json`).
    pub fn from_ext(ext: &str) -> Option<FileFormat> {
        match ext {
            "yaml" | "yml" => Some(FileFormat::Yaml),
            "json" => Some(FileFormat::Json),
            _ => None,
        }
    }

    /// Encodes a document in this format.
    pub fn encode<T: Serialize>(self, doc: &T) -> Result<Vec<u8>, String> {
        match self {
            FileFormat::Json => serde_json::to_vec_pretty(doc)
                .map(|mut b| {
                    b.push(b'\n');
                    b
                })
                .map_err(|e| e.to_string()),
            FileFormat::Yaml => serde_saphyr::to_string(doc)
                .map(|mut text| {
                    if !text.ends_with('\n') {
                        text.push('\n');
                    }
                    text.into_bytes()
                })
                .map_err(|e| e.to_string()),
        }
    }

    /// Decodes a document written in this format.
    pub fn decode(self, bytes: &[u8]) -> Result<Value, String> {
        match self {
            FileFormat::Json => {
                serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))
            }
            FileFormat::Yaml => {
                let text =
                    std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
                serde_saphyr::from_str(text).map_err(|e| format!("not valid YAML: {e}"))
            }
        }
    }
}

/// `task-{workflowId}-{taskId}.{ext}`.
pub fn task_file_name(workflow_id: &str, task_id: &str, format: FileFormat) -> String {
    format!("task-{workflow_id}-{task_id}.{}", format.ext())
}

/// `result-{workflowId}-{taskId}.{ext}`.
pub fn result_file_name(workflow_id: &str, task_id: &str, format: FileFormat) -> String {
    format!("result-{workflow_id}-{task_id}.{}", format.ext())
}

/// A protocol file name taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    /// The workflow id.
    pub workflow_id: String,
    /// The task id.
    pub task_id: String,
    /// The format its extension says.
    pub format: FileFormat,
}

/// Reads `{prefix}-{workflowId}-{taskId}.{ext}`. Baton's task ids are
/// `{workflowId}-t{n}`, which is what makes the split unambiguous even though workflow
/// ids hold dashes.
pub fn parse_file_name(name: &str, prefix: &str) -> Option<FileName> {
    let (stem, ext) = name.rsplit_once('.')?;
    let format = FileFormat::from_ext(ext)?;
    let body = stem.strip_prefix(prefix)?.strip_prefix('-')?;
    for (i, _) in body.match_indices('-') {
        let (workflow_id, rest) = (&body[..i], &body[i + 1..]);
        if workflow_id.is_empty() {
            continue;
        }
        if let Some(seq) = rest
            .strip_prefix(workflow_id)
            .and_then(|r| r.strip_prefix("-t"))
            && !seq.is_empty()
            && seq.bytes().all(|b| b.is_ascii_digit())
        {
            return Some(FileName {
                workflow_id: workflow_id.to_owned(),
                task_id: rest.to_owned(),
                format,
            });
        }
    }
    None
}

/// Whether a directory entry is one Baton and agents leave alone: hidden files (temp
/// files being written) and `*.tmp`.
pub fn is_in_progress(name: &str) -> bool {
    name.starts_with('.') || name.ends_with(".tmp")
}

/// The task file Baton writes to `1N` for one attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDocument {
    /// The workflow.
    pub workflow_id: String,
    /// The attempt's task id (a retry has a new one).
    pub task_id: String,
    /// The task's reference name in the definition.
    pub task_ref: String,
    /// The task's name (its queue: `agent.action` in the stage format).
    pub task_name: String,
    /// The attempt number (0 = first).
    pub attempt: u32,
    /// The role the definition gives the task (`L0`..`L3`), when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_level: Option<String>,
    /// When Baton wrote the file (RFC 3339).
    pub issued_at: String,
    /// When Baton stops waiting for the result (RFC 3339).
    pub deadline: String,
    /// The resolved task input.
    pub input: Value,
}

/// What an agent reports in a result file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResultStatus {
    /// Done; `output` is the task's output.
    #[serde(rename = "COMPLETED")]
    Completed,
    /// Failed; the task's retry policy decides what follows.
    #[serde(rename = "FAILED")]
    Failed,
    /// Failed in a way retrying cannot fix.
    #[serde(rename = "FAILED_WITH_TERMINAL_ERROR")]
    FailedWithTerminalError,
}

/// A result file in `0UT`, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultDocument {
    /// What happened.
    pub status: ResultStatus,
    /// The task's output (a mapping).
    #[serde(default)]
    pub output: Map<String, Value>,
    /// Why it failed (or a note on success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Log lines for the task's log.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<String>,
}

/// What a result file must look like, for error notes.
pub const RESULT_SHAPE: &str = "a mapping with `status` (COMPLETED, FAILED or \
    FAILED_WITH_TERMINAL_ERROR), `output` (a mapping), and optionally `reason` (text) and \
    `logs` (a list of text lines)";

/// Checks a decoded result file; the error says what is wrong.
pub fn check_result(value: Value) -> Result<ResultDocument, String> {
    let Value::Object(map) = value else {
        return Err(format!("the file holds {}, not a mapping", kind_of(&value)));
    };
    if let Some(key) = map
        .keys()
        .find(|k| !["status", "output", "reason", "logs"].contains(&k.as_str()))
    {
        return Err(format!("unknown key `{key}`"));
    }
    let status = match map.get("status") {
        None => return Err("`status` is missing".to_owned()),
        Some(Value::String(s)) => match s.as_str() {
            "COMPLETED" => ResultStatus::Completed,
            "FAILED" => ResultStatus::Failed,
            "FAILED_WITH_TERMINAL_ERROR" => ResultStatus::FailedWithTerminalError,
            other => return Err(format!("`status` is `{other}`")),
        },
        Some(other) => return Err(format!("`status` is {}", kind_of(other))),
    };
    let output = match map.get("output") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => return Err(format!("`output` is {}, not a mapping", kind_of(other))),
    };
    let reason = match map.get("reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(format!("`reason` is {}, not text", kind_of(other))),
    };
    let logs = match map.get("logs") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "`logs` holds {}; every log line is text",
                    kind_of(other)
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("`logs` is {}, not a list", kind_of(other))),
    };
    Ok(ResultDocument {
        status,
        output,
        reason,
        logs,
    })
}

/// Reads and checks a result file.
pub fn read_result(path: &Path, format: FileFormat) -> Result<ResultDocument, String> {
    let bytes = read_capped(path, MAX_RESULT_BYTES)?;
    check_result(format.decode(&bytes)?)
}

/// Reads a file of at most `limit` bytes.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if meta.len() > limit {
        return Err(format!(
            "it is {} bytes; files are limited to {} MiB",
            meta.len(),
            limit / (1024 * 1024)
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))
}

/// Whether a file was modified within `within` (an agent may still be writing it in
/// place instead of renaming a finished file in).
pub fn is_fresh(path: &Path, within: std::time::Duration) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_some_and(|age| age < within)
}

/// Writes `dir/name` whole or not at all: a hidden temp file in `dir`, synced, renamed.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    let dest = dir.join(name);
    if let Err(e) = std::fs::rename(&tmp, &dest) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir);
    Ok(dest)
}

/// Moves `src` into `dir`, keeping its name, or `stem.N.ext` when that name is taken
/// (nothing in `archive/` or `rejected/` is ever overwritten). Returns the new path.
pub fn move_into(src: &Path, dir: &Path) -> std::io::Result<PathBuf> {
    let name = src
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dest = free_name(dir, &name);
    std::fs::rename(src, &dest)?;
    sync_dir(dir);
    if let Some(parent) = src.parent() {
        sync_dir(parent);
    }
    Ok(dest)
}

/// Moves `src` to `dest` (a name from [`free_name`]), durably.
pub fn move_to(src: &Path, dest: &Path) -> std::io::Result<()> {
    std::fs::rename(src, dest)?;
    if let Some(d) = dest.parent() {
        sync_dir(d);
    }
    if let Some(parent) = src.parent() {
        sync_dir(parent);
    }
    Ok(())
}

/// `dir/name`, or `dir/stem.N.ext` for the first N that is free.
pub fn free_name(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    (2u32..)
        .map(|n| {
            if ext.is_empty() {
                dir.join(format!("{stem}.{n}"))
            } else {
                dir.join(format!("{stem}.{n}.{ext}"))
            }
        })
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// Makes a rename in `dir` durable (best effort: not every file system can).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A short name of a JSON value's type, for error notes.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_round_trip_with_dashes_in_ids() {
        let wf = "3f2a-91c0-aa";
        let task = format!("{wf}-t12");
        let name = result_file_name(wf, &task, FileFormat::Json);
        assert_eq!(name, "result-3f2a-91c0-aa-3f2a-91c0-aa-t12.json");
        assert_eq!(
            parse_file_name(&name, "result"),
            Some(FileName {
                workflow_id: wf.to_owned(),
                task_id: task.clone(),
                format: FileFormat::Json
            })
        );
        assert_eq!(
            parse_file_name(&task_file_name(wf, &task, FileFormat::Yaml), "task")
                .map(|n| n.task_id),
            Some(task)
        );
        for bad in [
            "result-abc.yaml",
            "result-a-b-t1.yaml",
            "result-a-a-t.yaml",
            "result-a-a-t1.txt",
            "task-a-a-t1.yaml",
            "result--a-t1.yml",
        ] {
            assert_eq!(parse_file_name(bad, "result"), None, "{bad}");
        }
    }

    #[test]
    fn results_are_checked_with_reasons() {
        let ok = check_result(json!({"status": "COMPLETED", "output": {"n": 1}, "logs": ["a"]}))
            .expect("valid");
        assert_eq!(ok.status, ResultStatus::Completed);
        assert_eq!(ok.logs, vec!["a".to_owned()]);
        let cases = [
            (json!([1]), "a list, not a mapping"),
            (json!({"output": {}}), "`status` is missing"),
            (json!({"status": "DONE"}), "`status` is `DONE`"),
            (
                json!({"status": "COMPLETED", "output": [1]}),
                "`output` is a list",
            ),
            (
                json!({"status": "FAILED", "reason": 3}),
                "`reason` is a number",
            ),
            (
                json!({"status": "FAILED", "logs": [1]}),
                "`logs` holds a number",
            ),
            (
                json!({"status": "FAILED", "extra": 1}),
                "unknown key `extra`",
            ),
        ];
        for (value, want) in cases {
            let err = check_result(value.clone()).expect_err("invalid");
            assert!(err.contains(want), "{value}: {err}");
        }
    }

    #[test]
    fn both_formats_decode_what_they_encode() {
        let doc = ResultDocument {
            status: ResultStatus::Failed,
            output: Map::new(),
            reason: Some("disk full".to_owned()),
            logs: vec![],
        };
        for format in [FileFormat::Yaml, FileFormat::Json] {
            let bytes = format.encode(&doc).expect("encode");
            let back = check_result(format.decode(&bytes).expect("decode")).expect("check");
            assert_eq!(back, doc);
        }
        assert!(FileFormat::Yaml.decode(b"status: [").is_err());
    }

    #[test]
    fn moves_never_overwrite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).expect("mkdir");
        std::fs::create_dir_all(&b).expect("mkdir");
        write_atomic(&a, "x.yaml", b"1").expect("write");
        assert_eq!(
            move_into(&a.join("x.yaml"), &b).expect("move"),
            b.join("x.yaml")
        );
        write_atomic(&a, "x.yaml", b"2").expect("write");
        assert_eq!(
            move_into(&a.join("x.yaml"), &b).expect("move"),
            b.join("x.2.yaml")
        );
        assert_eq!(std::fs::read(b.join("x.yaml")).expect("read"), b"1");
        let left: Vec<_> = std::fs::read_dir(&a).expect("ls").collect();
        assert!(left.is_empty(), "no temp files are left behind");
    }
}
