#!/usr/bin/env python3
"""Tester agent of the multi-agent-deployment template (folder agent, root agents/tester).

Served by `baton agent serve --root agents/tester -- python3 agents/tester.py`; the
action is the part of the task name after `tester.`:

- unit: runs the app's self_check() on the built copy, in a fresh `python3 -B`;
- integrity: re-hashes every file of the build against its MANIFEST.json (and finds
  files the manifest does not list);
- verify: after the release, checks that releases/current points at the version, that
  it holds the manifest that was tested, that every file still matches its hash, and
  that the released app passes its self-check. It reports `healthy` instead of failing,
  so that the rollback stage can act on it.
"""
import hashlib
import json
import os
import subprocess
import sys

MANIFEST, RECEIPT = "MANIFEST.json", "RECEIPT.json"
SELF_CHECK = "import json, greeter; print(json.dumps(greeter.self_check()))"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(65536), b""):
            h.update(chunk)
    return h.hexdigest()


def self_check(root):
    """The app's self_check() run in root; (result, None) or (None, why it failed)."""
    run = subprocess.run([sys.executable, "-B", "-c", SELF_CHECK], cwd=root,
                         capture_output=True, text=True, timeout=30)
    if run.returncode != 0:
        tail = run.stderr.strip().splitlines()[-1:] or [f"exit {run.returncode}"]
        return None, tail[0]
    return json.loads(run.stdout), None


def hash_problems(root, skip=(MANIFEST, RECEIPT)):
    """Files of root that differ from its manifest, are missing, or are not listed."""
    with open(os.path.join(root, MANIFEST), encoding="utf-8") as f:
        listed = json.load(f)["files"]
    problems = []
    for rel, entry in sorted(listed.items()):
        path = os.path.join(root, rel)
        if not os.path.isfile(path):
            problems.append(f"{rel}: missing")
        elif sha256(path) != entry["sha256"]:
            problems.append(f"{rel}: sha256 differs from the manifest")
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        for name in files:
            rel = os.path.relpath(os.path.join(d, name), root)
            if rel not in listed and rel not in skip:
                problems.append(f"{rel}: not in the manifest")
    return len(listed), problems


def unit(task, inp):
    result, error = self_check(inp["build_dir"])
    if error:
        sys.exit(f"unit tests failed: {error}")
    return {"passed": result["passed"], "checks": result["checks"]}


def integrity(task, inp):
    root = inp["build_dir"]
    checked, problems = hash_problems(root)
    if problems:
        sys.exit("integrity check failed: " + "; ".join(problems))
    return {"verified": checked, "manifest_sha256": sha256(os.path.join(root, MANIFEST))}


def verify(task, inp):
    releases, version = inp.get("releases") or "releases", str(inp["version"])
    current = os.path.join(releases, "current")
    problems, checked = [], 0
    target = os.readlink(current) if os.path.islink(current) else None
    if target != version:
        problems.append(f"{current} points at {target!r}, not {version!r}")
    elif not os.path.isfile(os.path.join(current, MANIFEST)):
        problems.append(f"{current}/{MANIFEST} is missing")
    else:
        if sha256(os.path.join(current, MANIFEST)) != inp.get("manifest_sha256"):
            problems.append("the released manifest is not the one that was built and tested")
        checked, bad = hash_problems(current)
        problems += bad
        try:
            with open(os.path.join(current, RECEIPT), encoding="utf-8") as f:
                if json.load(f).get("version") != version:
                    problems.append(f"{RECEIPT} is for another version")
        except (OSError, ValueError) as e:
            problems.append(f"{RECEIPT}: {e}")
        if not problems:
            _, error = self_check(current)
            if error:
                problems.append(f"self-check of the release failed: {error}")
    return {"healthy": not problems, "current": target, "files_checked": checked,
            "problems": problems}


def main():
    task = json.load(sys.stdin)
    action = task["task_name"].split(".", 1)[1]
    actions = {"unit": unit, "integrity": integrity, "verify": verify}
    if action not in actions:
        sys.exit(f"tester has no action {action!r} (it knows {', '.join(actions)})")
    json.dump(actions[action](task, task.get("input") or {}), sys.stdout)


if __name__ == "__main__":
    main()
