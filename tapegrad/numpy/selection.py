"""Selection: taking elements by index or condition, sorting, interpolation.

Every function here picks, orders or blends elements of its inputs by indices
or masks that are computed once, with NumPy, from the plain values
(``getval``). The derivative then flows through ``getitem``/``where`` to the
selected elements: a sorted array's cotangent goes back to where each element
came from.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import CONSTANT, Box, NonDifferentiableError, TraceLeakError, getval
from ._wrap import FUNCTIONS, dispatches, is_complex, shape_of, wrap_nondiff
from .composite import composite
from .indexing import getitem, where
from .shape import as_array, broadcast_to, concatenate, ravel, reshape


def _along(ax: int, index: Any) -> tuple:
    """An index selecting ``index`` along axis ``ax`` (all of every other axis)."""
    return (slice(None),) * ax + (index,)


def _static_index(indices: Any) -> Any:
    idx = _np.asarray(getval(indices))
    return int(idx) if idx.ndim == 0 else idx


def _is_traced(x: Any) -> bool:
    return isinstance(x, Box) and x._trace is not CONSTANT


def _refuse_plain_target(name: str, values: Any) -> None:
    if _is_traced(values):
        raise TraceLeakError(
            f"numpy.{name} would write traced values into a plain ndarray, and their derivative "
            "would be lost. Create the array with tapegrad.numpy (np.zeros, np.copy, ...) inside "
            "the differentiated function so that it can hold traced values."
        )


# ----- taking by index ---------------------------------------------------------------


@composite(_np.take)
def take(a: Any, indices: Any, axis: Any = None, out: Any = None, mode: str = "raise") -> Any:
    """``numpy.take``: elements at ``indices`` along ``axis`` (of the flattened array if None)."""
    a = as_array(a)
    if axis is None:
        a, ax = ravel(a), 0
    else:
        ax = axis % len(shape_of(a))
    idx = _static_index(indices)
    n = shape_of(a)[ax]
    if mode == "wrap":
        idx = _np.mod(idx, n)
    elif mode == "clip":
        idx = _np.clip(idx, 0, n - 1)
    return getitem(a, _along(ax, idx))


def _along_axis_index(shape: tuple, indices: Any, ax: int) -> tuple:
    """The fancy index with ``indices`` along ``ax`` and open ranges on the other axes."""
    nd = len(shape)
    fancy = []
    for d in range(nd):
        if d == ax:
            fancy.append(indices)
        else:
            fancy.append(_np.arange(shape[d]).reshape((1,) * d + (-1,) + (1,) * (nd - d - 1)))
    return tuple(fancy)


@composite(_np.take_along_axis)
def take_along_axis(arr: Any, indices: Any, axis: Any = -1) -> Any:
    """``numpy.take_along_axis``: ``arr`` gathered by an index array of matching rank."""
    arr = as_array(arr)
    if axis is None:
        arr, axis = ravel(arr), 0
    s = shape_of(arr)
    idx = _np.asarray(getval(indices))
    if idx.ndim != len(s):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    return getitem(arr, _along_axis_index(s, idx, axis % len(s)))


@dispatches(_np.put_along_axis)
def put_along_axis(arr: Any, indices: Any, values: Any, axis: Any) -> None:
    """``numpy.put_along_axis``: in place; a traced ``arr`` is rebound to the new values.

    Where an index repeats, the last write wins (as in NumPy).
    """
    if not isinstance(arr, Box):
        _refuse_plain_target("put_along_axis", values)
        return _np.put_along_axis(arr, _np.asarray(getval(indices)), getval(values), axis)
    if axis is None:
        flat = ravel(arr)
        flat[_np.asarray(getval(indices))] = values
        arr._assign(reshape(flat, shape_of(arr)))
        return None
    s = shape_of(arr)
    arr[_along_axis_index(s, _np.asarray(getval(indices)), axis % len(s))] = values
    return None


@dispatches(_np.put)
def put(a: Any, ind: Any, v: Any, mode: str = "raise") -> None:
    """``numpy.put``: set flat positions in place; ``v`` is repeated to the number of indices."""
    if not isinstance(a, Box):
        _refuse_plain_target("put", v)
        return _np.put(a, _np.asarray(getval(ind)), getval(v), mode=mode)
    idx = _np.ravel(getval(ind))
    size = int(_np.prod(shape_of(a)))
    if mode == "wrap":
        idx = _np.mod(idx, size)
    elif mode == "clip":
        idx = _np.clip(idx, 0, size - 1)
    if idx.size == 0:
        return None
    v = ravel(as_array(v))
    nv = shape_of(v)[0]
    if nv != idx.size:
        v = getitem(v, _np.arange(idx.size) % nv)
    flat = ravel(a)
    flat[idx] = v
    a._assign(reshape(flat, shape_of(a)))
    return None


@composite(_np.compress)
def compress(condition: Any, a: Any, axis: Any = None, out: Any = None) -> Any:
    """``numpy.compress``: the slices along ``axis`` where ``condition`` is true."""
    return take(a, _np.nonzero(_np.ravel(getval(condition)))[0], axis=axis)


@composite(_np.extract)
def extract(condition: Any, arr: Any) -> Any:
    """``numpy.extract``: the elements of the flattened ``arr`` where ``condition`` is true."""
    return getitem(ravel(as_array(arr)), _np.nonzero(_np.ravel(getval(condition)))[0])


# ----- choosing by condition -----------------------------------------------------------


@composite(_np.select)
def select(condlist: Any, choicelist: Any, default: Any = 0) -> Any:
    """``numpy.select``: from the first choice whose condition holds, else ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        c = _np.asarray(getval(cond))
        if c.dtype != bool:
            raise TypeError("invalid entry in condlist: should be boolean ndarray")
        out = where(c, choice, out)
    return out


