"""Tests for tools/runner.py: configuration, command lines and judging (no QEMU)."""
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

TOOLS = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                     "tools"))
ROOT = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
import runner  # noqa: E402

PASSING = """\
OpenSBI noise
KTAP version 1
1..2
    KTAP version 1
    # Subtest: boot
    1..2
    ok 1 dtb_found
    ok 2 counters # SKIP no instret
ok 1 boot
    # Subtest: mmu
    1..2
    ok 1 map
    ok 2 write_fault
ok 2 mmu
# Totals: pass:3 fail:0 skip:1 total:4
TESTBED: status=pass
"""

FAILING = PASSING.replace("    ok 2 write_fault", "    # expected fault at 0x1000\n"
                          "    not ok 2 write_fault").replace("ok 2 mmu", "not ok 2 mmu") \
    .replace("status=pass", "status=fail").replace("pass:3 fail:0", "pass:2 fail:1")

CRASH = """\
KTAP version 1
1..1
    # Subtest: selftest
    1..2
    ok 1 sanity
Unhandled exception: data abort at 0xdead0000
REGISTERS ESR=0x96000045 FAR=0xdead0000 ELR=0x40081234
 x0 0000000000000000 x1 00000000dead0000
    not ok 2 crash_data_abort # crashed
not ok 1 selftest
TESTBED: status=fail
"""

REJECT = """\
testbed: arm64, entered at EL1, console pl011
testbed: error: boot argument steps=4294967296: out of range 1..10000000
# boot arguments:
#   steps=1..10000000  steps of randomized tests
TESTBED: status=fail code=1
"""


def lines(text):
    return text.splitlines()


class Conf(unittest.TestCase):
    def test_repo_conf_parses(self):
        configs = runner.load_conf(os.path.join(ROOT, "tests", "qemu.conf"))
        names = [c.name for c in configs]
        self.assertIn("arm64-el1", names)
        self.assertIn("riscv64-sv39", names)
        self.assertTrue(all(c.arch in runner.ARCHES for c in configs))

    def test_fields_and_selection(self):
        text = textwrap.dedent("""\
            # comment
            a1 | arm64   | -M virt -cpu max |
            a2 | arm64   | -M virt,virtualization=on -cpu max | foo=1 bar
            r1 | riscv64 | -M virt -bios default
            """)
        configs = runner.parse_conf_text(text)
        self.assertEqual([c.name for c in configs], ["a1", "a2", "r1"])
        self.assertEqual(configs[1].bootargs, "foo=1 bar")
        self.assertEqual(configs[1].qemu_args, ["-M", "virt,virtualization=on", "-cpu", "max"])
        self.assertEqual([c.name for c in runner.select_configs(configs, "riscv64")], ["r1"])
        self.assertEqual([c.name for c in runner.select_configs(configs, "all", ["a*"])],
                         ["a1", "a2"])
        self.assertEqual(runner.select_configs(configs, "arm64", ["r*"]), [])

    def test_bad_lines(self):
        for text, needle in (("x | mips | -M virt |", "unknown arch"),
                             ("x | arm64", "field"),
                             ("x | arm64 | | \nx | arm64 | |", "already defined")):
            with self.assertRaises(runner.ConfError) as cm:
                runner.parse_conf_text(text, "t.conf")
            self.assertIn(needle, str(cm.exception))


class ConfExpectations(unittest.TestCase):
    def test_expect_reject_and_line_fields(self):
        text = textwrap.dedent("""\
            r1 | arm64 | -M virt | steps=0 | expect-reject out of range 1\\.\\.\\d+
            r2 | arm64 | -M virt | va=39 | expect-reject is for (arm64|riscv64) only
            n1 | riscv64 | -M virt | test=boot reps=3 | expect-line ^# bootargs: note: reps=
            f1 | arm64 | -M virt | test=x | expect-fail x.*,y.*
            """)
        r1, r2, n1, f1 = runner.parse_conf_text(text)
        self.assertEqual((r1.bootargs, r1.expect_reject), ("steps=0", r"out of range 1\.\.\d+"))
        self.assertEqual(r2.expect_reject, "is for (arm64|riscv64) only")   # '|' in the regex
        self.assertIsNone(r2.expect_line)
        self.assertEqual(n1.expect_line, "^# bootargs: note: reps=")
        self.assertIsNone(n1.expect_reject)
        self.assertEqual(f1.expect_fail, ["x.*", "y.*"])
        self.assertIsNone(f1.expect_reject)

    def test_bad_expectations(self):
        for fifth, needle in (("expect-reject", "fifth field"), ("expect-nothing x", "fifth field"),
                              ("expect-reject (unclosed", "bad regex"),
                              ("expect-fail a b", "fifth field")):
            with self.assertRaises(runner.ConfError) as cm:
                runner.parse_conf_text(f"x | arm64 | -M virt | seed=1 | {fifth}", "t.conf")
            self.assertIn(needle, str(cm.exception))
            self.assertIn("t.conf:1", str(cm.exception))


