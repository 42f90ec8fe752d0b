"""NaN and infinity hunting: stop at the operation where a NaN or an infinity is born.

Inside ``with tapegrad.debug_nans():`` (or for a whole run, with the
environment variable ``TAPEGRAD_DEBUG_NANS=1`` set before tapegrad is
imported), every differentiation checks each value it traces. It raises
:class:`NonFiniteError` at the first primitive whose result, or whose
derivative in the backward pass (its VJP) or in forward mode (its JVP), holds

* a NaN where none of its inputs holds a NaN, or
* an infinity where all of its inputs are finite (``infs=False`` skips this),

naming the primitive as the user called it (``numpy.log``), the user's file
and line that called it, and the shapes, dtypes and ranges of its inputs.
Infinities and NaNs that the program is given, or that it carries on from
earlier results, raise nothing: the error is about where one is *born*.

>>> import tapegrad
>>> import tapegrad.numpy as np
>>> with tapegrad.debug_nans():  # doctest: +ELLIPSIS
...     tapegrad.grad(lambda x: np.sum(np.log(x)))(np.array([1.0, -1.0]))
Traceback (most recent call last):
    ...
tapegrad.debug.NonFiniteError: numpy.log returned NaN at 1 of 2 elements (the first at index (1,)) from inputs without NaN...

How it stays free when off: ``make_vjp`` and ``make_jvp`` open the traces of
``STATE.checks`` instead of the plain ones while a mode is set
(``tapegrad.core.state``). This module's traces record through Python
methods (the C fast path calls those of any trace that is not the plain
reverse trace), and its backward pass is a Python sweep that checks each
cotangent. Nothing in the plain traces, the C path or the plain sweeps tests
for the mode.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any, Iterator, Optional

import numpy as _np

from ._sites import Site, SiteTrace, call_site, describe, format_site, operator_note, source_line, user_name
from .core.box import Box
from .core.containers import Partial, add_cotangents
from .core.errors import TapegradError
from .core.forward import ForwardTrace
from .core.primitive import Primitive
from .core.reverse import ReverseTrace
from .core.state import CHECKS, STATE

__all__ = ["NonFiniteError", "debug_nans"]

ENVIRONMENT_VARIABLE = "TAPEGRAD_DEBUG_NANS"


class NonFiniteError(TapegradError, FloatingPointError):
    """A NaN or an infinity was born in a traced operation, in tapegrad's NaN debug mode.

    ``primitive`` is the operation's name (``numpy.log``), ``site`` the user's
    ``(filename, line, function)`` that called it (None if unknown), and
    ``phase`` where it happened: ``"value"``, ``"vjp"`` (the backward pass) or
    ``"jvp"`` (forward mode).
    """

    def __init__(self, message: str, primitive: str = "", site: Optional[Site] = None, phase: str = "value") -> None:
        super().__init__(message)
        self.primitive = primitive
        self.site = site
        self.phase = phase


# ----- what a value holds ---------------------------------------------------------


def _flaws(value: Any) -> int:
    """1 if ``value`` holds a NaN, 2 if an infinity, 3 if both, 0 if neither (or it is not floating point).

    Containers and sparse cotangents are looked into; values the tape did not
    keep (``ShapeOnly``) and other objects count as finite.
    """
    while isinstance(value, Box):
        value = value._value
    t = type(value)
    if t is float or t is complex:
        if value == value:
            return 0 if value - value == 0 else 2
        return 1
    if isinstance(value, (_np.ndarray, _np.generic)):
        if value.dtype.kind not in "fc" or value.size == 0:
            return 0
        if value.size > 1:
            if _np.isfinite(value).all():
                return 0
            return (1 if _np.isnan(value).any() else 0) | (2 if _np.isinf(value).any() else 0)
        if _np.isfinite(value):
            return 0
        return 1 if _np.isnan(value) else 2
    if t is tuple or t is list:
        flaws = 0
        for v in value:
            flaws |= _flaws(v)
        return flaws
    if t is dict:
        return _flaws(list(value.values()))
    if t is Partial:
        return _flaws(list(value.parts.values()) if isinstance(value.parts, dict) else value.parts)
    return 0


def _born(out: int, inputs: int, infs: bool) -> int:
    """What ``out`` holds that its inputs do not explain: 1 (a NaN), 2 (an infinity) or 0."""
    if out & 1 and not inputs & 1:
        return 1
    if infs and out & 2 and not inputs:
        return 2
    return 0


def _inputs_flaws(vals: tuple, kwargs: Optional[dict]) -> int:
    flaws = 0
    for v in vals:
        flaws |= _flaws(v)
    if kwargs:
        for v in kwargs.values():
            flaws |= _flaws(v)
    return flaws


def _where(value: Any, kind: int) -> str:
    """``at 2 of 10 elements (the first at index (3,))`` for an array value; '' for a scalar."""
    while isinstance(value, Box):
        value = value._value
    if isinstance(value, Partial):
        return ""
    if not isinstance(value, _np.ndarray) or value.size <= 1:
        return ""
    bad = _np.isnan(value) if kind == 1 else _np.isinf(value)
    count = int(_np.count_nonzero(bad))
    first = tuple(int(i) for i in _np.unravel_index(int(_np.argmax(bad.reshape(-1))), value.shape))
    return f" at {count} of {value.size} elements (the first at index {first})"


# ----- the messages -------------------------------------------------------------

# What usually makes a primitive's value or derivative NaN or infinite, and what to do.
_HINTS = {
    "log": "log is -inf at 0 and NaN below 0: keep its argument positive (np.log(x + eps), or "
           "parameterise a positive quantity as np.exp(z)); its derivative 1/x is infinite at 0.",
    "sqrt": "sqrt is NaN below 0 and its derivative is infinite at 0: add a small constant "
            "(np.sqrt(x + eps); for a norm, np.sqrt(np.sum(x ** 2) + eps)).",
    "power": "x ** p is NaN for a negative x and a non-integer p, infinite at x = 0 for p < 0, "
             "and its derivative is infinite at x = 0 for p < 1.",
    "divide": "a division by zero (or 0 / 0).",
    "reciprocal": "a division by zero.",
    "exp": "exp overflows above about 709 in float64: work in logs (np.logaddexp, "
           "scipy.special.logsumexp) or subtract the maximum first.",
    "arcsin": "arcsin is NaN outside [-1, 1] and its derivative is infinite at -1 and 1.",
    "arccos": "arccos is NaN outside [-1, 1] and its derivative is infinite at -1 and 1.",
    "arctanh": "arctanh is infinite at -1 and 1 and NaN outside [-1, 1].",
    "multiply": "0 times an infinity, or an overflow.",
    "subtract": "an infinity minus itself, or an overflow.",
    "add": "an infinity plus its negative, or an overflow.",
}
for _name in ("log2", "log10"):
    _HINTS[_name] = _HINTS["log"]
_HINTS["log1p"] = "log1p is -inf at -1 and NaN below -1; its derivative is infinite at -1."
_HINTS["true_divide"] = _HINTS["divide"]
for _name in ("exp2", "expm1", "cosh", "sinh"):
    _HINTS[_name] = _HINTS["exp"].replace("exp overflows", f"{_name} overflows")
_HINTS["float_power"] = _HINTS["power"]

_DISCARDED = ("If this value is discarded later (a branch np.where does not select), select the "
              "input instead, so that every branch stays finite: np.sqrt(np.where(x > 0, x, 1.0)).")

_FOOTER = ("(tapegrad.debug_nans: stopped at the first traced operation whose result held a NaN its "
           "inputs did not, or an infinity from finite inputs.)")


def _what(kind: int) -> str:
    return "NaN" if kind == 1 else "infinite"


def _from(kind: int) -> str:
    return "from inputs without NaN" if kind == 1 else "from finite inputs"


def _site_lines(prim: Primitive, site: Optional[Site], within: Optional[tuple] = None) -> list:
    lines = [f"  {user_name(prim)} was called at {format_site(site)}"]
    text = source_line(site)
    if text:
        lines.append(f"      {text}")
    if within is not None:
        rule_prim, rule_site, phase = within
        lines.append(f"  (as a step of the {phase} of {user_name(rule_prim)}, called at {format_site(rule_site)}:"
                     " this is a higher derivative)")
    return lines


def _argument_lines(vals: tuple, kwargs: Optional[dict], traced: tuple) -> list:
    lines = []
    for i, v in enumerate(vals):
        mark = " (traced)" if i in traced else ""
        lines.append(f"  argument {i}{mark}: {describe(v)}")
    for k, v in (kwargs or {}).items():
        lines.append(f"  {k}={describe(v)}")
    return lines


def _context_lines() -> list:
    """Where a rule's own operations stand (higher-order derivatives), if inside one."""
    stack = _CONTEXT.stack
    if not stack:
        return []
    prim, site, phase = stack[-1]
    return [f"  (inside the {phase} of {user_name(prim)}, called at {format_site(site)})"]


