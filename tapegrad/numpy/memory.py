"""NumPy's memory model for traced arrays: views, aliases and writes.

The values under traced arrays are real NumPy arrays laid out exactly as NumPy
lays them out for the same plain program. So whether a function returns a view
or a copy, whether a view is read-only, what a write casts to and which error
it raises are decided by NumPy itself, on the real values.

A traced array that is viewed or written to belongs to a :class:`Block`: the
*root* box, whose value spans the memory, and the boxes that view it (held
weakly). A view's place in its root is a :class:`Spec`, read off the real
arrays' addresses and strides.

The derivative bookkeeping is functional. A write records
``write_into(root, spec, idx, value)``: NumPy's own assignment, done on a copy
of the root's memory with the same layout, so no value kept by a tape ever
changes. The root box is rebound to the result, and every live view is re-read
from it with ``view_of(root, spec)``. The rules of these primitives work on
logical positions (:meth:`Spec.positions`: for each element of a view, its
C-order index in the root), so tangents and cotangents need not share the
values' memory layout.
"""

from __future__ import annotations

import sys
import weakref
from typing import Any, Callable, Optional

import numpy as _np

from ..core import STATE, Box, getval
from ..core.batching import BatchError
from ..core.box import constant
from ..core.reverse import release
from ._wrap import provide, shape_of
from .assignment import REBOUND, as_shape, dtype_of, gather, view_of, write_in_place, write_into
from .layout import Private, Spec, all_positions, assign_at, clone, positions_after, window


class Block:
    """A root box and the boxes that view its memory (weakly held).

    ``marks``: how long each open tape was at the last write, so that the next
    one looks only at what was recorded since (see :func:`_in_place`).
    ``unlinked``: under ``vmap``, the boxes (weakly held) of views of this
    memory that could not be linked (their examples do not lie in the stack as
    the root's do): a write into the block while one lives is refused, as it
    would not reach them.
    """

    __slots__ = ("root", "views", "marks", "unlinked")

    def __init__(self, root: Box) -> None:
        self.root = root
        self.views: list = []
        self.marks: list = []
        self.unlinked: list = []


def _in_turn(root: Box, spec: Optional[Spec], idx: Any, value: Any) -> Any:
    """The value a write really writes when it reads the memory it writes into.

    NumPy reads the value of ``x[mask] = v`` as it writes, sometimes after a
    copy (when its overlap check asks for one), sometimes element by element,
    so that where ``v`` views ``x`` a later element may read one already
    overwritten. Which, NumPy decides: the same assignment is done on an array
    of positions laid out like ``x``, and what lands where is a gather from
    ``x`` as it was, with no overlap left (the same values, and their
    derivative).
    """
    root_v, v = getval(root), getval(value)
    if isinstance(v, Box) or isinstance(root_v, Box):  # batched by vmap
        return _in_turn_batched(root, spec, idx, value)
    if type(v) is not _np.ndarray or not _np.may_share_memory(v, root_v):
        return value
    read = Spec(v, root_v)
    codes = positions_after(root_v, lambda p, dt: assign_at(p, spec, idx, window(p, read, dt), dt))
    written = all_positions(spec, root)[idx]
    landed = codes.reshape(-1)[written.reshape(-1)]
    return as_shape(_decoded(root, landed, None if spec is None else spec.component), written.shape)


def _in_turn_batched(root: Any, spec: Optional[Spec], idx: Any, value: Any) -> Any:
    """``_in_turn`` under vmap: NumPy's order found on example 0 (:func:`_examples_overlap`)."""
    parts = idx if type(idx) is tuple else (idx,)
    one = _examples_overlap(root, value)
    if not one or any(isinstance(p, Box) for p in parts):  # (an index batched by vmap: one per example)
        if not all(p is None or p is Ellipsis or isinstance(p, (int, slice, _np.integer)) for p in parts):
            _refuse_batched_overlap(root, value)  # a fancy or boolean index (of a view linked to the root too)
        return value  # a basic one: NumPy's copy of the value
    one_r, one_v = one
    read = Spec(one_v, one_r)
    codes = positions_after(one_r, lambda p, dt: assign_at(p, spec, idx, window(p, read, dt), dt))
    written = all_positions(spec, one_r)[idx]
    landed = codes.reshape(-1)[written.reshape(-1)]
    return as_shape(_decoded(root, landed, None if spec is None else spec.component), written.shape)


