"""In-place writes: put, put_along_axis, place, putmask, copyto, fill_diagonal.

On a box (a traced array, or one created by ``tapegrad.numpy`` while tracing)
the write is functional: the new array is recorded by ``setitem`` or ``where``
and the box is rebound to it, so values already on the tape are never mutated.
Where a position is written twice the last write wins, as in NumPy. Writing
traced values into a plain ndarray raises :class:`TraceLeakError`.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import CONSTANT, Box, TraceLeakError, getval
from ._wrap import dispatches, is_complex, shape_of
from .indexing import getitem, setitem, where
from .shape import as_array, broadcast_to, ravel, reshape
from .ufuncs import real


def _refuse_plain_target(name: str, *values: Any) -> None:
    if any(isinstance(v, Box) and v._trace is not CONSTANT for v in values):
        raise TraceLeakError(
            f"numpy.{name} would write traced values into a plain ndarray, and their derivative "
            "would be lost. Create the array with tapegrad.numpy (np.zeros, np.array, ...) inside "
            "the differentiated function so that it can hold traced values."
        )


def _cycled(values: Any, n: int) -> Any:
    """The flattened ``values`` repeated cyclically to length ``n`` (NumPy's flat-write rule)."""
    values = ravel(as_array(values))
    nv = shape_of(values)[0]
    if nv == 0:
        raise ValueError("Cannot insert from an empty array!")
    return values if nv == n else getitem(values, _np.arange(n) % nv)


def _write_flat(a: Box, positions: Any, values: Any) -> None:
    """Rebind ``a`` to a copy with ``a.flat[positions] = values`` (never mutating its value)."""
    flat = setitem(ravel(a), positions, values)
    a._assign(reshape(flat, shape_of(a)))


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
    if axis is None:
        _write_flat(arr, idx, values)
        return None
    s = shape_of(arr)
    arr._assign(setitem(arr, _along_axis_index(s, idx, axis % len(s)), values))
    return None


@dispatches(_np.put)
def put(a: Any, ind: Any, v: Any, mode: str = "raise") -> None:
    """``numpy.put``: set flat positions in place; ``v`` repeats to the number of indices."""
    if not isinstance(a, Box):
        _refuse_plain_target("put", v)
        return _np.put(a, _np.asarray(getval(ind)), getval(v), mode=mode)
    idx = _np.ravel(getval(ind))
    size = int(_np.prod(shape_of(a)))
    if mode == "wrap":
        idx = _np.mod(idx, size)
    elif mode == "clip":
        idx = _np.clip(idx, 0, size - 1)
    if idx.size:
        _write_flat(a, idx, _cycled(v, idx.size))
    return None


@dispatches(_np.place)
def place(arr: Any, mask: Any, vals: Any) -> None:
    """``numpy.place``: the positions where ``mask`` holds take ``vals`` in turn, in place."""
    m = _np.ravel(_np.asarray(getval(mask), dtype=bool))
    if not isinstance(arr, Box):
        _refuse_plain_target("place", vals)
        return _np.place(arr, m, getval(vals))
    n = int(_np.count_nonzero(m))
    if n:
        _write_flat(arr, m, _cycled(vals, n))
    return None


@dispatches(_np.putmask)
def putmask(a: Any, mask: Any, values: Any) -> None:
    """``numpy.putmask``: ``a.flat[i] = values.flat[i % len(values)]`` where the mask holds."""
    m = _np.asarray(getval(mask), dtype=bool)
    if not isinstance(a, Box):
        _refuse_plain_target("putmask", values)
        return _np.putmask(a, m, getval(values))
    s = shape_of(a)
    a._assign(where(m, reshape(_cycled(values, int(_np.prod(s))), s), a))
    return None


@dispatches(_np.copyto)
def copyto(dst: Any, src: Any, casting: str = "same_kind", where: Any = True) -> None:
    """``numpy.copyto``: copy ``src`` (broadcast) into ``dst`` where ``where`` holds, in place."""
    w = _np.asarray(getval(where), dtype=bool)
    if not isinstance(dst, Box):
        _refuse_plain_target("copyto", src)
        return _np.copyto(dst, getval(src), casting=casting, where=w)
    src = as_array(src)
    if not _np.can_cast(getval(src).dtype, getval(dst).dtype, casting=casting):
        raise TypeError(
            f"Cannot cast array data from {getval(src).dtype} to {getval(dst).dtype} "
            f"according to the rule {casting!r}"
        )
    if is_complex(src) and not is_complex(dst):
        src = real(src)  # an allowed (unsafe) cast drops the imaginary part, as NumPy does
    s = shape_of(dst)
    if w.ndim == 0:
        new = src if w else dst
    else:
        new = where_(w, src, dst)
    dst._assign(new if shape_of(new) == s else broadcast_to(new, s))
    return None


where_ = where  # copyto's keyword argument shadows the function inside it


@dispatches(_np.fill_diagonal)
def fill_diagonal(a: Any, val: Any, wrap: bool = False) -> None:
    """``numpy.fill_diagonal``: write ``val`` (repeating) on the main diagonal, in place."""
    if not isinstance(a, Box):
        _refuse_plain_target("fill_diagonal", val)
        return _np.fill_diagonal(a, getval(val), wrap)
    marks = _np.zeros(shape_of(a), dtype=bool)
    _np.fill_diagonal(marks, True, wrap)  # NumPy's own choice of positions (and checks)
    positions = _np.flatnonzero(marks)
    if positions.size:
        _write_flat(a, positions, _cycled(val, positions.size))
    return None


__all__ = ["put_along_axis", "put", "place", "putmask", "copyto", "fill_diagonal"]
