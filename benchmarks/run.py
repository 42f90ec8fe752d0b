"""Run the side-by-side benchmark suite (issue 5) and report against its targets.

    python benchmarks/run.py            # the full suite (make bench)
    python benchmarks/run.py --quick    # a fast smoke run: fewer repeats, a 100k-operation chain
    python benchmarks/run.py --only chain,rnn --libs tapegrad,autograd
    python benchmarks/run.py --only writes  # the writes workload at n = 10^3, 10^4, 10^5 (issue 13)

Prints the medians and the ratio table (with PASS/FAIL per target) to stdout,
progress to stderr, and writes benchmarks/results/latest.json and latest.png.
Every library runs single-threaded (see benchmarks/libs.py).
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.libs import pin_threads  # noqa: E402 - must precede the NumPy import

pin_threads()

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy  # noqa: E402

from benchmarks import report  # noqa: E402
from benchmarks.libs import ERRORS, LIBRARIES, limit_loaded_pools, version  # noqa: E402
from benchmarks.measure import measure_in_subprocesses, time_round_robin  # noqa: E402
from benchmarks.workloads import ORDER, WORKLOADS, Skip, to_numpy  # noqa: E402
from benchmarks.writes import FAMILY as WRITES  # noqa: E402

# (min repeats, max repeats, seconds of timing per library and workload)
REPEATS = {"full": (5, 200, 1.5), "quick": (3, 20, 0.2), "tiny": (1, 1, 0.0)}
SUBPROCESS_REPEATS = {"full": 3, "quick": 1, "tiny": 1}
# The writes workloads: one timed call per turn, no untimed call (a gradient there takes
# 1 ms to tens of seconds); fewer rounds at larger n. Keyed by n.
WRITES_REPEATS = {"full": {1_000: (5, 100, 1.5), 10_000: (3, 20, 1.5), 100_000: (3, 5, 1.5)},
                  "quick": {1_000: (2, 10, 0.2), 10_000: (2, 5, 0.2)}}
FAMILIES = {"writes": WRITES}  # --only writes selects all three sizes
RESULTS_DIR = os.path.join(ROOT, "benchmarks", "results")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _agrees(result: object, reference: object) -> bool:
    a, b = to_numpy(result), to_numpy(reference)
    return a.shape == b.shape and bool(numpy.allclose(a, b, rtol=1e-6, atol=1e-9))


def _with_cpu_time(fn, record: list):  # noqa: ANN001, ANN202
    """``fn``, recording the process's CPU time of each call into ``record``."""

    def call():  # noqa: ANN202
        c0 = time.process_time()
        out = fn()
        record.append(time.process_time() - c0)
        return out

    return call


def _repeats(key: str, size: str) -> tuple:
    w = WORKLOADS[key]
    if w.group == "writes" and size != "tiny":
        return WRITES_REPEATS[size].get(w.sizes[size]["n"], REPEATS[size])
    return REPEATS[size]


