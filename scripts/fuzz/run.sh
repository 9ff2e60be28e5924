#!/usr/bin/env bash
# Runs the fuzz targets of crates/nb102-fuzz with cargo fuzz (nightly toolchain, `cargo install cargo-fuzz`), each for
# a number of executions or seconds from the seeds (crates/nb102-fuzz/seeds/<target>) and the corpus, then merges
# what it found into the committed corpus (crates/nb102-fuzz/corpus/<target>), minimized and cut to inputs of at most
# 4 kB so that it stays small; `cargo test` replays seeds and corpus. Prints executions per target.
#
#   scripts/fuzz/run.sh [RUNS_PER_TARGET (default 10000000)] [MAX_SECONDS_PER_TARGET (default 900)] [TARGET...]
#
# Without ASan (`-s none`): the targets are safe Rust; libFuzzer still catches panics, allocations above
# -rss_limit_mb / -malloc_limit_mb, and hangs (-timeout).
# Seeds: scripts/fuzz/seeds.py, and here the benchmark and trial files that nb102 itself writes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS="${1:-10000000}"
SECONDS_MAX="${2:-900}"
shift $(( $# < 2 ? $# : 2 ))
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(arch pickle csv_table trial_file benchmark_file nats_record nb201_pth dataset)
FUZZ="$ROOT/crates/nb102-fuzz"
CORPUS="$FUZZ/corpus"
SEEDS="$FUZZ/seeds"
WORK="$ROOT/target/fuzz-work"
mkdir -p "$WORK"

# Seeds nb102 writes: trial files of an imported NATS-Bench record and of a NAS-Bench-201 one with weights, the
# benchmark file merged from them, its simplified copy, and a file of summary-only records (the CSV seed, imported).
# Those of earlier formats stay beside them under a version prefix (v4-*.nb102, v1-*.trial.cbor): readers still
# take them. Delete trials.nb102 to write the seeds again after a format change.
if [[ ! -e "$SEEDS/benchmark_file/trials.nb102" ]]; then
    cargo build -q --release -p nb102-cli
    nb102="$ROOT/target/release/nb102"
    seeds="$WORK/seeds"
    rm -rf "$seeds" && mkdir -p "$seeds/trial" "$SEEDS/benchmark_file" "$SEEDS/trial_file"
    (cd "$FUZZ" && cargo run -q --release --example trial_seeds -- "$seeds/trial")
    cp "$seeds"/trial/* "$SEEDS/trial_file/"
    full="$("$nb102" merge "$seeds/trial" -o "$seeds/trials" --kind demo)"
    cp "$full" "$SEEDS/benchmark_file/trials.nb102"
    cp "$("$nb102" simplify "$full" -o "$seeds/simple")" "$SEEDS/benchmark_file/trials-simple.nb102"
    cp "$("$nb102" import table "$SEEDS/csv_table/three-cells.csv" -o "$seeds/table")" "$SEEDS/benchmark_file/table.nb102"
fi

for t in "${TARGETS[@]}"; do
    mkdir -p "$WORK/$t" "$CORPUS/$t"
    log="$WORK/$t.log"
    (cd "$FUZZ" && cargo +nightly fuzz run --fuzz-dir fuzz -s none -a "$t" "$WORK/$t" "$CORPUS/$t" "$SEEDS/$t" -- \
        -runs="$RUNS" -max_total_time="$SECONDS_MAX" -max_len=65536 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -timeout=10 -print_final_stats=1) >"$log" 2>&1 || { echo "$t: the fuzzer stopped on a finding, see $log"; exit 1; }
    runs="$(grep -oP 'stat::number_of_executed_units: \K[0-9]+' "$log" | tail -1)"
    seconds="$(grep -oP 'Done [0-9]+ runs in \K[0-9]+' "$log" | tail -1)"
    # The committed corpus, minimized: the smallest set of inputs of at most 4 kB that keeps the coverage of both
    # folders (larger inputs are cut to 4 kB).
    merged="$WORK/$t.merged" && rm -rf "$merged" && mkdir -p "$merged"
    (cd "$FUZZ" && cargo +nightly fuzz run --fuzz-dir fuzz -s none -a "$t" "$merged" "$CORPUS/$t" "$WORK/$t" -- \
        -merge=1 -max_len=4096) >"$log.merge" 2>&1
    rm -rf "$CORPUS/$t" && mv "$merged" "$CORPUS/$t"
    echo "$t: $runs executions in ${seconds:-?} s, no finding; corpus $(ls "$CORPUS/$t" | wc -l) files, $(du -sh "$CORPUS/$t" | cut -f1)"
done
