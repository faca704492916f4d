#!/usr/bin/python3
"""LAVA job definitions of tools/lava/: schema validation and a dry run of their
monitors over a console log.

  lava_check.py validate [JOB.yaml ...]     lava-common's job schema (strict), default:
                                            every tools/lava/*.yaml
  lava_check.py monitors JOB.yaml LOG       the job's test monitors applied to a console
                                            log as LAVA's dispatcher applies them
                                            (pexpect: for each monitor, wait for start,
                                            then the earliest of end / pattern): the
                                            test cases LAVA would record; checks they
                                            are every KTAP result line and the
                                            TESTBED status

Exit status 0 when everything checks, 1 otherwise (one line per problem).
A local lava-dispatcher run is not attempted here (see README.md, LAVA).
"""

import argparse
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
JOBS = os.path.join(HERE, "lava")
KTAP_RESULT = re.compile(r"^\s*(not ok|ok) \d+ (\S+)")
STATUS = re.compile(r"^TESTBED: status=(\w+)")


class CheckError(Exception):
    pass


def load(path):
    import yaml
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise CheckError(f"{path}: {e}")


def validate(path):
    try:
        from lava_common.schemas import validate as schema_validate
    except ImportError:
        raise CheckError("lava-common is not installed: install the Debian package lava-common")
    job = load(path)
    try:
        schema_validate(job, strict=True)
    except Exception as e:             # voluptuous.MultipleInvalid and friends
        raise CheckError(f"{path}: {e}")
    return job


def monitors_of(job):
    for action in job.get("actions", []):
        if "test" in action and "monitors" in action["test"]:
            return action["test"]["monitors"]
    raise CheckError("the job has no test action with monitors")


def run_monitors(monitors, text):
    """[(monitor, test_case_id, result)] as the dispatcher would record them."""
    out, pos = [], 0
    for m in monitors:
        start = re.compile(m["start"]).search(text, pos)
        if not start:
            raise CheckError(f"monitor {m['name']}: start '{m['start']}' never seen")
        pos = start.end()
        end_re, pat_re = re.compile(m["end"]), re.compile(m["pattern"])
        fix = m.get("fixupdict", {})
        while True:
            e, p = end_re.search(text, pos), pat_re.search(text, pos)
            if e is None and p is None:
                raise CheckError(f"monitor {m['name']}: end '{m['end']}' never seen")
            if p is not None and (e is None or p.start() < e.start()):
                result = fix.get(p.group("result"), p.group("result"))
                out.append((m["name"], p.group("test_case_id"), result))
                pos = p.end()
                continue
            pos = e.end()
            break
    return out


def check_log(job, text):
    problems = []
    cases = run_monitors(monitors_of(job), text)
    lines = text.splitlines()
    ktap = [(KTAP_RESULT.match(l).group(2), "fail" if KTAP_RESULT.match(l).group(1) == "not ok"
             else "pass") for l in lines if KTAP_RESULT.match(l)]
    got = [(c, r) for name, c, r in cases if c != "status"]
    if got != ktap:
        problems.append(f"monitors recorded {len(got)} KTAP case(s), the log has {len(ktap)}"
                        + (f"; first difference: {next((a, b) for a, b in zip(got, ktap) if a != b)}"
                           if any(a != b for a, b in zip(got, ktap)) else ""))
    status = [STATUS.match(l).group(1) for l in lines if STATUS.match(l)]
    got_status = [r for _, c, r in cases if c == "status"]
    if got_status != status[-1:]:
        problems.append(f"monitors recorded status {got_status}, the log says {status[-1:]}")
    return problems, cases


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("validate")
    v.add_argument("jobs", nargs="*")
    m = sub.add_parser("monitors")
    m.add_argument("job")
    m.add_argument("log")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "validate":
            jobs = a.jobs or sorted(glob.glob(os.path.join(JOBS, "*.yaml")))
            if not jobs:
                raise CheckError(f"no job definitions in {JOBS}")
            for j in jobs:
                validate(j)
                print(f"ok: {os.path.relpath(j)}: valid LAVA job ({load(j)['device_type']})")
            return 0
        job = validate(a.job)
        with open(a.log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        problems, cases = check_log(job, text)
        for p in problems:
            print(f"not ok: {p}")
        if problems:
            return 1
        n_fail = sum(1 for _, _, r in cases if r == "fail")
        print(f"ok: {os.path.relpath(a.job)} on {a.log}: {len(cases)} test case(s), {n_fail} fail")
        return 0
    except (CheckError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
