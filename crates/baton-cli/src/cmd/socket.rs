//! The local control socket: while `baton run` or `baton resume` holds a database, it
//! serves its control API — the HTTP API of `baton server` — on a Unix socket beside the
//! database, and `baton pause|resume|terminate|start ... --db D` from another shell find
//! it by themselves and act on the running process instead of failing on the lock.
//!
//! - **Where:** `D.sock` beside the database `D` (its absolute path). When that path is
//!   too long for a socket address (108 bytes on Linux, 104 elsewhere), the socket lives
//!   in a private directory (`$XDG_RUNTIME_DIR/baton/`, else `/tmp/baton-<uid>/`, each
//!   checked to be a real directory owned by this user that nobody else may enter) and
//!   `D.sock` is a small file holding its path.
//! - **Who:** the socket file is owner-only (0600). It is bound in a private directory
//!   and then renamed into place, so it is never reachable with wider permissions, and
//!   every connection's peer uid (`SO_PEERCRED`) is checked against this process's:
//!   another user gets 403. Requests carry no token: the file's permissions are the
//!   credential.
//! - **When:** created once the engine holds the database's lock, so a socket found
//!   there is left over from an earlier process (a SIGKILL); it is replaced unless it
//!   answers. Removed when the process ends: normally, on Ctrl-C or SIGTERM, on an error.
//! - Besides the server's API, two endpoints describe the process, so `baton start`
//!   can say what will happen before it starts anything: `GET /local/v1/process` (pid,
//!   command, the workflow it follows) and `POST /local/v1/unbound` (the task types of
//!   a registered definition that it has no runner for).

use super::local;
use anyhow::{Context as _, bail};
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use baton_runners::Runners;
use baton_runtime::EngineHandle;
use baton_server::ApiError;
use serde_json::{Value, json};
use std::io::{self, Read as _};
use std::os::unix::fs::{
    DirBuilderExt as _, FileTypeExt as _, MetadataExt as _, OpenOptionsExt as _,
    PermissionsExt as _,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UnixListener;
use tokio_util::sync::CancellationToken;

/// Longest socket path, in bytes, without the terminating NUL (`sun_path` is 108 bytes
/// on Linux, 104 on the BSDs and macOS).
#[cfg(any(target_os = "linux", target_os = "android"))]
const MAX_SOCKET_PATH: usize = 107;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const MAX_SOCKET_PATH: usize = 103;

/// Largest pointer file read (it holds one path).
const MAX_POINTER_BYTES: u64 = 4096;

/// What the serving process tells callers about itself.
pub struct About {
    /// The command that serves (`run` or `resume`).
    pub command: &'static str,
    /// The workflow it follows to its end.
    pub workflow_id: String,
    /// The runners it has, to tell whether a workflow started through it can run.
    pub runners: Arc<Runners>,
}

/// The serving end: the socket file (and pointer), the server task, and its removal.
pub struct ControlSocket {
    /// The socket file.
    socket: PathBuf,
    /// The pointer file beside the database, when the socket lives elsewhere.
    pointer: Option<PathBuf>,
    /// The socket file's (device, inode), so only our own file is ever removed.
    id: (u64, u64),
    cancel: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl ControlSocket {
    /// Serves `engine`'s API on the control socket of `db` (which this process holds
    /// the lock of). Call from within the tokio runtime.
    ///
    /// # Errors
    /// When the socket cannot be created, or another process answers on it already.
    pub fn serve(engine: EngineHandle, db: &Path, about: About) -> anyhow::Result<ControlSocket> {
        let beside = beside(db)?;
        clear_stale(&beside)?;
        let (listener, socket, pointer) = bind(db, &beside)?;
        let meta = std::fs::symlink_metadata(&socket)
            .with_context(|| format!("cannot read the socket {}", socket.display()))?;
        let cancel = CancellationToken::new();
        let app = router(engine, cancel.clone(), about);
        let listener = {
            listener
                .set_nonblocking(true)
                .context("cannot make the control socket non-blocking")?;
            UnixListener::from_std(listener).context("cannot serve the control socket")?
        };
        let stop = cancel.clone();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app.into_make_service_with_connect_info::<Peer>())
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
            if let Err(e) = served {
                crate::errln!("warning: the control socket stopped serving: {e}");
            }
        });
        Ok(ControlSocket {
            socket,
            pointer,
            id: (meta.dev(), meta.ino()),
            cancel,
            task: Some(task),
        })
    }

    /// Stops accepting requests, lets the ones in flight finish (a few seconds at most)
    /// and removes the socket file.
    pub async fn close(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        self.remove();
    }

    /// Removes the socket file (and pointer) if they are still the ones this process
    /// made.
    fn remove(&mut self) {
        let ours = std::fs::symlink_metadata(&self.socket)
            .is_ok_and(|m| m.file_type().is_socket() && (m.dev(), m.ino()) == self.id);
        if ours {
            let _ = std::fs::remove_file(&self.socket);
        }
        if let Some(pointer) = self.pointer.take()
            && read_pointer(&pointer).is_ok_and(|p| p == self.socket)
        {
            let _ = std::fs::remove_file(pointer);
        }
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        self.cancel.cancel();
        self.remove();
    }
}

