#!/usr/bin/env python3
"""Agent of the ai-inference-pipeline template (every `python.*` stage task).

A small lexicon model scores texts in batches: preprocess splits the input into
batches, load_model reads the lexicon, each loop iteration scores one batch, and the
finalize stage aggregates and writes the summary.
"""
import json
import os
import re
import sys

WORK = "work"


def preprocess(inp):
    with open(inp["source"], encoding="utf-8") as f:
        texts = [line.strip() for line in f if line.strip()]
    size = int(inp.get("batch_size") or 3)
    batches = [texts[i:i + size] for i in range(0, len(texts), size)]
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "queue.json"), "w", encoding="utf-8") as f:
        json.dump(batches, f)
    open(os.path.join(WORK, "results.jsonl"), "w").close()
    return {"texts": len(texts), "batches": len(batches)}


def load_model(inp):
    model = {}
    with open(inp["lexicon"], encoding="utf-8") as f:
        for line in f:
            word, weight = line.split()
            model[word] = int(weight)
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "model.json"), "w", encoding="utf-8") as f:
        json.dump(model, f)
    return {"words": len(model)}


def infer_batch(inp):
    with open(os.path.join(WORK, "queue.json"), encoding="utf-8") as f:
        batches = json.load(f)
    with open(os.path.join(WORK, "model.json"), encoding="utf-8") as f:
        model = json.load(f)
    if not batches:
        return {"scored": 0, "remaining": 0}
    batch, rest = batches[0], batches[1:]
    with open(os.path.join(WORK, "results.jsonl"), "a", encoding="utf-8") as f:
        for text in batch:
            score = sum(model.get(w, 0) for w in re.findall(r"[a-z]+", text.lower()))
            label = "positive" if score > 0 else "negative" if score < 0 else "neutral"
            f.write(json.dumps({"text": text, "score": score, "label": label}) + "\n")
    with open(os.path.join(WORK, "queue.json"), "w", encoding="utf-8") as f:
        json.dump(rest, f)
    return {"scored": len(batch), "remaining": len(rest)}


def aggregate(inp):
    with open(os.path.join(WORK, "results.jsonl"), encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    if len(rows) != int(inp["expected"]):
        sys.exit(f"scored {len(rows)} texts, expected {inp['expected']}")
    counts = {}
    for r in rows:
        counts[r["label"]] = counts.get(r["label"], 0) + 1
    negative = counts.get("negative", 0)
    summary = {"scored": len(rows), "labels": counts,
               "mean_score": round(sum(r["score"] for r in rows) / len(rows), 3)}
    os.makedirs("out", exist_ok=True)
    with open(os.path.join("out", "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    return {**summary, "alert": negative * 2 > len(rows)}


def escalate(inp):
    os.makedirs("out", exist_ok=True)
    with open(os.path.join("out", "ESCALATION.txt"), "w", encoding="utf-8") as f:
        f.write(f"Most feedback is negative: {json.dumps(inp['labels'])}\n")
    return {"escalated": True}


def main():
    task = json.load(sys.stdin)
    action = task["queue"].split(".", 1)[1]
    handlers = {"preprocess": preprocess, "load_model": load_model, "infer_batch": infer_batch,
                "aggregate": aggregate, "escalate": escalate}
    json.dump(handlers[action](task.get("input") or {}), sys.stdout)


if __name__ == "__main__":
    main()
