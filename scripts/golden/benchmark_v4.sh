#!/usr/bin/env bash
# A benchmark file in format version 4 (curves as CBOR arrays of numbers and nulls), for the test that files of
# earlier versions are still read: crates/nb102-store/tests/data/nats-like imported by nb102 as of commit
# ec03e14, the last to write version 4. Output: crates/nb102-store/tests/data/v4/nats-XXXXXX.nb102.bz2.
#
#     scripts/golden/benchmark_v4.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rev=ec03e14
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/src" 2>/dev/null || true; rm -rf "$tmp"' EXIT
git -C "$root" worktree add -q --detach "$tmp/src" "$rev"
cargo build --release -q -p nb102-api --manifest-path "$tmp/src/Cargo.toml" --target-dir "$root/target/golden-v4"
mkdir "$tmp/out"
"$root/target/golden-v4/release/nb102" import nats-tss "$root/crates/nb102-store/tests/data/nats-like" -o "$tmp/out/nats"
out="$root/crates/nb102-store/tests/data/v4"
rm -rf "$out" && mkdir -p "$out"
for file in "$tmp"/out/nats-*.nb102; do
    bzip2 -9c "$file" > "$out/$(basename "$file").bz2"
done
ls "$out"
