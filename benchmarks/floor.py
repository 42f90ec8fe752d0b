"""The floor of the big-array workloads: their matrix products alone, against autograd.

    python benchmarks/floor.py

Any engine that calls NumPy operation by operation computes at least these
products (logreg: ``inputs @ w`` forward and ``g @ inputs`` backward; the MLP:
three forward, five backward). Prints their time (NumPy's ``matmul``: BLAS)
as a fraction of autograd's gradient, beside the hand-written gradient's and
tapegrad's, all measured in turns in one process, single-threaded.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.libs import pin_threads  # noqa: E402

pin_threads()

import statistics  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy  # noqa: E402

from benchmarks import by_hand  # noqa: E402, F401 - registers the by-hand builders
from benchmarks.libs import limit_loaded_pools  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402


def _logreg_products(d: dict, matmul: Callable = numpy.matmul) -> Callable[[], Any]:
    w, (inputs, _) = d["params"], d["args"]
    g = inputs @ w  # any vector of the right length: only the product's cost matters

    def products() -> Any:
        matmul(inputs, w)
        return matmul(g, inputs)

    return products


def _mlp_products(d: dict, matmul: Callable = numpy.matmul) -> Callable[[], Any]:
    (w1, b1), (w2, b2), (w3, _) = d["params"]
    x = d["args"][0]
    h1 = numpy.tanh(x @ w1 + b1)
    h2 = numpy.tanh(h1 @ w2 + b2)
    g3, g2 = numpy.ones((x.shape[0], w3.shape[1])), numpy.ones_like(h2)

    def products() -> Any:
        matmul(x, w1), matmul(h1, w2), matmul(h2, w3)  # forward
        matmul(h2.T, g3), matmul(g3, w3.T), matmul(h1.T, g2), matmul(g2, w2.T)  # backward, layer by layer
        return matmul(x.T, g2)

    return products


def main(rounds: int = 30) -> None:
    limit_loaded_pools()
    for key, make in (("logreg", _logreg_products), ("mlp", _mlp_products)):
        w = WORKLOADS[key]
        d = w.data("full")
        fns = {"products": make(d), **{lib: w.build(lib, d) for lib in ("autograd", "by_hand", "tapegrad")}}
        times: dict = {name: [] for name in fns}
        for _ in range(rounds):
            for name, fn in fns.items():
                fn()  # untimed: as in the suite, each is timed right after itself
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        med = {name: statistics.median(ts) for name, ts in times.items()}
        print(f"{key}: the products alone {med['products'] * 1e3:.2f} ms = {med['products'] / med['autograd']:.3f}x "
              f"autograd's gradient; by hand {med['by_hand'] / med['autograd']:.3f}x; tapegrad {med['tapegrad'] / med['autograd']:.3f}x")


if __name__ == "__main__":
    main()
