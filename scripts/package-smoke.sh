#!/usr/bin/env bash
# The Debian package, end to end (scripts/test.sh runs it under CI=true only, after the cargo
# tests; by hand it needs root): builds it (scripts/package.sh), installs it with apt-get,
# checks what it installed (binaries, man page, completions, cron line, log rotation, the
# `vmsched` user and group, /var/lib/vmsched 2770), runs a smoke lab in the shared database
# (root registers a VM, a member of group `vmsched` submits a job, passes run as the `vmsched`
# user until the job completes), reinstalls it (an upgrade runs `vmsched migrate`), and purges
# the package with everything the run made.
#
# The lab's VM is a tiny real QEMU domain on qemu:///system named `vmsched-<run>-pkg`
# (scripts/qemu-test-domain.sh; the run is VMSCHED_TEST_RUN, made here when unset), which the
# `vmsched` user reaches through group libvirt (scripts/libvirt-setup.sh configures the libvirtd
# it starts so). With `--test-driver` the VM is on libvirt's in-process test driver instead
# (tests/fixtures/lab.xml, no daemon): for a host whose libvirtd does not let group libvirt in.
#
# It refuses to run (exit 1, touching nothing) where a `vmsched` package, user or group, or
# /var/lib/vmsched, already exists: it would install over them and purge them (an empty
# /var/lib/vmsched is set aside and put back). What it
# touches: the packages scripts/package.sh installs, the vmsched package (installed, then
# purged, with the packages apt-get pulled in for it left installed), the `vmsched` user, its
# group and a member user `vmsched-<run>` (created, then removed), /var/lib/vmsched (created
# by the package, then removed), the domain above, target/.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=/var/lib/vmsched
DB=$DIR/vmsched.db
RUN=${VMSCHED_TEST_RUN:-run$$x$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')}
export VMSCHED_TEST_RUN=$RUN
DOMAIN=vmsched-$RUN-pkg
MEMBER=vmsched-$RUN
driver=qemu
[ "${1:-}" = --test-driver ] && driver="test"

fail() {
    echo "error: package smoke test: $*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root (it installs a package and creates users)"
if dpkg-query -W -f='${Status}' vmsched 2>/dev/null | grep -q 'installed\|config-files'; then
    fail "a vmsched package is installed here: it is not replaced by a test"
fi
getent passwd vmsched >/dev/null && fail "a user vmsched exists here: it is not used by a test"
getent group vmsched >/dev/null && fail "a group vmsched exists here: it is not used by a test"
# An empty folder (left by an older demo or a hand-made lab that was removed) holds nothing:
# it is set aside and made again as it was at the end.
empty_dir=
if [ -d "$DIR" ] && [ ! -L "$DIR" ] && [ -z "$(ls -A "$DIR")" ]; then
    empty_dir=$(stat -c '%a %u %g' "$DIR")
    rmdir "$DIR"
    echo "package smoke test: set aside the empty folder $DIR ($empty_dir)" >&2
fi
[ -e "$DIR" ] && fail "$DIR exists here: it is not used by a test"

installed_by_us=no
cleanup() {
    set +e
    [ "$driver" = qemu ] && scripts/qemu-test-domain.sh remove "$DOMAIN"
    if [ "$installed_by_us" = yes ]; then
        # Passes and workers still running: the user is this run's, so are its processes.
        pkill -u vmsched 2>/dev/null
        sleep 1
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 vmsched >&2
        getent passwd "$MEMBER" >/dev/null && userdel "$MEMBER"
        getent passwd vmsched >/dev/null && userdel vmsched
        getent group vmsched >/dev/null && groupdel vmsched
        rm -rf "$DIR"
        echo "package smoke test: purged vmsched, its user, group and $DIR" >&2
    fi
    if [ -n "$empty_dir" ]; then
        read -r mode uid gid <<<"$empty_dir"
        mkdir -m "$mode" "$DIR" && chown "$uid:$gid" "$DIR" && chmod "$mode" "$DIR"
        echo "package smoke test: put back the empty folder $DIR" >&2
    fi
}
trap cleanup EXIT

deb=$(scripts/package.sh | tail -n 1)
[[ "$deb" == */target/debian/vmsched_*-1_amd64.deb && -f "$deb" ]] || fail "no package built (got \`$deb\`)"
echo "package smoke test: installing $deb" >&2
installed_by_us=yes
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 "$deb" >&2

# What the package installed.
for file in /usr/bin/vmsched /usr/bin/vmsched-worker /usr/share/man/man1/vmsched.1.gz \
    /usr/share/bash-completion/completions/vmsched /usr/share/zsh/vendor-completions/_vmsched \
    /usr/share/fish/vendor_completions.d/vmsched.fish /etc/cron.d/vmsched /etc/logrotate.d/vmsched; do
    [ -f "$file" ] || fail "the package did not install $file"
done
[ "$(stat -c '%a %U %G' "$DIR")" = "2770 vmsched vmsched" ] ||
    fail "$DIR is $(stat -c '%a %U %G' "$DIR"), not 2770 vmsched vmsched"
grep -q '^\* \* \* \* \*  *vmsched ' /etc/cron.d/vmsched || fail "no pass in /etc/cron.d/vmsched for user vmsched"
# The cron line is silent while no database exists.
out=$(runuser -u vmsched -- sh -c "$(sed -n 's/^\* \* \* \* \*  *vmsched  *//p' /etc/cron.d/vmsched)" 2>&1) ||
    fail "the cron line failed without a database: $out"
[ -z "$out" ] || fail "the cron line printed without a database: $out"

# The lab: root registers the VM (the shared database becomes the service user's), a member
# submits, passes run as vmsched.
if [ "$driver" = qemu ]; then
    runuser -u vmsched -- virsh -c qemu:///system version >/dev/null 2>&1 ||
        fail "user vmsched cannot use qemu:///system (a libvirtd that scripts/libvirt-setup.sh did not start does not let group libvirt in); \`$0 --test-driver\` runs the lab without it"
    scripts/qemu-test-domain.sh create "$DOMAIN" clean
    vmsched vms add w -c qemu:///system --domain "$DOMAIN" --snapshot clean
else
    vmsched vms add w -c "test://$PWD/tests/fixtures/lab.xml" --domain win10 --snapshot wtb
fi
[ "$(stat -c '%a %U %G' "$DB")" = "660 vmsched vmsched" ] ||
    fail "$DB is $(stat -c '%a %U %G' "$DB"), not 660 vmsched vmsched"
useradd --no-create-home --shell /usr/sbin/nologin --groups vmsched "$MEMBER"
runuser -u "$MEMBER" -- vmsched jobs submit --vm w -- sh -c 'id -un'
start=$SECONDS
until [ "$(runuser -u "$MEMBER" -- vmsched jobs list --format json | grep -c '"status": "completed"')" = 1 ]; do
    ((SECONDS - start < 180)) || fail "the job did not complete in 180 s: $(vmsched history | tail -n 5)"
    runuser -u vmsched -- vmsched schedule-once
    sleep 1
done
log=$(runuser -u vmsched -- vmsched jobs log 1)
grep -qx vmsched <<<"$log" || fail "the task did not run as vmsched: $log"
echo "package smoke test: job 1 completed as vmsched in $((SECONDS - start)) s ($driver)" >&2

# An upgrade (the same version again) migrates the shared database when no operation is live.
out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --reinstall \
    -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 "$deb" 2>&1)
grep -q "database \`$DB\` is at schema version [0-9]*: nothing to migrate" <<<"$out" ||
    fail "the upgrade did not run \`vmsched migrate\`: $out"
echo "package smoke test: the upgrade ran \`vmsched migrate\`" >&2
