# Run by `baton agent serve`: the task file (as JSON) on stdin, the result on stdout.
import hashlib, json, os, sys, time

task = json.load(sys.stdin)
with open("runs.log", "a") as log:
    log.write(f"{task['task_ref']} {task['task_id']}\n")
if task["task_ref"] == "scan":
    folder = task["input"]["folder"]
    hashes = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            hashes[name] = hashlib.sha256(f.read()).hexdigest()
    print(json.dumps({"hashes": hashes, "count": len(hashes)}))
elif task["task_ref"] == "publish":
    # Slow on purpose: the test kills Baton while this runs.
    time.sleep(float(os.environ.get("PUBLISH_SECONDS", "5")))
    approved = task["input"]["approved"]
    with open("report.txt", "w") as f:
        for name in approved:
            f.write(f"{name} {task['input']['hashes'][name]}\n")
    print(json.dumps({"status": "COMPLETED", "output": {"published": len(approved)},
                      "logs": [f"published {len(approved)} files"]}))
else:
    print(json.dumps({"status": "FAILED_WITH_TERMINAL_ERROR", "reason": "unknown task"}))
