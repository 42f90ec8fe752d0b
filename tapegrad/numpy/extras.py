"""Remaining NumPy functions: aliases and conversions, set operations, applying a
function along axes, histograms in several dimensions, and (from
:mod:`._polynomials`) polynomials.

All are compositions of differentiable primitives. Set operations and unique
variants find their elements with NumPy on the plain values and take each
output value from its first occurrence in the inputs, so that is where its
derivative goes; indices and counts are plain. Multidimensional histograms
are linear in their weights and, like ``histogram``, have edges that follow
the data's extremes when NumPy derives them from the data.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as _np

from ..core import CONSTANT, Box, getval
from ._polynomials import *  # noqa: F403
from ._polynomials import __all__ as _poly_all
from ._wrap import dispatches, shape_of
from .composite import composite
from .creation import asarray, astype, copy
from .indexing import getitem, untake
from .reductions import sum as _sum
from .selection import unique
from .shaping import as_array, concatenate, expand_dims, moveaxis, ravel, reshape, stack, transpose
from .statistics import _data_edges


def _is_traced(x: Any) -> bool:
    return isinstance(x, Box) and x._trace is not CONSTANT


# ----- aliases and conversions ---------------------------------------------------------

_OWN: list[str] = []

if hasattr(_np, "concat"):
    @dispatches(_np.concat)
    def concat(arrays: Any, /, axis: Any = 0, out: Any = None, *, dtype: Any = None,
               casting: str = "same_kind") -> Any:
        """``numpy.concat``, NumPy 2's name for ``concatenate``."""
        if not any(isinstance(a, Box) for a in arrays):
            return _np.concat(arrays, axis=axis, out=out, dtype=dtype, casting=casting)
        res = concatenate(arrays, axis=axis)
        return res if dtype is None else astype(res, dtype)

    _OWN.append("concat")

if hasattr(_np, "permute_dims"):
    @composite(_np.permute_dims)
    def permute_dims(a: Any, axes: Any = None) -> Any:
        """``numpy.permute_dims``, NumPy 2's name for ``transpose``."""
        return transpose(a, axes)

    _OWN.append("permute_dims")


@composite(_np.asanyarray)
def asanyarray(a: Any, dtype: Any = None, order: Any = None, **kwargs: Any) -> Any:
    """``numpy.asanyarray``; a traced array is returned as it is (copied if ``copy=True``)."""
    return copy(asarray(a, dtype)) if kwargs.get("copy") else asarray(a, dtype)


def _at_least_1d(a: Any, dtype: Any) -> Any:
    a = asarray(a, dtype)
    return reshape(a, (1,)) if shape_of(a) == () else a


