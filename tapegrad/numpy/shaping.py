"""Functions that move, copy or join elements without changing their values."""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import Box, def_rules, getval, primitive
from ._wrap import def_linear, dispatches, ops, provide, shape_of, unbroadcast, wrap
from .composite import composite
from .indexing import getitem


def as_array(x: Any) -> Any:
    """``x`` as a box or an ndarray (a list holding boxes, or a traced tuple, becomes one traced array)."""
    if isinstance(x, _np.ndarray) or (isinstance(x, Box) and not isinstance(getval(x), (list, tuple))):
        return x
    if contains_box(x):
        return ops.array(x)
    return _np.asarray(x)




def _order_name(order: Any) -> str:
    """NumPy's spelling of a memory-order argument: 'C', 'F', 'A' or 'K' (None is 'C')."""
    return "C" if order is None else str(order).upper()


def _keep_order_axes(shape: tuple, strides: tuple) -> tuple:
    """The axes of an array in the order ``ravel(order='K')`` reads them, outermost first.

    NumPy's traversal in memory order (``NpyIter``'s axis sort): axes sorted by
    decreasing absolute stride, by a stable insertion sort in which a zero
    stride (a broadcast axis, or an axis of length 1) compares with nothing.
    Negative strides are read as they are, not reversed (``ravel(x[::-1], 'K')``
    is ``x[::-1]``), as NumPy does.
    """
    st = [0 if n == 1 else s for n, s in zip(shape, strides)]
    perm = list(range(len(shape) - 1, -1, -1))  # innermost first, as NpyIter sorts
    for i0 in range(1, len(perm)):
        j0, pos = perm[i0], i0
        for i1 in range(i0 - 1, -1, -1):
            j1 = perm[i1]
            if st[j0] != 0 and st[j1] != 0:
                if abs(st[j1]) <= abs(st[j0]):
                    break
                pos = i1
        if pos != i0:
            perm[pos + 1:i0 + 1] = perm[pos:i0]
            perm[pos] = j0
    return tuple(perm[::-1])


def read_order(x: Any, order: Any) -> tuple:
    """How ``reshape``/``ravel(x, order)`` reads the elements of ``x``: ``(index_order, axes)``.

    The elements are read from ``transpose(x, axes)`` (``axes`` None: from ``x``)
    in the index order 'C' or 'F'. 'A' and 'K' depend on the memory layout of
    the array NumPy is given (the value under the boxes): 'A' reads in 'F'
    order when it is Fortran-contiguous and not C-contiguous, 'K' in the order
    the elements lie in memory (:func:`_keep_order_axes`).
    """
    order = _order_name(order)
    if order not in ("A", "K"):
        return order, None
    v = getval(x)
    flags = getattr(v, "flags", None)
    if flags is None or flags.c_contiguous:
        return "C", None
    if flags.f_contiguous:
        return "F", None
    if order == "A":
        return "C", None
    axes = _keep_order_axes(v.shape, v.strides)
    return "C", (None if axes == tuple(range(len(axes))) else axes)


def read_elements(t: Any, how: tuple, shape: Any) -> Any:
    """``t`` (an array shaped like the input) read as ``how`` says, into ``shape``."""
    order, axes = how
    if axes is not None:
        t = transpose(t, axes)
    return reshape(t, shape, order=order)


def unread_elements(g: Any, how: tuple, x_shape: tuple) -> Any:
    """The adjoint of :func:`read_elements`: the elements of ``g`` put back where they were read."""
    order, axes = how
    if axes is None:
        return reshape(g, x_shape, order=order)
    g = reshape(g, tuple(x_shape[a] for a in axes), order=order)
    return transpose(g, tuple(_np.argsort(axes)))


def _reshape_order(args: tuple, order: Any) -> Any:
    # reshape(a, shape, order): the order may come positionally.
    return args[1] if len(args) > 1 else order


def _reshape_vjp(g: Any, ans: Any, x: Any, *args: Any, order: Any = "C", **kw: Any) -> Any:
    return unread_elements(g, read_order(x, _reshape_order(args, order)), shape_of(x))


