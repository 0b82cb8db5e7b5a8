#!/usr/bin/env bash
# Sets up libvirt for vmsched's tests on Debian 12, as root, without systemd, on a host that
# other runs (and the demo) may share.
#
#   scripts/libvirt-setup.sh build    install libvirt-dev (and ssh): enough to build and to run
#                                     the in-process test driver (test:///...)
#   scripts/libvirt-setup.sh [start]  also install QEMU and see that a libvirtd runs, so that
#                                     qemu:///system and test+unix:///default answer: use the one
#                                     that runs, or start one; the run holds it until its `stop`
#   scripts/libvirt-setup.sh stop     remove the run's own leftover domains, end its hold, and
#                                     stop the libvirtd this script started once no run holds it
#   scripts/libvirt-setup.sh bounce [SECS]
#                                     stop the libvirtd this script started, wait SECS seconds
#                                     (default 3) and start it again, only when no other run
#                                     holds it; domains are kept (running QEMU domains outlive
#                                     libvirtd): the chaos test's outage
#
# A run is named by VMSCHED_TEST_RUN (`run` then lower-case letters and digits; scripts/test.sh
# makes one per run and exports it to the tests), and its domains by `vmsched-<run>-...`. Its
# hold lasts until its `stop`, or until the process that ran `start` ends. Without
# VMSCHED_TEST_RUN (by hand, scripts/demo.sh) the run is `manual`: it has no domains of its
# own, and its hold lasts until a `stop` without VMSCHED_TEST_RUN.
#
# What it touches:
#   - Debian packages it installs when missing (they stay installed);
#   - only when it starts libvirtd itself (none runs): the system user libvirt-qemu and groups
#     kvm, libvirt-qemu and libvirt when missing, and the settings below in
#     /etc/libvirt/qemu.conf and /etc/libvirt/libvirtd.conf (the latter as Debian's
#     libvirt-daemon-system sets it: members of group libvirt, such as the packaged `vmsched`
#     service user, may use qemu:///system without root; it takes effect only for a libvirtd
#     this script starts); it
#     copies each /etc file first (the account files as one set) and, when it stops that
#     libvirtd and no run holds it any more, puts back the copy byte for byte (a file someone
#     else changed since is left as it is, with a warning; accounts are then removed with
#     userdel/groupdel);
#   - the libvirtd it starts (log /var/log/vmsched-test-libvirtd.log), stopped by `stop` once no
#     run holds it (the run that started it may hand it to the runs still holding it);
#   - at `stop`, the domains and disks named `vmsched-<run>-` of its own run
#     (scripts/qemu-test-domain.sh);
#   - its records, /var/lib/vmsched-test-libvirtd (which libvirtd it started, which runs hold
#     it, the copies of /etc files), under the lock /run/vmsched-test-libvirtd.lock.
# What it leaves alone: a libvirtd it did not start (the system's, one started by hand or by an
# older copy of this script), every other domain (the demo's `vmsched-demo-*`, other runs',
# anyone's), /etc files it did not change, the demo's database.
#
# Exit status 0 when ready; 3 when it cannot set things up here (not root, a failed install or
# command, a daemon that does not answer), after one line `SKIP <what>: <reason>` on stderr
# (`error: ...` under CI=true, where scripts/test.sh fails on it), or when `bounce` must not
# stop libvirtd (`SKIP libvirtd bounce: <reason>`); 2 for a usage error.
set -Eeuo pipefail
trap 'skip "libvirt setup" "\`$BASH_COMMAND\` failed (line $LINENO)"' ERR

SCRIPTS=$(cd "$(dirname "$0")" && pwd)
STATE=/var/lib/vmsched-test-libvirtd # daemon, holds/RUN, etc/SET/ (see above)
LOCK=/run/vmsched-test-libvirtd.lock
LOG=/var/log/vmsched-test-libvirtd.log
CONF=/etc/libvirt/qemu.conf
LIBVIRTD_CONF=/etc/libvirt/libvirtd.conf
CONF_HEADER="# vmsched test settings (scripts/libvirt-setup.sh)"
# The files useradd and groupadd write.
ACCOUNTS=(/etc/passwd /etc/group /etc/shadow /etc/gshadow
    /etc/passwd- /etc/group- /etc/shadow- /etc/gshadow-)
