//! The usual first-hour mistakes get a clear answer and change nothing: misspelt or
//! JSON-shaped inputs, a different input for an unfinished run, an unknown definition,
//! operator verbs on a database that does not exist; and shell completions exist.

mod common;

use common::{baton, ok};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

const GREET: &str = "workflow:
  id: greet
  name: greet
  version: 1
  input:
    required: [name]
  tasks:
    - id: hi
      type: SET_VARIABLE
      input: {who: \"${workflow.input.name}\"}
    - id: ask
      type: HUMAN
";

fn in_dir(dir: &Path, args: &[&str]) -> Output {
    baton().current_dir(dir).args(args).output().expect("baton")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn inputs_are_never_silently_dropped() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::write(root.join("greet.yaml"), GREET).expect("write");

    let typo = in_dir(
        root,
        &["run", "greet.yaml", "--input", "nme=Ada", "--db", "a.db"],
    );
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("no input `nme`; did you mean `name`?"),
        "{}",
        stderr(&typo)
    );
    assert!(!root.join("a.db").exists(), "nothing was recorded");

    let json = in_dir(
        root,
        &[
            "run",
            "greet.yaml",
            "--input",
            "{\"name\": \"Ada\"}",
            "--db",
            "a.db",
        ],
    );
    assert_eq!(json.status.code(), Some(2));
    assert!(stderr(&json).contains("--input-file"), "{}", stderr(&json));

    // `name = Ada` is trimmed, and a YAML input file works; both runs wait at `ask`.
    std::fs::write(root.join("in.yaml"), "name: Bo\n").expect("write");
    for (args, db) in [
        (vec!["--input", "name = Ada"], "b.db"),
        (vec!["--input-file", "in.yaml"], "c.db"),
    ] {
        let mut cmd = baton();
        cmd.current_dir(root)
            .args(["run", "greet.yaml", "--db", db])
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run");
        let deadline = Instant::now() + Duration::from_secs(20);
        let who = loop {
            let list = in_dir(root, &["list", "--json", "--db", db]);
            let line = String::from_utf8_lossy(&list.stdout)
                .lines()
                .next()
                .map(str::to_string);
            if let Some(line) = line {
                let v: serde_json::Value = serde_json::from_str(&line).expect("json");
                let id = v["workflowId"].as_str().unwrap_or_default().to_string();
                let view: serde_json::Value = serde_json::from_str(&ok(&in_dir(
                    root,
                    &["status", &id, "--json", "--db", db],
                )))
                .expect("json");
                if view["tasks"].as_array().is_some_and(|t| t.len() >= 2) {
                    break view["input"]["name"].clone();
                }
            }
            assert!(Instant::now() < deadline, "the run did not reach `ask`");
            std::thread::sleep(Duration::from_millis(100));
        };
        assert_eq!(
            who,
            serde_json::json!(if db == "b.db" { "Ada" } else { "Bo" })
        );
        let pid = child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status();
        let _ = child.wait();
    }

    // A different input for the unfinished run on b.db is refused, not ignored.
    let clash = in_dir(
        root,
        &["run", "greet.yaml", "--input", "name=Cy", "--db", "b.db"],
    );
    assert_eq!(clash.status.code(), Some(2), "{}", stderr(&clash));
    let err = stderr(&clash);
    assert!(
        err.contains("unfinished run") && err.contains("--new") && err.contains("baton resume"),
        "{err}"
    );
}

#[test]
fn unknown_names_and_missing_databases_get_clear_answers() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::write(root.join("greet.yaml"), GREET).expect("write");
    ok(&in_dir(
        root,
        &["def", "register", "greet.yaml", "--db", "s.db"],
    ));
    let unknown = in_dir(root, &["start", "gret", "--db", "s.db"]);
    assert_eq!(unknown.status.code(), Some(2));
    let err = stderr(&unknown);
    assert!(
        err.contains("did you mean `greet`?") && err.contains("registered: greet"),
        "{err}"
    );

    for args in [
        vec!["resume", "abc"],
        vec!["pause", "abc"],
        vec!["terminate", "abc"],
        vec!["approve", "abc", "ask"],
        vec!["status", "abc"],
        vec!["logs", "abc"],
        vec!["list"],
        vec!["inspect", "abc"],
        vec!["rerun", "abc"],
        vec!["step", "abc"],
        vec!["top"],
    ] {
        let out = in_dir(root, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("no database at `baton.db`"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            !root.join("baton.db").exists(),
            "{args:?} created a database"
        );
    }
}

#[test]
fn shell_completions_are_printed() {
    for (shell, marker) in [
        ("bash", "_baton()"),
        ("zsh", "#compdef baton"),
        ("fish", "complete -c baton"),
    ] {
        let out = ok(&baton()
            .args(["completions", shell])
            .output()
            .expect("completions"));
        assert!(
            out.contains(marker),
            "{shell}: {}",
            &out[..out.len().min(200)]
        );
        assert!(out.contains("resume"), "{shell} completes subcommands");
    }
}

