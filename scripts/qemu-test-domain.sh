#!/usr/bin/env bash
# A tiny real QEMU domain for end-to-end tests (needs the libvirtd of scripts/libvirt-setup.sh).
#
#   scripts/qemu-test-domain.sh create NAME [SNAPSHOT...]
#       define and start NAME (TCG, 48 MiB, no OS, a 64 MiB qcow2 disk), then take each
#       snapshot of the running domain in order; an existing NAME is removed first
#   scripts/qemu-test-domain.sh remove NAME
#       destroy and undefine NAME with its snapshots, delete its disk
#   scripts/qemu-test-domain.sh list
#       the names of the domains and disks of the run $VMSCHED_TEST_RUN, one a line (what
#       `libvirt-setup.sh stop` removes)
#
# NAME starts with `vmsched-`, never `vmsched-demo-` (the demo's), and, when VMSCHED_TEST_RUN
# is set, with `vmsched-<VMSCHED_TEST_RUN>-`: a run creates and removes only its own domains.
# The URI is $VMSCHED_TEST_QEMU_URI, by default qemu:///system.
#
# What it touches: the domain NAME on that URI and its disk /var/tmp/vmsched-test-domains/
# NAME.qcow2. It leaves every other domain and file alone.
set -euo pipefail

URI=${VMSCHED_TEST_QEMU_URI:-qemu:///system}
DISKS=/var/tmp/vmsched-test-domains

virsh_() {
    virsh -q -c "$URI" "$@"
}

exists() {
    virsh_ dominfo "$1" >/dev/null 2>&1
}

remove() {
    local name=$1
    if exists "$name"; then
        virsh_ destroy "$name" >/dev/null 2>&1 || true
        virsh_ undefine "$name" --snapshots-metadata >/dev/null
    fi
    rm -f "$DISKS/$name.qcow2"
}

create() {
    local name=$1 snapshot disk
    shift
    remove "$name"
    mkdir -p "$DISKS"
    disk=$DISKS/$name.qcow2
    qemu-img create -q -f qcow2 "$disk" 64M
    virsh_ define /dev/stdin >/dev/null <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>48</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$disk'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
    virsh_ start "$name" >/dev/null
    for snapshot in "$@"; do
        virsh_ snapshot-create-as "$name" "$snapshot" >/dev/null
    done
}

# The domains and disks whose names start with $1.
list() {
    {
        virsh_ list --all --name 2>/dev/null || true
        if [ -d "$DISKS" ]; then
            find "$DISKS" -maxdepth 1 -name '*.qcow2' -printf '%f\n' | sed 's/\.qcow2$//'
        fi
    } | awk -v prefix="$1" 'index($0, prefix) == 1' | sort -u
}

usage() {
    echo "usage: $0 create|remove vmsched-${RUN:+$RUN-}NAME [SNAPSHOT...] | list" >&2
    exit 2
}

RUN=${VMSCHED_TEST_RUN:-}
[[ -z "$RUN" || "$RUN" =~ ^run[a-z0-9]+$ ]] || { RUN=; usage; }
case "${1:-}" in
create | remove)
    name=${2:-}
    [[ "$name" == vmsched-?* && "$name" != vmsched-demo-* ]] || usage
    [[ -z "$RUN" || "$name" == "vmsched-$RUN-"?* ]] || usage
    [[ "$name" =~ ^[A-Za-z0-9_.+-]+$ ]] || usage
    "$@"
    ;;
list)
    [ -n "$RUN" ] || usage
    list "vmsched-$RUN-"
    ;;
*)
    usage
    ;;
esac
