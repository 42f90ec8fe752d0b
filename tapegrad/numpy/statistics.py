"""Statistics: weighted averages, covariance, correlation, histograms and counts.

This module also gathers the family's other files: scans and finite
differences (:mod:`.scans`), order statistics (:mod:`.quantiles`) and the
NaN-ignoring functions (:mod:`.nanfunctions`).
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import Box, getval
from ._wrap import shape_of, wrap_nondiff
from .composite import composite
from .indexing import getitem, untake
from .nanfunctions import *  # noqa: F403
from .nanfunctions import __all__ as _nan_all
from .products import matmul
from .quantiles import *  # noqa: F403
from .quantiles import __all__ as _quantile_all
from .reductions import max as _max, mean as _mean, min as _min, sum as _sum
from .scans import *  # noqa: F403
from .scans import __all__ as _scan_all
from .shaping import atleast_2d, broadcast_to, concatenate, reshape, transpose
from .ufuncs import conjugate, real, sqrt


@composite(_np.average)
def average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *, keepdims: bool = False) -> Any:
    """``numpy.average``, differentiable with respect to ``a`` and ``weights``."""
    a_shape = shape_of(a)
    if weights is None:
        avg = _mean(a, axis=axis, keepdims=keepdims)
        scale = _np.asarray(_np.prod(a_shape) / max(_np.prod(shape_of(avg)), 1), dtype=getval(avg).dtype)
    else:
        w = weights
        w_shape = shape_of(w)
        if w_shape != a_shape:
            if axis is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            ax = axis if isinstance(axis, tuple) else (axis,)
            if w_shape != tuple(a_shape[d] for d in ax):
                raise ValueError("Shape of weights must be consistent with shape of a along specified axis.")
            # Put the weights' dimensions at the reduced axes, size 1 elsewhere.
            nd = len(a_shape)
            ax = tuple(d % nd for d in ax)
            w = transpose(w, _np.argsort(ax)) if len(ax) > 1 else w
            w = reshape(w, tuple(a_shape[d] if d in ax else 1 for d in range(nd)))
        scale = _sum(w, axis=axis, keepdims=keepdims)
        avg = _sum(a * w, axis=axis, keepdims=keepdims) / scale
    if not returned:
        return avg
    if shape_of(scale) != shape_of(avg):
        scale = broadcast_to(scale, shape_of(avg))
    return avg, scale


def _as_variables(m: Any, rowvar: bool) -> Any:
    x = atleast_2d(m)
    if not rowvar and shape_of(x)[0] != 1:
        x = transpose(x)
    return x


@composite(_np.cov)
def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False, ddof: Any = None,
        fweights: Any = None, aweights: Any = None, *, dtype: Any = None) -> Any:
    """``numpy.cov``, differentiable with respect to the data (and the weights)."""

    x = _as_variables(m, rowvar)
    if y is not None:
        x = concatenate([x, _as_variables(y, rowvar)], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is None:
        n_obs = shape_of(x)[1]
        centred = x - _mean(x, axis=1, keepdims=True)
        fact = n_obs - ddof
        weighted = centred
    else:
        w_sum = _sum(w)
        centred = x - reshape(_sum(x * w, axis=1) / w_sum, (-1, 1))
        fact = w_sum - ddof if aweights is None else w_sum - ddof * _sum(w * aweights) / w_sum
        weighted = centred * w
    c = matmul(centred, transpose(conjugate(weighted))) / fact
    return reshape(c, tuple(s for s in shape_of(c) if s != 1))  # NumPy squeezes


@composite(_np.corrcoef)
def corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> Any:
    """``numpy.corrcoef``: the covariance normalised by the standard deviations."""

    c = cov(x, y, rowvar)
    if len(shape_of(c)) == 0:
        return c / c
    n = shape_of(c)[0]
    stddev = sqrt(real(getitem(c, (_np.arange(n), _np.arange(n)))))
    # NumPy clips to [-1, 1], which only removes rounding errors: the traced value stays smooth.
    return c / reshape(stddev, (n, 1)) / reshape(stddev, (1, n))


# ----- counting and binning -------------------------------------------------------

digitize = wrap_nondiff(_np.digitize)


def _data_edges(a: Any, bins: Any, range: Any, edges: Any) -> Any:  # noqa: A002
    """The bin edges as traced values where NumPy derives them from the data's extremes."""
    av = getval(a)
    if not isinstance(a, Box) or range is not None or _np.ndim(bins) != 0 or not _np.size(av):
        return edges

    lo, hi = _min(a), _max(a)
    if av.min() == av.max():  # NumPy widens an empty range by 1/2 on each side
        lo, hi = lo - 0.5, hi + 0.5
    # NumPy's edges are linspace(lo, hi, nbins + 1); the number of bins is piecewise constant.
    return lo + (hi - lo) * _np.linspace(0.0, 1.0, len(edges))


@composite(_np.histogram_bin_edges)
def histogram_bin_edges(a: Any, bins: Any = 10, range: Any = None, weights: Any = None) -> Any:  # noqa: A002
    """``numpy.histogram_bin_edges``; edges set by the data's extremes follow them."""
    edges = _np.histogram_bin_edges(getval(a), bins, range, None if weights is None else getval(weights))
    return _data_edges(a, bins, range, edges)


@composite(_np.bincount)
def bincount(x: Any, /, weights: Any = None, minlength: int = 0) -> Any:
    """``numpy.bincount``; with ``weights`` the sums are differentiable in the weights."""
    idx = _np.asarray(getval(x))
    if weights is None:
        return _np.bincount(idx, minlength=minlength)
    n = max(int(idx.max()) + 1 if idx.size else 0, minlength)
    return untake(weights, (idx,), (n,), _np.result_type(getval(weights), float))


@composite(_np.histogram)
def histogram(a: Any, bins: Any = 10, range: Any = None, density: Any = None, weights: Any = None) -> Any:  # noqa: A002
    """``numpy.histogram``: counts are piecewise constant in ``a`` (no derivative) but
    linear in ``weights``; edges set by the data's extremes follow them."""
    av = _np.asarray(getval(a))
    wv = None if weights is None else _np.asarray(getval(weights))
    counts, edges = _np.histogram(av, bins, range, density=False, weights=wv)
    if isinstance(weights, Box):
        flat = av.ravel()
        # NumPy's binning: half-open bins, the last one closed; values outside dropped.
        k = _np.searchsorted(edges, flat, side="right") - 1
        k[flat == edges[-1]] = len(edges) - 2
        keep = _np.nonzero((k >= 0) & (k < len(edges) - 1))[0]
        counts = untake(getitem(reshape(weights, (-1,)), (keep,)), (k[keep],), (len(edges) - 1,), counts.dtype)
    edges = _data_edges(a, bins, range, edges)
    if density:
        widths = getitem(edges, slice(1, None)) - getitem(edges, slice(None, -1))
        counts = counts / widths / _sum(counts)
    return counts, edges


_OWN = ["average", "cov", "corrcoef", "bincount", "histogram", "digitize", "histogram_bin_edges"]
__all__ = _OWN + _scan_all + _quantile_all + _nan_all
