#!/usr/bin/env bash
# Sets the machine up (scripts/setup.sh) and runs every test of the workspace, on the CPU.
# This is the command of the README and of CI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
cargo test --workspace --locked
