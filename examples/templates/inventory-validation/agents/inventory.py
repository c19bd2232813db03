#!/usr/bin/env python3
"""Agent for inventory-validation.workflow.yaml.

Baton's exec runner hands the task as JSON on stdin ({"refName", "input", ...}) and reads
the task output as JSON from stdout. A non-zero exit fails the attempt (stderr is the
reason), and Baton retries it per the task's retry_policy.
"""
import json
import os
import sys
import time


def scan_files(inp):
    folder = inp.get("folder") or "."
    if not os.path.isdir(folder):
        sys.exit(f"target folder {folder!r} does not exist")
    manifest = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            manifest.append({"name": name, "bytes": os.path.getsize(path)})
    return {
        "file_list": [m["name"] for m in manifest],
        "file_manifest": manifest,
        "scan_timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def load_policy(inp):
    """Reads `required_files:` as a YAML list of `- name` lines (enough for this example)."""
    path = inp.get("policy")
    if not path or not os.path.isfile(path):
        sys.exit(f"policy file {path!r} not found; pass --input policy_file=PATH")
    required, in_list = [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            stripped = line.strip()
            if stripped.startswith("required_files:"):
                in_list = True
            elif in_list and stripped.startswith("- "):
                required.append(stripped[2:].strip().strip("'\""))
            elif stripped and not stripped.startswith("#"):
                in_list = False
    return {"policy_rules": {"required_files": required}, "required_files": required}


def validate_compliance(inp):
    files = set(inp.get("file_list") or [])
    required = (inp.get("rules") or {}).get("required_files", [])
    missing = [r for r in required if r not in files]
    if not missing:
        status = "PASS"
    elif inp.get("strict") is True:
        status = "FAIL_STRICT"
    else:
        status = "FAIL_SOFT"
    return {"compliance_status": status, "violations": [f"missing {m}" for m in missing]}


def receipt(inp, kind):
    data = inp.get("validation_data") or {}
    return {
        "validation_receipt": {
            "kind": kind,
            "status": data.get("compliance_status"),
            "violations": inp.get("violations") or data.get("violations") or [],
            "scanned_at": inp.get("timestamp"),
        }
    }


def main():
    task = json.load(sys.stdin)
    ref, inp = task["refName"], task.get("input") or {}
    handlers = {
        "scan_files": scan_files,
        "load_policy": load_policy,
        "validate_compliance": validate_compliance,
        "generate_receipt": lambda i: receipt(i, "validation"),
        "generate_warning_receipt": lambda i: receipt(i, "warning"),
    }
    if ref in handlers:
        out = handlers[ref](inp)
    else:
        # The failure workflow's steps (log_to_incident, notify_commander, preserve_state).
        print(f"{ref}: failure input {json.dumps(inp)}", file=sys.stderr)
        out = {"handled": ref}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
