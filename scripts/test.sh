#!/usr/bin/env bash
# Sets the machine up (scripts/setup.sh) and runs every test of the workspace and of the Python package, on the CPU.
# This is the command of the README and of CI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
cargo test --workspace --locked
# The Python package against the reference packages (crates/nb102-py/tests).
.venv/bin/python -m pytest -q crates/nb102-py/tests
