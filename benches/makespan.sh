#!/usr/bin/env bash
# The makespan of a few short tasks that each need a revert, on the local libvirt daemon:
# one tiny domain (scripts/qemu-test-domain.sh, snapshots a, b and c) shared by three VM
# instances (`ev-a`, `ev-b`, `ev-c`, one per snapshot) in a scratch database. Per mode:
#
#   1. REVERTS reverts of the domain with `vmsched revert --steal`, cycling through the three
#      instances (the revert a task needs: another snapshot of the running domain); their median
#      is the revert time; the last owner is then marked dirty, as a finished task leaves it;
#   2. N jobs of one task each (`sleep TASK`), submitted round-robin from the instance after
#      that owner, so each task needs a revert of the domain;
#   3. passes driven like cron: `vmsched schedule-once` right after the last submit and then
#      every INTERVAL seconds, until `jobs list --format json` shows every job ended.
#
# Reported per mode: the makespan (first submit to the poll that saw the last job end, polls
# every POLL seconds) against the lower bound N x (revert median + TASK), and their ratio:
#
#   makespan N=6 interval=60 mode=events: 23.1 s, lower bound 20.7 s, ratio 1.12
#
# Modes: `events` (event passes on: vmsched starts a pass itself after each committed change;
# the INTERVAL loop is a safety net; skipped when the binary has no `event_passes` setting) and
# `cron` (VMSCHED_EVENT_PASSES=0, and `settings set event_passes false` where the binary has
# it: only the INTERVAL loop). The reverts of step 1 and the admin changes around them always
# run with VMSCHED_EVENT_PASSES=0.
#
# usage: benches/makespan.sh [VMSCHED]   (default: $CARGO_TARGET_DIR or target, /release/vmsched)
# env:   MODE (default "events cron"), N (default 6), INTERVAL (seconds, default 60), TASK
#        (seconds, default 3), REVERTS (default 5), POLL (seconds, default 0.2), MAX_SECONDS
#        (per mode, default (2N + 3) x INTERVAL + 120), VMSCHED_TEST_QEMU_URI (default
#        qemu:///system)
#
# The domain is `vmsched-bench-ev-PID-1`, removed on exit with every process the run started,
# whatever happens. Needs a running libvirtd (scripts/libvirt-setup.sh start). In cron mode a
# task takes two passes (one reverts, the next starts the task), so a run lasts about
# 2 x N x INTERVAL: N=3 INTERVAL=30 about 3 minutes, the defaults about 12.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh

