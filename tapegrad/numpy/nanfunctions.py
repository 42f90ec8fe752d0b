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
from .indexing import where as where_
from .reductions import _axes, max as _max, mean as _mean, min as _min, prod as _prod, sum as _sum
from .scans import cumprod as _cumprod, cumsum as _cumsum
from .ufuncs import conjugate, real, sqrt


def _fill(a: Any, value: float, where: Any = None) -> tuple:
    """``a`` with NaNs (and entries excluded by ``where=``) replaced by the constant
    ``value``, and the mask of those entries (None if there are none)."""
    skip = _np.isnan(getval(a))
    if where is not None:
        skip = skip | ~_np.broadcast_to(getval(where), skip.shape)
    if not skip.any():
        return a, None
    return where_(skip, value, a), skip


def _count(skip: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    """Number of entries taking part along ``axis`` (a plain array)."""
    present = _np.ones(shape_of(a), dtype=bool) if skip is None else ~skip
    return _np.sum(present, axis=_axes(axis, len(shape_of(a))), keepdims=keepdims)


def _plain_options(name: str, kwargs: dict, allowed: tuple = ()) -> None:
    extra = set(kwargs) - set(allowed)
    if extra:
        raise NotImplementedError(f"tapegrad: {name} on traced values does not support {sorted(extra)} yet")


@composite(_np.nansum)
def nansum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
           initial: Any = None, where: Any = None) -> Any:
    """``numpy.nansum``: NaNs count as zero."""
    ans = _sum(_fill(a, 0.0, where)[0], axis=axis, dtype=dtype, keepdims=keepdims)
    return ans if initial is None else ans + initial


@composite(_np.nanprod)
def nanprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
            initial: Any = None, where: Any = None) -> Any:
    """``numpy.nanprod``: NaNs count as one."""
    ans = _prod(_fill(a, 1.0, where)[0], axis=axis, dtype=dtype, keepdims=keepdims)
    return ans if initial is None else ans * initial


@composite(_np.nanmean)
def nanmean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, *, where: Any = None) -> Any:
    """``numpy.nanmean``: the mean of the non-NaN entries."""
    filled, skip = _fill(a, 0.0, where)
    if skip is None:
        return _mean(a, axis=axis, keepdims=keepdims)
    return _sum(filled, axis=axis, keepdims=keepdims) / _count(skip, a, axis, keepdims)


@composite(_np.nanvar)
def nanvar(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0, keepdims: bool = False, *,
           where: Any = None, **kwargs: Any) -> Any:
    """``numpy.nanvar``: the variance of the non-NaN entries."""

    _plain_options("nanvar", kwargs, ("correction",))
    ddof = kwargs.get("correction", ddof)
    filled, skip = _fill(a, 0.0, where)
    centred = filled - _sum(filled, axis=axis, keepdims=True) / _count(skip, a, axis, True)
    if skip is not None:
        centred = where_(skip, 0.0, centred)
    sq = real(centred * conjugate(centred)) if _np.iscomplexobj(getval(a)) else centred * centred
    return _sum(sq, axis=axis, keepdims=keepdims) / (_count(skip, a, axis, keepdims) - ddof)


@composite(_np.nanstd)
def nanstd(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0, keepdims: bool = False, *,
           where: Any = None, **kwargs: Any) -> Any:
    """``numpy.nanstd``: the square root of :func:`nanvar`."""

    return sqrt(nanvar(a, axis=axis, ddof=ddof, keepdims=keepdims, where=where, **kwargs))


def _nan_extremum(reduce: Any, fill: float, a: Any, axis: Any, keepdims: bool, initial: Any, where: Any) -> Any:
    filled, skip = _fill(a, fill, where)
    if initial is not None:  # NumPy then returns ``initial`` for empty slices
        return reduce(filled, axis=axis, keepdims=keepdims, initial=initial)
    ans = reduce(filled, axis=axis, keepdims=keepdims)
    if skip is not None:
        all_nan = _np.all(skip, axis=_axes(axis, len(shape_of(a))), keepdims=keepdims)
        if all_nan.any():  # NumPy gives NaN there
            ans = where_(all_nan, _np.nan, ans)
    return ans


@composite(_np.nanmax)
def nanmax(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """``numpy.nanmax``: the maximum of the non-NaN entries."""
    return _nan_extremum(_max, -_np.inf, a, axis, keepdims, initial, where)


@composite(_np.nanmin)
def nanmin(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """``numpy.nanmin``: the minimum of the non-NaN entries."""
    return _nan_extremum(_min, _np.inf, a, axis, keepdims, initial, where)


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