def _reshape_jvp(x_dot: Any, ans: Any, x: Any, *args: Any, order: Any = "C", **kw: Any) -> Any:
    return read_elements(x_dot, read_order(x, _reshape_order(args, order)), shape_of(ans))


# Functions returning several arrays return tuples in NumPy 2, lists in 1.x.
_SEQ = type(_np.broadcast_arrays(_np.zeros(1)))

# The order 'A' (and ravel's 'K') is that of the input's memory layout: the
# rules read it from x, never from the tangent or cotangent, whose layout is
# unrelated.
reshape = wrap(_np.reshape)
def_rules(reshape, vjp=_reshape_vjp, jvp=_reshape_jvp)

ravel = wrap(_np.ravel)
def_rules(
    ravel,
    vjp=lambda g, ans, x, order="C": unread_elements(g, read_order(x, order), shape_of(x)),
    jvp=lambda x_dot, ans, x, order="C": read_elements(x_dot, read_order(x, order), shape_of(ans)),
)

squeeze = wrap(_np.squeeze)
def_rules(squeeze, vjp=lambda g, ans, x, *args, **kw: reshape(g, shape_of(x)))
def_linear(squeeze, 0)

expand_dims = wrap(_np.expand_dims)
def_rules(expand_dims, vjp=lambda g, ans, x, *args, **kw: reshape(g, shape_of(x)))
def_linear(expand_dims, 0)


def _transpose_vjp(g: Any, ans: Any, x: Any, axes: Any = None) -> Any:
    if axes is None:
        return transpose(g)
    return transpose(g, _np.argsort([a % len(axes) for a in axes]))


transpose = wrap(_np.transpose)
def_rules(transpose, vjp=_transpose_vjp)
def_linear(transpose, 0)

swapaxes = wrap(_np.swapaxes)
def_rules(swapaxes, vjp=lambda g, ans, x, axis1, axis2: swapaxes(g, axis1, axis2))
def_linear(swapaxes, 0)

moveaxis = wrap(_np.moveaxis)
def_rules(moveaxis, vjp=lambda g, ans, x, source, destination: moveaxis(g, destination, source))
def_linear(moveaxis, 0)

broadcast_to = wrap(_np.broadcast_to)
def_rules(broadcast_to, vjp=lambda g, ans, x, shape, **kw: unbroadcast(g, x))
def_linear(broadcast_to, 0)


def _concat(axis: int, *arrays: Any) -> Any:
    return _np.concatenate(arrays, axis=axis)


