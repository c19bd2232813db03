//! Controlling a running `baton run` from a second process, through the control socket
//! it serves beside its database: pause, resume, terminate, start; the socket's
//! permissions, removal and replacement after a SIGKILL; the hint printed while a run
//! waits for a person. Real processes; every wait polls with a generous deadline.

mod common;

use common::{baton, ok, wait_exit};
use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(60);

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn socket_of(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_os_string();
    s.push(".sock");
    PathBuf::from(s)
}

/// A `baton run` in the background, its stderr collected as it comes. Dropping it
/// stops the run (SIGTERM, then SIGKILL), so a failed test leaves no process behind.
struct Running {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Running {
    fn start(def: &Path, db: &Path) -> Running {
        Running::start_with(def, db, &[])
    }

    fn start_with(def: &Path, db: &Path, extra: &[&str]) -> Running {
        let mut child = baton()
            .arg("run")
            .arg(def)
            .arg("--db")
            .arg(db)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn baton run");
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut s = sink.lock().expect("lock");
                s.push_str(&line);
                s.push('\n');
            }
        });
        Running { child, stderr }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }

    /// Waits until stderr holds `needle`; the whole stderr.
    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + LONG;
        loop {
            let s = self.stderr();
            if s.contains(needle) {
                return s;
            }
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!("baton run exited ({status}) before printing `{needle}`:\n{s}");
            }
            assert!(Instant::now() < deadline, "no `{needle}` in:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The workflow id, from "Running NAME vN as ID (database ...)" or "Resuming
    /// unfinished run ID from ...".
    fn workflow_id(&mut self) -> String {
        let deadline = Instant::now() + LONG;
        loop {
            let s = self.stderr();
            let id = s.lines().find_map(|l| {
                if let Some(rest) = l.strip_prefix("Resuming unfinished run ") {
                    rest.split_whitespace().next()
                } else if l.starts_with("Running ") && l.contains(" (database ") {
                    l.split(" as ")
                        .nth(1)
                        .and_then(|r| r.split_whitespace().next())
                } else {
                    None
                }
            });
            if let Some(id) = id {
                return id.to_string();
            }
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!("baton run exited ({status}) before naming its run:\n{s}");
            }
            assert!(Instant::now() < deadline, "no workflow id in:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `f` holds.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + LONG;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn answers(socket: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(socket).is_ok()
}

/// `baton status ID --db D` (a read: it works while the run holds the database).
fn status(id: &str, db: &Path) -> String {
    ok(&baton()
        .args(["status", id, "--db"])
        .arg(db)
        .output()
        .expect("status"))
}

fn verb(args: &[&str], db: &Path) -> Output {
    baton()
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .expect("baton")
}

/// A workflow whose one task sleeps for minutes (the exec runner kills the sleep when
/// the run is terminated or stopped).
fn sleeper(dir: &Path) -> PathBuf {
    write(
        dir,
        "sleeper.yaml",
        r#"
workflow:
  id: sleeper
  tasks:
    - id: nap
    - id: after
  runners:
    nap:
      exec: {command: "sleep 300; echo '{}'"}
    after:
      exec: {command: "echo '{\"done\": true}'"}
"#,
    )
}

#[test]
fn a_second_process_pauses_resumes_and_terminates_a_running_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("b.db");
    let mut run = Running::start(&sleeper(dir.path()), &db);
    let id = run.workflow_id();
    run.wait_for("running");
    let socket = socket_of(&db);
    eventually("the control socket answers", || answers(&socket));
    let meta = std::fs::symlink_metadata(&socket).expect("socket");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "owner-only");

    let out = verb(&["pause", &id], &db);
    assert!(ok(&out).contains("Pause"), "{}", text(&out));
    assert!(status(&id, &db).contains("PAUSED"));

    // `baton resume ID` resumes the paused workflow in the running process and returns;
    // it does not try to open the locked database or follow the run itself.
    let started = Instant::now();
    let out = verb(&["resume", &id], &db);
    assert!(
        ok(&out).contains(&format!("Resume: {id}")),
        "{}",
        text(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(30), "it returned");
    assert!(status(&id, &db).contains("RUNNING"));
    let out = verb(&["resume", &id], &db);
    assert!(
        ok(&out).is_empty() && String::from_utf8_lossy(&out.stderr).contains("already RUNNING"),
        "{}",
        text(&out)
    );

    let out = verb(&["terminate", &id, "--reason", "enough"], &db);
    ok(&out);
    let code = wait_exit(&mut run.child, LONG, "baton run ends once terminated");
    assert_eq!(code, Some(1), "{}", run.stderr());
    assert!(run.stderr().contains("TERMINATED"), "{}", run.stderr());
    assert!(!socket.exists(), "the socket is removed on exit");
    assert!(status(&id, &db).contains("TERMINATED"));
}

#[test]
fn without_a_live_socket_the_lock_error_stays_clear() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("b.db");
    // A server holds the database and serves no socket.
    let (mut server, _url) = common::server(&db);
    let out = verb(&["pause", "some-id"], &db);
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("in use by another Baton process") && err.contains("--server"),
        "{err}"
    );
}