def run_workload(key: str, libs: list[str], size: str, alternate: bool = False) -> dict:
    w = WORKLOADS[key]
    entry: dict = {"key": key, "title": w.title, "group": w.group, "size": w.sizes[size], "libs": {}}
    in_subprocess = w.group == "chain1m"  # time and peak memory in a fresh interpreter
    # CPU time next to wall time (the writes workloads: calls of 0.3 ms and up, where the
    # process_time call costs nothing measurable); with one timed call per turn and no untimed call.
    cpu_time = w.group == "writes"
    cpu: dict = {}
    data = None if in_subprocess else w.data(size)
    runnable: dict = {}
    for lib in libs:
        try:
            fn = w.build(lib, w.data("tiny") if in_subprocess else data)  # raises Skip
            runnable[lib] = None if in_subprocess else fn
        except Skip as e:
            reason = f"{e}: {ERRORS[lib]}" if str(e) == "not importable" and lib in ERRORS else str(e)
            entry["libs"][lib] = {"skip": reason}
        except Exception as e:  # a library failing one workload must not stop the suite
            entry["libs"][lib] = {"skip": f"error: {type(e).__name__}: {e}"[:300]}
    t0 = time.perf_counter()
    if in_subprocess:
        timed = measure_in_subprocesses(key, list(runnable), size, SUBPROCESS_REPEATS[size])
    elif cpu_time:
        cpu = {lib: [] for lib in runnable}
        timed = time_round_robin({lib: _with_cpu_time(fn, cpu[lib]) for lib, fn in runnable.items()},
                                 *_repeats(key, size), alternate=True)
    else:
        timed = time_round_robin(runnable, *_repeats(key, size), alternate=alternate)
    for lib, times in cpu.items():
        if "median" in timed.get(lib, {}) and len(times) > 1:
            cpu_times = times[1:]  # the first call is the warm-up
            timed[lib].update(cpu_median=statistics.median(cpu_times), cpu_min=min(cpu_times),
                              cpu_max=max(cpu_times))
    entry["libs"].update(timed)
    for lib in libs:
        r = entry["libs"].get(lib, {})
        if "median" in r:
            mem = f", peak +{r['peak_mib']:.0f} MiB" if "peak_mib" in r else ""
            cpu_med = f", CPU {report.fmt_time(r['cpu_median'])}" if "cpu_median" in r else ""
            log(f"  {key:9s} {lib:9s} median {report.fmt_time(r['median'])}{cpu_med} x{r['repeats']}{mem}")
        elif "skip" in r and not r["skip"].startswith(("not written", "not importable")):
            log(f"  {key:9s} {lib:9s} skipped: {r['skip'][:150]}")
    log(f"  ({time.perf_counter() - t0:.1f} s)")
    # Every result is checked against autograd's or, where autograd cannot run the
    # workload (writes), against the derivative written by hand in NumPy.
    ref_lib = next((lib for lib in ("autograd", "by_hand") if "result" in entry["libs"].get(lib, {})), None)
    if ref_lib is not None:
        ref = entry["libs"][ref_lib]["result"]
        entry["reference"] = ref_lib
        entry["agrees"] = {lib: _agrees(r["result"], ref) for lib, r in entry["libs"].items()
                           if lib not in (ref_lib, "numpy") and "result" in r}
    entry["libs"] = {lib: entry["libs"][lib] for lib in libs if lib in entry["libs"]}  # table order
    entry["ratios"] = report.ratios(entry)
    entry["checks"] = report.checks(entry)
    return entry


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="fewer repeats, a 100k-operation chain, writes at n = 10^3 and 10^4 only")
    ap.add_argument("--tiny", action="store_true",
                    help="tiny sizes, one timed call each: checks that the suite runs (tests/test_bench_smoke.py)")
    ap.add_argument("--only", default="",
                    help="comma-separated workloads (default: all): " + ",".join(ORDER)
                    + "; " + ", ".join(f"{f} = {','.join(ks)}" for f, ks in FAMILIES.items()))
    ap.add_argument("--libs", default="", help="comma-separated libraries (default: all importable)")
    ap.add_argument("--alternate", action="store_true",
                    help="strict alternation: one timed call per library per round, no untimed warm call")
    ap.add_argument("--out", default=os.path.join(RESULTS_DIR, "latest.json"), help="JSON output path")
    args = ap.parse_args(argv)

    size = "tiny" if args.tiny else "quick" if args.quick else "full"
    only = {k for name in args.only.split(",") if name for k in FAMILIES.get(name, (name,))}
    keys = [k for k in ORDER if not only or k in only]
    for k in [k for k in keys if size not in WORKLOADS[k].sizes]:
        log(f"{k}: not run at {size} size")
        keys.remove(k)
    libs = [lib for lib in LIBRARIES if not args.libs or lib in args.libs.split(",")]
    pools = limit_loaded_pools()
    versions = {lib: version(lib) for lib in libs}
    log(f"tapegrad benchmark ({size}); libraries: "
        + ", ".join(f"{lib} {v}" if v else f"{lib} (not importable)" for lib, v in versions.items()))
    for lib, err in ERRORS.items():
        log(f"  {lib} does not import ({err[:200]}); its columns stay empty")
    load_before = os.getloadavg()
    started = time.perf_counter()
    results = []
    for key in keys:
        log(f"{key}: {WORKLOADS[key].title}")
        results.append(run_workload(key, libs, size, args.alternate))
    elapsed = time.perf_counter() - started
    report.add_family_checks(results)  # targets across workloads: the writes' flatness in n

    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
        "size": size,
        "schedule": "alternate" if args.alternate else "burst",
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {_cpu_model()}, {os.cpu_count()} cpus",
        "versions": versions,
        "threadpools": pools,
        "cpu_affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "thread_env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                      "MKL_NUM_THREADS", "XLA_FLAGS")},
        "seconds": round(elapsed, 1),
        # Other processes share the cores: a load average above ~1 means the medians are noisy.
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "summary": report.summary_counts(results),
    }
    print(f"\nMedian time per gradient ({size} run, one thread each; chain1m also shows peak extra memory)\n")
    print(report.medians_table(results))
    print("\nRatios of medians (tg = tapegrad) and the targets of issue 5 (issue 13 for writes)\n")
    print(report.ratios_table(results))
    writes = report.writes_table(results)
    if writes:
        print("\nTime per write (issue 13's writes workload): median time of one gradient / n, wall and CPU\n")
        print(writes)
    for line in report.agreement_lines(results):
        print(line)
    s = meta["summary"]
    loadavg = meta["load_average_before_after"]
    print(f"\n{s['PASS']} PASS, {s['FAIL']} FAIL, {s['n/a']} n/a  ({elapsed:.0f} s; "
          f"1-min load average {loadavg[0]} before, {loadavg[1]} after, on {os.cpu_count()} cpus)")
    report.write_json(args.out, meta, results)
    chart = report.write_chart(os.path.splitext(args.out)[0] + ".png", results)
    log(f"wrote {os.path.relpath(args.out, ROOT)}" + (f" and {os.path.relpath(chart, ROOT)}" if chart else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
