#!/usr/bin/env bash
# Sets up libvirt for vmsched's tests on Debian 12, as root, without systemd.
#
#   scripts/libvirt-setup.sh build    install libvirt-dev (and ssh): enough to build and to run
#                                     the in-process test driver (test:///...)
#   scripts/libvirt-setup.sh [start]  also install QEMU and start libvirtd, so that
#                                     qemu:///system and test+unix:///default answer
#   scripts/libvirt-setup.sh stop     remove leftover vmsched-* domains and stop libvirtd,
#                                     only when this script started it
#   scripts/libvirt-setup.sh bounce [SECS]
#                                     stop the libvirtd this script started, wait SECS seconds
#                                     (default 3) and start it again; domains are kept (running
#                                     QEMU domains outlive libvirtd): the chaos test's outage
#
# Idempotent: each step is skipped when already done. Exit status 0 when ready; 3 when it
# cannot set things up here (not root, a failed install or command, a daemon that does not
# answer), after one line `SKIP <what>: <reason>` on stderr.
set -Eeuo pipefail
trap 'skip "libvirt setup" "\`$BASH_COMMAND\` failed (line $LINENO)"' ERR

STATE=/run/vmsched-test-libvirtd.pid      # pid of the libvirtd this script started
LOCK=/run/vmsched-test-libvirtd.lock
LOG=/var/log/vmsched-test-libvirtd.log
CONF=/etc/libvirt/qemu.conf
CONF_HEADER="# vmsched test settings (scripts/libvirt-setup.sh)"
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
APT_UPDATED=no
QEMU_CONF_CHANGED=no

skip() {
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

# libvirtd's QEMU driver refuses to start without this user, even with user = "root".
create_qemu_user() {
    getent group kvm >/dev/null || groupadd --system kvm
    getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
    getent passwd libvirt-qemu >/dev/null ||
        useradd --system --gid kvm --groups libvirt-qemu --home-dir /var/lib/libvirt \
            --no-create-home --shell /usr/sbin/nologin libvirt-qemu
}

# Writes the settings that are not already so; sets QEMU_CONF_CHANGED when it wrote any.
configure_qemu() {
    local setting key
    mkdir -p "$(dirname "$CONF")"
    for setting in "${QEMU_SETTINGS[@]}"; do
        grep -qxF "$setting" "$CONF" 2>/dev/null && continue
        if [ "$QEMU_CONF_CHANGED" = no ]; then
            if [ -e "$CONF" ] && [ ! -e "$CONF.vmsched-backup" ]; then
                cp -p "$CONF" "$CONF.vmsched-backup"
            fi
            grep -qxF "$CONF_HEADER" "$CONF" 2>/dev/null || echo "$CONF_HEADER" >>"$CONF"
            QEMU_CONF_CHANGED=yes
        fi
        key=${setting%% *}
        sed -i "s/^[[:space:]]*${key}[[:space:]]*=/# &/" "$CONF"
        echo "$setting" >>"$CONF"
    done
}

# The pid of the libvirtd this script started, when it still runs.
our_libvirtd() {
    local pid
    pid=$(cat "$STATE" 2>/dev/null) || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = libvirtd ] && echo "$pid"
}

answers() {
    virsh -c "$1" version >/dev/null 2>&1
}

start_libvirtd() {
    local pid
    # A subreaper (tini) reaps QEMU's exited processes at once: destroy and revert are
    # 1.5-2 s slower without it.
    setsid tini -s -- libvirtd </dev/null >>"$LOG" 2>&1 9>&- &
    for _ in $(seq 60); do
        if answers qemu:///system; then
            pid=$(cat /run/libvirtd.pid)
            echo "$pid" >"$STATE"
            echo "libvirtd started (pid $pid, log $LOG)" >&2
            return
        fi
        pgrep -x libvirtd >/dev/null || skip "libvirtd" "it exited at start: $(tail -n 1 "$LOG")"
        sleep 1
    done
    skip "libvirtd" "qemu:///system did not answer within 60 s (log $LOG)"
}

# Stops the libvirtd of pid $1 (TERM, then KILL after 15 s) and forgets it.
end_libvirtd() {
    kill -TERM "$1"
    for _ in $(seq 60); do
        [ -e "/proc/$1" ] || break
        sleep 0.25
    done
    [ ! -e "/proc/$1" ] || kill -KILL "$1"
    rm -f "$STATE"
}

stop_libvirtd() {
    local pid dom
    if ! pid=$(our_libvirtd); then
        rm -f "$STATE"
        echo "no libvirtd started by this script: nothing to stop" >&2
        return
    fi
    for dom in $(virsh -c qemu:///system list --all --name | grep '^vmsched-' || true); do
        "$(dirname "$0")/qemu-test-domain.sh" remove "$dom"
    done
    end_libvirtd "$pid"
    echo "libvirtd stopped (pid $pid)" >&2
}

# Stops our libvirtd without touching its domains, waits, and starts it again.
bounce_libvirtd() {
    local pid secs=$1
    pid=$(our_libvirtd) || skip "libvirtd bounce" "no libvirtd started by this script runs"
    end_libvirtd "$pid"
    echo "libvirtd stopped (pid $pid) for ${secs}s; its domains keep running" >&2
    sleep "$secs"
    start_libvirtd
    answers qemu:///system || skip "qemu:///system" "libvirtd does not answer after the bounce"
}

start() {
    install_build
    install_qemu
    create_qemu_user
    configure_qemu
    if our_libvirtd >/dev/null; then
        if [ "$QEMU_CONF_CHANGED" = yes ]; then
            echo "qemu.conf changed: restarting libvirtd" >&2
            stop_libvirtd
            start_libvirtd
        fi
    elif pgrep -x libvirtd >/dev/null; then
        echo "libvirtd already runs, not started by this script: left as it is" >&2
    else
        start_libvirtd
    fi
    answers qemu:///system || skip "qemu:///system" "libvirtd does not answer"
    answers test+unix:///default || skip "test+unix:///default" "libvirtd does not answer"
}

mode=${1:-start}
case "$mode" in
build)
    install_build
    ;;
start | stop | bounce)
    need_root "libvirtd" "$mode libvirtd"
    exec 9>"$LOCK"
    flock 9
    case "$mode" in
    start) start ;;
    stop) stop_libvirtd ;;
    bounce)
        secs=${2:-3}
        [[ "$secs" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "usage: $0 bounce [SECS]" >&2; exit 2; }
        bounce_libvirtd "$secs"
        ;;
    esac
    ;;
*)
    echo "usage: $0 [build|start|stop|bounce [SECS]]" >&2
    exit 2
    ;;
esac
