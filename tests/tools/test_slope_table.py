"""Tests for tools/slope_table.py: Linux figures read from a result's note,
the table's rows and ratios."""
import json
import os
import sys
import unittest

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
sys.path.insert(0, os.path.abspath(TOOLS))
import slope_table  # noqa: E402

NOTE = "batched; (8192 KiB - 2048 KiB figures) / 1536 pages; Linux 6.12/6.16/6.17/7.3 on this QEMU: 277/258/62.7/62.4"


def result(variant, op, folio, milli, note=NOTE, arch="arm64"):
    return {"name": "mprotect_slope", "arch": arch, "variant": variant,
            "params": {"from_kib": 2048, "to_kib": 8192, "folio_kib": folio, "op": op},
            "per": {"unit": "page", "count": 1536, "instructions_milli": milli}, "note": note}


class SlopeTableTest(unittest.TestCase):
    def test_linux_figures(self):
        self.assertEqual(slope_table.linux_figures(NOTE), {"6.12": 277.0, "6.16": 258.0, "6.17": 62.7, "7.3": 62.4})
        self.assertEqual(slope_table.linux_figures("batched"), {})
        self.assertEqual(slope_table.linux_figures(None), {})
        self.assertEqual(slope_table.linux_figures("Linux 6.12/6.16 on this QEMU: 1/2/3"), {})

    def test_rows_and_ratios(self):
        rows = slope_table.table([result("range", "rw->ro", 64, 31200),
                                  result("range-unbatched", "rw->ro", 64, 40000),
                                  {"name": "mprotect", "variant": "range"}])
        text = "\n".join(rows)
        self.assertIn("| Linux 6.12 | Linux 6.16 | Linux 6.17 | Linux 7.3 |", text)
        self.assertIn("| RW->RO | 64 KiB | 31.2 | 40.0 | 277 | 258 | 62.7 | 62.4 | 0.50x | 0.50x |", text)
        self.assertNotIn("RO->RW", text)            # no result for it: no row

    def test_without_linux_figures(self):
        rows = slope_table.table([result("range", "ro->rw", 4, 78600, note="batched", arch="riscv64")])
        self.assertIn("| operation | folio | batched | unbatched |", rows)
        self.assertIn("| RO->RW | 4 KiB | 78.6 | - |", rows)

    def test_no_results(self):
        self.assertIn("no mprotect_slope result", slope_table.table([{"name": "overhead"}])[0])


if __name__ == "__main__":
    unittest.main()
