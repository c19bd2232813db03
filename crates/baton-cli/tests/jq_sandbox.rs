//! The jq sandbox with the real `baton __jq-worker`: runaway programs fail their task
//! with the limit they hit, and the worker that ran them is gone afterwards.

use baton_runners::jq::{JqRunner, JqSandbox, MAX_IDLE_WORKERS};
use baton_runners::{Runner, TaskOutcome, TaskRequest};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Generous: a noisy 2-core machine must never make these tests fail.
const UPPER_BOUND: Duration = Duration::from_secs(30);

fn runner(deadline: Duration) -> JqRunner {
    JqRunner::with_sandbox(
        deadline,
        JqSandbox::baton_worker(env!("CARGO_BIN_EXE_baton")),
    )
}

fn request(program: &str) -> TaskRequest {
    TaskRequest {
        workflow_id: "wf".into(),
        task_id: "t".into(),
        ref_name: "jq".into(),
        task_type: "JSON_JQ_TRANSFORM".into(),
        queue: "JSON_JQ_TRANSFORM".into(),
        attempt: 0,
        input: json!({"queryExpression": program, "a": 1}),
        agent_level: None,
    }
}

/// Runs one program, noting the worker processes the runner holds while it runs.
async fn run_watched(
    runner: &JqRunner,
    program: &str,
    cancel: CancellationToken,
) -> (TaskOutcome, BTreeSet<u32>) {
    let mut run = runner.run(request(program), cancel);
    let mut seen = BTreeSet::new();
    let started = Instant::now();
    loop {
        tokio::select! {
            outcome = &mut run => return (outcome, seen),
            () = tokio::time::sleep(Duration::from_millis(5)) => {
                seen.extend(runner.worker_pids());
                assert!(started.elapsed() < UPPER_BOUND, "{program} did not end");
            }
        }
    }
}

/// Whether a process is a live (or zombie) jq worker.
fn is_worker(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|c| String::from_utf8_lossy(&c).contains("__jq-worker"))
}

