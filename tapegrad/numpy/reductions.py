"""Reductions: sums, means, extrema, products, variances.

Reverse-mode rules spread the cotangent back over the reduced axes; forward
rules reduce the tangent the same way as the value.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import def_rules, getval
from ._wrap import dispatches, shape_of, wrap
from .composite import composite


def _axes(axis: Any, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    axis = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim for a in axis) if ndim else ()


def expand_reduced(g: Any, x_shape: tuple, axis: Any = None, keepdims: bool = False) -> Any:
    """Broadcast a reduced value ``g`` back to ``x_shape``."""
    from .shape import broadcast_to, reshape

    if not keepdims and x_shape:
        axes = _axes(axis, len(x_shape))
        kept = tuple(1 if i in axes else n for i, n in enumerate(x_shape))
        g = reshape(g, kept)
    return broadcast_to(g, x_shape)


sum = wrap(_np.sum)  # noqa: A001 - NumPy's own name
def_rules(
    sum,
    vjp=lambda g, ans, x, axis=None, dtype=None, keepdims=False, **kw: expand_reduced(g, shape_of(x), axis, keepdims),
    jvp=lambda x_dot, ans, x, axis=None, dtype=None, keepdims=False, **kw: sum(x_dot, axis=axis, keepdims=keepdims),
)


def _count(x_shape: tuple, axis: Any) -> int:
    n = 1
    for a in _axes(axis, len(x_shape)):
        n *= x_shape[a]
    return n


mean = wrap(_np.mean)
def_rules(
    mean,
    vjp=lambda g, ans, x, axis=None, dtype=None, keepdims=False, **kw: expand_reduced(g, shape_of(x), axis, keepdims) / _count(shape_of(x), axis),
    jvp=lambda x_dot, ans, x, axis=None, dtype=None, keepdims=False, **kw: mean(x_dot, axis=axis, keepdims=keepdims),
)


def _extremum_mask(ans: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Where x attains the extremum, divided among ties (as autograd does)."""
    from .nondiff import equal

    x_shape = shape_of(x)
    hit = equal(getval(x), getval(expand_reduced(getval(ans), x_shape, axis, keepdims)))
    counts = _np.sum(hit, axis=axis, keepdims=True)
    return hit / counts


def _extremum_rules(fun: Any) -> None:
    def_rules(
        fun,
        vjp=lambda g, ans, x, axis=None, keepdims=False, **kw: expand_reduced(g, shape_of(x), axis, keepdims) * _extremum_mask(ans, x, axis, keepdims),
        jvp=lambda x_dot, ans, x, axis=None, keepdims=False, **kw: sum(x_dot * _extremum_mask(ans, x, axis, keepdims), axis=axis, keepdims=keepdims),
    )


max = wrap(_np.max)  # noqa: A001
min = wrap(_np.min)  # noqa: A001
amax = max
amin = min
_extremum_rules(max)
_extremum_rules(min)


def _prod_partials(ans: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    # ans / x, valid where x != 0; exact for a single zero via the product of the others.
    return expand_reduced(ans, shape_of(x), axis, keepdims) / x


prod = wrap(_np.prod)
def_rules(
    prod,
    vjp=lambda g, ans, x, axis=None, dtype=None, keepdims=False, **kw: expand_reduced(g, shape_of(x), axis, keepdims) * _prod_partials(ans, x, axis, keepdims),
    jvp=lambda x_dot, ans, x, axis=None, dtype=None, keepdims=False, **kw: sum(x_dot * _prod_partials(ans, x, axis, keepdims), axis=axis, keepdims=keepdims),
)


@composite(_np.var)
def var(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """``numpy.var``, differentiable as the mean of squared deviations."""
    from .ufuncs import absolute, conjugate, real

    centred = a - mean(a, axis=axis, keepdims=True)
    sq = real(centred * conjugate(centred)) if _np.iscomplexobj(getval(a)) else centred * centred
    return sum(sq, axis=axis, keepdims=keepdims) / (_count(shape_of(a), axis) - ddof)


@composite(_np.std)
def std(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """``numpy.std``, the square root of :func:`var`."""
    from .ufuncs import sqrt

    return sqrt(var(a, axis=axis, ddof=ddof, keepdims=keepdims))


__all__ = ["sum", "mean", "max", "min", "amax", "amin", "prod", "var", "std", "expand_reduced"]
_ = dispatches  # re-exported for families that define stand-ins
