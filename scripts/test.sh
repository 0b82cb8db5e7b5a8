#!/usr/bin/env bash
# The test command. Installs what is missing (libvirt-dev to build; QEMU and libvirtd for the
# real-hypervisor tests), starts libvirtd when it is not running, runs the tests in parallel,
# then the long soak and chaos tests serially, and stops what it started. Whatever it cannot
# set up is named on a visible `SKIP <tests>: <reason>` line; the tests themselves only detect.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/libvirt-setup.sh build || { echo "error: cannot install libvirt-dev, needed to build" >&2; exit 1; }
if scripts/libvirt-setup.sh start; then
    trap 'scripts/libvirt-setup.sh stop' EXIT
    serial=yes
else
    echo "SKIP real-QEMU tests (tests/cli/qemu.rs, soak, chaos): no local hypervisor could be started (see above)"
    serial=no
fi

cargo test --locked || exit 1

if [ "$serial" = yes ]; then
    VMSCHED_SERIAL=1 cargo test --locked --test cli -- --test-threads=1 --ignored serial_ || exit 1
fi