def _concat_vjp(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
    axis = args[0]
    ndim = len(shape_of(ans))
    ax = axis % ndim
    starts = _np.cumsum([0] + [shape_of(a)[ax] for a in args[1:]])
    out = []
    for a in argnums:
        idx = (slice(None),) * ax + (slice(int(starts[a - 1]), int(starts[a])),)
        out.append(unbroadcast(getitem(g, idx), args[a]))  # a real piece gets a real cotangent
    return out


def _concat_jvp(argnums: tuple, tangents: tuple, ans: Any, args: tuple, kwargs: dict) -> Any:
    parts = [_np.zeros(shape_of(a), dtype=ans.dtype) for a in args[1:]]
    for a, t in zip(argnums, tangents):
        parts[a - 1] = t
    return concat_args(args[0], *parts)


concat_args = primitive(_concat, "concatenate")
def_rules(concat_args, vjp_joint=_concat_vjp, jvp_joint=_concat_jvp)


@dispatches(_np.concatenate)
def concatenate(arrays: Any, axis: int | None = 0, **kwargs: Any) -> Any:
    """``numpy.concatenate``, differentiable with respect to every array."""
    arrays = list(arrays)
    if not contains_box(arrays):  # boxes at any depth: ((x, y), (y, x)) too
        return _np.concatenate(arrays, axis=axis, **kwargs)
    arrays = [as_array(a) for a in arrays]
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    return concat_args(axis, *arrays)


@composite(_np.stack, sequence=True)
def stack(arrays: Any, axis: int = 0, **kwargs: Any) -> Any:
    """``numpy.stack``: join arrays along a new axis."""
    arrays = [as_array(a) for a in arrays]
    ndim = len(shape_of(arrays[0])) + 1
    return concatenate([expand_dims(a, axis % ndim) for a in arrays], axis=axis % ndim)


@composite(_np.atleast_1d)
def atleast_1d(*arys: Any) -> Any:
    """``numpy.atleast_1d``."""
    res = [as_array(a) for a in arys]
    res = [reshape(a, (1,)) if len(shape_of(a)) == 0 else a for a in res]
    return res[0] if len(res) == 1 else _SEQ(res)


@composite(_np.atleast_2d)
def atleast_2d(*arys: Any) -> Any:
    """``numpy.atleast_2d``."""
    res = []
    for a in map(as_array, arys):
        s = shape_of(a)
        res.append(reshape(a, (1,) * (2 - len(s)) + s) if len(s) < 2 else a)
    return res[0] if len(res) == 1 else _SEQ(res)


@composite(_np.atleast_3d)
def atleast_3d(*arys: Any) -> Any:
    """``numpy.atleast_3d``: 0-d to (1, 1, 1), (N,) to (1, N, 1), (M, N) to (M, N, 1)."""
    res = []
    for a in map(as_array, arys):
        s = shape_of(a)
        if len(s) == 0:
            a = reshape(a, (1, 1, 1))
        elif len(s) == 1:
            a = reshape(a, (1,) + s + (1,))
        elif len(s) == 2:
            a = reshape(a, s + (1,))
        res.append(a)
    return res[0] if len(res) == 1 else _SEQ(res)


@composite(_np.hstack, sequence=True)
def hstack(tup: Any, **kwargs: Any) -> Any:
    """``numpy.hstack``."""
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, axis=0 if len(shape_of(arrs[0])) == 1 else 1)


@composite(_np.vstack, sequence=True)
def vstack(tup: Any, **kwargs: Any) -> Any:
    """``numpy.vstack``."""
    return concatenate([atleast_2d(a) for a in tup], axis=0)


if hasattr(_np, "row_stack"):  # NumPy 1.x name, deprecated in 2.0
    row_stack = composite(_np.row_stack, "row_stack", sequence=True)(vstack.traced)


@composite(_np.dstack, sequence=True)
def dstack(tup: Any) -> Any:
    """``numpy.dstack``: join along the third axis."""
    return concatenate([atleast_3d(a) for a in tup], axis=2)


@composite(_np.column_stack, sequence=True)
def column_stack(tup: Any) -> Any:
    """``numpy.column_stack``: 1-d arrays become columns, then join along axis 1."""
    cols = []
    for a in map(as_array, tup):
        s = shape_of(a)
        cols.append(reshape(a, (s[0] if s else 1, 1)) if len(s) < 2 else a)
    return concatenate(cols, axis=1)


def _list_depth(obj: Any) -> int:
    return 1 + _list_depth(obj[0]) if isinstance(obj, list) and obj else 0


def _max_ndim(obj: Any) -> int:
    if isinstance(obj, list):
        return max((_max_ndim(o) for o in obj), default=0)
    return len(shape_of(obj))


def _block(obj: Any, depth: int, list_depth: int, ndim: int) -> Any:
    if isinstance(obj, tuple):
        raise TypeError("numpy.block does not accept tuples; use lists of arrays")
    if isinstance(obj, list):
        parts = [_block(o, depth + 1, list_depth, ndim) for o in obj]
        return concatenate(parts, axis=depth - list_depth)
    obj = as_array(obj)
    s = shape_of(obj)
    return reshape(obj, (1,) * (ndim - len(s)) + s) if len(s) < ndim else obj


@dispatches(_np.block)
def block(arrays: Any) -> Any:
    """``numpy.block``: assemble an array from nested lists of blocks."""
    if not contains_box(arrays):
        return _np.block(arrays)
    depth = _list_depth(arrays)
    return _block(arrays, 0, depth, max(depth, _max_ndim(arrays)))


