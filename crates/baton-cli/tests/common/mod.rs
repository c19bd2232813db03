//! Helpers shared by the CLI's integration tests that run `baton` processes.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// `baton def register FILE --server URL`, which must succeed.
pub fn register(url: &str, file: &Path) -> String {
    ok(&baton()
        .args(["def", "register"])
        .arg(file)
        .args(["--server", url])
        .output()
        .expect("register"))
}

pub fn baton() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_baton"));
    c.stdin(Stdio::null());
    c
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Starts `baton server` on a free port; returns the process and its URL.
pub fn server(db: &Path) -> (Child, String) {
    server_args(db, &[])
}

/// [`server`] with more arguments (`--runners FILE`, ...), without tokens
/// (`--insecure-no-auth`: these tests are about other things; `secure_server` is not).
pub fn server_args(db: &Path, extra: &[&str]) -> (Child, String) {
    let mut cmd = baton();
    cmd.args([
        "server",
        "--bind",
        "127.0.0.1:0",
        "--insecure-no-auth",
        "--db",
    ])
    .arg(db)
    .args(extra);
    announce(cmd)
}

/// `baton server` requiring tokens, keeping its credentials under `config_home` (its
/// `XDG_CONFIG_HOME`; give CLI commands the same to find them).
pub fn secure_server(db: &Path, config_home: &Path, extra: &[&str]) -> (Child, String) {
    let mut cmd = baton();
    cmd.args(["server", "--bind", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(extra)
        .env("XDG_CONFIG_HOME", config_home);
    announce(cmd)
}

/// Spawns a server command; returns it with the URL it announced.
fn announce(mut cmd: Command) -> (Child, String) {
    let mut child = cmd
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn server");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    // Warnings (an interrupted attempt found at start, say) may come before the line
    // that announces the address.
    let mut seen = Vec::new();
    let url = loop {
        let line = match lines.next() {
            Some(l) => l.expect("readable"),
            None => panic!("the server exited without announcing its URL: {seen:?}"),
        };
        if let Some(w) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            break w.to_string();
        }
        seen.push(line);
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

/// The stdout of a command that must have exited 0 (else both streams in the panic).
pub fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Waits for `child` to exit, at most `limit`; its exit code (`None` for a signal).
pub fn wait_exit(child: &mut Child, limit: std::time::Duration, what: &str) -> Option<i32> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s.code();
        }
        assert!(std::time::Instant::now() < deadline, "{what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