def _hint(prim: Primitive, extra: str = "", within: Optional[tuple] = None) -> list:
    hint = _HINTS.get(prim.name) or (within is not None and _HINTS.get(within[0].name))
    lines = [f"  hint: {hint}"] if hint else []
    if extra:
        lines.append(f"  {extra}")
    return lines


def _value_error(prim: Primitive, site: Optional[Site], vals: tuple, kwargs: Optional[dict], traced: tuple,
                 ans: Any, kind: int) -> NonFiniteError:
    name = user_name(prim)
    head = f"{name}{operator_note(prim)} returned {_what(kind)}{_where(ans, kind)} {_from(kind)}."
    lines = [head, *_site_lines(prim, site), *_context_lines(), *_argument_lines(vals, kwargs, traced),
             *_hint(prim, _DISCARDED), _FOOTER]
    return NonFiniteError("\n".join(lines), name, site, "value")


def _vjp_error(prim: Primitive, site: Optional[Site], within: Optional[tuple], argnum: int, g: Any, ans: Any,
               vals: tuple, kwargs: Optional[dict], traced: tuple, c: Any, kind: int) -> NonFiniteError:
    name = user_name(prim)
    head = (f"The derivative of {name}{operator_note(prim)} in the backward pass (its VJP for argument "
            f"{argnum}) is {_what(kind)}{_where(c, kind)} {_from(kind)}.")
    lines = [head, *_site_lines(prim, site, within), *_context_lines(), f"  cotangent of its result: {describe(g)}",
             f"  its result: {describe(ans)}", *_argument_lines(vals, kwargs, traced), *_hint(prim, within=within),
             _FOOTER]
    return NonFiniteError("\n".join(lines), name, site, "vjp")


