"""tools/lava_check.py: the LAVA jobs pass lava-common's schema, a broken one does
not, and their monitors turn KTAP lines and the TESTBED line into test cases."""
import copy
import glob
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import lava_check  # noqa: E402

JOBS = sorted(glob.glob(os.path.join(lava_check.JOBS, "*.yaml")))
LOG = """\
testbed: arm64, entered at EL2, console bcm2835-aux
KTAP version 1
1..2
    KTAP version 1
    # Subtest: boot
    1..2
    ok 1 dtb_parsed
    ok 2 counters_advance # SKIP no counter
    # boot: pass:1 fail:0 skip:1 total:2
ok 1 boot
    KTAP version 1
    # Subtest: mmu
    1..1
        # tests/kernel/mmu_tests.c:10: expected fault
    not ok 1 null_page_faults
    # mmu: pass:0 fail:1 skip:0 total:1
not ok 2 mmu
# Totals: pass:1 fail:1 skip:1 total:3
TESTBED: status=fail code=1
# parked: no PSCI and no semihosting to power off with; the TESTBED line is the result
"""


class Jobs(unittest.TestCase):
    def test_every_job_is_valid(self):
        self.assertEqual({os.path.basename(j) for j in JOBS}, {"qemu-arm64.yaml", "rpi4.yaml"})
        for j in JOBS:
            lava_check.validate(j)

    def test_schema_rejects_a_broken_job(self):
        from lava_common.schemas import validate
        job = lava_check.load(JOBS[0])
        for breakage in ("no-device", "bad-monitor", "no-end"):
            bad = copy.deepcopy(job)
            mons = lava_check.monitors_of(bad)
            if breakage == "no-device":
                del bad["device_type"]
            elif breakage == "bad-monitor":
                mons[0]["name"] = "has spaces"
            else:
                del mons[0]["end"]
            with self.assertRaises(Exception, msg=breakage):
                validate(bad, strict=True)

    def test_monitors_record_every_case_and_the_status(self):
        for j in JOBS:
            problems, cases = lava_check.check_log(lava_check.load(j), LOG)
            self.assertEqual(problems, [])
            self.assertEqual([(c, r) for _, c, r in cases],
                             [("dtb_parsed", "pass"), ("counters_advance", "pass"), ("boot", "pass"),
                              ("null_page_faults", "fail"), ("mmu", "fail"), ("status", "fail")])

    def test_a_cut_log_is_reported(self):
        job = lava_check.load(JOBS[0])
        with self.assertRaises(lava_check.CheckError):
            lava_check.check_log(job, LOG.split("# Totals")[0])


if __name__ == "__main__":
    unittest.main()