class ExpectReject(unittest.TestCase):
    RX = r"steps=\S+: out of range"

    def test_rejected_as_expected(self):
        v = runner.judge_reject("c", lines(REJECT), 1, self.RX)
        self.assertTrue(v.ok, v.problems)
        self.assertEqual((v.passed, v.failed), (1, 0))

    def test_exit_zero_is_a_failure(self):
        v = runner.judge_reject("c", lines(REJECT), 0, self.RX)
        self.assertFalse(v.ok)
        self.assertEqual((v.passed, v.failed), (0, 1))
        self.assertTrue(any("status 0, expected non-zero" in p for p in v.problems))

    def test_message_missing(self):
        v = runner.judge_reject("c", lines(REJECT), 1, r"matches no benchmark")
        self.assertTrue(any("no line matching" in p for p in v.problems))

    def test_accepted_and_ran(self):
        v = runner.judge_reject("c", lines(PASSING), 0, self.RX)
        self.assertFalse(v.ok)
        self.assertTrue(any("ran a job" in p for p in v.problems))
        self.assertTrue(any("status=pass" in p for p in v.problems))

    def test_rejected_but_ran_benchmarks_anyway(self):
        text = REJECT.replace("TESTBED", 'BENCH-BEGIN {"schema":1}\nTESTBED')
        v = runner.judge_reject("c", lines(text), 1, self.RX)
        self.assertTrue(any("ran a job" in p for p in v.problems))

    def test_no_status_line(self):
        text = REJECT.replace("TESTBED: status=fail code=1\n", "")
        v = runner.judge_reject("c", lines(text), 1, self.RX)
        self.assertTrue(any("no status line" in p for p in v.problems))

    def test_crash_timeout_and_signal(self):
        v = runner.judge_reject("c", lines(REJECT + "REGISTERS x0=0\n"), 2, self.RX)
        self.assertTrue(any("crashed" in p for p in v.problems))
        v = runner.judge_reject("c", lines(REJECT), None, self.RX, timed_out=True, timeout=3)
        self.assertTrue(any("timed out after 3 s" in p for p in v.problems))
        v = runner.judge_reject("c", lines(REJECT), -9, self.RX)
        self.assertTrue(any("signal 9" in p for p in v.problems))


class ExpectLine(unittest.TestCase):
    def test_line_present(self):
        text = PASSING.replace("KTAP version 1\n", "# bootargs: note: reps= ignored\nKTAP version 1\n", 1)
        v = runner.judge("c", lines(text), 0, expect_line=r"^# bootargs: note: reps=")
        self.assertTrue(v.ok, v.problems)
        self.assertEqual((v.passed, v.failed), (3, 0))

    def test_line_missing(self):
        v = runner.judge("c", lines(PASSING), 0, expect_line=r"^# bootargs: note: reps=")
        self.assertFalse(v.ok)
        self.assertEqual(v.failed, 1)
        self.assertTrue(any("no line matching" in p for p in v.problems))


