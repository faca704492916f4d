#!/usr/bin/python3
"""Board files taken from Debian's archive at set-up time, never committed.

  boardfiles.py dtb rpi4|visionfive2       print the path of the board's device tree
  boardfiles.py firmware rpi4              print the directory holding start4.elf, fixup4.dat

Device trees come from Debian's kernel packages (the Pi 4's from the arm64
linux-image package of bookworm, the VisionFive 2's from trixie's riscv64
one); the Raspberry Pi firmware from the raspi-firmware package in the
non-free-firmware component. apt runs with a configuration of its own under
build/boards/apt (tools/peer/peer.py's Apt: own sources, lists, cache, empty
dpkg status), so the machine's apt state is untouched; packages are cached in
build/boards/cache, extracted files in build/boards/<board>/.

Exit status 0 with the path on stdout; 1 with one 'error: ...' line.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "peer"))
import peer  # noqa: E402

BASE = os.path.join(ROOT, "build", "boards")

# board: (Debian arch, suite, components, metapackage, member glob in the package, file name)
DTBS = {
    "rpi4": ("arm64", "bookworm", "main", "linux-image-arm64",
             "*/broadcom/bcm2711-rpi-4-b.dtb", "bcm2711-rpi-4-b.dtb"),
    "visionfive2": ("riscv64", "trixie", "main", "linux-image-riscv64",
                    "*/starfive/jh7110-starfive-visionfive-2-v1.3b.dtb",
                    "jh7110-starfive-visionfive-2-v1.3b.dtb"),
}
# The Pi 4's boot firmware: GPU firmware and its memory-split table.
RPI_FIRMWARE = ("arm64", "bookworm", "main non-free-firmware", "raspi-firmware",
                ["start4.elf", "fixup4.dat"])


class BoardError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def make_apt(arch, suite, components):
    apt = peer.Apt(os.path.join(BASE, "apt", f"{arch}-{suite}"), arch, [suite])
    apt._write("etc/sources.list", f"deb [arch={arch} signed-by={peer.KEYRING}] {peer.MIRROR} "
                                   f"{suite} {components}\n")
    return apt


def fetch_deb(arch, suite, components, pkg, follow_kernel=False):
    """Download (cached) pkg's newest version in suite; for a kernel
    metapackage follow its dependency to the linux-image-<ver> package."""
    apt = make_apt(arch, suite, components)
    cache = os.path.join(BASE, "cache")
    os.makedirs(cache, exist_ok=True)
    try:
        apt.update()
    except peer.PeerError as e:
        raise BoardError(f"apt-get update for Debian {suite} ({arch}, {components}) failed: {e}")
    name, want = pkg, None
    for _ in range(3):
        vers = [v for v in apt.versions(name) if not want or v[0] == want]
        if not vers:
            raise BoardError(f"Debian package {name} ({arch}) not found in {suite} {components}")
        version = vers[0][0]
        deb = peer._cached_deb(cache, name, version, arch) if arch in peer.DEB_ARCH else None
        if not deb:
            log(f"boards: downloading {name}={version} ({arch}, {suite})")
            deb = apt.download(name, version, cache)
        if not follow_kernel:
            return deb, name, version
        n2, w2 = peer._kernel_dependency(apt.depends(name, version))
        if not n2:
            return deb, name, version
        name, want = n2, w2
    raise BoardError(f"no kernel package found from {pkg}")


def extract(deb, patterns, dest):
    """Extract the members matching the glob patterns into dest (flat)."""
    os.makedirs(dest, exist_ok=True)
    tmp = dest + ".unpack"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
    p = subprocess.run(["tar", "-x", "-C", tmp, "--wildcards"] + patterns, stdin=tar.stdout,
                       capture_output=True, text=True)
    tar.wait()
    found = {}
    for pat in patterns:
        hits = glob.glob(os.path.join(tmp, pat.lstrip("*/")), recursive=False) or \
            glob.glob(os.path.join(tmp, "**", os.path.basename(pat)), recursive=True)
        if hits:
            found[pat] = hits[0]
    missing = [p for p in patterns if p not in found]
    if missing:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BoardError(f"{os.path.basename(deb)} has no {', '.join(missing)} ({p.stderr.strip()})")
    out = []
    for pat in patterns:
        target = os.path.join(dest, os.path.basename(found[pat]))
        shutil.copyfile(found[pat], target)
        out.append(target)
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def get_dtb(board):
    arch, suite, comps, pkg, member, fname = DTBS[board]
    dest = os.path.join(BASE, board)
    path = os.path.join(dest, fname)
    if os.path.isfile(path) and os.path.getsize(path) > 0:
        return path
    deb, name, version = fetch_deb(arch, suite, comps, pkg, follow_kernel=True)
    extract(deb, [member], dest)
    with open(os.path.join(dest, fname + ".source"), "w") as f:
        f.write(f"{name}={version} ({arch}, Debian {suite})\n")
    return path


def get_firmware(board):
    if board != "rpi4":
        raise BoardError(f"no firmware files are needed for {board} (its firmware is on the board)")
    arch, suite, comps, pkg, files = RPI_FIRMWARE
    dest = os.path.join(BASE, board, "firmware")
    if all(os.path.isfile(os.path.join(dest, f)) for f in files):
        return dest
    try:
        deb, name, version = fetch_deb(arch, suite, comps, pkg)
    except BoardError as e:
        raise BoardError(f"{e}: the Raspberry Pi boot firmware (start4.elf, fixup4.dat) is in "
                         f"Debian's raspi-firmware package, component non-free-firmware; enable "
                         f"that component for {suite} or set RPI_FIRMWARE=<dir> to a directory "
                         f"holding {' and '.join(files)}")
    extract(deb, ["*/" + f for f in files], dest)
    with open(os.path.join(dest, "SOURCE"), "w") as f:
        f.write(f"{name}={version} ({arch}, Debian {suite} non-free-firmware)\n")
    return dest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["dtb", "firmware"])
    ap.add_argument("board", choices=sorted(DTBS))
    a = ap.parse_args(argv)
    try:
        print(get_dtb(a.board) if a.what == "dtb" else get_firmware(a.board))
    except (BoardError, peer.PeerError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