/// Where `db`'s control socket (or the pointer to it) is: `<db>.sock`, absolute.
pub fn beside(db: &Path) -> anyhow::Result<PathBuf> {
    let mut name = std::path::absolute(db)
        .with_context(|| format!("cannot resolve the path `{}`", db.display()))?
        .into_os_string();
    name.push(".sock");
    Ok(PathBuf::from(name))
}

/// What a caller finds for a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A socket that accepts connections.
    Answers(PathBuf),
    /// A socket (or pointer) that nothing listens on: left by a killed process.
    Silent(PathBuf),
    /// A socket that belongs to another user: never talked to.
    Foreign(PathBuf),
    /// No socket at all.
    Nothing,
}

/// Looks for the control socket of `db`: `<db>.sock`, or the socket a pointer file
/// there names.
pub fn find(db: &Path) -> Found {
    let Ok(beside) = beside(db) else {
        return Found::Nothing;
    };
    let Ok(meta) = std::fs::symlink_metadata(&beside) else {
        return Found::Nothing;
    };
    let socket = if meta.file_type().is_socket() {
        beside
    } else if meta.is_file() {
        match read_pointer(&beside) {
            Ok(p) => p,
            Err(_) => return Found::Silent(beside),
        }
    } else {
        return Found::Nothing;
    };
    match std::fs::symlink_metadata(&socket) {
        Ok(m) if m.file_type().is_socket() => {
            if m.uid() != my_uid() {
                Found::Foreign(socket)
            } else if answers(&socket) {
                Found::Answers(socket)
            } else {
                Found::Silent(socket)
            }
        }
        _ => Found::Silent(socket),
    }
}

/// Whether a process accepts connections on `socket`.
fn answers(socket: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(socket).is_ok()
}

fn my_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn fits(path: &Path) -> bool {
    path.as_os_str().len() <= MAX_SOCKET_PATH
}

/// The socket path a pointer file names.
fn read_pointer(pointer: &Path) -> io::Result<PathBuf> {
    let mut text = String::new();
    std::fs::File::open(pointer)?
        .take(MAX_POINTER_BYTES)
        .read_to_string(&mut text)?;
    let path = PathBuf::from(text.trim_end_matches('\n'));
    if !path.is_absolute() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a pointer names an absolute socket path",
        ));
    }
    Ok(path)
}

/// Removes what an earlier process left at `beside` (this process holds the database's
/// lock, so no live run of it can be serving there); refuses when something answers, or
/// when the file there is not a socket or pointer.
fn clear_stale(beside: &Path) -> anyhow::Result<()> {
    let meta = match std::fs::symlink_metadata(beside) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => bail!("cannot look at {}: {e}", beside.display()),
    };
    let taken = |what: &Path| {
        anyhow::anyhow!(
            "another process answers on the control socket {}; stop it, or remove the file",
            what.display()
        )
    };
    if meta.file_type().is_socket() {
        if answers(beside) {
            return Err(taken(beside));
        }
    } else if meta.is_file() {
        if let Ok(target) = read_pointer(beside)
            && let Ok(m) = std::fs::symlink_metadata(&target)
            && m.file_type().is_socket()
        {
            if answers(&target) {
                return Err(taken(&target));
            }
            if m.uid() == my_uid() {
                let _ = std::fs::remove_file(&target);
            }
        }
    } else {
        bail!(
            "{} exists and is not a Baton control socket; move it away to control this run from other shells",
            beside.display()
        );
    }
    std::fs::remove_file(beside)
        .with_context(|| format!("cannot remove the stale socket {}", beside.display()))
}