class Command(unittest.TestCase):
    def test_arm64(self):
        c = runner.Config("a", "arm64", ["-M", "virt", "-cpu", "max"], "log=2")
        cmd = runner.build_command(c, "build/arm64/kernel.elf", "test=mmu.*")
        self.assertEqual(cmd[0], "qemu-system-aarch64")
        self.assertEqual(cmd[1:5], ["-M", "virt", "-cpu", "max"])
        for flag in ("-nographic", "-semihosting", "-no-reboot"):
            self.assertIn(flag, cmd)
        self.assertEqual(cmd[cmd.index("-icount") + 1], "shift=0,sleep=off")
        self.assertEqual(cmd[cmd.index("-kernel") + 1], "build/arm64/kernel.elf")
        self.assertEqual(cmd[cmd.index("-append") + 1], "log=2 test=mmu.* exit=semihosting")

    def test_riscv64(self):
        c = runner.Config("r", "riscv64", ["-M", "virt", "-bios", "default"], "")
        cmd = runner.build_command(c, "k.elf")
        self.assertEqual(cmd[0], "qemu-system-riscv64")
        self.assertNotIn("-semihosting", cmd)
        self.assertIn("-no-reboot", cmd)
        self.assertEqual(cmd[cmd.index("-icount") + 1], "shift=0,sleep=off")
        self.assertEqual(cmd[cmd.index("-append") + 1], "")

    def test_no_duplicate_icount(self):
        c = runner.Config("r", "riscv64", ["-icount", "shift=1"], "")
        cmd = runner.build_command(c, "k.elf")
        self.assertEqual(cmd.count("-icount"), 1)

    def test_missing_qemu_message_names_package(self):
        self.assertIn("qemu-system-arm", runner.missing_qemu_message("arm64"))
        self.assertIn("qemu-system-misc", runner.missing_qemu_message("riscv64"))
        self.assertIn("bookworm-backports", runner.missing_qemu_message("riscv64"))


class Judge(unittest.TestCase):
    def test_pass(self):
        v = runner.judge("c", lines(PASSING), 0)
        self.assertTrue(v.ok, v.problems)
        self.assertEqual((v.passed, v.failed, v.skipped), (3, 0, 1))

    def test_case_failure_is_consistent(self):
        v = runner.judge("c", lines(FAILING), 1)
        self.assertFalse(v.ok)
        self.assertEqual(v.problems, [])
        self.assertEqual((v.passed, v.failed), (2, 1))
        self.assertEqual(v.failing_cases, [("mmu.write_fault", "expected fault at 0x1000")])

    def test_exit_zero_but_case_failed(self):
        v = runner.judge("c", lines(FAILING), 0)
        self.assertEqual(v.failed, 2)            # the case + the configuration
        self.assertTrue(any("exit status 0" in p for p in v.problems), v.problems)

    def test_exit_nonzero_but_all_passed(self):
        v = runner.judge("c", lines(PASSING), 3)
        self.assertEqual((v.passed, v.failed), (3, 1))
        self.assertTrue(any("exit status 3 but all cases passed" in p for p in v.problems))

    def test_status_line_disagrees(self):
        v = runner.judge("c", lines(PASSING.replace("status=pass", "status=fail")), 1)
        self.assertTrue(any("status=fail but all KTAP cases passed" in p for p in v.problems))
        self.assertEqual(v.failed, 1)

    def test_missing_status_line_is_cut_short(self):
        v = runner.judge("c", lines(PASSING.replace("TESTBED: status=pass\n", "")), 0)
        self.assertTrue(any("run cut short" in p for p in v.problems), v.problems)
        self.assertEqual(v.failed, 1)

    def test_timeout(self):
        text = "\n".join(lines(PASSING)[:8])
        v = runner.judge("c", lines(text), None, timed_out=True, timeout=60)
        self.assertIn("timed out after 60 s", v.problems)
        self.assertTrue(any("KTAP" in p for p in v.problems))
        self.assertEqual((v.passed, v.failed, v.skipped), (1, 1, 1))

    def test_crash_in_normal_mode(self):
        v = runner.judge("c", lines(CRASH), 1)
        self.assertTrue(any("crashed" in p for p in v.problems))
        self.assertEqual((v.passed, v.failed), (1, 2))

    def test_malformed_ktap(self):
        v = runner.judge("c", lines(PASSING.replace("1..2\n    KTAP", "1..3\n    KTAP", 1)), 0)
        self.assertTrue(any("KTAP:" in p and "missing test 3" in p for p in v.problems))
        self.assertEqual(v.failed, 1)

    def test_killed_by_signal(self):
        v = runner.judge("c", lines(PASSING), -9)
        self.assertTrue(any("signal 9" in p for p in v.problems))

    def test_hung_after_status(self):
        v = runner.judge("c", lines(PASSING), None, hung=True)
        self.assertTrue(any("did not exit" in p for p in v.problems))

    def test_totals_must_agree_with_ktap(self):
        v = runner.judge("c", lines(PASSING.replace("pass:3 fail:0", "pass:4 fail:0")), 0)
        self.assertFalse(v.ok)
        self.assertIn("disagrees with its KTAP lines", " ".join(v.problems))
        v = runner.judge("c", lines(PASSING.replace("total:4", "total:5")), 0)
        self.assertFalse(v.ok)

    def test_totals_line_required(self):
        v = runner.judge("c", lines(PASSING.replace("# Totals: pass:3 fail:0 skip:1 total:4\n", "")), 0)
        self.assertFalse(v.ok)
        self.assertIn("no '# Totals:", " ".join(v.problems))

    def test_board_config(self):
        c = runner.parse_conf_text("pi | rpi4 | -M raspi4b | test=boot\n")[0]
        self.assertEqual((c.arch, c.board), ("arm64", "rpi4"))
        cmd = runner.build_command(c, "build/rpi4/kernel8.img", dtb="pi4.dtb")
        self.assertNotIn("-semihosting", cmd)
        self.assertEqual(cmd[cmd.index("-dtb") + 1], "pi4.dtb")
        self.assertEqual(cmd[cmd.index("-append") + 1], "test=boot")
        self.assertEqual(runner.kernel_path("build", c), os.path.join("build", "rpi4", "kernel8.img"))

    def test_icount_off(self):
        c = runner.parse_conf_text("x | riscv64 | -M virt -icount off | test=boot\n")[0]
        cmd = runner.build_command(c, "k.elf")
        self.assertNotIn("-icount", cmd)
        self.assertNotIn("off", cmd)

    def test_qemu_warnings_are_not_errors(self):
        v = runner.judge("c", ["qemu-system-aarch64: warning: bcm2711 dtc: x has been disabled!"]
                         + lines(PASSING), 0)
        self.assertTrue(v.ok, v.problems)

    def test_failure_output_shows_last_30_lines(self):
        import io
        console = [f"noise {i}" for i in range(100)] + lines(FAILING)
        v = runner.judge("c", console, 1)
        out = io.StringIO()
        runner.print_failure(v, console, out)
        text = out.getvalue()
        self.assertIn("last 30 console line(s)", text)
        self.assertNotIn("noise 86\n", text)
        self.assertIn("noise 87\n", text)
        self.assertIn("not ok mmu.write_fault: expected fault at 0x1000", text)

    def test_qemu_error_is_reported(self):
        v = runner.judge("c", ["qemu-system-aarch64: -M foo: unsupported machine type"], 1)
        self.assertTrue(any(p.startswith("QEMU error") for p in v.problems))
        self.assertFalse(v.ok)


