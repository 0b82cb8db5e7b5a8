# Shell functions shared by benches/makespan.sh, benches/writer_wait.sh and
# benches/workers_mem.sh (sourced, not run). They expect `set -euo pipefail`, $BIN (the vmsched
# binary measured) and $work (the run's scratch folder, from mktemp: every process the run
# starts names it, in its command line (`--db`) or its environment (`VMSCHED_DB`)).

# The binary measured: the argument, else the release build of $CARGO_TARGET_DIR or target.
bench_bin() {
    realpath "${1:-${CARGO_TARGET_DIR:-target}/release/vmsched}"
}

# Seconds (with microseconds) from START (an $EPOCHREALTIME) to now.
since() {
    awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.6f\n", b - a}'
}

# Seconds (with microseconds) that a command takes, its output discarded.
seconds() {
    local start=$EPOCHREALTIME
    "$@" >/dev/null
    since "$start"
}

median() {
    sort -g | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'
}

# Whether the binary knows the `event_passes` setting (needs an existing database).
knows_event_passes() {
    "$BIN" --format json settings list | jq -e 'any(.[]; .key == "event_passes")' >/dev/null
}

# No pass but the ones the benchmark runs: the environment variable for every process of the
# run, and the setting where the binary has it.
no_event_passes() {
    export VMSCHED_EVENT_PASSES=0
    if knows_event_passes; then
        "$BIN" -q settings set event_passes false >/dev/null ||
            "$BIN" -q settings set event_passes 0 >/dev/null
    fi
}

# The pids of the processes of this run: those naming $work in their command line or
# environment (workers, the task commands they start, passes), this shell excepted.
run_pids() {
    (
        # Neither grep nor its neighbours may name $work themselves: no VMSCHED_DB in their
        # environment, the pattern from a file descriptor.
        unset VMSCHED_DB
        grep -laF -f <(printf '%s\n' "$work") /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null |
            awk -F/ -v me="$$" '$3 != me {print $3}' | sort -un
    )
}

# "PID EXECUTABLE" for each process of this run.
run_exes() {
    local dirs=()
    mapfile -t dirs < <(run_pids | sed 's|^|/proc/|')
    [ "${#dirs[@]}" -eq 0 ] && return 0
    find "${dirs[@]}" -maxdepth 1 -name exe -printf '%h %l\n' 2>/dev/null |
        sed -e 's|^/proc/||' -e 's| (deleted)$||' || true
}

# The pids of this run's worker processes: $BIN, or a `vmsched-worker` beside it.
run_workers() {
    run_exes | awk -v a="$BIN" -v b="$(dirname "$BIN")/vmsched-worker" '$2 == a || $2 == b {print $1}'
}

# The start time of a pid (field 22 of /proc/PID/stat), empty when it is gone.
start_time() {
    awk '{sub(/^.*\) /, ""); print $20}' "/proc/$1/stat" 2>/dev/null || true
}

# Kills every process of this run: first the workers and task process groups of the live
# operations of DB (each only if its pid still has the recorded start time), then whatever
# else still names $work, until nothing does (at most about 20 s).
kill_run() {
    local db=${1:-} pid start pgid pgstart pids _
    if [ -n "$db" ] && [ -e "$db" ]; then
        while IFS='|' read -r pid start pgid pgstart; do
            if [ -n "$pgid" ] && [ "$(start_time "$pgid")" = "$pgstart" ]; then
                kill -KILL -- "-$pgid" 2>/dev/null || true
            fi
            if [ -n "$pid" ] && [ "$(start_time "$pid")" = "$start" ]; then
                kill -KILL -- "$pid" 2>/dev/null || true
            fi
        done < <(sqlite3 -cmd '.timeout 10000' "$db" \
            'SELECT pid, start_time, pgid, pgid_start FROM operations WHERE ended IS NULL' 2>/dev/null || true)
    fi
    for _ in $(seq 1 40); do
        mapfile -t pids < <(run_pids)
        [ "${#pids[@]}" -eq 0 ] && return 0
        kill -KILL -- "${pids[@]}" 2>/dev/null || true
        sleep 0.5
    done
    echo "warning: processes of this run still alive: $(run_pids | tr '\n' ' ')" >&2
}

# A lab of COUNT made-up VMs `vm1`..`vmCOUNT`, each on its own domain of libvirt's in-process
# test driver (`test:///default`, one host, never contacted: on it the check of a task's
# snapshot is skipped), all idle, with host limits that let every one run a task at once, and one job of
# one step with a queued task on each VM running CMD...; in the database $VMSCHED_DB.
idle_lab() {
    local count=$1 i check=()
    shift
    for i in $(seq 1 "$count"); do
        printf '[[vm]]\nname = "vm%d"\nuri = "test:///default"\ndomain = "vmsched-bench-made-up-%d"\nsnapshot = "s"\n' "$i" "$i"
    done >"$work/inventory.toml"
    # A binary that checks libvirt when VMs are registered has --no-check.
    case $("$BIN" vms import --help) in
    *--no-check*) check=(--no-check) ;;
    esac
    export VMSCHED_EVENT_PASSES=0
    "$BIN" -q hosts set '*' --max-active "$count" --max-running "$count" >/dev/null
    no_event_passes
    "$BIN" -q vms import "${check[@]}" "$work/inventory.toml" >/dev/null
    for i in $(seq 1 "$count"); do
        "$BIN" -q vms set "vm$i" --status idle --force >/dev/null
    done
    local vms=()
    for i in $(seq 1 "$count"); do
        vms+=(--vm "vm$i")
    done
    "$BIN" -q jobs submit --task-timeout 3600 "${vms[@]}" -- "$@" >/dev/null
}
