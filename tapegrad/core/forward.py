"""Forward mode: carry a tangent with each traced value as the function runs."""

from __future__ import annotations

from typing import Any, Callable

from .box import Box, new_box
from .containers import add_cotangents, pack_output
from .primitive import Primitive
from .reverse import _no_rule
from .state import STATE
from .vspace import promote, vspace


class ForwardTrace:
    """One forward-mode differentiation; a box's node is its tangent."""

    __slots__ = ("level",)

    def __init__(self, level: int) -> None:
        self.level = level

    def record(self, prim: Primitive, argnums: tuple, tangents: tuple, vals: tuple, kwargs: dict, ans: Any) -> Any:
        if prim.jvp_joint is not None:
            t = prim.jvp_joint(argnums, tangents, ans, vals, kwargs)
        else:
            jvps = prim.jvps
            t = None
            for a, x_dot in zip(argnums, tangents):
                rule = jvps.get(a)
                if rule is None:
                    raise _no_rule(prim, a, "forward")
                c = rule(x_dot, ans, *vals, **kwargs)
                if c is not None:
                    t = c if t is None else add_cotangents(t, c)
        # A value whose tangent is identically zero needs no tracing.
        return ans if t is None else new_box(ans, self, t)


def make_jvp(fun: Callable[[Any], Any], x: Any) -> Callable[[Any], tuple[Any, Any]]:
    """Return ``jvp(v) -> (fun(x), J(x) @ v)``, computed in one forward pass."""

    x = promote(x)

    def jvp(v: Any) -> tuple[Any, Any]:
        state = STATE
        state.depth += 1
        try:
            trace = ForwardTrace(state.depth)
            out = pack_output(fun(new_box(x, trace, v)), trace)
        finally:
            state.depth -= 1
        if isinstance(out, Box) and out._trace is trace:
            return out._value, out._node
        return out, vspace(out).zeros()

    return jvp