fn reason(outcome: &TaskOutcome) -> String {
    match outcome {
        TaskOutcome::Failed {
            reason, terminal, ..
        } => {
            assert!(!terminal, "limits are retryable failures: {reason}");
            assert_eq!(outcome.output()["error"], json!(reason));
            reason.clone()
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// Runs `program` and checks it fails with `expected` and leaves no worker behind.
async fn fails_and_cleans_up(runner: &JqRunner, program: &str, expected: &str) {
    let started = Instant::now();
    let (outcome, seen) = run_watched(runner, program, CancellationToken::new()).await;
    assert_eq!(reason(&outcome), expected, "{program}");
    assert!(started.elapsed() < UPPER_BOUND, "{program}");
    assert!(
        runner.worker_pids().is_empty(),
        "{program}: a failed worker is not kept"
    );
    for pid in seen {
        assert!(!is_worker(pid), "{program}: worker {pid} is still there");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_recursion_is_a_stack_overflow_of_the_worker_only() {
    // A long deadline: the overflow, not the clock, must end it.
    let jq = runner(Duration::from_secs(20));
    fails_and_cleans_up(
        &jq,
        "def f: 1 + f; f",
        "jq program recursed too deeply (stack overflow)",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_programs_are_stopped_at_the_deadline() {
    let jq = runner(Duration::from_secs(1));
    for program in ["last(repeat(1))", "repeat(empty)", "def f: f; f"] {
        fails_and_cleans_up(&jq, program, "jq program did not finish within 1s").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runaway_allocation_hits_the_memory_limit() {
    let jq = runner(Duration::from_secs(20));
    for program in [
        "[range(1e9)]",
        "\"a\" | until(length > 1e10; . + .)",
        "reduce range(100) as $i (\"a\"; . + .)",
    ] {
        fails_and_cleans_up(
            &jq,
            program,
            "jq program exceeded its memory limit of 256 MiB",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_answer_is_refused() {
    let jq = runner(Duration::from_secs(20));
    // A 32 MiB string: within the memory limit, over the 16 MiB answer limit.
    fails_and_cleans_up(
        &jq,
        "reduce range(25) as $i (\"a\"; . + .)",
        "jq program's output is too large (more than 16 MiB of JSON)",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canceled_program_stops_its_worker() {
    let jq = runner(Duration::from_secs(600));
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let (outcome, seen) = run_watched(&jq, "last(repeat(1))", cancel).await;
    assert_eq!(outcome.reason(), Some("canceled"));
    assert!(started.elapsed() < UPPER_BOUND);
    assert!(!seen.is_empty(), "the program ran in a worker");
    assert!(jq.worker_pids().is_empty());
    for pid in seen {
        assert!(!is_worker(pid), "worker {pid} is still there");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_are_reused_and_a_failed_one_is_replaced() {
    let jq = runner(Duration::from_secs(20));
    let mut pids = BTreeSet::new();
    for i in 0..5 {
        let program = format!(".a + {i}");
        let (outcome, _) = run_watched(&jq, &program, CancellationToken::new()).await;
        match outcome {
            TaskOutcome::Completed { output } => assert_eq!(output["result"], json!(1 + i)),
            other => panic!("{program}: {other:?}"),
        }
        pids.extend(jq.worker_pids());
    }
    assert_eq!(pids.len(), 1, "one worker served every program: {pids:?}");

    // jq's own errors keep the worker: they are answers, not failures of the sandbox.
    let (outcome, _) = run_watched(&jq, "error(\"custom\")", CancellationToken::new()).await;
    assert!(
        outcome.reason().is_some_and(|r| r.contains("custom")),
        "{outcome:?}"
    );
    assert_eq!(jq.worker_pids().into_iter().collect::<BTreeSet<_>>(), pids);

    fails_and_cleans_up(
        &jq,
        "def f: 1 + f; f",
        "jq program recursed too deeply (stack overflow)",
    )
    .await;
    let (outcome, _) = run_watched(&jq, "[.a, 2]", CancellationToken::new()).await;
    assert_eq!(
        outcome,
        TaskOutcome::completed(json!({"result": [1, 2], "resultList": [[1, 2]]}))
    );
    let fresh = jq.worker_pids();
    assert!(
        fresh.len() == 1 && !pids.contains(&fresh[0]),
        "a new worker: {fresh:?}"
    );

    // Many at once: every answer is right, and only a few workers stay.
    let mut set = tokio::task::JoinSet::new();
    for i in 0..24 {
        let jq = jq.clone();
        set.spawn(async move {
            let program = format!("[range(0; 2000)] | length + {i}");
            (i, jq.run(request(&program), CancellationToken::new()).await)
        });
    }
    while let Some(joined) = set.join_next().await {
        let (i, outcome) = joined.expect("no panic");
        assert_eq!(outcome.output()["result"], json!(2000 + i), "{outcome:?}");
    }
    assert!(jq.worker_pids().len() <= MAX_IDLE_WORKERS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_runner_ends_its_idle_workers() {
    let jq = runner(Duration::from_secs(20));
    let (outcome, _) = run_watched(&jq, ".", CancellationToken::new()).await;
    assert!(outcome.is_completed(), "{outcome:?}");
    let pids = jq.worker_pids();
    assert_eq!(pids.len(), 1);
    drop(jq);
    let started = Instant::now();
    while pids.iter().any(|p| is_worker(*p)) {
        assert!(started.elapsed() < UPPER_BOUND, "idle worker left behind");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn the_worker_answers_line_by_line_and_exits_when_stdin_closes() {
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("__jq-worker")
        .env_clear()
        .env("MIMALLOC_ARENA_EAGER_COMMIT", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the worker");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut ask = |line: &str| {
        writeln!(stdin, "{line}").expect("write");
        let mut answer = String::new();
        stdout.read_line(&mut answer).expect("read");
        serde_json::from_str::<Value>(&answer).expect("a JSON answer")
    };
    assert_eq!(
        ask(r#"{"program": ".a * 2", "input": {"a": 21}}"#),
        json!({"outputs": [42]})
    );
    assert_eq!(
        ask(r#"{"program": "env", "input": null}"#)["failed"]["kind"],
        "compile"
    );
    // A program that never ends does not keep the worker once its stdin closes.
    writeln!(stdin, r#"{{"program": "last(repeat(1))", "input": null}}"#).expect("write");
    drop(stdin);
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            started.elapsed() < UPPER_BOUND,
            "the worker outlived its stdin"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
