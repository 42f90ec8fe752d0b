"""NaN-ignoring reductions and scans (``nansum``, ``nanvar``, ``nancumprod``...).

Each replaces the NaN entries by the neutral element of the operation with a
``where`` on a constant mask, so those entries get exactly zero gradient, and
then calls the ordinary differentiable function. The order statistics
(``nanmedian``, ``nanquantile``, ``nanpercentile``) live in :mod:`.quantiles`.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import getval
from ._wrap import shape_of, wrap_nondiff
from .composite import composite
from .indexing import where
from .reductions import _axes, max as _max, mean as _mean, min as _min, prod as _prod, sum as _sum
from .scans import cumprod as _cumprod, cumsum as _cumsum


def _fill(a: Any, value: float) -> tuple:
    """``a`` with NaNs replaced by ``value`` (a constant), and the NaN mask (or None)."""
    nan = _np.isnan(getval(a))
    if not nan.any():
        return a, None
    return where(nan, value, a), nan


def _count(nan: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    """Number of non-NaN entries along ``axis`` (a plain array)."""
    present = _np.ones(shape_of(a), dtype=bool) if nan is None else ~nan
    return _np.sum(present, axis=_axes(axis, len(shape_of(a))), keepdims=keepdims)


@composite(_np.nansum)
def nansum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
    """``numpy.nansum``: NaNs count as zero."""
    return _sum(_fill(a, 0.0)[0], axis=axis, dtype=dtype, keepdims=keepdims)


@composite(_np.nanprod)
def nanprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
    """``numpy.nanprod``: NaNs count as one."""
    return _prod(_fill(a, 1.0)[0], axis=axis, dtype=dtype, keepdims=keepdims)


@composite(_np.nanmean)
def nanmean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
    """``numpy.nanmean``: the mean of the non-NaN entries."""
    filled, nan = _fill(a, 0.0)
    if nan is None:
        return _mean(a, axis=axis, keepdims=keepdims)
    return _sum(filled, axis=axis, keepdims=keepdims) / _count(nan, a, axis, keepdims)


@composite(_np.nanvar)
def nanvar(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0, keepdims: bool = False, **kwargs: Any) -> Any:
    """``numpy.nanvar``: the variance of the non-NaN entries."""
    from .ufuncs import conjugate, real

    filled, nan = _fill(a, 0.0)
    centred = filled - _sum(filled, axis=axis, keepdims=True) / _count(nan, a, axis, True)
    if nan is not None:
        centred = where(nan, 0.0, centred)
    sq = real(centred * conjugate(centred)) if _np.iscomplexobj(getval(a)) else centred * centred
    return _sum(sq, axis=axis, keepdims=keepdims) / (_count(nan, a, axis, keepdims) - ddof)


@composite(_np.nanstd)
def nanstd(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0, keepdims: bool = False, **kwargs: Any) -> Any:
    """``numpy.nanstd``: the square root of :func:`nanvar`."""
    from .ufuncs import sqrt

    return sqrt(nanvar(a, axis=axis, ddof=ddof, keepdims=keepdims))


def _nan_extremum(reduce: Any, fill: float, a: Any, axis: Any, keepdims: bool) -> Any:
    filled, nan = _fill(a, fill)
    ans = reduce(filled, axis=axis, keepdims=keepdims)
    if nan is not None:
        all_nan = _np.all(nan, axis=_axes(axis, len(shape_of(a))), keepdims=keepdims)
        if all_nan.any():  # NumPy gives NaN there
            ans = where(all_nan, _np.nan, ans)
    return ans


@composite(_np.nanmax)
def nanmax(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
    """``numpy.nanmax``: the maximum of the non-NaN entries."""
    return _nan_extremum(_max, -_np.inf, a, axis, keepdims)


@composite(_np.nanmin)
def nanmin(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
    """``numpy.nanmin``: the minimum of the non-NaN entries."""
    return _nan_extremum(_min, _np.inf, a, axis, keepdims)


@composite(_np.nancumsum)
def nancumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """``numpy.nancumsum``: NaNs count as zero."""
    return _cumsum(_fill(a, 0.0)[0], axis=axis, dtype=dtype)


@composite(_np.nancumprod)
def nancumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """``numpy.nancumprod``: NaNs count as one."""
    return _cumprod(_fill(a, 1.0)[0], axis=axis, dtype=dtype)


nanargmax = wrap_nondiff(_np.nanargmax)
nanargmin = wrap_nondiff(_np.nanargmin)

__all__ = [
    "nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin",
    "nancumsum", "nancumprod", "nanargmax", "nanargmin",
]
