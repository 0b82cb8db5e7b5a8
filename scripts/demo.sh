#!/usr/bin/env bash
# The main job: installs what is missing, sees that a local QEMU hypervisor (libvirtd) runs,
# builds vmsched and runs its demo. Arguments go to `vmsched demo` (e.g. `--clean`).
#
# What it touches: packages it installs, target/, the demo's database (`demo/vmsched.db` in the
# caller's own state folder, ~/.local/state/vmsched/, never /var/lib/vmsched) and domains (`vmsched-demo-*`, removed by `--clean`), and libvirtd: it uses
# the one that runs or starts one (scripts/libvirt-setup.sh, which also sets up
# /etc/libvirt/qemu.conf and the libvirt-qemu account for it), and leaves it running so the
# demo's lab can be looked at (`virsh -c qemu:///system list --all`). The demo holds that
# libvirtd as the `manual` run: test runs never stop it; `scripts/libvirt-setup.sh stop` does,
# once no test run holds it, and puts back the /etc files. It leaves alone every other domain
# (test runs' `vmsched-<run>-*`) and database.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/libvirt-setup.sh build
env -u VMSCHED_TEST_RUN scripts/libvirt-setup.sh start ||
    echo "demo: no QEMU hypervisor could be started (see the line above)" >&2
cargo build --locked --quiet
exec target/debug/vmsched demo "$@"
