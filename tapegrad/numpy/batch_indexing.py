"""Batching rules of indexing and of the primitives behind views and writes.

An index of one example applies to the stack after a full slice over the
examples' axis. NumPy places the axes of advanced indices (arrays, and the
integers among them) where the first of them stands when they are adjacent,
and first otherwise: so the examples' axis stays first in the former case and
comes right after those axes in the latter (:func:`_examples_axis`).

``gather``, ``scatter`` and ``erase`` work on C-order positions within one
example: over the stack, example ``i``'s positions are offset by ``i`` times an
example's size. ``view_of`` is a gather; a write (``write_into``) writes the
positions it selects in every example at once.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as _np
from numpy.lib.stride_tricks import as_strided

from ..core import Box, def_rules
from ..core.batching import TUPLE_RULES, BatchError
from . import creation
from ._wrap import shape_of
from .assignment import erase, gather, scatter, view_of, write_in_place, write_into
from .assignment import dtype_of
from .batching import UNLINKED_VIEWS, batch_size, example_ndim, front, moved, noted_view, plain_stack, reshaped, stacked
from .shaping import moveaxis, transpose
from .indexing import getitem, untake
from .memory import first_example
from .layout import Spec, all_positions, clone, is_basic, window


def _examples_axis(idx: Any) -> Optional[int]:
    """Where the examples' axis lands in ``stack[(slice(None),) + idx]``, or None for an index the loop must take.

    None for scalar booleans and anything that is not a valid integer or boolean index.
    """
    parts = idx if type(idx) is tuple else (idx,)
    shapes = []
    advanced = []
    for i, p in enumerate(parts):
        if p is None or p is Ellipsis or isinstance(p, slice):
            continue
        if isinstance(p, (bool, _np.bool_)):
            return None
        if isinstance(p, (int, _np.integer)):
            advanced.append(i)
            continue
        try:
            a = _np.asarray(p)
        except Exception:
            return None
        if a.dtype == bool and a.ndim > 0:
            shapes.append((int(_np.count_nonzero(a)),))
        elif a.dtype.kind in "iu":
            shapes.append(a.shape)
        else:
            return None
        advanced.append(i)
    if not shapes:
        return 0  # integers and slices only: the examples stay in front
    if advanced == list(range(advanced[0], advanced[-1] + 1)):
        return 0
    return len(_np.broadcast_shapes(*shapes))


def _prefixed(idx: Any) -> tuple:
    return (slice(None),) + (idx if type(idx) is tuple else (idx,))


def _getitem_batch(args: tuple, dims: tuple) -> Any:
    (x, idx), (d, di) = args, dims
    if di is not None:  # index arrays that differ between examples
        n = batch_size(args, dims) if d is not None else _index_size(idx, di)
        full, move = _batched_index(idx, di, example_ndim(x, d), n)
        return _moved_block(getitem(stacked(x, d, n), full), move), 0
    at = _examples_axis(idx)
    if at is None:
        return NotImplemented
    out = getitem(front(x, d), _prefixed(idx))
    if is_basic(idx) and len(shape_of(out)) == 1 and not any(i is Ellipsis for i in _prefixed(idx)):
        # each example's result is a scalar (NumPy's copy of the element), never a view of the stack:
        # a later in-place write into the array must not change it
        return creation._copy(out), at
    return (noted_view(out, x) if is_basic(idx) else _in_numpys_order(out, x, d, idx, at)), at


def _in_numpys_order(out: Any, x: Any, d: int, idx: Any, at: int) -> Any:
    """A fancy index's result, each example laid out in memory as NumPy lays out its result for example 0
    (in an order of its own, which on the stack is another than on one example), so that ``ravel`` and
    ``reshape(order='A')`` of an example view it, or read it, as NumPy's would: a copy where it is not."""
    v, xv = plain_stack(out), plain_stack(x)
    if at != 0 or type(v) is not _np.ndarray or v.ndim < 3 or type(xv) is not _np.ndarray or not xv.shape[d]:
        return out
    try:
        numpys = xv[(slice(None),) * d + (0, Ellipsis)][idx]
    except Exception:
        return out
    if type(numpys) is not _np.ndarray or numpys.ndim != v.ndim - 1:
        return out
    order = sorted(range(numpys.ndim), key=lambda k: -abs(numpys.strides[k]))  # its slowest axis first
    if not _np.transpose(numpys, order).flags.c_contiguous:
        return out
    perm = (0,) + tuple(k + 1 for k in order)
    if _np.transpose(v, perm).flags.c_contiguous:
        return out  # laid out so already, examples first
    back = tuple(_np.argsort(perm))
    return transpose(creation._copy(transpose(out, perm), order="C"), back)


