//! Results: one row per workload run, printed as a table and written as JSON.

use crate::sys::Machine;
use anyhow::Context;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// The figures of one workload run (all checks passed, or there would be no result).
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    /// `W1` .. `W4`.
    pub workload: String,
    /// `embedded` or `http`.
    pub mode: String,
    /// Workflows run.
    pub n: usize,
    /// Worker steps (SIMPLE tasks) per workflow.
    pub steps_per_workflow: usize,
    /// Worker steps run in all.
    pub steps: u64,
    /// From the first start to the last completion, in seconds.
    pub wall_s: f64,
    /// Workflows completed per second.
    pub workflows_per_s: f64,
    /// Worker steps completed per second.
    pub steps_per_s: f64,
    /// Median end-to-end workflow latency (W3), ms.
    pub p50_ms: Option<f64>,
    /// 99th percentile end-to-end workflow latency (W3), ms.
    pub p99_ms: Option<f64>,
    /// Median per-step latency (W3), ms.
    pub step_p50_ms: Option<f64>,
    /// 99th percentile per-step latency (W3), ms.
    pub step_p99_ms: Option<f64>,
    /// Peak resident set size of the benchmark process (engine, store, server), MiB.
    pub peak_rss_mib: Option<f64>,
    /// Database plus WAL size at the end, MiB.
    pub db_mib: f64,
    /// Times the completion tracker fell behind the event stream and re-read the store.
    pub tracker_resyncs: u64,
}

/// Everything one invocation measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Where.
    pub machine: Machine,
    /// SQLite settings the store ran with.
    pub durability: String,
    /// One row per run.
    pub results: Vec<BenchResult>,
}

fn opt(v: Option<f64>, prec: usize) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.prec$}"))
}

impl Report {
    /// The results as an aligned text table.
    pub fn table(&self) -> String {
        let head = [
            "workload", "mode", "n", "wall s", "wf/s", "steps/s", "p50 ms", "p99 ms", "step p50",
            "step p99", "RSS MiB", "db MiB",
        ];
        let rows: Vec<[String; 12]> = self
            .results
            .iter()
            .map(|r| {
                [
                    r.workload.clone(),
                    r.mode.clone(),
                    r.n.to_string(),
                    format!("{:.2}", r.wall_s),
                    format!("{:.0}", r.workflows_per_s),
                    format!("{:.0}", r.steps_per_s),
                    opt(r.p50_ms, 2),
                    opt(r.p99_ms, 2),
                    opt(r.step_p50_ms, 3),
                    opt(r.step_p99_ms, 3),
                    opt(r.peak_rss_mib, 1),
                    format!("{:.1}", r.db_mib),
                ]
            })
            .collect();
        let mut width = head.map(str::len);
        for row in &rows {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: &[String]| {
            let parts: Vec<String> = cells
                .iter()
                .zip(width)
                .enumerate()
                .map(|(i, (c, w))| {
                    if i < 2 {
                        format!("{c:<w$}")
                    } else {
                        format!("{c:>w$}")
                    }
                })
                .collect();
            let _ = writeln!(out, "{}", parts.join("  ").trim_end());
        };
        line(&mut out, &head.map(String::from));
        for row in &rows {
            line(&mut out, row);
        }
        out
    }

    /// Writes the report as pretty JSON to `path`.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> BenchResult {
        BenchResult {
            workload: "W1".into(),
            mode: "embedded".into(),
            n: 1000,
            steps_per_workflow: 10,
            steps: 10_000,
            wall_s: 2.0,
            workflows_per_s: 500.0,
            steps_per_s: 5000.0,
            p50_ms: None,
            p99_ms: None,
            step_p50_ms: Some(0.25),
            step_p99_ms: None,
            peak_rss_mib: Some(42.0),
            db_mib: 3.25,
            tracker_resyncs: 0,
        }
    }

    #[test]
    fn table_has_a_header_and_one_aligned_line_per_result() {
        let r = Report {
            machine: Machine::read(),
            durability: "WAL, synchronous=FULL".into(),
            results: vec![row(), row()],
        };
        let t = r.table();
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("workload"));
        assert!(
            lines[1].contains("5000") && lines[1].contains("0.250") && lines[1].contains(" - ")
        );
        assert_eq!(lines[1], lines[2]);
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("r.json");
        r.write_json(&p).expect("json");
        let back: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("parse");
        assert_eq!(back["results"][0]["steps_per_s"], 5000.0);
    }
}
