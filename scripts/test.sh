#!/usr/bin/env bash
# Runs every test of the workspace: unit, property, integration (real SQLite, real
# processes, real HTTP), the SIGKILL crash test and the Conductor SDK acceptance test
# (which creates a Python venv with a pinned conductor-python on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-targets "$@"