@composite(_np.choose)
def choose(a: Any, choices: Any, out: Any = None, mode: str = "raise") -> Any:
    """``numpy.choose``: element ``i`` from ``choices[a[i]]`` (all arguments broadcast)."""
    idx = _np.asarray(getval(a))
    choices = list(choices)
    n = len(choices)
    if mode == "wrap":
        idx = _np.mod(idx, n)
    elif mode == "clip":
        idx = _np.clip(idx, 0, n - 1)
    elif idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError("invalid entry in choice array")
    res = choices[-1]
    for k in range(n - 2, -1, -1):
        res = where(idx == k, choices[k], res)
    shape = _np.broadcast_shapes(idx.shape, *[_np.shape(getval(c)) for c in choices])
    return res if shape_of(res) == shape else broadcast_to(res, shape)


# ----- sorting ---------------------------------------------------------------------------


def _gather_sorted(a: Any, order: Any, axis: Any) -> Any:
    return take_along_axis(a, order, axis)


@composite(_np.sort)
def sort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, **kwargs: Any) -> Any:
    """``numpy.sort``; each sorted element's derivative is that of the element it came from."""
    a = as_array(a)
    if axis is None:
        a, axis = ravel(a), -1
    return _gather_sorted(a, _np.argsort(getval(a), axis=axis, kind=kind, **kwargs), axis)


@composite(_np.partition)
def partition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None) -> Any:
    """``numpy.partition``, through ``argpartition`` of the plain values (the same arrangement)."""
    a = as_array(a)
    if axis is None:
        a, axis = ravel(a), -1
    return _gather_sorted(a, _np.argpartition(getval(a), kth, axis=axis, kind=kind), axis)


@composite(_np.sort_complex)
def sort_complex(a: Any) -> Any:
    """``numpy.sort_complex``: sorted along the last axis, as a complex array."""
    s = sort(a)
    return s if is_complex(s) else s + 0j


@composite(_np.unique)
def unique(ar: Any, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: Any = None, **kwargs: Any) -> Any:
    """``numpy.unique``; each unique value is differentiated as its first occurrence."""
    res = _np.unique(getval(ar), return_index=True, return_inverse=return_inverse,
                     return_counts=return_counts, axis=axis, **kwargs)
    first = res[1]
    ar = as_array(ar)
    values = getitem(ravel(ar), first) if axis is None else take(ar, first, axis=axis)
    extra = ([first] if return_index else []) + list(res[2:])
    return (values, *extra) if extra else values


