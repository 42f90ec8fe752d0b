"""Reductions: sums, means, extrema, products, variances.

Reverse-mode rules spread the cotangent back over the reduced axes; forward
rules reduce the tangent the same way as the value.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import Box, def_rules, getval, primitive
from ._wrap import dispatches, provide, shape_of, wrap
from .composite import composite
from .shaping import as_array, broadcast_to, concatenate, reshape, transpose
from .indexing import getitem, where as _where
from .ufuncs import conjugate, real, sqrt
from .creation import astype


_SMALL = 4096  # elements


def _axes(axis: Any, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    axis = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim for a in axis) if ndim else ()


def expand_reduced(g: Any, x_shape: tuple, axis: Any = None, keepdims: bool = False) -> Any:
    """Broadcast a reduced value ``g`` back to ``x_shape``."""
    traced = isinstance(g, Box)  # first order (plain g) runs NumPy directly
    if not keepdims and x_shape and (traced or axis is not None):  # a plain scalar broadcasts as it is
        axes = _axes(axis, len(x_shape))
        kept = tuple(1 if i in axes else n for i, n in enumerate(x_shape))
        g = reshape(g, kept) if traced else _np.reshape(g, kept)
    if traced:
        return broadcast_to(g, x_shape)
    if len(x_shape) == 1 and x_shape[0] <= _SMALL:
        return _np.full(x_shape, g)  # cheaper than a broadcast view at this size
    return _np.broadcast_to(g, x_shape)


def _masked(g: Any, where: Any) -> Any:
    """A cotangent spread over ``x`` keeps only the entries selected by ``where=``."""

    return g if where is None else _where(where, g, 0.0)


def _sum_jvp(x_dot: Any, ans: Any, x: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    # ``initial`` is a constant offset: it has no tangent.
    if where is None:
        if type(x_dot) is _np.ndarray:  # first order: NumPy's reduction, without np.sum's Python layer
            return _np.add.reduce(x_dot, axis=axis, keepdims=keepdims)
        return sum(x_dot, axis=axis, keepdims=keepdims)
    return sum(x_dot, axis=axis, keepdims=keepdims, where=where)


def _in_dtype(t: Any, dtype: Any, like: Any = None) -> Any:
    """A reduction's ``dtype=``: the tangent in it, or (``like``) the cotangent back in the input's dtype."""
    if dtype is None:
        return t

    if like is None:
        return astype(t, dtype)
    x_dtype = getattr(getval(like), "dtype", None) or _np.result_type(getval(like))
    if _np.iscomplexobj(getval(t)) and x_dtype.kind != "c":
        t = real(t)  # a real input's cotangent is real
    return astype(t, x_dtype) if x_dtype.kind in "fc" else t


sum = wrap(_np.sum)  # noqa: A001 - NumPy's own name
def_rules(
    sum,
    vjp=lambda g, ans, x, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None: _in_dtype(_masked(expand_reduced(g, shape_of(x), axis, keepdims), where), dtype, x),
    jvp=lambda x_dot, ans, x, axis=None, dtype=None, **kw: _in_dtype(_sum_jvp(x_dot, ans, x, axis, dtype, **kw), dtype),
)


def _count(x_shape: tuple, axis: Any, where: Any = None) -> Any:
    """Number of reduced entries (an array with ``keepdims`` when ``where=`` selects some)."""
    if where is not None:
        return _np.sum(_np.broadcast_to(getval(where), x_shape), axis=_axes(axis, len(x_shape)), keepdims=True)
    n = 1
    for a in _axes(axis, len(x_shape)):
        n *= x_shape[a]
    return n


def _mean_jvp(x_dot: Any, ans: Any, x: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, where: Any = None) -> Any:
    if where is None:
        return mean(x_dot, axis=axis, keepdims=keepdims)
    return mean(x_dot, axis=axis, keepdims=keepdims, where=where)


mean = wrap(_np.mean)
def_rules(
    mean,
    vjp=lambda g, ans, x, axis=None, dtype=None, out=None, keepdims=False, where=None: _in_dtype(_masked(expand_reduced(g, shape_of(x), axis, keepdims) / _count(shape_of(x), axis, where), where), dtype, x),
    jvp=lambda x_dot, ans, x, axis=None, dtype=None, **kw: _in_dtype(_mean_jvp(x_dot, ans, x, axis, dtype, **kw), dtype),
)


def _extremum_mask(ans: Any, x: Any, axis: Any, keepdims: bool, where: Any = None) -> Any:
    """Where x attains the extremum, divided among ties (as autograd does).

    Entries excluded by ``where=`` never count; if ``initial=`` wins, no entry does.
    """
    x_shape = shape_of(x)
    hit = getval(x) == getval(expand_reduced(getval(ans), x_shape, axis, keepdims))
    if where is not None:
        hit = hit & getval(where)
    counts = _np.sum(hit, axis=_axes(axis, len(x_shape)), keepdims=True)
    return hit / _np.maximum(counts, 1)


def _extremum_rules(fun: Any) -> None:
    def_rules(
        fun,
        vjp=lambda g, ans, x, axis=None, out=None, keepdims=False, initial=None, where=None: expand_reduced(g, shape_of(x), axis, keepdims) * _extremum_mask(ans, x, axis, keepdims, where),
        jvp=lambda x_dot, ans, x, axis=None, out=None, keepdims=False, initial=None, where=None: sum(x_dot * _extremum_mask(ans, x, axis, keepdims, where), axis=axis, keepdims=keepdims),
    )


max = wrap(_np.max)  # noqa: A001
min = wrap(_np.min)  # noqa: A001
_extremum_rules(max)
_extremum_rules(min)
# NumPy 2 keeps amax/amin as separate function objects: route them to the same primitives.
amax = dispatches(_np.amax, "amax")(max)
amin = dispatches(_np.amin, "amin")(min)


_prod = primitive(_np.prod, "prod")
# d ans / d x = ans / x: only used when x has no zeros (see prod), where it is exact to every order.
def_rules(
    _prod,
    vjp=lambda g, ans, x, axis=None, dtype=None, out=None, keepdims=False: expand_reduced(g * ans, shape_of(x), axis, keepdims) / x,
    jvp=lambda x_dot, ans, x, axis=None, dtype=None, out=None, keepdims=False: ans * sum(x_dot / x, axis=axis, keepdims=keepdims),
)


def _reduced_shape(x_shape: tuple, axes: tuple, keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(x_shape))
    return tuple(n for i, n in enumerate(x_shape) if i not in axes)


def _prod_tree(a: Any, axis: Any, keepdims: bool) -> Any:
    """The product as a tree of pairwise multiplications: exact at zeros, to every order."""

    x_shape = shape_of(a)
    axes = _axes(axis, len(x_shape))
    kept = [i for i in range(len(x_shape)) if i not in axes]
    y = transpose(a, kept + list(axes)) if axes else a
    n = _count(x_shape, axis)
    y = reshape(y, tuple(x_shape[i] for i in kept) + (n,))
    while n > 1:
        m = n // 2
        y_next = getitem(y, (Ellipsis, slice(0, 2 * m, 2))) * getitem(y, (Ellipsis, slice(1, 2 * m, 2)))
        if n % 2:
            y_next = concatenate([y_next, getitem(y, (Ellipsis, slice(n - 1, n)))], axis=-1)
        y, n = y_next, m + n % 2
    return reshape(y, _reduced_shape(x_shape, axes, keepdims))


@composite(_np.prod)
def prod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
    """``numpy.prod``, with exact derivatives of every order also where ``a`` has zeros.

    Without zeros one primitive with the ``ans / x`` rule; with zeros (where that
    rule divides by zero) a tree of multiplications, whose derivatives are exact.
    """

    a = as_array(a)  # a list of traced values is one traced array, as NumPy would make it
    if dtype is not None:
        a = astype(a, dtype)
    where = kwargs.pop("where", None)
    if where is not None:  # excluded entries count as 1

        a = _where(where, a, 1.0)
    initial = kwargs.pop("initial", None)
    ans = _prod_tree(a, axis, keepdims) if _np.any(getval(a) == 0) else _prod(a, axis=axis, keepdims=keepdims)
    return ans if initial is None else ans * initial


@composite(_np.ptp)
def ptp(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    """``numpy.ptp``: the range ``max - min`` along ``axis``."""
    return max(a, axis=axis, keepdims=keepdims) - min(a, axis=axis, keepdims=keepdims)


def _ddof(ddof: Any, correction: Any) -> Any:
    return ddof if correction is None else correction


@composite(_np.var)
def var(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0, keepdims: bool = False, *,
        where: Any = None, mean: Any = None, correction: Any = None) -> Any:
    """``numpy.var``, differentiable as the mean of squared deviations."""

    a = as_array(a)  # a list of traced values is one traced array, as NumPy would make it
    m = mean if mean is not None else _mean(a, axis=axis, keepdims=True, where=where)
    centred = a - m
    sq = real(centred * conjugate(centred)) if _np.iscomplexobj(getval(a)) else centred * centred
    total = sum(sq, axis=axis, keepdims=keepdims) if where is None else sum(sq, axis=axis, keepdims=keepdims, where=where)
    n = _count(shape_of(a), axis, where)
    if where is not None and not keepdims:
        n = _np.reshape(n, shape_of(total))
    return total / (n - _ddof(ddof, correction))


@composite(_np.std)
def std(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0, keepdims: bool = False, *,
        where: Any = None, mean: Any = None, correction: Any = None) -> Any:
    """``numpy.std``, the square root of :func:`var`."""

    a = as_array(a)
    if where is None and _count(shape_of(a), axis) <= 1:
        # One entry per result: the deviation is identically zero, whatever the entry is; its
        # derivative is 0 (as in autograd), not the 0 * inf = nan of the square root at 0.
        value = _np.std(getval(a), axis=axis, ddof=_ddof(ddof, correction), keepdims=keepdims)
        zero = sum(a, axis=axis, keepdims=keepdims) * 0.0  # traced, so that the result stays traced
        if _np.iscomplexobj(getval(a)):
            zero = real(zero)
        return value + zero
    return sqrt(var(a, axis=axis, ddof=ddof, keepdims=keepdims, where=where, mean=mean, correction=correction))


def _mean(a: Any, axis: Any, keepdims: bool, where: Any) -> Any:
    return mean(a, axis=axis, keepdims=keepdims) if where is None else mean(a, axis=axis, keepdims=keepdims, where=where)


__all__ = ["sum", "mean", "max", "min", "amax", "amin", "prod", "ptp", "var", "std", "expand_reduced"]

provide(sum=sum)  # for the modules below (_wrap.ops)