/// A HUMAN task: the run says what it waits for and the exact commands that decide it
/// (the database path quoted as a shell word); after a SIGKILL the stale socket is
/// replaced by the next run, which says it again.
#[test]
fn a_waiting_run_prints_how_to_decide_and_a_stale_socket_is_replaced() {
    let dir = tempfile::tempdir().expect("tmp");
    let runs = dir.path().join("my runs");
    std::fs::create_dir(&runs).expect("mkdir");
    let db = runs.join("b.db");
    let def = write(
        dir.path(),
        "review.yaml",
        r#"
workflow:
  id: reviewed
  tasks:
    - id: prepare
    - id: review
      type: HUMAN
    - id: ship
  runners:
    prepare:
      exec: {command: "echo '{\"ready\": true}'"}
    ship:
      exec: {command: "echo '{\"shipped\": true}'"}
"#,
    );
    let quoted = format!("'{}'", db.display());
    let mut run = Running::start(&def, &db);
    let id = run.workflow_id();
    let approve = format!("baton approve {id} review --db {quoted}");
    let reject = format!("baton reject {id} review --db {quoted}");
    let s = run.wait_for(&approve);
    assert!(s.contains(&reject), "{s}");
    assert!(s.contains("review waits for a decision since"), "{s}");
    assert!(s.contains("L0 (commander) may decide"), "{s}");
    assert_eq!(s.matches(&approve).count(), 1, "once per waiting task: {s}");

    let socket = socket_of(&db);
    eventually("the control socket answers", || answers(&socket));
    run.child.kill().expect("SIGKILL");
    let _ = run.child.wait();
    assert!(socket.exists(), "a SIGKILL leaves the socket behind");
    assert!(!answers(&socket), "and nothing answers on it");
    drop(run);

    // The next run of the definition picks the unfinished run up and replaces the
    // stale socket with its own.
    let mut again = Running::start(&def, &db);
    assert_eq!(again.workflow_id(), id);
    again.wait_for(&approve);
    eventually("the new socket answers", || answers(&socket));
    // The printed command works from another shell, through the socket.
    let out = verb(&["approve", &id, "review", "--comment", "looks fine"], &db);
    ok(&out);
    assert_eq!(
        wait_exit(&mut again.child, LONG, "the approved run ends"),
        Some(0),
        "{}",
        again.stderr()
    );
    assert!(!socket.exists());
}

