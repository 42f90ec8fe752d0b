"""The writes workload (issue 13, "Fast writes"): n single-element in-place writes, then the gradient.

The loop is a recurrence, so every write depends on the one before it::

    y = y0.copy()
    for i in range(1, n + 1):
        y[i] += dt * v[i] * y[i - 1]
    loss = sum(y * y)

and the derivative is the gradient of ``loss`` with respect to ``(y0, v)``
(arrays of n + 1 elements, so there are exactly n writes). It runs at
n = 10^3, 10^4 and 10^5, one workload per n (``writes1k``, ``writes10k``,
``writes100k``; ``--only writes`` selects the three), and the report gives the
**time per write** (median time of one gradient / n) in wall and CPU time.

The issue's two targets (report.py, on CPU time): tapegrad's time per write
is flat in n (at the largest n within ``report.WRITES_FLAT_LIMIT``, 1.5x, of
the smallest) and no slower than PyTorch's in-place writes on the same loop
(tg/torch <= 1 at each n).

Libraries:

* tapegrad: the loop as written above, with ``import tapegrad.numpy as np``
  and ``tapegrad.grad``; NumPy: the same source, forward pass only.
* PyTorch: the same loop with in-place writes on a clone of the leaf. The
  element read is ``y[i - 1].clone()``: a view of ``y`` saved for the backward
  pass (by the multiplication) shares ``y``'s version counter, so the next
  write into ``y`` makes the backward pass raise "one of the variables needed
  for gradient computation has been modified by an inplace operation".
  ``clone()`` of a 0-d tensor is PyTorch's own fix for that error.
* JAX: ``y = y.at[i].add(...)`` in a Python loop under ``jax.grad``, eager
  (a functional update copies ``y``, so each write is O(n); skipped above
  ``JAX_EAGER_MAX_N``). ``jax.jit`` unrolls the loop into n scatters: skipped
  above ``JAX_JIT_MAX_N``.
* autograd: skipped (its arrays do not support assignment).
* NumPy by hand: the same gradient written out in NumPy (the reverse sweep of
  the recurrence, element by element). It is the reference the other results
  are checked against (autograd, the suite's usual reference, has no result
  here).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy

from .libs import load
from .workloads import Skip, Workload, _jax_call, _np_of, _tensor, _torch, _workload

JAX_EAGER_MAX_N = 1000  # 6-9 ms of CPU per write at 10^3 (2026-12-06): 10^4 would take minutes a gradient
JAX_JIT_MAX_N = 100  # jit of the unrolled 10^3-step loop compiled for over 5 min (3 GB) without finishing

# key -> n per size; "quick" leaves out 10^5 (a gradient there takes tens of seconds per library).
SIZES = {
    "writes1k": {"full": 1_000, "quick": 1_000, "tiny": 12},
    "writes10k": {"full": 10_000, "quick": 10_000, "tiny": 24},
    "writes100k": {"full": 100_000, "tiny": 48},
}
FAMILY = tuple(SIZES)  # in increasing n: what --only writes selects and the flatness check spans
DT = 0.5


def recurrence(np: Any, y0: Any, v: Any, dt: float) -> Any:
    """The n writes ``y[i] += dt * v[i] * y[i - 1]`` (NumPy, tapegrad), then a scalar loss."""
    y = y0.copy()
    for i in range(1, y.shape[0]):
        y[i] += dt * v[i] * y[i - 1]
    return np.sum(y * y)


def recurrence_torch(torch: Any, y0: Any, v: Any, dt: float) -> Any:
    """The same loop on a PyTorch tensor (see the module docstring for the ``clone()``)."""
    y = y0.clone()
    for i in range(1, y.shape[0]):
        y[i] += dt * v[i] * y[i - 1].clone()
    return torch.sum(y * y)


def recurrence_jax(jnp: Any, y0: Any, v: Any, dt: float) -> Any:
    """The same loop as JAX writes it: a functional update per element."""
    y = y0
    for i in range(1, y.shape[0]):
        y = y.at[i].add(dt * v[i] * y[i - 1])
    return jnp.sum(y * y)


def _data(n: int) -> dict:
    rng = numpy.random.RandomState(13)
    return {"params": (rng.randn(n + 1), rng.randn(n + 1)), "dt": DT, "n": n}


def _register(w: Workload) -> None:
    @w.builder("numpy")
    def _(d: dict) -> Callable:
        (y0, v), dt = d["params"], d["dt"]
        return lambda: recurrence(numpy, y0, v, dt)

    @w.builder("tapegrad")
    def _(d: dict) -> Callable:
        np, params, dt = _np_of("tapegrad"), d["params"], d["dt"]
        g = load("tapegrad").grad(lambda p: recurrence(np, p[0], p[1], dt))
        return lambda: g(params)

    @w.builder("autograd")
    def _(d: dict) -> Callable:
        raise Skip("autograd cannot assign into arrays (TypeError: 'ArrayBox' object does not "
                   "support item assignment)")

    @w.builder("torch")
    def _(d: dict) -> Callable:
        torch, dt = _torch(), d["dt"]
        y0, v = (_tensor(a, grad=True) for a in d["params"])
        return lambda: torch.autograd.grad(recurrence_torch(torch, y0, v, dt), (y0, v))

    @w.builder("jax")
    def _(d: dict) -> Callable:
        if d["n"] > JAX_EAGER_MAX_N:
            raise Skip(f"eager .at[i].add copies the array (O(n) a write) and takes 6-9 ms of CPU a "
                       f"write at n=10^3: skipped above n={JAX_EAGER_MAX_N}")
        jax, dt = load("jax"), d["dt"]
        g = jax.grad(lambda p: recurrence_jax(jax.numpy, p[0], p[1], dt))
        return _jax_call(g, d["params"])

    @w.builder("jax_jit")
    def _(d: dict) -> Callable:
        if d["n"] > JAX_JIT_MAX_N:
            raise Skip(f"jit unrolls the Python loop into n scatters: at n=10^3 it compiled for over "
                       f"5 minutes without finishing; skipped above n={JAX_JIT_MAX_N}")
        jax, dt = load("jax"), d["dt"]
        g = jax.jit(jax.grad(lambda p: recurrence_jax(jax.numpy, p[0], p[1], dt)))
        return _jax_call(g, d["params"])

    @w.builder("by_hand")
    def _(d: dict) -> Callable:
        (y0, v), dt = d["params"], d["dt"]

        def grad() -> Any:
            y = y0.copy()
            for i in range(1, y.shape[0]):
                y[i] += dt * v[i] * y[i - 1]
            # Reverse sweep: y[i] = y0[i] + dt v[i] y[i-1] with y[i-1] final when read.
            g_y = 2.0 * y  # d loss / d y, becomes d loss / d y0 as the sweep passes
            g_v = numpy.zeros_like(v)
            for i in range(y.shape[0] - 1, 0, -1):
                g_v[i] = g_y[i] * dt * y[i - 1]
                g_y[i - 1] += g_y[i] * dt * v[i]
            return g_y, g_v

        return grad


def _title(n: int) -> str:
    return f"writes: {n:,} x y[i] += dt*v[i]*y[i-1], grad"


for _key, _sizes in SIZES.items():
    _sizes_of = {s: {"n": n} for s, n in _sizes.items()}
    _register(_workload(_key, _title(_sizes["full"]), "writes", _sizes_of, _data))
