#!/usr/bin/env python3
"""Deployer agent of the multi-agent-deployment template (folder agent, root agents/deployer).

Served by `baton agent serve --root agents/deployer -- python3 agents/deployer.py`; the
action is the part of the task name after `deployer.`:

- release: copies the tested build to releases/VERSION (a staged copy renamed into
  place; an existing release of the version is replaced), writes its RECEIPT.json and
  switches the releases/current symlink to it atomically (a new link renamed over the
  old one with os.replace), so current always names a complete release;
- rollback: switches current back to the release it pointed at before (or removes it
  when there was none, or it was this same version) and notes why in ROLLBACK.json.
"""
import datetime
import hashlib
import json
import os
import shutil
import sys

MANIFEST, RECEIPT, ROLLBACK = "MANIFEST.json", "RECEIPT.json", "ROLLBACK.json"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(65536), b""):
            h.update(chunk)
    return h.hexdigest()


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def point_current(releases, target):
    """Makes releases/current a link to target (a name inside releases), atomically."""
    current = os.path.join(releases, "current")
    tmp = os.path.join(releases, f".current.{os.getpid()}")
    if os.path.lexists(tmp):
        os.remove(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, current)
    return current


def release(task, inp):
    build_dir, version = inp["build_dir"], str(inp["version"])
    releases = inp.get("releases") or "releases"
    if sha256(os.path.join(build_dir, MANIFEST)) != inp.get("manifest_sha256"):
        sys.exit(f"{build_dir}/{MANIFEST} changed since it was tested; not releasing it")
    os.makedirs(releases, exist_ok=True)
    current = os.path.join(releases, "current")
    previous = os.readlink(current) if os.path.islink(current) else None
    final = os.path.join(releases, version)
    staging = os.path.join(releases, f".{version}.staging")
    old = os.path.join(releases, f".{version}.old")
    for d in (staging, old):
        shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(build_dir, staging)
    receipt = {"version": version, "workflow_id": task["workflow_id"],
               "task_id": task["task_id"], "attempt": task.get("attempt"),
               "deployed_at": now(), "manifest_sha256": inp["manifest_sha256"],
               "previous": previous}
    with open(os.path.join(staging, RECEIPT), "w", encoding="utf-8") as f:
        json.dump(receipt, f, indent=2)
        f.write("\n")
    replaced = os.path.isdir(final)
    if replaced:
        os.rename(final, old)
    os.rename(staging, final)
    shutil.rmtree(old, ignore_errors=True)
    point_current(releases, version)
    return {"version": version, "release": final, "current": current,
            "previous": previous, "replaced": replaced}


def rollback(task, inp):
    releases, version = inp.get("releases") or "releases", str(inp["version"])
    previous = inp.get("previous")
    current = os.path.join(releases, "current")
    if previous and previous != version and os.path.isdir(os.path.join(releases, previous)):
        point_current(releases, previous)
        restored = previous
    else:
        if os.path.lexists(current):
            os.remove(current)
        restored = None
    note = {"version": version, "rolled_back_at": now(), "workflow_id": task["workflow_id"],
            "restored": restored, "problems": inp.get("problems") or []}
    if os.path.isdir(os.path.join(releases, version)):
        with open(os.path.join(releases, version, ROLLBACK), "w", encoding="utf-8") as f:
            json.dump(note, f, indent=2)
            f.write("\n")
    return {"rolled_back": version, "restored": restored}


def main():
    task = json.load(sys.stdin)
    action = task["task_name"].split(".", 1)[1]
    actions = {"release": release, "rollback": rollback}
    if action not in actions:
        sys.exit(f"deployer has no action {action!r} (it knows {', '.join(actions)})")
    json.dump(actions[action](task, task.get("input") or {}), sys.stdout)


if __name__ == "__main__":
    main()
