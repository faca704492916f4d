#!/usr/bin/python3
"""SD card images for the dev boards (make sdcard BOARD=rpi4|visionfive2).

  sdcard.py build --board rpi4 --build-dir build [--bootargs '...'] [-o IMG]
  sdcard.py list IMG            the files on the card's FAT partition (mtools)
  sdcard.py check IMG --board B the card holds what the board needs; config.txt /
                                boot script and boot arguments as built

The card: an MBR partition table (written here) with one bootable FAT16
partition (type 0x0e) from 1 MiB, formatted with mkfs.vfat and filled with
mcopy (dosfstools, mtools); nothing is mounted and nothing needs root.

Raspberry Pi 4: kernel8.img, the GPU firmware start4.elf + fixup4.dat (Debian's
raspi-firmware, component non-free-firmware; RPI_FIRMWARE=<dir> takes them from
a directory instead), bcm2711-rpi-4-b.dtb (Debian's linux-image-arm64),
config.txt and cmdline.txt (the boot arguments: the firmware puts them in
/chosen/bootargs).

VisionFive 2: Image, boot.scr (U-Boot script, mkimage), boot.cmd (its source),
jh7110-starfive-visionfive-2-v1.3b.dtb (Debian's linux-image-riscv64) and
cmdline.txt (the boot arguments, also baked into boot.scr). The board's own
SPI-flash firmware (SPL, OpenSBI, U-Boot) is not on the card.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

CARD_MIB = 64
PART_START = 2048           # sectors (1 MiB)

# config.txt for the Pi 4, one setting a line with why.
RPI4_CONFIG = """\
# MMU testbed, Raspberry Pi 4 (make sdcard BOARD=rpi4)
# 64-bit kernel, loaded where it is linked (its Image header's text_offset)
arm_64bit=1
kernel=kernel8.img
kernel_address=0x80000
# the device tree from Debian's kernel package (upstream Linux)
device_tree=bcm2711-rpi-4-b.dtb
# the serial console: the mini UART on GPIO 14 (TX, pin 8) / 15 (RX, pin 10),
# the device tree's stdout-path; enable_uart=1 also fixes the core clock its
# baud rate derives from (115200 8N1)
enable_uart=1
# no Trusted Firmware is added: the kernel is entered at EL2, cores 1-3 wait
# in the firmware's spin table
"""

TOOLS = {"mkfs.vfat": "dosfstools", "mcopy": "mtools", "mdir": "mtools",
         "mkimage": "u-boot-tools"}


class CardError(Exception):
    pass


def need(tool):
    path = shutil.which(tool) or (os.path.exists("/usr/sbin/" + tool) and "/usr/sbin/" + tool) \
        or (os.path.exists("/sbin/" + tool) and "/sbin/" + tool)
    if not path:
        raise CardError(f"{tool} not found: install the Debian package {TOOLS[tool]}")
    return path


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise CardError(f"{os.path.basename(cmd[0])} failed: "
                        f"{(p.stderr.strip() or p.stdout.strip()).splitlines()[-1:]}")
    return p.stdout


def part(img):
    return f"{img}@@{PART_START * 512}"


def write_mbr(img, start, count, ptype=0x0e):
    """An MBR with one bootable partition (LBA start/count; CHS fields 0xfe/0xff/0xff,
    "use LBA"), a random-free fixed disk signature."""
    import struct
    entry = struct.pack("<B3sB3sII", 0x80, b"\xfe\xff\xff", ptype, b"\xfe\xff\xff", start, count)
    mbr = bytearray(512)
    mbr[440:444] = b"MMUT"                     # disk signature
    mbr[446:462] = entry
    mbr[510:512] = b"\x55\xaa"
    with open(img, "r+b") as f:
        f.write(mbr)


def make_card(img, files, label):
    """files: [(name on the card, host path or bytes)]."""
    os.makedirs(os.path.dirname(os.path.abspath(img)), exist_ok=True)
    tmp = img + ".tmp"
    with open(tmp, "wb") as f:
        f.truncate(CARD_MIB << 20)
    write_mbr(tmp, PART_START, (CARD_MIB << 11) - PART_START)
    size_kib = (CARD_MIB << 10) - PART_START // 2
    run([need("mkfs.vfat"), "-F", "16", "-n", label, "--offset", str(PART_START), tmp,
         str(size_kib)])
    with tempfile.TemporaryDirectory() as d:
        for name, src in files:
            if isinstance(src, (bytes, str)) and not (isinstance(src, str) and os.path.isfile(src)):
                p = os.path.join(d, name)
                with open(p, "wb") as f:
                    f.write(src.encode() if isinstance(src, str) else src)
                src = p
            run([need("mcopy"), "-i", part(tmp), "-o", src, "::" + name])
    os.replace(tmp, img)


def list_card(img):
    """[(name, size)] of the files in the partition's root directory (mdir)."""
    out = run([need("mdir"), "-i", part(img), "-a", "::"])
    files = []
    for line in out.splitlines():
        # "KERNEL8  IMG    263856 2026-11-30  15:10  kernel8.img": the long name last
        m = re.match(r"^(\S+)\s+(\S*)\s+(\d+)\s+\d{4}-\d\d-\d\d\s+\d+:\d+\s*(\S*)$", line)
        if m:
            short = m.group(1) + ("." + m.group(2) if m.group(2) else "")
            files.append((m.group(4) or short.lower(), int(m.group(3))))
    return files


