"""Tests for tools/peer/peer.py (make peer): the Linux console parser, the
testbed shell transcript parser, the tables, the initramfs writer and the
apt sandbox options. No QEMU, no network: the fixtures are one real run
(Linux 6.12.95 cloud-arm64 and the testbed, arm64, QEMU 10.0.2 -icount
shift=0), recorded by `make peer`."""
import gzip
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.abspath(os.path.join(HERE, "..", "..", "tools"))
FIX = os.path.join(HERE, "fixtures")
sys.path.insert(0, TOOLS)
sys.path.insert(0, os.path.join(TOOLS, "peer"))
import benchread  # noqa: E402
import peer  # noqa: E402

LINUX_LOG = os.path.join(FIX, "peer_linux-6.12.95.log")
SHELL_LOG = os.path.join(FIX, "peer_testbed_shell.log")
TESTBED = os.path.join(FIX, "peer_testbed_results.jsonl")


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


class Fixtures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.log = read(LINUX_LOG)
        cls.linux = peer.parse_console(cls.log)
        cls.testbed = peer.load_jsonl(TESTBED)
        cls.transcript = read(SHELL_LOG).splitlines()
        cls.tsem = peer.parse_testbed_transcript(cls.transcript)


class ParseConsole(Fixtures):
    def test_recorded_run_is_complete(self):
        lx = self.linux
        self.assertEqual(lx["problems"], [])
        self.assertEqual(lx["begin"]["kernel"], "6.12.95+deb12-cloud-arm64")
        self.assertEqual(lx["begin"]["variant"], "linux-6.12.95")
        self.assertTrue(lx["begin"]["icount"])
        self.assertEqual(len(lx["bench"]), lx["end"]["bench"])
        self.assertEqual(len(lx["semantics"]), 18)      # 9 scenarios x 2 folio sizes

    def test_every_bench_line_is_valid_schema_1(self):
        for r in self.linux["bench"]:
            self.assertIsNone(benchread.validate_result(r), r["name"])
            self.assertTrue(r["variant"].startswith("linux-6.12.95"))
            self.assertIn("whole-syscall instruction count", r["note"])

    def test_cut_short_is_a_problem(self):
        cut = self.log[:self.log.index("PEER-END")]
        lx = peer.parse_console(cut)
        self.assertTrue(any("cut short" in p for p in lx["problems"]))

    def test_no_init_is_a_problem(self):
        lx = peer.parse_console("[    0.1] Kernel panic - not syncing: No working init found.\n")
        self.assertTrue(any("PEER-BEGIN" in p for p in lx["problems"]))

    def test_noise_crlf_and_garbled_lines(self):
        noisy = ("junk\r\n[  1.0] random: crng init done\r\n"
                 + self.log.replace("\n", "\r\n").replace("PEER-SEMANTICS {", "x PEER-SEMANTICS {", 1)
                 + "PEER-SEMANTICS {\"schema\":1,\"scen\n")
        lx = peer.parse_console(noisy)
        self.assertEqual(len(lx["semantics"]), 18)
        self.assertEqual(len(lx["problems"]), 1)          # the garbled last line
        self.assertIn("unreadable", lx["problems"][0])

    def test_count_mismatch_is_a_problem(self):
        lines = [l for l in self.log.splitlines() if not l.startswith("PEER-SEMANTICS")
                 or "zero-page" not in l]
        lx = peer.parse_console("\n".join(lines))
        self.assertTrue(any("PEER-END announces" in p for p in lx["problems"]))


