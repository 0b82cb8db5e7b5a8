#!/usr/bin/env bash
# `jobs submit --file` of a large job file, and how long it keeps other writers waiting: a
# scratch database with 8 VMs (libvirt's test driver, never contacted), a generated job file of
# STEPS steps (a chain of a quarter of them, written last step first, each chain step followed
# by three steps that come after it, two VMs each), then the submission timed while another
# process runs `settings set max_errors 3` in a loop; its slowest run is about the length of the
# submission's write transaction plus one start-up.
#
# usage: benches/jobfile.sh [VMSCHED [STEPS [DIR]]]
#   VMSCHED  default: $CARGO_TARGET_DIR or target, /release/vmsched
#   STEPS    default: 16000 (a multiple of 4)
#   DIR      a new folder to leave the database and `job.toml` in (default: a temporary one,
#            removed at the end)
set -euo pipefail

target=${CARGO_TARGET_DIR:-target}
BIN=$(realpath "${1:-$target/release/vmsched}")
STEPS=${2:-16000}
writer=
if [ -n "${3:-}" ]; then
    mkdir "$3"
    dir=$(realpath "$3")
    trap 'kill "$writer" 2>/dev/null || true' EXIT
else
    dir=$(mktemp -d)
    trap 'kill "$writer" 2>/dev/null || true; rm -rf "$dir"' EXIT
fi
export VMSCHED_DB=$dir/vmsched.db

# The VMs are made up: a binary that checks libvirt when VMs are registered has --no-check.
check=()
case $("$BIN" vms add --help) in
*--no-check*) check=(--no-check) ;;
esac
for i in 1 2 3 4 5 6 7 8; do
    "$BIN" vms add "w$i" -c test:///default --domain "d$i" --snapshot s "${check[@]}" 2>/dev/null
done

awk -v steps="$STEPS" 'BEGIN {
    chain = steps / 4
    for (k = chain - 1; k >= 0; k--) {
        printf "[[step]]\nname = \"c%d\"\n", k
        if (k > 0) printf "after = \"c%d\"\n", k - 1
        printf "vms = [\"w%d\", \"w%d\"]\ncommand = [\"./test.sh\", \"c%d\"]\n", k % 8 + 1, (k + 1) % 8 + 1, k
        for (f = 0; f < 3; f++) {
            printf "[[step]]\nname = \"f%d_%d\"\nafter = \"c%d\"\n", k, f, k
            printf "vms = [\"w%d\", \"w%d\"]\ncommand = [\"./test.sh\", \"f\"]\ntimeout = 600\n", (k + f) % 8 + 1, (k + f + 4) % 8 + 1
        }
    }
}' >"$dir/job.toml"

# The writer: one `settings set` after another, each one's wall time in ms, until killed. It
# waits for the lock as long as it takes (the default busy timeout would give up after 10 s).
(
    while true; do
        start=$(date +%s%N)
        VMSCHED_BUSY_TIMEOUT_MS=3600000 "$BIN" settings set max_errors 3 2>/dev/null
        echo $((($(date +%s%N) - start) / 1000000))
    done
) >"$dir/writer.ms" &
writer=$!
sleep 1

echo "binary: $BIN"
echo "job file: $STEPS steps, $(wc -c <"$dir/job.toml") bytes"
start=$(date +%s%N)
/usr/bin/time -f "peak RSS %M KiB" "$BIN" jobs submit --file "$dir/job.toml"
echo "jobs submit --file: $((($(date +%s%N) - start) / 1000000)) ms"
sleep 1
kill "$writer"
wait "$writer" 2>/dev/null || true
sort -n "$dir/writer.ms" | awk '{ms[NR] = $1} END {
    printf "settings set: %d runs, median %d ms, slowest %d ms\n", NR, ms[int((NR + 1) / 2)], ms[NR]
}'
echo "steps stored: $(sqlite3 "$VMSCHED_DB" 'SELECT count(*) FROM steps'), database $(wc -c <"$VMSCHED_DB") bytes"
printf '[[vm]]\nname = "w9"\nuri = "test:///default"\ndomain = "d9"\nsnapshot = "s"\n' >"$dir/lab.toml"
start=$(date +%s%N)
"$BIN" vms import --dry-run "${check[@]}" "$dir/lab.toml" >/dev/null 2>&1
echo "vms import --dry-run (copies the database): $((($(date +%s%N) - start) / 1000000)) ms"
