"""The fuzzer's vmap mode: a program mapped over a batch of examples, against NumPy on each example.

For a program ``f(x, y)`` and a :class:`Plan` (batch size, which inputs are batched and along which
axis, how far the examples are from the program's inputs), ``check_vmap`` compares

* ``vmap(f)``: the losses, and every probed value (kind, dtype, shape, value, exception), with
  plain NumPy run on each example in turn, the results stacked (the oracle);
* ``vmap(grad(f))`` and ``grad(sum(vmap(f)))``: the gradients with each example's own gradient
  by tapegrad without vmap (which the default mode checks against finite differences);
* on plans with ``forward``: ``vmap`` of a JVP, or a JVP of ``vmap``, with ``<grad, v>`` per example.

A ``BatchError`` anywhere (``vmap`` refusing what it cannot batch: a branch on a value that differs
between examples, a write it cannot link) is a refusal, not a failure: it is counted in ``REFUSALS``
(by message), and a program that catches one is refused as well (the probe raises it again). Any
other exception where NumPy runs every example is a failure, and so is a value where NumPy raises
for some example. Programs whose examples take different paths on NumPy (a probe of another shape,
an exception in one example only) are discarded.
"""

from __future__ import annotations

import random
import sys
import zlib
from collections import Counter
from dataclasses import dataclass

import numpy as onp

import tapegrad
import tapegrad.numpy as tnp
from tapegrad.core import Box, getval
from tapegrad.core.batching import BatchError
from tapegrad.numpy.batching import BatchScalarBox

from .check import ARGNUM, Discarded, Discrepancy, Recorder, _exc, _fresh, compare_probes, load, snapshot
from .programs import quiet

REFUSALS: Counter = Counter()  # (mode, first line of the BatchError's message) -> count


@dataclass(frozen=True)
class Plan:
    """How one program is mapped: ``axes`` is ``"both"`` (x and y along axis 0), ``"x"`` (y the same
    for every example), ``"y"`` (x the same), or ``"moved"`` (x along a later axis); ``scale`` is the
    size of the examples' perturbations; ``forward`` adds a forward-mode check (``jvp_inside``: the
    JVP inside vmap, else vmap inside the JVP)."""

    axes: str = "both"
    size: int = 3
    scale: float = 0.01
    forward: bool = False
    jvp_inside: bool = True
    axis: int = 1

    @classmethod
    def of_seed(cls, seed: int) -> "Plan":
        r = random.Random(seed * 7919 + 1)
        return cls(r.choice(["both", "both", "x", "y", "moved"]), r.choice([1, 2, 3, 3]),
                   r.choice([0.01, 0.01, 0.3]), seed % 3 == 0, seed % 2 == 0, r.randint(1, 3))


def _in_axes(plan: Plan, xs: list) -> tuple:
    """(x's axis, y's axis): None for an input that is the same for every example (always a Python float y);
    a moved axis is x's ``plan.axis`` (at most its last) and y's last."""
    x, y = xs
    ay = None if isinstance(y, float) else 0
    if plan.axes == "x":
        return 0, None
    if plan.axes == "y":
        return (None, 0) if ay is not None else (0, None)
    if plan.axes == "moved":
        return min(plan.axis, onp.ndim(x)), (ay if ay is None else onp.ndim(y))
    return 0, ay


def _unbatched_stack(v, size: int):
    return onp.stack([onp.asarray(v)] * size)


def batched_snapshot(v, size: int) -> tuple:
    """(kind, dtype, shape of an example, every example's value stacked on axis 0) of a probed value."""
    u = getval(v)
    if isinstance(u, Box) and u.batched:
        raw = onp.moveaxis(onp.asarray(u._value), u._node, 0).copy()
        return ("scalar" if isinstance(u, BatchScalarBox) else "array", raw.dtype, raw.shape[1:], raw)
    s = snapshot(u)
    if s[0] in ("array", "scalar"):
        return s[:3] + (_unbatched_stack(s[3], size),)
    return s


class BatchRecorder(Recorder):
    """The probe under vmap: every example's value at once; a caught BatchError is raised again."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def __call__(self, *values):
        for v in values:
            if isinstance(v, BatchError):
                raise v
        if self.on:
            line = sys._getframe(1).f_lineno
            self.items += [(line, j, batched_snapshot(v, self.size)) for j, v in enumerate(values)]


def _stack_examples(runs: list) -> list:
    """The probes of every example's NumPy run as one list of stacked snapshots (Discarded if they diverge)."""
    first = runs[0]
    if any(len(r) != len(first) for r in runs):
        raise Discarded("the examples probe different numbers of values")
    out = []
    for items in zip(*runs):
        (line, j, s0) = items[0]
        if any(it[:2] != (line, j) or it[2][:3] != s0[:3] for it in items):
            raise Discarded("the examples differ in a probed value's kind, dtype, shape or exception")
        if s0[0] in ("array", "scalar"):
            out.append((line, j, s0[:3] + (onp.stack([onp.asarray(it[2][3]) for it in items]),)))
        else:
            out.append(items[0])
    return out