class ExpectFail(unittest.TestCase):
    G = ["selftest.crash*"]

    def test_crash_as_expected(self):
        v = runner.judge("c", lines(CRASH), 1, expect_fail=self.G)
        self.assertTrue(v.ok, v.problems)
        self.assertEqual((v.passed, v.failed), (2, 0))
        self.assertEqual(v.expected_failures, ["selftest.crash_data_abort"])

    def test_truncated_ktap_after_crash_is_tolerated(self):
        text = CRASH.split("not ok 1 selftest")[0]
        v = runner.judge("c", lines(text), 1, expect_fail=self.G)
        self.assertTrue(v.ok, v.problems)

    def test_no_register_dump(self):
        text = CRASH.replace("REGISTERS", "registers")
        v = runner.judge("c", lines(text), 1, expect_fail=self.G)
        self.assertFalse(v.ok)
        self.assertTrue(any("register dump" in p for p in v.problems))
        self.assertEqual(v.failed, 1)

    def test_exit_zero(self):
        v = runner.judge("c", lines(CRASH), 0, expect_fail=self.G)
        self.assertTrue(any("expected non-zero" in p for p in v.problems))

    def test_timeout(self):
        v = runner.judge("c", lines(CRASH), None, timed_out=True, timeout=5,
                         expect_fail=self.G)
        self.assertTrue(any("timed out after 5 s" in p for p in v.problems))

    def test_case_passed_unexpectedly(self):
        text = CRASH.replace("    not ok 2 crash_data_abort # crashed", "    ok 2 crash_data_abort")
        v = runner.judge("c", lines(text), 1, expect_fail=self.G)
        self.assertFalse(v.ok)
        self.assertEqual(v.failing_cases[0][0], "selftest.crash_data_abort")

    def test_no_matching_case(self):
        v = runner.judge("c", lines(CRASH), 1, expect_fail=["nothing.*"])
        self.assertTrue(any("no case matching nothing.*" in p for p in v.problems))