# ----- interpolation and polynomials ------------------------------------------------------


@composite(_np.interp)
def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None, period: Any = None) -> Any:
    """``numpy.interp``, differentiable in ``x``, ``fp``, ``left`` and ``right`` (not ``xp``)."""
    if _is_traced(xp):
        raise NonDifferentiableError(
            "tapegrad.numpy.interp has no derivative with respect to the sample positions xp; "
            "pass tapegrad.stop_gradient(xp) if none should flow."
        )
    xp_ = _np.asarray(getval(xp), dtype=float)
    fp = as_array(fp)
    if xp_.ndim != 1 or shape_of(fp) != xp_.shape:
        raise ValueError("fp and xp are not of the same length.")
    xv = _np.asarray(getval(x), dtype=float)
    if period is not None:
        if period == 0:
            raise ValueError("period must be a non-zero value")
        period = abs(period)
        left = right = None
        shift = period * _np.floor(xv / period)  # piecewise constant: no derivative
        x, xv = x - shift, xv - shift
        order = _np.argsort(_np.mod(xp_, period), kind="stable")
        xp_s = _np.mod(xp_, period)[order]
        fp_s = getitem(fp, order)
        xp_ = _np.concatenate([xp_s[-1:] - period, xp_s, xp_s[:1] + period])
        fp = concatenate([getitem(fp_s, slice(-1, None)), fp_s, getitem(fp_s, slice(0, 1))])
    n = xp_.shape[0]
    if n == 1:
        y = broadcast_to(getitem(fp, 0), xv.shape)
    else:
        j = _np.clip(_np.searchsorted(xp_, xv, side="right") - 1, 0, n - 2)
        f0 = getitem(fp, j)
        y = (getitem(fp, j + 1) - f0) / (xp_[j + 1] - xp_[j]) * (x - xp_[j]) + f0
    below, above = xv < xp_[0], xv > xp_[-1]
    if below.any():
        y = where(below, getitem(fp, 0) if left is None else left, y)
    if above.any():
        y = where(above, getitem(fp, -1) if right is None else right, y)
    return y


@composite(_np.polyval)
def polyval(p: Any, x: Any) -> Any:
    """``numpy.polyval`` by Horner's rule, differentiable in the coefficients and ``x``."""
    p, x = as_array(p), as_array(x)
    coeffs = list(p)
    if not coeffs:
        return x * 0.0
    y = coeffs[0]
    for c in coeffs[1:]:
        y = y * x + c
    shape = _np.broadcast_shapes(shape_of(x), shape_of(coeffs[0]))
    return y if shape_of(y) == shape else broadcast_to(y, shape)


# ----- repairing values ---------------------------------------------------------------------


@composite(_np.unwrap)
def unwrap(p: Any, discont: Any = None, axis: int = -1, **kwargs: Any) -> Any:
    """``numpy.unwrap``: ``p`` plus a piecewise-constant multiple of the period."""
    pv = _np.asarray(getval(p))
    return p + (_np.unwrap(pv, discont, axis, **kwargs) - pv)


# ----- index results (no derivative) ---------------------------------------------------------

argpartition = wrap_nondiff(_np.argpartition)


def _lexsort(keys: Any, axis: int = -1) -> Any:
    # The keys come as one sequence: see through the boxes inside it.
    keys = [getval(k) for k in keys] if isinstance(keys, (list, tuple)) else getval(keys)
    return _np.lexsort(keys, axis=axis)


lexsort = wrap_nondiff(_lexsort, "lexsort")
FUNCTIONS[_np.lexsort] = lexsort

__all__ = [
    "take", "take_along_axis", "put_along_axis", "put", "compress", "extract",
    "select", "choose", "sort", "partition", "sort_complex", "unique",
    "interp", "polyval", "unwrap", "argpartition", "lexsort",
]
