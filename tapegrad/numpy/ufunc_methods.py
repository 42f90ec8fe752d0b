"""The methods of ufuncs on traced values: ``at``, ``reduce``, ``accumulate``, ``reduceat``, ``outer``.

``numpy.add.at(x, idx, v)`` on a traced array reaches :func:`apply` through the
box's ``__array_ufunc__``; ``tapegrad.numpy.add.at`` is NumPy's method itself
(:func:`attach`), so both spellings do the same. Each method is NumPy's own
definition written with differentiable operations:

* ``reduce``: ``add`` is ``sum``, ``multiply`` ``prod``, ``maximum`` ``max``,
  ``minimum`` ``min``; any other ufunc folds its operation along the axis
  (``subtract.reduce(a)`` is ``(a[0] - a[1]) - a[2] ...``), one operation per
  element of the axis.
* ``accumulate``: ``add`` is ``cumsum``, ``multiply`` ``cumprod``; any other
  ufunc keeps every step of the fold.
* ``reduceat``: each segment ``a[i:j]`` reduced as ``reduce`` does, or ``a[i]``
  where ``j <= i``, as NumPy defines it.
* ``outer``: the operation on ``a`` given ``b.ndim`` trailing unit axes (broadcasting).
* ``at``: unbuffered, in place on its first argument, repeated indices applied
  in turn, through the same writes as ``x[idx] = v`` (views of ``x`` see them).
  ``add.at`` and ``subtract.at`` are one scatter-add of all the values; other
  ufuncs apply the operation once per repetition of an index.

Values are NumPy's (NumPy computes each call on the plain values first, for
its errors, dtypes and warnings); a ufunc without derivative rules
(``scipy.special.struve``) is refused by name.

>>> import numpy
>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> def f(x):
...     y = np.zeros(3)
...     numpy.add.at(y, [0, 2, 0], x)   # y[0] gets x[0] + x[2]
...     return np.sum(y ** 2)
>>> grad(f)(np.array([1.0, 2.0, 3.0]))
array([8., 4., 8.])
>>> float(grad(lambda x: np.subtract.reduce(x))(np.array([5.0, 1.0, 2.0]))[1])
-1.0
"""

from __future__ import annotations

import types
from typing import Any, Callable

import numpy as _np

from ..core import Box, NonDifferentiableError, TraceLeakError, def_rules, getval, primitive
from ._wrap import UFUNCS, is_complex, pack_sequences, shape_of, ufunc_name
from .creation import astype
from .indexing import getitem, untake, where
from .memory import example_value, write
from .reductions import max as _max
from .reductions import min as _min
from .reductions import prod, sum as _sum
from .scans import cumprod, cumsum
from .shaping import as_array, broadcast_to, moveaxis, reshape, stack
from .ufuncs import real

METHODS = ("at", "reduce", "accumulate", "reduceat", "outer")
_REDUCTIONS = {_np.add: _sum, _np.multiply: prod, _np.maximum: _max, _np.minimum: _min}
_SCANS = {_np.add: cumsum, _np.multiply: cumprod}
_NO_VALUE = object()  # initial= not given


def _plain(x: Any) -> Any:
    """``x`` with the values under any boxes (an index, a tuple of indices, a list)."""
    if isinstance(x, Box):
        return getval(x)
    if type(x) in (tuple, list):
        return type(x)(_plain(i) for i in x)
    return x


def _example(x: Any) -> Any:
    """``_plain(x)``; under vmap, example 0 of a batched value (what NumPy's checks are run on)."""
    v = _plain(x)
    return example_value(x) if isinstance(v, Box) else v  # (batched: getval stops at it)


def _traced(x: Any) -> bool:
    return isinstance(x, Box) or (type(x) in (tuple, list) and any(_traced(i) for i in x))


