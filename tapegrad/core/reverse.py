"""Reverse mode: record a tape while the function runs, then replay it backwards.

The tape is a plain list of entries ``(rules, parents, args, kwargs, ans,
primitive, argnums)`` in execution order, so it is already topologically
sorted: the backward pass is one iterative sweep, with no recursion and no
graph search. ``rules`` are the primitive's VJPs for the traced arguments,
resolved when the call is recorded (``None`` for a joint rule or a root).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Optional

from .box import _BOX_TYPES, Box, finish, new_box, unwrap_constant
from .containers import LEAF_TYPES, Partial, add_cotangents, dense, pack_output
from .errors import NonDifferentiableError
from . import primitive as _primitive
from .fastpath import EXT
from .primitive import _ARG0, _ARG1, _ARG01, Primitive
from .state import CHECKS, SCOPE, STATE, new_level
from .vspace import promote, vspace

_ROOT = (None, (), (), None, None, None, ())
# Arrays at least this big (in elements) that a primitive's VJP does not read are
# kept on the tape as their shape and dtype only (see def_rules' vjp_reads).
SLIM_MIN_SIZE = 4096


class ShapeOnly:
    """What the tape keeps of an array whose data the VJP does not read.

    Keeping the whole array would hold its memory until the backward pass: in a
    network, each layer's pre-activations. Rules see ``shape``, ``dtype`` and
    ``ndim``, which is all that undoing a broadcast or a reduction needs.
    """

    __slots__ = ("shape", "dtype", "ndim")

    def __init__(self, value: Any) -> None:
        self.shape = value.shape
        self.dtype = value.dtype
        self.ndim = len(self.shape)

    def __repr__(self) -> str:
        return f"ShapeOnly(shape={self.shape}, dtype={self.dtype})"


_SHAPES: dict = {}  # (shape, dtype) -> its one ShapeOnly


def shape_only(value: Any) -> ShapeOnly:
    """The ``ShapeOnly`` of ``value``, one object per shape and dtype.

    A loop of element writes into one array leaves several per write on the tape;
    sharing them keeps the objects the garbage collector scans from growing with
    the tape (each is immutable).
    """
    key = (value.shape, value.dtype)
    found = _SHAPES.get(key)
    if found is None:
        if len(_SHAPES) >= 1024:  # a program of ever-new shapes: start again
            _SHAPES.clear()
        found = _SHAPES[key] = ShapeOnly(value)
    return found


# Value types that may be replaced by ShapeOnly (plain arrays, registered by
# tapegrad.numpy); boxes are always kept: looking at their size is not free.
_SIZED_TYPES: set = set()


def register_sized_type(value_type: type) -> None:
    """Declare that values of ``value_type`` have ``shape``, ``dtype`` and ``size``."""
    _SIZED_TYPES.add(value_type)


def _big(value: Any) -> bool:
    return type(value) in _SIZED_TYPES and value.size >= SLIM_MIN_SIZE


def _slim(keeps: tuple, vals: tuple, ans: Any) -> tuple[tuple, Any]:
    """``vals`` and ``ans`` as the tape keeps them for a primitive that reads only ``keeps``.

    The traces call this only when the output or the first argument is a large
    plain array, so that code on scalars and small arrays pays almost nothing.
    """
    keep_ans, kept = keeps
    out = None
    for i, v in enumerate(vals):
        if i not in kept and _big(v):
            if out is None:
                out = list(vals)
            out[i] = shape_only(v)
    if not keep_ans and _big(ans):
        ans = shape_only(ans)
    return (vals if out is None else tuple(out)), ans


def _no_rule(prim: Primitive, argnum: int, mode: str) -> NonDifferentiableError:
    return NonDifferentiableError(
        f"{prim.name} has no {mode}-mode derivative rule for argument {argnum}, and a traced "
        f"value reached it there. Pass a constant in that position, wrap the value with "
        f"tapegrad.stop_gradient if no gradient should flow, or define the rule with "
        f"tapegrad.extend.{'defvjp' if mode == 'reverse' else 'defjvp'}."
    )


def aligned_rules(prim: Primitive, joint: Any, table: dict, argnums: tuple, mode: str) -> Optional[tuple]:
    """The rules of ``table`` for ``argnums``, in order (``None`` if ``joint`` is set); raises if one is missing."""
    if joint is not None:
        return None
    for a in argnums:
        if a not in table:
            raise _no_rule(prim, a, mode)
    return tuple(table[a] for a in argnums)


def _resolve(prim: Primitive, argnums: tuple) -> tuple:
    """``(rules, keeps)`` for a call differentiated in ``argnums``; raises if a VJP is missing.

    ``rules`` are the VJPs aligned with argnums (``None`` with a joint rule);
    ``keeps`` is what the tape must keep for them (``None``: every value).
    """
    rules = aligned_rules(prim, prim.vjp_joint, prim.vjps, argnums, "reverse")
    keeps = None
    if prim.reads is not None:
        per_arg = [prim.reads.get(a, prim.reads.get(None)) for a in argnums]
        if None not in per_arg:
            keeps = (any(r[0] for r in per_arg), frozenset().union(*(r[1] for r in per_arg)))
    resolved = prim.vjp_cache[argnums] = (rules, keeps)
    return resolved


class ReverseTrace:
    """One reverse-mode differentiation: its level and its tape."""

    __slots__ = ("level", "tape")
    fuses = False  # the tape needs the value alone (see Primitive.value_and_jvp)
    computes = False  # the binds compute values (a batch trace computes its own)

    def __init__(self, level: int) -> None:
        self.level = level
        self.tape: list = []

    def new_root(self, value: Any) -> Box:
        self.tape.append(_ROOT)
        return new_box(value, self, len(self.tape) - 1)

    def record(self, prim: Primitive, argnums: tuple, parents: tuple, vals: tuple, kwargs: dict, ans: Any) -> Any:
        rules, keeps = prim.vjp_cache.get(argnums) or _resolve(prim, argnums)
        tape = self.tape
        if keeps is None or not (type(ans) in _SIZED_TYPES and ans.size >= SLIM_MIN_SIZE
                                 or type(vals[0]) in _SIZED_TYPES and vals[0].size >= SLIM_MIN_SIZE):
            tape.append((rules, parents, vals, kwargs or None, ans, prim, argnums))
        else:
            kept_vals, kept_ans = _slim(keeps, vals, ans)
            tape.append((rules, parents, kept_vals, kwargs or None, kept_ans, prim, argnums))
        cls = _BOX_TYPES.get(type(ans))
        if cls is None:
            return new_box(ans, self, len(tape) - 1)
        return cls(ans, self, len(tape) - 1)

    if EXT is not None:  # the same, in C

        def record(self, prim: Primitive, argnums: tuple, parents: tuple, vals: tuple, kwargs: dict, ans: Any) -> Any:  # noqa: F811
            return _ext_record(self, prim, argnums, parents, vals, kwargs, ans)

    # The two shapes of call that arithmetic makes, without building the generic arguments.

    def record_one(self, prim: Primitive, argnums: tuple, node: int, vals: tuple, ans: Any) -> Any:
        """A call without keywords and with one traced argument."""
        rules, keeps = prim.vjp_cache.get(argnums) or _resolve(prim, argnums)
        tape = self.tape
        if keeps is None or not (type(ans) in _SIZED_TYPES and ans.size >= SLIM_MIN_SIZE
                                 or type(vals[0]) in _SIZED_TYPES and vals[0].size >= SLIM_MIN_SIZE):
            tape.append((rules, (node,), vals, None, ans, prim, argnums))
        else:
            kept_vals, kept_ans = _slim(keeps, vals, ans)
            tape.append((rules, (node,), kept_vals, None, kept_ans, prim, argnums))
        cls = _BOX_TYPES.get(type(ans))
        if cls is None:
            return new_box(ans, self, len(tape) - 1)
        return cls(ans, self, len(tape) - 1)

    def record2(self, prim: Primitive, node0: int, node1: int, v0: Any, v1: Any, ans: Any) -> Any:
        """A two-argument call without keywords, both arguments traced here."""
        rules, keeps = prim.vjp_cache.get(_ARG01) or _resolve(prim, _ARG01)
        tape = self.tape
        if keeps is None or not (type(ans) in _SIZED_TYPES and ans.size >= SLIM_MIN_SIZE
                                 or type(v0) in _SIZED_TYPES and v0.size >= SLIM_MIN_SIZE):
            tape.append((rules, (node0, node1), (v0, v1), None, ans, prim, _ARG01))
        else:
            kept_vals, kept_ans = _slim(keeps, (v0, v1), ans)
            tape.append((rules, (node0, node1), kept_vals, None, kept_ans, prim, _ARG01))
        cls = _BOX_TYPES.get(type(ans))
        if cls is None:
            return new_box(ans, self, len(tape) - 1)
        return cls(ans, self, len(tape) - 1)


def release(trace: ReverseTrace, start: int, owns: Callable[[Any], bool], copy: Callable[[Any], Any]) -> None:
    """Let go of the values from entry ``start`` on that ``owns`` claims: their memory is about to be overwritten.

    A value the entry's VJP reads is kept as ``copy(value)``; one it does not
    read (``def_rules(vjp_reads=...)``) as its shape and dtype only.
    """
    tape = trace.tape
    for k in range(start, len(tape)):
        rules, parents, vals, kwargs, ans, prim, argnums = tape[k]
        if prim is None:
            continue  # an input
        keeps = (prim.vjp_cache.get(argnums) or _resolve(prim, argnums))[1]
        new_vals = None
        for i, v in enumerate(vals):
            if owns(v):
                if new_vals is None:
                    new_vals = list(vals)
                new_vals[i] = copy(v) if keeps is None or i in keeps[1] else shape_only(v)
        if owns(ans):
            ans = copy(ans) if keeps is None or keeps[0] else shape_only(ans)
        elif new_vals is None:
            continue
        tape[k] = (rules, parents, vals if new_vals is None else tuple(new_vals), kwargs, ans, prim, argnums)


def backward_pass(tape: list, end_node: int, g: Any) -> list:
    """Propagate cotangent ``g`` from ``end_node`` to every earlier node.

    Returns the list of cotangents, ``None`` where a node received nothing;
    intermediate cotangents are dropped as soon as they are used.
    """
    cts: list = [None] * (end_node + 1)
    cts[end_node] = g
    leaf_types = LEAF_TYPES  # cotangent types added with +, no container logic
    for i in range(end_node, -1, -1):
        g = cts[i]
        if g is None:
            continue
        rules, parents, vals, kwargs, ans, prim, argnums = tape[i]
        if rules is None:
            if prim is None:
                continue  # a root keeps its cotangent
            cts[i] = None
            if type(g) is Partial:
                g = g.dense()
            outs = prim.vjp_joint(argnums, g, ans, vals, kwargs or {})
        else:
            cts[i] = None
            if type(g) is Partial:
                g = g.dense()
            if kwargs is None:
                if len(rules) == 1:  # most entries: one traced argument
                    c = rules[0](g, ans, *vals)
                    if c is not None:
                        p = parents[0]
                        old = cts[p]
                        if old is None:
                            cts[p] = c
                        elif type(old) in leaf_types:
                            cts[p] = old + c
                        else:
                            cts[p] = add_cotangents(old, c)
                    continue
                outs = [r(g, ans, *vals) for r in rules]
            else:
                outs = [r(g, ans, *vals, **kwargs) for r in rules]
        for p, c in zip(parents, outs):
            if c is not None:
                old = cts[p]
                if old is None:
                    cts[p] = c
                elif type(old) in leaf_types:
                    cts[p] = old + c
                else:
                    cts[p] = add_cotangents(old, c)
    return cts


if EXT is not None:
    _ext_record = EXT.reverse_record
    EXT.configure(
        reverse_trace=ReverseTrace, box_types=_BOX_TYPES, sized_types=_SIZED_TYPES, leaf_types=LEAF_TYPES,
        partial=Partial, resolve=_resolve, slim=_slim, new_box=new_box, bind=_primitive._bind,
        add_cotangents=add_cotangents, arg0=_ARG0, arg1=_ARG1, arg01=_ARG01, reverse_globals=globals(),
    )
    backward_pass = EXT.backward_pass  # noqa: F811


def make_vjp(fun: Callable[[Any], Any], x: Any) -> tuple[Callable[[Any], Any], Any]:
    """Trace ``fun`` at ``x``; return its VJP function and its value.

    The VJP may be called many times (once per row of a Jacobian): the tape is
    kept until the returned function is dropped.
    """
    x = promote(x)
    state, scope = STATE, SCOPE  # the thread's trace depth; a try block is cheaper than a context manager
    checks = state.checks if CHECKS.used else None  # a debugging mode's traces (tapegrad.debug), or None
    token = scope.enter()
    state.depth += 1
    try:
        trace = ReverseTrace(new_level()) if checks is None else checks.reverse_trace(new_level())
        state.tapes.append(trace)
        start = trace.new_root(x)
        out = pack_output(fun(start), trace)
    finally:
        state.depth -= 1
        state.tapes.pop()
        scope.leave(token)
        finish(trace)
    if isinstance(out, Box) and out._trace is trace:
        tape, end_node, end_value = trace.tape, out._node, out._value

        def vjp(g: Any) -> Any:
            token = scope.enter()
            try:
                checks = state.checks if CHECKS.used else None  # the thread's debugging mode now, if any
                if checks is None:
                    ct = backward_pass(tape, end_node, g)[0]
                else:
                    ct = checks.backward_pass(tape, end_node, g)[0]
                return vspace(x).zeros() if ct is None else dense(ct)
            finally:
                scope.leave(token)

        vjp.primitives = lambda: {entry[5] for entry in tape if entry[5] is not None}  # type: ignore[attr-defined]
        return vjp, end_value

    warnings.warn("Output seems independent of input.", stacklevel=3)
    return (lambda g: vspace(x).zeros()), unwrap_constant(out)
