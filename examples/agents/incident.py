#!/usr/bin/env python3
"""Agent for incident-response.workflow.yaml (every task).

Baton's exec runner hands the task as JSON on stdin ({"refName", "input", ...}) and reads
the task output as JSON from stdout; a non-zero exit fails the attempt (stderr is the
reason). detect_anomaly reads one sample per line from `source` and counts the samples
over `threshold`: three or more is CRITICAL, one or two HIGH, none LOW. The other tasks
only report what they did; nothing is written to disk.
"""
import json
import sys
import time


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def detect(inp):
    path, threshold = inp.get("source"), float(inp.get("threshold") or 0.8)
    try:
        with open(path, encoding="utf-8") as f:
            values = [float(line) for line in f if line.strip()]
    except (OSError, TypeError, ValueError) as e:
        sys.exit(f"cannot read metrics from {path!r}: {e}")
    if not values:
        sys.exit(f"{path!r} holds no samples")
    over = sum(1 for v in values if v > threshold)
    severity = "CRITICAL" if over >= 3 else "HIGH" if over >= 1 else "LOW"
    anomaly = {"source": path, "peak": max(values), "over_threshold": over,
               "samples": len(values)}
    return {"severity": severity, "anomaly": anomaly}


def notify(action):
    return lambda inp: {"action": action, "at": now(), "anomaly": inp.get("anomaly")}


def report(inp):
    return {"incident_report": {"at": now(), "severity": inp.get("severity"),
                                "anomaly": inp.get("anomaly")}}


HANDLERS = {
    "detect_anomaly": detect,
    "page_commander": notify("paged"),
    "alert_commander": notify("alerted"),
    "log_incident": notify("logged"),
    "generate_incident_report": report,
}


def main():
    task = json.load(sys.stdin)
    handler = HANDLERS.get(task["refName"])
    if handler is None:
        sys.exit(f"incident.py has no task {task['refName']!r}")
    json.dump(handler(task.get("input") or {}), sys.stdout)


if __name__ == "__main__":
    main()