SKIP=3
QEMU_PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 tini)
QEMU_SETTINGS=(
    'user = "root"'
    'group = "root"'
    'dynamic_ownership = 0'
    'remember_owner = 0'
    'security_driver = "none"'
    'cgroup_controllers = [ ]'
    'namespaces = [ ]'
    'stdio_handler = "file"'
)
LIBVIRTD_SETTINGS=(
    'unix_sock_group = "libvirt"'
    'unix_sock_rw_perms = "0770"'
    'auth_unix_rw = "none"'
)
APT_UPDATED=no
RUN=${VMSCHED_TEST_RUN:-}
HOLD=${RUN:-manual}
BOOT=$(cat /proc/sys/kernel/random/boot_id)
WHY=

skip() {
    if [ "${CI:-}" = true ]; then
        echo "error: cannot set up $1: $2" >&2
    else
        echo "SKIP $1: $2" >&2
    fi
    exit "$SKIP"
}

# A refusal that is not a failure to set up: said as SKIP everywhere.
refuse() {
    echo "SKIP $1: $2" >&2
    exit "$SKIP"
}

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

need_root() {
    [ "$(id -u)" = 0 ] || skip "$1" "needs root to $2"
}

apt_install() {
    if [ "$APT_UPDATED" = no ]; then
        apt-get update -qq -o DPkg::Lock::Timeout=300 >&2 || return 1
        APT_UPDATED=yes
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 "$@" >&2
}