/// A debug run paused at a breakpoint says how to inspect, step or continue it, and
/// those commands work from another shell.
#[test]
fn a_breakpoint_prints_the_debug_commands() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("b.db");
    let def = write(
        dir.path(),
        "steps.yaml",
        r#"
workflow:
  id: steps
  tasks:
    - id: one
    - id: two
  runners:
    one:
      exec: {command: "echo '{\"one\": 1}'"}
    two:
      exec: {command: "echo '{\"two\": 2}'"}
"#,
    );
    let mut run = Running::start_with(&def, &db, &["--mode", "debug", "--breakpoint", "two"]);
    let id = run.workflow_id();
    let shown = db.display().to_string();
    let s = run.wait_for(&format!("baton continue {id} --db {shown}"));
    assert!(s.contains("two: the debug run paused before it"), "{s}");
    assert!(s.contains(&format!("baton step {id} --db {shown}")), "{s}");
    assert!(
        s.contains(&format!("baton inspect {id} --db {shown}")),
        "{s}"
    );
    let out = verb(&["inspect", &id], &db);
    assert!(ok(&out).contains("two"), "{}", text(&out));
    ok(&verb(&["continue", &id], &db));
    assert_eq!(
        wait_exit(&mut run.child, LONG, "the continued run ends"),
        Some(0),
        "{}",
        run.stderr()
    );
}

#[test]
fn start_says_what_will_run_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("b.db");
    let quick = write(
        dir.path(),
        "quick.yaml",
        "workflow:\n  id: quick\n  tasks:\n    - id: nap\n",
    );
    let unbound = write(
        dir.path(),
        "unbound.yaml",
        "workflow:\n  id: unbound\n  tasks:\n    - id: mystery\n",
    );
    let out = baton()
        .args(["def", "register"])
        .arg(&quick)
        .arg(&unbound)
        .arg("--db")
        .arg(&db)
        .output()
        .expect("register");
    ok(&out);

    // No engine on the database: the workflow is recorded, and the command says so.
    let out = verb(&["start", "quick"], &db);
    let recorded = ok(&out).trim().to_string();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "nothing runs it until `baton resume {recorded} --db {}",
            db.display()
        )),
        "{}",
        text(&out)
    );

    // A run holds the database: a start goes to it, and it runs there when that run has
    // a runner for every task type (`nap` is the sleeper's).
    let mut run = Running::start(&sleeper(dir.path()), &db);
    let id = run.workflow_id();
    eventually("the control socket answers", || answers(&socket_of(&db)));
    let out = verb(&["start", "quick"], &db);
    let started = ok(&out).trim().to_string();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("in the `baton run` process (pid"),
        "{}",
        text(&out)
    );
    eventually("the started workflow runs in the live process", || {
        status(&started, &db).contains("IN_PROGRESS")
    });

    // No runner there for `mystery`: refused up front, nothing recorded.
    let out = verb(&["start", "unbound"], &db);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("has no runner for task type `mystery`")
            && err.contains("nothing was started"),
        "{err}"
    );
    let listed = ok(&verb(&["list", "--name", "unbound"], &db));
    assert!(listed.trim().is_empty(), "{listed}");

    for w in [&id, &started] {
        ok(&verb(&["terminate", w], &db));
    }
    assert_eq!(wait_exit(&mut run.child, LONG, "the run ends"), Some(1));
}

/// A database path too long for a socket address: the socket lives in a private
/// directory, a pointer file beside the database names it, and both go at exit.
#[test]
fn a_long_database_path_uses_a_pointer_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let deep = dir.path().join("d".repeat(60)).join("e".repeat(60));
    std::fs::create_dir_all(&deep).expect("mkdir");
    let db = deep.join("b.db");
    let mut run = Running::start(&sleeper(dir.path()), &db);
    let id = run.workflow_id();
    let pointer = socket_of(&db);
    eventually("the pointer file is written", || pointer.is_file());
    let meta = std::fs::metadata(&pointer).expect("pointer");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let socket = PathBuf::from(
        std::fs::read_to_string(&pointer)
            .expect("read")
            .trim_end()
            .to_string(),
    );
    assert!(socket.as_os_str().len() < 108, "{}", socket.display());
    eventually("the socket answers", || answers(&socket));
    let private = socket.parent().expect("dir");
    let mode = std::fs::metadata(private)
        .expect("dir")
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "{} is private", private.display());

    let out = verb(&["pause", &id], &db);
    ok(&out);
    assert!(status(&id, &db).contains("PAUSED"));
    ok(&verb(&["terminate", &id], &db));
    assert_eq!(wait_exit(&mut run.child, LONG, "the run ends"), Some(1));
    assert!(!pointer.exists() && !socket.exists());
}
