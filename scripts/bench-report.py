#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the @sample lines of fault_bench and notify_bench into a table of
medians and ratios (stdout), a JSON file with every raw sample, and PNG
plots drawn by gnuplot.

Usage: bench-report.py RAW_OUTPUT OUT_DIR
"""

import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict


def load(path):
    samples = []
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) != 7 or parts[0] != "@sample":
                continue
            _, bench, test, kind, param, value, unit = parts
            samples.append({"bench": bench, "test": test, "kind": kind,
                            "param": int(param), "value": float(value),
                            "unit": unit})
    return samples


def group(samples):
    g = defaultdict(list)
    for s in samples:
        g[(s["bench"], s["test"], s["kind"], s["param"])].append(s["value"])
    return g


def med(g, key):
    v = g.get(key)
    return statistics.median(v) if v else None


def spread(v):
    return "%.0f-%.0f" % (min(v), max(v))


def table(g):
    out = []
    # Rows: (label, key, better) where better is "lower" or "higher".
    for bench in ("fault", "rtt", "bulk"):
        keys = sorted({k for k in g if k[0] == bench},
                      key=lambda k: (k[1], k[3], k[2] != "shmdev" and k[2] != "shmdev-ring", k[2]))
        if not keys:
            continue
        unit = "ns/page" if bench == "fault" else "ns" if bench == "rtt" else "MiB/s"
        out.append("")
        out.append("## %s (%s; median, min-max, ratio shmdev/peer)" % (bench, unit))
        out.append("%-20s %-12s %12s %16s %8s" % ("test", "kind", "median", "min-max", "ratio"))
        for k in keys:
            ref_kind = "shmdev-ring" if bench == "bulk" else "shmdev"
            ref = med(g, (k[0], k[1], ref_kind, k[3]))
            m = med(g, k)
            ratio = "%.2f" % (ref / m) if ref and m else "-"
            out.append("%-20s %-12s %12.0f %16s %8s" % (k[1], k[2], m, spread(g[k]), ratio))
    for bench, label in (("scale-mmap", "mmap+munmap ns by MiB"),
                         ("scale-fault", "first-touch ns/page by MiB"),
                         ("scale-procs", "map+read ns/page/process by processes"),
                         ("wake-all", "ns to wake all by waiters")):
        keys = sorted({k for k in g if k[0] == bench}, key=lambda k: (k[2], k[3]))
        if not keys:
            continue
        out.append("")
        out.append("## %s (%s)" % (bench, label))
        for k in keys:
            out.append("%-12s %8d %12.0f  (%s)" % (k[2], k[3], med(g, k), spread(g[k])))
    return out


def ratio(a, b):
    return a / b if a is not None and b else None


def targets(g):
    """(description, measured ratio, limit, met) for each target."""
    fault = lambda t, k: med(g, ("fault", t, k, 32)) or next(
        (med(g, key) for key in g if key[:3] == ("fault", t, k)), None)
    mm = lambda mib: med(g, ("scale-mmap", "mmap+munmap", "shmdev", mib))
    rtt = lambda k: med(g, ("rtt", "two-cpus", k, 2000)) or next(
        (med(g, key) for key in g if key[:3] == ("rtt", "two-cpus", k)), None)
    bulk = lambda k: next((med(g, key) for key in g if key[:3] == ("bulk", "1M", k)), None)
    wake = lambda n: med(g, ("wake-all", "notify", "shmdev", n))
    rows = [
        ("first touch <= 1.0x memfd", ratio(fault("first-touch-write", "shmdev"), fault("first-touch-write", "memfd")), 1.0, "le"),
        ("remap of resident <= 0.5x memfd first touch", ratio(fault("remap-resident", "shmdev"), fault("first-touch-write", "memfd")), 0.5, "le"),
        ("mmap+munmap 1 GiB <= 2x 1 MiB", ratio(mm(1024), mm(1)), 2.0, "le"),
        ("round trip <= 1.0x futex", ratio(rtt("shmdev"), rtt("futex")), 1.0, "le"),
        ("round trip <= 0.9x eventfd", ratio(rtt("shmdev"), rtt("eventfd")), 0.9, "le"),
        ("round trip <= 0.7x pipe", ratio(rtt("shmdev"), rtt("pipe")), 0.7, "le"),
        ("bulk 1 MiB >= 5x pipe", ratio(bulk("shmdev-ring"), bulk("pipe")), 5.0, "ge"),
        ("bulk 1 MiB >= 0.5x memcpy", ratio(bulk("shmdev-ring"), bulk("memcpy")), 0.5, "ge"),
        ("wake 256 <= 256x wake 1", ratio(wake(256), wake(1)), 256.0, "le"),
    ]
    res = []
    for desc, r, lim, op in rows:
        met = None if r is None else (r <= lim if op == "le" else r >= lim)
        res.append((desc, r, lim, met))
    return res


def write_dat(g, bench, test, kinds, path):
    with open(path, "w") as f:
        params = sorted({k[3] for k in g if k[0] == bench and k[1] == test})
        f.write("# param " + " ".join(kinds) + "\n")
        for p in params:
            vals = [med(g, (bench, test, k, p)) for k in kinds]
            f.write("%d %s\n" % (p, " ".join("%.1f" % v if v is not None else "NaN" for v in vals)))
    return path


def plots(g, outdir):
    if subprocess.call(["sh", "-c", "command -v gnuplot >/dev/null"]) != 0:
        print("bench-report: gnuplot not found; no plots", file=sys.stderr)
        return []
    made = []
    specs = [
        ("scale-mmap", "mmap+munmap", ["shmdev", "memfd"], "region size (MiB)", "mmap+munmap (ns)", "scale-mmap"),
        ("scale-fault", "first-touch-write", ["shmdev", "memfd"], "region size (MiB)", "first-touch write (ns/page)", "scale-fault"),
        ("scale-procs", "map+read", ["shmdev", "memfd"], "processes", "map+read (ns/page/process)", "scale-procs"),
        ("wake-all", "notify", ["shmdev"], "waiters", "time to wake all (ns)", "wake-all"),
    ]
    for bench, test, kinds, xl, yl, name in specs:
        if not any(k[0] == bench for k in g):
            continue
        dat = write_dat(g, bench, test, kinds, os.path.join(outdir, name + ".dat"))
        png = os.path.join(outdir, name + ".png")
        plot = ", ".join("'%s' using 1:%d with linespoints title '%s'" % (dat, i + 2, k)
                         for i, k in enumerate(kinds))
        script = ("set terminal png size 800,500; set output '%s'; set logscale x 2; "
                  "set xlabel '%s'; set ylabel '%s'; set key left top; set grid; plot %s"
                  % (png, xl, yl, plot))
        subprocess.check_call(["gnuplot", "-e", script])
        made.append(png)
    # Ratio table as a bar chart.
    rows = [(d, r) for d, r, _, _ in targets(g) if r is not None]
    if rows:
        dat = os.path.join(outdir, "targets.dat")
        with open(dat, "w") as f:
            for i, (d, r) in enumerate(rows):
                f.write('%d "%s" %.3f\n' % (i, d.replace('"', "'"), r))
        png = os.path.join(outdir, "targets.png")
        script = ("set terminal png size 1000,500; set output '%s'; set style fill solid 0.6; "
                  "set boxwidth 0.6; set xtics rotate by -30 font ',8'; set logscale y; "
                  "set ylabel 'ratio'; set bmargin 12; set grid y; "
                  "plot '%s' using 1:3:xtic(2) with boxes notitle" % (png, dat))
        subprocess.check_call(["gnuplot", "-e", script])
        made.append(png)
    return made


def main():
    raw, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    samples = load(raw)
    if not samples:
        print("bench-report: no samples in %s" % raw, file=sys.stderr)
        return 1
    g = group(samples)
    with open(os.path.join(outdir, "samples.json"), "w") as f:
        json.dump(samples, f, indent=1)
    lines = table(g)
    lines.append("")
    lines.append("## targets (ratios measured in this run)")
    for desc, r, lim, met in targets(g):
        state = "n/a" if met is None else "met" if met else "NOT met"
        lines.append("%-46s %8s   %s" % (desc, "-" if r is None else "%.2f" % r, state))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(outdir, "table.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    for p in plots(g, outdir):
        print("plot: %s" % p)
    print("samples: %s" % os.path.join(outdir, "samples.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
