#!/usr/bin/env bash
# Listings and purges on a long-lived lab: a database of 100 VMs with ROWS history rows (default
# 1,000,000) and JOBS ended jobs (default 100,000; one step, one task, one operation each), spread
# evenly over the last 400 days, generated with sqlite3 in the shape vmsched writes (typed rows:
# status changes, starts, task ends, reverts with their durations, counters). Then, each under
# /usr/bin/time (wall time and peak RSS; stdout to /dev/null):
#
#   history                          the newest 50
#   history --vm vm7                 one VM's newest 50
#   history --since 1d               the last day's newest 50
#   --format json history --all      every row, streamed
#   jobs list                        open jobs and those ended in the last day
#   --format json jobs list --all    every job, streamed
#   purge --older-than 90d --dry-run
#   purge --older-than 90d           (about 77% of everything)
#   purge --older-than 90d --vacuum  (nothing left to remove: the vacuum alone)
#
# and the file's size before and after. While the purge runs, a writer (one sqlite3 process per
# `BEGIN IMMEDIATE` transaction) runs in a loop; its worst and median latency say how long the
# purge made writers wait.
#
# usage: benches/history.sh [VMSCHED]   (default: $CARGO_TARGET_DIR or target, /release/vmsched)
# env:   ROWS (history rows, default 1000000), JOBS (default 100000), KEEP (keep the scratch
#        folder, /tmp/vmsched-bench-history.*, for a look at the database)
# Needs sqlite3 and /usr/bin/time; no libvirt. Takes about a minute for the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh

BIN=$(bench_bin "${1:-}")
ROWS=${ROWS:-1000000}
JOBS=${JOBS:-100000}
work=$(mktemp -d /tmp/vmsched-bench-history.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
export VMSCHED_DB=$work/vmsched.db VMSCHED_EVENT_PASSES=0

for i in $(seq 1 100); do
    printf '[[vm]]\nname = "vm%d"\nuri = "test:///default"\ndomain = "d%d"\nsnapshot = "s"\n' "$i" "$i"
done >"$work/inventory.toml"
"$BIN" -q vms import --no-check "$work/inventory.toml" >/dev/null
no_event_passes
# Passes purge nothing behind the measurements' back.
"$BIN" -q settings set retention 0 >/dev/null

start=$EPOCHREALTIME
sqlite3 "$VMSCHED_DB" <<SQL
PRAGMA foreign_keys = OFF;
-- Row n is (400 days) * (1 - n/N) old.
WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < $ROWS)
INSERT INTO history (time, vm, host, kind, old_status, new_status, detail, user,
                     job, step, task, result, duration_ms, runnable, queued, blocked)
SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || ((($ROWS - n) * 34560000) / $ROWS) || ' seconds'),
       CASE WHEN n % 10 = 0 THEN NULL ELSE 'vm' || (1 + n % 100) END,
       CASE WHEN n % 10 = 0 THEN NULL ELSE 'localhost' END,
       CASE n % 10 WHEN 0 THEN 'counters' WHEN 1 THEN 'status' WHEN 2 THEN 'status'
                   WHEN 3 THEN 'revert' WHEN 4 THEN 'start' WHEN 5 THEN 'task'
                   ELSE 'status' END,
       CASE WHEN n % 10 = 0 THEN NULL ELSE 'idle' END,
       CASE WHEN n % 10 = 0 THEN NULL WHEN n % 10 = 4 THEN 'running' ELSE 'dirty' END,
       CASE n % 10 WHEN 0 THEN 'counters runnable 3 queued 7 blocked 1'
                   WHEN 4 THEN 'running ' || n || ' 1 1'
                   WHEN 5 THEN 'dirty task ' || n || '/1/1 completed'
                   ELSE 'idle' END,
       'scheduler',
       CASE WHEN n % 10 IN (4, 5) THEN n END, CASE WHEN n % 10 IN (4, 5) THEN 1 END,
       CASE WHEN n % 10 IN (4, 5) THEN 1 END,
       CASE n % 10 WHEN 3 THEN 'ok' WHEN 5 THEN 'completed' END,
       CASE WHEN n % 10 IN (3, 5) THEN 20000 + n % 5000 END,
       CASE WHEN n % 10 = 0 THEN 3 END, CASE WHEN n % 10 = 0 THEN 7 END,
       CASE WHEN n % 10 = 0 THEN 1 END
FROM i;
WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < $JOBS),
     t(n, at) AS (SELECT n, strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || ((($JOBS - n) * 34560000) / $JOBS) || ' seconds') FROM i)
INSERT INTO jobs (id, status, user, submitted, ended) SELECT n, 'completed', 'u' || (n % 7), at, at FROM t;
INSERT INTO steps (job, no, status, command) SELECT id, 1, 'completed', '["true"]' FROM jobs;
INSERT INTO tasks (job, step, no, vm, status, tries, started, ended, exit_code, log)
SELECT id, 1, 1, 'vm' || (1 + id % 100), 'completed', 0, ended, ended, 0, 'logs/' || id || '/1/1.1.log' FROM jobs;
INSERT INTO operations (vm, kind, deadline, created, ended, result, job, step, task, by_user)
SELECT 'vm' || (1 + id % 100), 'task', ended, ended, ended, 'completed', id, 1, 1, 'scheduler' FROM jobs;
SQL
sqlite3 "$VMSCHED_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
echo "generated $ROWS history rows and $JOBS jobs in $(since "$start") s"

size() { stat -c %s "$VMSCHED_DB"; }
# "wall s, peak RSS MB" of `vmsched ARGS`.
measure() {
    /usr/bin/time -f '%e %M' -o "$work/time" "$BIN" "$@" >/dev/null
    awk '{printf "%.2f s, %.0f MB", $1, $2 / 1024}' "$work/time"
}
row() {
    printf '| `%s` | %s |\n' "$*" "$(measure "$@")"
}

echo
echo "database: $(($(size) / 1000000)) MB"
echo
echo '| command | wall, peak RSS |'
echo '|---|---|'
row history
row history --vm vm7
row history --since 1d
row --format json history --all
row jobs list
row --format json jobs list --all
row purge --older-than 90d --dry-run

# A writer in a loop while the purge runs: one sqlite3 process per write, each a `BEGIN
# IMMEDIATE` transaction (what the purge makes it wait for, plus a process start of ~5 ms).
(
    while [ ! -e "$work/done" ]; do
        s=$EPOCHREALTIME
        sqlite3 -cmd '.timeout 60000' "$VMSCHED_DB" \
            "BEGIN IMMEDIATE; UPDATE pass_requests SET requested = requested; COMMIT;" \
            >/dev/null 2>&1 || echo fail
        since "$s"
    done >"$work/writes"
) &
writer=$!
row purge --older-than 90d
touch "$work/done"
wait "$writer"
before=$(size)
row purge --older-than 90d --vacuum
echo
echo "writer during the purge: $(grep -vc fail "$work/writes") writes, median $(grep -v fail "$work/writes" | median) s, worst $(grep -v fail "$work/writes" | sort -g | tail -1) s, failed $(grep -c fail "$work/writes" || true)"
echo "database: $((before / 1000000)) MB after the purge, $(($(size) / 1000000)) MB after the vacuum"
echo "left: $(sqlite3 "$VMSCHED_DB" 'SELECT count(*) FROM history') history rows, $(sqlite3 "$VMSCHED_DB" 'SELECT count(*) FROM jobs') jobs"