def _jvp_error(prim: Primitive, site: Optional[Site], vals: tuple, kwargs: Optional[dict], traced: tuple,
               tangents: tuple, t: Any, kind: int) -> NonFiniteError:
    name = user_name(prim)
    head = (f"The derivative of {name}{operator_note(prim)} in forward mode (its JVP) is "
            f"{_what(kind)}{_where(t, kind)} {_from(kind)} and finite tangents.")
    tangent_lines = [f"  tangent of argument {a}: {describe(v)}" for a, v in zip(traced, tangents)]
    lines = [head, *_site_lines(prim, site), *_context_lines(), *_argument_lines(vals, kwargs, traced),
             *tangent_lines, *_hint(prim, _DISCARDED), _FOOTER]
    return NonFiniteError("\n".join(lines), name, site, "jvp")


# ----- the traces and the sweep --------------------------------------------------


class _Context(threading.local):
    """The rules running on this thread, innermost last: ``(prim, site, 'VJP' or 'JVP')``."""

    def __init__(self) -> None:
        self.stack: list = []


_CONTEXT = _Context()


def _check_value(trace: Any, prim: Primitive, site: Optional[Site], argnums: tuple, vals: tuple,
                 kwargs: Optional[dict], ans: Any) -> None:
    out = _flaws(ans)
    if out:
        kind = _born(out, _inputs_flaws(vals, kwargs), trace.infs)
        if kind:
            raise _value_error(prim, site, vals, kwargs, argnums, ans, kind)


class _DebugReverseTrace(SiteTrace):
    """A reverse trace that checks each value it records (and remembers where it was called from)."""

    __slots__ = ("infs",)

    def __init__(self, level: int, infs: bool) -> None:
        super().__init__(level)
        self.infs = infs

    def _note(self, site: Optional[Site]) -> None:
        """Remember where the last entry came from, and which rule was running (higher order)."""
        tape = self.tape
        node = len(tape) - 1
        tape.sites[node] = site
        stack = _CONTEXT.stack
        if stack:
            tape.within[node] = stack[-1]

    def record(self, prim: Primitive, argnums: tuple, parents: tuple, vals: tuple, kwargs: dict, ans: Any) -> Any:
        site = call_site()
        _check_value(self, prim, site, argnums, vals, kwargs, ans)
        box = ReverseTrace.record(self, prim, argnums, parents, vals, kwargs, ans)
        self._note(site)
        return box

    def record_one(self, prim: Primitive, argnums: tuple, node: int, vals: tuple, ans: Any) -> Any:
        site = call_site()
        _check_value(self, prim, site, argnums, vals, None, ans)
        box = ReverseTrace.record_one(self, prim, argnums, node, vals, ans)
        self._note(site)
        return box

    def record2(self, prim: Primitive, node0: int, node1: int, v0: Any, v1: Any, ans: Any) -> Any:
        site = call_site()
        _check_value(self, prim, site, (0, 1), (v0, v1), None, ans)
        box = ReverseTrace.record2(self, prim, node0, node1, v0, v1, ans)
        self._note(site)
        return box