install_build() {
    local missing=()
    installed libvirt-dev || missing+=(libvirt-dev)
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    # ssh: the test of a silent qemu+ssh host (it says SKIP without it).
    command -v ssh >/dev/null || missing+=(openssh-client)
    [ ${#missing[@]} = 0 ] && return
    need_root "libvirt-dev" "install ${missing[*]}"
    apt_install "${missing[@]}" || skip "libvirt-dev" "apt-get install ${missing[*]} failed"
}

install_qemu() {
    local missing=() package
    for package in "${QEMU_PACKAGES[@]}"; do
        installed "$package" || missing+=("$package")
    done
    command -v qemu-img >/dev/null || missing+=(qemu-utils)
    [ ${#missing[@]} = 0 ] && return
    # The image's newer qemu-utils conflicts with bookworm's QEMU: downgrade it in the same
    # command, or qemu-img disappears.
    apt_install "${QEMU_PACKAGES[@]}" qemu-utils/bookworm --allow-downgrades ||
        skip "QEMU" "apt-get install ${QEMU_PACKAGES[*]} qemu-utils/bookworm failed"
}

# --- Processes, named for as long as they live: "BOOT PID START" (the boot, the pid and its
# start time in clock ticks), so that a reused pid is never taken for them.

proc_id() {
    local stat rest
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    read -ra rest <<<"${stat##*) }" # the fields after the command name, from the state on
    echo "$BOOT $1 ${rest[19]}"
}

alive() {
    local pid
    read -r _ pid _ <<<"$1"
    [ -n "$pid" ] && [ "$(proc_id "$pid" 2>/dev/null)" = "$1" ]
}

# The pid of the libvirtd this script started, when it still runs.
our_libvirtd() {
    local id pid
    id=$(cat "$STATE/daemon" 2>/dev/null) || return 1
    alive "$id" || return 1
    read -r _ pid _ <<<"$id"
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = libvirtd ] && echo "$pid"
}

# --- Holds: $STATE/holds/RUN is "keep" (manual) or the id of the process that ran `start`.

hold() {
    local file=$STATE/holds/$HOLD
    if [ -z "$RUN" ]; then
        echo keep >"$file"
    elif ! proc_id "$PPID" >"$file"; then
        rm -f "$file"
    fi
}

# The runs that hold libvirtd, one a line; drops (saying so) the holds of runs that ended.
live_holds() {
    local file id run
    for file in "$STATE"/holds/*; do
        [ -e "$file" ] || continue
        run=${file##*/}
        id=$(cat "$file")
        if [ "$id" = keep ] || alive "$id"; then
            echo "$run"
        else
            rm -f "$file"
            echo "run $run ended without \`stop\`: its hold is dropped, its domains are left" \
                "(\`VMSCHED_TEST_RUN=$run $0 stop\` removes them)" >&2
        fi
    done
}

# --- Copies of the /etc files this script changes, in sets restored all or none:
# $STATE/etc/SET/KEY.orig before its first change, KEY.ours after its last one (a `.none`
# marker stands for a file that did not exist).

key() {
    local path=${1#/}
    echo "${path//\//%}"
}

keep_copy() {
    rm -f "$2" "$2.none"
    if [ -e "$1" ]; then cp -p "$1" "$2"; else : >"$2.none"; fi
}

as_kept() {
    if [ -e "$2.none" ]; then
        [ ! -e "$1" ]
    else
        [ -e "$2" ] && [ -e "$1" ] && cmp -s "$1" "$2"
    fi
}

put_back() {
    if [ -e "$2.none" ]; then
        rm -f "$1"
    else
        cp -p "$2" "$1.vmsched-restore" && mv -f "$1.vmsched-restore" "$1"
    fi
}

# Before changing the files of set $1: copies each one not copied yet.
save_etc() {
    local dir=$STATE/etc/$1 file k
    shift
    mkdir -p "$dir"
    for file; do
        k=$dir/$(key "$file")
        if [ ! -e "$k.orig" ] && [ ! -e "$k.orig.none" ]; then keep_copy "$file" "$k.orig"; fi
    done
}

# After changing them: what this script wrote.
wrote_etc() {
    local dir=$STATE/etc/$1 file
    shift
    for file; do keep_copy "$file" "$dir/$(key "$file").ours"; done
}

# Puts back the files of set $1 as they were before this script changed them, unless one of
# them changed since (status 1, saying which).
restore_set() {
    local set=$1 dir=$STATE/etc/$1 file k
    shift
    [ -d "$dir" ] || return 0
    for file; do
        k=$dir/$(key "$file")
        [ -e "$k.orig" ] || [ -e "$k.orig.none" ] || continue
        if ! as_kept "$file" "$k.ours"; then
            if [ "$set" = accounts ]; then
                echo "$file changed since this script changed it (accounts added or removed" \
                    "meanwhile): the account files stay as they are" >&2
            else
                echo "$file changed since this script changed it: left as it is" \
                    "(its earlier content: $k.orig)" >&2
            fi
            return 1
        fi
    done
    for file; do
        k=$dir/$(key "$file")
        [ -e "$k.orig" ] || [ -e "$k.orig.none" ] || continue
        if ! put_back "$file" "$k.orig"; then
            echo "cannot put back $file (its earlier content: $k.orig)" >&2
            return 1
        fi
    done
    rm -rf "$dir"
    echo "restored $*" >&2
}

# Once no libvirtd runs: the /etc files as they were before this script changed them.
restore_etc() {
    local account
    [ -d "$STATE/etc" ] || return 0
    if pgrep -x libvirtd >/dev/null; then
        echo "a libvirtd runs: $CONF, $LIBVIRTD_CONF and the accounts stay as they are" >&2
        return
    fi
    restore_set qemu "$CONF" || true
    restore_set libvirtd "$LIBVIRTD_CONF" || true
    if ! restore_set accounts "${ACCOUNTS[@]}"; then
        # Someone else changed the account files since: remove only what this script added.
        while read -r account; do
            case "$account" in
            user:*) userdel "${account#user:}" 2>/dev/null || true ;;
            group:*) groupdel "${account#group:}" 2>/dev/null || true ;;
            esac
            echo "removed $account" >&2
        done < <(tac "$STATE/etc/accounts/added" 2>/dev/null)
        rm -rf "$STATE/etc/accounts"
    fi
    rmdir "$STATE/etc" 2>/dev/null || true
}

# libvirtd's QEMU driver refuses to start without this user, even with user = "root"; the
# group libvirt owns the read-write socket (LIBVIRTD_SETTINGS).
create_qemu_user() {
    local missing=() account
    getent group kvm >/dev/null || missing+=(group:kvm)
    getent group libvirt-qemu >/dev/null || missing+=(group:libvirt-qemu)
    getent group libvirt >/dev/null || missing+=(group:libvirt)
    getent passwd libvirt-qemu >/dev/null || missing+=(user:libvirt-qemu)
    [ ${#missing[@]} = 0 ] && return
    save_etc accounts "${ACCOUNTS[@]}"
    for account in "${missing[@]}"; do
        case "$account" in
        group:*) groupadd --system "${account#group:}" ;;
        user:*)
            useradd --system --gid kvm --groups libvirt-qemu --home-dir /var/lib/libvirt \
                --no-create-home --shell /usr/sbin/nologin libvirt-qemu
            ;;
        esac
        echo "$account" >>"$STATE/etc/accounts/added"
    done
    wrote_etc accounts "${ACCOUNTS[@]}"
}

# Writes the settings $3... that are not already so into file $2, copied first as set $1.
configure() {
    local set=$1 file=$2 setting key changed=no
    shift 2
    mkdir -p "$(dirname "$file")"
    for setting; do
        grep -qxF "$setting" "$file" 2>/dev/null && continue
        if [ "$changed" = no ]; then
            save_etc "$set" "$file"
            grep -qxF "$CONF_HEADER" "$file" 2>/dev/null || echo "$CONF_HEADER" >>"$file"
            changed=yes
        fi
        key=${setting%% *}
        sed -i "s/^[[:space:]]*${key}[[:space:]]*=/# &/" "$file"
        echo "$setting" >>"$file"
    done
    if [ "$changed" = yes ]; then wrote_etc "$set" "$file"; fi
}

answers() {
    virsh -c "$1" version >/dev/null 2>&1
}

# Starts libvirtd and records it as this script's; status 1 with the reason in WHY when it
# does not answer (what it started is stopped).
start_libvirtd() {
    local launcher pid
    # A subreaper (tini) reaps QEMU's exited processes at once: destroy and revert are
    # 1.5-2 s slower without it.
    setsid tini -s -- libvirtd </dev/null >>"$LOG" 2>&1 9>&- &
    launcher=$!
    for _ in $(seq 60); do
        if answers qemu:///system && pid=$(cat /run/libvirtd.pid) &&
            proc_id "$pid" >"$STATE/daemon"; then
            echo "libvirtd started (pid $pid, log $LOG)" >&2
            return 0
        fi
        if ! pgrep -x libvirtd >/dev/null; then
            WHY="it exited at start: $(tail -n 1 "$LOG")"
            return 1
        fi
        sleep 1
    done
    end_process "$launcher" # tini passes the signal on to libvirtd
    WHY="qemu:///system did not answer within 60 s (log $LOG)"
    return 1
}

# Whether process $1 runs (a zombie does not).
runs() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    [[ "${stat##*) }" != Z* ]]
}