FAKE_QEMU = """#!/bin/sh
printf '%s\\n' "$@" > "$FAKE_QEMU_ARGS"
if [ -n "$FAKE_QEMU_SLEEP" ]; then cat "$FAKE_QEMU_LOG"; sleep "$FAKE_QEMU_SLEEP" & wait; fi
cat "$FAKE_QEMU_LOG"
exit "${FAKE_QEMU_EXIT:-0}"
"""


class EndToEnd(unittest.TestCase):
    """runner.py main() with a fake qemu-system-* script on PATH."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="runner-test-")
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir)
        for name in ("qemu-system-aarch64", "qemu-system-riscv64"):
            path = os.path.join(bindir, name)
            with open(path, "w") as f:
                f.write(FAKE_QEMU)
            os.chmod(path, 0o755)
        for arch in ("arm64", "riscv64"):
            os.makedirs(os.path.join(self.tmp, "build", arch))
            open(os.path.join(self.tmp, "build", arch, "kernel.elf"), "w").close()
        self.conf = os.path.join(self.tmp, "qemu.conf")
        with open(self.conf, "w") as f:
            f.write("a64 | arm64 | -M virt | base=1\nrv | riscv64 | -M virt -bios default |\n")
        self.env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""),
                        FAKE_QEMU_ARGS=os.path.join(self.tmp, "args"),
                        FAKE_QEMU_LOG=os.path.join(self.tmp, "console"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_runner(self, console, *args, exit_code=0, sleep=None, timeout=60):
        with open(self.env["FAKE_QEMU_LOG"], "w") as f:
            f.write(console)
        env = dict(self.env, FAKE_QEMU_EXIT=str(exit_code))
        if sleep:
            env["FAKE_QEMU_SLEEP"] = str(sleep)
        return subprocess.run([sys.executable, os.path.join(TOOLS, "runner.py"),
                               "--conf", self.conf, "--build-dir",
                               os.path.join(self.tmp, "build")] + list(args),
                              env=env, capture_output=True, text=True, timeout=timeout)

    def test_all_pass(self):
        p = self.run_runner(PASSING, "--arch", "arm64", "--append", "extra=1")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        out = p.stdout.strip().splitlines()
        self.assertEqual(out[-1], "3 passed, 0 failed")
        self.assertEqual(out[-2], "skipped: 1")
        self.assertIn("[a64] boot: 1/2 ok, 1 skipped", p.stdout)
        self.assertIn("[a64] mmu: 2/2 ok", p.stdout)
        with open(self.env["FAKE_QEMU_ARGS"]) as f:
            argv = f.read().splitlines()
        self.assertEqual(argv[argv.index("-append") + 1], "base=1 extra=1 exit=semihosting")
        self.assertIn("-semihosting", argv)

    def test_failure_summed_over_configurations(self):
        p = self.run_runner(FAILING, exit_code=1)
        self.assertEqual(p.returncode, 1)
        out = p.stdout.strip().splitlines()
        self.assertEqual(out[-1], "4 passed, 2 failed")
        self.assertIn("not ok mmu.write_fault: expected fault at 0x1000", p.stdout)
        self.assertIn("last 17 console line(s)", p.stdout)
        self.assertNotIn("Traceback", p.stderr)

    def test_timeout_kills_process_group(self):
        start = time.monotonic()
        p = self.run_runner(PASSING.replace("TESTBED: status=pass\n", ""), "--config", "rv",
                            "--timeout", "1.5", sleep=30)
        self.assertLess(time.monotonic() - start, 20)
        self.assertEqual(p.returncode, 1)
        self.assertIn("timed out after 1.5 s", p.stdout)
        self.assertEqual(p.stdout.strip().splitlines()[-1], "3 passed, 1 failed")

    def test_expect_fail_mode(self):
        p = self.run_runner(CRASH, "--config", "a64", "--append", "test=selftest.crash*",
                            "--expect-fail", "selftest.crash*", exit_code=1)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertEqual(p.stdout.strip().splitlines()[-1], "2 passed, 0 failed")

    def test_expect_reject_mode(self):
        with open(self.conf, "a") as f:
            f.write("bad | arm64 | -M virt | steps=4294967296 | expect-reject steps=\\S+: out of range\n")
        p = self.run_runner(REJECT, "--config", "bad", exit_code=1)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("[bad] boot arguments rejected as expected: testbed: error: boot argument "
                      "steps=4294967296", p.stdout)
        self.assertEqual(p.stdout.strip().splitlines()[-1], "1 passed, 0 failed")
        # the same console with QEMU exiting 0 (the early exit path lost the failure)
        p = self.run_runner(REJECT, "--config", "bad", exit_code=0)
        self.assertEqual(p.returncode, 1)
        self.assertIn("QEMU exited with status 0, expected non-zero", p.stdout)
        self.assertEqual(p.stdout.strip().splitlines()[-1], "0 passed, 1 failed")

    def test_comma_separated_config_globs(self):
        # as in the Makefile: --arch arm64 --config 'arm64-el1,arm64-sv48'
        p = self.run_runner(PASSING, "--arch", "riscv64", "--config", "a64,rv", "--list")
        self.assertEqual([l.split()[0] for l in p.stdout.splitlines()], ["rv"])
        p = self.run_runner(PASSING, "--config", "a64,rv", "--list")
        self.assertEqual(len(p.stdout.splitlines()), 2)

    def test_keep_logs(self):
        logs = os.path.join(self.tmp, "logs")
        p = self.run_runner(PASSING, "--keep-logs", logs)
        self.assertEqual(p.returncode, 0)
        with open(os.path.join(logs, "rv.log")) as f:
            self.assertIn("TESTBED: status=pass", f.read())

    def test_list(self):
        p = self.run_runner("", "--list")
        self.assertEqual(p.returncode, 0)
        self.assertIn("qemu-system-riscv64", p.stdout)

    def test_missing_elf(self):
        os.unlink(os.path.join(self.tmp, "build", "riscv64", "kernel.elf"))
        p = self.run_runner(PASSING, "--arch", "riscv64")
        self.assertEqual(p.returncode, 2)
        self.assertIn("run make ARCH=riscv64", p.stderr)

    def test_missing_qemu(self):
        os.unlink(os.path.join(self.tmp, "bin", "qemu-system-aarch64"))
        env_path = self.env["PATH"]
        self.env["PATH"] = os.path.join(self.tmp, "bin")      # hide a real QEMU
        try:
            p = self.run_runner(PASSING, "--arch", "arm64")
        finally:
            self.env["PATH"] = env_path
        self.assertEqual(p.returncode, 2)
        self.assertIn("qemu-system-arm", p.stderr)

    def test_no_matching_config(self):
        p = self.run_runner(PASSING, "--config", "nope*")
        self.assertEqual(p.returncode, 2)
        self.assertIn("no configuration", p.stderr)


class RunQemu(unittest.TestCase):
    def test_streams_lines_and_exit_status(self):
        got = []
        res = runner.run_qemu(["sh", "-c", "printf 'a\\r\\nb\\npartial'; exit 3"], 10, got.append)
        self.assertEqual(got, ["a", "b", "partial"])
        self.assertEqual(res.exit_status, 3)
        self.assertFalse(res.timed_out)

    def test_grace_after_final_line(self):
        res = runner.run_qemu(["sh", "-c", "echo 'TESTBED: status=pass'; sleep 30 & wait"], 20,
                              is_final=lambda l: "TESTBED" in l, grace=0.5)
        self.assertTrue(res.hung)
        self.assertLess(res.elapsed, 10)

    def test_parked_kernel_is_stopped_and_judged_by_its_line(self):
        script = ("echo 'TESTBED: status=fail code=1'; echo '# parked: no PSCI'; sleep 30 & wait")
        res = runner.run_qemu(["sh", "-c", script], 20, is_final=lambda l: "TESTBED" in l,
                              grace=15, is_parked=lambda l: runner.PARKED_RE.match(l) is not None)
        self.assertTrue(res.parked)
        self.assertFalse(res.hung)
        self.assertLess(res.elapsed, 10)
        self.assertEqual(runner.parked_exit_status(res.lines), 1)
        # A "# parked:" line before the final line is ordinary output.
        res = runner.run_qemu(["sh", "-c", "echo '# parked: early'; exit 0"], 20,
                              is_final=lambda l: "TESTBED" in l,
                              is_parked=lambda l: runner.PARKED_RE.match(l) is not None)
        self.assertFalse(res.parked)
        self.assertEqual(res.exit_status, 0)


if __name__ == "__main__":
    unittest.main()
