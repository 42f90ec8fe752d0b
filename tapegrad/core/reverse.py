"""Reverse mode: record a tape while the function runs, then replay it backwards.

The tape is a plain list of entries ``(primitive, argnums, parents, args,
kwargs, ans)`` in execution order, so it is already topologically sorted: the
backward pass is one iterative sweep, with no recursion and no graph search.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

from .box import _BOX_TYPES, Box, new_box
from .containers import Partial, add_cotangents, dense, pack_output
from .errors import NonDifferentiableError
from .primitive import Primitive
from .state import STATE
from .vspace import promote, vspace

_ROOT = (None, (), (), (), None, None)


def _no_rule(prim: Primitive, argnum: int, mode: str) -> NonDifferentiableError:
    return NonDifferentiableError(
        f"{prim.name} has no {mode}-mode derivative rule for argument {argnum}, and a traced "
        f"value reached it there. Pass a constant in that position, wrap the value with "
        f"tapegrad.stop_gradient if no gradient should flow, or define the rule with "
        f"tapegrad.extend.{'defvjp' if mode == 'reverse' else 'defjvp'}."
    )


class ReverseTrace:
    """One reverse-mode differentiation: its level and its tape."""

    __slots__ = ("level", "tape")

    def __init__(self, level: int) -> None:
        self.level = level
        self.tape: list = []

    def new_root(self, value: Any) -> Box:
        self.tape.append(_ROOT)
        return new_box(value, self, len(self.tape) - 1)

    def record(self, prim: Primitive, argnums: tuple, parents: tuple, vals: tuple, kwargs: dict, ans: Any) -> Any:
        if prim.vjp_joint is None:
            vjps = prim.vjps
            for a in argnums:
                if a not in vjps:
                    raise _no_rule(prim, a, "reverse")
        tape = self.tape
        tape.append((prim, argnums, parents, vals, kwargs or None, ans))
        cls = _BOX_TYPES.get(type(ans))
        if cls is None:
            return new_box(ans, self, len(tape) - 1)
        return cls(ans, self, len(tape) - 1)


def backward_pass(tape: list, end_node: int, g: Any) -> list:
    """Propagate cotangent ``g`` from ``end_node`` to every earlier node.

    Returns the list of cotangents, ``None`` where a node received nothing;
    intermediate cotangents are dropped as soon as they are used.
    """
    cts: list = [None] * (end_node + 1)
    cts[end_node] = g
    for i in range(end_node, -1, -1):
        g = cts[i]
        if g is None:
            continue
        prim, argnums, parents, vals, kwargs, ans = tape[i]
        if prim is None:
            continue
        cts[i] = None
        if type(g) is Partial:
            g = g.dense()
        if prim.vjp_joint is not None:
            outs = prim.vjp_joint(argnums, g, ans, vals, kwargs or {})
        elif len(argnums) == 1:
            rule = prim.vjps[argnums[0]]
            c = rule(g, ans, *vals, **kwargs) if kwargs else rule(g, ans, *vals)
            if c is not None:
                p = parents[0]
                old = cts[p]
                cts[p] = c if old is None else add_cotangents(old, c)
            continue
        elif len(argnums) == 2 and not kwargs:  # binary operators, without a list per entry
            vjps = prim.vjps
            for a, p in ((argnums[0], parents[0]), (argnums[1], parents[1])):
                c = vjps[a](g, ans, *vals)
                if c is not None:
                    old = cts[p]
                    cts[p] = c if old is None else add_cotangents(old, c)
            continue
        else:
            vjps = prim.vjps
            if kwargs:
                outs = [vjps[a](g, ans, *vals, **kwargs) for a in argnums]
            else:
                outs = [vjps[a](g, ans, *vals) for a in argnums]
        for p, c in zip(parents, outs):
            if c is not None:
                old = cts[p]
                cts[p] = c if old is None else add_cotangents(old, c)
    return cts


def make_vjp(fun: Callable[[Any], Any], x: Any) -> tuple[Callable[[Any], Any], Any]:
    """Trace ``fun`` at ``x``; return its VJP function and its value.

    The VJP may be called many times (once per row of a Jacobian): the tape is
    kept until the returned function is dropped.
    """
    x = promote(x)
    state = STATE  # the thread's trace depth; a try block is cheaper than a context manager
    state.depth += 1
    try:
        trace = ReverseTrace(state.depth)
        start = trace.new_root(x)
        out = pack_output(fun(start), trace)
    finally:
        state.depth -= 1
    if isinstance(out, Box) and out._trace is trace:
        tape, end_node, end_value = trace.tape, out._node, out._value

        def vjp(g: Any) -> Any:
            ct = backward_pass(tape, end_node, g)[0]
            return vspace(x).zeros() if ct is None else dense(ct)

        return vjp, end_value

    warnings.warn("Output seems independent of input.", stacklevel=3)
    return (lambda g: vspace(x).zeros()), out
