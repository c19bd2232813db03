//! Acceptance with the real Conductor Python SDK: `tests/sdk/acceptance.py` registers
//! definitions, starts workflows and runs SDK workers against a Baton server.
//!
//! The SDK comes from a virtual environment with a pinned `conductor-python`: the
//! interpreter named by `BATON_SDK_PYTHON`, or `$CARGO_TARGET_DIR/sdk-venv` (default
//! `target/sdk-venv`), created and filled on first use. Without python3 or pip this test
//! fails; it never skips.

use baton_runtime::{Engine, EngineConfig, SystemClock};
use baton_store::sqlite::{Durability, SqliteStore};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The SDK version the acceptance script is written against (newest 2.x on PyPI).
const SDK_VERSION: &str = "2.0.0";

/// What a finished command printed.
struct Run {
    ok: bool,
    output: String,
}

/// Runs `cmd` with a time limit, in its own process group (killed whole on timeout).
fn run(mut cmd: Command, limit: Duration, what: &str) -> Run {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let out_path = dir.path().join("out.txt");
    let out = std::fs::File::create(&out_path).expect("output file");
    let err = out.try_clone().expect("output file");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => panic!("cannot run {what}: {e} (python3 with venv and pip must be installed)"),
    };
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > limit => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("waiting for {what}: {e}"),
        }
    };
    if status.is_none() {
        let _ = Command::new("kill")
            .args(["-9", &format!("-{}", child.id())])
            .status();
        let _ = child.kill();
        let _ = child.wait();
    }
    let output = std::fs::read_to_string(&out_path).unwrap_or_default();
    match status {
        Some(s) => Run {
            ok: s.success(),
            output,
        },
        None => Run {
            ok: false,
            output: format!("{output}\n[{what} timed out after {limit:?}]"),
        },
    }
}

fn venv_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("sdk-venv")
}

fn installed_version(python: &Path) -> Option<String> {
    let mut cmd = Command::new(python);
    cmd.args([
        "-c",
        "import importlib.metadata as m; print(m.version('conductor-python'))",
    ]);
    let r = run(cmd, Duration::from_secs(60), "python (SDK version check)");
    r.ok.then(|| r.output.trim().to_string())
}

/// The interpreter with the pinned SDK, installing it when needed.
fn sdk_python() -> PathBuf {
    if let Some(p) = std::env::var_os("BATON_SDK_PYTHON") {
        let p = PathBuf::from(p);
        let v = installed_version(&p);
        assert_eq!(
            v.as_deref(),
            Some(SDK_VERSION),
            "BATON_SDK_PYTHON={} must have conductor-python=={SDK_VERSION}",
            p.display()
        );
        return p;
    }
    let venv = venv_dir();
    let python = venv.join("bin/python");
    if !python.exists() {
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "venv"]).arg(&venv);
        let r = run(cmd, Duration::from_secs(300), "python3 -m venv");
        assert!(
            r.ok,
            "python3 -m venv {} failed:\n{}",
            venv.display(),
            r.output
        );
    }
    if installed_version(&python).as_deref() != Some(SDK_VERSION) {
        let mut cmd = Command::new(&python);
        cmd.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            &format!("conductor-python=={SDK_VERSION}"),
        ]);
        let r = run(
            cmd,
            Duration::from_secs(600),
            "pip install conductor-python",
        );
        assert!(
            r.ok,
            "pip install conductor-python=={SDK_VERSION} failed:\n{}",
            r.output
        );
        assert_eq!(
            installed_version(&python).as_deref(),
            Some(SDK_VERSION),
            "the SDK is not importable after install"
        );
    }
    python
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conductor_python_sdk_runs_against_baton() {
    acceptance(false).await;
}

/// The SDK configured with a key id and secret, against a server that requires tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conductor_python_sdk_authenticates_with_a_key_id_and_secret() {
    acceptance(true).await;
}

async fn acceptance(with_key: bool) {
    use baton_store::prelude::*;
    // Both tests need the venv: the first sets it up, the other waits for it.
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let python = tokio::task::spawn_blocking(|| PYTHON.get_or_init(sdk_python).clone())
        .await
        .expect("SDK setup");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store =
        SqliteStore::open(dir.path().join("baton.db"), Durability::Normal).expect("store");
    let mut credentials = Vec::new();
    let mut config = baton_server::ServerConfig::default();
    if with_key {
        let (key, secret) =
            baton_store::ApiKey::generate("sdk", baton_model::Role::L1, None, 1).expect("random");
        let mut tx = store.begin().expect("begin");
        tx.insert_api_key(&key).expect("key");
        tx.commit().expect("commit");
        credentials = vec![key.key_id, secret];
        config.auth = baton_server::AuthMode::Required;
    }
    let engine =
        Engine::start(store, Arc::new(SystemClock), EngineConfig::default()).expect("engine");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(baton_server::serve_with(
        listener,
        engine.handle(),
        config,
        async move {
            let _ = stopped.await;
        },
    ));

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/acceptance.py");
    let mut cmd = Command::new(&python);
    cmd.arg(&script)
        .arg(&url)
        .args(&credentials)
        .env("PYTHONUNBUFFERED", "1");
    let result =
        tokio::task::spawn_blocking(move || run(cmd, Duration::from_secs(180), "acceptance.py"))
            .await
            .expect("acceptance run");

    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(15), server).await;
    engine.shutdown().await;
    println!("{}", result.output);
    assert!(
        result.ok,
        "the SDK acceptance script failed; its output:\n{}",
        result.output
    );
    assert!(
        result.output.contains("acceptance: all checks passed"),
        "{}",
        result.output
    );
}
