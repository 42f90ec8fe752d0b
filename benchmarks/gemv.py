"""Matrix-vector products: OpenBLAS's dgemv against the streaming kernels, on this machine.

    python benchmarks/gemv.py            # row lengths 32..2048, matrices of 1/2 to 2x the last-level cache
    python benchmarks/gemv.py --evict    # a 64 MB write before every call: the matrix comes from memory

For each shape, the time of ``numpy.vecdot(A, x)`` over ``A @ x`` (forward)
and of ``einsum("i,ij->j", g, A)`` over ``g @ A`` (backward), the two taking
turns; below 1 the streaming kernel is the faster. ``s`` or ``-`` after each
pair says whether tapegrad streams that product (``tapegrad.numpy._gemv.applies``;
forward, then backward), so the rule can be checked against the measurements
of the machine it runs on.
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

import numpy  # noqa: E402

from benchmarks.libs import limit_loaded_pools  # noqa: E402
from benchmarks.measure import time_round_robin  # noqa: E402
from tapegrad.numpy import _gemv  # noqa: E402

ROWS = (32, 64, 200, 1024, 2048)
CACHE_FRACTIONS = (0.5, 0.75, 0.875, 1.0, 2.0)


def ratios(a: numpy.ndarray, evict: numpy.ndarray | None) -> tuple[float, float]:
    x, g = numpy.ones(a.shape[1]), numpy.ones(a.shape[0])

    def call(f):  # with --evict, a 64 MB write precedes each call (and is timed with it, alike for both)
        return (lambda: (evict.__iadd__(1.0), f())) if evict is not None else f

    fwd = time_round_robin({"dgemv": call(lambda: a.dot(x)), "stream": call(lambda: numpy.vecdot(a, x))}, 9, 30, 0.3)
    bwd = time_round_robin({"dgemv": call(lambda: g.dot(a)),
                            "stream": call(lambda: numpy.einsum("i,ij->j", g, a))}, 9, 30, 0.3)
    return (fwd["stream"]["median"] / fwd["dgemv"]["median"], bwd["stream"]["median"] / bwd["dgemv"]["median"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evict", action="store_true", help="write 64 MB before every call")
    args = parser.parse_args()
    limit_loaded_pools()
    if not hasattr(numpy, "vecdot"):
        sys.exit("numpy.vecdot needs NumPy >= 2.0")
    cache = _gemv.last_level_cache_bytes()
    evict = numpy.ones(8 << 20) if args.evict else None
    print(f"last-level cache {cache >> 20} MiB; tapegrad streams A @ x from {_gemv.MATVEC_MIN_BYTES / 2**20:.0f} MiB "
          f"and g @ A from {_gemv.VECMAT_MIN_BYTES / 2**20:.0f} MiB, rows of {_gemv._MIN_ROW} to {_gemv._MAX_ROW}; "
          f"{'evicted' if args.evict else 'in turns, warm'}")
    print("time ratios stream/dgemv, forward (A @ x) and backward (g @ A)\n")
    print("| row length | " + " | ".join(f"{f:g} x cache" for f in CACHE_FRACTIONS) + " |")
    print("|---" * (len(CACHE_FRACTIONS) + 1) + "|")
    for n in ROWS:
        cells = []
        for frac in CACHE_FRACTIONS:
            a = numpy.random.RandomState(0).randn(-(-int(cache * frac) // (8 * n)), n)  # at least that size
            f, b = ratios(a, evict)
            marks = ("s" if _gemv.applies(a, a[0]) else "-") + ("s" if _gemv.applies(a[:, 0], a) else "-")
            cells.append(f"{f:.2f} / {b:.2f} {marks}")
        print(f"| {n} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
