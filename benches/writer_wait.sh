#!/usr/bin/env bash
# How long a writer waits while one pass starts many task workers: for each lab size, a lab of
# that many made-up VMs (each on its own domain of a host that is never contacted), all idle,
# with a queued task each and host limits that let every one run, so that one real
# `vmsched schedule-once` starts a task worker (command CMD) on every VM. While that pass works,
# a writer runs in a tight loop. Reported per size:
#
#   - the pass's wall time, when every task worker it started was recorded (the live task
#     operations with a pid, as another reader of the database sees them), and when every
#     task's command was started (its log file exists);
#   - the writer's latency from the pass's start until every command started (the pass, then
#     its released workers opening the database and starting their commands): count, median
#     and worst of the writes that overlap it, failures; beside its median before the pass
#     (LEAD seconds) and in the AFTER seconds after, when the workers only wait;
#   - how many worker processes were alive at the end, and the lines of the worker log.
#
# The writer stops once every worker is recorded and every command started (or after 120 s),
# whether or not the pass returned: a pass that serves the pass requests recorded meanwhile
# (every change records one, even with event passes off) runs again for as long as the writer
# writes.
#
# usage: benches/writer_wait.sh [VMSCHED]   (default: $CARGO_TARGET_DIR or target, /release/vmsched)
# env:   SIZES (default "300 1000"), CMD (the task command, default "sleep 30"),
#        WRITER: settings (default: `vmsched settings set max_errors 3`) or submit
#        (`vmsched jobs submit --vm vm1 -- true`), or sqlite (one python3 process that keeps a
#        connection open and writes a setting in its own `BEGIN IMMEDIATE` transaction every
#        5 ms: the wait for the database alone, without a process start per write, which a
#        pass starting a thousand workers slows down on two cores), WRITER_BUSY_MS (the writer's
#        VMSCHED_BUSY_TIMEOUT_MS, default 600000, so it waits instead of failing; 10000 is what
#        every other vmsched command gets), LEAD (seconds of writer before the pass, default 2),
#        AFTER (seconds of writer after it, default 10)
#
# No libvirt is needed. Event passes are off (VMSCHED_EVENT_PASSES=0, and the setting
# `event_passes` where the binary has it), so the only pass is the measured one. Every process
# the run started (workers, task commands) is killed and the scratch database removed on exit,
# whatever happens. Takes about 2 minutes for the default sizes (most of it registering VMs).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh

BIN=$(bench_bin "${1:-}")
SIZES=${SIZES:-300 1000}
read -r -a CMD <<<"${CMD:-sleep 30}"
WRITER=${WRITER:-settings}
WRITER_BUSY_MS=${WRITER_BUSY_MS:-600000}
LEAD=${LEAD:-2}
AFTER=${AFTER:-10}
case $WRITER in
settings | submit | sqlite) ;;
*)
    echo "WRITER must be settings, submit or sqlite" >&2
    exit 2
    ;;
esac

work=$(mktemp -d /tmp/vmsched-bench-writer.XXXXXX)
writer=
pass=
cleanup() {
    [ -n "$writer" ] && kill "$writer" 2>/dev/null
    [ -n "$pass" ] && kill "$pass" 2>/dev/null
    kill_run "${VMSCHED_DB:-}"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

write_once() {
    case $WRITER in
    settings) "$BIN" -q settings set max_errors 3 ;;
    submit) "$BIN" -q jobs submit --vm vm1 -- true ;;
    esac
}

# The same lines from one open connection (WRITER=sqlite).
sqlite_loop() {
    python3 - "$VMSCHED_DB" "$work/stop" "$WRITER_BUSY_MS" <<'PY'
import os, sqlite3, sys, time
db, stop, busy = sys.argv[1], sys.argv[2], int(sys.argv[3])
conn = sqlite3.connect(db, timeout=busy / 1000, isolation_level=None)
while not os.path.exists(stop):
    start, rc = time.time(), 0
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('max_errors', '3')")
        conn.execute("COMMIT")
    except sqlite3.Error:
        rc = 1
    print(f"{start:.6f} {time.time():.6f} {rc}", flush=True)
    time.sleep(0.005)
PY
}

# One line per write until $work/stop exists: start, end, exit code.
writer_loop() {
    local start rc
    if [ "$WRITER" = sqlite ]; then
        sqlite_loop
        return
    fi
    while [ ! -e "$work/stop" ]; do
        start=$EPOCHREALTIME
        rc=0
        VMSCHED_BUSY_TIMEOUT_MS=$WRITER_BUSY_MS write_once >/dev/null 2>>"$work/writer.err" || rc=$?
        echo "$start $EPOCHREALTIME $rc"
    done
}