def _untake_batch(args: tuple, dims: tuple) -> Any:
    (g, idx, shape, dtype), (dg, di, *rest) = args, dims
    if any(r is not None for r in rest):
        return NotImplemented
    if di is not None:
        n = batch_size(args, dims) if dg is not None else _index_size(idx, di)
        full, move = _batched_index(idx, di, len(shape), n)
        g = _moved_block(stacked(g, dg, n), move, back=True)
        return untake(g, full, (n,) + tuple(shape), dtype), 0
    at = _examples_axis(idx)
    if at is None:
        return NotImplemented
    n = batch_size(args, dims)
    return untake(moved(g, dg, at), _prefixed(idx), (n,) + tuple(shape), dtype), 0


def _index_size(idx: Any, di: Any) -> int:
    """The number of examples, read off a batched index array."""
    if not isinstance(di, tuple):
        return shape_of(idx)[di]
    return next(shape_of(p)[d] for p, d in zip(idx, di) if d is not None)


def _batched_index(idx: Any, di: Any, ndim: int, n: int) -> tuple:
    """An index into the stack (examples first) that takes each example's own index arrays.

    The examples' own positions become one more index array, in front; with the
    other advanced indices NumPy then puts the examples' axis first. Returns the
    index and ``(size, after)``: the block of the advanced indices' axes, which
    NumPy puts right after the examples' axis and one example has after
    ``after`` other axes (None: right there).
    """
    parts = idx if isinstance(di, tuple) else (idx,)
    pdims = di if isinstance(di, tuple) else (di,)
    entries = []  # (value, dim)
    for p, pd in zip(parts, pdims):
        if pd is None and not (p is None or p is Ellipsis or isinstance(p, (slice, int, _np.integer))):
            a = _np.asarray(p)
            if a.dtype == bool:
                if a.ndim == 0:
                    raise BatchError("vmap: a boolean scalar in an index with batched index arrays is not supported")
                entries.extend((k, None) for k in _np.nonzero(a))  # the positions a mask selects
                continue
            p = a
        elif pd is not None and dtype_of(p).kind not in "iu":
            raise BatchError(
                "vmap: a boolean mask that differs between examples selects a different number of "
                "elements in each, which cannot be stacked; use np.where(mask, x, 0) instead."
            )
        entries.append((p, pd))
    advanced, shapes, consumed = [], [], 0
    for i, (p, pd) in enumerate(entries):
        if p is None or p is Ellipsis:
            continue
        consumed += 1
        if isinstance(p, slice):
            continue
        advanced.append(i)
        if pd is not None:
            s = shape_of(p)
            shapes.append(s[:pd] + s[pd + 1:])
        else:
            shapes.append(_np.shape(p))
    k = len(_np.broadcast_shapes(*shapes)) if shapes else 0
    full = [_np.arange(n).reshape((n,) + (1,) * k)]
    for p, pd in entries:
        full.append(front(p, pd, k) if pd is not None else p)
    first, last = advanced[0], advanced[-1]
    move = None
    if advanced == list(range(first, last + 1)) and first > 0:
        # an example has the block where its first advanced index stands, after the axes made before it
        before = 0
        for p, _ in entries[:first]:
            before += ndim - consumed if p is Ellipsis else 1
        move = (k, before)
    return tuple(full), move


def _moved_block(r: Any, move: Any, back: bool = False) -> Any:
    """``r`` (examples first) with its next ``move[0]`` axes moved to after ``move[1]`` more (or back)."""
    if move is None or move[0] == 0 or move[1] == 0:
        return r
    k, before = move
    block, to = list(range(1, 1 + k)), list(range(1 + before, 1 + before + k))
    if back:
        block, to = to, block
    return _np.moveaxis(r, block, to) if type(r) is _np.ndarray else moveaxis(r, block, to)


