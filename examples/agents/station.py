#!/usr/bin/env python3
"""Agent for station-deployment.workflow.yaml (every task).

`station` is the station's folder: create_folder_structure makes its 1N, 0UT, archive
and .3ox folders, the next tasks write the index, policy and routing files and the
registration mark into .3ox, and health_check_verification checks all of it. Task JSON
on stdin, output JSON on stdout; a non-zero exit fails the attempt.
"""
import json
import os
import sys
import time

POLICIES = {
    "default": "max_agents: 4\nrequire_approval: false\n",
    "strict": "max_agents: 1\nrequire_approval: true\n",
}
FOLDERS = ("1N", "0UT", "archive", ".3ox")
FILES = ("index.yaml", "policy.yaml", "routing.yaml", "registered")


def station_dir(inp):
    root = inp.get("station")
    if not root:
        sys.exit("no station folder: pass --input station=PATH")
    return root


def write(root, name, text):
    path = os.path.join(root, ".3ox", name)
    if not os.path.isdir(os.path.dirname(path)):
        sys.exit(f"{root!r} has no .3ox folder: create_folder_structure did not run")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def run(ref, inp):
    if ref == "create_folder_structure":
        root = station_dir(inp)
        for name in FOLDERS:
            os.makedirs(os.path.join(root, name), exist_ok=True)
        return {"root": root, "folders": list(FOLDERS)}
    if ref == "initialize_3ox_index":
        root = station_dir(inp)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return {"index": write(root, "index.yaml", f"station: {root}\ncreated: {stamp}\n")}
    if ref == "deploy_policies":
        root, name = station_dir(inp), inp.get("policies") or "default"
        if name not in POLICIES:
            sys.exit(f"no policy {name!r} (known: {', '.join(POLICIES)})")
        return {"policy": write(root, "policy.yaml", f"# policy {name}\n{POLICIES[name]}")}
    if ref == "configure_1n_0ut":
        root = station_dir(inp)
        return {"routing": write(root, "routing.yaml", "inbox: 1N\noutbox: 0UT\narchive: archive\n")}
    if ref == "register_with_cmd_bridge":
        root = station_dir(inp)
        return {"registered": write(root, "registered", f"{os.path.abspath(root)}\n")}
    if ref == "health_check_verification":
        root = station_dir(inp)
        missing = [n for n in FOLDERS if not os.path.isdir(os.path.join(root, n))]
        missing += [n for n in FILES if not os.path.isfile(os.path.join(root, ".3ox", n))]
        if missing:
            sys.exit(f"unhealthy: {root!r} lacks {', '.join(missing)}")
        return {"healthy": True, "station": root}
    sys.exit(f"station.py has no task {ref!r}")


def main():
    task = json.load(sys.stdin)
    json.dump(run(task["refName"], task.get("input") or {}), sys.stdout)


if __name__ == "__main__":
    main()