def read_card_file(img, name):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "f")
        run([need("mcopy"), "-i", part(img), "::" + name, out])
        with open(out, "rb") as f:
            return f.read()


def rpi4_firmware():
    d = os.environ.get("RPI_FIRMWARE")
    files = ["start4.elf", "fixup4.dat"]
    if d:
        missing = [f for f in files if not os.path.isfile(os.path.join(d, f))]
        if missing:
            raise CardError(f"RPI_FIRMWARE={d} has no {', '.join(missing)}")
        return d
    import boardfiles
    try:
        return boardfiles.get_firmware("rpi4")
    except boardfiles.BoardError as e:
        raise CardError(str(e))


def uboot_script(bootargs):
    return f"""\
# MMU testbed on a StarFive VisionFive 2 (make sdcard BOARD=visionfive2).
# Run by U-Boot's distro boot from the card's first partition, or by hand:
#   load mmc 1:1 ${{scriptaddr}} boot.scr; source ${{scriptaddr}}
# The payload is linked at 0x40200000 and must run there (booti, RISC-V Image).
if test -z "${{devtype}}"; then setenv devtype mmc; fi
if test -z "${{devnum}}"; then setenv devnum 1; fi
if test -z "${{distro_bootpart}}"; then setenv distro_bootpart 1; fi
load ${{devtype}} ${{devnum}}:${{distro_bootpart}} 0x40200000 Image
if load ${{devtype}} ${{devnum}}:${{distro_bootpart}} ${{fdt_addr_r}} jh7110-starfive-visionfive-2-v1.3b.dtb; then
  setenv testbed_fdt ${{fdt_addr_r}}
else
  echo "testbed: no device tree on the card, using U-Boot's own"
  setenv testbed_fdt ${{fdtcontroladdr}}
fi
setenv bootargs "{bootargs}"
booti 0x40200000 - ${{testbed_fdt}}
"""


def build_uboot_script(bootargs, out_scr):
    cmd = uboot_script(bootargs)
    src = os.path.splitext(out_scr)[0] + ".cmd"
    with open(src, "w") as f:
        f.write(cmd)
    run([need("mkimage"), "-A", "riscv", "-O", "linux", "-T", "script", "-C", "none",
         "-n", "MMU testbed", "-d", src, out_scr])
    return src


def check_bootargs(bootargs):
    if any(c in bootargs for c in "\"\n\r$;\\") or len(bootargs) > 511:
        raise CardError("boot arguments may not hold quotes, newlines, '$', ';' or '\\' and "
                        "are at most 511 characters")


def build(board, build_dir, bootargs, out):
    import boardfiles
    check_bootargs(bootargs)
    bdir = os.path.join(build_dir, board)
    try:
        dtb = boardfiles.get_dtb(board)
    except boardfiles.BoardError as e:
        raise CardError(str(e))
    if board == "rpi4":
        kernel = os.path.join(bdir, "kernel8.img")
        if not os.path.isfile(kernel):
            raise CardError(f"{kernel} not found: run make BOARD=rpi4")
        fw = rpi4_firmware()
        files = [("kernel8.img", kernel), ("start4.elf", os.path.join(fw, "start4.elf")),
                 ("fixup4.dat", os.path.join(fw, "fixup4.dat")),
                 ("bcm2711-rpi-4-b.dtb", dtb), ("config.txt", RPI4_CONFIG),
                 ("cmdline.txt", bootargs + "\n")]
        label = "TESTBED"
    elif board == "visionfive2":
        kernel = os.path.join(bdir, "Image")
        if not os.path.isfile(kernel):
            raise CardError(f"{kernel} not found: run make BOARD=visionfive2")
        scr = os.path.join(bdir, "boot.scr")
        src = build_uboot_script(bootargs, scr)
        files = [("Image", kernel), ("boot.scr", scr), ("boot.cmd", src),
                 ("jh7110-starfive-visionfive-2-v1.3b.dtb", dtb), ("cmdline.txt", bootargs + "\n")]
        label = "TESTBED"
    else:
        raise CardError(f"no SD card layout for board {board} (rpi4, visionfive2)")
    make_card(out, files, label)
    return out


