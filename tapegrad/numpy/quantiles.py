"""Order statistics: median, percentile, quantile and their NaN-ignoring variants.

Every quantile method of NumPy is a fixed blend ``(1 - t) * s[i] + t * s[i + 1]``
of two neighbouring order statistics ``s`` of a slice, where ``i`` and ``t``
depend only on the slice length and ``q``. The order comes from ``argsort`` of
the plain values; the two statistics are gathered from the traced data with an
index, so the derivative flows to the data entries that were picked.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as _np

from ..core import getval
from ._wrap import shape_of
from .composite import composite
from .indexing import getitem, where
from .reductions import _axes
from .shaping import reshape, transpose


@functools.lru_cache(maxsize=256)
def _positions(length: int, q_bytes: bytes, q_shape: tuple, method: str) -> Any:
    """Where NumPy interpolates in a sorted slice of ``length`` entries, for each ``q``.

    NumPy's quantile of ``0, 1, ..., length-1`` is exactly that (possibly
    fractional) position, for every method: ask it rather than restate the
    method table.
    """
    q = _np.frombuffer(q_bytes, dtype=float).reshape(q_shape)
    pos = _np.asarray(_np.quantile(_np.arange(length, dtype=float), q, method=method))
    pos.setflags(write=False)
    return pos


def _index_and_weight(n: Any, q: Any, method: str) -> tuple:
    """Lower position ``i`` and weight ``t`` of the upper neighbour, for slice lengths ``n``."""
    n = _np.asarray(n)
    key = (q.tobytes(), q.shape, method)
    if n.ndim == 0:
        pos = _positions(int(n), *key) if n else _np.zeros(q.shape)
        lo = _np.floor(pos)
        return lo.astype(_np.intp), pos - lo
    i = _np.zeros(q.shape + n.shape, dtype=_np.intp)
    t = _np.zeros(q.shape + n.shape)
    for length in _np.unique(n):
        if length == 0:
            continue  # all-NaN slice: masked by the caller
        pos = _positions(int(length), *key)
        lo = _np.floor(pos)
        sel = (Ellipsis,) + _np.nonzero(n == length)
        k = len(sel[1])
        i[sel] = _np.repeat(lo.astype(_np.intp)[..., None], k, axis=-1)
        t[sel] = _np.repeat((pos - lo)[..., None], k, axis=-1)
    return i, t


def _quantile_traced(a: Any, q: Any, axis: Any, method: str, keepdims: bool, ignore_nan: bool) -> Any:
    q = _np.asarray(getval(q), dtype=float)
    a_shape = shape_of(a)
    nd = len(a_shape)
    axes = _axes(axis, nd)
    kept = [d for d in range(nd) if d not in axes]
    # Reduced axes last, merged into one.
    x = transpose(a, kept + list(axes)) if axes else a
    batch = tuple(a_shape[d] for d in kept)
    x = reshape(x, batch + (-1,))
    xv = getval(x)
    m = shape_of(x)[-1]
    order = _np.argsort(xv, axis=-1)  # NaNs sort last
    if ignore_nan:
        nan = _np.isnan(xv)
        n = m - _np.sum(nan, axis=-1)
    else:
        n = _np.asarray(m)
    i, t = _index_and_weight(n, q, method)
    full = q.shape + batch  # one entry per (q, slice)
    i = _np.broadcast_to(i.reshape(i.shape + (1,) * (len(full) - i.ndim)), full)
    t = _np.broadcast_to(t.reshape(t.shape + (1,) * (len(full) - t.ndim)), full)
    j = _np.minimum(i + 1, _np.maximum(n - 1, 0))
    grids = tuple(_np.broadcast_to(g, i.shape) for g in _np.indices(batch, sparse=True)) if batch else ()

    def order_stat(k: Any) -> Any:
        return getitem(x, grids + (order[grids + (k,)],))

    lower = order_stat(i)
    # Interpolate only where needed: t == 0 picks the lower statistic alone.
    out = lower if not _np.any(t) else lower + (order_stat(j) - lower) * t
    if ignore_nan and _np.any(n == 0):
        out = where(_np.broadcast_to(n == 0, i.shape), _np.nan, out)
    if keepdims:
        out = reshape(out, q.shape + tuple(1 if d in axes else s for d, s in enumerate(a_shape)))
    return out


def _check_traced(weights: Any, method: str) -> None:
    if weights is not None:
        raise NotImplementedError("tapegrad: quantiles with weights= are not differentiable yet")


@composite(_np.quantile)
def quantile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False, *, weights: Any = None) -> Any:
    """``numpy.quantile``, differentiable with respect to ``a`` (``q`` is a constant)."""
    _check_traced(weights, method)
    return _quantile_traced(a, q, axis, method, keepdims, ignore_nan=False)


@composite(_np.percentile)
def percentile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
               method: str = "linear", keepdims: bool = False, *, weights: Any = None) -> Any:
    """``numpy.percentile``, differentiable with respect to ``a`` (``q`` is a constant)."""
    _check_traced(weights, method)
    return _quantile_traced(a, _np.true_divide(getval(q), 100), axis, method, keepdims, ignore_nan=False)


@composite(_np.median)
def median(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False, keepdims: bool = False) -> Any:
    """``numpy.median``: the middle order statistic, or the mean of the two middle ones."""
    return _quantile_traced(a, 0.5, axis, "linear", keepdims, ignore_nan=False)


@composite(_np.nanquantile)
def nanquantile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
                method: str = "linear", keepdims: bool = False, *, weights: Any = None) -> Any:
    """``numpy.nanquantile``: NaNs are ignored (and get no gradient)."""
    _check_traced(weights, method)
    return _quantile_traced(a, q, axis, method, keepdims, ignore_nan=True)


@composite(_np.nanpercentile)
def nanpercentile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
                  method: str = "linear", keepdims: bool = False, *, weights: Any = None) -> Any:
    """``numpy.nanpercentile``: NaNs are ignored (and get no gradient)."""
    _check_traced(weights, method)
    return _quantile_traced(a, _np.true_divide(getval(q), 100), axis, method, keepdims, ignore_nan=True)


@composite(_np.nanmedian)
def nanmedian(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False, keepdims: bool = False) -> Any:
    """``numpy.nanmedian``: NaNs are ignored (and get no gradient)."""
    return _quantile_traced(a, 0.5, axis, "linear", keepdims, ignore_nan=True)


__all__ = ["quantile", "percentile", "median", "nanquantile", "nanpercentile", "nanmedian"]
