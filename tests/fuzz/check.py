"""Run one fuzz program under plain NumPy and under tapegrad; list where they disagree.

The oracles are NumPy and arithmetic, never tapegrad itself:

* values: every probed value (and the loss) under reverse mode and under forward mode has
  NumPy's kind (array or immutable scalar), dtype, shape and value; an exception caught by
  the program is of the same kind (TypeError, ValueError, IndexError...) as NumPy's;
* inputs: the traced runs leave the caller's arrays as they were;
* gradients: ``<grad, v>`` (reverse) and ``J v`` (forward) equal central finite differences
  of the plain-NumPy program along random directions ``v``, and each other;
* second order (when asked): ``u' H v`` by forward-over-reverse and by reverse-over-reverse
  equal a mixed central finite difference of the plain-NumPy program.

Finite differences are Richardson-extrapolated central differences (steps k and 2k), used
only where the loss is smooth at two consecutive step sizes (``Case.fd``): a direction that
crosses a kink or a jump (``//``, ``%``, an int cast, a mask flipping) within reach of every
step is skipped, not reported. Programs computing in float32 get larger steps and looser
tolerances; in float16, only values are compared. A program on which NumPy itself raises
is discarded (``Discarded``): generated programs never do (a statement NumPy rejects is
dropped or wrapped in try/except), but shrinking makes such candidates.
"""

from __future__ import annotations

import ast
import sys
import traceback
import zlib
from dataclasses import dataclass

import numpy as onp

import tapegrad
import tapegrad.numpy as tnp
from tapegrad.core import getval, vspace

from .programs import input_value, quiet

ARGNUM = (0, 1)


class Discarded(Exception):
    """NumPy raised on the program (or gave a non-finite loss): it tests nothing."""


@dataclass
class Discrepancy:
    kind: str    # raised <Type> | exception | kind | dtype | shape | value | loss | input modified | gradient ...
    mode: str    # reverse | forward | fwd-over-rev | rev-over-rev
    detail: str

    def key(self) -> tuple:
        """What shrinking must preserve."""
        return (self.kind, self.mode)

    def __str__(self) -> str:
        return f"[{self.mode}] {self.kind}: {self.detail}"


class Recorder:
    """The program's ``probe``: snapshots of values, with the probe's line and position."""

    def __init__(self):
        self.items: list = []
        self.on = True

    def __call__(self, *values):
        if self.on:
            line = sys._getframe(1).f_lineno
            self.items += [(line, j, snapshot(v)) for j, v in enumerate(values)]


def _builtin_base(t: type) -> type:
    """NumPy's private exception classes compare by the builtin class they derive from."""
    return next(c for c in t.__mro__ if c.__module__ == "builtins")


def snapshot(v) -> tuple:
    """(kind, dtype, shape, value) of a value as it is now."""
    v = getval(v)
    if isinstance(v, BaseException):
        return ("raised", _builtin_base(type(v)).__name__, None, f"{type(v).__name__}: {v}"[:200])
    if isinstance(v, onp.ndarray):
        return ("array", v.dtype, v.shape, v.copy())
    if isinstance(v, (onp.generic, bool, int, float, complex)):
        return ("scalar", onp.asarray(v).dtype, (), v)
    return ("other", type(v).__name__, None, repr(v)[:200])


def load(source: str, np_module) -> tuple:
    """The program's ``f`` with ``np = np_module``, its recorder and its inputs."""
    rec = Recorder()
    ns = {"np": np_module, "probe": rec, "array": onp.array}
    exec(compile(source, "<fuzz program>", "exec"), ns)
    return ns["f"], rec, [input_value(a) for a in ns["inputs"]]


def _fresh(x):
    """A copy of an input for one run (a Python float is immutable: itself)."""
    return x.copy() if isinstance(x, onp.ndarray) else x


def _like(x, value):
    """``value`` as the same kind of input as ``x``: a 0-d array stays an array, a float a float."""
    return onp.array(value) if isinstance(x, onp.ndarray) else float(value)


def _label(source_lines: list, line: int, j: int) -> str:
    """The expression probed: ``b`` for the second argument of ``probe(a, b)``."""
    try:
        call = ast.parse(source_lines[line - 1].strip()).body[0].value
        return f"line {line} {ast.unparse(call.args[j])}"
    except Exception:
        return f"line {line} value {j}"


