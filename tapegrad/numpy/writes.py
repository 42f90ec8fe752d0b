"""In-place writes: put, put_along_axis, place, putmask, copyto, fill_diagonal.

On a box (a traced array, or one created by ``tapegrad.numpy`` while tracing)
each function is one assignment ``a[index] = values`` with the index NumPy's
function writes through, done by :func:`tapegrad.numpy.memory.write` (NumPy's
casting and errors, views kept in step, values on the tape never mutated).
Where a position is written twice the last write wins, as in NumPy. Writing
traced values into a plain ndarray raises :class:`TraceLeakError`, and values
batched by ``vmap`` a :class:`BatchError` (:func:`plain_target_error`).
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import CONSTANT, Box, TraceLeakError, getval
from ..core.batching import BatchError
from ._wrap import dispatches, is_complex, shape_of
from .layout import all_positions
from .creation import astype
from .indexing import getitem, where as select
from .memory import _block_of, _refuse_batched_overlap, example_value, stack_layers, write, write_overlapping
from .scans import cumsum
from .shaping import as_array, broadcast_to, ravel, reshape
from .ufuncs import real


def _refuse_plain_target(name: str, *values: Any) -> None:
    if any(isinstance(getval(v), Box) for v in values):  # batched by vmap
        raise plain_target_error(f"numpy.{name}")
    if any(isinstance(v, Box) and v._trace is not CONSTANT for v in values):
        raise TraceLeakError(
            f"numpy.{name} would write traced values into a plain ndarray, and their derivative "
            "would be lost. Create the array with tapegrad.numpy (np.zeros, np.array, ...) inside "
            "the differentiated function so that it can hold traced values."
        )


def refuse_batched_out(ufunc: Any, method: str, inputs: tuple, out: Any, where: Any = None) -> None:
    """A ufunc call writing into a plain ndarray (``out=``, or ``ufunc.at``'s first argument) values batched
    by vmap: :func:`plain_target_error`, before any differentiation around the vmap sees the call."""
    targets = (inputs[0],) if method == "at" else out if type(out) is tuple else (out,)
    values = inputs[1:] if method == "at" else inputs + (where,)
    if (any(isinstance(t, _np.ndarray) and not isinstance(t, Box) for t in targets)
            and any(isinstance(getval(v), Box) for v in values)):
        call = f"numpy.{ufunc.__name__}.at" if method == "at" else \
            f"numpy.{ufunc.__name__}{'' if method == '__call__' else '.' + method}(..., out=)"
        raise plain_target_error(f"{call} (also `plain_array += batched`)" if method == "__call__" else call)


def plain_target_error(what: str) -> BatchError:
    """The error of every write of values batched by vmap into a plain ndarray (``what``: the operation)."""
    return BatchError(
        f"vmap: {what} would write values that differ between examples into a plain ndarray (an argument "
        "passed with in_axes=None, or an array not made by tapegrad.numpy), which holds one value for every "
        "example. Map that argument too (in_axes=0), or write into an array made by tapegrad.numpy inside the "
        "function: a copy, a = np.array(a) (a.copy() of a plain array is plain), or np.zeros_like(x)."
    )


def _numpy_checks(np_fun: Any, a: Box, *args: Any, **kwargs: Any) -> None:
    """Raise what NumPy raises for this call (casting, sizes, bounds), from a scratch array of ``a``'s dtype
    (with example 0 of a value batched by vmap)."""
    scratch = _np.zeros(shape_of(a), getval(a).dtype)
    if getattr(a, "immutable", False):
        scratch = scratch[()]  # a NumPy scalar: NumPy raises, or writes into a temporary copy (write does nothing)
    else:
        scratch.flags.writeable = bool(getval(a).flags.writeable)
    np_fun(scratch, *[example_value(x) if isinstance(getval(x), Box) else getval(x) for x in args], **kwargs)


def _batched(x: Any) -> bool:
    """Is ``x`` batched by vmap (a mask that differs between examples)?"""
    return isinstance(getval(x), Box)


def _cycled(values: Any, n: int) -> Any:
    """The flattened ``values`` repeated cyclically to length ``n`` (NumPy's flat-write rule)."""
    values = ravel(as_array(values))
    nv = shape_of(values)[0]
    if nv == 0:
        raise ValueError("Cannot insert from an empty array!")
    return values if nv == n else getitem(values, _np.arange(n) % nv)


def write_flat(a: Box, positions: Any, values: Any) -> None:
    """``a.flat[positions] = values`` (one value per position; where a position repeats, the last wins)."""
    s = shape_of(a)
    if s:
        write(a, _np.unravel_index(positions, s), values)
    elif _np.size(positions):
        write(a, Ellipsis, getitem(values, -1) if shape_of(values) else values)


def _along_axis_index(shape: tuple, indices: Any, ax: int) -> tuple:
    nd = len(shape)
    return tuple(
        indices if d == ax else _np.arange(shape[d]).reshape((1,) * d + (-1,) + (1,) * (nd - d - 1))
        for d in range(nd)
    )


@dispatches(_np.put_along_axis)
def put_along_axis(arr: Any, indices: Any, values: Any, axis: Any) -> None:
    """``numpy.put_along_axis``: write ``values`` at ``indices`` along ``axis``, in place."""
    idx = _np.asarray(getval(indices))
    if not isinstance(arr, Box):
        _refuse_plain_target("put_along_axis", values)
        return _np.put_along_axis(arr, idx, getval(values), axis)
    _numpy_checks(_np.put_along_axis, arr, idx, values, axis)
    if write_overlapping(arr, values, lambda t, v: _np.put_along_axis(t, idx, v, axis)):
        return None
    s = shape_of(arr)
    if axis is None:
        write_flat(arr, _np.ravel(idx) % int(_np.prod(s)), _cycled(values, _np.size(idx)))
        return None
    write(arr, _along_axis_index(s, idx, axis % len(s)), values)
    return None


@dispatches(_np.put)
def put(a: Any, ind: Any, v: Any, mode: str = "raise") -> None:
    """``numpy.put``: set flat positions in place; ``v`` repeats to the number of indices."""
    if not isinstance(a, Box):
        _refuse_plain_target("put", v)
        return _np.put(a, _np.asarray(getval(ind)), getval(v), mode=mode)
    _numpy_checks(_np.put, a, ind, v, mode=mode)
    if write_overlapping(a, v, lambda t, vals: _np.put(t, getval(ind), vals, mode=mode)):
        return None
    idx = _np.ravel(getval(ind))
    size = int(_np.prod(shape_of(a)))
    if mode == "wrap":
        idx = _np.mod(idx, size)
    elif mode == "clip":
        idx = _np.clip(idx, 0, size - 1)
    if idx.size:
        write_flat(a, idx % size, _cycled(v, idx.size))
    return None


@dispatches(_np.place)
def place(arr: Any, mask: Any, vals: Any) -> None:
    """``numpy.place``: the positions where ``mask`` holds take ``vals`` in turn, in place."""
    if not isinstance(arr, Box):
        _refuse_plain_target("place", vals, mask)
        return _np.place(arr, _np.ravel(_np.asarray(getval(mask), dtype=bool)), getval(vals))
    _numpy_checks(_np.place, arr, mask, vals)
    if _batched(mask):  # each example's own mask: the k-th position it selects takes vals.flat[k % len(vals)]
        _refuse_batched_overlap(_block_of(arr).root, vals)  # (NumPy reads such values as it writes)
        flat, values = ravel(astype(mask, bool)), ravel(as_array(vals))
        nv = shape_of(values)[0]
        if nv == 0:
            raise BatchError("vmap: numpy.place with no values and a mask batched by vmap is not supported")
        picked = getitem(values, (cumsum(astype(flat, _np.intp)) - 1) % nv)
        write(arr, Ellipsis, select(reshape(flat, shape_of(arr)), reshape(picked, shape_of(arr)), arr))
        return None
    m = _np.ravel(_np.asarray(getval(mask), dtype=bool))
    if write_overlapping(arr, vals, lambda t, v: _np.place(t, m.reshape(_np.shape(t)), v)):
        return None
    n = int(_np.count_nonzero(m))
    if n:
        write_flat(arr, _np.flatnonzero(m), _cycled(vals, n))
    return None


@dispatches(_np.putmask)
def putmask(a: Any, mask: Any, values: Any) -> None:
    """``numpy.putmask``: ``a.flat[i] = values.flat[i % len(values)]`` where the mask holds."""
    if not isinstance(a, Box):
        _refuse_plain_target("putmask", values, mask)
        return _np.putmask(a, _np.asarray(getval(mask), dtype=bool), getval(values))
    _numpy_checks(_np.putmask, a, mask, values)
    s = shape_of(a)
    if _batched(mask):  # each example's own mask: a select (NumPy reads all the values before it writes)
        if _np.prod(s):
            values = reshape(_cycled(values, int(_np.prod(s))), s)
            write(a, Ellipsis, select(reshape(astype(mask, bool), s), values, a))
        return None
    m = _np.ravel(_np.asarray(getval(mask), dtype=bool))
    if write_overlapping(a, values, lambda t, v: _np.putmask(t, m.reshape(_np.shape(t)), v)):
        return None
    where = _np.flatnonzero(m)
    if where.size:
        write_flat(a, where, getitem(_cycled(values, m.size), where))
    return None


def _same_memory(a: Any, b: Any) -> bool:
    """NumPy's shortcut in assignment: a value with the target's data, dtype, shape and strides copies nothing
    (a 0-d value is assigned as a scalar instead, and checked)."""
    return (type(a) is _np.ndarray and type(b) is _np.ndarray and a.ndim and a.dtype == b.dtype and a.shape == b.shape
            and a.strides == b.strides and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


def _same_examples(src: Any, dst: Any) -> bool:
    """Under vmap, ``_same_memory`` of every example: the same stacks, batched alike (examples not 0-d)."""
    if not (isinstance(getval(src), Box) and isinstance(getval(dst), Box)) or not shape_of(dst):
        return False
    (s, sl), (d, dl) = stack_layers(src), stack_layers(dst)
    return [a for _, a in sl] == [a for _, a in dl] and _same_memory(s, d)


@dispatches(_np.copyto)
def copyto(dst: Any, src: Any, casting: str = "same_kind", where: Any = True) -> None:
    """``numpy.copyto``: copy ``src`` (broadcast) into ``dst`` where ``where`` holds, in place."""
    w = getval(where)
    if isinstance(w, (_np.ndarray, Box)) and w.dtype != bool:  # an array is cast safely, before anything else
        raise TypeError(f"Cannot cast array data from {w.dtype!r} to dtype('bool') according to the rule 'safe'")
    batched_mask = isinstance(w, Box)  # each example's own mask (vmap)
    if not isinstance(dst, Box):
        _refuse_plain_target("copyto", src, where)
        return _np.copyto(dst, getval(src), casting=casting, where=_np.asarray(w, dtype=bool))
    if not batched_mask:
        w = _np.asarray(w, dtype=bool)  # a list is read as booleans
    if _same_memory(getval(src), getval(dst)) or _same_examples(src, dst):
        return None  # NumPy copies nothing onto itself (and checks nothing)
    _numpy_checks(_np.copyto, dst, src, casting=casting, where=example_value(where) if batched_mask else w)
    src = as_array(src)
    if is_complex(src) and not is_complex(dst):
        src = real(src)  # an allowed (unsafe) cast drops the imaginary part, as NumPy does
    s = shape_of(dst)
    if batched_mask:  # a select (NumPy reads all of src before it writes)
        write(dst, Ellipsis, select(where, src, dst))
        return None
    src = broadcast_to(src, s) if shape_of(src) != s else src
    if w.ndim == 0:
        if w:
            write(dst, Ellipsis, src)
        return None
    mask = _np.broadcast_to(w, s)
    write(dst, mask, getitem(src, mask))
    return None


@dispatches(_np.fill_diagonal)
def fill_diagonal(a: Any, val: Any, wrap: bool = False) -> None:
    """``numpy.fill_diagonal``: write ``val`` (repeating) on the main diagonal, in place."""
    if not isinstance(a, Box):
        _refuse_plain_target("fill_diagonal", val)
        return _np.fill_diagonal(a, getval(val), wrap)
    _numpy_checks(_np.fill_diagonal, a, val, wrap)
    if write_overlapping(a, val, lambda t, v: _np.fill_diagonal(t, v, wrap)):
        return None
    marks = _np.zeros(shape_of(a), dtype=bool)
    _np.fill_diagonal(marks, True, wrap)  # NumPy's own choice of positions
    positions = _np.flatnonzero(marks)
    if positions.size:
        write_flat(a, positions, _cycled(val, positions.size))
    return None


class FlatIndexer:
    """``x.flat`` of a traced array: reads copy, as NumPy's do; writes go into ``x``'s memory."""

    __slots__ = ("base",)

    def __init__(self, base: Box) -> None:
        self.base = base

    def _positions(self, idx: Any) -> Any:
        shape = shape_of(self.base)
        return _np.unravel_index(all_positions(None, self.base).reshape(-1)[idx], shape)

    def __getitem__(self, idx: Any) -> Any:
        return getitem(self.base, self._positions(idx))

    def __setitem__(self, idx: Any, value: Any) -> None:
        positions = all_positions(None, self.base).reshape(-1)[idx]
        if _np.ndim(positions) == 0:
            write_flat(self.base, positions, value)
        else:  # NumPy repeats a short value along a flat write
            write_flat(self.base, positions.reshape(-1), _cycled(value, positions.size))

    def __iter__(self) -> Any:
        return (self[i] for i in range(int(_np.prod(shape_of(self.base)))))

    def __len__(self) -> int:
        return int(_np.prod(shape_of(self.base)))

    def copy(self) -> Any:
        return ravel(self.base) * 1


__all__ = ["put_along_axis", "put", "place", "putmask", "copyto", "fill_diagonal"]
