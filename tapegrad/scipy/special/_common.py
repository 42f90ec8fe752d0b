"""Rule builders for the ``scipy.special`` primitives."""

from __future__ import annotations

from typing import Any, Callable

from ...core import def_rules
from ...numpy._wrap import broadcast_tangent, unbroadcast


def def_in_last(fun: Callable, deriv: Callable[..., Any], nargs: int, refused: dict | None = None) -> None:
    """Rules of a broadcasting function differentiable in its last argument only.

    ``deriv(ans, *args)`` is the partial derivative in the last argument (orders,
    shape parameters and the like come first and are static). ``refused`` maps
    other argument numbers to rules that raise a clear error.
    """
    last = nargs - 1

    def vjp(g: Any, ans: Any, *args: Any, **kw: Any) -> Any:
        return unbroadcast(g * deriv(ans, *args), args[last])

    def jvp(x_dot: Any, ans: Any, *args: Any, **kw: Any) -> Any:
        return broadcast_tangent(x_dot * deriv(ans, *args), ans)

    vjps: dict = {last: vjp}
    jvps: dict = {last: jvp}
    for argnum, rule in (refused or {}).items():
        vjps[argnum] = rule
        jvps[argnum] = rule
    def_rules(fun, vjp=vjps, jvp=jvps)


def def_partials(fun: Callable, *partials: Callable[..., Any]) -> None:
    """Rules of a broadcasting function of len(partials) arguments from ``d_k(ans, *args)``."""

    def make(k: int, d: Callable) -> tuple:
        def vjp(g: Any, ans: Any, *args: Any, **kw: Any) -> Any:
            return unbroadcast(g * d(ans, *args), args[k])

        def jvp(x_dot: Any, ans: Any, *args: Any, **kw: Any) -> Any:
            return broadcast_tangent(x_dot * d(ans, *args), ans)

        return vjp, jvp

    rules = [make(k, d) for k, d in enumerate(partials)]
    def_rules(fun, vjp=tuple(r[0] for r in rules), jvp=tuple(r[1] for r in rules))
