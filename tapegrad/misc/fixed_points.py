"""Fixed points ``x* = f(a)(x*)`` differentiated by the implicit function theorem.

The iteration itself is not traced: the fixed point is a primitive, and its
derivatives solve linear fixed-point problems of their own. With
``J_x = d f(a)(x)/dx`` and ``J_a = d f(a)(x)/da`` at ``x*``:

* reverse mode: ``u = g + u J_x`` (iterated like the forward problem), then ``a_bar = u J_a``;
* forward mode: ``t = J_a a_dot + J_x t``.

Both are solved with :func:`fixed_point` itself on traced parameters, so higher
derivatives follow the same way. They converge where the forward iteration
converges linearly (spectral radius of ``J_x`` below 1), which includes
Newton's method (``J_x = 0`` at the root).
"""

from __future__ import annotations

from typing import Any, Callable

from ..builtins import tuple as _traced_tuple
from ..core import def_rules, make_jvp, make_vjp, primitive, vspace
from ..core.containers import pack

__all__ = ["fixed_point"]


def _iterate(f: Callable, a: Any, x0: Any, distance: Callable, tol: float) -> Any:
    step = f(a)
    x, x_prev = step(x0), x0
    while distance(x, x_prev) > tol:
        x, x_prev = step(x), x
    return x


_fixed_point = primitive(_iterate, "fixed_point")


def fixed_point(f: Callable, a: Any, x0: Any, distance: Callable, tol: float) -> Any:
    """Iterate ``x = f(a)(x)`` from ``x0`` until ``distance(x, x_prev) <= tol``; return ``x``.

    Differentiable with respect to ``a`` (any value tapegrad traces: arrays,
    scalars, tuples/lists/dicts of them) in both modes and at any order, by
    implicit differentiation at the fixed point. The derivative with respect to
    ``x0`` is zero (the fixed point does not depend on where the iteration starts).
    ``f`` must receive every traced quantity through ``a`` (not from a closure).

    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> from tapegrad.misc import fixed_point
    >>> newton_sqrt = lambda a: lambda x: 0.5 * (x + a / x)
    >>> dist = lambda x, y: np.abs(x - y)
    >>> float(fixed_point(newton_sqrt, 2.0, 1.0, dist, 1e-12))
    1.414213562373095
    >>> float(grad(fixed_point, 1)(newton_sqrt, 4.0, 1.0, dist, 1e-12))  # 1 / (2 sqrt(a))
    0.25
    """
    # A plain tuple/list/dict holding traced values is traced as one value, so that
    # the implicit rules apply rather than differentiating through the iterations.
    return _fixed_point(f, pack(a), pack(x0), distance, tol)


def _adjoint_map(f: Callable) -> Callable:
    """``(a, x*, g) -> (u -> g + u J_x)``: the map whose fixed point is the adjoint ``u``."""

    def make(params: Any) -> Callable:
        a, x_star, g = params
        vjp_x, _ = make_vjp(f(a), x_star)
        vs = vspace(x_star)
        return lambda u: vs.add(g, vjp_x(u))

    return make


def _tangent_map(f: Callable) -> Callable:
    """``(a, x*, a_dot) -> (t -> J_a a_dot + J_x t)``: the map whose fixed point is the tangent."""

    def make(params: Any) -> Callable:
        a, x_star, a_dot = params
        b = make_jvp(lambda a_: f(a_)(x_star), a)(a_dot)[1]
        jvp_x = make_jvp(f(a), x_star)
        vs = vspace(x_star)
        return lambda t: vs.add(b, jvp_x(t)[1])

    return make


def _fixed_point_vjp(g: Any, ans: Any, f: Callable, a: Any, x0: Any, distance: Callable, tol: float) -> Any:
    u = _fixed_point(_adjoint_map(f), _traced_tuple((a, ans, g)), vspace(ans).zeros(), distance, tol)
    vjp_a, _ = make_vjp(lambda a_: f(a_)(ans), a)
    return vjp_a(u)


def _fixed_point_jvp(a_dot: Any, ans: Any, f: Callable, a: Any, x0: Any, distance: Callable, tol: float) -> Any:
    return _fixed_point(_tangent_map(f), _traced_tuple((a, ans, a_dot)), vspace(ans).zeros(), distance, tol)


def_rules(
    _fixed_point,
    vjp={1: _fixed_point_vjp, 2: lambda g, ans, f, a, x0, distance, tol: vspace(x0).zeros()},
    jvp={1: _fixed_point_jvp, 2: lambda x0_dot, ans, f, a, x0, distance, tol: vspace(ans).zeros()},
)