class VCase:
    """One program, its examples, the NumPy oracle per example, and the batched inputs."""

    def __init__(self, source: str, plan: Plan, tg_numpy=tnp):
        self.source, self.plan = source, plan
        self.f_np, self.rec_np, xs = load(source, onp)
        self.rec_tg = BatchRecorder(plan.size)
        ns = {"np": tg_numpy, "probe": self.rec_tg, "array": onp.array}
        exec(compile(source, "<fuzz program>", "exec"), ns)
        self.f_tg, self.xs = ns["f"], xs
        self.axes = _in_axes(plan, xs)
        rng = onp.random.default_rng(zlib.crc32(source.encode()))
        self.batched = []  # the arguments of vmap
        for x, ax in zip(xs, self.axes):
            if ax is None:
                self.batched.append(x)
            else:
                moved = [x] + [onp.array(x + plan.scale * rng.standard_normal(onp.shape(x))) for _ in range(plan.size - 1)]
                self.batched.append(onp.stack(moved[:plan.size], ax))
        # an example is what a loop over the batch axis gives: NumPy's X[i] (a scalar for a 1-d X)
        self.examples = [[x if ax is None else x[(slice(None),) * ax + (i,)] for x, ax in zip(self.batched, self.axes)]
                         for i in range(plan.size)]
        self.single = "float32" in source or "complex64" in source
        rng2 = onp.random.default_rng(zlib.crc32(source.encode()) + 1)
        self.dirs = [[onp.array(rng2.standard_normal(onp.shape(x))) if isinstance(x, onp.ndarray) else
                      float(rng2.standard_normal()) for x in ex] for ex in self.examples]
        for ex, d in zip(self.examples[1:], self.dirs[1:]):  # an unbatched input has one direction
            for k, ax in enumerate(self.axes):
                if ax is None:
                    d[k] = self.dirs[0][k]

    def oracle(self) -> tuple:
        """NumPy on each example: the stacked losses and probes, or None if some example raises."""
        losses, runs, finals = [], [], []
        for ex in self.examples:
            self.rec_np.items = []
            fresh = [_fresh(x) for x in ex]
            try:
                with quiet():
                    loss = float(self.f_np(*fresh))
            except Exception:
                return None, None
            if not onp.isfinite(loss):
                raise Discarded("non-finite loss")
            if any(it[2][0] == "raised" and it[2][1] in ("NameError", "UnboundLocalError")
                   for it in self.rec_np.items):
                raise Discarded("the program catches its own NameError")
            losses.append(loss)
            runs.append(self.rec_np.items)
            finals.append(fresh)
        # what a plain vmap leaves in its inputs: batched ones as they were (a traced value is never
        # written into); an unbatched array as NumPy leaves it, if every example does the same
        self.finals = [x if ax is not None else (x if isinstance(x, float) else
                       (finals[0][k] if all(onp.array_equal(f[k], finals[0][k], equal_nan=True) for f in finals) else None))
                       for k, (x, ax) in enumerate(zip(self.batched, self.axes))]
        return onp.array(losses), _stack_examples(runs)

    def rtol(self, probes: list) -> float:
        kinds = {it[2][1].char for it in probes if it[2][0] in ("array", "scalar")}
        if kinds & set("e"):
            return None  # float16: values only
        return 1e-3 if self.single or kinds & set("fF") else 1e-6


def _close(a, b, rtol: float) -> bool:
    a, b = onp.asarray(a, dtype=float), onp.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    scale = 1.0 + (onp.abs(b).max() if b.size else 0.0)
    return bool(onp.allclose(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True))


def _run(c: VCase, mode: str, out: list, call, probes=None, record=True):
    """``call(inputs)`` on fresh copies of the batched inputs: the result, or None (refused or failed)."""
    c.rec_tg.items, c.rec_tg.on = [], record
    inputs = [_fresh(x) for x in c.batched]
    try:
        with quiet():
            result = call(inputs)
    except BatchError as e:
        REFUSALS[(mode, str(e).split("\n")[0][:160])] += 1
        return None
    except Exception as e:
        out.append(Discrepancy(f"raised {type(e).__name__}", mode, _exc(e)))
        return None
    finally:
        c.rec_tg.on = True
    if record and probes is not None:
        out += compare_probes(c.source, probes, c.rec_tg.items, mode)
    for a, b, ax in zip(inputs, c.finals if mode == "vmap" else c.batched, c.axes):
        if b is None and not isinstance(a, float):  # the examples leave an unbatched input differently
            out.append(Discrepancy("value", mode, "vmap wrote into an input passed with in_axes=None, where "
                                   "NumPy leaves it different in different examples"))
        elif b is not None and not onp.array_equal(a, b, equal_nan=True):
            what = "a batched input" if ax is not None else "an input with in_axes=None not as NumPy does"
            out.append(Discrepancy("input modified", mode, f"the batched run wrote into {what}"))
    return result


