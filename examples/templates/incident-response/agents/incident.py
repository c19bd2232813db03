#!/usr/bin/env python3
"""Agent of the incident-response template: detect an anomaly in a metrics file, page,
alert or log it, and write the incident report."""
import json
import os
import sys
import time


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def record(kind, inp):
    os.makedirs("incidents", exist_ok=True)
    path = os.path.join("incidents", f"{kind}.log")
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{now()} {kind}: {json.dumps(inp.get('anomaly'))}\n")
    return {"recorded": path}


def detect(inp):
    path, threshold = inp["source"], float(inp.get("threshold") or 0.8)
    try:
        with open(path, encoding="utf-8") as f:
            values = [float(line) for line in f if line.strip()]
    except (OSError, ValueError) as e:
        sys.exit(f"cannot read metrics from {path!r}: {e}")
    if not values:
        sys.exit(f"{path!r} holds no samples")
    peak = max(values)
    over = sum(1 for v in values if v > threshold)
    severity = "CRITICAL" if over >= 3 else "HIGH" if over >= 1 else "LOW"
    return {"severity": severity,
            "anomaly": {"source": path, "peak": peak, "over_threshold": over, "samples": len(values)}}


def report(inp):
    os.makedirs("incidents", exist_ok=True)
    body = {"at": now(), "severity": inp["severity"], "anomaly": inp["anomaly"]}
    path = os.path.join("incidents", "report.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(body, f, indent=2)
    return {"incident_report": path}


def main():
    task = json.load(sys.stdin)
    ref, inp = task["refName"], task.get("input") or {}
    handlers = {"detect_anomaly": detect, "generate_incident_report": report,
                "page_commander": lambda i: record("page", i),
                "alert_commander": lambda i: record("alert", i),
                "log_incident": lambda i: record("log", i)}
    json.dump(handlers[ref](inp), sys.stdout)


if __name__ == "__main__":
    main()
