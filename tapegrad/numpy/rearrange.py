"""Functions that flip, roll, tile, pad, split, insert or delete elements, and diagonals.

All of them are linear in the array. Those with a simple adjoint are primitives
(the adjoint is the VJP, the function itself the JVP); the rest are compositions
of ``getitem``, ``untake``, ``reshape`` and ``concatenate`` over index arrays
computed once, with NumPy, from the shapes.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import Box, NonDifferentiableError, SequenceBox, def_rules, getval, primitive
from ._wrap import def_linear, dispatches, shape_of, wrap
from .composite import composite
from .indexing import getitem, untake, where
from .reductions import sum as _sum
from .shaping import as_array, broadcast_arrays, concatenate, moveaxis, ravel, reshape
from .ufuncs import real


def _dtype(x: Any) -> Any:
    v = getval(x)
    return v.dtype if hasattr(v, "dtype") else _np.result_type(v)


def _ct_dtype(x: Any, g: Any) -> Any:
    return _np.result_type(_dtype(x), _dtype(g))


def _axis_index(ax: int, ndim: int, index: Any) -> tuple:
    """An index selecting ``index`` along axis ``ax`` (all of every other axis)."""
    return (slice(None),) * ax + (index,)


# ----- flips, rolls, rotations ---------------------------------------------------

flip = wrap(_np.flip)
def_rules(flip, vjp=lambda g, ans, x, axis=None: flip(g, axis))
def_linear(flip, 0)


@composite(_np.fliplr)
def fliplr(m: Any) -> Any:
    """``numpy.fliplr``: reverse the columns (axis 1)."""
    if len(shape_of(m)) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


@composite(_np.flipud)
def flipud(m: Any) -> Any:
    """``numpy.flipud``: reverse the rows (axis 0)."""
    if len(shape_of(m)) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


roll = wrap(_np.roll)
def_rules(roll, vjp=lambda g, ans, x, shift, axis=None: roll(g, _np.negative(shift), axis))
def_linear(roll, 0)

rot90 = wrap(_np.rot90)
def_rules(rot90, vjp=lambda g, ans, x, k=1, axes=(0, 1): rot90(g, -k, axes))
def_linear(rot90, 0)

# ----- tiling and repetition -------------------------------------------------------


def _tile_vjp(g: Any, ans: Any, x: Any, reps: Any) -> Any:
    # The output, viewed with shape (r0, s0, r1, s1, ...), holds r copies of x.
    xs = shape_of(x)
    reps = tuple(reps) if _np.iterable(reps) else (reps,)
    d = max(len(xs), len(reps))
    xs_p = (1,) * (d - len(xs)) + xs
    reps_p = (1,) * (d - len(reps)) + reps
    pairs = tuple(n for rs in zip(reps_p, xs_p) for n in rs)
    g = _sum(reshape(g, pairs), axis=tuple(range(0, 2 * d, 2)))
    return reshape(g, xs)


tile = wrap(_np.tile)
def_rules(tile, vjp=_tile_vjp)
def_linear(tile, 0)


def _repeat_vjp(g: Any, ans: Any, x: Any, repeats: Any, axis: Any = None) -> Any:
    xs = shape_of(x)
    if axis is None:
        shape, ax = (int(_np.prod(xs)),), 0
    else:
        shape, ax = xs, axis % len(xs)
    if _np.ndim(repeats) == 0 or _np.size(repeats) == 1:
        # Every element repeated r times: the copies are adjacent, sum them.
        r = int(_np.reshape(repeats, -1)[0]) if _np.ndim(repeats) else int(repeats)
        g = _sum(reshape(g, shape[:ax] + (shape[ax], r) + shape[ax + 1:]), axis=ax + 1)
    else:
        idx = _np.repeat(_np.arange(shape[ax]), repeats)
        g = untake(g, _axis_index(ax, len(shape), idx), shape, _ct_dtype(x, g))
    return reshape(g, xs)


repeat = wrap(_np.repeat)
def_rules(repeat, vjp=_repeat_vjp)
def_linear(repeat, 0)

# ----- padding ---------------------------------------------------------------------

# Modes in which every padded element is a copy of an element of the array.
_COPY_MODES = ("edge", "reflect", "symmetric", "wrap")


def _pad_supported(mode: Any, kwargs: dict) -> bool:
    if mode == "constant":
        return True
    return mode in _COPY_MODES and kwargs.get("reflect_type", "even") == "even"


def _pad_vjp(g: Any, ans: Any, x: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    xs = shape_of(x)
    if mode == "constant":
        widths = _np.broadcast_to(_np.asarray(pad_width), (len(xs), 2))
        return getitem(g, tuple(slice(int(lo), int(lo) + n) for (lo, _), n in zip(widths, xs)))
    # Which element of x each output element copies; add up the copies.
    size = int(_np.prod(xs))
    sources = _np.pad(_np.arange(size).reshape(xs), pad_width, mode, **kwargs)
    return reshape(untake(g, sources, (size,), _ct_dtype(x, g)), xs)


def _pad_jvp(x_dot: Any, ans: Any, x: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    kwargs.pop("constant_values", None)  # the padding constant has no tangent
    return _pad(x_dot, pad_width, mode, **kwargs)


_pad = primitive(_np.pad, "pad")
def_rules(_pad, vjp=_pad_vjp, jvp=_pad_jvp)


@dispatches(_np.pad)
def pad(array: Any, pad_width: Any, mode: Any = "constant", **kwargs: Any) -> Any:
    """``numpy.pad``; differentiable in the array for the constant, edge, reflect, symmetric
    and wrap modes."""
    if isinstance(array, Box) and not _pad_supported(mode, kwargs):
        raise NonDifferentiableError(
            f"numpy.pad with mode={mode!r} {kwargs or ''} has no derivative rule in tapegrad; "
            f"the supported modes are 'constant' and {', '.join(map(repr, _COPY_MODES))} "
            "(reflect_type='even')."
        )
    return _pad(array, pad_width, mode, **kwargs)


# ----- splitting ---------------------------------------------------------------------


def _split(a: Any, indices_or_sections: Any, axis: int, equal: bool) -> list:
    xs = shape_of(a)
    ax = axis % len(xs)
    n = xs[ax]
    # NumPy splits a range of positions; each part is a contiguous slice of it.
    splitter = _np.split if equal else _np.array_split
    parts = splitter(_np.arange(n), indices_or_sections)
    slices = [slice(int(p[0]), int(p[-1]) + 1) if len(p) else slice(0, 0) for p in parts]
    return [getitem(a, _axis_index(ax, len(xs), s)) for s in slices]


@composite(_np.split)
def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """``numpy.split``: a list of traced sub-arrays."""
    return _split(ary, indices_or_sections, axis, True)


@composite(_np.array_split)
def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """``numpy.array_split``: like split, allowing unequal parts."""
    return _split(ary, indices_or_sections, axis, False)


@composite(_np.hsplit)
def hsplit(ary: Any, indices_or_sections: Any) -> list:
    """``numpy.hsplit``: split along axis 1 (axis 0 for 1-d arrays)."""
    nd = len(shape_of(ary))
    if nd == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return _split(ary, indices_or_sections, 1 if nd > 1 else 0, True)


@composite(_np.vsplit)
def vsplit(ary: Any, indices_or_sections: Any) -> list:
    """``numpy.vsplit``: split along axis 0 (arrays of 2 or more dimensions)."""
    if len(shape_of(ary)) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return _split(ary, indices_or_sections, 0, True)


@composite(_np.dsplit)
def dsplit(ary: Any, indices_or_sections: Any) -> list:
    """``numpy.dsplit``: split along axis 2 (arrays of 3 or more dimensions)."""
    if len(shape_of(ary)) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return _split(ary, indices_or_sections, 2, True)


if hasattr(_np, "unstack"):  # NumPy 2.1

    @composite(_np.unstack)
    def unstack(x: Any, *, axis: int = 0) -> tuple:
        """``numpy.unstack``: the slices along ``axis``, as a tuple of traced arrays."""
        xs = shape_of(x)
        ax = axis % len(xs)
        return tuple(getitem(x, _axis_index(ax, len(xs), i)) for i in range(xs[ax]))


# ----- resizing, appending, inserting, deleting ----------------------------------


@composite(_np.resize)
def resize(a: Any, new_shape: Any) -> Any:
    """``numpy.resize``: the flattened array, repeated cyclically to fill ``new_shape``."""
    new_shape = tuple(new_shape) if _np.iterable(new_shape) else (new_shape,)
    size = int(_np.prod(shape_of(a)))
    total = int(_np.prod(new_shape))
    flat = ravel(a)
    if total <= size:
        picked = getitem(flat, slice(0, total))
    else:
        picked = getitem(flat, _np.arange(total) % size)  # repeats: cotangents add up
    return reshape(picked, new_shape)


def _array_of(x: Any) -> Any:
    """``x`` as an array or a traced one; a traced list or tuple is stacked from its elements."""
    return as_array(_unpacked(x))


def _unpacked(x: Any) -> Any:
    if isinstance(x, SequenceBox) or type(x) in (list, tuple):
        return [_unpacked(e) for e in x]
    return x


@composite(_np.append)
def append(arr: Any, values: Any, axis: Any = None) -> Any:
    """``numpy.append``: concatenate ``values`` at the end (flattened when axis is None)."""
    arr, values = _array_of(arr), _array_of(values)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


@composite(_np.insert)
def insert(arr: Any, obj: Any, values: Any, axis: Any = None) -> Any:
    """``numpy.insert``, differentiable in ``arr`` and ``values``."""

    arr, values = as_array(arr), as_array(values)
    xs = shape_of(arr)
    vs = shape_of(values)
    n_arr = int(_np.prod(xs))
    # Let NumPy place the positions of arr's and values' elements, then gather them.
    arr_ids = _np.arange(n_arr).reshape(xs)
    val_ids = _np.arange(n_arr, n_arr + int(_np.prod(vs))).reshape(vs)
    sources = _np.insert(arr_ids, getval(obj), val_ids, axis=axis)
    if _np.iscomplexobj(getval(values)) and not _np.iscomplexobj(getval(arr)):
        values = real(values)  # NumPy casts the values to the array's type
    return getitem(concatenate([ravel(arr), ravel(values)], axis=0), sources)


@composite(_np.delete)
def delete(arr: Any, obj: Any, axis: Any = None) -> Any:
    """``numpy.delete``: the elements not selected by ``obj``."""
    arr = as_array(arr)
    if axis is None:
        arr, ax = ravel(arr), 0
    else:
        ax = axis % len(shape_of(arr))
    keep = _np.delete(_np.arange(shape_of(arr)[ax]), getval(obj))
    return getitem(arr, _axis_index(ax, len(shape_of(arr)), keep))


# ----- grids -----------------------------------------------------------------------

_SEQ = type(_np.meshgrid(_np.zeros(1)))  # tuple in NumPy 2, list in 1.x


@composite(_np.meshgrid)
def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> Any:
    """``numpy.meshgrid``: coordinate arrays, each the broadcast of one input."""

    ndim = len(xi)
    ones = (1,) * ndim
    out = [reshape(x, ones[:i] + (-1,) + ones[i + 1:]) for i, x in enumerate(xi)]
    if indexing == "xy" and ndim > 1:
        out[0] = reshape(out[0], (1, -1) + ones[2:])
        out[1] = reshape(out[1], (-1, 1) + ones[2:])
    elif indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    if not sparse:
        out = broadcast_arrays(*out)
    return _SEQ(out)


# ----- diagonals and triangles -------------------------------------------------------


def _diag_positions(rows: int, cols: int, k: int) -> tuple:
    """Row and column indices of the k-th diagonal of a rows x cols matrix."""
    n = max(0, min(rows + min(k, 0), cols - max(k, 0)))
    i = _np.arange(n)
    return i - min(k, 0), i + max(k, 0)


@composite(_np.diag)
def diag(v: Any, k: int = 0) -> Any:
    """``numpy.diag``: the k-th diagonal of a matrix, or a matrix with v on it."""
    v = as_array(v)
    s = shape_of(v)
    if len(s) == 1:
        n = s[0] + abs(k)
        return untake(v, _diag_positions(n, n, k), (n, n), _dtype(v))
    if len(s) == 2:
        return getitem(v, _diag_positions(s[0], s[1], k))
    raise ValueError("Input must be 1- or 2-d.")


@composite(_np.diagflat)
def diagflat(v: Any, k: int = 0) -> Any:
    """``numpy.diagflat``: a matrix with the flattened input on the k-th diagonal."""
    return diag(ravel(v), k)


@composite(_np.diagonal)
def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """``numpy.diagonal``: the diagonal as the last axis, the other axes kept in order."""
    a = as_array(a)
    s = shape_of(a)
    moved = moveaxis(a, (axis1, axis2), (-2, -1))
    rows, cols = _diag_positions(s[axis1], s[axis2], offset)
    return getitem(moved, (Ellipsis, rows, cols))


@composite(_np.tril)
def tril(m: Any, k: int = 0) -> Any:
    """``numpy.tril``: zero above the k-th diagonal."""
    mask = _np.tri(*shape_of(m)[-2:], k=k, dtype=bool)
    return where(mask, m, _np.zeros(1, _dtype(m)))


@composite(_np.triu)
def triu(m: Any, k: int = 0) -> Any:
    """``numpy.triu``: zero below the k-th diagonal."""
    mask = _np.tri(*shape_of(m)[-2:], k=k - 1, dtype=bool)
    return where(mask, _np.zeros(1, _dtype(m)), m)


__all__ = [
    "flip", "fliplr", "flipud", "roll", "rot90", "tile", "repeat", "pad",
    "split", "array_split", "hsplit", "vsplit", "dsplit",
    "resize", "append", "insert", "delete", "meshgrid",
    "diag", "diagflat", "diagonal", "tril", "triu",
]
if hasattr(_np, "unstack"):
    __all__.append("unstack")
