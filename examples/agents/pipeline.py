#!/usr/bin/env python3
"""Agent for unified-pipeline.stages.yaml (every task, whatever its agent).

The seed's stages carry no inputs, so each step reports the queue it ran on
(`<agent>.<action>`, in BATON_QUEUE and the task's "queue") and what it stands for.
Task JSON on stdin, output JSON on stdout.
"""
import json
import sys

STEPS = {
    "python.data_preprocessing": "cleaned and batched the input records",
    "rust.resource_allocation": "reserved workers and memory",
    "go.service_startup": "started the serving endpoints",
    "ai_model.inference": "scored every batch",
    "worker.post_processing": "merged the scores",
    "storage.persist_results": "stored the results",
    "notification.send_alerts": "told the subscribers",
}


def main():
    task = json.load(sys.stdin)
    queue = task.get("queue")
    if queue not in STEPS:
        sys.exit(f"pipeline.py has no step {queue!r} (known: {', '.join(STEPS)})")
    json.dump({"step": queue, "done": STEPS[queue], "attempt": task.get("attempt")}, sys.stdout)


if __name__ == "__main__":
    main()
