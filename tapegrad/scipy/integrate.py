"""``tapegrad.scipy.integrate``: the trapezoidal rule and ``odeint`` with adjoint gradients.

``odeint(func, y0, t, args=())`` follows SciPy's signature; ``func(y, t, *args)``
must be written with ``tapegrad.numpy``, and parameters to differentiate must be
passed through ``args`` (not captured from an enclosing scope); each argument
may be an array or a nested list, tuple or dict of arrays (a network's layers). Reverse mode
integrates the adjoint system backwards in time; forward mode integrates the
sensitivity system alongside the solution. Both are again ``odeint`` calls.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as _np
import scipy.integrate as _si

from ..core import Box, SequenceBox, def_rules, getval, vspace
from ..core.containers import pack
from ..differential_operators import make_jvp, make_vjp
from ..misc.flatten import flatten
from ..numpy import concatenate, reshape, stack, sum
from ..numpy._wrap import shape_of, wrap


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """``scipy.integrate.trapezoid``: differentiable in ``y``, ``x`` and ``dx``."""
    if not isinstance(y, Box) and not isinstance(x, Box) and not isinstance(dx, Box):
        return _si.trapezoid(y, x=x, dx=dx, axis=axis)
    nd = len(shape_of(y))
    ax = axis % nd
    lo = [slice(None)] * nd
    hi = [slice(None)] * nd
    lo[ax], hi[ax] = slice(None, -1), slice(1, None)
    lo, hi = tuple(lo), tuple(hi)
    if x is None:
        d = dx
    elif len(shape_of(x)) == 1:
        d = reshape(x[1:] - x[:-1], tuple(-1 if i == ax else 1 for i in range(nd)))
    else:
        d = x[hi] - x[lo]
    return sum(d * (y[hi] + y[lo]), axis=ax) * 0.5


# ----- odeint -----------------------------------------------------------------------------


def _odeint_raw(func: Callable, y0: Any, t: Any, *args: Any, **kwargs: Any) -> Any:
    return _si.odeint(func, y0, t, args=tuple(args), **kwargs)


def _flat(xs: Any) -> Any:
    """The arguments (arrays, or nested lists, tuples and dicts of them) as one vector."""
    return flatten(list(xs))[0] if xs else _np.zeros(0)


def _layout(fargs: tuple) -> tuple[int, Callable]:
    """The length of the arguments as one vector, and the function that gives a vector their structure."""
    flat, unflatten = flatten([getval(p) for p in fargs])
    return int(_np.size(getval(flat))), unflatten


def _odeint_vjp(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
    func, y0, t, *fargs = args
    d, k = shape_of(y0)[0], len(fargs)
    nargs = tuple(range(k + 1))

    def adjoint_dynamics(s: Any, time: Any, *fargs: Any) -> Any:
        # s = [y, a, args_bar]: the solution, run backwards, its adjoint, and the parameters' accumulated cotangent.
        y, a = s[:d], s[d:2 * d]
        vjp, f = make_vjp(lambda y, *p: func(y, time, *p), nargs)(y, *fargs)
        cots = vjp(a)
        return concatenate([f, -cots[0], -_flat(cots[1:])])

    n_t = shape_of(t)[0]
    a = g[n_t - 1]
    size, unflatten = _layout(tuple(fargs))
    args_bar = _np.zeros(size)
    t_bar = [None] * n_t
    for i in range(n_t - 1, 0, -1):
        t_bar[i] = sum(g[i] * func(ans[i], t[i], *fargs))
        state = concatenate([ans[i], a, args_bar])
        back = _odeint(adjoint_dynamics, state, stack([t[i], t[i - 1]]), *fargs, **kwargs)[1]
        a, args_bar = back[d:2 * d], back[2 * d:]
        if i > 1:
            a = a + g[i - 1]
    t_bar[0] = -sum(a * func(y0, t[0], *fargs)) if n_t > 1 else 0.0 * t[0]
    if n_t > 1:
        a = a + g[0]
    parts = {1: lambda: a, 2: lambda: stack(t_bar)}
    out = []
    for i in argnums:
        if i in parts:
            out.append(parts[i]())
        elif i == 0:
            raise TypeError("odeint: the dynamics function itself is not differentiable")
        else:
            out.append(unflatten(args_bar)[i - 3])
    return out


def _odeint_jvp(argnums: tuple, tangents: tuple, ans: Any, args: tuple, kwargs: dict) -> Any:
    func, y0, t, *fargs = args
    d, k = shape_of(y0)[0], len(fargs)
    dots = dict(zip(argnums, tangents))
    arg_dots = [dots.get(3 + j) if 3 + j in dots else vspace(p).zeros() for j, p in enumerate(fargs)]
    nargs = tuple(range(k + 1))

    def sensitivity_dynamics(s: Any, time: Any, *rest: Any) -> Any:
        # s = [y, dy]: the solution and its tangent along the parameters' tangent.
        y, dy = s[:d], s[d:]
        f, df = make_jvp(lambda y, *p: func(y, time, *p), nargs)(y, *rest[:k])((dy, *rest[k:]))
        return concatenate([f, df])

    dy0 = dots.get(1, _np.zeros(d))
    if 2 in dots:  # moving the start time shifts the solution back along the flow
        dy0 = dy0 - func(y0, t[0], *fargs) * dots[2][0]
    sol = _odeint(sensitivity_dynamics, concatenate([y0, dy0]), t, *fargs, *arg_dots, **kwargs)
    out = sol[:, d:]
    if 2 in dots:  # each output time moves the sample along the flow
        f_at = stack([func(ans[i], t[i], *fargs) for i in range(shape_of(t)[0])])
        out = out + f_at * dots[2][:, None]
    return out


def odeint(func: Callable, y0: Any, t: Any, args: tuple = (), **kwargs: Any) -> Any:
    """``scipy.integrate.odeint``, differentiable in ``y0``, ``t`` and ``args`` (both modes).

    SciPy's other keywords are taken too: ``tfirst=True`` (``func(t, y, *args)``),
    and ``full_output=True``, whose second result (SciPy's dictionary of
    solver statistics) has no derivative.

    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> decay = lambda t, y, k: -k * y
    >>> ts = np.array([0.0, 1.0])
    >>> round(float(grad(lambda k: odeint(decay, np.array([1.0]), ts, (k,), tfirst=True)[1, 0])(0.5)), 5)
    -0.60653
    """
    if isinstance(args, SequenceBox):  # a traced tuple of arguments (differentiated as one): each one traced
        args = tuple(args)
    elif not isinstance(args, tuple):
        args = (args,)
    args = tuple(pack(a) for a in args)  # a plain list of traced arrays as one traced container
    if kwargs.get("tfirst"):  # the rules call func(y, t, ...): the same dynamics, with the arguments swapped
        kwargs = {k: v for k, v in kwargs.items() if k != "tfirst"}
        func = _y_first(func)
    if kwargs.get("full_output"):
        kwargs = {k: v for k, v in kwargs.items() if k != "full_output"}
        traced = any(isinstance(a, Box) for a in (y0, t, *args))
        info = _si.odeint(func, getval(y0), getval(t), args=tuple(getval(a) for a in args), full_output=True,
                          **kwargs)
        return (_odeint(func, y0, t, *args, **kwargs) if traced else info[0]), info[1]
    return _odeint(func, y0, t, *args, **kwargs)


def _y_first(func: Callable) -> Callable:
    def y_first(y: Any, t: Any, *args: Any) -> Any:
        return func(t, y, *args)

    return y_first


_odeint = wrap(_odeint_raw, "scipy.integrate.odeint")
def_rules(_odeint, vjp_joint=_odeint_vjp, jvp_joint=_odeint_jvp)

__all__ = ["trapezoid", "odeint"]