class _DebugForwardTrace(ForwardTrace):
    """A forward trace that checks each value and each tangent it computes."""

    __slots__ = ("infs",)

    def __init__(self, level: int, infs: bool) -> None:
        super().__init__(level)
        self.infs = infs

    def _checked(self, prim: Primitive, site: Optional[Site], argnums: tuple, tangents: tuple, vals: tuple,
                 kwargs: Optional[dict], out: Any) -> Any:
        if isinstance(out, Box) and out._trace is self:
            t = out._node
            flaws = _flaws(t)
            if flaws:
                inputs = _inputs_flaws(vals, kwargs) | _flaws(out._value) | _flaws(tangents)
                kind = _born(flaws, inputs, self.infs)
                if kind:
                    raise _jvp_error(prim, site, vals, kwargs, argnums, tangents, t, kind)
        return out

    def _rules(self, prim: Primitive, site: Optional[Site], compute: Any, *args: Any) -> Any:
        stack = _CONTEXT.stack
        stack.append((prim, site, "JVP"))
        try:
            return compute(self, *args)
        finally:
            stack.pop()

    def record(self, prim: Primitive, argnums: tuple, tangents: tuple, vals: tuple, kwargs: dict, ans: Any) -> Any:
        site = call_site()
        _check_value(self, prim, site, argnums, vals, kwargs, ans)
        out = self._rules(prim, site, ForwardTrace.record, prim, argnums, tangents, vals, kwargs, ans)
        return self._checked(prim, site, argnums, tangents, vals, kwargs, out)

    def record_one(self, prim: Primitive, argnums: tuple, tangent: Any, vals: tuple, ans: Any) -> Any:
        site = call_site()
        _check_value(self, prim, site, argnums, vals, None, ans)
        out = self._rules(prim, site, ForwardTrace.record_one, prim, argnums, tangent, vals, ans)
        return self._checked(prim, site, argnums, (tangent,), vals, None, out)

    def record2(self, prim: Primitive, t0: Any, t1: Any, v0: Any, v1: Any, ans: Any) -> Any:
        site = call_site()
        _check_value(self, prim, site, (0, 1), (v0, v1), None, ans)
        out = self._rules(prim, site, ForwardTrace.record2, prim, t0, t1, v0, v1, ans)
        return self._checked(prim, site, (0, 1), (t0, t1), (v0, v1), None, out)

    def record_fused(self, prim: Primitive, argnums: tuple, tangent: Any, vals: tuple) -> Any:
        site = call_site()
        out = self._rules(prim, site, ForwardTrace.record_fused, prim, argnums, tangent, vals)
        if out is NotImplemented:
            return out
        _check_value(self, prim, site, argnums, vals, None, out._value if isinstance(out, Box) else out)
        return self._checked(prim, site, argnums, (tangent,), vals, None, out)


def _backward_pass(tape: list, end_node: int, g: Any, infs: bool) -> list:
    """``core.reverse.backward_pass``, checking each cotangent a rule returns.

    The same sweep, line for line, in Python, plus the checks. It holds one more
    reference to each cotangent than the plain sweeps do, so the array layer
    never takes one for its own to change in place (``assignment._owned`` counts
    references as the plain sweeps hold them): slower, never different.
    """
    sites = getattr(tape, "sites", {})
    within = getattr(tape, "within", {})
    stack = _CONTEXT.stack
    cts: list = [None] * (end_node + 1)
    cts[end_node] = g
    for i in range(end_node, -1, -1):
        g = cts[i]
        if g is None:
            continue
        rules, parents, vals, kwargs, ans, prim, argnums = tape[i]
        if rules is None and prim is None:
            continue  # a root keeps its cotangent
        cts[i] = None
        if type(g) is Partial:
            g = g.dense()
        held = g  # the extra reference (see the docstring)
        site = sites.get(i)
        stack.append((prim, site, "VJP"))
        try:
            if rules is None:
                outs = prim.vjp_joint(argnums, g, ans, vals, kwargs or {})
            elif kwargs is None:
                outs = [r(g, ans, *vals) for r in rules]
            else:
                outs = [r(g, ans, *vals, **kwargs) for r in rules]
        finally:
            stack.pop()
        inputs = -1  # the flaws of the rule's inputs, found only if a result has any
        for argnum, p, c in zip(argnums, parents, outs):
            if c is None:
                continue
            flaws = _flaws(c)
            if flaws:
                if inputs < 0:
                    inputs = _flaws(held) | _flaws(ans) | _inputs_flaws(vals, kwargs)
                kind = _born(flaws, inputs, infs)
                if kind:
                    raise _vjp_error(prim, site, within.get(i), argnum, held, ans, vals, kwargs, argnums, c, kind)
            old = cts[p]
            cts[p] = c if old is None else add_cotangents(old, c)  # the plain sweeps inline its first case
        del held
    return cts


