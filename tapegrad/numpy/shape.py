"""Functions that move, copy or join elements without changing their values."""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import Box, def_rules, getval, primitive
from ._wrap import def_linear, dispatches, shape_of, unbroadcast, wrap
from .composite import composite

reshape = wrap(_np.reshape)
def_rules(reshape, vjp=lambda g, ans, x, *args, **kw: reshape(g, shape_of(x)))
def_linear(reshape)

ravel = wrap(_np.ravel)
def_rules(ravel, vjp=lambda g, ans, x, *args, **kw: reshape(g, shape_of(x)))
def_linear(ravel)

squeeze = wrap(_np.squeeze)
def_rules(squeeze, vjp=lambda g, ans, x, *args, **kw: reshape(g, shape_of(x)))
def_linear(squeeze)

expand_dims = wrap(_np.expand_dims)
def_rules(expand_dims, vjp=lambda g, ans, x, *args, **kw: reshape(g, shape_of(x)))
def_linear(expand_dims)


def _transpose_vjp(g: Any, ans: Any, x: Any, axes: Any = None) -> Any:
    if axes is None:
        return transpose(g)
    return transpose(g, _np.argsort([a % len(axes) for a in axes]))


transpose = wrap(_np.transpose)
def_rules(transpose, vjp=_transpose_vjp)
def_linear(transpose)

swapaxes = wrap(_np.swapaxes)
def_rules(swapaxes, vjp=lambda g, ans, x, axis1, axis2: swapaxes(g, axis1, axis2))
def_linear(swapaxes)

moveaxis = wrap(_np.moveaxis)
def_rules(moveaxis, vjp=lambda g, ans, x, source, destination: moveaxis(g, destination, source))
def_linear(moveaxis)

broadcast_to = wrap(_np.broadcast_to)
def_rules(broadcast_to, vjp=lambda g, ans, x, shape, **kw: unbroadcast(g, x))
def_linear(broadcast_to)


def _concat(axis: int, *arrays: Any) -> Any:
    return _np.concatenate(arrays, axis=axis)


def _concat_vjp(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
    from .indexing import getitem

    axis = args[0]
    ndim = len(shape_of(ans))
    ax = axis % ndim
    starts = _np.cumsum([0] + [shape_of(a)[ax] for a in args[1:]])
    out = []
    for a in argnums:
        idx = (slice(None),) * ax + (slice(int(starts[a - 1]), int(starts[a])),)
        out.append(getitem(g, idx))
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
    if not any(isinstance(a, Box) for a in arrays):
        return _np.concatenate(arrays, axis=axis, **kwargs)
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    return concat_args(axis, *arrays)


@composite(_np.stack)
def stack(arrays: Any, axis: int = 0, **kwargs: Any) -> Any:
    """``numpy.stack``: join arrays along a new axis."""
    arrays = list(arrays)
    ndim = len(shape_of(arrays[0])) + 1
    return concatenate([expand_dims(a, axis % ndim) for a in arrays], axis=axis % ndim)


@composite(_np.atleast_1d)
def atleast_1d(*arys: Any) -> Any:
    """``numpy.atleast_1d``."""
    res = [reshape(a, (1,)) if len(shape_of(a)) == 0 else a for a in arys]
    return res[0] if len(res) == 1 else res


@composite(_np.atleast_2d)
def atleast_2d(*arys: Any) -> Any:
    """``numpy.atleast_2d``."""
    res = []
    for a in arys:
        s = shape_of(a)
        res.append(reshape(a, (1,) * (2 - len(s)) + s) if len(s) < 2 else a)
    return res[0] if len(res) == 1 else res


@composite(_np.hstack)
def hstack(tup: Any, **kwargs: Any) -> Any:
    """``numpy.hstack``."""
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, axis=0 if len(shape_of(arrs[0])) == 1 else 1)


@composite(_np.vstack)
def vstack(tup: Any, **kwargs: Any) -> Any:
    """``numpy.vstack``."""
    return concatenate([atleast_2d(a) for a in tup], axis=0)


def _array_from_args(shape: tuple, *elements: Any) -> Any:
    return _np.reshape(_np.array(elements), shape + _np.shape(elements[0]))


array_from_args = primitive(_array_from_args, "array")
def_rules(
    array_from_args,
    vjp_joint=lambda argnums, g, ans, args, kwargs: [
        _array_element(g, args[0], a - 1) for a in argnums
    ],
)


def _array_element(g: Any, shape: tuple, i: int) -> Any:
    from .indexing import getitem

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
    "reshape", "ravel", "squeeze", "expand_dims", "transpose", "swapaxes", "moveaxis",
    "broadcast_to", "concatenate", "stack", "atleast_1d", "atleast_2d", "hstack", "vstack",
    "array_from_args", "nested_shape", "flatten_nested", "contains_box",
]
_ = getval
