"""tools/sdcard.py: card layout, listing and checks on small synthetic cards (needs
mtools and dosfstools, as make sdcard does; no download)."""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import sdcard  # noqa: E402

HAVE_TOOLS = all(shutil.which(t) or os.path.exists("/usr/sbin/" + t) or os.path.exists("/sbin/" + t)
                 for t in ("mkfs.vfat", "mcopy", "mdir", "mkimage"))
ARM64_HEADER = b"\x00" * 56 + b"ARM\x64" + b"\x00" * 4


@unittest.skipUnless(HAVE_TOOLS, "mtools, dosfstools or u-boot-tools missing")
class Card(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp()
        self.img = os.path.join(self.d, "card.img")

    def tearDown(self):
        shutil.rmtree(self.d)

    def rpi4_card(self, config=sdcard.RPI4_CONFIG, kernel=ARM64_HEADER + b"code"):
        sdcard.make_card(self.img, [("kernel8.img", kernel), ("start4.elf", b"fw"),
                                    ("fixup4.dat", b"fx"), ("bcm2711-rpi-4-b.dtb", b"\xd0\x0d\xfe\xed"),
                                    ("config.txt", config), ("cmdline.txt", "test=boot\n")], "TESTBED")

    def test_mbr_and_listing(self):
        self.rpi4_card()
        with open(self.img, "rb") as f:
            mbr = f.read(512)
        self.assertEqual(mbr[510:], b"\x55\xaa")
        self.assertEqual(mbr[446], 0x80)                       # bootable
        self.assertEqual(mbr[450], 0x0e)                       # FAT16 LBA
        self.assertEqual(int.from_bytes(mbr[454:458], "little"), sdcard.PART_START)
        files = dict(sdcard.list_card(self.img))
        self.assertEqual(files["kernel8.img"], 64 + 4)
        self.assertEqual(set(files), set(sdcard.EXPECT["rpi4"]))
        self.assertEqual(sdcard.check(self.img, "rpi4", bootargs="test=boot"), [])

    def test_check_finds_a_bad_config(self):
        self.rpi4_card(config=sdcard.RPI4_CONFIG.replace("arm_64bit=1", "arm_64bit=0"))
        self.assertIn("config.txt: arm_64bit=0 (want 1)", sdcard.check(self.img, "rpi4"))
        self.rpi4_card(kernel=b"not an image")
        self.assertIn("kernel8.img has no arm64 Image header", sdcard.check(self.img, "rpi4"))
        self.assertTrue(any("cmdline.txt" in p for p in
                            sdcard.check(self.img, "rpi4", bootargs="bench=default")))

    def test_check_finds_a_missing_file(self):
        sdcard.make_card(self.img, [("kernel8.img", ARM64_HEADER)], "TESTBED")
        self.assertIn("start4.elf missing", sdcard.check(self.img, "rpi4"))

    def test_uboot_script(self):
        scr = os.path.join(self.d, "boot.scr")
        sdcard.build_uboot_script("test=mm.*", scr)
        data = open(scr, "rb").read()
        self.assertEqual(data[:4], b"\x27\x05\x19\x56")       # U-Boot image magic
        self.assertIn(b'setenv bootargs "test=mm.*"', data)
        self.assertIn(b"booti 0x40200000 - ${testbed_fdt}", data)
        with self.assertRaises(sdcard.CardError):
            sdcard.check_bootargs('x"; reset')

    def test_missing_firmware_names_the_package(self):
        os.environ["RPI_FIRMWARE"] = self.d
        try:
            with self.assertRaises(sdcard.CardError) as cm:
                sdcard.rpi4_firmware()
            self.assertIn("start4.elf", str(cm.exception))
        finally:
            del os.environ["RPI_FIRMWARE"]


class FirmwareMessage(unittest.TestCase):
    def test_unavailable_package_names_component(self):
        import boardfiles
        real = boardfiles.fetch_deb

        def fail(*a, **k):
            raise boardfiles.BoardError("Debian package raspi-firmware (arm64) not found")
        boardfiles.fetch_deb = fail
        saved = boardfiles.BASE
        boardfiles.BASE = tempfile.mkdtemp()
        try:
            with self.assertRaises(boardfiles.BoardError) as cm:
                boardfiles.get_firmware("rpi4")
            self.assertIn("non-free-firmware", str(cm.exception))
            self.assertIn("RPI_FIRMWARE", str(cm.exception))
        finally:
            shutil.rmtree(boardfiles.BASE)
            boardfiles.BASE = saved
            boardfiles.fetch_deb = real


if __name__ == "__main__":
    unittest.main()