def _examples_overlap(root: Any, value: Any) -> Any:
    """Under vmap, where ``value`` reads ``root``'s memory: example 0 of each, if every example of ``value``
    lies in its own example of ``root`` as example 0's does (the stacks step over the examples alike, so
    each example is laid out as example 0 is, and NumPy, given one layout, reads and writes in one order);
    False if not; None where the memory is not shared."""
    (rv, rl), (vv, vl) = stack_layers(root), stack_layers(value)
    if type(vv) is not _np.ndarray or type(rv) is not _np.ndarray or not _np.may_share_memory(vv, rv):
        return None
    if [t for t, _ in rl] != [t for t, _ in vl]:
        return False
    for (_, dr), (_, dv) in zip(rl, vl):
        n = rv.shape[dr]
        if n != vv.shape[dv] or n == 0 or (n > 1 and rv.strides[dr] != vv.strides[dv]):
            return False
        rv, vv = rv[(slice(None),) * dr + (0, Ellipsis)], vv[(slice(None),) * dv + (0, Ellipsis)]
    return (rv, vv) if _np.may_share_memory(rv, vv) else False


def _refuse_batched_overlap(root: Any, value: Any) -> None:
    """Under vmap, a write whose values view the memory it writes (read by NumPy as it writes) is refused."""
    a, b = stack_layers(root)[0], stack_layers(value)[0]
    block = getattr(value, "_block", None)
    if (block is not None and block.root is root) or (
            type(a) is _np.ndarray and type(b) is _np.ndarray and _np.may_share_memory(a, b)):
        raise BatchError(
            "vmap: a fancy, boolean or function write (x[mask] = v, np.place, np.put...) whose values view "
            "the memory it writes (v = x.ravel()[:k]) is not supported: NumPy reads such values as it "
            "writes. Copy them first (x[mask] = x.ravel()[:k].copy())."
        )


def _decoded(root: Box, codes: _np.ndarray, part: Optional[str]) -> Any:
    """The values that ``positions_after``'s ``codes`` name, gathered from ``root`` as it was (traced).

    ``part``: the real or imaginary slot written, where the target is
    ``z.real`` or ``z.imag`` of a complex root.
    """
    if codes.dtype.kind != "c":
        return gather(root, codes, None)  # a real root: codes are positions
    if part is None:
        return _slots(root, codes.real) + 1j * _slots(root, codes.imag)
    return _slots(root, codes.real if part == "real" else codes.imag)


def _slots(root: Box, codes: _np.ndarray) -> Any:
    codes = codes.astype(_np.intp)
    real, imag = (codes % 2 == 1), (codes > 0) & (codes % 2 == 0)
    element = _np.maximum(codes - 1, 0) // 2
    return gather(root, element, "real") * real + gather(root, element, "imag") * imag


def write_overlapping(target: Box, values: Any, call: Any) -> bool:
    """A write function (``np.place``, ``np.put``...) whose values view the memory it writes into.

    ``call(target, values)`` is NumPy's function; it is done on arrays of
    positions (see :func:`_in_turn`), and what lands where is written as a
    gather from the array as it was. False (nothing done) where the values
    are not in the target's memory.
    """
    block = _block_of(target)
    root = block.root
    root_v, v = getval(root), getval(values)
    if isinstance(v, Box) or isinstance(root_v, Box):  # batched by vmap: NumPy's order found on example 0
        one = _examples_overlap(root, values)
        if not one:
            _refuse_batched_overlap(root, values)  # (a view linked to the root, its stack a copy, too)
            return False
        root_v, v = one
    elif type(v) is not _np.ndarray or not _np.may_share_memory(v, root_v):
        return False
    spec, read = _spec_of(target, block), Spec(v, root_v)
    codes = positions_after(root_v, lambda p, dt: call(p if spec is None else window(p, spec, dt), window(p, read, dt)))
    initial = positions_after(root_v, lambda p, dt: None).reshape(-1)
    codes = codes.reshape(-1)
    changed = _np.flatnonzero(codes != initial)
    if changed.size:
        write(root, _np.unravel_index(changed, shape_of(root)), _decoded(root, codes[changed], None))
    return True


def _block_of(x: Box) -> Block:
    block = getattr(x, "_block", None)
    if block is None:
        block = x._block = Block(x)
        x._spec = None
    return block


BATCHED_LINK: Optional[Callable[[Box, Any], Any]] = None  # set by tapegrad.numpy.batching


def stack_layers(x: Any) -> tuple[Any, list]:
    """The plain array under ``x``'s boxes, and the (trace, axis) of each ``vmap`` batching it, innermost first.

    Each axis is one of the array under its box, the examples of the vmaps
    before it in the list already taken away.
    """
    layers = []
    while isinstance(x, Box):
        if x.batched:
            layers.append((x._trace, x._node))
        x = x._value
    layers.reverse()
    return x, layers


