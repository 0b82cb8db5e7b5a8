#!/usr/bin/env bash
# What running task workers cost while their tasks run: a lab of COUNT made-up idle VMs with a
# queued task each (command CMD), one `vmsched schedule-once` that starts a task worker on
# every one, then, once every task command runs, the summed PSS of the worker processes alone
# (Pss of /proc/PID/smaps_rollup) and their CPU time (utime + stime of /proc/PID/stat) over
# IDLE seconds, extrapolated to SCALE workers. Worker processes are this run's processes whose
# executable is VMSCHED or a `vmsched-worker` beside it; the task commands are not counted.
#
# usage: benches/workers_mem.sh [VMSCHED]   (default: $CARGO_TARGET_DIR or target, /release/vmsched)
# env:   COUNT (default 500), CMD (the task command, default "sleep 600"), IDLE (seconds, default
#        30), SCALE (default 2000)
#
# No libvirt is needed. Event passes are off (VMSCHED_EVENT_PASSES=0, and the setting
# `event_passes` where the binary has it). Every process the run started (workers, task
# commands) is killed and the scratch database removed on exit, whatever happens. Takes about
# a minute with the defaults (registering the VMs, then IDLE seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh

BIN=$(bench_bin "${1:-}")
COUNT=${COUNT:-500}
read -r -a CMD <<<"${CMD:-sleep 600}"
IDLE=${IDLE:-30}
SCALE=${SCALE:-2000}

work=$(mktemp -d /tmp/vmsched-bench-mem.XXXXXX)
export VMSCHED_DB=$work/vmsched.db
cleanup() {
    kill_run "$VMSCHED_DB"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The pids of this run's task commands (the executable of CMD).
commands() {
    local c dir
    c=$(realpath "$(command -v "${CMD[0]}")")
    # A task's environment names nothing of the run (an allow-list): its folder does.
    { find /proc -mindepth 2 -maxdepth 2 -name cwd -lname "$work/*" -printf '%h\n' 2>/dev/null || true; } |
        while read -r dir; do
            if [ "$(readlink "$dir/exe" 2>/dev/null)" = "$c" ]; then echo "${dir#/proc/}"; fi
        done
}

# utime + stime (clock ticks) of each pid: "pid ticks" lines.
ticks() {
    local pid
    for pid in "$@"; do
        awk -v p="$pid" '{sub(/^.*\) /, ""); print p, $12 + $13}' "/proc/$pid/stat" 2>/dev/null || true
    done
}

echo "lab of $COUNT idle VMs with a queued task each..." >&2
idle_lab "$COUNT" "${CMD[@]}"
start=$EPOCHREALTIME
"$BIN" schedule-once >/dev/null
pass=$(since "$start")
# Wait (up to 2 minutes) until every task command runs.
for _ in $(seq 1 240); do
    running=$(commands | wc -l)
    [ "$running" -ge "$COUNT" ] && break
    sleep 0.5
done
sleep 2
mapfile -t pids < <(run_workers)
n=${#pids[@]}
if [ "$n" -eq 0 ]; then
    echo "no worker process found" >&2
    exit 1
fi
pss=$(for pid in "${pids[@]}"; do cat "/proc/$pid/smaps_rollup" 2>/dev/null || true; done |
    awk '/^Pss:/ {s += $2} END {print s}')
rss=$(for pid in "${pids[@]}"; do cat "/proc/$pid/smaps_rollup" 2>/dev/null || true; done |
    awk '/^Rss:/ {s += $2} END {print s}')
ticks "${pids[@]}" >"$work/ticks.0"
sleep "$IDLE"
ticks "${pids[@]}" >"$work/ticks.1"
hz=$(getconf CLK_TCK)
cpu=$(awk 'NR == FNR {t[$1] = $2; next} ($1 in t) {s += $2 - t[$1]} END {print s + 0}' \
    "$work/ticks.0" "$work/ticks.1")

echo "binary: $BIN"
echo "task command: ${CMD[*]}; pass ${pass%????} s; $running task commands running, $n worker processes"
awk -v n="$n" -v pss="$pss" -v rss="$rss" -v cpu="$cpu" -v hz="$hz" -v idle="$IDLE" -v scale="$SCALE" 'BEGIN {
    printf "workers_mem workers=%d: PSS %.1f MiB (%.0f KiB each; RSS %.1f MiB summed), CPU %.2f s in %d s (%.2f%% of one core)\n",
        n, pss / 1024, pss / n, rss / 1024, cpu / hz, idle, 100 * cpu / hz / idle
    printf "  extrapolated to %d workers: PSS %.1f MiB, CPU %.2f%% of one core\n",
        scale, pss / 1024 * scale / n, 100 * cpu / hz / idle * scale / n
}'
