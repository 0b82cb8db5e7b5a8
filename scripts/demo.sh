#!/usr/bin/env bash
# The main job: installs what is missing, starts a local QEMU hypervisor (libvirtd), builds
# vmsched and runs its demo. Arguments go to `vmsched demo` (e.g. `--clean`). libvirtd is left
# running so the demo's lab can be looked at (`virsh -c qemu:///system list --all`).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/libvirt-setup.sh build
scripts/libvirt-setup.sh start || echo "demo: no QEMU hypervisor could be started (see the SKIP line above)" >&2
cargo build --locked --quiet
exec target/debug/vmsched demo "$@"
