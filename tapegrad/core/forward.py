"""Forward mode: carry a tangent with each traced value as the function runs."""

from __future__ import annotations

from typing import Any, Callable, Optional

from .box import _BOX_TYPES, Box, finish, new_box, unwrap_constant
from .containers import LEAF_TYPES, add_cotangents, pack_output
from .primitive import _ARG01, Primitive
from .reverse import aligned_rules
from .state import CHECKS, SCOPE, STATE, new_level
from .vspace import promote, vspace

_UNRESOLVED = object()  # a cache miss (None means: a joint rule)


def _resolve(prim: Primitive, argnums: tuple) -> Optional[tuple]:
    """The JVPs of ``argnums`` (``None`` with a joint rule); raises if one is missing."""
    rules = prim.jvp_cache[argnums] = aligned_rules(prim, prim.jvp_joint, prim.jvps, argnums, "forward")
    return rules


class ForwardTrace:
    """One forward-mode differentiation; a box's node is its tangent."""

    __slots__ = ("level",)
    fuses = True  # may compute a value with its tangent (Primitive.value_and_jvp)
    computes = False  # the binds compute values (a batch trace computes its own)

    def __init__(self, level: int) -> None:
        self.level = level

    def record(self, prim: Primitive, argnums: tuple, tangents: tuple, vals: tuple, kwargs: dict, ans: Any) -> Any:
        rules = prim.jvp_cache.get(argnums, _UNRESOLVED)
        if rules is _UNRESOLVED:
            rules = _resolve(prim, argnums)
        if rules is None:
            t = prim.jvp_joint(argnums, tangents, ans, vals, kwargs)
        else:
            t = None
            for rule, x_dot in zip(rules, tangents):
                c = rule(x_dot, ans, *vals, **kwargs)
                if c is not None:
                    t = c if t is None else add_cotangents(t, c)
        # A value whose tangent is identically zero needs no tracing.
        return ans if t is None else new_box(ans, self, t)

    def record_one(self, prim: Primitive, argnums: tuple, tangent: Any, vals: tuple, ans: Any) -> Any:
        """A call without keywords and with one traced argument."""
        rules = prim.jvp_cache.get(argnums, _UNRESOLVED)
        if rules is _UNRESOLVED:
            rules = _resolve(prim, argnums)
        if rules is None:
            t = prim.jvp_joint(argnums, (tangent,), ans, vals, {})
        else:
            t = rules[0](tangent, ans, *vals)
        if t is None:
            return ans
        cls = _BOX_TYPES.get(type(ans))
        return cls(ans, self, t) if cls is not None else new_box(ans, self, t)

    def record_fused(self, prim: Primitive, argnums: tuple, tangent: Any, vals: tuple) -> Any:
        """``prim.fun(*vals)`` and its tangent by one rule; NotImplemented where it does not apply."""
        rule = prim.value_and_jvp.get(argnums[0])
        both = None if rule is None else rule(tangent, *vals)
        if both is None:
            return NotImplemented
        ans, t = both
        return new_box(ans, self, t)

    def record2(self, prim: Primitive, t0: Any, t1: Any, v0: Any, v1: Any, ans: Any) -> Any:
        """A two-argument call without keywords, both arguments traced here."""
        rules = prim.jvp_cache.get(_ARG01, _UNRESOLVED)
        if rules is _UNRESOLVED:
            rules = _resolve(prim, _ARG01)
        if rules is None:
            t = prim.jvp_joint(_ARG01, (t0, t1), ans, (v0, v1), {})
        else:
            t = rules[0](t0, ans, v0, v1)
            c = rules[1](t1, ans, v0, v1)
            if t is None:
                t = c
            elif c is not None:
                t = t + c if type(t) in LEAF_TYPES else add_cotangents(t, c)
        return ans if t is None else new_box(ans, self, t)


def make_jvp(fun: Callable[[Any], Any], x: Any) -> Callable[[Any], tuple[Any, Any]]:
    """Return ``jvp(v) -> (fun(x), J(x) @ v)``, computed in one forward pass."""

    x = promote(x)

    def jvp(v: Any) -> tuple[Any, Any]:
        state, scope = STATE, SCOPE
        checks = state.checks if CHECKS.used else None  # a debugging mode's traces (tapegrad.debug), or None
        token = scope.enter()
        state.depth += 1
        try:
            trace = ForwardTrace(new_level()) if checks is None else checks.forward_trace(new_level())
            out = pack_output(fun(new_box(x, trace, v)), trace)
        finally:
            state.depth -= 1
            scope.leave(token)
            finish(trace)
        if isinstance(out, Box) and out._trace is trace:
            return out._value, out._node
        out = unwrap_constant(out)
        return out, vspace(out).zeros()

    return jvp
