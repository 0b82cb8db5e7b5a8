#!/usr/bin/env bash
# A tiny real QEMU domain for end-to-end tests (needs the libvirtd of scripts/libvirt-setup.sh).
#
#   scripts/qemu-test-domain.sh create NAME [SNAPSHOT...]
#       define and start NAME (TCG, 48 MiB, no OS, a 64 MiB qcow2 disk), then take each
#       snapshot of the running domain in order; an existing NAME is removed first
#   scripts/qemu-test-domain.sh remove NAME
#       destroy and undefine NAME with its snapshots, delete its disk
#
# NAME must start with `vmsched-` (so `libvirt-setup.sh stop` finds leftovers).
# The URI is $VMSCHED_TEST_QEMU_URI, by default qemu:///system.
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

case "${1:-}:${2:-}" in
create:vmsched-?* | remove:vmsched-?*)
    "$@"
    ;;
*)
    echo "usage: $0 create|remove vmsched-NAME [SNAPSHOT...]" >&2
    exit 2
    ;;
esac