def _short(v) -> str:
    """A value on one line, cut to a readable length."""
    s = " ".join(repr(v).split())
    return s if len(s) <= 240 else s[:237] + "..."


def _tol(dtype) -> tuple:
    return {"e": (1e-3, 1e-3), "f": (1e-5, 1e-6), "F": (1e-5, 1e-6)}.get(dtype.char, (1e-10, 1e-12))


def _same_values(a, b, dtype) -> bool:
    if dtype.kind in "fc":
        rtol, atol = _tol(dtype)
        return bool(onp.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
    return bool(onp.array_equal(a, b))


def compare_probes(source: str, expected: list, got: list, mode: str) -> list:
    """The first probed value where tapegrad's run differs from NumPy's (at most one)."""
    lines = source.split("\n")
    for n in range(max(len(expected), len(got))):
        a, b = (expected[n] if n < len(expected) else None), (got[n] if n < len(got) else None)
        if a is None or b is None or a[:2] != b[:2]:  # one run probed something the other did not
            def desc(item):
                return "probed nothing more" if item is None else f"{_label(lines, *item[:2])} = {_short(item[2][3])}"
            kind = "exception" if "raised" in (a and a[2][0], b and b[2][0]) else "value"
            return [Discrepancy(kind, mode, f"NumPy {desc(a)}; tapegrad {desc(b)}")]
    for (line, j, (k1, d1, s1, v1)), (_, _, (k2, d2, s2, v2)) in zip(expected, got):
        where = _label(lines, line, j)
        if (k1 == "raised") != (k2 == "raised") or (k1 == "raised" and d1 != d2):
            what = lambda k, v: v if k == "raised" else "no exception"  # noqa: E731
            return [Discrepancy("exception", mode, f"{where}: NumPy {what(k1, v1)}; tapegrad {what(k2, v2)}")]
        if k1 == "raised":
            continue
        if k1 != k2:
            return [Discrepancy("kind", mode, f"{where}: NumPy gives {k1} {_short(v1)}, tapegrad {k2} {_short(v2)}")]
        if d1 != d2:
            return [Discrepancy("dtype", mode, f"{where}: NumPy {d1}, tapegrad {d2}")]
        if s1 != s2:
            return [Discrepancy("shape", mode, f"{where}: NumPy {s1}, tapegrad {s2}")]
        if k1 != "other" and not _same_values(v1, v2, d1):
            return [Discrepancy("value", mode, f"{where}: NumPy {_short(v1)}, tapegrad {_short(v2)}")]
    return []


def _exc(e: BaseException) -> str:
    """An exception, with the innermost frame inside tapegrad (where to look)."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if "tapegrad" in f.filename]
    where = f" (at {frames[-1].filename.split('tapegrad/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(e).__name__}: {str(e)[:300]}{where}"


def _dot(a, b) -> float:
    return float(sum(onp.real(onp.vdot(onp.asarray(getval(p)), q)) for p, q in zip(a, b)))


class Case:
    """One program, loaded twice, with its finite-difference oracle."""

    def __init__(self, source: str, tg_numpy=tnp):
        self.source = source
        self.f_np, self.rec_np, self.xs = load(source, onp)
        self.f_tg, self.rec_tg, _ = load(source, tg_numpy)
        self.set_precision("float32" in source or "complex64" in source, False)
        rng = onp.random.default_rng(zlib.crc32(source.encode()))
        self.dirs = [[_like(x, rng.standard_normal(onp.shape(x))) for x in self.xs] for _ in range(2)]

    def set_precision(self, single: bool, half: bool) -> None:
        """Finite differences for the lowest precision the program computes in: float32
        rounding swamps small steps; float16 (``np.sin`` of a bool array) swamps any step,
        and its derivatives are not checked at all."""
        self.float32, self.float16 = single or half, half
        self.h = 1e-2 if self.float32 else 1e-4
        self.rtol = 1e-3 if self.float32 else 1e-6

    def loss_np(self, xs) -> float:
        self.rec_np.on = False
        try:
            with quiet():
                return float(self.f_np(*[_fresh(x) for x in xs]))
        finally:
            self.rec_np.on = True

    def at(self, v, s, u=None, t=0.0) -> float:
        """The plain program's loss at inputs + s v (+ t u)."""
        # _like: a 0-d input must stay a (mutable) 0-d array, not become a NumPy scalar
        return self.loss_np([_like(x, x + s * a + (t * c if u else 0)) for x, a, c in zip(self.xs, v, u or v)])

    def fd(self, v):
        """Directional derivative along v and its error estimate, or None where it is undefined.

        At each step k the loss is sampled at 9 points in [-2k, 2k]; uneven increments mean a
        jump or a kink in reach (``//``, ``%``, an int cast, a mask flipping). An estimate is
        returned once two consecutive steps (k and k/10) give even increments and agree, and the
        next finer step, where there is one, is even too: a staircase of many small jumps looks
        even at a coarse step, and can again at a step ten times finer (ten jumps an increment,
        then one), but not at the step after that. If no steps do, the direction is skipped.
        """
        steps = (self.h, self.h / 10, self.h / 100, self.h / 1000)
        prev = None
        try:
            for i, k in enumerate(steps):
                est = self._fd_step(v, k)
                if est is not None and prev is not None and self.agree(prev[0], est):
                    if i + 1 < len(steps) and self._fd_step(v, steps[i + 1]) is None:
                        return None
                    return prev[0], max(prev[1], est[1], abs(prev[0] - est[0]))
                prev = est
        except Exception:
            return None  # the perturbed program raised (a mask changed a shape, say)
        return None

    def _fd_step(self, v, k):
        """Richardson-extrapolated central difference at step k, or None if not smooth there."""
        ls = onp.array([self.at(v, t * k) for t in onp.linspace(-2, 2, 9)])
        if not onp.isfinite(ls).all():
            return None
        steps = onp.diff(ls)
        floor = (1e-6 if self.float32 else 1e-12) * (1 + onp.abs(ls).max())
        if onp.abs(onp.diff(steps)).max() > 0.5 * onp.abs(steps).max() + floor:
            return None
        d1, d2 = (ls[6] - ls[2]) / (2 * k), (ls[8] - ls[0]) / (4 * k)
        return (4 * d1 - d2) / 3, abs(d1 - d2)

    def fd2(self, v, u):
        """Mixed second derivative along v and u (central differences, Richardson), or None."""
        def d(k):
            corners = [self.at(v, a * k, u, b * k) for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
            return (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * k * k)

        for k in (1e-3, 1e-4):
            try:
                d1, d2 = d(k), d(2 * k)
            except Exception:
                return None
            if onp.isfinite(d1) and onp.isfinite(d2) and abs(d1 - d2) <= 1e-4 * (1 + abs(d1)):
                return (4 * d1 - d2) / 3, abs(d1 - d2)
        return None

    def agree(self, exact, approx) -> bool:
        value, err = approx
        return abs(exact - value) <= 3 * err + self.rtol * (1 + abs(exact) + abs(value))


def _unchanged(xs, before) -> bool:
    return all(onp.array_equal(a, b) for a, b in zip(xs, before))


def check(source: str, second_order: bool = False, tg_numpy=tnp) -> list:
    """Discrepancies between tapegrad and NumPy on one program (empty: it passes)."""
    c = Case(source, tg_numpy)
    try:
        with quiet():
            loss = c.f_np(*[_fresh(x) for x in c.xs])
        loss = float(loss)
    except Exception as e:
        raise Discarded(f"NumPy raised {type(e).__name__}: {e}") from e
    if not onp.isfinite(loss):
        raise Discarded("non-finite loss")
    if any(item[2][0] == "raised" and item[2][1] in ("NameError", "UnboundLocalError") for item in c.rec_np.items):
        raise Discarded("the program catches its own NameError")  # shrinking removed a definition
    kinds = {item[2][1].char for item in c.rec_np.items if item[2][0] in ("array", "scalar")}
    c.set_precision(c.float32 or bool(kinds & set("fF")), bool(kinds & set("e")))
    out: list = []
    fds = [None if c.float16 else c.fd(v) for v in c.dirs]
    grads = _reverse(c, loss, fds, out)
    _forward(c, loss, fds, grads, out)
    if second_order and not c.float32 and not out:
        _second(c, out)
    return out


def _run(c: Case, mode: str, loss: float, out: list, call):
    """Run ``call(xs)`` on fresh copies of the inputs; check probes, loss and inputs."""
    c.rec_tg.items = []
    xs = [_fresh(x) for x in c.xs]
    try:
        with quiet():
            result = call(xs)
    except Exception as e:
        out.append(Discrepancy(f"raised {type(e).__name__}", mode, _exc(e)))
        return None
    found = compare_probes(c.source, c.rec_np.items, c.rec_tg.items, mode)
    if not _unchanged(xs, c.xs):
        found.append(Discrepancy("input modified", mode, "the traced run wrote into the caller's array"))
    out += found
    return result


def _reverse(c: Case, loss: float, fds: list, out: list):
    res = _run(c, "reverse", loss, out, lambda xs: tapegrad.make_vjp(c.f_tg, ARGNUM)(*xs))
    if res is None:
        return None
    vjp, ans = res
    if not _same_values(loss, getval(ans), onp.dtype(float)):
        out.append(Discrepancy("loss", "reverse", f"NumPy {loss!r}, tapegrad {ans!r}"))
    try:
        with quiet():
            grads = vjp(vspace(ans).ones())
    except Exception as e:
        out.append(Discrepancy(f"raised {type(e).__name__}", "reverse (backward pass)", _exc(e)))
        return None
    if any(onp.shape(g) != onp.shape(x) or onp.asarray(getval(g)).dtype != float for g, x in zip(grads, c.xs)):
        got = [f"{onp.asarray(getval(g)).dtype}{onp.shape(g)}" for g in grads]
        out.append(Discrepancy("gradient", "reverse", f"gradients {got} for float64 inputs "
                               f"{[onp.shape(x) for x in c.xs]}"))
        return None
    for v, fd in zip(c.dirs, fds):
        if fd is not None and not c.agree(_dot(grads, v), fd):
            out.append(Discrepancy("gradient", "reverse",
                                   f"<grad, v> = {_dot(grads, v)!r}, finite differences {fd[0]!r}"))
            break
    return grads


def _forward(c: Case, loss: float, fds: list, grads, out: list) -> None:
    v = c.dirs[0]
    res = _run(c, "forward", loss, out, lambda xs: tapegrad.make_jvp(c.f_tg, ARGNUM)(*xs)(tuple(v)))
    if res is None:
        return
    ans, tangent = res
    if not _same_values(loss, getval(ans), onp.dtype(float)):
        out.append(Discrepancy("loss", "forward", f"NumPy {loss!r}, tapegrad {ans!r}"))
    if onp.asarray(getval(tangent)).dtype.kind != "f":
        out.append(Discrepancy("gradient", "forward", f"J v = {getval(tangent)!r} for a real loss"))
        return
    t = float(getval(tangent))
    if fds[0] is not None and not c.agree(t, fds[0]):
        out.append(Discrepancy("gradient", "forward", f"J v = {t!r}, finite differences {fds[0][0]!r}"))
    elif grads is not None and not c.float16 and not c.agree(t, (_dot(grads, v), 0.0)):
        out.append(Discrepancy("fwd-vs-rev", "forward", f"J v = {t!r}, reverse <grad, v> = {_dot(grads, v)!r}"))


def _second(c: Case, out: list) -> None:
    """u' H v two ways against a mixed finite difference of the plain program."""
    v, u = c.dirs
    fd = c.fd2(v, u)
    if fd is None:
        return
    g = tapegrad.grad(c.f_tg, ARGNUM)

    def fwd_over_rev(xs):
        return _dot(tapegrad.make_jvp(g, ARGNUM)(*xs)(tuple(v))[1], u)

    def rev_over_rev(xs):
        return _dot(tapegrad.grad(lambda *z: sum(tnp.sum(gi * ui) for gi, ui in zip(g(*z), u)), ARGNUM)(*xs), v)

    for mode, fun in (("fwd-over-rev", fwd_over_rev), ("rev-over-rev", rev_over_rev)):
        c.rec_tg.on = False
        xs = [_fresh(x) for x in c.xs]
        try:
            with quiet():
                value = fun(xs)
        except Exception as e:
            out.append(Discrepancy(f"raised {type(e).__name__}", mode, _exc(e)))
            continue
        finally:
            c.rec_tg.on = True
        if not _unchanged(xs, c.xs):
            out.append(Discrepancy("input modified", mode, "the traced run wrote into the caller's array"))
        elif not c.agree(value, fd):
            out.append(Discrepancy("second order", mode, f"u' H v = {value!r}, finite differences {fd[0]!r}"))