# Ends process $1: TERM, then KILL after 15 s.
end_process() {
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 60); do
        runs "$1" || return 0
        sleep 0.25
    done
    kill -KILL "$1" 2>/dev/null || true
}

# Stops the libvirtd of pid $1 and forgets it.
end_libvirtd() {
    end_process "$1"
    rm -f "$STATE/daemon"
}

start() {
    local pid
    if pid=$(our_libvirtd); then
        echo "libvirtd runs (pid $pid, started by this script): used" >&2
    elif pgrep -x libvirtd >/dev/null; then
        rm -f "$STATE/daemon"
        echo "libvirtd runs, not started by this script: used, and left as it is" >&2
    else
        rm -f "$STATE/daemon"
        create_qemu_user
        configure qemu "$CONF" "${QEMU_SETTINGS[@]}"
        configure libvirtd "$LIBVIRTD_CONF" "${LIBVIRTD_SETTINGS[@]}"
        if ! start_libvirtd; then
            restore_etc
            skip "libvirtd" "$WHY"
        fi
    fi
    hold
    answers qemu:///system || skip "qemu:///system" "libvirtd does not answer"
    answers test+unix:///default || skip "test+unix:///default" "libvirtd does not answer"
}

# This run's leftover domains and disks (`vmsched-<run>-*`); never anyone else's.
remove_domains() {
    local name
    [ -n "$RUN" ] || return 0
    for name in $("$SCRIPTS/qemu-test-domain.sh" list); do
        "$SCRIPTS/qemu-test-domain.sh" remove "$name" || true
        echo "removed leftover domain $name" >&2
    done
}

