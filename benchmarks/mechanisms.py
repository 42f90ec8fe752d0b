"""What each optional speed mechanism buys: the suite's workloads with it on and off.

    python benchmarks/mechanisms.py                                # every mechanism, 5 runs of each state
    python benchmarks/mechanisms.py fast_rules --only rnn,tanh4 --runs 7
    python benchmarks/mechanisms.py array_cache --libs tapegrad,autograd,torch   # PyTorch in the process too

The mechanisms and the switch that turns each off (read once, at import):

    c_engine      TAPEGRAD_PURE_PYTHON=1   the C engine (core/_fastpath.c, _fp_*.c); the twins and the cache go with it
    fast_rules    TAPEGRAD_FAST_RULES=0    C twins of add's, matmul's and tanh's first-order rules (_fastrules.c)
    array_cache   TAPEGRAD_ARRAY_CACHE=0   derivatives' array buffers reused from call to call (_arraycache.c)
    speed_hints   TAPEGRAD_SPEED_HINTS=0   what VJPs read, matmul's fused value and JVP, and the C twins (numpy/hints.py)

Each run is a fresh interpreter, started with every mechanism on or with one
off, in turns (all on, the first off, the second off, all on...), so that a
change in the machine's load hits every state alike. A run times tapegrad
beside autograd (and ``--libs``) on each workload as the suite does
(``benchmarks/measure.py``: one thread, warm-up, shuffled turns, medians),
wall and CPU time, and counts tapegrad's minor page faults per call. The table
gives, per workload, the median over runs of tapegrad/autograd with the
mechanism on and off, and off/on: above 1, the mechanism saves that factor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# name -> the environment variable and the value that turn it off
MECHANISMS = {"c_engine": ("TAPEGRAD_PURE_PYTHON", "1"), "fast_rules": ("TAPEGRAD_FAST_RULES", "0"),
              "array_cache": ("TAPEGRAD_ARRAY_CACHE", "0"), "speed_hints": ("TAPEGRAD_SPEED_HINTS", "0")}
WORKLOADS = "rnn,logreg,mlp,hvp,jacobian,tanh4,chain"
REPEATS = {"full": (5, 200, 1.5), "quick": (3, 20, 0.2), "tiny": (1, 1, 0.0)}  # as benchmarks/run.py


def child(keys: list[str], libs: list[str], size: str) -> dict:
    """Time ``libs`` on each workload in this process: medians of wall and CPU time, tapegrad's faults per call."""
    from benchmarks.libs import pin_threads

    pin_threads()
    import resource

    from benchmarks import by_hand  # noqa: F401 - registers the by-hand builders
    from benchmarks.libs import limit_loaded_pools
    from benchmarks.measure import time_round_robin
    from benchmarks.workloads import WORKLOADS as ALL

    limit_loaded_pools()
    out = {}
    for key in keys:
        w = ALL[key]
        data = w.data(size)
        cpu: dict = {lib: [] for lib in libs}
        faults: list = []

        def timed(fn, lib):  # noqa: ANN001, ANN202
            def call():  # noqa: ANN202
                f0, c0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.process_time()
                r = fn()
                cpu[lib].append(time.process_time() - c0)
                if lib == "tapegrad":
                    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
                return r

            return call

        fns = {lib: timed(w.build(lib, data), lib) for lib in libs}
        t = time_round_robin(fns, *REPEATS[size])
        out[key] = {lib: {"wall": t[lib]["median"], "cpu": statistics.median(cpu[lib][1:] or cpu[lib])}
                    for lib in libs if "median" in t.get(lib, {})}
        out[key]["faults"] = statistics.median(faults[1:] or faults)
    return out


def _run(switch: tuple | None, keys: list[str], libs: list[str], size: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {var for var, _ in MECHANISMS.values()}}
    if switch:
        env[switch[0]] = switch[1]
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--only", ",".join(keys), "--libs", ",".join(libs),
           "--size", size]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _ratios(runs: list[dict], key: str, clock: str) -> float:
    return statistics.median(r[key]["tapegrad"][clock] / r[key]["autograd"][clock] for r in runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mechanisms", nargs="*", help=f"any of {', '.join(MECHANISMS)} (default: all)")
    ap.add_argument("--only", default=WORKLOADS, help=f"comma-separated workloads (default: {WORKLOADS})")
    ap.add_argument("--libs", default="tapegrad,autograd", help="libraries in each process (tapegrad and autograd at least)")
    ap.add_argument("--runs", type=int, default=5, help="fresh interpreters per state (default 5)")
    ap.add_argument("--size", default="full", choices=list(REPEATS), help="workload sizes and repeats")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    keys, libs = args.only.split(","), args.libs.split(",")
    if args.child:
        print(json.dumps(child(keys, libs, args.size)))
        return 0
    names = args.mechanisms or list(MECHANISMS)
    for name in names:
        if name not in MECHANISMS:
            ap.error(f"unknown mechanism {name!r}: choose from {', '.join(MECHANISMS)}")
    states = {"on": None, **{name: MECHANISMS[name] for name in names}}
    runs: dict = {state: [] for state in states}
    for i in range(args.runs):
        for state, switch in states.items():
            print(f"run {i + 1}/{args.runs}: {state if switch is None else '='.join(switch)}", file=sys.stderr, flush=True)
            runs[state].append(_run(switch, keys, libs, args.size))
    print(f"\ntapegrad/autograd, medians of {args.runs} runs per state (wall / CPU time); "
          "off/on above 1: what the mechanism saves; tapegrad's minor page faults per call, on / off\n")
    for name in names:
        print(f"{name} (off: {'='.join(MECHANISMS[name])})")
        print(f"  {'workload':9s} {'on':>17s} {'off':>17s} {'off/on':>13s}  faults")
        for key in keys:
            on = [_ratios(runs["on"], key, c) for c in ("wall", "cpu")]
            off = [_ratios(runs[name], key, c) for c in ("wall", "cpu")]
            faults = [statistics.median(r[key]["faults"] for r in runs[s]) for s in ("on", name)]
            print(f"  {key:9s} {on[0]:7.3f}x/{on[1]:7.3f}x {off[0]:7.3f}x/{off[1]:7.3f}x "
                  f"{off[0] / on[0]:6.2f}/{off[1] / on[1]:5.2f}  {faults[0]:.0f} / {faults[1]:.0f}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