#[test]
fn start_wait_follows_a_server_run_and_the_server_logs_each_request() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("server.log");
    let mut server = baton()
        .args([
            "server",
            "--bind",
            "127.0.0.1:0",
            "--insecure-no-auth",
            "--db",
        ])
        .arg(dir.path().join("w.db"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("server");
    let deadline = Instant::now() + Duration::from_secs(20);
    let url = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(u) = text.split_whitespace().find(|w| w.starts_with("http://")) {
            break u.to_string();
        }
        assert!(Instant::now() < deadline, "no URL announced: {text}");
        std::thread::sleep(Duration::from_millis(50));
    };
    ok(&baton()
        .current_dir(common::repo())
        .args([
            "def",
            "register",
            "examples/hello.workflow.json",
            "--server",
            &url,
        ])
        .output()
        .expect("register"));
    let out = baton()
        .args([
            "start", "hello", "-i", "name=Ada", "--wait", "--server", &url,
        ])
        .output()
        .expect("start --wait");
    let printed = ok(&out);
    assert!(
        printed.contains("Hello, Ada!"),
        "the output once it ended: {printed}"
    );
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.lines()
            .any(|l| l.contains("INFO") && l.contains("POST /api/workflow 200")),
        "one line per request with method, path and status: {text}"
    );
    assert!(
        !text.contains('\x1b'),
        "no colour codes in a log file: {text:?}"
    );
    let _ = server.kill();
    let _ = server.wait();

    // Locally, with nothing to run it, --wait is refused before anything is recorded.
    let root = dir.path();
    std::fs::write(root.join("greet.yaml"), GREET).expect("write");
    ok(&in_dir(
        root,
        &["def", "register", "greet.yaml", "--db", "l.db"],
    ));
    let refused = in_dir(
        root,
        &["start", "greet", "-i", "name=Ada", "--wait", "--db", "l.db"],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("never end"),
        "{}",
        stderr(&refused)
    );
    let listed = ok(&in_dir(root, &["list", "--json", "--db", "l.db"]));
    assert!(listed.trim().is_empty(), "nothing was started: {listed}");
}

#[test]
fn run_shows_warnings_undeclared_outputs_and_unused_bindings_and_strict_refuses() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::write(
        root.join("w.yaml"),
        "workflow:
  id: warny
  name: warny
  version: 1
  tasks:
    - id: scan_files
      type: SET_VARIABLE
      input: {x: 1}
      output: [file_list]
    - id: use
      type: SET_VARIABLE
      input: {files: \"${scan_files.output.file_lst}\"}
",
    )
    .expect("write");
    std::fs::write(
        root.join("r.yaml"),
        "runners:\n  scan_flies: {exec: {command: [\"true\"]}}\n",
    )
    .expect("write");
    let out = in_dir(
        root,
        &[
            "run",
            "w.yaml",
            "--runners",
            "r.yaml",
            "--quiet",
            "--db",
            "a.db",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "warnings do not stop a run");
    let err = stderr(&out);
    assert!(
        err.contains("BT0127") && err.contains("did you mean `file_list`?"),
        "{err}"
    );
    assert!(
        err.contains("runner `scan_flies`") && err.contains("no task"),
        "{err}"
    );
    let strict = in_dir(root, &["run", "w.yaml", "--strict", "--db", "b.db"]);
    assert_eq!(strict.status.code(), Some(2));
    assert!(stderr(&strict).contains("--strict"), "{}", stderr(&strict));
    assert!(!root.join("b.db").exists(), "nothing ran");
    let validate = in_dir(root, &["validate", "--strict", "w.yaml"]);
    assert_eq!(validate.status.code(), Some(1));
}

#[test]
fn tasks_and_definitions_are_named_as_people_name_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    let hello = common::repo().join("examples/hello.workflow.json");
    let db = root.join("h.db");
    let out = baton()
        .args(["run"])
        .arg(&hello)
        .args(["--input", "name=Ada", "--quiet", "--db"])
        .arg(&db)
        .output()
        .expect("run");
    ok(&out);
    let list = ok(&baton()
        .args(["list", "--json", "--db"])
        .arg(&db)
        .output()
        .expect("list"));
    let id = serde_json::from_str::<serde_json::Value>(list.lines().next().expect("a run"))
        .expect("json")["workflowId"]
        .as_str()
        .expect("id")
        .to_string();
    // rerun --from-task takes the task's reference name.
    let rerun = baton()
        .args(["rerun", &id, "--from-task", "shape", "--db"])
        .arg(&db)
        .output()
        .expect("rerun");
    assert_eq!(rerun.status.code(), Some(0), "{}", stderr(&rerun));
    let typo = baton()
        .args(["rerun", &id, "--from-task", "shap", "--db"])
        .arg(&db)
        .output()
        .expect("rerun");
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("did you mean `shape`?"),
        "{}",
        stderr(&typo)
    );

    // A native definition starts by its `id:` or its `name:`.
    std::fs::write(
        root.join("inv.yaml"),
        "workflow:\n  id: inv-check\n  name: Inventory Check\n  version: 1\n  tasks:\n    - id: ask\n      type: HUMAN\n",
    )
    .expect("write");
    ok(&in_dir(
        root,
        &["def", "register", "inv.yaml", "--db", "n.db"],
    ));
    for name in ["inv-check", "Inventory Check"] {
        let started = in_dir(root, &["start", name, "--db", "n.db"]);
        assert_eq!(
            started.status.code(),
            Some(0),
            "{name}: {}",
            stderr(&started)
        );
    }
}