@composite(_np.ascontiguousarray)
def ascontiguousarray(a: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """``numpy.ascontiguousarray``: traced arrays have no layout; a scalar becomes 1-D as in NumPy."""
    return _at_least_1d(a, dtype)


@composite(_np.asfortranarray)
def asfortranarray(a: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """``numpy.asfortranarray``: traced arrays have no layout; a scalar becomes 1-D as in NumPy."""
    return _at_least_1d(a, dtype)


@composite(_np.asarray_chkfinite)
def asarray_chkfinite(a: Any, dtype: Any = None, order: Any = None) -> Any:
    """``numpy.asarray_chkfinite``: ``asarray`` that refuses infinities and NaNs."""
    a = asarray(a, dtype)
    v = getval(a)
    if _np.asarray(v).dtype.kind in "fc" and not _np.isfinite(v).all():
        raise ValueError("array must not contain infs or NaNs")
    return a


@composite(_np.require)
def require(a: Any, dtype: Any = None, requirements: Any = None, **kwargs: Any) -> Any:
    """``numpy.require``: a traced array passes unchanged (cast if ``dtype`` is given)."""
    return asarray(a, dtype)


_OWN += ["asanyarray", "ascontiguousarray", "asfortranarray", "asarray_chkfinite", "require"]


# ----- set operations and unique variants ------------------------------------------------


def _flat(a: Any) -> Any:
    return ravel(as_array(a))


def _cast_like(values: Any, expected: Any) -> Any:
    """``values`` in the dtype NumPy gives the result (the inputs may promote)."""
    dt = _np.asarray(expected).dtype
    return astype(values, dt) if getval(values).dtype != dt and dt.kind in "fc" else values


@composite(_np.intersect1d)
def intersect1d(ar1: Any, ar2: Any, assume_unique: bool = False, return_indices: bool = False) -> Any:
    """``numpy.intersect1d``: each common value is taken from ``ar1``."""
    res = _np.intersect1d(getval(ar1), getval(ar2), assume_unique, return_indices=True)
    values = _cast_like(getitem(_flat(ar1), res[1]), res[0])
    return (values, res[1], res[2]) if return_indices else values


@composite(_np.union1d)
def union1d(ar1: Any, ar2: Any) -> Any:
    """``numpy.union1d``: a value in both arrays is taken from ``ar1``."""
    return unique(concatenate([_flat(ar1), _flat(ar2)]))


@composite(_np.setdiff1d)
def setdiff1d(ar1: Any, ar2: Any, assume_unique: bool = False) -> Any:
    """``numpy.setdiff1d``: the values of ``ar1`` not in ``ar2``."""
    a1 = _np.ravel(getval(ar1))
    if assume_unique:
        idx = _np.nonzero(~_np.isin(a1, getval(ar2), assume_unique=True))[0]
    else:
        u, first = _np.unique(a1, return_index=True)
        idx = first[~_np.isin(u, getval(ar2), assume_unique=True)]
    return getitem(_flat(ar1), idx)


@composite(_np.setxor1d)
def setxor1d(ar1: Any, ar2: Any, assume_unique: bool = False) -> Any:
    """``numpy.setxor1d``: the sorted values in exactly one of the arrays."""
    a1, a2 = _np.ravel(getval(ar1)), _np.ravel(getval(ar2))
    if assume_unique:
        src = _np.arange(a1.size + a2.size)
    else:
        src = _np.concatenate([_np.unique(a1, return_index=True)[1],
                               a1.size + _np.unique(a2, return_index=True)[1]])
    both = _np.concatenate([a1, a2])
    order = _np.argsort(both[src], kind="stable")
    aux = both[src][order]
    if aux.size == 0:
        return _np.setxor1d(a1, a2, assume_unique)
    flag = _np.concatenate(([True], aux[1:] != aux[:-1], [True]))
    return getitem(concatenate([_flat(ar1), _flat(ar2)]), src[order[flag[1:] & flag[:-1]]])


def _first_occurrences(flat: Any, values: Any) -> Any:
    """For each value, the position of its first occurrence in ``flat``."""
    u, first = _np.unique(flat, return_index=True)
    return first[_np.searchsorted(u, values)] if values.size else first[:0]


def _unique_variant(np_fun: Callable, fields: tuple) -> Callable:
    """A unique variant whose ``values`` are differentiable (its other fields are plain)."""

    def fun(x: Any) -> Any:
        xv = getval(x)
        res = np_fun(xv)
        plain = res if fields == ("values",) else res.values
        flat = _np.ravel(xv)
        idx = res.indices if "indices" in fields else _first_occurrences(flat, plain)
        values = getitem(_flat(x), idx)
        if fields == ("values",):
            return values
        return type(res)(values, *res[1:])

    fun.__name__ = np_fun.__name__
    fun.__qualname__ = np_fun.__name__
    fun.__doc__ = f"``numpy.{np_fun.__name__}``: each unique value is differentiated as its first occurrence."
    return composite(np_fun)(fun)


for _name, _fields in [("unique_values", ("values",)), ("unique_counts", ("values", "counts")),
                       ("unique_inverse", ("values", "inverse_indices")),
                       ("unique_all", ("values", "indices", "inverse_indices", "counts"))]:
    if hasattr(_np, _name):
        globals()[_name] = _unique_variant(getattr(_np, _name), _fields)
        _OWN.append(_name)

_OWN += ["intersect1d", "union1d", "setdiff1d", "setxor1d"]


# ----- applying functions along axes -------------------------------------------------------


@dispatches(_np.apply_along_axis)
def apply_along_axis(func1d: Callable, axis: int, arr: Any, *args: Any, **kwargs: Any) -> Any:
    """``numpy.apply_along_axis``: ``func1d`` on every 1-D slice, results stacked in place
    of the axis (any differentiable ``func1d`` works, also one closing over traced values)."""
    arr = asarray(arr)
    shape = shape_of(arr)
    nd = len(shape)
    if not -nd <= axis < nd:
        raise _np.exceptions.AxisError(axis, nd)
    axis %= nd
    a = moveaxis(arr, axis, -1) if axis != nd - 1 else arr
    outer = shape_of(a)[:-1]
    if 0 in outer:
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    results = [asarray(func1d(a[ind], *args, **kwargs)) for ind in _np.ndindex(*outer)]
    r_shape = shape_of(results[0])
    out = reshape(stack(results), outer + r_shape)
    if not r_shape:
        return out
    n_out = len(outer)
    perm = list(range(axis)) + list(range(n_out, n_out + len(r_shape))) + list(range(axis, n_out))
    return transpose(out, perm)


@dispatches(_np.apply_over_axes)
def apply_over_axes(func: Callable, a: Any, axes: Any) -> Any:
    """``numpy.apply_over_axes``: ``func(a, axis)`` for each axis in turn, keeping the rank."""
    val = asarray(a)
    n = len(shape_of(val))
    for axis in _np.atleast_1d(axes).tolist():
        axis = axis + n if axis < 0 else axis
        res = func(val, axis)
        if len(shape_of(res)) != len(shape_of(val)):
            res = expand_dims(res, axis)
            if len(shape_of(res)) != len(shape_of(val)):
                raise ValueError("function is not returning an array of the correct shape")
        val = res
    return val


@dispatches(_np.fromfunction)
def fromfunction(function: Callable, shape: Any, *, dtype: Any = float, like: Any = None, **kwargs: Any) -> Any:
    """``numpy.fromfunction``: ``function`` called on the index grids (it may close over
    traced values; its result is then traced)."""
    if like is not None:
        return _np.fromfunction(function, shape, dtype=dtype, like=like, **kwargs)
    return function(*_np.indices(shape, dtype=dtype), **kwargs)


_OWN += ["apply_along_axis", "apply_over_axes", "fromfunction"]


# ----- histograms in several dimensions -----------------------------------------------------


def _columns(sample: Any) -> list:
    """The sample's coordinates, one 1-D array per dimension (as NumPy reads ``sample``)."""
    if isinstance(sample, (list, tuple)):
        return [ravel(as_array(s)) for s in sample]
    s = shape_of(sample) if isinstance(sample, Box) else _np.shape(sample)
    if len(s) == 2:
        return [getitem(sample, (slice(None), i)) for i in range(s[1])]
    return [ravel(as_array(sample))]


@composite(_np.histogramdd)
def histogramdd(sample: Any, bins: Any = 10, range: Any = None, density: Any = None,  # noqa: A002
                weights: Any = None) -> Any:
    """``numpy.histogramdd``: counts are piecewise constant in the sample (no derivative)
    but linear in ``weights``; edges NumPy derives from the data follow its extremes."""
    cols = _columns(sample)
    plain_cols = [_np.asarray(getval(c)) for c in cols]
    d = len(cols)
    wv = None if weights is None else _np.asarray(getval(weights))
    hist, edges = _np.histogramdd(_np.stack(plain_cols, axis=1), bins, range, density=False, weights=wv)
    core = hist.shape
    if _is_traced(weights):
        # NumPy's binning: half-open bins, the last one closed; samples outside are dropped.
        pos = []
        for c, e in zip(plain_cols, edges):
            k = _np.searchsorted(e, c, side="right") - 1
            k[c == e[-1]] = len(e) - 2
            pos.append(k)
        inside = _np.all([(k >= 0) & (k < n) for k, n in zip(pos, core)], axis=0)
        keep = _np.nonzero(inside)[0]
        flat = _np.ravel_multi_index(tuple(k[keep] for k in pos), core)
        picked = getitem(ravel(weights), (keep,))
        hist = reshape(untake(picked, (flat,), (int(_np.prod(core)),), hist.dtype), core)
    try:  # NumPy's reading of bins: one entry per dimension, or one for all
        bins_d = list(bins) if len(bins) == d else [bins] * d
    except TypeError:
        bins_d = [bins] * d
    ranges = range if range is not None else [None] * d
    edges = [_data_edges(c, b, r, e) for c, b, r, e in zip(cols, bins_d, ranges, edges)]
    if density:
        total = _sum(hist)
        for i, e in enumerate(edges):
            widths = getitem(e, slice(1, None)) - getitem(e, slice(None, -1))
            hist = hist / reshape(widths, tuple(-1 if j == i else 1 for j in _np.arange(d)))
        hist = hist / total
    return hist, edges


@composite(_np.histogram2d)
def histogram2d(x: Any, y: Any, bins: Any = 10, range: Any = None, density: Any = None,  # noqa: A002
                weights: Any = None) -> Any:
    """``numpy.histogram2d``: ``histogramdd`` of the pairs ``(x, y)``."""
    try:
        n = len(bins)
    except TypeError:
        n = 1
    if n != 1 and n != 2:
        bins = [bins, bins]
    hist, edges = histogramdd([x, y], bins, range, density, weights)
    return hist, edges[0], edges[1]


_OWN += ["histogramdd", "histogram2d"]

__all__ = _OWN + list(_poly_all)
