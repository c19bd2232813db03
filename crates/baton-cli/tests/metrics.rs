//! `GET /metrics` of a real `baton server` after a known workload, parsed with a
//! Prometheus text-format parser, with every count checked exactly.

mod common;

use common::{baton, ok, server};
use prometheus_parse::{Scrape, Value};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const WORK: &str = "workflow:
  id: metrics_demo
  name: metrics_demo
  version: 1
  tasks:
    - id: work
      type: SIMPLE
      retry_policy: {max_attempts: 2, backoff: fixed, initial_delay: 100ms}
";

const HUMAN: &str = "workflow:
  id: metrics_human
  name: metrics_human
  version: 1
  tasks:
    - id: sign_off
      type: HUMAN
";

fn scrape(url: &str) -> Scrape {
    let text = reqwest::blocking_get(&format!("{url}/metrics"));
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text format")
}

/// The value of `name` with exactly these labels (histograms: their observation count).
fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let want: HashMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    s.samples
        .iter()
        .find(|x| {
            x.metric == name && {
                let have: HashMap<String, String> = x
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                have == want
            }
        })
        .map(|x| match &x.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            Value::Summary(_) => f64::NAN,
        })
}

mod reqwest {
    //! A tiny blocking HTTP client over the CLI's async reqwest.
    use serde_json::Value;

    fn rt() -> tokio::runtime::Runtime {
        let _ = rustls::crypto::ring::default_provider().install_default();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    pub fn blocking_get(url: &str) -> String {
        rt().block_on(async {
            let r = ::reqwest::get(url).await.expect("GET");
            assert!(r.status().is_success(), "GET {url}: {}", r.status());
            r.text().await.expect("body")
        })
    }

    pub fn get_json(url: &str) -> Value {
        serde_json::from_str(&blocking_get(url)).expect("JSON")
    }

    pub fn post_json(url: &str, body: &Value) {
        rt().block_on(async {
            let r = ::reqwest::Client::new()
                .post(url)
                .json(body)
                .send()
                .await
                .expect("POST");
            assert!(r.status().is_success(), "POST {url}: {}", r.status());
        });
    }
}

#[test]
fn metrics_count_a_known_workload_exactly() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut child, url) = server(&dir.path().join("m.db"));
    for (file, text) in [("work.yaml", WORK), ("human.yaml", HUMAN)] {
        let path = dir.path().join(file);
        std::fs::write(&path, text).expect("write");
        common::register(&url, &path);
    }
    for _ in 0..3 {
        ok(&baton()
            .args(["start", "metrics_demo", "--server", &url])
            .output()
            .expect("start"));
    }
    ok(&baton()
        .args(["start", "metrics_human", "--server", &url])
        .output()
        .expect("start"));

    let before = scrape(&url);
    assert_eq!(
        value(
            &before,
            "baton_workflows_started_total",
            &[("workflow", "metrics_demo")]
        ),
        Some(3.0)
    );
    assert_eq!(
        value(&before, "baton_queue_depth", &[("task_type", "work")]),
        Some(3.0),
        "three attempts wait"
    );
    assert!(
        value(
            &before,
            "baton_queue_oldest_age_seconds",
            &[("task_type", "work")]
        )
        .is_some()
    );

    // A worker: every first attempt fails, every retry completes.
    let (mut polls, mut done) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while done < 3 {
        assert!(Instant::now() < deadline, "the workload did not finish");
        polls += 1;
        let tasks = reqwest::get_json(&format!(
            "{url}/api/tasks/poll/batch/work?count=10&timeout=500&workerid=w1"
        ));
        for t in tasks.as_array().expect("a list") {
            let first = t["retryCount"] == json!(0);
            if !first {
                done += 1;
            }
            reqwest::post_json(
                &format!("{url}/api/tasks"),
                &json!({
                    "workflowInstanceId": t["workflowInstanceId"],
                    "taskId": t["taskId"],
                    "status": if first { "FAILED" } else { "COMPLETED" },
                    "reasonForIncompletion": if first { Json::from("try again") } else { Json::Null },
                    "outputData": {"ok": !first},
                }),
            );
        }
    }
    // The last result is applied before the POST returns; the workflows end with it.
    let after = scrape(&url);
    let v = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels);
    assert_eq!(
        v(
            "baton_workflows_started_total",
            &[("workflow", "metrics_demo")]
        ),
        Some(3.0)
    );
    assert_eq!(
        v(
            "baton_workflows_started_total",
            &[("workflow", "metrics_human")]
        ),
        Some(1.0)
    );
    assert_eq!(
        v(
            "baton_workflows_ended_total",
            &[("workflow", "metrics_demo"), ("status", "COMPLETED")]
        ),
        Some(3.0)
    );
    assert_eq!(
        v(
            "baton_workflow_duration_seconds",
            &[("workflow", "metrics_demo")]
        ),
        Some(3.0),
        "three durations observed"
    );
    assert_eq!(
        v(
            "baton_tasks_ended_total",
            &[("task_type", "work"), ("status", "FAILED")]
        ),
        Some(3.0)
    );
    assert_eq!(
        v(
            "baton_tasks_ended_total",
            &[("task_type", "work"), ("status", "COMPLETED")]
        ),
        Some(3.0)
    );
    assert_eq!(
        v("baton_task_duration_seconds", &[("task_type", "work")]),
        Some(6.0)
    );
    assert_eq!(
        v("baton_task_retries_total", &[("task_type", "work")]),
        Some(3.0)
    );
    assert_eq!(
        v("baton_poll_requests_total", &[("task_type", "work")]),
        Some(f64::from(polls))
    );
    assert_eq!(
        v("baton_queue_depth", &[("task_type", "work")]),
        Some(0.0),
        "all done"
    );
    assert_eq!(
        v("baton_human_waiting", &[]),
        Some(1.0),
        "the HUMAN sign-off waits"
    );
    assert!(v("baton_store_commit_seconds", &[]).is_some_and(|n| n >= 1.0));
    assert!(v("baton_store_batch_size", &[]).is_some_and(|n| n >= 1.0));
    // No ids in labels: every label value is a definition or task name, or a status.
    for s in &after.samples {
        for (_, value) in s.labels.iter() {
            assert!(
                !value.contains("-t"),
                "{}: an id in a label: {value}",
                s.metric
            );
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}