#[test]
fn each_operator_verb_helps_with_its_own_flags_and_examples() {
    let help = |verb: &str| ok(&baton().args([verb, "--help"]).output().expect("help"));
    for verb in ["pause", "restart", "retry"] {
        let h = help(verb);
        assert!(
            !h.contains("--reason") && !h.contains("--from-task"),
            "{verb}: {h}"
        );
        assert!(
            h.contains("Examples:") && h.contains(&format!("baton {verb} ID")),
            "{verb}: {h}"
        );
    }
    let t = help("terminate");
    assert!(t.contains("--reason") && !t.contains("--from-task"), "{t}");
    let r = help("rerun");
    assert!(r.contains("--from-task") && !r.contains("--reason"), "{r}");
}

/// A block indented one level too little leaves the task's input empty: `run` says so
/// before it starts, and `--strict` refuses to run it.
#[test]
fn a_mis_indented_input_is_reported_before_the_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::write(
        root.join("mis.yaml"),
        "workflow:
  id: mis
  name: mis
  version: 1
  input:
    optional:
      - folder: \"files\"
  tasks:
    - id: scan
      type: SET_VARIABLE
      input:
      path: \"${workflow.input.folder}\"
",
    )
    .expect("write");
    let out = in_dir(root, &["run", "mis.yaml", "--quiet", "--db", "a.db"]);
    let err = stderr(&out);
    assert!(
        err.contains("unknown field `path`") && err.contains("indent it under `input:`"),
        "{err}"
    );
    let strict = in_dir(root, &["run", "mis.yaml", "--strict", "--db", "b.db"]);
    assert_eq!(strict.status.code(), Some(2));
    assert!(!root.join("b.db").exists());
}

/// `baton … | head -1`: output to a reader that has gone away ends the command quietly
/// with its usual exit code, never with a panic (exit 101), whichever stream is closed.
#[test]
fn no_command_panics_when_its_output_is_closed() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    let repo = common::repo();
    let hello = repo.join("examples/hello.workflow.json");
    let hello = hello.to_str().expect("utf-8");
    std::fs::write(root.join("bad.json"), "{\"name\":").expect("write");
    ok(&in_dir(
        root,
        &["run", hello, "-i", "name=Ada", "--db", "l.db"],
    ));
    let listed = ok(&in_dir(root, &["list", "--json", "--db", "l.db"]));
    let id = listed
        .split('"')
        .find(|s| s.len() == 36 && s.matches('-').count() == 4)
        .unwrap_or_else(|| panic!("a workflow id in {listed}"))
        .to_string();
    let examples = repo.join("examples");
    let examples = examples.to_str().expect("utf-8");
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["run", "bad.json"], 2),
        (
            vec!["run", hello, "-i", "name=Bo", "--new", "--db", "l.db"],
            0,
        ),
        (vec!["validate", examples], 0),
        (vec!["validate", examples, "--json"], 0),
        (vec!["completions", "bash"], 0),
        (vec!["--help"], 0),
        (vec!["run", "--help"], 0),
        (vec!["logs", &id, "--db", "l.db"], 0),
        (vec!["status", &id, "--db", "l.db"], 0),
        (vec!["list", "--db", "l.db"], 0),
        (vec!["status", "nope", "--db", "l.db"], 2),
    ];
    for (args, code) in cases {
        for closed in ["stdout", "stderr", "both"] {
            let (reader, writer) = std::io::pipe().expect("pipe");
            drop(reader);
            let mut cmd = baton();
            cmd.current_dir(root).args(&args).stdin(Stdio::null());
            let out = match closed {
                "stdout" => cmd
                    .stdout(writer)
                    .stderr(Stdio::piped())
                    .output()
                    .expect("baton"),
                "stderr" => cmd
                    .stderr(writer)
                    .stdout(Stdio::piped())
                    .output()
                    .expect("baton"),
                _ => cmd
                    .stdout(writer.try_clone().expect("clone"))
                    .stderr(writer)
                    .output()
                    .expect("baton"),
            };
            let shown = stderr(&out);
            assert!(
                !shown.contains("panicked"),
                "{args:?} ({closed} closed): {shown}"
            );
            assert_ne!(out.status.code(), Some(101), "{args:?} ({closed} closed)");
            // A closed stdout ends a command early and quietly (exit 0); otherwise it
            // ends as it would have.
            let expected = if closed == "stderr" {
                vec![code]
            } else {
                vec![code, 0]
            };
            assert!(
                out.status.code().is_some_and(|c| expected.contains(&c)),
                "{args:?} ({closed} closed): exit {:?}, expected {expected:?}: {shown}",
                out.status.code()
            );
        }
    }
}
