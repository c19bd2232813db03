#!/usr/bin/env python3
"""Builder agent of the multi-agent-deployment template (folder agent, root agents/builder).

Served by `baton agent serve --root agents/builder -- python3 agents/builder.py`: each
task file Baton writes to agents/builder/1N arrives as JSON on stdin, and the output
printed here is the result. The action is the part of the task name after `builder.`:

- build: copies the app's sources into build/VERSION and writes build/VERSION/MANIFEST.json
  (the sha256 and size of every file: the same sources give the same manifest);
- check: compiles every Python source of the build and parses every JSON file.
"""
import hashlib
import json
import os
import re
import shutil
import sys

BUILD = "build"
MANIFEST = "MANIFEST.json"
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(65536), b""):
            h.update(chunk)
    return h.hexdigest()


def sources(root):
    """The app's files, relative to root, without caches and hidden files."""
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if not x.startswith(".") and x != "__pycache__")
        for name in sorted(files):
            if not name.startswith(".") and not name.endswith((".pyc", ".pyo")):
                out.append(os.path.relpath(os.path.join(d, name), root))
    return out


def build(task, inp):
    app, version = inp.get("app") or "app", str(inp.get("version") or "")
    if not VERSION.match(version):
        sys.exit(f"version {version!r}: use letters, digits, '.', '-' and '_' (e.g. 1.0.0)")
    files = sources(app)
    if not files:
        sys.exit(f"no source files in {app!r}")
    out = os.path.join(BUILD, version)
    shutil.rmtree(out, ignore_errors=True)
    entries = {}
    for rel in files:
        dst = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(app, rel), dst)
        entries[rel] = {"sha256": sha256(dst), "bytes": os.path.getsize(dst)}
    manifest = {"app": os.path.basename(os.path.abspath(app)), "version": version,
                "files": entries}
    with open(os.path.join(out, MANIFEST), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    return {"version": version, "build_dir": out, "files": len(entries),
            "bytes": sum(e["bytes"] for e in entries.values()),
            "manifest_sha256": sha256(os.path.join(out, MANIFEST))}


def check(task, inp):
    root = inp["build_dir"]
    compiled, configs, problems = 0, 0, []
    for rel in sources(root):
        path = os.path.join(root, rel)
        try:
            if rel.endswith(".py"):
                with open(path, encoding="utf-8") as f:
                    compile(f.read(), path, "exec")
                compiled += 1
            elif rel.endswith(".json"):
                with open(path, encoding="utf-8") as f:
                    json.load(f)
                configs += 1
        except (SyntaxError, ValueError) as e:
            problems.append(f"{rel}: {e}")
    if problems:
        sys.exit("; ".join(problems))
    return {"compiled": compiled, "json_files": configs}


def main():
    task = json.load(sys.stdin)
    action = task["task_name"].split(".", 1)[1]
    actions = {"build": build, "check": check}
    if action not in actions:
        sys.exit(f"builder has no action {action!r} (it knows {', '.join(actions)})")
    json.dump(actions[action](task, task.get("input") or {}), sys.stdout)


if __name__ == "__main__":
    main()