EXPECT = {
    "rpi4": ["kernel8.img", "start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb", "config.txt",
             "cmdline.txt"],
    "visionfive2": ["Image", "boot.scr", "boot.cmd", "jh7110-starfive-visionfive-2-v1.3b.dtb",
                    "cmdline.txt"],
}


def check(img, board, build_dir=None, bootargs=None):
    """Problems with a card image ([] when it is as built)."""
    problems = []
    files = dict(list_card(img))
    names = {n.lower() for n in files}
    for want in EXPECT[board]:
        if want.lower() not in names:
            problems.append(f"{want} missing")
        elif files.get(want, files.get(want.upper(), 1)) == 0:
            problems.append(f"{want} is empty")
    if problems:
        return problems
    if board == "rpi4":
        cfg = read_card_file(img, "config.txt").decode()
        settings = dict(l.split("=", 1) for l in cfg.splitlines() if l and not l.startswith("#"))
        for k, v in (("arm_64bit", "1"), ("enable_uart", "1"), ("kernel", "kernel8.img"),
                     ("kernel_address", "0x80000"), ("device_tree", "bcm2711-rpi-4-b.dtb")):
            if settings.get(k) != v:
                problems.append(f"config.txt: {k}={settings.get(k)} (want {v})")
        img_bytes = read_card_file(img, "kernel8.img")
        if img_bytes[56:60] != b"ARM\x64":
            problems.append("kernel8.img has no arm64 Image header")
        if build_dir and img_bytes != open(os.path.join(build_dir, "rpi4", "kernel8.img"), "rb").read():
            problems.append("kernel8.img differs from the build")
    else:
        scr = read_card_file(img, "boot.scr")
        if scr[:4] != b"\x27\x05\x19\x56":
            problems.append("boot.scr is not a U-Boot image (mkimage)")
        if b"booti 0x40200000" not in scr:
            problems.append("boot.scr does not booti the payload at 0x40200000")
        image = read_card_file(img, "Image")
        if image[48:56] != b"RISCV\0\0\0" or image[56:60] != b"RSC\x05":
            problems.append("Image has no RISC-V Image header")
    if bootargs is not None:
        got = read_card_file(img, "cmdline.txt").decode().strip()
        if got != bootargs:
            problems.append(f"cmdline.txt: '{got}' (want '{bootargs}')")
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--board", required=True, choices=sorted(EXPECT))
    b.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    b.add_argument("--bootargs", default="")
    b.add_argument("-o", "--out")
    sc = sub.add_parser("script")
    sc.add_argument("out")
    sc.add_argument("--bootargs", default="")
    l = sub.add_parser("list")
    l.add_argument("image")
    c = sub.add_parser("check")
    c.add_argument("image")
    c.add_argument("--board", required=True, choices=sorted(EXPECT))
    c.add_argument("--build-dir")
    c.add_argument("--bootargs")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "build":
            out = a.out or os.path.join(a.build_dir, a.board, "sdcard.img")
            build(a.board, a.build_dir, a.bootargs, out)
            for name, size in list_card(out):
                print(f"  {name:<44} {size:>10}")
            print(f"built {out} ({CARD_MIB} MiB; write it with dd or bmaptool, README.md)")
        elif a.cmd == "script":
            check_bootargs(a.bootargs)
            build_uboot_script(a.bootargs, a.out)
            print(f"built {a.out} (U-Boot script, mkimage; source {os.path.splitext(a.out)[0]}.cmd)")
        elif a.cmd == "list":
            for name, size in list_card(a.image):
                print(f"{name} {size}")
        else:
            problems = check(a.image, a.board, a.build_dir, a.bootargs)
            for p in problems:
                print(f"not ok: {p}")
            if problems:
                return 1
            print(f"ok: {a.image}: " + ", ".join(EXPECT[a.board]))
    except CardError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