def first_example(x: Any) -> Optional[_np.ndarray]:
    """Under ``vmap``, example 0 (of every vmap) of ``x``'s plain array: an example's layout; None if there is none."""
    v, layers = stack_layers(x)
    if type(v) is not _np.ndarray:
        return None
    for _, d in layers:
        if v.shape[d] == 0:
            return None
        v = v[(slice(None),) * d + (0, Ellipsis)]  # a 0-d example stays an array (a view)
    return v


def example_value(x: Any) -> Any:
    """Example 0 of a value batched by vmap as NumPy is given one: a NumPy scalar where the examples are
    scalars (NumPy casts scalars and 0-d arrays differently), else :func:`first_example`."""
    one = first_example(x)
    return one[()] if getattr(x, "immutable", False) and one is not None else one


def link(base: Any, out: Any) -> Any:
    """``out``, computed from the box ``base`` by a NumPy function: a view of ``base`` where NumPy made one.

    NumPy's own result decides: if it is ``base``'s value itself, ``base`` is
    returned (``np.asarray(x) is x``); if it shares ``base``'s memory, it joins
    ``base``'s block, so that writes through either are seen by both.
    """
    ov = getval(out)
    if type(ov) is not _np.ndarray:
        # batched by vmap (getval keeps its box): the batching module links each example's view
        return BATCHED_LINK(base, out) if isinstance(ov, Box) and BATCHED_LINK is not None else out
    bv = getval(base)
    if ov is bv:
        return base
    if type(bv) is not _np.ndarray or not _np.may_share_memory(ov, bv):
        return out
    block = _block_of(base)
    if not isinstance(out, Box):
        out = constant(out)
    out._block = block
    out._spec = None  # read off the addresses when first needed (see _spec_of)
    block.views.append(weakref.ref(out))
    return out


def numpy_views(np_fun: Any, a: Box, *args: Any, **kwargs: Any) -> Any:
    """``np_fun(a, ...)`` for a NumPy function whose results are views of ``a``: NumPy's own views.

    Each result is NumPy's array itself, made a view of ``a`` by
    :func:`view_of` (whose derivative follows from where its elements sit in
    ``a``), so layouts and read-only flags are NumPy's.
    """
    value = getval(a)
    if isinstance(value, Box):  # batched by vmap: NumPy's views of example 0, the same in every example
        value = first_example(a)
        if value is None:
            raise AssertionError("numpy_views: an array batched by vmap with no examples")
    plain = np_fun(value, *args, **kwargs)
    if type(plain) in (list, tuple):
        return type(plain)(_one_view(a, value, r) for r in plain)
    return _one_view(a, value, plain)


def _one_view(a: Box, value: _np.ndarray, r: Any) -> Any:
    if r is value:
        return a
    if type(r) is not _np.ndarray or (r.size and not _np.may_share_memory(r, value)):
        raise AssertionError(f"expected a view of the argument, got {type(r).__name__}")
    return link(a, view_of(a, Spec(r, value)))


def _spec_of(x: Box, block: Block) -> Optional[Spec]:
    if x is block.root:
        return None
    if x._spec is None:
        x._spec = Spec(getval(x), getval(block.root))
    return x._spec


def write(target: Box, idx: Any, value: Any) -> None:
    """``target[idx] = value`` as NumPy does it, recorded as a derivative of the values written."""
    if getattr(target, "immutable", False):
        # a scalar (batched by vmap too: its stack is writeable). NumPy's put and fill write into a
        # temporary copy of one; its other writes raise (writes._numpy_checks) before this.
        return
    block = _block_of(target)
    root = block.root
    if block.unlinked:
        _refuse_unlinked(block)
    live, refs = [], []
    for ref in block.views:  # every view's place, while its value still points into the root
        view = ref()
        if view is not None:
            _spec_of(view, block)
            live.append(view)
            refs.append(ref)
    spec = _spec_of(target, block)
    if dtype_of(root).kind not in "fc":
        value = getval(value)  # an integer or boolean buffer truncates: no derivative reaches it
    else:
        value = _in_turn(root, spec, idx, value)
    assign = write_in_place if _in_place(block, live, value) else write_into
    block.marks = [(trace, len(trace.tape)) for trace in STATE.tapes]
    REBOUND.tangent = root._node
    try:
        Box._assign(root, assign(root, spec, idx, value))
    finally:
        REBOUND.tangent = None
    block.views = refs
    for view in live:
        Box._assign(view, view_of(root, view._spec))


