//! Every command in the header of every file in `examples/` works from the repository
//! root as written, and so does the README's first command; `baton validate` over the
//! folder checks definitions and runners files and skips the rest.

mod common;

use common::{ok, repo};
use std::process::{Command, Stdio};

/// The `baton ...` commands of a file's header comment (`\` continues a line).
fn header_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending: Option<String> = None;
    // The header ends at the first line of the definition itself; seed files open
    // with a banner that is not a comment, so skip lines that are neither.
    let header = text
        .lines()
        .take_while(|l| !l.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '{'));
    for line in header.filter(|l| l.starts_with('#')) {
        let body = line.trim_start_matches('#').trim();
        if let Some(mut cmd) = pending.take() {
            cmd.push(' ');
            cmd.push_str(body.trim_end_matches('\\').trim());
            if body.ends_with('\\') {
                pending = Some(cmd);
            } else {
                out.push(cmd);
            }
            continue;
        }
        if body.starts_with("baton ") {
            let cmd = body.trim_end_matches('\\').trim().to_string();
            if body.ends_with('\\') {
                pending = Some(cmd);
            } else {
                out.push(cmd);
            }
        }
    }
    out
}

fn run_line(line: &str, scratch: &std::path::Path, n: usize) -> std::process::Output {
    let bin = env!("CARGO_BIN_EXE_baton");
    let mut cmd = line
        .replacen("baton", bin, 1)
        .replace("/tmp/", &format!("{}/", scratch.display()));
    if line.starts_with("baton run ") {
        cmd.push_str(&format!(" --quiet --db {}/run{n}.db", scratch.display()));
    }
    Command::new("sh")
        .args(["-c", &cmd])
        .current_dir(repo())
        .stdin(Stdio::null())
        .output()
        .expect("sh")
}

#[test]
fn every_example_header_command_works_from_the_repository_root() {
    let scratch = tempfile::tempdir().expect("tmp");
    let mut files: Vec<_> = std::fs::read_dir(repo().join("examples"))
        .expect("examples")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut ran = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        let commands = header_commands(&text);
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".workflow.yaml") || name.ends_with(".stages.yaml") {
            assert!(
                commands.iter().any(|c| c.starts_with("baton run ")),
                "{name}: a definition's header shows the `baton run` command that runs it"
            );
        }
        for line in commands {
            ran += 1;
            let out = run_line(&line, scratch.path(), ran);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: `{line}` failed:\n{}\n{}",
                file.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    assert!(
        ran >= 10,
        "the examples' headers show their commands ({ran} found)"
    );
}

#[test]
fn the_readme_first_command_runs() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let line = readme
        .lines()
        .find_map(|l| l.strip_prefix("cargo run --bin baton -- "))
        .expect("the README's run command");
    let scratch = tempfile::tempdir().expect("tmp");
    let out = run_line(&format!("baton {line}"), scratch.path(), 0);
    let printed = ok(&out);
    assert!(printed.contains("Hello, Ada!"), "{printed}");
}

#[test]
fn validate_walks_a_folder_and_knows_runners_and_other_files() {
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["validate", "examples"])
        .current_dir(repo())
        .output()
        .expect("validate");
    let printed = ok(&out);
    assert!(
        printed
            .contains("ok: examples/inventory-validation.runners.yaml (runners file, 8 runners)"),
        "{printed}"
    );
    assert!(
        printed.contains("skipped: examples/policy.yaml (not a workflow definition"),
        "{printed}"
    );
    assert!(
        printed.contains("ok: examples/templates/multi-agent-deployment/workflow.stages.yaml"),
        "{printed}"
    );
    for (file, n) in [
        ("incident-response", 5),
        ("research-coordination", 4),
        ("station-deployment", 6),
        ("unified-pipeline", 7),
    ] {
        let line = format!("ok: examples/{file}.runners.yaml (runners file, {n} runners)");
        assert!(printed.contains(&line), "{line}\n{printed}");
    }
    assert!(!printed.contains("invalid:"), "{printed}");
    // A broken runners file is an error, found in a folder too.
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("runners.yaml"),
        "runners:\n  a: {exec: {}}\n",
    )
    .expect("write");
    let bad = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("validate")
        .arg(dir.path())
        .output()
        .expect("validate");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("exec needs a `command`"));
}
