#!/usr/bin/env python3
"""Agent for research-coordination.workflow.yaml (every task).

Each research task answers `question` for its `topic` from the small notes below and
returns them as `findings_<topic key>` (the key its task declares); aggregate_findings
joins the three into one summary. Task JSON on stdin, output JSON on stdout.
"""
import json
import sys

NOTES = {
    "git hooks": ["run locally on commit or push", "can block a change before it lands",
                  "not versioned with the repository unless a tool installs them"],
    "file watchers": ["react to changes within milliseconds", "miss events when the queue "
                      "overflows, so a periodic rescan is still needed"],
    "byzantine fault tolerance": ["tolerates f faulty nodes out of 3f+1",
                                  "costs quadratic messages per decision in classic PBFT"],
}


def research(ref, inp):
    topic = inp.get("topic")
    if topic not in NOTES:
        sys.exit(f"no notes on topic {topic!r} (known: {', '.join(NOTES)})")
    key = "findings_" + ref.removeprefix("research_")
    return {key: {"topic": topic, "question": inp.get("question"), "points": NOTES[topic]}}


def aggregate(inp):
    parts = [inp.get(k) for k in ("git_hooks", "file_watchers", "bft")]
    missing = [k for k, v in zip(("git_hooks", "file_watchers", "bft"), parts) if not v]
    if missing:
        sys.exit(f"aggregate_findings is missing findings: {', '.join(missing)}")
    lines = [f"{p['topic']}: {'; '.join(p['points'])}" for p in parts]
    return {"summary": {"question": parts[0].get("question"), "findings": lines}}


def main():
    task = json.load(sys.stdin)
    ref, inp = task["refName"], task.get("input") or {}
    if ref.startswith("research_"):
        out = research(ref, inp)
    elif ref == "aggregate_findings":
        out = aggregate(inp)
    else:
        sys.exit(f"research.py has no task {ref!r}")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
