#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the output of one `make bench` run (the @meta and @sample lines of
fault_bench, notify_bench and ring_bench, and the @meta lines
scripts/bench.sh adds)
into:

  OUT_DIR/table.txt      medians, min-max, ratios and the targets (also on
                         stdout)
  OUT_DIR/samples.json   every sample, with its round and its place in the
                         round's order, and the run's metadata
  OUT_DIR/results.rst    the same tables and the metadata, to be included by
                         Documentation/userspace-api/shmdev-performance.rst
  OUT_DIR/*.png          plots drawn by gnuplot

With --doc DIR, table.txt, results.rst and the PNGs are written to DIR too
(the performance page's folder). Nothing in them is typed by hand.

Each target compares two measurements of the same run: per round, the
ratio of the two samples of that round; the target's figure is the median
of those ratios, with their min-max, and it is met when that median is on
the right side of the limit. A target on a count (system calls made) has no
second measurement: its figure is the largest count of any round.

Usage: bench-report.py RAW_OUTPUT OUT_DIR [--doc DIR]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict


def load(path):
    samples, meta = [], {}
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "@meta":
                meta[parts[1]] = " ".join(parts[2:])
                continue
            if len(parts) != 9 or parts[0] != "@sample":
                continue
            _, bench, test, kind, param, value, unit, rnd, pos = parts
            samples.append({"bench": bench, "test": test, "kind": kind,
                            "param": int(param), "value": float(value),
                            "unit": unit, "round": int(rnd), "pos": int(pos)})
    return samples, meta


class Run:
    """The samples of one run, by (bench, test, kind, param) and round."""

    def __init__(self, samples):
        self.by_round = defaultdict(dict)
        for s in samples:
            self.by_round[(s["bench"], s["test"], s["kind"], s["param"])][s["round"]] = s["value"]

    def keys(self, bench):
        return [k for k in self.by_round if k[0] == bench]

    def values(self, key):
        return list(self.by_round.get(key, {}).values())

    def med(self, key):
        v = self.values(key)
        return statistics.median(v) if v else None

    def params(self, bench, test=None):
        return sorted({k[3] for k in self.keys(bench) if test is None or k[1] == test})


PROGRAMS = {"fault_bench": ("fault", "scale-mmap", "scale-fault", "scale-procs"),
            "notify_bench": ("rtt", "bulk", "wake-all", "idle-notify"),
            "ring_bench": ("ring",)}


def order_changes(samples):
    """Per program: (rounds, how many rounds ran their cases in another
    order than the round before), from the samples' round and place."""
    res = {}
    for prog, benches in PROGRAMS.items():
        rounds = defaultdict(list)
        for s in samples:
            if s["bench"] in benches:
                rounds[s["round"]].append((s["pos"], s["bench"], s["test"], s["kind"],
                                           s["param"]))
        seqs = [[c[1:] for c in sorted(rounds[r])] for r in sorted(rounds)]
        if seqs:  # a program the run did not have says nothing
            res[prog] = (len(seqs), sum(1 for a, b in zip(seqs, seqs[1:]) if a != b))
    return res


def fmt(v, digits=0):
    if v is None:
        return "-"
    return "%.*f" % (digits, v)


def spread(v):
    return "%.0f-%.0f" % (min(v), max(v)) if v else "-"


def size_name(mib):
    return "%d GiB" % (mib // 1024) if mib >= 1024 and mib % 1024 == 0 else "%d MiB" % mib


# ---- targets ---------------------------------------------------------------

# (name, short and long description of what is compared, numerator,
# denominator, "le" or "ge", limit).
# A key's param None stands for the one size the run used, "max" for the
# largest. Both sides of every ratio are measured in the same rounds.
TARGETS = [
    ("first touch", "first-touch write, shmdev / memfd",
     "first-touch write fault, ns/page, fresh {fault} objects: shmdev / memfd",
     ("fault", "first-touch-write", "shmdev", None),
     ("fault", "first-touch-write", "memfd", None), "le", 1.0),
    ("remap of resident pages", "remap of resident pages, shmdev / memfd",
     "read faults on resident pages through a new mapping, ns/page: shmdev / memfd",
     ("fault", "remap-resident", "shmdev", None),
     ("fault", "remap-resident", "memfd", None), "le", 1.0),
    ("write faults on resident pages", "remap of resident pages, writes, shmdev / memfd",
     "write faults on resident pages through a new mapping (the driver's fault handler "
     "on a page it has), ns/page: shmdev / memfd",
     ("fault", "remap-resident-write", "shmdev", None),
     ("fault", "remap-resident-write", "memfd", None), "le", 1.0),
    ("mmap cost independent of size", "shmdev mmap+munmap, {mmap_max} / 1 MiB",
     "mmap+munmap of a lazy shmdev region, ns: {mmap_max} / 1 MiB",
     ("scale-mmap", "mmap+munmap", "shmdev", "max"),
     ("scale-mmap", "mmap+munmap", "shmdev", 1), "le", 2.0),
    ("first touch vs memfd-thp", "first-touch write, shmdev / memfd-thp",
     "first-touch write fault, ns/page (so per byte), fresh {fault} objects: shmdev / "
     "memfd with MADV_HUGEPAGE (shmem_enabled=advise)",
     ("fault", "first-touch-write", "shmdev", None),
     ("fault", "first-touch-write", "memfd-thp", None), "le", 1.0),
    ("remap vs memfd-thp", "remap of resident pages, shmdev / memfd-thp",
     "read faults on resident pages through a new mapping, ns/page: shmdev / "
     "memfd with MADV_HUGEPAGE",
     ("fault", "remap-resident", "shmdev", None),
     ("fault", "remap-resident", "memfd-thp", None), "le", 1.0),
    ("first touch 1 GiB vs 64 MiB", "shmdev first touch per byte, 1 GiB / 64 MiB",
     "first-touch write of a whole shmdev region, ns/page (so per byte): 1 GiB / 64 MiB",
     ("scale-fault", "first-touch-write", "shmdev", 1024),
     ("scale-fault", "first-touch-write", "shmdev", 64), "le", 1.2),
    ("round trip vs glibc futex", "round trip, two vCPUs, shmdev / futex-glibc",
     "ping-pong round trip, two vCPUs, processes not pinned, ns: libshmdev "
     "(shmdev_wait/shmdev_notify) / a futex used as glibc's locks use it",
     ("rtt", "any-cpu", "shmdev", None),
     ("rtt", "any-cpu", "futex-glibc", None), "le", 1.0),
    ("round trip vs eventfd", "round trip, two vCPUs, shmdev / eventfd",
     "ping-pong round trip, two vCPUs, processes not pinned, ns: libshmdev / eventfd",
     ("rtt", "any-cpu", "shmdev", None),
     ("rtt", "any-cpu", "eventfd", None), "le", 0.3),
    ("round trip vs pipe", "round trip, two vCPUs, shmdev / pipe",
     "ping-pong round trip, two vCPUs, processes not pinned, ns: libshmdev / pipe",
     ("rtt", "any-cpu", "shmdev", None),
     ("rtt", "any-cpu", "pipe", None), "le", 0.3),
    ("round trip on one vCPU", "round trip, one vCPU, shmdev / shmdev-ioctl",
     "ping-pong round trip, both processes pinned to one vCPU, ns: libshmdev / "
     "the WAIT and NOTIFY ioctls called directly",
     ("rtt", "same-cpu", "shmdev", None),
     ("rtt", "same-cpu", "shmdev-ioctl", None), "le", 1.1),
    ("idle NOTIFY vs getppid", "NOTIFY ioctl nobody waits for / getppid()",
     "ns per call: SHMDEV_IOC_NOTIFY on a region nobody waits on / getppid()",
     ("idle-notify", "call", "notify-ioctl", None),
     ("idle-notify", "call", "getppid", None), "le", 2.0),
    ("idle shmdev_notify: no syscall", "system calls of shmdev_notify(), nobody waiting",
     "system calls made by {calls} calls of shmdev_notify() on a region nobody waits "
     "on, counted under a seccomp filter that traps them all; the largest count of "
     "any round",
     ("idle-notify", "syscalls", "shmdev_notify", None), None, "le", 0),
    ("bulk vs pipe", "1 MiB messages, MiB/s, ring / pipe",
     "1 MiB messages, copied in, copied out and checked, MiB/s: shmdev-ring / pipe",
     ("bulk", "1M", "shmdev-ring", None),
     ("bulk", "1M", "pipe", None), "ge", 5.0),
    ("bulk vs two copies", "1 MiB messages, MiB/s, ring / memcpy-x2",
     "1 MiB messages, MiB/s: shmdev-ring / memcpy-x2 (the same two copies "
     "and check in one process, nothing to wait for)",
     ("bulk", "1M", "shmdev-ring", None),
     ("bulk", "1M", "memcpy-x2", None), "ge", 0.5),
    ("ring vs memcpy", "1 MiB messages, MiB/s, libshmdev ring / memcpy",
     "1 MiB messages, MiB/s: libshmdev's ring (written in place, checked in place) / "
     "one memcpy of the same bytes in one process",
     ("ring", "1M", "ring", None),
     ("ring", "1M", "memcpy", None), "ge", 0.9),
    ("ring vs pipe", "1 MiB messages, MiB/s, libshmdev ring / pipe",
     "1 MiB messages, MiB/s: libshmdev's ring / a pipe",
     ("ring", "1M", "ring", None),
     ("ring", "1M", "pipe", None), "ge", 10.0),
    ("small messages vs pipe", "64-byte messages/s, libshmdev ring / pipe",
     "64-byte messages per second: libshmdev's ring (a reserve, commit, peek and "
     "release per message) / a pipe (a write() per message, reads of up to 64 KiB)",
     ("ring", "64B", "ring", None),
     ("ring", "64B", "pipe", None), "ge", 5.0),
    ("wake-all vs futex", "wake {waiters} waiters, NOTIFY / FUTEX_WAKE",
     "time until the last of {waiters} sleeping waiters runs, ns: "
     "one NOTIFY / one FUTEX_WAKE",
     ("wake-all", "wake", "shmdev", "max"),
     ("wake-all", "wake", "futex", "max"), "le", 1.0),
]


def resolve(run, key):
    bench, test, kind, param = key
    params = run.params(bench, test)
    if not params:
        return None
    if param is None:
        param = params[0]
    elif param == "max":
        param = params[-1]
    return (bench, test, kind, param)


def targets(run):
    """One dict per target: the per-round ratios and the verdict."""
    words = {"fault": size_name(next(iter(run.params("fault")), 0)),
             "mmap_max": size_name(next(reversed(run.params("scale-mmap")), 0)),
             "waiters": next(reversed(run.params("wake-all")), 0),
             "calls": next(iter(run.params("idle-notify")), 0)}
    res = []
    for name, short, compares, num, den, op, limit in TARGETS:
        t = {"name": name, "short": short.format(**words),
             "compares": compares.format(**words), "op": op,
             "limit": limit, "ratios": [], "ratio": None, "met": None,
             "count": den is None}
        num = resolve(run, num)
        den = resolve(run, den) if den else None
        if num and den:
            a, b = run.by_round.get(num, {}), run.by_round.get(den, {})
            t["ratios"] = [a[r] / b[r] for r in sorted(a) if r in b and b[r]]
        elif num and t["count"]:
            t["ratios"] = list(run.values(num))
        if t["ratios"]:
            ok = (lambda x: x <= limit) if op == "le" else (lambda x: x >= limit)
            t["ratio"] = (max if t["count"] else statistics.median)(t["ratios"])
            t["met"] = ok(t["ratio"])
            t["rounds_met"] = sum(1 for x in t["ratios"] if ok(x))
        res.append(t)
    return res


def limit_text(t):
    if t["count"]:
        return "%s %d" % ("<=" if t["op"] == "le" else ">=", t["limit"])
    return "%s %.1f" % ("<=" if t["op"] == "le" else ">=", t["limit"])


def state_text(t):
    return "n/a" if t["met"] is None else "met" if t["met"] else "NOT met"


def ratio_digits(x, count=False):
    if count:
        return 0
    return 3 if x < 0.1 else 2


# ---- tables ----------------------------------------------------------------

REF = {"fault": "shmdev", "rtt": "shmdev", "rtt-sleeps": "shmdev", "bulk": "shmdev-ring",
       "wake-all": "shmdev",
       "idle-notify": "getppid", "ring": "ring"}
KIND_ORDER = ["shmdev", "shmdev-ioctl", "shmdev-ring", "shmdev-ring-inplace", "ring",
              "memfd", "memfd-thp", "sysv", "anon-shared", "futex", "futex-glibc",
              "eventfd", "pipe", "socketpair", "socket", "memcpy-x2", "memcpy",
              "getppid", "notify-ioctl", "shmdev_notify"]
TEST_ORDER = ["first-touch-write", "first-touch-read", "remap-resident",
              "remap-resident-write", "populate",
              "any-cpu", "two-cpus", "same-cpu", "4K", "64K", "1M", "64B", "wake",
              "call", "syscalls"]


def order_key(k):
    kind = KIND_ORDER.index(k[2]) if k[2] in KIND_ORDER else len(KIND_ORDER)
    test = TEST_ORDER.index(k[1]) if k[1] in TEST_ORDER else len(TEST_ORDER)
    return (test, k[3], kind, k[2])


def comparison_rows(run, bench):
    """(test, param, kind, median, min-max, ratio) rows; the ratio is
    the reference contender's median over this one's (higher is better
    for bulk, so there a ratio above 1 means the reference is faster)."""
    rows = []
    for k in sorted(run.keys(bench), key=order_key):
        ref = run.med((bench, k[1], REF[bench], k[3]))
        m = run.med(k)
        r = ref / m if ref is not None and m else None
        rows.append((k[1], k[3], k[2], m, spread(run.values(k)), r))
    return rows


# (bench, test, what, name of the param)
SCALES = [("scale-mmap", "mmap+munmap", "mmap+munmap of a lazy region, ns, by size", "MiB"),
          ("scale-fault", "first-touch-write", "first-touch write, ns/page, by size", "MiB"),
          ("scale-procs", "map+read", "map and read a populated 16 MiB region, "
           "ns/page/process, by processes", "processes")]


def text_report(run, tgts):
    out = []
    titles = {"fault": "fault (ns/page; ratio shmdev/peer)",
              "rtt": "rtt (ns; ratio shmdev/peer)",
              "rtt-sleeps": "rtt-sleeps (times the two processes slept per 100 round "
                            "trips; 200: each once a round trip)",
              "bulk": "bulk (MiB/s; ratio shmdev-ring/peer)",
              "wake-all": "wake-all (ns to wake all by waiters; ratio shmdev/peer)",
              "idle-notify": "idle-notify (call: ns per call; syscalls: made by "
                             "param calls; ratio getppid/peer)",
              "ring": "ring (1M: MiB/s, 64B: messages/s; ratio ring/peer)"}
    for bench in ("fault", "rtt", "rtt-sleeps", "bulk", "wake-all", "idle-notify", "ring"):
        rows = comparison_rows(run, bench)
        if not rows:
            continue
        out.append("")
        out.append("## " + titles[bench])
        out.append("%-18s %8s %-20s %12s %20s %7s" % ("test", "param", "kind", "median",
                                                     "min-max", "ratio"))
        for test, param, kind, m, sp, r in rows:
            out.append("%-18s %8d %-20s %12.0f %20s %7s" % (test, param, kind, m, sp,
                                                           fmt(r, 2)))
    for bench, test, label, pname in SCALES:
        keys = sorted(run.keys(bench), key=lambda k: (k[3], KIND_ORDER.index(k[2])))
        if not keys:
            continue
        out.append("")
        out.append("## %s (%s, %s)" % (bench, label, pname))
        for k in keys:
            out.append("%-12s %8d %12.0f  (%s)" % (k[2], k[3], run.med(k),
                                                   spread(run.values(k))))
    out.append("")
    out.append("## targets (median of per-round ratios, min-max, rounds met)")
    for t in tgts:
        if t["ratio"] is None:
            out.append("%-32s %-9s %8s" % (t["name"], limit_text(t), "-"))
            continue
        d = ratio_digits(t["ratio"], t["count"])
        out.append("%-32s %-9s %8s  %-13s %d/%d  %s" % (
            t["name"], limit_text(t), fmt(t["ratio"], d),
            "%s-%s" % (fmt(min(t["ratios"]), d), fmt(max(t["ratios"]), d)),
            t["rounds_met"], len(t["ratios"]), state_text(t)))
    return out


def rst_table(header, rows):
    """A reStructuredText simple table."""
    cells = [header] + [[str(c) for c in r] for r in rows]
    w = [max(len(r[i]) for r in cells) for i in range(len(header))]
    rule = "  ".join("=" * x for x in w)

    def line(r):
        return "  ".join(c.ljust(x) for c, x in zip(r, w)).rstrip()

    return [rule, line(header), rule] + [line(r) for r in cells[1:]] + [rule, ""]


def rst_section(title):
    return [title, "-" * len(title), ""]


def pivot(run, bench, ref_first=True):
    """Rows test (param) x kinds of 'median [min-max]'."""
    keys = run.keys(bench)
    kinds = sorted({k[2] for k in keys}, key=lambda x: KIND_ORDER.index(x)
                   if x in KIND_ORDER else len(KIND_ORDER))
    rows = []
    for test, param in sorted({(k[1], k[3]) for k in keys},
                              key=lambda tp: order_key((bench,) + tp[:1] + ("", tp[1]))):
        row = [test if bench != "wake-all" else str(param)]
        for kind in kinds:
            v = run.values((bench, test, kind, param))
            row.append("%.0f [%s]" % (statistics.median(v), spread(v)) if v else "n/a")
        rows.append(row)
    return kinds, rows


def meta_rows(meta, orders):
    def m(k, default="?"):
        return meta.get(k, default)

    rows = [("commit", "%s%s (%s)" % (m("commit"), " (uncommitted changes)"
                                      if m("dirty", "0") != "0" else "", m("subject"))),
            ("date", m("date")),
            ("kernel", "%s (``SHMDEV_BENCH_KERNEL=%s``)" % (m("kernel"), m("kernel_name"))),
            ("vCPUs", "%s (QEMU ``-smp %s``)" % (m("vcpus"), m("vm_cpus"))),
            ("memory", "%s (QEMU ``-m %s``; MemTotal %s MiB)" % (
                m("vm_mem").replace("G", " GiB").replace("M", " MiB"), m("vm_mem"),
                int(m("memory_kib", "0")) // 1024)),
            ("module parameters", "``%s``" % m("params")),
            ("emulation", "%s, %s" % (m("qemu"), m("accel"))),
            ("host", m("host_cpu")),
            ("shmem THP", "found %s, run with advise" % m("shmem_enabled")
             if "shmem_enabled" in meta else "not available: no memfd-thp figures"),
            ("rounds", "fault_bench %s, notify_bench %s, ring_bench %s" % (
                m("fault_bench_rounds"), m("notify_bench_rounds"),
                m("ring_bench_rounds", "not run"))),
            ("seeds", "fault_bench %s, notify_bench %s, ring_bench %s" % (
                m("fault_bench_seed"), m("notify_bench_seed"),
                m("ring_bench_seed", "not run"))),
            ("order of the cases", "; ".join(
                "%s: %d of %d rounds in another order than the round before" %
                (prog, changed, max(n - 1, 0)) for prog, (n, changed) in orders.items())),
            ("duration", "%d min %02d s, build and boot included" % divmod(
                int(m("duration_s", "0")), 60))]
    return rows


def rst_report(run, meta, tgts, orders):
    out = [".. SPDX-License-Identifier: GPL-2.0",
           "",
           ".. Written by scripts/bench-report.py from one run of ``make bench``.",
           "   Do not edit: run ``make bench`` again.",
           ""]
    out += rst_section("The run")
    out += [":%s: %s" % row for row in meta_rows(meta, orders)] + [""]

    out += rst_section("Targets against this run")
    out += ["Each ratio is taken per round, between the two samples of that round;",
            "the figure is the median over the rounds, then their min-max and in",
            "how many rounds the ratio alone was on the right side of the limit.",
            ""]
    rows = []
    for t in tgts:
        if t["ratio"] is None:
            rows.append([t["name"], limit_text(t), "-", "-", "-", "n/a"])
            continue
        d = ratio_digits(t["ratio"], t["count"])
        rows.append([t["name"], limit_text(t), fmt(t["ratio"], d),
                     "%s-%s" % (fmt(min(t["ratios"]), d), fmt(max(t["ratios"]), d)),
                     "%d/%d" % (t["rounds_met"], len(t["ratios"])), state_text(t)])
    out += rst_table(["target", "limit", "ratio", "min-max", "rounds", "state"], rows)
    out += ["What each target compares:", ""]
    for t in tgts:
        out += ["%s" % t["name"], "  %s, %s." % (t["compares"], limit_text(t)), ""]

    sections = [("fault", "Fault costs", "Median ns per page [min-max] over the rounds."),
                ("rtt", "Round-trip times", "Median ns per round trip [min-max] over the "
                 "rounds, two processes free to run on either vCPU (any-cpu), pinned to "
                 "two vCPUs (two-cpus) and both pinned to one (same-cpu)."),
                ("rtt-sleeps", "Sleeps per round trip", "Median times the two processes "
                 "slept (voluntary context switches) per 100 round trips [min-max]: 200 "
                 "when each sleeps once a round trip, near 0 when a spin or a race "
                 "spares them the sleep."),
                ("bulk", "Bulk throughput", "Median MiB/s [min-max] over the rounds."),
                ("wake-all", "Wake-all times", "Median ns from the wake-up call until the "
                 "last waiter runs [min-max], by number of waiters."),
                ("idle-notify", "A notify nobody waits for", "call: median ns per call "
                 "[min-max]; syscalls: system calls counted under seccomp during the "
                 "run's calls (the NOTIFY ioctl's count checks the counter)."),
                ("ring", "Ring throughput", "Median [min-max]: 1M in MiB/s, 64B in "
                 "messages per second.")]
    for bench, title, intro in sections:
        kinds, rows = pivot(run, bench)
        if not rows:
            continue
        out += rst_section(title)
        out += [intro, ""]
        first = "waiters" if bench == "wake-all" else "test"
        out += rst_table([first] + kinds, rows)

    for bench, test, label, pname in SCALES:
        kinds, rows = pivot(run, bench)
        if not rows:
            continue
        params = run.params(bench)
        out += rst_section("Scaling: %s" % test)
        out += ["Median [min-max], %s." % label, ""]
        trows = []
        for p in params:
            row = [str(p)]
            for kind in kinds:
                v = run.values((bench, test, kind, p))
                row.append("%.0f [%s]" % (statistics.median(v), spread(v)) if v else "n/a")
            trows.append(row)
        out += rst_table([pname] + kinds, trows)
    return out


# ---- plots -----------------------------------------------------------------

def gnuplot(script, path):
    with open(path, "w") as f:
        f.write(script)
    subprocess.check_call(["gnuplot", path])


def line_plot(run, outdir, bench, test, xl, yl, name, logy):
    kinds = sorted({k[2] for k in run.keys(bench)}, key=KIND_ORDER.index)
    dat = os.path.join(outdir, name + ".dat")
    with open(dat, "w") as f:
        for kind in kinds:
            f.write("# %s: param median min max\n" % kind)
            for p in run.params(bench, test):
                v = run.values((bench, test, kind, p))
                if v:
                    f.write("%d %.1f %.1f %.1f\n" % (p, statistics.median(v), min(v), max(v)))
            f.write("\n\n")
    png = os.path.join(outdir, name + ".png")
    plot = ", ".join("'%s' index %d using 1:2:3:4 with yerrorlines lw 2 pt 7 title '%s'"
                     % (dat, i, k) for i, k in enumerate(kinds))
    gnuplot("set terminal pngcairo size 800,500 font ',10' noenhanced\n"
            "set output '%s'\n"
            "set logscale x 2\n"
            "set xlabel '%s'\nset ylabel '%s'\n"
            "%s\n"
            "set key below\nset grid\n"
            "set offsets graph 0.03, graph 0.03, 0, 0\n"
            "set title '%s: median, bars: min-max over the rounds'\n"
            "plot %s\n" % (png, xl, yl, "set logscale y" if logy else "set yrange [0:*]",
                            yl.split(" (")[0], plot), os.path.join(outdir, name + ".gp"))
    return png


def bar_plot(run, outdir, bench, tests, name, yl, logy, title):
    """Grouped bars: one group per test of @tests (those the run has), one
    bar per contender, the median, with the min-max as an error bar."""
    keys = [k for k in run.keys(bench) if k[1] in tests]
    if not keys:
        return None
    kinds = sorted({k[2] for k in keys}, key=lambda x: KIND_ORDER.index(x)
                   if x in KIND_ORDER else len(KIND_ORDER))
    groups = sorted({(k[1], k[3]) for k in keys},
                    key=lambda tp: order_key((bench, tp[0], "", tp[1])))
    dat = os.path.join(outdir, name + ".dat")
    with open(dat, "w") as f:
        f.write("# test %s (median min max each)\n" % " ".join(kinds))
        for test, param in groups:
            row = [test]
            for kind in kinds:
                v = run.values((bench, test, kind, param))
                row += (["%.1f" % statistics.median(v), "%.1f" % min(v), "%.1f" % max(v)]
                        if v else ["NaN"] * 3)
            f.write(" ".join(row) + "\n")
    png = os.path.join(outdir, name + ".png")
    plot = ", ".join("'%s' using %d:%d:%d%s title '%s'"
                     % (dat, 2 + 3 * i, 3 + 3 * i, 4 + 3 * i,
                        ":xtic(1)" if i == 0 else "", k) for i, k in enumerate(kinds))
    gnuplot("set terminal pngcairo size 900,500 font ',10' noenhanced\n"
            "set output '%s'\n"
            "set style data histogram\n"
            "set style histogram errorbars gap 2 lw 1\n"
            "set style fill solid 0.7 border -1\n"
            "set datafile missing 'NaN'\n"
            "set ylabel '%s'\n"
            "%s\n"
            "set key below\nset grid ytics\n"
            "set title '%s: median, bars: min-max over the rounds'\n"
            "plot %s\n" % (png, yl, "set logscale y" if logy else "set yrange [0:*]",
                            title, plot), os.path.join(outdir, name + ".gp"))
    return png


def log_tics(lo, hi, limit):
    """Tic marks 1, 2, 5 per decade between @lo and @hi, and @limit."""
    tics, d = set(), 1e-4
    while d < hi * 10:
        tics.update(x for x in (d, 2 * d, 5 * d) if lo <= x <= hi)
        d *= 10
    tics.add(limit)
    return ", ".join("'%g' %g" % (x, x) for x in sorted(tics))


def targets_plot(tgts, outdir):
    """One row per target: the per-round ratios' median (dot) and min-max
    (bar) on a log axis of its own, the limit as a vertical line, the side
    that meets it shaded, and met / NOT met on the right."""
    rows = [t for t in tgts if t["ratio"] is not None and not t["count"]]
    if not rows:
        return None
    png = os.path.join(outdir, "targets.png")
    h = 95
    top = 40
    height = top + h * len(rows) + 20
    s = ["set terminal pngcairo size 1000,%d font ',10' noenhanced" % height,
         "set output '%s'" % png,
         "set multiplot",
         "unset key",
         "set logscale x",
         "set yrange [0:1]",
         "unset ytics",
         "set format x '%g'",
         "set xtics nomirror scale 0.5 font ',8'",
         "set grid xtics",
         "set label 100 'target: per-round ratio shmdev/peer, dot = median, bar = "
         "min-max over the rounds, line = limit, shaded = side that meets it' "
         "at screen 0.01, screen %f font ',10'" % (1 - 18.0 / height)]
    for i, t in enumerate(rows):
        lo = min(min(t["ratios"]), t["limit"])
        hi = max(max(t["ratios"]), t["limit"])
        xmin, xmax = lo / 1.8, hi * 1.8
        y1 = 1 - (top + h * i) / float(height)
        y0 = 1 - (top + h * (i + 1) - 28) / float(height)
        mid, dy = (y0 + y1) / 2, 18.0 / height
        ok = t["met"]
        colour = "#1a7f1a" if ok else "#c01818"
        met_lo, met_hi = (xmin, t["limit"]) if t["op"] == "le" else (t["limit"], xmax)
        d = ratio_digits(t["ratio"], t["count"])
        s += ["set lmargin at screen 0.32",
              "set rmargin at screen 0.80",
              "set tmargin at screen %f" % y1,
              "set bmargin at screen %f" % y0,
              "set xrange [%g:%g]" % (xmin, xmax),
              "set xtics (%s)" % log_tics(xmin, xmax, t["limit"]),
              "unset object", "unset arrow",
              "set object 1 rect from %g, graph 0 to %g, graph 1 "
              "fc rgb '#dff2df' fs solid 1.0 noborder behind" % (met_lo, met_hi),
              "set arrow 1 from %g, graph 0 to %g, graph 1 nohead lw 2 lc rgb '#303030' front"
              % (t["limit"], t["limit"]),
              "set label 1 '%s' at screen 0.01, screen %f font ',10:Bold'"
              % (t["name"], mid + dy),
              "set label 2 '%s' at screen 0.01, screen %f font ',9'" % (t["short"], mid),
              "set label 5 'limit %s' at screen 0.01, screen %f font ',9'"
              % (limit_text(t), mid - dy),
              "set label 3 '%s' at screen 0.82, screen %f font ',13:Bold' tc rgb '%s'"
              % (state_text(t), mid + dy / 2, colour),
              "set label 4 '%s (%s-%s)' at screen 0.82, screen %f font ',9'"
              % (fmt(t["ratio"], d), fmt(min(t["ratios"]), d), fmt(max(t["ratios"]), d),
                 mid - dy),
              "plot '-' using 1:2:3:4 with xerrorbars lw 2 pt 7 ps 1.6 lc rgb '%s'" % colour,
              "%g 0.5 %g %g" % (t["ratio"], min(t["ratios"]), max(t["ratios"])),
              "e",
              "unset label 100"]
    s += ["unset multiplot", ""]
    gnuplot("\n".join(s), os.path.join(outdir, "targets.gp"))
    return png


def plots(run, tgts, outdir):
    if shutil.which("gnuplot") is None:
        print("bench-report: gnuplot not found; no plots", file=sys.stderr)
        return []
    made = []
    specs = [("scale-mmap", "mmap+munmap", "region size (MiB)", "mmap+munmap (ns)", False),
             ("scale-fault", "first-touch-write", "region size (MiB)",
              "first-touch write (ns/page)", False),
             ("scale-procs", "map+read", "processes", "map+read (ns/page/process)", False),
             ("wake-all", "wake", "waiters", "time to wake all (ns)", True)]
    for bench, test, xl, yl, logy in specs:
        if run.keys(bench):
            made.append(line_plot(run, outdir, bench, test, xl, yl, bench, logy))
    bars = [("fault", TEST_ORDER[:5], "fault", "ns per 4 KiB page", True,
             "fault cost by test"),
            ("rtt", ["any-cpu", "two-cpus", "same-cpu"], "rtt", "round trip (ns)", False,
             "ping-pong round trip by placement"),
            ("idle-notify", ["call"], "idle-notify", "ns per call", False,
             "a notify nobody waits for, beside getppid()"),
            ("ring", ["1M"], "ring-1M", "MiB/s", False, "1 MiB messages"),
            ("ring", ["64B"], "ring-64B", "messages per second", True, "64-byte messages")]
    for bench, tests, name, yl, logy, title in bars:
        png = bar_plot(run, outdir, bench, tests, name, yl, logy, title)
        if png:
            made.append(png)
    png = targets_plot(tgts, outdir)
    if png:
        made.append(png)
    return made


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("raw")
    ap.add_argument("outdir")
    ap.add_argument("--doc", help="also write table.txt, results.rst and the PNGs here")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    samples, meta = load(args.raw)
    if not samples:
        print("bench-report: no samples in %s" % args.raw, file=sys.stderr)
        return 1
    run = Run(samples)
    tgts = targets(run)
    orders = order_changes(samples)
    with open(os.path.join(args.outdir, "samples.json"), "w") as f:
        json.dump({"meta": meta, "samples": samples}, f, indent=1)
    text = "\n".join(["# %s: %s" % (k, meta[k]) for k in sorted(meta)] +
                     ["# order: %s changed it in %d of %d rounds" % (p, c, max(n - 1, 0))
                      for p, (n, c) in orders.items()] +
                     text_report(run, tgts)) + "\n"
    results = [os.path.join(args.outdir, "table.txt"),
               os.path.join(args.outdir, "results.rst")]
    with open(results[0], "w") as f:
        f.write(text)
    with open(results[1], "w") as f:
        f.write("\n".join(rst_report(run, meta, tgts, orders)))
    sys.stdout.write(text)
    results += plots(run, tgts, args.outdir)
    if args.doc:
        os.makedirs(args.doc, exist_ok=True)
        for p in results:
            shutil.copy(p, args.doc)
    for p in results:
        print("wrote: %s" % p)
    print("samples: %s" % os.path.join(args.outdir, "samples.json"))
    failed = [t for t in tgts if t["met"] is None]
    if failed:
        print("bench-report: no figure for: %s" % ", ".join(t["name"] for t in failed),
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
