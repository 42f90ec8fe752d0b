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

from ..core import CONSTANT, Box, NonDifferentiableError, getval
from ._wrap import FUNCTIONS, is_complex, shape_of, wrap_nondiff
from .composite import composite
from .indexing import getitem, setitem, where
from .shaping import as_array, broadcast_to, concatenate, ravel


def _along(ax: int, index: Any) -> tuple:
    """An index selecting ``index`` along axis ``ax`` (all of every other axis)."""
    return (slice(None),) * ax + (index,)


def _static_index(indices: Any) -> Any:
    idx = _np.asarray(getval(indices))
    return int(idx) if idx.ndim == 0 else idx


def _is_traced(x: Any) -> bool:
    return isinstance(x, Box) and x._trace is not CONSTANT


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
    idx = getval(indices)
    if not isinstance(idx, Box):  # (a batched index of a vmap stays one)
        idx = _np.asarray(idx)
    if len(shape_of(idx)) != len(s):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    return getitem(arr, _along_axis_index(s, idx, axis % len(s)))


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


# ----- piecewise definitions and trimming ------------------------------------------------------


@composite(_np.piecewise)
def piecewise(x: Any, condlist: Any, funclist: Any, *args: Any, **kw: Any) -> Any:
    """``numpy.piecewise``: each function applied where its condition holds (later ones win)."""
    x = as_array(x)
    xv = _np.asarray(getval(x))
    n_funcs = len(funclist)
    if _np.isscalar(condlist) or (
        not isinstance(condlist[0], (list, _np.ndarray, Box)) and xv.ndim != 0
    ):
        condlist = [condlist]
    conds = [_np.asarray(getval(c), dtype=bool) for c in condlist]
    if len(conds) == n_funcs - 1:
        conds.append(~_np.any(conds, axis=0))
    elif len(conds) != n_funcs:
        raise ValueError(
            f"with {len(conds)} condition(s), either {len(conds)} or {len(conds) + 1} functions are expected"
        )
    y = _np.zeros(xv.shape, dtype=xv.dtype)
    for cond, f in zip(conds, funclist):
        cond = _np.broadcast_to(cond, xv.shape)
        if not callable(f):
            y = where(cond, f, y)
        elif cond.any():
            y = setitem(y, cond, f(getitem(x, cond), *args, **kw))
    return y


@composite(_np.trim_zeros)
def trim_zeros(filt: Any, trim: str = "fb", axis: Any = None) -> Any:
    """``numpy.trim_zeros``: the slice of ``filt`` without its leading/trailing zeros."""
    v = _np.asarray(getval(filt))
    trim = trim.lower()
    if trim not in ("fb", "bf", "f", "b"):
        raise ValueError(f"unexpected character(s) in `trim`: {trim!r}")
    axes = range(v.ndim) if axis is None else [a % v.ndim for a in _np.atleast_1d(axis)]
    nz = _np.argwhere(v)
    if nz.size == 0:
        start = stop = [0] * v.ndim
    else:
        start = nz.min(axis=0) if "f" in trim else [None] * v.ndim
        stop = nz.max(axis=0) + 1 if "b" in trim else [None] * v.ndim
    return getitem(filt, tuple(
        slice(None if start[d] is None else int(start[d]), None if stop[d] is None else int(stop[d]))
        if d in axes else slice(None)
        for d in range(v.ndim)
    ))


# ----- index results (no derivative) ---------------------------------------------------------

argpartition = wrap_nondiff(_np.argpartition)
isin = wrap_nondiff(_np.isin)
ix_ = wrap_nondiff(_np.ix_)
ravel_multi_index = wrap_nondiff(_np.ravel_multi_index)
unravel_index = wrap_nondiff(_np.unravel_index)
diag_indices = wrap_nondiff(_np.diag_indices)
diag_indices_from = wrap_nondiff(_np.diag_indices_from)
tril_indices = wrap_nondiff(_np.tril_indices)
tril_indices_from = wrap_nondiff(_np.tril_indices_from)
triu_indices = wrap_nondiff(_np.triu_indices)
triu_indices_from = wrap_nondiff(_np.triu_indices_from)
mask_indices = wrap_nondiff(_np.mask_indices)


def _lexsort(keys: Any, axis: int = -1) -> Any:
    # The keys come as one sequence: see through the boxes inside it.
    keys = [getval(k) for k in keys] if isinstance(keys, (list, tuple)) else getval(keys)
    return _np.lexsort(keys, axis=axis)


_lexsort.__name__ = _lexsort.__qualname__ = "lexsort"  # NumPy's name, which the wrapper keeps
lexsort = wrap_nondiff(_lexsort, "lexsort")
FUNCTIONS[_np.lexsort] = lexsort

__all__ = [
    "take", "take_along_axis", "compress", "extract", "select", "choose",
    "sort", "partition", "sort_complex", "unique", "interp", "polyval", "unwrap",
    "piecewise", "trim_zeros",
    "argpartition", "lexsort", "isin", "ix_", "ravel_multi_index", "unravel_index",
    "diag_indices", "diag_indices_from", "tril_indices", "tril_indices_from",
    "triu_indices", "triu_indices_from", "mask_indices",
]
if hasattr(_np, "in1d"):  # removed in NumPy 2.4
    in1d = wrap_nondiff(_np.in1d)
    __all__.append("in1d")

# In-place writes (put, put_along_axis, place, putmask, copyto, fill_diagonal) live in
# writes.py; re-exported here so that ``from .selection import *`` brings them.
from .writes import *  # noqa: E402,F403
from .writes import __all__ as _writes_all  # noqa: E402

__all__ += _writes_all