class Performance(Fixtures):
    def test_slopes_are_the_measured_linux_figures(self):
        # Issue 16: Linux 6.12, RW->RO / RO->RW, 4K then 64K: 125 / 209 / 277 / 361.
        want = {("rw->ro", 4): 125, ("ro->rw", 4): 209, ("rw->ro", 64): 277, ("ro->rw", 64): 361}
        for (op, folio), v in want.items():
            s = peer.slope(peer.mprotect_result(self.linux["bench"], 2048, folio, op,
                                                variant="linux-6.12.95"),
                           peer.mprotect_result(self.linux["bench"], 8192, folio, op,
                                                variant="linux-6.12.95"))
            self.assertAlmostEqual(s, v, delta=1.0, msg=(op, folio))

    def test_slope_arithmetic(self):
        a = {"instructions": {"median": 1000}, "per": {"count": 512}}
        b = {"instructions": {"median": 4072}, "per": {"count": 2048}}
        self.assertEqual(peer.slope(a, b), 2.0)
        self.assertIsNone(peer.slope(a, None))
        self.assertIsNone(peer.slope(a, a))

    def test_rows_pair_testbed_and_linux(self):
        rows = {r[0]: r for r in peer.perf_rows(self.testbed, self.linux["bench"], "linux-6.12.95")}
        r = rows["mprotect RW->RO 2 MiB, 4K folios"]
        t = peer.mprotect_result(self.testbed, 2048, 4, "rw->ro", variant="auto")
        self.assertEqual(r[1], t["instructions"]["median"])
        self.assertEqual(r[3], t["instructions"]["median"] / 512)
        self.assertIsNotNone(r[2])
        self.assertIn("**mprotect RO->RW 64K folios: marginal per page, 2->8 MiB**", rows)
        self.assertIn("first-touch write 1 MiB, 64K folios", rows)
        self.assertIn("COW write in the child 1 MiB, 4K folios", rows)
        self.assertIn("fork 1 MiB, 4K folios: per page above an empty fork", rows)
        null = rows["null syscall (getppid): Linux's fixed cost per call"]
        self.assertTrue(400 < null[2] < 600)

    def test_table_has_ratios_and_notes(self):
        t = peer.perf_table(self.testbed, self.linux["bench"], "linux-6.12.95", "k",
                            self.linux["begin"])
        self.assertIn("| operation | testbed instr/op | Linux instr/op | ratio |", t)
        row = next(l for l in t.splitlines() if l.startswith("| mprotect RW->RO 8 MiB, 4K folios"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        self.assertRegex(cells[3], r"^\d+\.\d\dx$")
        self.assertIn("exact instruction counts", t)
        self.assertIn("NUMA hinting is not compared", t)

    def test_table_without_testbed(self):
        t = peer.perf_table([], self.linux["bench"], "linux-6.12.95")
        row = next(l for l in t.splitlines() if l.startswith("| mprotect RW->RO 2 MiB, 4K"))
        self.assertIn("| - |", row)

    def test_coarse_counter_note(self):
        note = peer.counter_note({"counter": "rdtime", "counter_hz": 10000000, "icount": True})
        self.assertIn("steps of 100 instructions", note)


class Semantics(Fixtures):
    def test_testbed_transcript(self):
        want = {"private-exclusive": 0, "zero-page": 16, "cow-parent": 16, "cow-child": 16,
                "shared-dirty": 0, "shared-clean": 0, "softdirty-cleared": 16,
                "softdirty-rewritten": 0, "uffd-wp-unprotect": 0}
        for folio in (4, 64):
            for name, faults in want.items():
                got = self.tsem[(name, folio)]
                self.assertEqual(got["write_faults"], faults, (name, folio))
                self.assertEqual(got["pages"], 16)
                self.assertIsNone(got["error"])

    def test_script_tags_every_scenario_once(self):
        tags = [t for _, t in peer.testbed_script() if t]
        self.assertEqual(sorted(tags), sorted((n, f) for n, _ in peer.SCENARIOS for f in (4, 64)))

    def test_transcript_error_is_kept(self):
        lines = list(self.transcript)
        i = next(k for k, l in enumerate(lines) if l.startswith("mm> touch 0x2000000000 64K w 7"))
        lines[i + 1:i + 3] = ["pages=0 faults=1 unresolved=1", "error: segv at 0x2000000000"]
        got = peer.parse_testbed_transcript(lines)[("private-exclusive", 4)]
        self.assertEqual(got["write_faults"], 1)
        self.assertTrue(got["error"].startswith("error: segv"))

    def test_rows_and_verdicts(self):
        rows = {(r[0], r[1]): r for r in peer.semantics_rows(self.tsem, peer.linux_semantics(self.linux))}
        self.assertEqual(len(rows), 18)
        self.assertEqual(rows[("private-exclusive", 64)][4], "agree")
        self.assertEqual(rows[("zero-page", 4)][2:5], (16, 16, "agree"))
        # arm64 Linux has no soft-dirty: the clear changes nothing there.
        self.assertEqual(rows[("softdirty-cleared", 4)][2:5], (16, 0, "**differ**"))
        self.assertIn("no soft-dirty", rows[("softdirty-cleared", 4)][5])
        self.assertEqual(rows[("uffd-wp-unprotect", 64)][3], 0)

    def test_table_explains_each_difference(self):
        t = peer.semantics_table(self.tsem, peer.linux_semantics(self.linux), "linux-6.12.95")
        self.assertIn("- `softdirty-cleared` differs:", t)
        self.assertNotIn("- `private-exclusive` differs", t)
        self.assertEqual(t.count("**differ**"), 2)

    def test_unsupported_is_not_a_verdict(self):
        lsem = {("uffd-wp-unprotect", 4): {"write_faults": -1, "status": "unsupported",
                                            "detail": "unsupported: UFFDIO_API failed"}}
        rows = peer.semantics_rows({("uffd-wp-unprotect", 4): {"write_faults": 0}}, lsem)
        self.assertEqual(rows[0][4], "n/a")
        self.assertIn("UFFDIO_API", rows[0][5])


class Report(Fixtures):
    def test_combined_log_reads_cleanly_with_linux_series(self):
        text = peer.combined_log(self.testbed, [self.log])
        r = benchread.read_text(text, "combined")
        self.assertEqual(r.errors, [])
        variants = {x["variant"] for x in r.results}
        self.assertIn("auto", variants)
        self.assertIn("linux-6.12.95", variants)
        self.assertIn("linux-6.12.95 folio-64k", variants)
        report, warns = benchread.render_report(r.results, "combined")
        self.assertEqual(warns, [])                        # every baseline is there
        self.assertRegex(report, r"\| linux-6\.12\.95 \|.*\| \d+\.\d\dx auto \|")

    def test_render_all(self):
        lx = dict(self.linux, info={"package": "linux-image-6.12.95+deb12-cloud-arm64",
                                    "version": "6.12.95-1~bpo12+1"})
        out = peer.render_all(self.testbed, self.tsem, [lx])
        self.assertIn("## Linux 6.12.95+deb12-cloud-arm64", out)
        self.assertIn("### Performance: testbed vs linux-6.12.95", out)
        self.assertIn("### Semantics:", out)


class Initramfs(unittest.TestCase):
    def parse(self, data):
        out, pos = [], 0
        while True:
            self.assertEqual(data[pos:pos + 6], b"070701")
            f = [int(data[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
            namesize, filesize = f[11], f[6]
            name = data[pos + 110:pos + 110 + namesize - 1].decode()
            pos = (pos + 110 + namesize + 3) & ~3
            body = data[pos:pos + filesize]
            pos = (pos + filesize + 3) & ~3
            if name == "TRAILER!!!":
                self.assertEqual(pos, len(data))
                return out
            out.append((name, f[1], body, (f[9], f[10])))

    def test_newc_round_trip(self):
        entries = [("dev", 0o040755, b"", (0, 0)), ("dev/console", 0o020600, b"", (5, 1)),
                   ("init", 0o100755, b"\x7fELF" + bytes(range(7)), (0, 0))]
        self.assertEqual(self.parse(peer.cpio_newc(entries)), entries)

    def test_initramfs_file(self):
        with tempfile.TemporaryDirectory() as d:
            init = os.path.join(d, "init")
            with open(init, "wb") as f:
                f.write(b"binary")
            peer.build_initramfs(init, os.path.join(d, "i.cpio.gz"))
            with open(os.path.join(d, "i.cpio.gz"), "rb") as f:
                got = self.parse(gzip.decompress(f.read()))
        self.assertIn(("dev/console", 0o020600, b"", (5, 1)), got)
        self.assertIn(("init", 0o100755, b"binary", (0, 0)), got)


class KernelFetch(unittest.TestCase):
    def test_apt_configuration_is_its_own(self):
        with tempfile.TemporaryDirectory() as d:
            apt = peer.Apt(d, "arm64", ["trixie-backports", "bookworm-backports"])
            opts = apt.options()
            kv = dict(o.split("=", 1) for o in opts[1::2])
            for k in ("Dir::Etc::SourceList", "Dir::Etc::SourceParts", "Dir::State::Lists",
                      "Dir::State::status", "Dir::Cache", "Dir::Etc::Preferences"):
                self.assertTrue(kv[k].startswith(os.path.abspath(d)), k)
            self.assertEqual(kv["APT::Architectures::"], "arm64")
            src = read(os.path.join(d, "etc", "sources.list"))
            self.assertIn("deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
                          "http://deb.debian.org/debian bookworm-backports main", src)
            self.assertIn("trixie-backports main", src)
            self.assertIn("Pin-Priority: 100", read(os.path.join(d, "etc", "preferences")))

    def test_kernel_dependency(self):
        # 6.12 metapackage, then 7.x image metapackage -> linux-binary
        self.assertEqual(peer._kernel_dependency(
            ["linux-image-6.12.95+deb12-cloud-arm64 (= 6.12.95-1~bpo12+1)"]),
            ("linux-image-6.12.95+deb12-cloud-arm64", "6.12.95-1~bpo12+1"))
        self.assertEqual(peer._kernel_dependency(
            ["dracut | initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool",
             "linux-base-7.3.4+deb13-cloud-arm64 (= 7.3.4-1~bpo13+1)",
             "linux-binary-7.3.4+deb13-cloud-arm64 (= 7.3.4-1~bpo13+1)"]),
            ("linux-binary-7.3.4+deb13-cloud-arm64", "7.3.4-1~bpo13+1"))
        self.assertEqual(peer._kernel_dependency(["kmod"]), (None, None))

    def test_kernel_member(self):
        self.assertEqual(peer._kernel_member(["./", "./boot/", "./boot/vmlinuz-6.12.95+deb12-cloud-arm64",
                                              "./boot/config-6.12.95+deb12-cloud-arm64"]),
                         "./boot/vmlinuz-6.12.95+deb12-cloud-arm64")
        self.assertEqual(peer._kernel_member(["./usr/lib/modules/7.3.4+deb13-cloud-arm64/vmlinuz"]),
                         "./usr/lib/modules/7.3.4+deb13-cloud-arm64/vmlinuz")
        self.assertIsNone(peer._kernel_member(["./usr/share/doc/linux-image-cloud-arm64/copyright"]))


if __name__ == "__main__":
    unittest.main()
