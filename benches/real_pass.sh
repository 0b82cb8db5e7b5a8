#!/usr/bin/env bash
# A real pass against `--dry-run` on the benchmark's 100k-task lab (docs/performance.md,
# "Event-driven passes"): each run copies the lab's database, then times
#
#   vmsched schedule-once --dry-run       (reads, plans, prints nothing: table output to /dev/null)
#   vmsched schedule-once                 (a real pass: judges, plans, writes the decisions,
#                                          kills, spawns and records its workers)
#
# interleaved, RUNS times each, and prints the medians and their ratio. The real pass runs
# with VMSCHED_FAULT=after-record: it stops right before it releases its workers (writing "go"
# to each), so the workers exit unreleased and never connect to the lab's made-up hosts. That
# leaves out one pipe write per worker. Event passes are off (VMSCHED_EVENT_PASSES=0).
#
# usage: benches/real_pass.sh [VMSCHED]   (default: $CARGO_TARGET_DIR or target, /release/vmsched)
# env:   RUNS (default 7), SIZE (default 100k)
# Needs the lab: `cargo bench --bench pass -- --lab-only --sizes 100k` (writes it under
# $CARGO_TARGET_DIR/tmp/bench-lab/).
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-target}
BIN=$(realpath "${1:-$target/release/vmsched}")
RUNS=${RUNS:-7}
SIZE=${SIZE:-100k}
LAB=$target/tmp/bench-lab/lab-$SIZE.db
[ -f "$LAB" ] || { echo "error: no lab at $LAB" >&2; echo "hint: cargo bench --bench pass -- --lab-only --sizes $SIZE" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export VMSCHED_EVENT_PASSES=0
ulimit -c 0

# Seconds (with ms) that COMMAND takes.
timed() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

median() {
    sort -n | awk '{a[NR] = $1} END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f", m}'
}

# A lab written by an older vmsched is brought to this one's schema once, outside the timing.
mkdir "$work/template"
cp "$LAB" "$work/template/vmsched.db"
"$BIN" --db "$work/template/vmsched.db" migrate --force >/dev/null # its live operations are made up
"$BIN" --db "$work/template/vmsched.db" schedule-once --dry-run >/dev/null ||
    { echo "error: the dry run fails on this lab" >&2; exit 1; }

dry=() real=() workers=()
for i in $(seq 1 "$RUNS"); do
    rm -rf "$work/lab" && mkdir "$work/lab"
    cp "$work/template/vmsched.db" "$work/lab/vmsched.db"
    db=$work/lab/vmsched.db
    dry+=("$(timed "$BIN" --db "$db" schedule-once --dry-run)")
    real+=("$(VMSCHED_FAULT=after-record timed "$BIN" --db "$db" schedule-once)")
    workers+=("$(sqlite3 "$db" 'SELECT count(*) FROM operations WHERE pid IS NOT NULL AND ended IS NULL')")
    # The unreleased workers read end-of-file and exit; wait for them before the next run.
    while pgrep -f -- "--db $db" >/dev/null; do sleep 0.05; done
done
d=$(printf '%s\n' "${dry[@]}" | median)
r=$(printf '%s\n' "${real[@]}" | median)
echo "lab $SIZE, $RUNS runs each: --dry-run median $d s; real pass median $r s ($(printf '%s\n' "${workers[@]}" | sort -u | tr '\n' ' ')workers started); ratio $(echo "scale=2; $r / $d" | bc)"