def_rules(getitem, batch=_getitem_batch)
def_rules(untake, batch=_untake_batch)
TUPLE_RULES.update({getitem._primitive, untake._primitive})


# ----- views and writes ---------------------------------------------------------------------


def _over_stack(positions: _np.ndarray, n: int, size: int) -> _np.ndarray:
    """Positions within one example (of ``size`` elements), as positions within a stack of ``n`` examples."""
    offsets = (_np.arange(n, dtype=_np.intp) * size).reshape((n,) + (1,) * positions.ndim)
    return offsets + positions


def _example_size(x: Any, d: Optional[int]) -> int:
    s = shape_of(x)
    return math.prod(s[:d] + s[d + 1:]) if d is not None else math.prod(s)


def _gather_batch(args: tuple, dims: tuple) -> Any:
    (a, positions, component), (d, *rest) = args, dims
    if any(r is not None for r in rest):
        return NotImplemented
    n = batch_size(args, dims)
    return gather(front(a, d), _over_stack(positions, n, _example_size(a, d)), component), 0


def _scatter_batch(args: tuple, dims: tuple) -> Any:
    (t, positions, component, shape, dtype, unique), (d, *rest) = args, dims
    if any(r is not None for r in rest):
        return NotImplemented
    n = batch_size(args, dims)
    pos = _over_stack(positions, n, math.prod(shape))
    return scatter(front(t, d), pos, component, (n,) + tuple(shape), dtype, unique), 0


def _erase_batch(args: tuple, dims: tuple) -> Any:
    (g, positions, component), (d, *rest) = args, dims
    if any(r is not None for r in rest):
        return NotImplemented
    n = batch_size(args, dims)
    return erase(front(g, d), _over_stack(positions, n, _example_size(g, d)), component), 0


def _view_batch(args: tuple, dims: tuple) -> Any:
    (root, spec), (d, ds) = args, dims
    if ds is not None:
        return NotImplemented
    one = first_example(root)  # of the vmaps outside this one: the stack of this one's examples
    w = None if one is None else _windows(one, d, spec)
    if w is not None:
        return (w if one is root else view_of(root, Spec(w, one))), 0
    n = batch_size(args, dims)
    return gather(front(root, d), _over_stack(spec.positions(), n, _example_size(root, d)), spec.component), 0


def _windows(root: _np.ndarray, d: int, spec: Any) -> Optional[_np.ndarray]:
    """Every example's view ``spec`` of its example of the stack ``root``, stacked first: NumPy's views.

    A real view of the stack, so that a view of it is linked in turn (views of
    views, after writes); None where an example is not laid out as ``spec``'s
    root was (then a gather, a copy, into which writes are refused).
    """
    n = root.shape[d]
    if n == 0:
        return None
    one = root[(slice(None),) * d + (0, Ellipsis)]
    if one.strides != spec.root_strides:
        return None
    w = window(one, spec)
    return as_strided(w, (n,) + w.shape, (root.strides[d],) + w.strides, writeable=w.flags.writeable)


