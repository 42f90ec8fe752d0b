"""Where tapegrad's time goes on the scalar chain: the per-operation path.

    python benchmarks/profile_chain.py             # split + cProfile
    python benchmarks/profile_chain.py --lines     # also line_profiler on the engine's hot functions

Prints (1) the split of one gradient into forward trace and backward pass,
with the cost per operation relative to plain NumPy's, (2) cProfile's top
functions by own time, and (3) with ``--lines`` (needs ``pip install
line_profiler``) line-level timings of the hot engine functions.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.libs import pin_threads  # noqa: E402

pin_threads()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy  # noqa: E402

import tapegrad  # noqa: E402
import tapegrad.numpy as tnp  # noqa: E402
from benchmarks.workloads import chain  # noqa: E402
from tapegrad.core import make_vjp  # noqa: E402

STEPS = 1000  # three operations each


def _median_time(fn, repeats: int = 40) -> float:  # noqa: ANN001
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def split() -> None:
    """Forward trace against backward pass, interleaved; the garbage collector's share."""
    f = lambda x: chain(tnp, x, STEPS)  # noqa: E731
    fwd, bwd = [], []
    for _ in range(40):
        t0 = time.perf_counter()
        vjp, _ = make_vjp(f, 0.5)
        t1 = time.perf_counter()
        vjp(1.0)
        fwd.append(t1 - t0)
        bwd.append(time.perf_counter() - t1)
    fwd_t, bwd_t = statistics.median(fwd), statistics.median(bwd)
    g = tapegrad.grad(f)
    with_gc = _median_time(lambda: g(0.5))
    gc.disable()
    try:
        without_gc = _median_time(lambda: g(0.5))
    finally:
        gc.enable()
    plain = _median_time(lambda: chain(numpy, 0.5, STEPS))
    total, ops = fwd_t + bwd_t, 3 * STEPS
    print(f"gradient of a {ops}-operation scalar chain (medians, ratios to the plain NumPy loop):")
    print(f"  forward trace   {fwd_t / total:4.0%} of the gradient, {fwd_t / plain:5.1f}x the plain loop")
    print(f"  backward pass   {bwd_t / total:4.0%} of the gradient, {bwd_t / plain:5.1f}x the plain loop")
    print(f"  whole gradient  {with_gc / plain:5.1f}x the plain loop; with the garbage collector off "
          f"{without_gc / with_gc:.2f}x of that")
    print(f"  per operation   {with_gc / ops * 1e6:.2f} us (plain NumPy: {plain / ops * 1e6:.2f} us)")


def profile(top: int) -> None:
    g = tapegrad.grad(lambda x: chain(tnp, x, STEPS))
    g(0.5)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(50):
        g(0.5)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    print(text[text.index("ncalls") - 3:] if "ncalls" in text else text)


def lines() -> None:
    try:
        from line_profiler import LineProfiler
    except ImportError:
        print("line_profiler is not installed: pip install line_profiler")
        return
    core_box = importlib.import_module("tapegrad.core.box")
    primitive = importlib.import_module("tapegrad.core.primitive")
    reverse = importlib.import_module("tapegrad.core.reverse")

    lp = LineProfiler()
    for fn in (primitive._bind, reverse.ReverseTrace.record, reverse.backward_pass, core_box.new_box):
        lp.add_function(fn)
    g = tapegrad.grad(lambda x: chain(tnp, x, STEPS))
    g(0.5)
    wrapped = lp(g)
    for _ in range(20):
        wrapped(0.5)
    lp.print_stats(output_unit=1e-6, stripzeros=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", action="store_true", help="line-level profile (needs line_profiler)")
    ap.add_argument("--top", type=int, default=18, help="rows of the cProfile table")
    args = ap.parse_args()
    split()
    print()
    profile(args.top)
    if args.lines:
        lines()


if __name__ == "__main__":
    main()
