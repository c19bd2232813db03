#!/usr/bin/env python3
"""Agent of the file-routing template: scan an inbox, classify, move, write a receipt.

Baton's exec runner gives the task as JSON on stdin and reads the output as JSON from
stdout; a non-zero exit fails the attempt with stderr as the reason.
"""
import hashlib
import json
import os
import shutil
import sys
import time


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(65536), b""):
            h.update(block)
    return h.hexdigest()


def scan(inp):
    inbox = inp["inbox"]
    if not os.path.isdir(inbox):
        sys.exit(f"inbox {inbox!r} is not a folder")
    files = []
    for name in sorted(os.listdir(inbox)):
        path = os.path.join(inbox, name)
        if os.path.isfile(path):
            files.append({"name": name, "bytes": os.path.getsize(path), "sha256": sha256(path)})
    return {"files": files, "count": len(files)}


def classify(inp):
    routes = inp["routes"]
    plan = []
    for f in inp["files"]:
        ext = os.path.splitext(f["name"])[1].lstrip(".").lower()
        plan.append({**f, "route": routes.get(ext, routes.get("*", "unsorted"))})
    return {"plan": plan}


def route(inp):
    inbox, outbox = inp["inbox"], inp["outbox"]
    moved = []
    for item in inp["plan"]:
        src = os.path.join(inbox, item["name"])
        if not os.path.exists(src):
            sys.exit(f"{src} vanished before it was routed")
        dest_dir = os.path.join(outbox, item["route"])
        os.makedirs(dest_dir, exist_ok=True)
        dest = os.path.join(dest_dir, item["name"])
        shutil.move(src, dest)
        if sha256(dest) != item["sha256"]:
            sys.exit(f"{dest} changed while it was moved")
        moved.append({"name": item["name"], "to": dest, "sha256": item["sha256"]})
    return {"moved": moved}


def receipt(inp):
    path = os.path.join(inp["outbox"], "receipt.json")
    body = {"routed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "moved": inp["moved"]}
    os.makedirs(inp["outbox"], exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(body, f, indent=2)
    return {"receipt": path, "routed": len(inp["moved"])}


def main():
    task = json.load(sys.stdin)
    handlers = {"scan_inbox": scan, "classify": classify, "route_files": route, "write_receipt": receipt}
    json.dump(handlers[task["refName"]](task.get("input") or {}), sys.stdout)


if __name__ == "__main__":
    main()
