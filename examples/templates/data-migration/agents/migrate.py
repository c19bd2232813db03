#!/usr/bin/env python3
"""Agent of the data-migration template (every `python.*` task of the stages).

The action is the part of the task's queue after `python.`; the task's input comes on
stdin as JSON and its output goes to stdout as JSON.
"""
import csv
import json
import os
import re
import sys

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


def extract(inp):
    with open(inp["source"], newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {"rows": rows, "extracted": len(rows)}


def normalize(inp):
    clean, rejects = [], []
    for r in inp["rows"]:
        email = r["email"].strip().lower()
        row = {"id": int(r["id"]), "name": r["name"].strip(), "email": email,
               "country": r["country"].strip().upper()}
        (clean if EMAIL.match(email) else rejects).append(row)
    return {"rows": clean, "rejects": rejects}


def deduplicate(inp):
    seen, out, dupes = set(), [], []
    for r in inp["rows"]:
        (dupes if r["email"] in seen else out).append(r)
        seen.add(r["email"])
    return {"rows": out, "duplicates": dupes}


def load(inp):
    os.makedirs(os.path.dirname(inp["target"]) or ".", exist_ok=True)
    with open(inp["target"], "w", encoding="utf-8") as f:
        for r in inp["rows"]:
            f.write(json.dumps(r, sort_keys=True) + "\n")
    return {"loaded": len(inp["rows"]), "target": inp["target"]}


def verify(inp):
    with open(inp["target"], encoding="utf-8") as f:
        lines = sum(1 for _ in f)
    if lines != inp["loaded"]:
        sys.exit(f"{inp['target']} holds {lines} rows, {inp['loaded']} were loaded")
    return {"verified": lines}


def report_rejects(inp):
    with open(inp["path"], "w", encoding="utf-8") as f:
        json.dump({"rejects": inp["rejects"], "duplicates": inp["duplicates"]}, f, indent=2)
    return {"rejects_report": inp["path"]}


def main():
    task = json.load(sys.stdin)
    action = task["queue"].split(".", 1)[1]
    handlers = {"extract": extract, "normalize": normalize, "deduplicate": deduplicate,
                "load": load, "verify": verify, "report_rejects": report_rejects}
    json.dump(handlers[action](task.get("input") or {}), sys.stdout)


if __name__ == "__main__":
    main()
