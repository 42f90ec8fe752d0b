"""Indexing, assignment into arrays, and selection by condition.

Assignment is functional underneath: ``x[idx] = v`` on a traced array records
``setitem(x, idx, v)``, a new array, and rebinds the box. Arrays that the
backward pass still needs are never written to.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import def_rules, getval, primitive
from ..core.containers import Partial
from .assignment import ElementReads
from .layout import is_basic
from ._wrap import broadcast_tangent, dispatches, ops, provide, shape_of, unbroadcast, wrap


def _getitem(x: Any, idx: Any) -> Any:
    return x[idx]


def _untake(g: Any, idx: Any, shape: tuple, dtype: Any) -> Any:
    out = _np.zeros(shape, dtype=dtype)
    if is_basic(idx):
        out[idx] = g
    else:
        _np.add.at(out, idx, g)  # repeated indices accumulate
    return out


getitem = primitive(_getitem, "getitem")
untake = primitive(_untake, "untake")


def _dtype_of(x: Any) -> Any:
    v = getval(x)
    return v.dtype if hasattr(v, "dtype") else _np.result_type(v)


def _getitem_vjp(g: Any, ans: Any, x: Any, idx: Any) -> Any:
    shape = shape_of(x)
    dtype = _np.result_type(_dtype_of(x), _dtype_of(g))
    parts = idx if type(idx) is tuple else (idx,)
    if ((type(g) in _REAL_SCALARS or type(g) is _np.ndarray and g.shape == ()) and len(parts) == len(shape)
            and dtype == _np.float64
            and all(type(i) is int for i in parts) and _np.prod(shape) >= ElementReads.MIN_SIZE):
        # an element read of a large array, at first order: kept sparse (see ElementReads)
        return Partial((shape, dtype), {tuple(i % n for i, n in zip(parts, shape)): g}, ElementReads)
    return untake(g, idx, shape, dtype)


_REAL_SCALARS = frozenset({float, _np.float64})

def_rules(
    getitem,
    vjp=_getitem_vjp,
    jvp=lambda x_dot, ans, x, idx: getitem(x_dot, idx),
)
def_rules(
    untake,
    vjp=lambda g, ans, x, idx, shape, dtype: getitem(g, idx),
    jvp=lambda x_dot, ans, x, idx, shape, dtype: untake(x_dot, idx, shape, dtype),
)


def _setitem(x: Any, idx: Any, v: Any) -> Any:
    out = _np.array(x, dtype=_np.result_type(x, v), copy=True)
    out[idx] = v
    return out


setitem = primitive(_setitem, "setitem")


def _winners(shape: tuple, idx: Any, v_shape: tuple) -> Any:
    """For an advanced index with repeats, which assigned elements survive (the last write wins)."""
    target = _np.empty(shape, dtype=_np.intp)
    picked_shape = _np.empty(shape, dtype=bool)[idx].shape
    marker = _np.arange(int(_np.prod(picked_shape)), dtype=_np.intp).reshape(picked_shape)
    target[idx] = marker
    return target[idx] == marker


def _setitem_vjp_v(g: Any, ans: Any, x: Any, idx: Any, v: Any) -> Any:
    picked = getitem(g, idx)
    if not is_basic(idx):
        picked = where(_winners(shape_of(x), idx, shape_of(v)), picked, 0.0)
    extra = len(shape_of(v)) - len(shape_of(picked))
    if extra > 0:  # NumPy lets the value carry extra leading unit axes

        picked = ops.reshape(picked, (1,) * extra + shape_of(picked))
    return unbroadcast(picked, v)


def_rules(
    setitem,
    vjp=(lambda g, ans, x, idx, v: setitem(g, idx, 0.0), None, _setitem_vjp_v),
    jvp=(
        lambda x_dot, ans, x, idx, v: setitem(x_dot, idx, 0.0),
        None,
        lambda v_dot, ans, x, idx, v: setitem(_np.zeros(shape_of(ans), _np.result_type(_dtype_of(ans), _dtype_of(v_dot))), idx, v_dot),
    ),
)


# ----- where ----------------------------------------------------------------------

_where = wrap(_np.where)


@dispatches(_np.where)
def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """``numpy.where``; with one argument it returns indices (no derivative)."""
    if x is None and y is None:
        return _np.where(getval(condition))
    return _where(getval(condition), x, y)


def_rules(
    _where,
    vjp=(
        None,
        lambda g, ans, c, x, y: unbroadcast(_where(c, g, 0.0), x),
        lambda g, ans, c, x, y: unbroadcast(_where(c, 0.0, g), y),
    ),
    jvp=(
        None,
        lambda x_dot, ans, c, x, y: broadcast_tangent(_where(c, x_dot, 0.0), ans),
        lambda y_dot, ans, c, x, y: broadcast_tangent(_where(c, 0.0, y_dot), ans),
    ),
)


__all__ = ["getitem", "setitem", "where"]

provide(where=where)  # for the modules below (_wrap.ops)
