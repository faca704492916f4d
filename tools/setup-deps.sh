#!/usr/bin/env bash
# Install (as root on Debian 12) or name (otherwise) everything the testbed needs.
# Only Debian packages are installed; QEMU >= 9 and OpenSBI come from bookworm-backports.
set -euo pipefail

# check | package | from backports?
need=(
  "cmd:aarch64-linux-gnu-gcc|gcc-aarch64-linux-gnu|"
  "cmd:riscv64-unknown-elf-gcc|gcc-riscv64-unknown-elf|"
  "cmd:arm-none-eabi-gcc|gcc-arm-none-eabi|"
  "file:/usr/lib/arm-none-eabi/lib/thumb/v7-a/nofp/libc.a|libnewlib-arm-none-eabi|"
  "dir:/usr/lib/picolibc/aarch64-linux-gnu|picolibc-aarch64-linux-gnu|"
  "dir:/usr/lib/picolibc/riscv64-unknown-elf|picolibc-riscv64-unknown-elf|"
  "cmd:dtc|device-tree-compiler|"
  "cmd:fdtget|device-tree-compiler|"
  "file:/usr/include/cmocka.h|libcmocka-dev|"
  "cmd:cc|gcc|"
  "cmd:make|make|"
  "py:serial|python3-serial|"
  "py:matplotlib|python3-matplotlib|"
  "cmd:gdb-multiarch|gdb-multiarch|"
  "qemu:qemu-system-aarch64|qemu-system-arm|bpo"
  "qemu:qemu-system-arm|qemu-system-arm|bpo"
  "qemu:qemu-system-riscv64|qemu-system-misc|bpo"
  "file:/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin|opensbi|bpo"
  "cmd:mcopy|mtools|"
  "cmd:mkfs.vfat|dosfstools|"
  "cmd:mkimage|u-boot-tools|"
  "cmd:dpkg-deb|dpkg|"
  "py:lava_common.schemas|lava-common|"
)

# Board files from Debian's archive (never committed), cached under
# build/boards/ (tools/boardfiles.py; apt with a configuration of its own):
# the Raspberry Pi 4 device tree (linux-image-arm64, bookworm) that make test
# boots QEMU's raspi4b with, and the VisionFive 2 one (linux-image-riscv64,
# trixie); both are also device-tree reader fixtures.
board_files() {
  local here b; here=$(cd "$(dirname "$0")/.." && pwd)
  for b in rpi4 visionfive2; do
    /usr/bin/python3 "$here/tools/boardfiles.py" dtb $b >/dev/null || {
      echo "error: cannot fetch the $b device tree from Debian's kernel package (message above)"; return 1; }
  done
}

qemu_ok() {   # QEMU >= 9 is needed (Svnapot/Svade options, FEAT_* in -cpu max)
  command -v "$1" >/dev/null 2>&1 || return 1
  local v; v=$("$1" --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p' | head -1)
  [ -n "$v" ] && [ "$v" -ge 9 ]
}

missing=(); missing_bpo=()
for item in "${need[@]}"; do
  IFS='|' read -r check pkg bpo <<<"$item"
  kind=${check%%:*}; what=${check#*:}
  case $kind in
    cmd)  command -v "$what" >/dev/null 2>&1 && continue ;;
    dir)  [ -d "$what" ] && continue ;;
    file) [ -f "$what" ] && continue ;;
    py)   /usr/bin/python3 -c "import $what" >/dev/null 2>&1 && continue ;;
    qemu) qemu_ok "$what" && continue ;;
  esac
  if [ -n "$bpo" ]; then missing_bpo+=("$pkg"); else missing+=("$pkg"); fi
done
# The Raspberry Pi 2 device tree (make test's arm-rpi2 configuration), from
# Debian's armhf kernel package; never committed (tools/fetch-rpi2-dtb.sh).
if ! "$(dirname "$0")/fetch-rpi2-dtb.sh" --check >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    "$(dirname "$0")/fetch-rpi2-dtb.sh"
  else
    "$(dirname "$0")/fetch-rpi2-dtb.sh" --check || true
  fi
fi
# OpenSBI: QEMU ships its own copy too; only require the package when QEMU needs installing.
if [ ${#missing[@]} -eq 0 ] && [ ${#missing_bpo[@]} -eq 0 ]; then board_files; exit $?; fi

dedup() { printf '%s\n' "$@" | sort -u | tr '\n' ' '; }
pk=$(dedup "${missing[@]+"${missing[@]}"}"); pb=$(dedup "${missing_bpo[@]+"${missing_bpo[@]}"}")
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
bpo_line="deb http://deb.debian.org/debian ${codename:-bookworm}-backports main"
if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing packages: $pk$pb"
  echo "run as root:"
  [ -n "$pb" ] && [ "$codename" = bookworm ] && echo "  echo '$bpo_line' > /etc/apt/sources.list.d/backports.list"
  echo "  apt-get update"
  [ -n "$pk" ] && echo "  apt-get install -y $pk"
  [ -n "$pb" ] && echo "  apt-get install -y ${codename:+-t $codename-backports }$pb"
  exit 1
fi
echo "setup: installing $pk$pb"
export DEBIAN_FRONTEND=noninteractive
if [ -n "$pb" ] && [ "$codename" = bookworm ] && ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "$bpo_line" > /etc/apt/sources.list.d/backports.list
fi
apt-get update -qq
[ -n "$pk" ] && apt-get install -y -qq $pk >/dev/null
if [ -n "$pb" ]; then
  if [ "$codename" = bookworm ]; then
    apt-get install -y -qq -t bookworm-backports $pb >/dev/null
  else
    apt-get install -y -qq $pb >/dev/null
  fi
fi
board_files || exit 1
echo "setup: done"
