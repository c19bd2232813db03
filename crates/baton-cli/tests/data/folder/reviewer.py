# A raw folder agent (JSON files). It misbehaves on purpose, in this order:
#   attempt 0 of `review`: never answers (Baton times it out and retries);
#   attempt 1: writes a malformed result (the attempt fails with the reason);
#   attempt 2: answers properly, then writes the same result again once Baton took the
#   first (a late duplicate) and a result for attempt 0 (for an attempt that ended).
import json, os, sys, time

root = sys.argv[1]
inbox, outbox = os.path.join(root, "1N"), os.path.join(root, "0UT")
os.makedirs(inbox, exist_ok=True)
os.makedirs(outbox, exist_ok=True)
seen, first_task = set(), None

def write(name, text):
    tmp = os.path.join(outbox, "." + name)
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(outbox, name))

while True:
    for name in sorted(os.listdir(inbox)):
        if not name.startswith("task-") or name in seen:
            continue
        seen.add(name)
        with open(os.path.join(inbox, name)) as f:
            task = json.load(f)
        result = "result-" + name[len("task-"):]
        if task["attempt"] == 0:
            first_task = result
            continue
        if task["attempt"] == 1:
            write(result, '{"status": "COMPLETED", "output": ')
            continue
        good = json.dumps({"status": "COMPLETED",
                           "output": {"approved": sorted(task["input"]["hashes"])},
                           "logs": ["reviewed on attempt %d" % task["attempt"]]})
        write(result, good)
        while os.path.exists(os.path.join(outbox, result)):
            time.sleep(0.05)
        write(result, good)
        write(first_task, json.dumps({"status": "COMPLETED", "output": {}}))
    time.sleep(0.1)