def _refuse_unlinked(block: Block) -> None:
    """Under vmap, a write into memory that a live view vmap could not link also shows is refused."""
    block.unlinked = [ref for ref in block.unlinked if ref() is not None]
    if block.unlinked:
        raise BatchError(
            "vmap: a write into an array (or a view of it) while another view of it is alive that vmap could "
            "not link to it (np.flip, np.broadcast_to, a transpose or reshape of an array whose examples lie "
            "in memory differently): NumPy's write would change that view too, vmap's would not. Copy the "
            "view when you take it (v = np.flip(y).copy()), or take it after the write."
        )


class _Held:
    __slots__ = ("value",)


def _calibrate() -> tuple[int, int]:
    """What ``sys.getrefcount`` says of an object held by one attribute, and by one local variable."""
    held = _Held()
    held.value = object()
    local = object()
    return sys.getrefcount(held.value), sys.getrefcount(local)


_BY_ATTRIBUTE, _BY_LOCAL = _calibrate()


def _in_place(block: Block, live: list, value: Any) -> bool:
    """True if a write may change the root's memory itself: nothing outside the block still sees it.

    First order only (values are plain arrays), and only memory of the block's
    own (``Private``). What the open tapes hold of it is let go first (copied
    where a VJP reads it, else kept as a shape): then the reference counts tell
    whether anything else holds it (a closure, a plain view, a caller).
    """
    root_value = block.root._value
    mem = getattr(root_value, "base", None)
    if type(mem) is not Private or (isinstance(value, Box) and isinstance(value._value, Box)):
        return False
    for view in live:
        if type(view._value) is not _np.ndarray:
            return False

    def owns(v: Any) -> bool:
        return type(v) is _np.ndarray and v.base is mem

    marks = block.marks
    for trace in STATE.tapes:
        start = next((m for t, m in marks if t is trace), 0)
        release(trace, start, owns, clone)  # a copy in the same layout: some rules read it
    if sys.getrefcount(root_value) != _BY_ATTRIBUTE + 1:  # the root box, and this function
        return False
    if any(sys.getrefcount(view._value) != _BY_ATTRIBUTE for view in live):
        return False
    return sys.getrefcount(mem) == _BY_LOCAL + len(live) + 1  # the arrays that view it, and this function


def _writeable(target: Any) -> bool:
    """NumPy's writeable flag of ``target``'s value (scalars, which have none, count as writeable here)."""
    flags = getattr(getval(target), "flags", None)
    return True if flags is None else bool(flags.writeable)


def check_cast(ufunc: Any, result: Any, target: Any, *others: Any) -> None:
    """Raise NumPy's error where a ufunc may not write ``result`` into ``target`` (``same_kind`` casting)."""
    rdt, tdt = dtype_of(result), dtype_of(target)
    if not _writeable(target):
        out = _np.zeros((), tdt)
        out.flags.writeable = False
        with _np.errstate(all="ignore"):
            ufunc(*[_np.ones((), rdt)] * ufunc.nin, out=out)  # NumPy's own error
        raise ValueError("output array is read-only")
    if rdt != tdt and not _np.can_cast(rdt, tdt, "same_kind"):
        # NumPy's own error, from the same operation on 0-d arrays of these dtypes.
        inputs = [_np.ones((), rdt)] + [_np.ones((), dtype_of(o)) for o in others][: ufunc.nin - 1]
        inputs += [_np.ones((), rdt)] * (ufunc.nin - len(inputs))
        with _np.errstate(all="ignore"):
            ufunc(*inputs, out=_np.zeros((), tdt))
        raise TypeError(f"Cannot cast ufunc {ufunc.__name__!r} output from {rdt!r} to {tdt!r} with casting rule 'same_kind'")


def _probe_cast(ufunc: Any, target: Any, other: Any) -> None:
    """NumPy's casting error for ``target op= other``, raised before anything is computed, as NumPy does."""
    tdt, odt = dtype_of(target), dtype_of(other)
    shape = (1, 1) if ufunc is _np.matmul else ()
    out = _np.zeros(shape, tdt)
    out.flags.writeable = _writeable(target)
    with _np.errstate(all="ignore"):  # only the dtypes matter
        ufunc(_np.ones(shape, tdt), _np.ones(shape, odt), out=out)


def inplace(target: Box, op: Any, ufunc: Any, other: Any) -> Box:
    """``target op= other``: NumPy's in-place operator (the result cast back into ``target``)."""
    _probe_cast(ufunc, target, other)
    result = op(target, other)
    check_cast(ufunc, result, target, other)
    rs, ts = shape_of(result), shape_of(target)
    if rs != ts:
        raise ValueError(f"non-broadcastable output operand with shape {ts} doesn't match the broadcast shape {rs}")
    write(target, Ellipsis, result)
    return target

provide(check_cast=check_cast)  # for the modules below (_wrap.ops)
