#!/usr/bin/env python3
"""Agent of the end-to-end-process template: build, test, deploy and tune a small site.

Each `site.*` task is one step of seed 004's end-to-end process (Init, Validate,
Process, Test, Deploy, Monitor, Optimize); the step is the part of the queue after
`site.`.
"""
import hashlib
import html
import json
import os
import re
import shutil
import sys

BUILD, PUBLIC = "build", "public"
LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def init(inp):
    shutil.rmtree(BUILD, ignore_errors=True)
    os.makedirs(BUILD)
    pages = sorted(f for f in os.listdir(inp["content"]) if f.endswith(".md"))
    if not pages:
        sys.exit(f"no .md pages in {inp['content']!r}")
    return {"pages": pages}


def validate(inp):
    problems = []
    for page in inp["pages"]:
        with open(os.path.join(inp["content"], page), encoding="utf-8") as f:
            first = f.readline()
        if not first.startswith("# "):
            problems.append(f"{page}: the first line must be a `# Title`")
    if problems:
        sys.exit("; ".join(problems))
    return {"valid": len(inp["pages"])}


def render(inp):
    for page in inp["pages"]:
        with open(os.path.join(inp["content"], page), encoding="utf-8") as f:
            lines = f.read().splitlines()
        title = lines[0][2:].strip()
        body = []
        for para in "\n".join(lines[1:]).split("\n\n"):
            text = html.escape(para.strip())
            if text:
                body.append("<p>" + LINK.sub(r'<a href="\2">\1</a>', text) + "</p>")
        doc = f"<!doctype html>\n<html>\n  <head>\n    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n    <h1>{html.escape(title)}</h1>\n    " + "\n    ".join(body) + "\n  </body>\n</html>\n"
        with open(os.path.join(BUILD, page[:-3] + ".html"), "w", encoding="utf-8") as f:
            f.write(doc)
    return {"rendered": len(inp["pages"])}


def test(inp):
    built = set(os.listdir(BUILD))
    broken = []
    for name in sorted(built):
        with open(os.path.join(BUILD, name), encoding="utf-8") as f:
            for target in re.findall(r'href="([^"]+)"', f.read()):
                if not target.startswith(("http:", "https:")) and target not in built:
                    broken.append(f"{name} -> {target}")
    if broken:
        sys.exit("broken links: " + ", ".join(broken))
    return {"tested": len(built), "broken": 0}


def deploy(inp):
    staging = PUBLIC + ".new"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(BUILD, staging)
    shutil.rmtree(PUBLIC + ".old", ignore_errors=True)
    if os.path.exists(PUBLIC):
        os.rename(PUBLIC, PUBLIC + ".old")
    os.rename(staging, PUBLIC)
    shutil.rmtree(PUBLIC + ".old", ignore_errors=True)
    return {"deployed": PUBLIC}


def manifest():
    out = {}
    for name in sorted(os.listdir(PUBLIC)):
        with open(os.path.join(PUBLIC, name), "rb") as f:
            data = f.read()
        out[name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return out


def monitor(inp):
    m = manifest()
    with open(os.path.join(PUBLIC, "..", "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(m, f, indent=2)
    return {"bytes": sum(v["bytes"] for v in m.values()), "files": len(m)}


def optimize(inp):
    before = sum(v["bytes"] for v in manifest().values())
    for name in os.listdir(PUBLIC):
        path = os.path.join(PUBLIC, name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        small = re.sub(r">\s+<", "><", re.sub(r"[ \t]+", " ", text)).strip() + "\n"
        with open(path, "w", encoding="utf-8") as f:
            f.write(small)
    after = sum(v["bytes"] for v in manifest().values())
    return {"bytes_before": before, "bytes_after": after, "saved": before - after}


def main():
    task = json.load(sys.stdin)
    step = task["queue"].split(".", 1)[1]
    steps = {"init": init, "validate": validate, "process": render, "test": test,
             "deploy": deploy, "monitor": monitor, "optimize": optimize}
    json.dump(steps[step](task.get("input") or {}), sys.stdout)


if __name__ == "__main__":
    main()
