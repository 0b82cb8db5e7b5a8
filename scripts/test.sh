#!/usr/bin/env bash
# The test command. Installs what is missing (libvirt-dev to build; QEMU and libvirtd for the
# real-hypervisor tests), starts libvirtd when it is not running, runs the tests in parallel,
# then the long `serial_` tests one at a time (soak and chaos on real QEMU, about a minute
# each; the chaos test stops libvirtd once through `libvirt-setup.sh bounce`; the concurrency
# hammer, a minute on libvirt's in-process test driver, which needs no daemon), printing their
# figures, and stops what it started. Whatever it cannot set up is named on a visible
# `SKIP <tests>: <reason>` line; the tests themselves only detect.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/libvirt-setup.sh build || { echo "error: cannot install libvirt-dev, needed to build" >&2; exit 1; }
if scripts/libvirt-setup.sh start; then
    trap 'scripts/libvirt-setup.sh stop' EXIT
    serial=yes
else
    echo "SKIP libvirtd tests (real QEMU: qemu.rs, e2e on QEMU, serial_soak_qemu, serial_chaos_qemu; test driver through the daemon: e2e): no local libvirtd could be started (see above)"
    serial=no
fi

cargo test --locked || exit 1

# Every serial_ test with a hypervisor; without one, those that need none.
if [ "$serial" = yes ]; then filter=serial_; else filter=serial_concurrency; fi
VMSCHED_SERIAL=1 cargo test --locked --test cli -- --test-threads=1 --ignored --nocapture "$filter" || exit 1
