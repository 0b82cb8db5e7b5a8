#!/usr/bin/env bash
# Instruction counts of a pass (valgrind's callgrind), steady where wall times are not: for each
# lab size, `schedule-once --dry-run --state FILE` and `--db FILE` of one vmsched build, split
# into the state-file parse, the database load, the plan and the whole process; and the sqlite3
# shell selecting every VM, job, step and task row, the (c) baseline.
#
# usage: benches/callgrind.sh [VMSCHED [LAB_DIR [SIZES]]]
#   VMSCHED  default: $CARGO_TARGET_DIR or target, /release/vmsched
#   LAB_DIR  where `cargo bench --bench pass -- --lab-only --dir LAB_DIR` wrote the labs
#            (default: $CARGO_TARGET_DIR or target, /tmp/bench-lab, the bench's own folder)
#   SIZES    default: "1k 10k 100k"
set -euo pipefail

target=${CARGO_TARGET_DIR:-target}
BIN=$(realpath "${1:-$target/release/vmsched}")
LAB=${2:-$target/tmp/bench-lab}
SIZES=${3:-1k 10k 100k}
out=$(mktemp -d)
LAB=$(realpath "$LAB")
trap 'rm -rf "$out"' EXIT

# Instructions of the whole run, or of one function including its callees. Annotated from `/`:
# in the source folder callgrind_annotate splits a function's costs by the spelling of its
# file's path.
count() {
    local file=$1 function=${2:-}
    if [ -z "$function" ]; then
        (cd / && callgrind_annotate "$file" 2>/dev/null) | awk '/PROGRAM TOTALS/ {print $1; exit}'
    else
        (cd / && callgrind_annotate --inclusive=yes "$file" 2>/dev/null) |
            awk -v f="$function" 'index($0, f " [") {print $1; exit}'
    fi
}

run() {
    valgrind --tool=callgrind --callgrind-out-file="$1" "${@:2}" >/dev/null 2>&1
}

echo "binary: $BIN"
echo
echo "| size | --state total | parse | plan | --db total | load | plan | sqlite3 SELECT * |"
echo "|---|---|---|---|---|---|---|---|"
for size in $SIZES; do
    run "$out/state" "$BIN" schedule-once --dry-run --state "$LAB/lab-$size.json"
    run "$out/db" "$BIN" schedule-once --dry-run --db "$LAB/lab-$size.db"
    run "$out/sqlite" sqlite3 "$LAB/lab-$size.db" \
        'SELECT * FROM vms; SELECT * FROM jobs; SELECT * FROM steps; SELECT * FROM tasks;'
    echo "| $size | $(count "$out/state") | $(count "$out/state" vmsched::model::State::from_json) \
| $(count "$out/state" vmsched::scheduler::plan) | $(count "$out/db") \
| $(count "$out/db" vmsched::pass::judge) | $(count "$out/db" vmsched::scheduler::plan) \
| $(count "$out/sqlite") |"
done
