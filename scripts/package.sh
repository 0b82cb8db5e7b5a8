#!/usr/bin/env bash
# Builds the Debian package, target/debian/vmsched_<version>-1_amd64.deb, with cargo-deb (its
# contents: `[package.metadata.deb]` in Cargo.toml and the maintainer scripts in debian/).
# Installs what is missing first: libvirt-dev and pkg-config (scripts/libvirt-setup.sh build),
# dpkg-dev (cargo-deb reads the shared libraries' packages with dpkg-shlibdeps), and cargo-deb
# itself with `cargo install --locked` (3.8.0 builds on Rust 1.85, vmsched's oldest). The
# binaries are stripped. Prints the package's path on stdout. What it touches: those packages,
# ~/.cargo/bin/cargo-deb, target/.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DEB_VERSION=3.8.0

scripts/libvirt-setup.sh build >&2
if ! dpkg-query -W -f='${Status}' dpkg-dev 2>/dev/null | grep -q 'ok installed'; then
    apt-get update -qq -o DPkg::Lock::Timeout=300 >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=300 dpkg-dev >&2
fi
if ! cargo deb --version >/dev/null 2>&1; then
    cargo install --locked cargo-deb --version "$CARGO_DEB_VERSION" >&2
fi
cargo deb --locked --strip