def _reference_grads(c: VCase):
    """Each example's gradient by tapegrad without vmap, or None where one raises."""
    c.rec_tg.on = False
    try:
        with quiet():
            return [tapegrad.grad(c.f_tg, ARGNUM)(*[_fresh(x) for x in ex]) for ex in c.examples]
    except Exception:
        return None
    finally:
        c.rec_tg.on = True


def _grad_mismatch(got, want, rtol) -> str | None:
    for k, (g, w) in enumerate(zip(got, want)):
        g = onp.asarray(getval(g))
        if g.shape != onp.shape(w) or not _close(g, w, rtol):
            return f"d/d{'xy'[k]}: got {g.shape} {g.ravel()[:6]!r}, want {onp.shape(w)} {onp.ravel(w)[:6]!r}"
    return None


def check_vmap(source: str, plan: Plan, tg_numpy=tnp) -> list:
    """Discrepancies between ``vmap`` of the program and NumPy (or tapegrad) on each example."""
    c = VCase(source, plan, tg_numpy)
    losses, probes = c.oracle()
    out: list = []
    f = tapegrad.vmap(c.f_tg, in_axes=c.axes)
    if losses is None:  # NumPy raises for some example: vmap must not return a value
        try:
            with quiet():
                res = f(*[_fresh(x) for x in c.batched])
        except Exception:
            return []
        return [Discrepancy("value", "vmap", f"NumPy raises for an example; vmap returned {res!r}")]
    rtol = c.rtol(probes)
    got = _run(c, "vmap", out, lambda xs: f(*xs), probes)
    if got is not None and not out:
        if not _same_kind_loss(got, losses, rtol or 1e-3):  # float16: values to its precision
            out.append(Discrepancy("loss", "vmap", f"NumPy {losses!r}, vmap {got!r}"))
    if out or rtol is None:
        return out
    refs = _reference_grads(c)
    if refs is None:
        return out
    per = [onp.stack([onp.asarray(getval(r[k]), dtype=float) for r in refs]) for k in range(2)]
    grad_rtol = rtol

    g = _run(c, "vmap(grad)", out, lambda xs: tapegrad.vmap(tapegrad.grad(c.f_tg, ARGNUM), in_axes=c.axes)(*xs),
             probes)
    if g is not None:
        bad = _grad_mismatch(g, per, grad_rtol)
        if bad:
            out.append(Discrepancy("gradient", "vmap(grad)", bad))

    def summed(X, Y):
        return tnp.sum(tapegrad.vmap(c.f_tg, in_axes=c.axes)(X, Y))

    g = _run(c, "grad(vmap)", out, lambda xs: tapegrad.grad(summed, ARGNUM)(*xs), probes)
    if g is not None:
        want = [p.sum(0) if ax is None else onp.moveaxis(p, 0, ax) for p, ax in zip(per, c.axes)]
        bad = _grad_mismatch(g, want, grad_rtol)
        if bad:
            out.append(Discrepancy("gradient", "grad(vmap)", bad))

    if plan.forward:
        _forward(c, refs, probes, grad_rtol, out)
    return out


def _same_kind_loss(got, losses, rtol) -> bool:
    got = onp.asarray(getval(got))
    return got.shape == losses.shape and _close(got, losses, rtol)


def _forward(c: VCase, refs: list, probes: list, rtol: float, out: list) -> None:
    want = onp.array([sum(float(onp.real(onp.vdot(onp.asarray(getval(g)), v))) for g, v in zip(r, d))
                      for r, d in zip(refs, c.dirs)])
    dirs = [d if ax is None else onp.stack([e[k] for e in c.dirs], ax) for k, (d, ax) in
            enumerate(zip(c.dirs[0], c.axes))]
    if c.plan.jvp_inside:
        mode = "vmap(jvp)"

        def call(xs):
            def one(x, y, vx, vy):
                return tapegrad.make_jvp(c.f_tg, ARGNUM)(x, y)((vx, vy))[1]
            return tapegrad.vmap(one, in_axes=c.axes + c.axes)(*xs, *dirs)
    else:
        mode = "jvp(vmap)"

        def call(xs):
            return tapegrad.make_jvp(tapegrad.vmap(c.f_tg, in_axes=c.axes), ARGNUM)(*xs)(tuple(dirs))[1]
    t = _run(c, mode, out, call, probes)
    if t is not None and not _close(getval(t), want, rtol):
        out.append(Discrepancy("gradient", mode, f"J v = {onp.asarray(getval(t))!r}, per example <grad, v> = {want!r}"))