class _Mode:
    """The checks of one setting (see ``tapegrad.core.state.CHECKS``)."""

    __slots__ = ("infs",)

    def __init__(self, infs: bool) -> None:
        self.infs = infs

    def reverse_trace(self, level: int) -> ReverseTrace:
        return _DebugReverseTrace(level, self.infs)

    def forward_trace(self, level: int) -> ForwardTrace:
        return _DebugForwardTrace(level, self.infs)

    def backward_pass(self, tape: list, end_node: int, g: Any) -> list:
        return _backward_pass(tape, end_node, g, self.infs)

    def __repr__(self) -> str:
        return f"<tapegrad NaN debug mode, infs={self.infs}>"


_MODES = {True: _Mode(True), False: _Mode(False)}


def _prepare() -> None:
    """Let the array layer count its sweeps' references (once per process) before a debugging sweep runs.

    ``assignment._owned`` learns, on its first use, how many references a
    cotangent has when only the sweep holds it; learnt in a debugging sweep
    (which holds more), it would take too many for "only". So it learns them
    here, on the plain traces and sweeps.
    """
    from .numpy import assignment

    calibrate = getattr(assignment, "_calibrate_owned", None)
    known = getattr(assignment, "_OWNED", None)
    if calibrate is None or known is None:
        return
    saved, STATE.checks = STATE.checks, None
    try:
        for mode in ("vjp", "jvp", "sum"):
            if mode not in known:
                calibrate(mode)
    finally:
        STATE.checks = saved


@contextlib.contextmanager
def debug_nans(enabled: bool = True, *, infs: bool = True) -> Iterator[None]:
    """Check every traced value, derivative included, for NaN and infinity, on this thread.

    Within the block, differentiation (``grad`` and every other operator, in
    both modes, at any order) raises :class:`NonFiniteError` at the first
    primitive whose result, or whose derivative in the backward pass (VJP) or
    forward mode (JVP), holds a NaN although its inputs hold none, or (with
    ``infs=True``) an infinity although its inputs are all finite. The error
    names the primitive, the user's file and line that called it, and its
    inputs' shapes, dtypes and ranges. ``debug_nans(False)`` turns the checks
    off within the block (after ``TAPEGRAD_DEBUG_NANS=1``). Checked traces run
    several times slower than plain ones; outside the block nothing changes.

    >>> import tapegrad
    >>> import tapegrad.numpy as np
    >>> def loss(x):
    ...     return np.sum(np.sqrt(x))
    >>> with tapegrad.debug_nans():  # doctest: +ELLIPSIS
    ...     tapegrad.grad(loss)(np.array([4.0, 0.0]))
    Traceback (most recent call last):
        ...
    tapegrad.debug.NonFiniteError: The derivative of numpy.sqrt in the backward pass (its VJP for argument 0) is infinite at 1 of 2 elements (the first at index (1,)) from finite inputs...
    >>> with tapegrad.debug_nans():
    ...     tapegrad.grad(loss)(np.array([4.0, 1.0]))
    array([0.25, 0.5 ])
    """
    mode = _MODES[bool(infs)] if enabled else None
    if mode is not None:
        _prepare()
    saved = STATE.checks
    STATE.checks = mode
    CHECKS.used = True
    try:
        yield
    finally:
        STATE.checks = saved


def enable_from_environment(environ: Any = os.environ) -> bool:
    """Turn the checks on for the whole process if ``TAPEGRAD_DEBUG_NANS`` is set (not ``0``); True if so.

    ``TAPEGRAD_DEBUG_NANS=nan`` checks for NaN only (``infs=False``).
    """
    value = environ.get(ENVIRONMENT_VARIABLE, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    mode = _MODES[value != "nan"]
    _prepare()
    CHECKS.default = mode
    STATE.checks = mode
    CHECKS.used = True
    return True