/// Binds the socket owner-only: beside the database when the path fits, else in a
/// private directory with a pointer file beside the database. Answers the listener,
/// the socket path and the pointer file (if any).
fn bind(
    db: &Path,
    beside: &Path,
) -> anyhow::Result<(std::os::unix::net::UnixListener, PathBuf, Option<PathBuf>)> {
    let dir = beside.parent().unwrap_or(Path::new("/"));
    let staging = dir.join(format!(".baton-{}.sock.d", std::process::id()));
    if fits(beside) && fits(&staging.join("s")) {
        let listener = bind_beside(beside, &staging)?;
        return Ok((listener, beside.to_path_buf(), None));
    }
    let private = private_dir()?;
    let socket = private.join(format!(
        "{:016x}.sock",
        fnv1a(beside.as_os_str().as_encoded_bytes())
    ));
    let _ = std::fs::remove_file(&socket);
    let listener = std::os::unix::net::UnixListener::bind(&socket)
        .with_context(|| format!("cannot create the control socket {}", socket.display()))?;
    owner_only(&socket)?;
    if let Err(e) = write_pointer(beside, &socket) {
        let _ = std::fs::remove_file(&socket);
        return Err(e).with_context(|| {
            format!(
                "the socket path beside `{}` is too long, and the file pointing to {} cannot be written",
                db.display(),
                socket.display()
            )
        });
    }
    Ok((listener, socket, Some(beside.to_path_buf())))
}

/// Binds in a fresh directory only this user may enter, makes the socket 0600, then
/// renames it to `beside`: at no moment can another user connect.
fn bind_beside(beside: &Path, staging: &Path) -> anyhow::Result<std::os::unix::net::UnixListener> {
    // A directory of this name is left by a killed process that had our pid.
    if std::fs::symlink_metadata(staging).is_ok_and(|m| m.is_dir() && m.uid() == my_uid()) {
        let _ = std::fs::remove_file(staging.join("s"));
        let _ = std::fs::remove_dir(staging);
    }
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(staging)
        .with_context(|| format!("cannot create {}", staging.display()))?;
    let temp = staging.join("s");
    let bound = std::os::unix::net::UnixListener::bind(&temp)
        .with_context(|| format!("cannot create the control socket {}", temp.display()))
        .and_then(|l| owner_only(&temp).map(|()| l))
        .and_then(|l| {
            std::fs::rename(&temp, beside)
                .with_context(|| format!("cannot move the control socket to {}", beside.display()))
                .map(|()| l)
        });
    let _ = std::fs::remove_file(&temp);
    let _ = std::fs::remove_dir(staging);
    bound
}

fn owner_only(path: &Path) -> anyhow::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot make {} owner-only", path.display()))
}

/// Writes the pointer file (0600) in one rename, so a reader never sees half a path.
fn write_pointer(beside: &Path, socket: &Path) -> io::Result<()> {
    let mut temp = beside.as_os_str().to_os_string();
    temp.push(format!(".{}.tmp", std::process::id()));
    let temp = PathBuf::from(temp);
    let _ = std::fs::remove_file(&temp);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .and_then(|mut f| {
            use std::io::Write as _;
            writeln!(f, "{}", socket.display())?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, beside));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// A directory for sockets that only this user may enter: `$XDG_RUNTIME_DIR/baton`,
/// else `/tmp/baton-<uid>`. An existing one must be a real directory (not a link)
/// owned by this user, closed to everyone else.
fn private_dir() -> anyhow::Result<PathBuf> {
    let uid = my_uid();
    let mut candidates = Vec::new();
    if let Some(run) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from)
        && run.is_absolute()
    {
        candidates.push(run.join("baton"));
    }
    candidates.push(std::env::temp_dir().join(format!("baton-{uid}")));
    let mut problems = Vec::new();
    for dir in candidates {
        // Room for the socket's name (16 hex digits and `.sock`).
        if !fits(&dir.join("0123456789abcdef.sock")) {
            problems.push(format!(
                "{}: the path is too long for a socket",
                dir.display()
            ));
            continue;
        }
        match private(&dir, uid) {
            Ok(()) => return Ok(dir),
            Err(e) => problems.push(format!("{}: {e}", dir.display())),
        }
    }
    bail!(
        "the database's path is too long for a socket beside it, and no private directory is usable ({})",
        problems.join("; ")
    )
}

