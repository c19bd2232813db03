//! `baton top` in a real terminal (tmux) against a real `baton server` with running
//! workflows: it shows the runs, opens the details, pauses a run with P (and the
//! server says PAUSED), and quits with Q, leaving the terminal as it was.

mod common;

use common::{baton, ok, server};
use std::process::Command;
use std::time::{Duration, Instant};

const HUMAN: &str = "workflow:
  id: top_demo
  name: top_demo
  version: 1
  description: waits for a sign-off
  tasks:
    - id: prepare
      type: SET_VARIABLE
      input: {ready: true}
    - id: sign_off
      type: HUMAN
";

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "top"])
    }

    fn keys(&self, keys: &str) {
        self.run(&["send-keys", "-t", "top", keys]);
    }

    fn wait_for(&self, what: &str, cond: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if cond(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().args(["kill-server"]).output();
    }
}

fn statuses(url: &str) -> Vec<String> {
    ok(&baton()
        .args(["list", "--json", "--server", url])
        .output()
        .expect("list"))
    .lines()
    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    .map(|v| v["status"].as_str().unwrap_or_default().to_string())
    .collect()
}

#[test]
fn top_shows_runs_opens_details_pauses_and_quits_cleanly() {
    assert!(
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success()),
        "this test needs tmux (apt-get install tmux; .ci/run installs it)"
    );
    let dir = tempfile::tempdir().expect("tmp");
    let (mut child, url) = server(&dir.path().join("top.db"));
    let def = dir.path().join("top.yaml");
    std::fs::write(&def, HUMAN).expect("write");
    common::register(&url, &def);
    for _ in 0..3 {
        ok(&baton()
            .args(["start", "top_demo", "--server", &url])
            .output()
            .expect("start"));
    }
    let tmux = Tmux {
        socket: format!("baton-top-test-{}", std::process::id()),
    };
    let exit_file = dir.path().join("top.exit");
    let command = format!(
        "{} top --server {url}; echo $? > {}",
        env!("CARGO_BIN_EXE_baton"),
        exit_file.display()
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "top",
        "-x",
        "150",
        "-y",
        "40",
        &command,
    ]);
    tmux.run(&["set-option", "-t", "top", "remain-on-exit", "on"]);

    let screen = tmux.wait_for("three waiting runs", |s| {
        s.contains("baton top")
            && s.matches("top_demo v1").count() == 3
            && s.contains("HUMAN sign_off")
    });
    assert!(screen.contains("[Q]uit"), "the help line: {screen}");
    assert!(
        screen.contains('⏸'),
        "runs that wait for a person are marked: {screen}"
    );
    assert_eq!(
        tmux.run(&["display-message", "-p", "-t", "top", "#{alternate_on}"])
            .trim(),
        "1"
    );

    tmux.keys("Enter");
    tmux.wait_for("the details pane", |s| {
        s.contains("TASK") && s.contains("prepare") && s.contains("sign_off")
    });

    tmux.keys("p");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !statuses(&url).iter().any(|s| s == "PAUSED") {
        assert!(
            Instant::now() < deadline,
            "P did not pause a run on the server"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux.wait_for("the paused run on screen", |s| s.contains("PAUSED"));
    assert_eq!(
        statuses(&url).iter().filter(|s| *s == "PAUSED").count(),
        1,
        "exactly the selected run is paused"
    );

    // Close the details, move to a run that is still running, approve its HUMAN task.
    tmux.keys("Escape");
    tmux.keys("j");
    std::thread::sleep(Duration::from_millis(600));
    tmux.keys("a");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !statuses(&url).iter().any(|s| s == "COMPLETED") {
        assert!(
            Instant::now() < deadline,
            "A did not approve the sign-off: {}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux.wait_for("the approval on screen", |s| {
        s.contains("approved ") && s.contains("COMPLETED")
    });

    tmux.keys("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux
        .run(&["display-message", "-p", "-t", "top", "#{pane_dead}"])
        .trim()
        != "1"
    {
        assert!(
            Instant::now() < deadline,
            "Q did not quit: {}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let code = std::fs::read_to_string(&exit_file).expect("the exit status");
    assert_eq!(code.trim(), "0", "baton top exits 0");
    assert_eq!(
        tmux.run(&["display-message", "-p", "-t", "top", "#{alternate_on}"])
            .trim(),
        "0",
        "the terminal left the alternate screen"
    );
    assert!(
        !tmux.screen().contains("[R]efresh"),
        "the dashboard is gone from the restored screen"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// Without a terminal, `baton top` prints one snapshot and exits.
#[test]
fn top_without_a_terminal_prints_a_snapshot() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut child, url) = server(&dir.path().join("snap.db"));
    let def = dir.path().join("top.yaml");
    std::fs::write(&def, HUMAN).expect("write");
    common::register(&url, &def);
    ok(&baton()
        .args(["start", "top_demo", "--server", &url])
        .output()
        .expect("start"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let out = loop {
        let out = ok(&baton()
            .args(["top", "--server", &url])
            .output()
            .expect("top"));
        if out.contains("HUMAN sign_off") || Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        out.contains("top_demo v1") && out.contains("RUNNING"),
        "{out}"
    );
    assert!(out.contains("HUMAN sign_off"), "what it waits on: {out}");
    assert!(!out.contains("\x1b["), "no escape codes: {out:?}");
    let _ = child.kill();
    let _ = child.wait();
    // A local database, read directly (nothing holds it now).
    let local = ok(&baton()
        .args(["top", "--db"])
        .arg(dir.path().join("snap.db"))
        .output()
        .expect("top --db"));
    assert!(local.contains("top_demo v1"), "{local}");
}
