"""Batching rules of the shape functions: the same function on the stack, with the examples' axis first.

Axes named by an example's numbering move one up (``axis_of``); a new shape
gets the examples' axis in front (reshapes in Fortran order put it last, where
it stays apart from the example's elements).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as _np

from ..core import def_rules
from . import creation, rearrange, shaping
from ._wrap import shape_of
from .memory import first_example
from .batching import (
    PLAIN_RULES, ExampleFlags, _steps, axes_of, noted_view, axis_of, batch_size, example_ndim, front, moved, named, ndim_of, reshaped, stacked, unbatched,
)


def _shape_arg(params: dict) -> Any:
    for name in ("shape", "newshape"):
        if params.get(name) is not None:
            return params.pop(name)
    return None


def _read_order(x: Any, d: int, order: Any) -> tuple:
    """How each example is read by ``reshape``/``ravel`` in ``order``: ``(index order, axes)``, as
    ``shaping.read_order`` reads an array, for an example laid out as in the stack (:class:`ExampleFlags`)."""
    order = "C" if order is None else str(order).upper()
    if order not in ("A", "K"):
        return order, None
    s, st = shape_of(x), x.strides
    shape, strides = s[:d] + s[d + 1:], st[:d] + st[d + 1:]
    flags = ExampleFlags(shape, strides, True, _steps(x.dtype.itemsize, st[d], s[d]))
    if flags.c_contiguous:
        return "C", None
    if flags.f_contiguous:
        return "F", None
    if order == "A":
        return "C", None
    axes = shaping._keep_order_axes(shape, strides)
    return "C", (None if axes == tuple(range(len(axes))) else axes)


def _read(x: Any, d: int, order: Any, new: tuple, n: int) -> Any:
    """Each example of ``x`` read into shape ``new`` (or flattened with ``new`` None) in ``order``.

    A view where NumPy's result for an example is one, else a copy: NumPy decides, on example 0 (the
    stack may allow a view where an example does not: ``np.flip(y).ravel()`` copies).
    """
    out, at = _read_stack(x, d, order, new, n)
    one = _example_layout(x, d)
    if one is not None and one.size:
        o = "C" if order is None else order
        r = one.ravel(o) if new is None else one.reshape(new, order=o)
        if not _np.may_share_memory(r, one):
            return creation._copy(out), at
    return out, at


def _example_layout(x: Any, d: int) -> Any:
    """An array laid out as one example of ``x`` counts (:class:`ExampleFlags`): C- or F-contiguous where its
    elements are evenly spaced in that order (whatever the examples' axis puts between them), else example 0
    itself; None where there is no example."""
    stack = first_example(x)  # of the vmaps outside this one: the stack of this one's examples
    if stack is None or not stack.shape[d]:
        return None
    one = stack[(slice(None),) * d + (0, Ellipsis)]
    flags = ExampleFlags(one.shape, one.strides, True, _steps(stack.itemsize, stack.strides[d], stack.shape[d]))
    if flags.c_contiguous:
        return _np.empty(one.shape, one.dtype)
    if flags.f_contiguous:
        return _np.empty(one.shape, one.dtype, order="F")
    return one


def _read_stack(x: Any, d: int, order: Any, new: tuple, n: int) -> Any:
    base = x
    order, axes = _read_order(x, d, order)
    if axes is not None:
        x = shaping.transpose(front(x, d), (0,) + tuple(a + 1 for a in axes))
        d = 0
    if order == "F":  # the examples' axis last: in Fortran order it varies slowest
        out = shaping.reshape(moved(x, d, ndim_of(x) - 1), (-1, n) if new is None else new + (n,), order="F")
        return noted_view(out, base), ndim_of(out) - 1
    return noted_view(shaping.reshape(front(x, d), (n, -1) if new is None else (n,) + new), base), 0


def _reshape_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if not unbatched(dims):
        return NotImplemented
    x, d = args[0], dims[0]
    params = named(_np.reshape, args, kwargs)
    new = _shape_arg(params)
    params.pop("newshape", None)
    order = params.pop("order", "C") or "C"
    if new is None or params:
        return NotImplemented
    new = (new,) if isinstance(new, (int, _np.integer)) else tuple(new)
    return _read(x, d, order, new, batch_size(args, dims))


def _ravel_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if not unbatched(dims):
        return NotImplemented
    order = named(_np.ravel, args, kwargs).get("order", "C") or "C"
    return _read(args[0], dims[0], order, None, batch_size(args, dims))


def _squeeze_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if not unbatched(dims):
        return NotImplemented
    x, d = args[0], dims[0]
    axis = named(_np.squeeze, args, kwargs).get("axis")
    x = front(x, d)
    if axis is None:
        axis = tuple(i + 1 for i, k in enumerate(shape_of(x)[1:]) if k == 1)
    else:
        axis = axes_of(axis, example_ndim(args[0], d))
    return noted_view(shaping.squeeze(x, axis=axis), x), 0


def _expand_dims_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if not unbatched(dims):
        return NotImplemented
    x, d = args[0], dims[0]
    axis = named(_np.expand_dims, args, kwargs)["axis"]
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out_ndim = example_ndim(x, d) + len(axes)
    return noted_view(shaping.expand_dims(front(x, d), tuple(axis_of(a, out_ndim) for a in axes)), x), 0


def _transpose_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if not unbatched(dims):
        return NotImplemented
    x, d = args[0], dims[0]
    axes = named(_np.transpose, args, kwargs).get("axes")
    nd = example_ndim(x, d)
    if axes is None:
        axes = tuple(range(nd, 0, -1))
    else:
        axes = tuple(axis_of(a, nd) for a in axes)
    return noted_view(shaping.transpose(front(x, d), (0,) + axes), x), 0


def _axes_rule(fun: Callable, np_fun: Callable, names: tuple, all_if_none: bool = False, defaults: Any = None) -> Callable:
    """The rule of a function whose parameters ``names`` are axes of an example (ints or sequences).

    ``defaults``: the values NumPy takes for parameters not given; ``all_if_none``: None means every axis.
    """

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if not unbatched(dims):
            return NotImplemented
        x, d = args[0], dims[0]
        params = named(np_fun, args, kwargs)
        nd = example_ndim(x, d)
        for name, value in (defaults or {}).items():
            params.setdefault(name, value)
        for name in names:
            if name in params and params[name] is not None:
                params[name] = axes_of(params[name], nd)
            elif all_if_none:
                params[name] = axes_of(None, nd)
        return noted_view(fun(front(x, d), **params), x), 0

    rule.__name__ = f"batch_{np_fun.__name__}"
    return rule


def _broadcast_to_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if not unbatched(dims):
        return NotImplemented
    x, d = args[0], dims[0]
    params = named(_np.broadcast_to, args, kwargs)
    target = params.pop("shape")
    target = (target,) if isinstance(target, (int, _np.integer)) else tuple(target)
    params.pop("subok", None)
    if params:
        return NotImplemented
    return noted_view(shaping.broadcast_to(front(x, d, len(target)), (batch_size(args, dims),) + target), x), 0


def _concat_batch(args: tuple, dims: tuple) -> Any:
    axis, arrays, adims = args[0], args[1:], dims[1:]
    if dims[0] is not None:
        return NotImplemented
    n = batch_size(args, dims)
    nd = max(ndim_of(a) - (d is not None) for a, d in zip(arrays, adims))
    return shaping.concat_args(axis_of(axis, nd), *[stacked(a, d, n) for a, d in zip(arrays, adims)]), 0


def _array_from_args_batch(args: tuple, dims: tuple) -> Any:
    if dims[0] is not None:
        return NotImplemented
    n = batch_size(args, dims)
    elements = [stacked(e, d, n) for e, d in zip(args[1:], dims[1:])]
    out = shaping.stack(elements, axis=1)  # (examples, elements, *an element's shape)
    return shaping.reshape(out, (n,) + tuple(args[0]) + shape_of(out)[2:]), 0


def _roll_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if not unbatched(dims):
        return NotImplemented
    x, d = args[0], dims[0]
    params = named(_np.roll, args, kwargs)
    x = front(x, d)
    if params.get("axis") is None:  # over the flattened example
        n = batch_size(args, dims)
        flat = rearrange.roll(reshaped(x, (n, -1)), params["shift"], axis=1)
        return shaping.reshape(flat, shape_of(x)), 0
    params["axis"] = axes_of(params["axis"], example_ndim(args[0], d))
    return rearrange.roll(x, **params), 0


def _tile_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if not unbatched(dims):
        return NotImplemented
    x, d = args[0], dims[0]
    reps = named(_np.tile, args, kwargs)["reps"]
    reps = tuple(reps) if _np.iterable(reps) else (reps,)
    nd = max(example_ndim(x, d), len(reps))
    return rearrange.tile(front(x, d, nd), (1,) + (1,) * (nd - len(reps)) + reps), 0


def _repeat_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if not unbatched(dims):
        return NotImplemented
    x, d = args[0], dims[0]
    params = named(_np.repeat, args, kwargs)
    x = front(x, d)
    if params.get("axis") is None:
        params["axis"] = 1
        x = reshaped(x, (batch_size(args, dims), -1))
    else:
        params["axis"] = axis_of(params["axis"], example_ndim(args[0], d))
    return rearrange.repeat(x, **params), 0


def _pairs(value: Any, nd: int) -> Any:
    """A per-axis parameter of ``pad`` (a number, a pair, or one pair per axis) with a pair for the examples' axis."""
    pairs = _np.broadcast_to(_np.asarray(value), (nd, 2))
    return ((0, 0),) + tuple(tuple(p) for p in pairs.tolist())


def _pad_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if not unbatched(dims):
        return NotImplemented
    x, d = args[0], dims[0]
    params = named(_np.pad, args, kwargs)
    if callable(params.get("mode")):
        return NotImplemented
    nd = example_ndim(x, d)
    params["pad_width"] = _pairs(params["pad_width"], nd)
    for name in ("stat_length", "constant_values", "end_values"):
        if name in params and _np.ndim(params[name]) > 0:
            params[name] = _pairs(params[name], nd)
    return rearrange._pad(front(x, d), **params), 0


def_rules(shaping.reshape, batch=_reshape_batch)
def_rules(shaping.ravel, batch=_ravel_batch)
def_rules(shaping.squeeze, batch=_squeeze_batch)
def_rules(shaping.expand_dims, batch=_expand_dims_batch)
def_rules(shaping.transpose, batch=_transpose_batch)
def_rules(shaping.swapaxes, batch=_axes_rule(shaping.swapaxes, _np.swapaxes, ("axis1", "axis2")))
def_rules(shaping.moveaxis, batch=_axes_rule(shaping.moveaxis, _np.moveaxis, ("source", "destination")))
def_rules(shaping.broadcast_to, batch=_broadcast_to_batch)
def_rules(shaping.concat_args, batch=_concat_batch)
def_rules(shaping.array_from_args, batch=_array_from_args_batch)
def_rules(rearrange.flip, batch=_axes_rule(rearrange.flip, _np.flip, ("axis",), all_if_none=True))
def_rules(rearrange.roll, batch=_roll_batch)
def_rules(rearrange.rot90, batch=_axes_rule(rearrange.rot90, _np.rot90, ("axes",), defaults={"axes": (0, 1)}))
def_rules(rearrange.tile, batch=_tile_batch)
def_rules(rearrange.repeat, batch=_repeat_batch)
def_rules(rearrange._pad, batch=_pad_batch)


# ----- queries of an example's shape and type: the same for every example -----------------------


def _static(np_fun: Callable) -> Callable:
    """The rule of a function of shapes and dtypes only: computed once, on a stand-in of one example."""

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        stand_ins = []
        for a, d in zip(args, dims):
            if d is not None:
                s = shape_of(a)
                a = _np.broadcast_to(_np.zeros((), a.dtype), s[:d] + s[d + 1:])
            stand_ins.append(a)
        return np_fun(*stand_ins, **kwargs), None

    return rule


for _np_fun in (_np.shape, _np.ndim, _np.size, _np.result_type, _np.iscomplexobj, _np.isrealobj, _np.isscalar):
    PLAIN_RULES[_np_fun] = _static(_np_fun)


def _memory_query(np_fun: Callable) -> Callable:
    """``shares_memory``/``may_share_memory``: NumPy's answer for example 0's views of the stacks (every
    example lies in its stack as example 0 does, so the answer is the same for each)."""

    def rule(args: tuple, dims: tuple, boxed: Any = (), **kwargs: Any) -> Any:
        examples = []
        for a, d, b in zip(args, dims, list(boxed) + [None] * (len(args) - len(boxed))):
            if getattr(b, "immutable", False):
                examples.append(_np.float64(0))  # a scalar: NumPy reads it into new memory
                continue
            one = first_example(a)  # of the vmaps outside this one
            if one is None:
                if d is not None:
                    return NotImplemented  # no examples: the loop's answer (none)
                examples.append(a)
                continue
            examples.append(one[(slice(None),) * d + (0, Ellipsis)] if d is not None else one)
        return np_fun(*examples, **kwargs), None

    rule.sees_boxes = True  # type: ignore[attr-defined]
    return rule


for _np_fun in (_np.shares_memory, _np.may_share_memory):
    PLAIN_RULES[_np_fun] = _memory_query(_np_fun)
