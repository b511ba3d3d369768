#!/usr/bin/env bash
# Unpacks Exim from Debian's packages for the integration suite, never installing them: Exim
# conflicts with Postfix as the system MTA (both provide mail-transport-agent), so the lab runs
# the unpacked binary with a configuration each test writes (tests/common/exim_lab.rs).
#
#   exim-fetch.sh [DIR]   DIR/debs holds the downloaded .debs (a cache: kept, reused),
#                         DIR/root the unpacked tree (DIR/root/usr/sbin/exim4).
#                         DIR defaults to target/exim-lab in the repository.
#
# The packages: exim4-daemon-light (the binary), exim4-base (its tools), and libidn12, a library
# the binary links that a machine with Postfix may lack (unpacked too, found through
# LD_LIBRARY_PATH). The set-user-ID bit is dropped from the unpacked binary: the lab runs it as
# root, and a plain binary keeps the parent-death signal that stops it with the test process.
set -euo pipefail

dir=${1:-"$(cd "$(dirname "$0")/../.." && pwd)/target/exim-lab"}
packages=(exim4-daemon-light exim4-base libidn12)

if [[ -x $dir/root/usr/sbin/exim4 ]]; then
    exit 0
fi
mkdir -p "$dir/debs"
cd "$dir/debs"
fetch() {
    local missing=()
    for p in "${packages[@]}"; do
        compgen -G "${p}_*.deb" >/dev/null || missing+=("$p")
    done
    ((${#missing[@]} == 0)) || apt-get download "${missing[@]}"
}
if ! fetch; then
    # Package lists may be missing or stale on a fresh machine.
    if [[ $(id -u) -eq 0 ]]; then apt-get update; else sudo -n apt-get update; fi
    fetch
fi
rm -rf "$dir/root.new"
mkdir -p "$dir/root.new"
for deb in ./*.deb; do
    dpkg-deb -x "$deb" "$dir/root.new"
done
chmod u-s "$dir/root.new/usr/sbin/exim4"
rm -rf "$dir/root"
mv "$dir/root.new" "$dir/root"
missing_libs=$(LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu" ldd "$dir/root/usr/sbin/exim4" | grep 'not found' || true)
if [[ -n $missing_libs ]]; then
    echo "exim-fetch: the unpacked exim4 lacks libraries (add their packages above):" >&2
    echo "$missing_libs" >&2
    exit 1
fi
echo "exim-fetch: ${packages[*]} unpacked in $dir/root" >&2
