#!/usr/bin/env python3
"""Benchmark regression guard: median instruction counts against a baseline.

Under QEMU's -icount shift=0 an instruction count is deterministic, so the
default benchmark set's figures can be pinned: tests/bench/baseline-ARCH.json
holds the median instructions per operation of every result (keyed by name,
variant and params) from `tools/benchread.py qemu --arch ARCH --config
ARCH-numa --bench default`. `make test` checks a fresh run against it:

    tools/bench_guard.py check --baseline tests/bench/baseline-arm64.json results.jsonl

fails (exit 1) when a figure grew by more than the threshold (2%), when a
baselined result is missing or has no instruction count; results not in the
baseline are reported as new, figures that shrank as improved (neither
fails). Wall time is never judged.

    tools/bench_guard.py update --baseline tests/bench/baseline-arm64.json results.jsonl --reason "..."

rewrites the baseline from a run (make bench-baseline): a deliberate change,
committed with its reason.
"""
import argparse
import json
import os
import sys

SCHEMA = 1
DEFAULT_THRESHOLD = 2.0


class GuardError(Exception):
    """A one-line reason the guard cannot judge."""


def key_of(r):
    """(name, variant, canonical params): how results are matched."""
    return (r["name"], r["variant"], json.dumps(r.get("params", {}), sort_keys=True, separators=(",", ":")))


def label(key):
    name, variant, params = key
    return "%s/%s %s" % (name, variant, params)


def read_results(path):
    """{key: median instructions or None} from a results.jsonl."""
    try:
        with open(path) as fh:
            text = fh.read()
    except OSError as e:
        raise GuardError("cannot read %s: %s" % (path, e.strerror))
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            key = key_of(r)
            ins = r.get("instructions")
            median = ins.get("median") if isinstance(ins, dict) else None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise GuardError("%s line %d: not a benchmark result" % (path, n))
        if median is not None and (not isinstance(median, int) or median < 0):
            raise GuardError("%s line %d: instructions.median is not a count" % (path, n))
        if key in out:
            raise GuardError("%s: %s reported twice" % (path, label(key)))
        out[key] = median
    if not out:
        raise GuardError("%s holds no results" % path)
    return out


def read_baseline(path):
    try:
        with open(path) as fh:
            b = json.load(fh)
    except OSError as e:
        raise GuardError("cannot read the baseline %s: %s (make bench-baseline writes it)" % (path, e.strerror))
    except ValueError:
        raise GuardError("the baseline %s is not JSON" % path)
    if not isinstance(b, dict) or b.get("schema") != SCHEMA or not isinstance(b.get("results"), list):
        raise GuardError("the baseline %s is not a schema-%d baseline" % (path, SCHEMA))
    out = {}
    for e in b["results"]:
        try:
            key = (e["name"], e["variant"], json.dumps(e.get("params", {}), sort_keys=True, separators=(",", ":")))
            v = e["instructions"]
        except (KeyError, TypeError):
            raise GuardError("the baseline %s has a malformed entry" % path)
        if not isinstance(v, int) or v < 0:
            raise GuardError("the baseline %s: %s has no instruction count" % (path, label(key)))
        out[key] = v
    return b, out


def compare(baseline, results, threshold):
    """(failures, new, improved, checked): lists of message lines
    (improved: (percent, line) pairs)."""
    failures, new, improved = [], [], []
    for key, old in sorted(baseline.items()):
        if key not in results:
            failures.append("missing: %s (baseline %d instructions)" % (label(key), old))
            continue
        cur = results[key]
        if cur is None:
            failures.append("no instruction count: %s (baseline %d)" % (label(key), old))
            continue
        # Integer comparison: grew beyond old * (1 + threshold/100).
        if cur * 100 * 1000 > old * int(round((100 + threshold) * 1000)):
            failures.append("grew %+.2f%%: %s: %d -> %d instructions"
                            % (100.0 * (cur - old) / old if old else float("inf"), label(key), old, cur))
        elif cur < old:
            pct = 100.0 * (cur - old) / old
            improved.append((pct, "improved %+.2f%%: %s: %d -> %d" % (pct, label(key), old, cur)))
    for key in sorted(set(results) - set(baseline)):
        new.append("new (not in the baseline): %s: %s instructions" % (label(key), results[key]))
    return failures, new, improved, len(baseline)


