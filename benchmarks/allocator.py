"""Page faults and time of the big-array gradients, in turns: the array cache's evidence.

    python benchmarks/allocator.py                    # tapegrad, hand-written NumPy, autograd
    TAPEGRAD_ARRAY_CACHE=0 python benchmarks/allocator.py   # the same with tapegrad's cache off
    python benchmarks/allocator.py --import-torch     # with PyTorch imported (as the full suite has it)
    python benchmarks/allocator.py --also torch       # ... and PyTorch's gradient in the rotation
    python benchmarks/allocator.py --also read64mb    # ... or a 64 MB read (write64mb: a write) instead

Each library's gradient is timed by the suite's ``time_round_robin`` with its
strict schedule (one warm-up call each, then one timed call per library per
round, in an order shuffled each round); each line gives the median time and
the minor page faults per call (``getrusage``). See docs/performance.md, "The array cache".
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
from typing import Any, Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.libs import load, pin_threads  # noqa: E402

pin_threads()

from benchmarks import by_hand  # noqa: E402, F401 - registers the by_hand builders
from benchmarks.measure import time_round_robin  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402


def _sweeps() -> dict:
    """Stand-ins for another library's turn: they only move 64 MB through the caches."""
    import numpy

    big = numpy.ones(8 << 20)
    return {"read64mb": big.sum, "write64mb": lambda: big.fill(1.0)}


def faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def counting(fn: Callable[[], Any], counts: list) -> Callable[[], Any]:
    """``fn``, appending the minor page faults of each call to ``counts`` (two getrusage calls, ~1 us)."""

    def call() -> Any:
        f0 = faults()
        result = fn()
        counts.append(faults() - f0)
        return result

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="logreg,mlp", help="workloads (default: logreg,mlp)")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--import-torch", action="store_true", help="import PyTorch first (changes glibc's state)")
    parser.add_argument("--also", default="", help="more libraries in the rotation, e.g. torch")
    args = parser.parse_args()
    if args.import_torch:
        load("torch")
    from tapegrad.numpy import arraycache

    libs = ["tapegrad", "by_hand", "autograd"] + [lib for lib in args.also.split(",") if lib]
    sweeps = _sweeps()
    for lib in libs:
        if lib not in sweeps:
            load(lib)
    print(f"array cache: {'on' if arraycache.info()['limit'] else 'off'}; PyTorch imported: "
          f"{'torch' in sys.modules}; rotation: {', '.join(libs)}")
    for key in args.only.split(","):
        w = WORKLOADS[key]
        data = w.data("full")
        fns = {lib: sweeps[lib] if lib in sweeps else w.build(lib, data) for lib in libs}
        flts: dict = {lib: [] for lib in fns}
        # the suite's strict schedule: one warm-up each, then one timed call per turn, shuffled
        timed = time_round_robin({lib: counting(fn, flts[lib]) for lib, fn in fns.items()},
                                 args.rounds, args.rounds, 0.0, alternate=True)
        med = {lib: timed[lib]["median"] * 1e3 for lib in fns}
        per_call = {lib: statistics.mean(f[1:]) for lib, f in flts.items()}  # the warm-up call left out
        cells = ", ".join(f"{lib} {med[lib]:.2f} ms / {per_call[lib]:.0f} faults" for lib in fns)
        print(f"{key}: {cells}; tg/by hand {med['tapegrad'] / med['by_hand']:.3f}x, "
              f"tg/autograd {med['tapegrad'] / med['autograd']:.3f}x")


if __name__ == "__main__":
    main()
