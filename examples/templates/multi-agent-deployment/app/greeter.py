"""The sample app the multi-agent-deployment template builds, tests and releases.

`greet(name)` greets with the greeting of config.json; `self_check()` is the unit test
the tester agent runs against the built copy (it raises on the first failed check).
"""
import json
import os

from textutil import title_name

HERE = os.path.dirname(os.path.abspath(__file__))


def load_config():
    with open(os.path.join(HERE, "config.json"), encoding="utf-8") as f:
        return json.load(f)


def greet(name, config=None):
    config = config or load_config()
    return f"{config['greeting']}, {title_name(name)}{config['punctuation']}"


def self_check():
    config = load_config()
    checks = [
        ("config has a name", bool(config.get("name"))),
        ("port is a valid port", isinstance(config.get("port"), int) and 0 < config["port"] < 65536),
        ("names are title-cased", title_name("ada lovelace") == "Ada Lovelace"),
        ("a blank name greets the world", greet("  ", config) == f"{config['greeting']}, World{config['punctuation']}"),
        ("greet uses the configured greeting", greet("grace", config).startswith(config["greeting"] + ", Grace")),
    ]
    failed = [name for name, ok in checks if not ok]
    if failed:
        raise AssertionError("failed checks: " + ", ".join(failed))
    return {"app": config["name"], "passed": len(checks), "checks": [name for name, _ in checks]}


if __name__ == "__main__":
    print(greet("world"))