def _operation(ufunc: Any, method: str) -> Callable:
    """tapegrad's function for ``ufunc`` (for one without derivative, it returns plain values)."""
    ours = UFUNCS.get(ufunc)
    if ours is None:
        raise NonDifferentiableError(
            f"{ufunc_name(ufunc)}.{method} received a traced value, and {ufunc_name(ufunc)} has no derivative "
            "rule in tapegrad. Define one with tapegrad.extend (primitive, defvjp, defjvp), or apply it "
            "to tapegrad.stop_gradient(x) if no derivative should flow through it."
        )
    return ours


def apply(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    """``ufunc.method(*inputs, **kwargs)`` with a traced value among the inputs (``out=`` taken off).

    >>> import numpy
    >>> from tapegrad import grad
    >>> grad(lambda x: apply(numpy.multiply, "outer", (x, x), {})[0, 1])(numpy.array([2.0, 3.0]))
    array([3., 2.])
    """
    ours = _operation(ufunc, method)
    if method == "at":
        return _at(ufunc, ours, *inputs, **kwargs)
    plain = getattr(ufunc, method)(*_plain(inputs), **_plain(kwargs))  # NumPy's errors, dtype and warnings
    if getattr(ours, "_notrace", False) or not any(_traced(i) for i in inputs):
        return plain  # no derivative to carry (a comparison, a traced index only)
    with _np.errstate(all="ignore"):  # NumPy has just warned about these values, if at all
        if method == "outer":
            result = _outer(ours, *inputs, **kwargs)
        else:  # reduce, accumulate, reduceat: NumPy knows no other method
            result = _BY_METHOD[method](ufunc, ours, *inputs, **kwargs)
    return _as_dtype(result, plain)


def _as_dtype(result: Any, plain: Any) -> Any:
    want = getattr(plain, "dtype", None)
    if want is not None and want.kind in "fc" and getattr(getval(result), "dtype", want) != want:
        return astype(result, want)
    return result


# ----- outer, reduce, accumulate, reduceat ----------------------------------------------------------


def _outer(ours: Callable, a: Any, b: Any, **kwargs: Any) -> Any:
    a = as_array(a)
    return ours(reshape(a, shape_of(a) + (1,) * len(shape_of(as_array(b)))), b, **kwargs)


def _folded_axes(a: Any, axis: Any) -> tuple[Any, tuple, tuple]:
    """``a`` with the axes to reduce moved last and merged into one; the kept shape; the reduced axes."""
    nd = len(shape_of(a))
    axes = tuple(range(nd)) if axis is None else tuple(ax % nd for ax in (axis if type(axis) is tuple else (axis,)))
    kept = [d for d in range(nd) if d not in axes]
    kept_shape = tuple(shape_of(a)[d] for d in kept)
    moved = moveaxis(a, axes, tuple(range(len(kept), nd))) if axes != tuple(range(len(kept), nd)) else a
    return reshape(moved, kept_shape + (-1,)), kept_shape, axes


def _step(ours: Callable, acc: Any, item: Any, mask: Any) -> Any:
    new = ours(acc, item)
    return new if mask is None else where(mask, new, acc)


def _reduce(ufunc: Any, ours: Callable, a: Any, axis: Any = 0, dtype: Any = None, keepdims: bool = False,
            initial: Any = _NO_VALUE, where: Any = True) -> Any:
    a = as_array(a)
    if dtype is not None:
        a = astype(a, dtype)
    red = _REDUCTIONS.get(ufunc)
    if red is not None:
        extra = {} if initial is _NO_VALUE else {"initial": initial}
        if where is not True:
            extra["where"] = _plain(where)
        return red(a, axis=axis, keepdims=keepdims, **extra)
    flat, kept_shape, axes = _folded_axes(a, axis)
    mask = None
    if where is not True:
        mask, _, _ = _folded_axes(_np.broadcast_to(_np.asarray(_plain(where), dtype=bool), shape_of(a)), axis)
        if initial is _NO_VALUE:
            initial = ufunc.identity
    acc = None if initial is _NO_VALUE else _np.full(kept_shape, initial, dtype=getval(a).dtype)
    for i in range(shape_of(flat)[-1]):
        item = getitem(flat, (Ellipsis, i))
        acc = item if acc is None else _step(ours, acc, item, None if mask is None else mask[..., i])
    if keepdims:
        acc = reshape(acc, tuple(1 if d in axes else n for d, n in enumerate(shape_of(a))))
    return acc


def _accumulate(ufunc: Any, ours: Callable, a: Any, axis: int = 0, dtype: Any = None) -> Any:
    a = as_array(a)
    scan = _SCANS.get(ufunc)
    if scan is not None:
        return scan(a, axis=axis, dtype=dtype)
    if dtype is not None:
        a = astype(a, dtype)
    axis = 0 if axis is None else axis % len(shape_of(a))  # None: a 1-d array (NumPy has checked)
    steps, acc = [], None
    for i in range(shape_of(a)[axis]):
        item = getitem(a, (slice(None),) * axis + (i,))
        acc = item if acc is None else ours(acc, item)
        steps.append(acc)
    return stack(steps, axis=axis)


def _reduceat(ufunc: Any, ours: Callable, a: Any, indices: Any, axis: int = 0, dtype: Any = None) -> Any:
    a = as_array(a)
    if dtype is not None:
        a = astype(a, dtype)
    axis = 0 if axis is None else axis % len(shape_of(a))  # None: a 1-d array (NumPy has checked)
    n, starts = shape_of(a)[axis], [int(i) for i in _np.ravel(_plain(indices))]
    segments = []
    for k, lo in enumerate(starts):
        hi = starts[k + 1] if k + 1 < len(starts) else n
        lo %= n  # NumPy has checked the bounds
        if lo < hi:
            part = getitem(a, (slice(None),) * axis + (slice(lo, hi),))
            segments.append(_reduce(ufunc, ours, part, axis=axis))
        else:
            segments.append(getitem(a, (slice(None),) * axis + (lo,)))
    return stack(segments, axis=axis)


_BY_METHOD = {"reduce": _reduce, "accumulate": _accumulate, "reduceat": _reduceat}


# ----- at: unbuffered writes ---------------------------------------------------------------------


def _add_at_value(cur: Any, inverse: Any, values: Any) -> Any:
    out = _np.array(cur, copy=True)
    _np.add.at(out, inverse, values)  # NumPy's own order of additions, element by element
    return out


# ``cur`` (the written elements, each once) plus the ``values`` added at ``inverse``: linear in both.
add_at = primitive(_add_at_value, "add.at")


def _values_cotangent(g: Any, ans: Any, cur: Any, inverse: Any, values: Any) -> Any:
    t = getitem(g, inverse)
    if is_complex(t) and not is_complex(values):
        t = real(t)
    want = getattr(getval(values), "dtype", None)
    if want is not None and want.kind in "fc" and getval(t).dtype != want:
        t = astype(t, want)
    return t


def_rules(
    add_at,
    vjp=(lambda g, ans, cur, inverse, values: g, None, _values_cotangent),
    jvp=(
        lambda cur_dot, ans, cur, inverse, values: cur_dot,
        None,
        lambda v_dot, ans, cur, inverse, values: untake(v_dot, inverse, shape_of(ans), getval(ans).dtype),
    ),
)


def _refuse_plain_target(ufunc: Any) -> None:
    raise TraceLeakError(
        f"{ufunc_name(ufunc)}.at would write traced values into a plain ndarray, and their derivative "
        "would be lost. Create the array with tapegrad.numpy (np.zeros, np.array, ...) inside the "
        "differentiated function so that it can hold traced values."
    )


def _at(ufunc: Any, ours: Callable, a: Any, indices: Any, b: Any = None) -> None:
    index = _plain(indices)
    if not isinstance(a, Box):
        if _traced(b):
            _refuse_plain_target(ufunc)
        ufunc.at(a, index, *(() if b is None else (_plain(b),)))  # only the indices were boxes
        return None
    args = () if b is None else (_example(b),)
    target = _example(a)
    scratch = target  # not an array (a traced scalar): NumPy's TypeError
    if isinstance(target, _np.ndarray):
        scratch = target.copy()  # NumPy's errors (bounds, shapes, types), on a copy
    ufunc.at(scratch, index, *args)
    shape = shape_of(a)
    positions = _np.arange(int(_np.prod(shape)), dtype=_np.intp).reshape(shape)[index]
    flat = positions.reshape(-1)
    if flat.size == 0:
        return None
    values = None
    if b is not None:
        values = reshape(broadcast_to(as_array(b), positions.shape), (-1,))
    with _np.errstate(all="ignore"):  # NumPy has just warned about these values, if at all
        if ufunc is _np.add or ufunc is _np.subtract:
            unique, inverse = _np.unique(flat, return_inverse=True)
            if ufunc is _np.subtract:
                values = -values  # x - v is x + (-v), to the last bit
            where_ = _np.unravel_index(unique, shape)
            write(a, where_, add_at(getitem(a, where_), inverse.reshape(-1), values))
            return None
        # Any other ufunc: its operation applied once per repetition of an index, in NumPy's order.
        for turn in _turns(flat):
            where_ = _np.unravel_index(flat[turn], shape)
            cur = getitem(a, where_)
            new = ours(cur) if values is None else ours(cur, getitem(values, turn))
            write(a, where_, new)
    return None


def _turns(flat: _np.ndarray) -> list:
    """The elements of ``flat`` grouped by how often their value came before: each group has no repeats."""
    order = _np.argsort(flat, kind="stable")
    ranked = flat[order]
    starts = _np.flatnonzero(_np.r_[True, ranked[1:] != ranked[:-1]])
    counts = _np.diff(_np.r_[starts, ranked.size])
    rank = _np.empty_like(order)
    rank[order] = _np.arange(ranked.size) - _np.repeat(starts, counts)
    return [_np.flatnonzero(rank == r) for r in range(int(rank.max()) + 1)]


# ----- tapegrad.numpy.add.at and friends ------------------------------------------------------


# ``numpy.add.at`` and friends as ``tapegrad.numpy.add.at``: lists holding traced values are made
# traced arrays, then NumPy's method runs (its traced values reach apply()). One small object per
# ufunc and method (about 450, made at import); each one's docstring (the property below) is
# written when it is read.
class _Method:
    __slots__ = ("_ufunc", "_name")

    def __init__(self, ufunc: Any, name: str) -> None:
        self._ufunc = ufunc
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        packed = pack_sequences(args, kwargs)  # lists holding traced values become traced arrays
        if packed is not None:
            args, kwargs = packed
        return getattr(self._ufunc, self._name)(*args, **kwargs)

    @property
    def __name__(self) -> str:  # type: ignore[override]
        return self._name

    def __getattr__(self, attr: str) -> Any:
        if attr == "__qualname__":  # (a class body cannot define it as a property)
            return f"{self._ufunc.__name__}.{self._name}"
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")

    @property
    def __doc__(self) -> str:  # type: ignore[override]
        name = ufunc_name(self._ufunc)
        return f"``{name}.{self._name}``, differentiable where {name} is (see tapegrad.numpy.ufunc_methods)."

    def __repr__(self) -> str:
        return f"<tapegrad.numpy {self.__qualname__}>"


def _method(ufunc: Any, name: str) -> Callable:
    return _Method(ufunc, name)


def attach(namespace: dict) -> None:
    """Give each function of ``namespace`` standing for a NumPy ufunc that ufunc's methods.

    ``tapegrad.numpy.add.at(x, idx, v)`` is then ``numpy.add.at(x, idx, v)``,
    whose traced values reach :func:`apply`.

    >>> import tapegrad.numpy as np
    >>> x = np.array([1.0, 2.0])
    >>> np.add.at(x, [0, 0], 1.0); x
    array([3., 2.])
    """
    for name, ours in namespace.items():
        if type(ours) is not types.FunctionType:  # (not isinstance: it reads a lazy submodule's __class__)
            continue
        ufunc = getattr(_np, name, None)
        if not isinstance(ufunc, _np.ufunc):
            continue
        for method in METHODS:
            if not hasattr(ours, method):
                setattr(ours, method, _method(ufunc, method))