if hasattr(_np, "matrix_transpose"):  # NumPy 2

    @composite(_np.matrix_transpose)
    def matrix_transpose(x: Any) -> Any:
        """``numpy.matrix_transpose``: swap the last two axes."""
        if len(shape_of(x)) < 2:
            raise ValueError("Input array must be at least 2-dimensional")
        return swapaxes(x, -1, -2)


@composite(_np.rollaxis)
def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """``numpy.rollaxis``: move ``axis`` to sit before position ``start``."""
    a = as_array(a)
    n = len(shape_of(a))
    if not -n <= axis < n:
        raise _np.exceptions.AxisError(f"axis {axis} is out of bounds for array of dimension {n}")
    axis %= n
    if start < 0:
        start += n
    if not 0 <= start <= n:
        raise _np.exceptions.AxisError(f"start arg requires {-n} <= start < {n + 1}")
    if axis < start:
        start -= 1
    if axis == start:
        return a
    axes = list(range(n))
    axes.remove(axis)
    axes.insert(start, axis)
    return transpose(a, axes)


@composite(_np.broadcast_arrays)
def broadcast_arrays(*args: Any, subok: bool = False) -> Any:
    """``numpy.broadcast_arrays``: every argument broadcast to the common shape."""
    args = [as_array(a) for a in args]
    shape = _np.broadcast_shapes(*[shape_of(a) for a in args])
    return _SEQ(a if shape_of(a) == shape else broadcast_to(a, shape) for a in args)


def _array_from_args(shape: tuple, *elements: Any) -> Any:
    return _np.reshape(_np.array(elements), shape + _np.shape(elements[0]))


array_from_args = primitive(_array_from_args, "array")
def_rules(
    array_from_args,
    vjp_joint=lambda argnums, g, ans, args, kwargs: [
        unbroadcast(_array_element(g, args[0], a - 1), args[a]) for a in argnums
    ],
)


def _array_element(g: Any, shape: tuple, i: int) -> Any:
    return getitem(g, _np.unravel_index(i, shape) if shape else ())


def _array_from_args_jvp(argnums: tuple, tangents: tuple, ans: Any, args: tuple, kwargs: dict) -> Any:
    parts = [_np.zeros(_np.shape(e), dtype=ans.dtype) for e in args[1:]]
    for a, t in zip(argnums, tangents):
        parts[a - 1] = t
    return array_from_args(args[0], *parts)


def_rules(array_from_args, jvp_joint=_array_from_args_jvp)


def nested_shape(obj: Any) -> tuple:
    """Shape of a nested list/tuple structure (the leading, list-made dimensions)."""
    if isinstance(obj, (list, tuple)):
        return (len(obj),) + (nested_shape(obj[0]) if len(obj) else ())
    return ()


def flatten_nested(obj: Any) -> list:
    if isinstance(obj, (list, tuple)):
        return [e for o in obj for e in flatten_nested(o)]
    return [obj]


def contains_box(obj: Any) -> bool:
    if isinstance(obj, Box):
        return True
    if isinstance(obj, (list, tuple)):
        return any(contains_box(o) for o in obj)
    return False


__all__ = [
    "reshape", "ravel", "squeeze", "expand_dims", "transpose", "swapaxes", "moveaxis", "rollaxis",
    "broadcast_to", "broadcast_arrays", "concatenate", "stack", "atleast_1d", "atleast_2d",
    "atleast_3d", "hstack", "vstack", "dstack", "column_stack", "block",
    "array_from_args", "nested_shape", "flatten_nested", "contains_box",
]
if hasattr(_np, "row_stack"):
    __all__.append("row_stack")
if hasattr(_np, "matrix_transpose"):
    __all__.append("matrix_transpose")

provide(as_array=as_array, contains_box=contains_box, reshape=reshape, broadcast_to=broadcast_to)  # for the modules below (_wrap.ops)