BIN=$(bench_bin "${1:-}")
MODE=${MODE:-events cron}
N=${N:-6}
INTERVAL=${INTERVAL:-60}
TASK=${TASK:-3}
REVERTS=${REVERTS:-5}
POLL=${POLL:-0.2}
MAX_SECONDS=${MAX_SECONDS:-$(((2 * N + 3) * INTERVAL + 120))}
URI=${VMSCHED_TEST_QEMU_URI:-qemu:///system}
export VMSCHED_TEST_QEMU_URI=$URI
DOMAIN=vmsched-bench-ev-$$-1
SNAPSHOTS=(a b c)

work=$(mktemp -d /tmp/vmsched-bench-makespan.XXXXXX)
created=
cleanup() {
    kill_run "${VMSCHED_DB:-}"
    if [ -n "$created" ]; then
        # Another test may have stopped the daemon for a while: wait for it (up to 2 minutes)
        # rather than leave the domain behind.
        for _ in $(seq 1 24); do
            virsh -q -c "$URI" version >/dev/null 2>&1 && break
            sleep 5
        done
        scripts/qemu-test-domain.sh remove "$DOMAIN" >/dev/null 2>&1 ||
            echo "warning: could not remove $DOMAIN" >&2
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! virsh -q -c "$URI" version >/dev/null 2>&1; then
    echo "no libvirt daemon at $URI (scripts/libvirt-setup.sh start)" >&2
    exit 1
fi
echo "creating $DOMAIN with snapshots ${SNAPSHOTS[*]}..." >&2
created=1
scripts/qemu-test-domain.sh create "$DOMAIN" "${SNAPSHOTS[@]}"

# Whether every job has ended.
all_ended() {
    "$BIN" --format json jobs list 2>/dev/null | jq -e 'length > 0 and all(.[]; .ended != null)' >/dev/null
}

run_mode() {
    local mode=$1 i k owner revert t0 elapsed next passes rc makespan statuses
    mkdir -p "$work/$mode"
    export VMSCHED_DB=$work/$mode/vmsched.db
    export VMSCHED_EVENT_PASSES=0
    for s in "${SNAPSHOTS[@]}"; do
        "$BIN" -q vms add "ev-$s" -c "$URI" --domain "$DOMAIN" --snapshot "$s" >/dev/null
    done
    if [ "$mode" = events ]; then
        if ! knows_event_passes; then
            echo "makespan N=$N interval=$INTERVAL mode=events: skipped, $BIN has no event passes (no setting event_passes)"
            return 0
        fi
    else
        no_event_passes
    fi

    : >"$work/$mode/reverts"
    for i in $(seq 0 $((REVERTS - 1))); do
        seconds "$BIN" -q revert --steal "ev-${SNAPSHOTS[i % 3]}" >>"$work/$mode/reverts"
    done
    revert=$(median <"$work/$mode/reverts")
    owner=$(((REVERTS - 1) % 3))
    "$BIN" -q vms set "ev-${SNAPSHOTS[owner]}" --status dirty --force --reason bench >/dev/null
    [ "$mode" = events ] && unset VMSCHED_EVENT_PASSES

    t0=$EPOCHREALTIME
    for k in $(seq 0 $((N - 1))); do
        "$BIN" -q jobs submit --vm "ev-${SNAPSHOTS[(owner + 1 + k) % 3]}" -- sleep "$TASK" >/dev/null
    done
    next=0
    passes=0
    while :; do
        elapsed=$(since "$t0")
        if awk -v e="$elapsed" -v n="$next" 'BEGIN {exit !(e >= n)}'; then
            rc=0
            "$BIN" schedule-once >/dev/null 2>>"$work/$mode/passes.err" || rc=$?
            [ "$rc" -ne 0 ] && echo "warning: schedule-once exited $rc at ${elapsed%????} s" >&2
            passes=$((passes + 1))
            next=$((next + INTERVAL))
        fi
        if all_ended; then
            makespan=$(since "$t0")
            break
        fi
        if awk -v e="$elapsed" -v m="$MAX_SECONDS" 'BEGIN {exit !(e > m)}'; then
            echo "makespan N=$N interval=$INTERVAL mode=$mode: not done after $MAX_SECONDS s" >&2
            "$BIN" jobs list >&2 || true
            return 1
        fi
        sleep "$POLL"
    done
    statuses=$("$BIN" --format json jobs list | jq -r '[group_by(.status)[] | "\(length) \(.[0].status)"] | join(", ")')
    awk -v n="$N" -v i="$INTERVAL" -v m="$mode" -v s="$makespan" -v r="$revert" -v t="$TASK" 'BEGIN {
        lb = n * (r + t)
        printf "makespan N=%d interval=%d mode=%s: %.1f s, lower bound %.1f s, ratio %.2f\n", n, i, m, s, lb, s / lb
    }'
    echo "  revert median $(awk -v r="$revert" 'BEGIN {printf "%.2f", r}') s of $REVERTS; $passes passes run by the loop; jobs: $statuses"
    # Let what the last passes started (a power-off of the dirty domain, say) end, then stop it.
    for _ in $(seq 1 60); do
        [ "$(sqlite3 -cmd '.timeout 10000' "$VMSCHED_DB" 'SELECT COUNT(*) FROM operations WHERE ended IS NULL')" = 0 ] && break
        sleep 0.5
    done
    kill_run "$VMSCHED_DB"
}

echo "binary: $BIN"
echo "domain: $DOMAIN on $URI; task: sleep $TASK"
for mode in $MODE; do
    case $mode in
    events | cron) run_mode "$mode" ;;
    *)
        echo "unknown mode $mode (events or cron)" >&2
        exit 2
        ;;
    esac
done
