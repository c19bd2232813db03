#!/usr/bin/env python3
"""Agents of the multi-agent-coordination template: three analysts read the same corpus
in parallel, each for one question, and a coordinator merges their findings."""
import collections
import json
import os
import re
import sys

STOP = set("the a an and at of on to for in is was no see by again".split())


def documents(folder):
    for name in sorted(os.listdir(folder)):
        if name.endswith(".md"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                yield name, f.read()


def topics(inp):
    words = collections.Counter()
    for _, text in documents(inp["corpus"]):
        prose = re.sub(r"https?://\S+", " ", text.lower())
        words.update(w for w in re.findall(r"[a-z]+", prose) if w not in STOP and len(w) > 3)
    return {"findings_topics": [w for w, _ in words.most_common(int(inp.get("top") or 5))]}


def links(inp):
    found = {}
    for name, text in documents(inp["corpus"]):
        for url in re.findall(r"https?://[^\s)]+", text):
            found.setdefault(url.rstrip(".,"), []).append(name)
    return {"findings_links": found}


def timeline(inp):
    events = []
    for name, text in documents(inp["corpus"]):
        for t in re.findall(r"\b([0-2]\d:[0-5]\d)\b", text):
            events.append({"time": t, "source": name})
    return {"findings_timeline": sorted(events, key=lambda e: e["time"])}


def aggregate(inp):
    summary = {
        "question": inp["question"],
        "topics": inp["topics"],
        "links": sorted(inp["links"]),
        "first_event": (inp["timeline"] or [{}])[0].get("time"),
        "events": len(inp["timeline"]),
    }
    with open("summary.json", "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    return {"summary": summary}


def main():
    task = json.load(sys.stdin)
    handlers = {"find_topics": topics, "find_links": links, "build_timeline": timeline,
                "aggregate_findings": aggregate}
    # A folder agent's task file says `task_ref`; the exec runner's JSON says `refName`.
    ref = task.get("task_ref") or task["refName"]
    json.dump(handlers[ref](task.get("input") or {}), sys.stdout)


if __name__ == "__main__":
    main()
