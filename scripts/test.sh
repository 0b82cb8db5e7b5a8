#!/usr/bin/env bash
# The test command (as root on Debian 12; a fresh machine is fine). Installs what is missing
# (libvirt-dev to build; QEMU and libvirtd for the real-hypervisor tests), uses the libvirtd
# that runs or starts one, runs the tests in parallel, then the long `serial_` tests one at a
# time (soak and chaos on real QEMU, about a minute each; the chaos test stops libvirtd once
# through `libvirt-setup.sh bounce`, only when this run started it and no other run holds it;
# the concurrency hammer, a minute on libvirt's in-process test driver, which needs no daemon),
# printing their figures. Under CI=true only, then the Debian package end to end
# (scripts/package-smoke.sh).
#
# Where it cannot set up a hypervisor it says so on a visible `SKIP <tests>: <reason>` line and
# runs the rest; under CI=true that fails the run instead (exit 1), and so do the tests
# themselves when they find no hypervisor.
#
# A host may be shared (other runs, the demo): the run is named by VMSCHED_TEST_RUN, exported
# to the tests, which create their domains as `vmsched-<run>-...`. What it touches: packages it
# installs, target/, temporary directories of the tests, those domains (removed at its end,
# leftovers included), the libvirtd it starts and the /etc files it changes for it (stopped
# and put back at its end, once no other run holds that libvirtd). It leaves alone every other
# domain (the demo's `vmsched-demo-*`, other runs'), a libvirtd it did not start, the demo's
# database. Details in scripts/libvirt-setup.sh.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

VMSCHED_TEST_RUN=run$$x$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
export VMSCHED_TEST_RUN
echo "test run $VMSCHED_TEST_RUN (its domains: vmsched-$VMSCHED_TEST_RUN-*)" >&2

scripts/libvirt-setup.sh build || { echo "error: cannot install libvirt-dev, needed to build" >&2; exit 1; }
# Set before `start`: a start that fails half-way still has its hold and /etc files undone.
trap 'scripts/libvirt-setup.sh stop' EXIT
if scripts/libvirt-setup.sh start; then
    serial=yes
elif [ "${CI:-}" = true ]; then
    echo "error: CI=true and no local libvirtd (see above): the libvirtd tests (real QEMU: qemu.rs, e2e, serial_soak_qemu, serial_chaos_qemu; test driver through the daemon: e2e, crash) must run" >&2
    exit 1
else
    echo "SKIP libvirtd tests (real QEMU: qemu.rs, e2e on QEMU, serial_soak_qemu, serial_chaos_qemu; test driver through the daemon: e2e, crash): no local libvirtd could be set up (see above)"
    serial=no
fi

cargo test --locked || exit 1

# Every serial_ test with a hypervisor; without one, those that need none.
if [ "$serial" = yes ]; then filter=serial_; else filter=serial_concurrency; fi
VMSCHED_SERIAL=1 cargo test --locked --test cli -- --test-threads=1 --ignored --nocapture "$filter" || exit 1

# CI only (it installs a package and creates system users, which a shared host must not get):
# the Debian package, built, installed, run as the `vmsched` user on qemu:///system, purged.
if [ "${CI:-}" = true ]; then
    scripts/package-smoke.sh || exit 1
fi