stop() {
    local pid holds running
    remove_domains
    rm -f "$STATE/holds/$HOLD"
    mapfile -t holds < <(live_holds)
    if ! pid=$(our_libvirtd); then
        rm -f "$STATE/daemon"
        if pgrep -x libvirtd >/dev/null; then
            echo "libvirtd was not started by this script: left running" >&2
        fi
    elif [ ${#holds[@]} != 0 ]; then
        echo "libvirtd (pid $pid) left running: run ${holds[*]} still holds it" \
            "(the last one to stop stops it)" >&2
    else
        running=$(virsh -q -c qemu:///system list --name 2>/dev/null | paste -sd ' ') || true
        end_libvirtd "$pid"
        echo "libvirtd stopped (pid $pid)" >&2
        if [ -n "$running" ]; then
            echo "domains left running without libvirtd (they are back when it starts): $running" >&2
        fi
    fi
    if [ ${#holds[@]} = 0 ]; then restore_etc; fi
}

# Stops our libvirtd without touching its domains, waits, and starts it again.
bounce() {
    local pid secs=$1 run holds
    pid=$(our_libvirtd) || refuse "libvirtd bounce" "no libvirtd started by this script runs"
    mapfile -t holds < <(live_holds)
    for run in "${holds[@]}"; do
        [ "$run" = "$HOLD" ] ||
            refuse "libvirtd bounce" "run $run also holds libvirtd: it is not stopped under it"
    done
    end_libvirtd "$pid"
    echo "libvirtd stopped (pid $pid) for ${secs}s; its domains keep running" >&2
    sleep "$secs"
    start_libvirtd || skip "libvirtd" "$WHY"
    answers qemu:///system || skip "qemu:///system" "libvirtd does not answer after the bounce"
}

usage() {
    echo "usage: [VMSCHED_TEST_RUN=runID] $0 [build|start|stop|bounce [SECS]]" >&2
    exit 2
}

mode=${1:-start}
case "$mode" in
build)
    install_build
    ;;
start | stop | bounce)
    [[ -z "$RUN" || "$RUN" =~ ^run[a-z0-9]+$ ]] || usage
    secs=${2:-3}
    [[ "$secs" =~ ^[0-9]+(\.[0-9]+)?$ ]] || usage
    if [ "$(id -u)" != 0 ] && [ "$mode" = stop ]; then
        echo "not root: no libvirtd or domain of this script to stop" >&2
        exit 0
    fi
    need_root "libvirtd" "$mode libvirtd"
    if [ "$mode" = start ]; then
        install_build
        install_qemu
    fi
    mkdir -p "$STATE/holds"
    exec 9>"$LOCK"
    flock 9
    case "$mode" in
    start) start ;;
    stop) stop ;;
    bounce) bounce "$secs" ;;
    esac
    ;;
*)
    usage
    ;;
esac