fn private(dir: &Path, uid: u32) -> io::Result<()> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(dir)?;
    let refuse = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            why.to_string(),
        ))
    };
    if !meta.is_dir() {
        return refuse("not a directory (a link or a file)");
    }
    if meta.uid() != uid {
        return refuse("owned by another user");
    }
    if meta.mode() & 0o077 != 0 {
        return refuse("other users may enter it (chmod 700 it)");
    }
    Ok(())
}

/// FNV-1a, 64 bits: a short, stable name for a database's socket.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Who is connecting: the peer's uid, from the kernel.
#[derive(Debug, Clone, Copy)]
struct Peer {
    uid: Option<u32>,
}

impl Connected<axum::serve::IncomingStream<'_, UnixListener>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, UnixListener>) -> Self {
        Peer {
            uid: stream.io().peer_cred().ok().map(|c| c.uid()),
        }
    }
}

/// Only this process's own user may use the socket (its permissions say so already;
/// this holds where a platform ignores a socket file's permissions).
async fn same_user(ConnectInfo(peer): ConnectInfo<Peer>, req: Request, next: Next) -> Response {
    let me = my_uid();
    match peer.uid {
        Some(uid) if uid == me => next.run(req).await,
        Some(uid) => ApiError::new(
            StatusCode::FORBIDDEN,
            format!("this control socket serves only its owner (uid {me}); you are uid {uid}"),
        )
        .into_response(),
        None => ApiError::new(
            StatusCode::FORBIDDEN,
            "this control socket cannot tell who is connecting (no peer credentials)",
        )
        .into_response(),
    }
}

#[derive(Clone)]
struct Local {
    engine: EngineHandle,
    about: Arc<About>,
}

fn router(engine: EngineHandle, shutdown: CancellationToken, about: About) -> Router {
    // No token: the socket file's permissions and the peer check are the credential,
    // and the peer is this process's own user, so requests act as that user (L0).
    let config = baton_server::ServerConfig {
        auth: baton_server::AuthMode::Disabled(super::target::actor()),
        ..baton_server::ServerConfig::default()
    };
    let api = baton_server::router_with_shutdown(engine.clone(), config, shutdown);
    let local = Router::new()
        .route("/local/v1/process", get(process))
        .route("/local/v1/unbound", post(unbound))
        .with_state(Local {
            engine,
            about: Arc::new(about),
        });
    local.merge(api).layer(axum::middleware::from_fn(same_user))
}

async fn process(State(st): State<Local>) -> Json<Value> {
    Json(json!({
        "pid": std::process::id(),
        "command": st.about.command,
        "workflowId": st.about.workflow_id,
    }))
}

/// `{"name", "version"}` → `{"known", "unbound": [task types without a runner]}`.
async fn unbound(
    State(st): State<Local>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("name the workflow definition: {\"name\": ...}"))?
        .to_string();
    let version = body
        .get("version")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok());
    let engine = st.engine.clone();
    let def = tokio::task::spawn_blocking(move || {
        engine
            .reader()
            .map_err(|e| e.to_string())
            .and_then(|r| r.workflow_def(&name, version).map_err(|e| e.to_string()))
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("a read failed: {e}"),
        )
    })?
    .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e))?;
    Ok(Json(match def {
        Some(def) => {
            let unbound: Vec<String> = local::queues_of(&def)
                .into_iter()
                .filter(|q| !st.about.runners.handles(q))
                .collect();
            json!({"known": true, "unbound": unbound})
        }
        None => json!({"known": false, "unbound": []}),
    }))
}

