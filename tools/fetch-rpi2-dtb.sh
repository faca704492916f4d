#!/usr/bin/env bash
# The Raspberry Pi 2's device tree (bcm2836-rpi-2-b.dtb), from Debian's armhf
# kernel package (linux-image-*-armmp), for `make test` on qemu-system-arm
# -M raspi2b. Never committed: fetched at set-up time into
# ${RPI2_DTB:-/usr/local/share/testbed/bcm2836-rpi-2-b.dtb}.
# apt runs with its own state directory, architecture and source list, so the
# machine's apt configuration (no armhf architecture) is left as it is.
#   tools/fetch-rpi2-dtb.sh [--check]    --check: only say whether it is there
set -euo pipefail
out=${RPI2_DTB:-/usr/local/share/testbed/bcm2836-rpi-2-b.dtb}
[ -s "$out" ] && exit 0
[ "${1:-}" = --check ] && { echo "error: $out missing: run tools/fetch-rpi2-dtb.sh (make deps) as root"; exit 1; }
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-bookworm}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/etc"
echo "deb http://deb.debian.org/debian ${codename:-bookworm} main" > "$work/etc/sources.list"
apt_opts=(-q -o APT::Sandbox::User=root -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Dir::State::status=/dev/null"
          -o "Dir::Etc::sourcelist=$work/etc/sources.list" -o "Dir::Etc::sourceparts=$work/etc/none"
          -o APT::Architecture=armhf -o "APT::Architectures::=armhf")
echo "setup: the Raspberry Pi 2 device tree from Debian's armhf kernel package"
apt-get "${apt_opts[@]}" update >/dev/null
# linux-image-armmp depends on the current linux-image-<abi>-armmp
pkg=$(apt-cache "${apt_opts[@]}" depends linux-image-armmp | sed -n 's/^ *Depends: \(linux-image-[0-9].*-armmp\)$/\1/p' | head -1)
[ -n "$pkg" ] || { echo "error: no linux-image-*-armmp package found for armhf"; exit 1; }
(cd "$work" && apt-get "${apt_opts[@]}" download "$pkg" >/dev/null)
deb=$(ls "$work"/*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards '*/bcm2836-rpi-2-b.dtb'
dtb=$(find "$work" -name bcm2836-rpi-2-b.dtb | head -1)
[ -s "$dtb" ] || { echo "error: $pkg holds no bcm2836-rpi-2-b.dtb"; exit 1; }
mkdir -p "$(dirname "$out")"
cp "$dtb" "$out"
echo "setup: $out (from $pkg)"