# The live task operations of the database that have a worker pid.
recorded() {
    sqlite3 -cmd '.timeout 10000' "$VMSCHED_DB" \
        "SELECT COUNT(*) FROM operations WHERE ended IS NULL AND kind = 'task' AND pid IS NOT NULL"
}

# The task commands started so far: each task worker opens its task's log right before
# starting the command.
commands_started() {
    find "$work/$size/logs" -mindepth 2 -name '*.log' 2>/dev/null | wc -l
}

# Statistics of the writes of FILE: count, median and worst seconds, failures; with FROM and
# TO only those that overlap [FROM, TO), with TO alone those that ended by TO.
writes() {
    awk -v a="${2:-}" -v b="${3:-}" '
        (a == "" && b == "") || (a == "" && $2 <= b) || (a != "" && $1 < b && $2 > a) {
            print $2 - $1, $3
        }' "$1" |
        sort -g | awk '{v[NR] = $1; if ($2 != 0) bad++}
            END {if (!NR) {print "n=0"; exit}
                 printf "n=%d, median %.3f s, worst %.3f s, failed %d\n", NR, v[int((NR + 1) / 2)], v[NR], bad + 0}'
}

s() {
    awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'
}

echo "binary: $BIN"
echo "writer: $WRITER (busy timeout $WRITER_BUSY_MS ms), task command: ${CMD[*]}"
for size in $SIZES; do
    mkdir -p "$work/$size"
    export VMSCHED_DB=$work/$size/vmsched.db
    echo "lab of $size idle VMs with a queued task each..." >&2
    idle_lab "$size" "${CMD[@]}"
    rm -f "$work/stop" "$work/writer.err" "$work/pass.end"

    writer_loop >"$work/writes" &
    writer=$!
    sleep "$LEAD"
    p0=$EPOCHREALTIME
    (
        rc=0
        "$BIN" schedule-once >/dev/null 2>"$work/pass.err" || rc=$?
        echo "$EPOCHREALTIME $rc" >"$work/pass.end"
    ) &
    pass=$!
    pr= ps=
    give_up=$((EPOCHSECONDS + 120))
    while [ -z "$pr" ] || [ -z "$ps" ]; do
        [ -z "$pr" ] && [ "$(recorded)" -ge "$size" ] && pr=$EPOCHREALTIME
        [ -z "$ps" ] && [ "$(commands_started)" -ge "$size" ] && ps=$EPOCHREALTIME
        [ "$EPOCHSECONDS" -ge "$give_up" ] && break
        sleep 0.05
    done
    w1=$EPOCHREALTIME
    touch "$work/stop"
    wait "$pass" || true
    pass=
    wait "$writer" || true
    writer=
    read -r p1 rc <"$work/pass.end"
    during=$(writes "$work/writes" "$p0" "$w1")
    before=$(writes "$work/writes" "" "$p0")

    rm -f "$work/stop"
    writer_loop >"$work/writes.after" &
    writer=$!
    sleep "$AFTER"
    touch "$work/stop"
    wait "$writer" || true
    writer=
    after=$(writes "$work/writes.after")

    started=$(recorded)
    alive=$(run_workers | wc -l)
    errors=$(grep -c . "$work/$size/logs/workers.log" 2>/dev/null || true)
    echo
    echo "writer_wait VMs=$size: pass $(s "$p0" "$p1") s (exit $rc), every worker recorded after $(s "$p0" "${pr:-$w1}") s, every command started after $(s "$p0" "${ps:-$w1}") s$([ -n "$ps" ] || echo " (not all: gave up)")"
    echo "  writer during the pass and the workers' start: $during"
    echo "  writer before the pass: $before"
    echo "  writer in the ${AFTER} s after it: $after"
    echo "  $started task operations with a worker, $alive worker processes alive at the end, ${errors:-0} worker log lines"
    if [ -s "$work/writer.err" ]; then
        echo "  writer errors: $(sort "$work/writer.err" | uniq -c | sort -rn | head -3 | tr -s ' ' | paste -sd ';')"
    fi
    if [ -s "$work/pass.err" ]; then
        echo "  pass stderr: $(head -3 "$work/pass.err" | paste -sd ';')"
    fi
    kill_run "$VMSCHED_DB"
    rm -rf "${work:?}/$size"
done
