#!/usr/bin/env bash
# The real-QEMU comparisons of docs/performance.md, on the local libvirt daemon:
#
#   1. `vmsched revert VM` against `virsh snapshot-revert DOMAIN SNAPSHOT --running` on the same
#      domain and snapshot, interleaved, RUNS times each (target: median within 1.1x);
#   2. `vmsched domains show` over DOMAINS domains against a shell loop of `virsh domstate` and
#      `virsh snapshot-current --name` over the same domains, interleaved, RUNS times each
#      (target: median at most 0.3x).
#
# usage: benches/qemu.sh [VMSCHED]     (default: $CARGO_TARGET_DIR or target, /release/vmsched)
# env:   RUNS (default 20), DOMAINS (default 20), VMSCHED_TEST_QEMU_URI (default qemu:///system)
#
# It makes tiny domains `vmsched-bench-1..DOMAINS` with scripts/qemu-test-domain.sh (two
# snapshots each, `a` and `b`, one VM instance per snapshot in a scratch database) and removes
# them on exit, whatever happens. Needs a running libvirtd (scripts/libvirt-setup.sh start).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=$(realpath "${1:-${CARGO_TARGET_DIR:-target}/release/vmsched}")
RUNS=${RUNS:-20}
DOMAINS=${DOMAINS:-20}
URI=${VMSCHED_TEST_QEMU_URI:-qemu:///system}
export VMSCHED_TEST_QEMU_URI=$URI

work=$(mktemp -d)
export VMSCHED_DB=$work/vmsched.db
cleanup() {
    # Another test may have stopped the daemon for a while: wait for it (up to 2 minutes)
    # rather than leave the domains behind.
    for _ in $(seq 1 24); do
        virsh -q -c "$URI" version >/dev/null 2>&1 && break
        sleep 5
    done
    for i in $(seq 1 "$DOMAINS"); do
        scripts/qemu-test-domain.sh remove "vmsched-bench-$i" >/dev/null 2>&1 ||
            echo "warning: could not remove vmsched-bench-$i" >&2
    done
    rm -rf "$work"
}
trap cleanup EXIT

echo "creating $DOMAINS domains with snapshots a and b..." >&2
for i in $(seq 1 "$DOMAINS"); do
    scripts/qemu-test-domain.sh create "vmsched-bench-$i" a b
    for s in a b; do
        "$BIN" -q vms add "bench$i-$s" -c "$URI" --domain "vmsched-bench-$i" --snapshot "$s"
    done
done

# Seconds (with microseconds) that a command takes, its output discarded.
seconds() {
    local start=$EPOCHREALTIME
    "$@" >/dev/null
    local end=$EPOCHREALTIME
    echo "$start $end" | awk '{printf "%.6f\n", $2 - $1}'
}

median() {
    sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

loop() {
    for i in $(seq 1 "$DOMAINS"); do
        virsh -q -c "$URI" domstate "vmsched-bench-$i"
        virsh -q -c "$URI" snapshot-current --name "vmsched-bench-$i"
    done
}

# Reverts: both tools revert domain 1 to snapshot `a`, taking turns; the first vmsched revert
# makes bench1-a the domain's owner, so every later one is a plain revert of an idle owner.
"$BIN" -q revert bench1-a
: >"$work/revert.vmsched"
: >"$work/revert.virsh"
for _ in $(seq 1 "$RUNS"); do
    seconds "$BIN" -q revert bench1-a >>"$work/revert.vmsched"
    seconds virsh -q -c "$URI" snapshot-revert vmsched-bench-1 a --running >>"$work/revert.virsh"
done

# Live views of every domain.
"$BIN" domains show >/dev/null
: >"$work/show.vmsched"
: >"$work/show.loop"
for _ in $(seq 1 "$RUNS"); do
    seconds "$BIN" domains show >>"$work/show.vmsched"
    seconds loop >>"$work/show.loop"
done

ms() {
    awk '{printf "%.1f", $1 * 1000}'
}
rv=$(median <"$work/revert.vmsched")
rs=$(median <"$work/revert.virsh")
sv=$(median <"$work/show.vmsched")
sl=$(median <"$work/show.loop")
echo "binary: $BIN"
echo "runs: $RUNS interleaved, median wall time; $DOMAINS domains on $URI"
echo
echo "| comparison | vmsched ms | reference ms | ratio | target |"
echo "|---|---|---|---|---|"
echo "| \`revert\` vs \`virsh snapshot-revert --running\` | $(echo "$rv" | ms) | $(echo "$rs" | ms) | $(awk -v a="$rv" -v b="$rs" 'BEGIN {printf "%.2f", a / b}') | <= 1.1 |"
echo "| \`domains show\` ($DOMAINS domains) vs virsh loop | $(echo "$sv" | ms) | $(echo "$sl" | ms) | $(awk -v a="$sv" -v b="$sl" 'BEGIN {printf "%.2f", a / b}') | <= 0.3 |"