def _write_batch(args: tuple, dims: tuple) -> Any:
    """``root[spec][idx] = value`` in every example: the positions it selects, written in a copy of the stack.

    NumPy's assignment does the casting. Where boxes of differentiations hold
    the stack or the value, one ``write_into`` of the whole stack, recorded as
    any write is (:func:`_write_traced`).
    """
    (root, spec, idx, value), (dr, ds, di, dv) = args, dims
    if ds is not None or di is not None:
        return NotImplemented
    if dr is not None and plain_stack(root) in UNLINKED_VIEWS:
        # a view of another batched array that is not linked to it: NumPy's write would reach that
        # array too, which a copy here would not
        raise BatchError(
            "vmap: writing into this view of a batched array is not supported (its examples do not lie in "
            "memory as the array's do); write into a copy (y = x.copy()) or into the array itself."
        )
    plain = plain_stack(root)
    if (spec is not None and not spec.writeable) or (dr is None and not getattr(plain, "flags", None).writeable):
        raise ValueError("assignment destination is read-only")
    n = batch_size(args, dims)
    if type(root) is not _np.ndarray or isinstance(value, Box):
        return _write_traced(root, spec, idx, value, dr, dv, n)
    s = shape_of(root)
    example = s[:dr] + s[dr + 1:] if dr is not None else s
    selected = all_positions(spec, _np.broadcast_to(0, example))[idx]
    if dr is not None:
        out, at = clone(root), dr  # the stack's layout kept: the views' windows stay valid (_windows)
    else:
        out, at = _fresh_stack(root, n), 0
        out[...] = stacked(root, None, n)
    stack = moved(out, at, 0)
    component = None if spec is None else spec.component
    target = stack if component is None else (stack.real if component == "real" else stack.imag)
    if not example:  # 0-d examples: a unit axis to index (every position is 0; the last value wins, as in NumPy)
        target, example = target[:, None], (1,)
    target[(slice(None),) + _np.unravel_index(selected, example)] = _examples_value(value, dv, n, selected.ndim)
    return out, at


def _fresh_stack(a: _np.ndarray, n: int) -> _np.ndarray:
    """New memory for ``n`` examples of ``a``'s shape and dtype, examples first, each laid out as ``a`` is
    where ``a`` is contiguous in some order of its axes (so the views taken of ``a`` stay windows)."""
    order = sorted(range(a.ndim), key=lambda k: -abs(a.strides[k]))  # the slowest axis first
    buf = _np.empty((n,) + tuple(a.shape[k] for k in order), a.dtype)
    return buf.transpose((0,) + tuple(1 + order.index(k) for k in range(a.ndim)))


def _examples_value(value: Any, dv: Optional[int], n: int, ndim: int) -> Any:
    """The value of a write into ``n`` examples of ``ndim`` axes each: its examples first, as NumPy reads it."""
    if dv is None:
        return value
    value = front(value, dv)
    vs = shape_of(value)[1:]
    extra = len(vs) - ndim
    if extra > 0:  # NumPy lets a value carry leading unit axes
        value = reshaped(value, (n,) + vs[extra:])
    return front(value, 0, ndim)


def _write_traced(root: Any, spec: Any, idx: Any, value: Any, dr: Optional[int], dv: Optional[int], n: int) -> Any:
    """``_write_batch`` where a differentiation's boxes hold the stack or the value: a write of the whole stack.

    Every example's target is a window of the stack (the same in each, a step
    over the examples apart); the positions ``idx`` selects in it, with the
    examples in front, are written at once by ``write_into``, whose own rules
    record it (and the rules of the vmaps outside this one, for their examples).
    The loop takes windows of stacks not laid out as when the view was taken.
    """
    if dr is None:  # an array made inside: one copy per example
        fresh = _fresh_stack(plain_stack(root), n)
        if isinstance(root, Box):
            root = write_into(fresh, None, Ellipsis, stacked(root, None, n))
        else:
            fresh[...] = stacked(root, None, n)
            root = fresh
        dr = 0
    one = first_example(root)  # of the vmaps outside this one: the stack of this one's examples
    w = None if one is None else moved(one, dr, 0) if spec is None else _windows(one, dr, spec)
    if w is None:
        return NotImplemented
    example = w.shape[1:]
    selected = all_positions(None, _np.broadcast_to(0, example))[idx]  # an example's index (a[False]: none)
    unit = not example
    if unit:  # 0-d examples: a unit axis to index (see _write_batch)
        w, example = w[:, None], (1,)
    at = (slice(None),) + _np.unravel_index(selected, example)
    whole = None if spec is None and dr == 0 and not unit else Spec(w, one)
    return write_into(root, whole, at, _examples_value(value, dv, n, selected.ndim)), dr


def_rules(gather, batch=_gather_batch)
def_rules(scatter, batch=_scatter_batch)
def_rules(erase, batch=_erase_batch)
def_rules(view_of, batch=_view_batch)
def_rules(write_into, batch=_write_batch)
def_rules(write_in_place, batch=_write_batch)
