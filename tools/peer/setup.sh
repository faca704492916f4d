#!/usr/bin/env bash
# What `make peer` needs beyond `make deps`: a Linux cross compiler and C
# library for the peer's static /init (tools/peer/init.c). As root on Debian
# it installs what is missing; otherwise it prints the command to run.
# It changes nothing that `make test` uses (tools/setup-deps.sh owns that).
#   tools/peer/setup.sh [arm64|riscv64]
set -euo pipefail
arch=${1:-arm64}
case $arch in
  arm64)   need=("cmd:aarch64-linux-gnu-gcc|gcc-aarch64-linux-gnu"
                 "file:/usr/aarch64-linux-gnu/lib/libc.a|libc6-dev-arm64-cross") ;;
  riscv64) need=("cmd:riscv64-linux-gnu-gcc|gcc-riscv64-linux-gnu"
                 "file:/usr/riscv64-linux-gnu/lib/libc.a|libc6-dev-riscv64-cross") ;;
  *) echo "tools/peer/setup.sh: unknown arch '$arch' (arm64 or riscv64)"; exit 2 ;;
esac
need+=("cmd:apt-get|apt" "cmd:dpkg-deb|dpkg" "cmd:python3|python3")

missing=()
for item in "${need[@]}"; do
  IFS='|' read -r check pkg <<<"$item"
  kind=${check%%:*}; what=${check#*:}
  case $kind in
    cmd)  command -v "$what" >/dev/null 2>&1 && continue ;;
    file) [ -f "$what" ] && continue ;;
  esac
  missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

pk=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" -ne 0 ]; then
  echo "error: make peer needs the Debian packages: $pk"
  echo "run as root:"
  echo "  apt-get update && apt-get install -y $pk"
  exit 1
fi
echo "peer setup: installing $pk"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $pk >/dev/null
echo "peer setup: done"