def cmd_check(args):
    base, baseline = read_baseline(args.baseline)
    results = read_results(args.results)
    threshold = args.threshold if args.threshold is not None else base.get("threshold_percent", DEFAULT_THRESHOLD)
    failures, new, improved, checked = compare(baseline, results, threshold)
    for line in failures:
        print("  FAIL " + line)
    for line in new:
        print("  note " + line)
    if args.verbose:
        for _, line in improved:
            print("  note " + line)
    elif improved:
        print("  note %d figure(s) improved, the most: %s" % (len(improved), min(improved)[1]))
    print("bench guard %s: %d checked, %d failed (>%g%% or missing), %d new, %d improved" % (
        base.get("arch", "?"), checked, len(failures), threshold, len(new), len(improved)))
    if failures:
        print("  a deliberate change? regenerate with 'make bench-baseline' and commit the "
              "baseline with the reason")
    return 1 if failures else 0


def cmd_update(args):
    results = read_results(args.results)
    missing = [label(k) for k, v in results.items() if v is None]
    if missing:
        raise GuardError("no instruction count (run under -icount) for: %s" % "; ".join(missing[:3]))
    first = None
    with open(args.results) as fh:
        for line in fh:
            if line.strip():
                first = json.loads(line)
                break
    arch = first.get("arch", "?")
    entries = []
    for key in sorted(results):
        name, variant, params = key
        entries.append({"name": name, "variant": variant, "params": json.loads(params),
                        "instructions": results[key]})
    doc = {
        "schema": SCHEMA,
        "arch": arch,
        "source": "tools/benchread.py qemu --arch %s --config %s --bench %s" % (arch, args.config, args.bench),
        "metric": "instructions.median (per operation, -icount shift=0: deterministic)",
        "threshold_percent": args.threshold if args.threshold is not None else DEFAULT_THRESHOLD,
        "regenerate": "make bench-baseline [ARCH=%s] REASON='...'" % arch,
        "reason": args.reason or "",
        "results": entries,
    }
    # One result per line, so a baseline change reads as a diff of figures.
    head = json.dumps({k: v for k, v in doc.items() if k != "results"}, indent=1)
    body = ",\n".join("  " + json.dumps(e, separators=(", ", ": ")) for e in entries)
    tmp = args.baseline + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(head[:-2] + ',\n "results": [\n' + body + "\n ]\n}\n")
    os.replace(tmp, args.baseline)
    print("bench guard %s: baseline %s written, %d results" % (arch, args.baseline, len(entries)))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="compare a run with the baseline (exit 1 on a regression)")
    u = sub.add_parser("update", help="write the baseline from a run")
    for p in (c, u):
        p.add_argument("--baseline", required=True, metavar="JSON")
        p.add_argument("results", metavar="RESULTS_JSONL")
        p.add_argument("--threshold", type=float, metavar="PERCENT",
                       help="growth that fails (default: the baseline's, else %g)" % DEFAULT_THRESHOLD)
    c.add_argument("-v", "--verbose", action="store_true", help="list every improved figure")
    u.add_argument("--reason", help="why the baseline changes (kept in the file)")
    u.add_argument("--config", default="ARCH-numa", help="configuration the run used (recorded)")
    u.add_argument("--bench", default="default", help="benchmark set the run used (recorded)")
    args = ap.parse_args(argv)
    try:
        return cmd_check(args) if args.cmd == "check" else cmd_update(args)
    except GuardError as e:
        print("bench guard: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