/// What the process behind a socket says about itself.
#[derive(Debug, Clone)]
pub struct Process {
    /// Its pid.
    pub pid: u32,
    /// `run` or `resume`.
    pub command: String,
    /// The workflow it follows; it exits when that one ends.
    pub workflow_id: String,
}

impl Process {
    /// "the `baton run` process (pid 123)".
    pub fn describe(&self) -> String {
        format!("the `baton {}` process (pid {})", self.command, self.pid)
    }
}

fn client(socket: &Path) -> anyhow::Result<reqwest::Client> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may win the race; either provider serves (none is used: the
        // socket speaks plain HTTP).
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::builder()
        .unix_socket(socket)
        .timeout(Duration::from_secs(30))
        .build()
        .context("cannot build an HTTP client for the control socket")
}

async fn call(req: reqwest::RequestBuilder, socket: &Path) -> anyhow::Result<Value> {
    let res = req
        .send()
        .await
        .with_context(|| format!("cannot reach the control socket {}", socket.display()))?;
    let status = res.status();
    let body: Value = res.json().await.with_context(|| {
        format!(
            "unexpected answer from the control socket {}",
            socket.display()
        )
    })?;
    if !status.is_success() {
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("error");
        bail!(
            "the control socket {} answered {status}: {message}",
            socket.display()
        );
    }
    Ok(body)
}

/// Asks the process behind `socket` who it is.
pub async fn process_of(socket: &Path) -> anyhow::Result<Process> {
    let body = call(
        client(socket)?.get("http://localhost/local/v1/process"),
        socket,
    )
    .await?;
    Ok(Process {
        pid: body
            .get("pid")
            .and_then(Value::as_u64)
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0),
        command: body
            .get("command")
            .and_then(Value::as_str)
            .unwrap_or("run")
            .to_string(),
        workflow_id: body
            .get("workflowId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

/// The task types of the registered definition `name` (`version`, else the latest) that
/// the process behind `socket` has no runner for; `None` when it knows no such
/// definition.
pub async fn unbound_of(
    socket: &Path,
    name: &str,
    version: Option<u32>,
) -> anyhow::Result<Option<Vec<String>>> {
    let req = client(socket)?
        .post("http://localhost/local/v1/unbound")
        .json(&json!({"name": name, "version": version}));
    let body = call(req, socket).await?;
    if body.get("known").and_then(Value::as_bool) != Some(true) {
        return Ok(None);
    }
    Ok(Some(
        body.get("unbound")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    ))
}

/// `text` as one shell word: as is when it is plain, else single-quoted.
pub fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("runs/b.db"), "runs/b.db");
        assert_eq!(shell_word("my runs/b.db"), "'my runs/b.db'");
        assert_eq!(shell_word("it's.db"), "'it'\\''s.db'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$HOME/x"), "'$HOME/x'");
    }

    #[test]
    fn the_socket_is_named_beside_the_database() {
        let p = beside(Path::new("/data/runs/b.db")).expect("path");
        assert_eq!(p, PathBuf::from("/data/runs/b.db.sock"));
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fnv1a(b"/a.db.sock"), fnv1a(b"/b.db.sock"));
    }

    #[test]
    fn nothing_is_found_where_nothing_runs() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("b.db");
        assert_eq!(find(&db), Found::Nothing);
        // A socket nobody listens on (the listener is gone) is silent.
        let sock = dir.path().join("b.db.sock");
        drop(std::os::unix::net::UnixListener::bind(&sock).expect("bind"));
        assert_eq!(find(&db), Found::Silent(sock.clone()));
        let live =
            std::os::unix::net::UnixListener::bind(dir.path().join("live.sock")).expect("bind");
        std::fs::remove_file(&sock).expect("rm");
        // A pointer file names a socket elsewhere.
        std::fs::write(
            &sock,
            format!("{}\n", dir.path().join("live.sock").display()),
        )
        .expect("pointer");
        assert_eq!(find(&db), Found::Answers(dir.path().join("live.sock")));
        drop(live);
    }
}
